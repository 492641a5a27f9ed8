//! Documents whose subject is not an engagement: the assessment report (an offering's
//! per-control results and conclusion, the assessor's deliverable) and the scan report
//! (what `cloudward scan --format json` found). They share the templates, the model and
//! the renderers with the engagement's documents.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use cloudward_domain::i18n::Messages;
use cloudward_domain::load::Content;
use cloudward_domain::workflow::{
    Conclusion, ControlAssessment, ControlResult, Outcome, check_conclusion,
};
use cloudward_domain::{Lang, ProtectionLevel, Text};
use serde::Deserialize;

use crate::build::{Frame, Words, assemble, facts, note, seat, sections, table};
use crate::kinds::Kind;
use crate::model::{Bar, Block, Document, Meta};
use crate::templates::Templates;

/// An evidence record an assessment result rests on.
#[derive(Debug, Clone)]
pub struct EvidenceItem {
    pub id: String,
    /// What the record is, in words (its title or file name).
    pub name: String,
    /// The SHA-256 of its content, when known (the server's records have one).
    pub sha256: Option<String>,
}

/// Everything an assessment report is made from.
#[derive(Debug)]
pub struct AssessmentInputs<'a> {
    pub offering: String,
    pub provider: Option<String>,
    /// The level the provider claims for the offering, when known.
    pub claimed: Option<ProtectionLevel>,
    pub assessor: Option<String>,
    /// The level the assessor works to (the server's assessment has one), when known.
    pub assessed: Option<ProtectionLevel>,
    pub conclusion: Option<&'a Conclusion>,
    /// Control id → the assessor's result.
    pub results: &'a BTreeMap<String, ControlAssessment>,
    /// The evidence records the results name, with what is known of them.
    pub evidence: Vec<EvidenceItem>,
    pub content: &'a Content,
    pub messages: &'a Messages,
    /// The assessment's version: the server's revision, or the first 12 hex digits of the
    /// file's SHA-256.
    pub version: String,
    pub date: NaiveDate,
    /// The server's id of the assessment (metadata only).
    pub reference: Option<String>,
}

impl AssessmentInputs<'_> {
    /// The level the assessment is read against: its conclusion's, else the one assessed,
    /// else the claimed one, else the highest level among the controls it has results for.
    pub fn level(&self) -> ProtectionLevel {
        if let Some(c) = self.conclusion {
            return c.level;
        }
        if let Some(l) = self.assessed.or(self.claimed) {
            return l;
        }
        self.results
            .keys()
            .filter_map(|id| self.content.catalog.control(id))
            .map(|c| c.level)
            .max()
            .unwrap_or(ProtectionLevel::General)
    }
}

fn result_word(w: Words, r: Option<ControlResult>) -> String {
    match r {
        Some(r) => w.t(&format!("ui.result.{}", r.id())),
        None => w.t("doc.not_assessed"),
    }
}

fn placeholders(
    w: Words,
    system: &str,
    customer: &str,
    provider: &str,
    level: String,
    date: NaiveDate,
    version: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("system", system.to_owned()),
        ("customer", customer.to_owned()),
        ("provider", provider.to_owned()),
        ("offering", system.to_owned()),
        ("level", level),
        ("date", w.date(date)),
        ("version", version.to_owned()),
    ]
}

/// The assessment report (评估报告): scope, offering, provider, level, method, results per
/// family with a chart, every result, what is not satisfied with the provider's answers,
/// the evidence with its hashes, the conclusion and its validity, and the assessor's
/// signature.
pub fn assessment(templates: &Templates, i: &AssessmentInputs, lang: Lang) -> Option<Document> {
    let kind = Kind::AssessmentReport;
    let template = templates.kinds.get(&kind)?;
    let w = Words {
        messages: i.messages,
        content: i.content,
        lang,
    };
    let level = i.level();
    let provider = i.provider.clone().unwrap_or_else(|| w.t("doc.not_given"));
    let assessor = i.assessor.clone().unwrap_or_else(|| w.t("doc.not_given"));
    let values = placeholders(
        w,
        &i.offering,
        &assessor,
        &provider,
        w.level(level),
        i.date,
        &i.version,
    );
    let applicable: Vec<_> = i.content.catalog.applicable(level).collect();
    let blocks = sections(template, lang, &values, |name| {
        assessment_block(w, i, level, &applicable, name)
    });
    Some(assemble(
        templates,
        template,
        lang,
        &values,
        Frame {
            subtitle: format!("{} · {}", i.offering, provider),
            cover: w.cover(kind, "doc.cover.assessment_version", &i.version, i.date),
            contents_title: w.t("doc.contents"),
            blocks,
            meta: Meta {
                kind: kind.id().to_owned(),
                engagement: i.offering.clone(),
                customer: assessor,
                version: i.version.clone(),
                date: i.date.format("%Y-%m-%d").to_string(),
                output: kind.output().map(str::to_owned),
                reference: i.reference.clone(),
            },
        },
    ))
}

fn assessment_block(
    w: Words,
    i: &AssessmentInputs,
    level: ProtectionLevel,
    applicable: &[&cloudward_domain::catalog::Control],
    name: &str,
) -> Vec<Block> {
    let result = |id: &str| i.results.get(id).map(|r| r.result);
    match name {
        "assessment-identity" => {
            let mut rows = vec![
                (w.t("doc.f.offering"), i.offering.clone()),
                (
                    w.t("doc.f.provider"),
                    i.provider.clone().unwrap_or_else(|| w.t("doc.not_given")),
                ),
            ];
            if let Some(l) = i.claimed {
                rows.push((w.t("doc.f.claimed_level"), w.level(l)));
            }
            rows.push((w.t("doc.f.assessed_level"), w.level(level)));
            rows.push((
                w.t("doc.f.assessor"),
                i.assessor.clone().unwrap_or_else(|| w.t("doc.not_given")),
            ));
            vec![facts(rows)]
        }
        "coverage" => {
            let with_result = applicable
                .iter()
                .filter(|c| i.results.contains_key(&c.id))
                .count();
            let waived = i.results.values().filter(|r| r.waiver.is_some()).count();
            let extra = i
                .results
                .keys()
                .filter(|id| !applicable.iter().any(|c| c.id.eq_ignore_ascii_case(id)))
                .count();
            let mut rows = vec![
                (
                    w.t("doc.f.controls_applicable"),
                    applicable.len().to_string(),
                ),
                (w.t("doc.f.controls_assessed"), with_result.to_string()),
                (
                    w.t("doc.f.controls_open"),
                    (applicable.len() - with_result).to_string(),
                ),
                (w.t("doc.f.evidence_records"), i.evidence.len().to_string()),
                (w.t("doc.f.waivers"), waived.to_string()),
            ];
            if extra > 0 {
                rows.push((w.t("doc.f.controls_beyond"), extra.to_string()));
            }
            vec![facts(rows)]
        }
        "family-results" => {
            let mut rows = Vec::new();
            for fam in &i.content.catalog.families {
                let ids: Vec<&str> = applicable
                    .iter()
                    .filter(|c| c.family == fam.id)
                    .map(|c| c.id.as_str())
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let count = |r: Option<ControlResult>| {
                    ids.iter().filter(|id| result(id) == r).count().to_string()
                };
                rows.push(vec![
                    fam.name.get(w.lang).to_owned(),
                    ids.len().to_string(),
                    count(Some(ControlResult::Satisfied)),
                    count(Some(ControlResult::PartiallySatisfied)),
                    count(Some(ControlResult::NotSatisfied)),
                    count(Some(ControlResult::NotApplicable)),
                    count(None),
                ]);
            }
            vec![table(
                vec![
                    w.t("doc.c.family"),
                    w.t("doc.c.applicable"),
                    w.t("ui.result.satisfied"),
                    w.t("ui.result.partially_satisfied"),
                    w.t("ui.result.not_satisfied"),
                    w.t("ui.result.not_applicable"),
                    w.t("doc.not_assessed"),
                ],
                &[4, 2, 2, 2, 2, 2, 2],
                rows,
            )]
        }
        "results-chart" => {
            // The share of each family's applicable controls that are satisfied (not
            // applicable ones left out of the count).
            let mut bars = Vec::new();
            for fam in &i.content.catalog.families {
                let ids: Vec<&str> = applicable
                    .iter()
                    .filter(|c| c.family == fam.id)
                    .filter(|c| result(&c.id) != Some(ControlResult::NotApplicable))
                    .map(|c| c.id.as_str())
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let met = ids
                    .iter()
                    .filter(|id| result(id) == Some(ControlResult::Satisfied))
                    .count();
                let pct = (met * 100) as f64 / ids.len() as f64;
                bars.push(Bar {
                    label: fam.name.get(w.lang).to_owned(),
                    value: pct,
                    shown: format!("{} %", pct.round() as u32),
                    tone: if met == ids.len() {
                        "good"
                    } else if ids
                        .iter()
                        .any(|id| result(id) == Some(ControlResult::NotSatisfied))
                    {
                        "bad"
                    } else {
                        "warn"
                    },
                });
            }
            vec![Block::Bars {
                title: w.t("doc.chart.satisfied"),
                bars,
            }]
        }
        "results" => {
            let mut out = Vec::new();
            for fam in &i.content.catalog.families {
                let rows: Vec<Vec<String>> = applicable
                    .iter()
                    .filter(|c| c.family == fam.id)
                    .map(|c| {
                        let r = i.results.get(&c.id);
                        let support = match r {
                            Some(r) if r.waiver.is_some() => w.t("doc.waived"),
                            Some(r) if !r.evidence.is_empty() => {
                                w.tr("doc.n_records", &[("n", r.evidence.len().to_string())])
                            }
                            _ => "—".to_owned(),
                        };
                        vec![
                            w.control(&c.id),
                            result_word(w, r.map(|r| r.result)),
                            support,
                            r.map(|r| r.notes.clone()).unwrap_or_default(),
                        ]
                    })
                    .collect();
                if rows.is_empty() {
                    continue;
                }
                out.push(Block::Heading {
                    level: 2,
                    text: fam.name.get(w.lang).to_owned(),
                });
                out.push(table(
                    vec![
                        w.t("doc.c.title"),
                        w.t("doc.c.outcome"),
                        w.t("doc.f.evidence"),
                        w.t("doc.c.notes"),
                    ],
                    &[5, 2, 2, 5],
                    rows,
                ));
            }
            out
        }
        "not-satisfied" => {
            let rows: Vec<Vec<String>> = applicable
                .iter()
                .filter_map(|c| i.results.get(&c.id).map(|r| (c, r)))
                .filter(|(_, r)| {
                    matches!(
                        r.result,
                        ControlResult::NotSatisfied | ControlResult::PartiallySatisfied
                    )
                })
                .map(|(c, r)| {
                    vec![
                        w.control(&c.id),
                        result_word(w, Some(r.result)),
                        r.notes.clone(),
                        r.provider_response
                            .clone()
                            .unwrap_or_else(|| w.t("doc.no_answer")),
                    ]
                })
                .collect();
            if rows.is_empty() {
                return vec![Block::Paragraph {
                    text: w.t("doc.all_satisfied"),
                }];
            }
            vec![table(
                vec![
                    w.t("doc.c.title"),
                    w.t("doc.c.outcome"),
                    w.t("doc.c.finding"),
                    w.t("doc.c.provider_answer"),
                ],
                &[4, 2, 4, 4],
                rows,
            )]
        }
        "evidence" => {
            if i.evidence.is_empty() {
                return vec![Block::Paragraph {
                    text: w.t("doc.no_evidence"),
                }];
            }
            let rows = i
                .evidence
                .iter()
                .map(|e| {
                    let controls: Vec<String> = i
                        .results
                        .iter()
                        .filter(|(_, r)| r.evidence.contains(&e.id))
                        .map(|(id, _)| id.clone())
                        .collect();
                    // The hash on a line of its own under the name, in a column wide
                    // enough that it never wraps: it is copied out to be compared.
                    let hash = e
                        .sha256
                        .clone()
                        .unwrap_or_else(|| w.t("doc.not_known_hash"));
                    vec![
                        format!("{}\n{hash}", e.name),
                        controls.join(&w.t("doc.sep")),
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![w.t("doc.c.record_and_hash"), w.t("doc.c.supports")],
                &[4, 1],
                rows,
            )];
            if i.evidence.iter().any(|e| e.sha256.is_none()) {
                out.push(note(w.t("doc.evidence_hash_note")));
            }
            out
        }
        "conclusion" => match i.conclusion {
            None => vec![Block::Paragraph {
                text: w.t("doc.not_concluded"),
            }],
            Some(c) => {
                let outcome = match c.outcome {
                    Outcome::Pass => w.t("ui.outcome.pass"),
                    Outcome::Fail => w.t("ui.outcome.fail"),
                };
                let mut out = vec![facts(vec![
                    (w.t("doc.f.outcome"), outcome),
                    (w.t("doc.f.assessed_level"), w.level(c.level)),
                    (w.t("doc.f.concluded_on"), w.date(c.date)),
                    (w.t("doc.f.valid_until"), w.date(c.valid_until)),
                ])];
                let partial = applicable
                    .iter()
                    .filter(|a| result(&a.id) == Some(ControlResult::PartiallySatisfied))
                    .count();
                if c.outcome == Outcome::Pass && partial > 0 {
                    out.push(note(
                        w.tr("doc.pass_with_partial", &[("n", partial.to_string())]),
                    ));
                }
                // A pass that would not stand: say so on the page rather than vouch for it.
                if c.outcome == Outcome::Pass {
                    for p in check_conclusion(&i.content.catalog, i.results, c) {
                        let mut controls = p.controls.clone();
                        let more = controls.len().saturating_sub(10);
                        controls.truncate(10);
                        let mut list = controls.join(&w.t("doc.sep"));
                        if more > 0 {
                            list.push_str(&w.tr("doc.and_more", &[("n", more.to_string())]));
                        }
                        out.push(note(w.tr(
                            &format!("doc.problem.{}", p.code),
                            &[("n", p.controls.len().to_string()), ("controls", list)],
                        )));
                    }
                }
                if c.valid_until < i.date {
                    out.push(note(w.tr(
                        "doc.conclusion_expired",
                        &[("date", w.date(c.valid_until))],
                    )));
                }
                out
            }
        },
        "sign-assessor" => vec![Block::Signatures {
            seats: vec![
                seat(
                    w,
                    "doc.seat.assessor",
                    i.assessor.as_deref().unwrap_or_default(),
                ),
                seat(
                    w,
                    "doc.seat.provider",
                    i.provider.as_deref().unwrap_or_default(),
                ),
            ],
        }],
        other => {
            debug_assert!(
                false,
                "block {other} of the assessment report has no builder"
            );
            vec![note(format!("[{other}]"))]
        }
    }
}

/// A scan report as `cloudward scan --format json` writes it: the parts this module
/// reads (other keys are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct ScanFile {
    pub tool: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub level: Option<ProtectionLevel>,
    #[serde(default)]
    pub inputs: Vec<ScanInput>,
    pub findings: Vec<ScanItem>,
    #[serde(default)]
    pub unknown: Vec<ScanItem>,
    #[serde(default)]
    pub suppressed: Vec<ScanItem>,
    #[serde(default)]
    pub baselined: Vec<ScanItem>,
    #[serde(default)]
    pub rules: BTreeMap<String, ScanRule>,
    #[serde(default)]
    pub errors: Vec<ScanError>,
    pub summary: ScanSummary,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanItem {
    pub rule_id: String,
    pub severity: String,
    #[serde(default)]
    pub controls: Vec<String>,
    pub resource: ScanResource,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub suppressed: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanResource {
    pub address: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanRule {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub remediation: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanError {
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScanSummary {
    #[serde(default)]
    pub resources: u64,
    #[serde(default)]
    pub rules: u64,
    #[serde(default)]
    pub evaluations: u64,
    #[serde(default)]
    pub passed: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub unknown: u64,
    #[serde(default)]
    pub suppressed: u64,
    #[serde(default)]
    pub baselined: u64,
    #[serde(default)]
    pub by_family: BTreeMap<String, u64>,
    #[serde(default)]
    pub controls: ScanControls,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScanControls {
    #[serde(default)]
    pub passed: Vec<String>,
    #[serde(default)]
    pub failed: Vec<String>,
    #[serde(default)]
    pub not_evaluated: Vec<String>,
}

/// A rule's words in both languages, from the rule pack the scan ran.
#[derive(Debug, Clone)]
pub struct RuleWords {
    pub title: Text,
    pub remediation: Text,
}

/// Everything a scan report is made from.
#[derive(Debug)]
pub struct ScanInputs<'a> {
    pub scan: &'a ScanFile,
    /// Rule id → its title and remediation in both languages. A rule missing here (a
    /// rule pack of the user's) is shown with the words the JSON carries.
    pub rules: &'a BTreeMap<String, RuleWords>,
    /// What was scanned, in words: the system, else the scanned paths.
    pub subject: String,
    pub content: &'a Content,
    pub messages: &'a Messages,
    /// The first 12 hex digits of the JSON file's SHA-256, or the server's run id.
    pub version: String,
    pub date: NaiveDate,
    pub reference: Option<String>,
}

/// At most this many findings are listed one by one; the rest are counted.
pub const MAX_FINDING_ROWS: usize = 1000;

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

fn severity_rank(s: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|x| *x == s)
        .unwrap_or(SEVERITIES.len())
}

/// The scan report: what was scanned, the counts, findings by severity and by family, each
/// finding with its place, the remediation of each rule that failed, the controls, what
/// was suppressed or in the baseline, and the files that could not be read.
pub fn scan(templates: &Templates, i: &ScanInputs, lang: Lang) -> Option<Document> {
    let kind = Kind::ScanReport;
    let template = templates.kinds.get(&kind)?;
    let w = Words {
        messages: i.messages,
        content: i.content,
        lang,
    };
    let level = match i.scan.level {
        Some(l) => w.level(l),
        None => w.t("doc.all_levels"),
    };
    let values = placeholders(w, &i.subject, "", "", level, i.date, &i.version);
    let blocks = sections(template, lang, &values, |name| scan_block(w, i, name));
    Some(assemble(
        templates,
        template,
        lang,
        &values,
        Frame {
            subtitle: i.subject.clone(),
            cover: w.cover(kind, "doc.cover.scan_version", &i.version, i.date),
            contents_title: w.t("doc.contents"),
            blocks,
            meta: Meta {
                kind: kind.id().to_owned(),
                engagement: i.subject.clone(),
                customer: String::new(),
                version: i.version.clone(),
                date: i.date.format("%Y-%m-%d").to_string(),
                output: None,
                reference: i.reference.clone(),
            },
        },
    ))
}

fn rule_title(w: Words, i: &ScanInputs, id: &str, fallback: &str) -> String {
    match i.rules.get(id) {
        Some(r) => r.title.get(w.lang).to_owned(),
        None => i
            .scan
            .rules
            .get(id)
            .map(|r| r.title.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| fallback.to_owned()),
    }
}

fn place(r: &ScanResource) -> String {
    if r.file.is_empty() {
        String::new()
    } else if r.line > 0 {
        format!("{}:{}", r.file, r.line)
    } else {
        r.file.clone()
    }
}

fn scan_block(w: Words, i: &ScanInputs, name: &str) -> Vec<Block> {
    let s = &i.scan.summary;
    let sev = |id: &str| w.t(&format!("severity.{id}"));
    match name {
        "scan-identity" => {
            let inputs: Vec<String> = i.scan.inputs.iter().map(|p| p.path.clone()).collect();
            vec![facts(vec![
                (w.t("doc.f.scanned"), inputs.join("\n")),
                (
                    w.t("doc.f.level"),
                    match i.scan.level {
                        Some(l) => w.level(l),
                        None => w.t("doc.all_levels"),
                    },
                ),
                (
                    w.t("doc.f.tool"),
                    format!("{} {}", i.scan.tool, i.scan.version)
                        .trim()
                        .to_owned(),
                ),
            ])]
        }
        "scan-summary" => vec![facts(vec![
            (w.t("doc.f.resources"), s.resources.to_string()),
            (w.t("doc.f.rules_run"), s.rules.to_string()),
            (w.t("doc.f.evaluations"), s.evaluations.to_string()),
            (w.t("doc.f.passed"), s.passed.to_string()),
            (w.t("doc.f.failed"), i.scan.findings.len().to_string()),
            (w.t("doc.f.unknown"), s.unknown.to_string()),
            (w.t("doc.f.suppressed"), s.suppressed.to_string()),
            (w.t("doc.f.baselined"), s.baselined.to_string()),
            (
                w.t("doc.f.controls_failed"),
                s.controls.failed.len().to_string(),
            ),
            (
                w.t("doc.f.controls_passed"),
                s.controls.passed.len().to_string(),
            ),
        ])],
        "severity-chart" => {
            let bars = SEVERITIES
                .iter()
                .map(|id| {
                    let n = i.scan.findings.iter().filter(|f| f.severity == *id).count();
                    Bar {
                        label: sev(id),
                        value: n as f64,
                        shown: n.to_string(),
                        tone: if n == 0 {
                            "good"
                        } else if severity_rank(id) <= 1 {
                            "bad"
                        } else {
                            "warn"
                        },
                    }
                })
                .collect();
            vec![Block::Bars {
                title: w.t("doc.chart.by_severity"),
                bars,
            }]
        }
        "family-chart" => {
            let bars: Vec<Bar> = s
                .by_family
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(fam, n)| Bar {
                    label: w.family(fam),
                    value: *n as f64,
                    shown: n.to_string(),
                    tone: "bad",
                })
                .collect();
            if bars.is_empty() {
                return vec![];
            }
            vec![Block::Bars {
                title: w.t("doc.chart.by_family"),
                bars,
            }]
        }
        "findings" => {
            if i.scan.findings.is_empty() {
                return vec![Block::Paragraph {
                    text: w.t("doc.no_findings"),
                }];
            }
            let mut list: Vec<&ScanItem> = i.scan.findings.iter().collect();
            list.sort_by(|a, b| {
                (severity_rank(&a.severity), &a.rule_id, &a.resource.address).cmp(&(
                    severity_rank(&b.severity),
                    &b.rule_id,
                    &b.resource.address,
                ))
            });
            let rows = list
                .iter()
                .take(MAX_FINDING_ROWS)
                .enumerate()
                .map(|(n, f)| {
                    vec![
                        (n + 1).to_string(),
                        sev(&f.severity),
                        rule_title(w, i, &f.rule_id, &f.message),
                        f.resource.address.clone(),
                        place(&f.resource),
                        f.controls.join(&w.t("doc.sep")),
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![
                    w.t("doc.c.no"),
                    w.t("doc.c.severity"),
                    w.t("doc.c.rule"),
                    w.t("doc.c.resource"),
                    w.t("doc.c.place"),
                    w.t("doc.c.control"),
                ],
                &[2, 4, 8, 8, 7, 4],
                rows,
            )];
            if list.len() > MAX_FINDING_ROWS {
                out.push(note(w.tr(
                    "doc.findings_cut",
                    &[
                        ("shown", MAX_FINDING_ROWS.to_string()),
                        ("total", list.len().to_string()),
                    ],
                )));
            }
            out
        }
        "remediation" => {
            // One row per rule that failed, the most severe first, with how many resources.
            let mut rules: BTreeMap<(usize, &str), (usize, &str)> = BTreeMap::new();
            for f in &i.scan.findings {
                let e = rules
                    .entry((severity_rank(&f.severity), f.rule_id.as_str()))
                    .or_insert((0, f.message.as_str()));
                e.0 += 1;
            }
            if rules.is_empty() {
                return vec![];
            }
            let rows = rules
                .iter()
                .map(|((rank, id), (n, message))| {
                    let remediation = match i.rules.get(*id) {
                        Some(r) => r.remediation.get(w.lang).to_owned(),
                        None => i
                            .scan
                            .rules
                            .get(*id)
                            .map(|r| r.remediation.clone())
                            .unwrap_or_default(),
                    };
                    vec![
                        rule_title(w, i, id, message),
                        SEVERITIES.get(*rank).map(|s| sev(s)).unwrap_or_default(),
                        n.to_string(),
                        remediation,
                    ]
                })
                .collect();
            vec![table(
                vec![
                    w.t("doc.c.rule"),
                    w.t("doc.c.severity"),
                    w.t("doc.c.resources"),
                    w.t("doc.c.remediation"),
                ],
                &[4, 1, 1, 7],
                rows,
            )]
        }
        "scan-controls" => {
            let mut rows = Vec::new();
            for (ids, key) in [
                (&s.controls.failed, "doc.control_failed"),
                (&s.controls.passed, "doc.control_passed"),
            ] {
                let set: BTreeSet<&String> = ids.iter().collect();
                for id in set {
                    rows.push(vec![w.control(id), w.t(key)]);
                }
            }
            if rows.is_empty() {
                return vec![Block::Paragraph {
                    text: w.t("doc.no_controls_evaluated"),
                }];
            }
            let mut out = vec![table(
                vec![w.t("doc.c.title"), w.t("doc.c.outcome")],
                &[6, 2],
                rows,
            )];
            if !s.controls.not_evaluated.is_empty() {
                out.push(note(w.tr(
                    "doc.controls_not_evaluated",
                    &[("n", s.controls.not_evaluated.len().to_string())],
                )));
            }
            out
        }
        "exceptions" => {
            let rows: Vec<Vec<String>> = i
                .scan
                .suppressed
                .iter()
                .map(|f| {
                    vec![
                        rule_title(w, i, &f.rule_id, &f.message),
                        f.resource.address.clone(),
                        f.suppressed.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let mut out = vec![Block::Paragraph {
                text: w.tr(
                    "doc.exceptions_summary",
                    &[
                        ("suppressed", i.scan.suppressed.len().to_string()),
                        ("baselined", i.scan.baselined.len().to_string()),
                        ("unknown", i.scan.unknown.len().to_string()),
                    ],
                ),
            }];
            if !rows.is_empty() {
                out.push(table(
                    vec![
                        w.t("doc.c.rule"),
                        w.t("doc.c.resource"),
                        w.t("doc.c.reason"),
                    ],
                    &[4, 4, 5],
                    rows,
                ));
            }
            out
        }
        "input-errors" => {
            if i.scan.errors.is_empty() {
                return vec![Block::Paragraph {
                    text: w.t("doc.no_input_errors"),
                }];
            }
            let rows = i
                .scan
                .errors
                .iter()
                .map(|e| {
                    let at = match e.line {
                        Some(l) => format!("{}:{l}", e.file),
                        None => e.file.clone(),
                    };
                    vec![at, e.message.clone()]
                })
                .collect();
            vec![table(
                vec![w.t("doc.c.file"), w.t("doc.c.problem")],
                &[4, 8],
                rows,
            )]
        }
        "sign-review" => vec![Block::Signatures {
            seats: vec![seat(w, "doc.seat.reviewer", "")],
        }],
        other => {
            debug_assert!(false, "block {other} of the scan report has no builder");
            vec![note(format!("[{other}]"))]
        }
    }
}
