//! Fills a kind's template from the engagement: every block the template names becomes
//! headings, paragraphs, tables and charts of the document model, in the reader's
//! language. Ids never reach the page: every value is looked up in the content or the
//! message table.

use chrono::NaiveDate;
use cloudward_domain::check::{self, Report};
use cloudward_domain::engagement::{EngagementFile, Phase};
use cloudward_domain::i18n::Messages;
use cloudward_domain::load::Content;
use cloudward_domain::regions::Jurisdiction;
use cloudward_domain::responsibility::{Actor, Matrix, Override};
use cloudward_domain::workflow::{self, ExitRecord};
use cloudward_domain::{Lang, ProtectionLevel};

use crate::kinds::Kind;
use crate::model::{Bar, Block, Document, Meta, Seat};
use crate::templates::{self, Template, Templates};

/// Everything a document is made from.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub file: &'a EngagementFile,
    /// The engagement checked on `date`.
    pub report: &'a Report,
    pub content: &'a Content,
    pub messages: &'a Messages,
    /// The engagement's version (see [`Meta::version`]).
    pub version: String,
    pub date: NaiveDate,
    /// The exit record, for the exit documents.
    pub exit: Option<&'a ExitRecord>,
    /// The supervision over a period, for the supervision report.
    pub supervision: Option<crate::supervision::Supervision<'a>>,
    /// See [`Meta::reference`].
    pub reference: Option<String>,
}

struct Ctx<'a> {
    i: &'a Inputs<'a>,
    lang: Lang,
}

/// The words every builder needs: messages, catalog names and dates in the reader's
/// language.
#[derive(Clone, Copy)]
pub(crate) struct Words<'a> {
    pub messages: &'a Messages,
    pub content: &'a Content,
    pub lang: Lang,
}

impl Words<'_> {
    pub fn t(&self, key: &str) -> String {
        self.messages.text(key, self.lang)
    }

    pub fn tr(&self, key: &str, args: &[(&str, String)]) -> String {
        self.messages.render(key, self.lang, args)
    }

    pub fn level(&self, level: ProtectionLevel) -> String {
        self.t(&format!("level.{}", level.id()))
    }

    pub fn date(&self, d: NaiveDate) -> String {
        match self.lang {
            Lang::Zh => d.format("%Y年%-m月%-d日").to_string(),
            Lang::En => d.format("%-d %B %Y").to_string(),
        }
    }

    /// A control as a reader knows it: its number and title.
    pub fn control(&self, id: &str) -> String {
        match self.content.catalog.control(id) {
            Some(c) => format!("{} {}", c.id, c.title.get(self.lang)),
            None => id.to_owned(),
        }
    }

    /// A control family by its name.
    pub fn family(&self, id: &str) -> String {
        self.content
            .catalog
            .family(id)
            .map(|f| f.name.get(self.lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    }

    pub fn phase(&self, id: &str) -> String {
        self.content
            .guide
            .phase(id)
            .map(|p| p.name.get(self.lang).to_owned())
            .unwrap_or_else(|| self.t("phase.closed"))
    }

    /// The cover lines every document has: clause, phase, version and date.
    pub fn cover(
        &self,
        kind: Kind,
        version_key: &str,
        version: &str,
        date: NaiveDate,
    ) -> Vec<(String, String)> {
        vec![
            (
                self.t("doc.cover.clause"),
                self.tr(
                    "doc.cover.clause_value",
                    &[("clause", kind.clause().to_owned())],
                ),
            ),
            (self.t("doc.cover.phase"), self.phase(kind.phase())),
            (self.t(version_key), version.to_owned()),
            (self.t("doc.cover.date"), self.date(date)),
        ]
    }
}

impl Ctx<'_> {
    fn w(&self) -> Words<'_> {
        Words {
            messages: self.i.messages,
            content: self.i.content,
            lang: self.lang,
        }
    }

    fn t(&self, key: &str) -> String {
        self.w().t(key)
    }

    fn tr(&self, key: &str, args: &[(&str, String)]) -> String {
        self.w().tr(key, args)
    }

    fn level(&self, level: ProtectionLevel) -> String {
        self.w().level(level)
    }

    fn yes_no(&self, value: bool) -> String {
        self.t(if value { "doc.yes" } else { "doc.no" })
    }

    fn actor(&self, a: Actor) -> String {
        self.t(&format!("actor.{}", a.id()))
    }

    fn number(&self, v: f64) -> String {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        }
    }

    fn date(&self, d: NaiveDate) -> String {
        self.w().date(d)
    }

    fn provider_name(&self) -> String {
        self.i
            .file
            .provider
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| self.t("doc.not_chosen"))
    }

    fn offering(&self) -> String {
        self.i
            .file
            .provider
            .as_ref()
            .map(|p| p.offering.clone())
            .unwrap_or_else(|| self.t("doc.not_chosen"))
    }

    fn placeholders(&self) -> Vec<(&'static str, String)> {
        vec![
            ("system", self.i.file.name.clone()),
            ("customer", self.i.file.customer.clone()),
            ("provider", self.provider_name()),
            ("offering", self.offering()),
            ("level", self.level(self.i.report.level)),
            ("date", self.date(self.i.date)),
            ("version", self.i.version.clone()),
            (
                "period",
                match &self.i.supervision {
                    Some(s) => crate::supervision::period(self.w(), s.data),
                    None => self.date(self.i.date),
                },
            ),
        ]
    }

    fn clause_name(&self, id: &str) -> String {
        self.i
            .content
            .guide
            .clause(id)
            .map(|c| c.name.get(self.lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    }

    fn activity_name(&self, id: &str) -> String {
        self.i
            .content
            .guide
            .activity(id)
            .map(|a| a.name.get(self.lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    }

    fn control_name(&self, id: &str) -> String {
        self.w().control(id)
    }

    fn output_name(&self, id: &str) -> String {
        self.i
            .content
            .guide
            .output(id)
            .map(|o| o.name.get(self.lang).to_owned())
            .unwrap_or_else(|| id.to_owned())
    }
}

/// Builds the document of `kind` in `lang`. `None` when the templates lack the kind
/// (loaded templates always have every kind: see [`templates::load`]).
pub fn build(kind: Kind, templates: &Templates, inputs: &Inputs, lang: Lang) -> Option<Document> {
    let cx = Ctx { i: inputs, lang };
    let values = cx.placeholders();
    let template = templates.kinds.get(&kind)?;
    let blocks = sections(template, lang, &values, |name| block(&cx, kind, name));
    let file = inputs.file;
    let cover = cx
        .w()
        .cover(kind, "doc.cover.version", &inputs.version, inputs.date);
    Some(assemble(
        templates,
        template,
        lang,
        &values,
        Frame {
            subtitle: format!("{} · {}", file.name, file.customer),
            cover,
            contents_title: cx.t("doc.contents"),
            blocks,
            meta: Meta {
                kind: kind.id().to_owned(),
                engagement: file.name.clone(),
                customer: file.customer.clone(),
                version: inputs.version.clone(),
                date: inputs.date.format("%Y-%m-%d").to_string(),
                output: kind.output().map(str::to_owned),
                reference: inputs.reference.clone(),
            },
        },
    ))
}

/// The template's sections as blocks: each heading, its paragraphs with the placeholders
/// filled in, and the named blocks of data `block` makes.
pub(crate) fn sections(
    template: &Template,
    lang: Lang,
    values: &[(&str, String)],
    mut block: impl FnMut(&str) -> Vec<Block>,
) -> Vec<Block> {
    let mut blocks = Vec::new();
    for section in &template.sections {
        if let Some(h) = &section.heading {
            blocks.push(Block::Heading {
                level: section.level,
                text: templates::fill(h, lang, values),
            });
        }
        if let Some(t) = &section.text {
            for para in templates::fill(t, lang, values).split("\n\n") {
                let para = para.trim();
                if !para.is_empty() {
                    blocks.push(Block::Paragraph {
                        text: para.to_owned(),
                    });
                }
            }
        }
        for name in &section.blocks {
            blocks.extend(block(name));
        }
    }
    blocks
}

/// A running header or footer without the parts a document has no value for (a scan
/// report has no customer): `" · system"` becomes `"system"`.
fn no_empty_parts(s: &str) -> String {
    s.split(" · ")
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What differs between the subjects of documents (an engagement, an assessment, a scan).
pub(crate) struct Frame {
    pub subtitle: String,
    pub cover: Vec<(String, String)>,
    pub contents_title: String,
    pub blocks: Vec<Block>,
    pub meta: Meta,
}

pub(crate) fn assemble(
    templates: &Templates,
    template: &Template,
    lang: Lang,
    values: &[(&str, String)],
    f: Frame,
) -> Document {
    Document {
        kind: f.meta.kind.clone(),
        lang: lang.code().to_owned(),
        title: template.title.get(lang).to_owned(),
        subtitle: f.subtitle,
        cover: f.cover,
        header: no_empty_parts(&templates::fill(&templates.style.header, lang, values)),
        footer: no_empty_parts(&templates::fill(&templates.style.footer, lang, values)),
        logo: templates.style.logo.clone(),
        logo_name: templates.style.logo.as_ref().map(|(n, _)| n.clone()),
        contents_title: template.contents.then_some(f.contents_title),
        blocks: f.blocks,
        meta: f.meta,
    }
}

fn phase_name(cx: &Ctx, id: &str) -> String {
    cx.w().phase(id)
}

pub(crate) fn facts(rows: Vec<(String, String)>) -> Block {
    Block::Facts { rows }
}

pub(crate) fn table(columns: Vec<String>, widths: &[u16], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        columns,
        widths: widths.to_vec(),
        rows,
    }
}

pub(crate) fn note(text: String) -> Block {
    Block::Note { text }
}

fn block(cx: &Ctx, kind: Kind, name: &str) -> Vec<Block> {
    if let Some(b) = crate::supervision::block(cx.w(), cx.i.supervision, name) {
        return b;
    }
    let file = cx.i.file;
    let report = cx.i.report;
    match name {
        "identity" => {
            let mut rows = vec![
                (cx.t("doc.f.system"), file.name.clone()),
                (cx.t("doc.f.customer"), file.customer.clone()),
                (cx.t("doc.f.phase"), phase_name(cx, file.phase.id())),
                (cx.t("doc.f.level"), cx.level(report.level)),
                (
                    cx.t("doc.f.category"),
                    cx.t(&format!("category.{}", file.service_category.id())),
                ),
                (
                    cx.t("doc.f.deployment"),
                    cx.t(&format!("deployment.{}", file.deployment_model.id())),
                ),
            ];
            if let Some(p) = &file.provider {
                rows.push((cx.t("doc.f.provider"), p.name.clone()));
                rows.push((cx.t("doc.f.offering"), p.offering.clone()));
            }
            if file.phase == Phase::Closed {
                rows[2].1 = cx.t("phase.closed");
            }
            vec![facts(rows)]
        }
        "parties" => {
            let mut rows = vec![(cx.t("doc.party.customer"), file.customer.clone())];
            rows.push((cx.t("doc.party.provider"), cx.provider_name()));
            if let Some(s) = &file.security_service_provider {
                let mut v = s.name.clone();
                if let Some(scope) = &s.scope {
                    v.push_str(&cx.tr("doc.party.scope", &[("scope", scope.clone())]));
                }
                rows.push((cx.t("doc.party.ssp"), v));
            }
            vec![facts(rows)]
        }
        "information" => {
            let rows = file
                .information
                .iter()
                .map(|i| {
                    let alone = cloudward_domain::classify::classify(&[*i], file.business)
                        .map(|r| cx.level(r.level))
                        .unwrap_or_default();
                    vec![cx.t(&format!("info.{}", i.id())), alone]
                })
                .collect();
            vec![
                table(
                    vec![cx.t("doc.c.information"), cx.t("doc.c.level_alone")],
                    &[3, 2],
                    rows,
                ),
                facts(vec![(
                    cx.t("doc.f.business"),
                    cx.t(&format!("business.{}", file.business.id())),
                )]),
            ]
        }
        "classification" => {
            let req = cloudward_domain::classify::classify(&file.information, file.business).ok();
            let models = req
                .as_ref()
                .map(|r| {
                    r.deployment_models
                        .iter()
                        .map(|m| cx.t(&format!("deployment.{}", m.id())))
                        .collect::<Vec<_>>()
                        .join(cx.t("doc.sep").as_str())
                })
                .unwrap_or_default();
            let infos = file
                .information
                .iter()
                .map(|i| cx.t(&format!("info.{}", i.id())))
                .collect::<Vec<_>>()
                .join(cx.t("doc.sep").as_str());
            let mut rows = vec![
                (cx.t("doc.f.information"), infos),
                (
                    cx.t("doc.f.business"),
                    cx.t(&format!("business.{}", file.business.id())),
                ),
                (cx.t("doc.f.level"), cx.level(report.level)),
                (cx.t("doc.f.models_allowed"), models),
                (
                    cx.t("doc.f.deployment"),
                    cx.t(&format!("deployment.{}", file.deployment_model.id())),
                ),
                (
                    cx.t("doc.f.deployment_allowed"),
                    cx.yes_no(report.deployment_allowed),
                ),
            ];
            if let Some(r) = &req {
                rows.insert(
                    3,
                    (
                        cx.t("doc.f.decisive"),
                        cx.t(&format!("info.{}", r.decisive.id())),
                    ),
                );
            }
            vec![facts(rows)]
        }
        "aspects" => {
            let answered = file.requirements.answered();
            let rows =
                cx.i.content
                    .guide
                    .aspects
                    .iter()
                    .enumerate()
                    .map(|(n, a)| {
                        vec![
                            format!("{}", n + 1),
                            a.name.get(cx.lang).to_owned(),
                            a.clause.clone(),
                            if answered.get(n).copied().unwrap_or(false) {
                                cx.t("doc.answered")
                            } else {
                                cx.t("doc.not_answered")
                            },
                        ]
                    })
                    .collect();
            vec![table(
                vec![
                    cx.t("doc.c.no"),
                    cx.t("doc.c.aspect"),
                    cx.t("doc.c.clause"),
                    cx.t("doc.c.status"),
                ],
                &[1, 6, 2, 2],
                rows,
            )]
        }
        "aspect-answers" => aspect_answers(cx),
        "analysis" => {
            let a = &report.analysis;
            let mut rows = vec![(
                cx.t("doc.f.priority"),
                a.migration_priority
                    .map(|p| {
                        cx.t(&format!(
                            "priority.{}",
                            serde_json::to_value(p)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        ))
                    })
                    .unwrap_or_else(|| cx.t("doc.not_known")),
            )];
            rows.push((
                cx.t("doc.f.portability_plan"),
                cx.yes_no(a.portability_plan_needed),
            ));
            let clauses = a
                .required_clauses
                .iter()
                .map(|c| cx.clause_name(c))
                .collect::<Vec<_>>();
            rows.push((
                cx.t("doc.f.required_clauses"),
                if clauses.is_empty() {
                    cx.t("doc.none")
                } else {
                    clauses.join(cx.t("doc.sep").as_str())
                },
            ));
            let mut out = vec![facts(rows)];
            let findings: Vec<String> = report
                .blockers
                .iter()
                .chain(&report.warnings)
                .chain(&report.recommendations)
                .filter(|f| f.code.starts_with("fit-") || f.code.starts_with("aspect"))
                .map(|f| f.message(cx.i.content, cx.i.messages, cx.lang))
                .collect();
            if !findings.is_empty() {
                out.push(Block::Paragraph {
                    text: cx.t("doc.analysis_points"),
                });
                out.push(Block::List { items: findings });
            }
            out
        }
        "regions" => {
            let rows: Vec<Vec<String>> = report
                .analysis
                .regions
                .iter()
                .map(|r| {
                    vec![
                        r.region.clone(),
                        cx.t(match r.jurisdiction {
                            Jurisdiction::Mainland => "doc.jur.mainland",
                            Jurisdiction::Outside => "doc.jur.outside",
                            Jurisdiction::Unknown => "doc.jur.unknown",
                        }),
                    ]
                })
                .collect();
            if rows.is_empty() {
                vec![note(cx.t("doc.no_regions"))]
            } else {
                vec![table(
                    vec![cx.t("doc.c.region"), cx.t("doc.c.jurisdiction")],
                    &[2, 3],
                    rows,
                )]
            }
        }
        "recommendation" => {
            let mut rows = vec![
                (
                    cx.t("doc.f.category"),
                    cx.t(&format!("category.{}", file.service_category.id())),
                ),
                (
                    cx.t("doc.f.deployment"),
                    cx.t(&format!("deployment.{}", file.deployment_model.id())),
                ),
                (
                    cx.t("doc.f.deployment_allowed"),
                    cx.yes_no(report.deployment_allowed),
                ),
            ];
            if let Some(r) = file
                .requirements
                .service_category
                .as_ref()
                .and_then(|a| a.rationale.clone())
            {
                rows.push((cx.t("doc.f.category_rationale"), r));
            }
            if let Some(r) = file
                .requirements
                .deployment_model
                .as_ref()
                .and_then(|a| a.rationale.clone())
            {
                rows.push((cx.t("doc.f.deployment_rationale"), r));
            }
            let mut out = vec![facts(rows)];
            if !report.blockers.is_empty() {
                out.push(Block::Paragraph {
                    text: cx.t("doc.blockers"),
                });
                out.push(Block::List {
                    items: report
                        .blockers
                        .iter()
                        .map(|f| f.message(cx.i.content, cx.i.messages, cx.lang))
                        .collect(),
                });
            }
            out
        }
        "benefit-cost" => {
            let Some(b) = &file.requirements.benefit_cost else {
                return vec![note(cx.t("doc.no_benefit_cost"))];
            };
            let mut rows = Vec::new();
            let mut bars = Vec::new();
            for (key, v) in [
                ("ui.req.current_annual_cost", b.current_annual_cost),
                ("ui.req.cloud_annual_cost", b.cloud_annual_cost),
                ("ui.req.migration_cost", b.migration_cost),
            ] {
                if let Some(v) = v {
                    rows.push((cx.t(key), cx.number(v)));
                    bars.push(Bar {
                        label: cx.t(key),
                        value: v,
                        shown: cx.number(v),
                        tone: "neutral",
                    });
                }
            }
            if let (Some(now), Some(cloud), Some(mig)) =
                (b.current_annual_cost, b.cloud_annual_cost, b.migration_cost)
            {
                let saving = now - cloud;
                rows.push((cx.t("doc.f.yearly_saving"), cx.number(saving)));
                rows.push((
                    cx.t("doc.f.payback"),
                    if saving > 0.0 {
                        cx.tr("doc.years", &[("n", format!("{:.1}", mig / saving))])
                    } else {
                        cx.t("doc.no_payback")
                    },
                ));
            }
            if let Some(text) = &b.benefits {
                rows.push((cx.t("doc.f.benefits"), text.clone()));
            }
            let mut out = vec![facts(rows)];
            if bars.len() > 1 {
                out.push(Block::Bars {
                    title: cx.t("doc.chart.cost"),
                    bars,
                });
            }
            out
        }
        "risk-chart" => {
            let mut counts = [0usize; 4];
            for r in &report.risks {
                let i = match r.residual_rating.or(r.rating) {
                    Some(check::Rating::High) => 0,
                    Some(check::Rating::Medium) => 1,
                    Some(check::Rating::Low) => 2,
                    None => 3,
                };
                counts[i] += 1;
            }
            let labels = [
                ("doc.risk.high", "bad"),
                ("doc.risk.medium", "warn"),
                ("doc.risk.low", "good"),
                ("doc.risk.unassessed", "neutral"),
            ];
            vec![Block::Bars {
                title: cx.t("doc.chart.risks"),
                bars: labels
                    .iter()
                    .zip(counts)
                    .map(|((key, tone), n)| Bar {
                        label: cx.t(key),
                        value: n as f64,
                        shown: n.to_string(),
                        tone,
                    })
                    .collect(),
            }]
        }
        "risks" => risks(cx, None),
        "exit-risks" => risks(cx, Some(&["R6", "R7"])),
        "exit-summary" | "portability" => {
            let mut rows = Vec::new();
            if let Some(p) = &file.requirements.portability {
                if let Some(v) = p.data_volume_tb {
                    rows.push((cx.t("ui.req.data_volume_tb"), cx.number(v)));
                }
                rows.push((
                    cx.t("doc.f.proprietary"),
                    if p.proprietary_services.is_empty() {
                        cx.t("doc.none")
                    } else {
                        p.proprietary_services.join(cx.t("doc.sep").as_str())
                    },
                ));
                if let Some(v) = p.open_formats {
                    rows.push((cx.t("ui.req.open_formats"), cx.yes_no(v)));
                }
                if let Some(v) = p.exit_plan {
                    rows.push((cx.t("ui.req.exit_plan"), cx.yes_no(v)));
                }
            }
            if let Some(o) = file.lifecycle.outputs.get("exit-plan") {
                rows.push((cx.t("doc.f.exit_plan_ref"), o.reference.clone()));
            }
            if rows.is_empty() {
                vec![note(cx.t("doc.no_portability"))]
            } else {
                vec![facts(rows)]
            }
        }
        "exit-clauses" => {
            let ids = ["exit-return", "exit-deletion", "data-ownership"];
            let rows = ids
                .iter()
                .map(|id| {
                    let c = file.contract.get(*id);
                    vec![
                        cx.clause_name(id),
                        cx.yes_no(c.is_some_and(|c| c.present)),
                        c.and_then(|c| c.reference.clone()).unwrap_or_default(),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    cx.t("doc.c.clause_name"),
                    cx.t("doc.c.in_contract"),
                    cx.t("doc.c.reference"),
                ],
                &[4, 2, 3],
                rows,
            )]
        }
        "exit-steps" => {
            let Some(phase) = cx.i.content.guide.phase("exit") else {
                return vec![];
            };
            let rows = phase
                .activities
                .iter()
                .enumerate()
                .map(|(n, a)| {
                    vec![
                        format!("{}", n + 1),
                        a.name.get(cx.lang).to_owned(),
                        a.description.get(cx.lang).to_owned(),
                        a.outputs
                            .iter()
                            .map(|o| cx.output_name(o))
                            .collect::<Vec<_>>()
                            .join(cx.t("doc.sep").as_str()),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    cx.t("doc.c.no"),
                    cx.t("doc.c.step"),
                    cx.t("doc.c.what"),
                    cx.t("doc.c.output"),
                ],
                &[1, 3, 7, 3],
                rows,
            )]
        }
        "control-chart" => {
            let mut bars = Vec::new();
            for fam in &cx.i.content.catalog.families {
                let n =
                    cx.i.content
                        .catalog
                        .applicable(report.level)
                        .filter(|c| c.family == fam.id)
                        .count();
                if n > 0 {
                    bars.push(Bar {
                        label: fam.name.get(cx.lang).to_owned(),
                        value: n as f64,
                        shown: n.to_string(),
                        tone: "neutral",
                    });
                }
            }
            vec![Block::Bars {
                title: cx.t("doc.chart.controls"),
                bars,
            }]
        }
        "controls" => {
            let mut out = Vec::new();
            let total = cx.i.content.catalog.applicable(report.level).count();
            out.push(Block::Paragraph {
                text: cx.tr(
                    "doc.controls_intro",
                    &[("n", total.to_string()), ("level", cx.level(report.level))],
                ),
            });
            for fam in &cx.i.content.catalog.families {
                let rows: Vec<Vec<String>> =
                    cx.i.content
                        .catalog
                        .applicable(report.level)
                        .filter(|c| c.family == fam.id)
                        .map(|c| {
                            vec![
                                c.id.clone(),
                                c.title.get(cx.lang).to_owned(),
                                cx.level(c.level),
                                cx.t(&format!(
                                    "party.{}",
                                    c.parties.get(file.service_category).id()
                                )),
                            ]
                        })
                        .collect();
                if rows.is_empty() {
                    continue;
                }
                out.push(Block::Heading {
                    level: 2,
                    text: fam.name.get(cx.lang).to_owned(),
                });
                out.push(table(
                    vec![
                        cx.t("doc.c.control"),
                        cx.t("doc.c.title"),
                        cx.t("doc.c.from_level"),
                        cx.t("doc.c.implemented_by"),
                    ],
                    &[2, 7, 2, 2],
                    rows,
                ));
            }
            out
        }
        "matrix" => {
            let matrix = matrix(cx);
            let rows = matrix
                .elements
                .iter()
                .map(|e| {
                    let layer =
                        cx.i.content
                            .matrix
                            .layer(&e.layer)
                            .map(|l| l.name.get(cx.lang).to_owned())
                            .unwrap_or_else(|| e.layer.clone());
                    let family =
                        cx.i.content
                            .catalog
                            .family(&e.family)
                            .map(|f| f.name.get(cx.lang).to_owned())
                            .unwrap_or_else(|| e.family.clone());
                    let shared = e.assignment.parties.len() > 1;
                    let mut row = vec![layer, family];
                    for a in Actor::ALL {
                        row.push(if !e.assignment.parties.contains(&a) {
                            "—".to_owned()
                        } else if shared {
                            cx.t("doc.shared")
                        } else {
                            cx.t("doc.responsible")
                        });
                    }
                    row
                })
                .collect();
            let mut columns = vec![cx.t("doc.c.layer"), cx.t("doc.c.family")];
            columns.extend(Actor::ALL.iter().map(|a| cx.actor(*a)));
            vec![table(columns, &[3, 4, 2, 2, 2], rows)]
        }
        "splits" => {
            let matrix = matrix(cx);
            let rows: Vec<Vec<String>> = matrix
                .elements
                .iter()
                .filter(|e| e.assignment.parties.len() > 1 || !e.assignment.parts.is_empty())
                .map(|e| {
                    let family =
                        cx.i.content
                            .catalog
                            .family(&e.family)
                            .map(|f| f.name.get(cx.lang).to_owned())
                            .unwrap_or_else(|| e.family.clone());
                    let layer =
                        cx.i.content
                            .matrix
                            .layer(&e.layer)
                            .map(|l| l.name.get(cx.lang).to_owned())
                            .unwrap_or_else(|| e.layer.clone());
                    let parts = if e.assignment.is_ambiguous() {
                        cx.t("check.split_missing")
                    } else {
                        e.assignment
                            .parts
                            .iter()
                            .map(|(a, t)| format!("{}：{}", cx.actor(*a), t.get(cx.lang)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    vec![format!("{layer} / {family}"), parts]
                })
                .collect();
            if rows.is_empty() {
                vec![note(cx.t("doc.no_splits"))]
            } else {
                vec![table(
                    vec![cx.t("doc.c.element"), cx.t("doc.c.parts")],
                    &[3, 7],
                    rows,
                )]
            }
        }
        "contract" => {
            let rows = report
                .contract
                .iter()
                .map(|item| {
                    vec![
                        cx.clause_name(&item.id),
                        cx.yes_no(item.required),
                        cx.yes_no(item.present),
                        item.reference.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    cx.t("doc.c.clause_name"),
                    cx.t("doc.c.required"),
                    cx.t("doc.c.in_contract"),
                    cx.t("doc.c.reference"),
                ],
                &[5, 2, 2, 3],
                rows,
            )]
        }
        "basic-requirements" => {
            let rows = report
                .basic_requirements
                .iter()
                .map(|item| {
                    let name =
                        cx.i.content
                            .guide
                            .basic_requirements
                            .iter()
                            .find(|b| b.id == item.id)
                            .map(|b| b.name.get(cx.lang).to_owned())
                            .unwrap_or_else(|| item.id.clone());
                    vec![
                        name,
                        cx.yes_no(item.present),
                        item.reference.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    cx.t("doc.c.requirement"),
                    cx.t("doc.c.in_contract"),
                    cx.t("doc.c.reference"),
                ],
                &[5, 2, 3],
                rows,
            )]
        }
        "scope" => {
            let Some(exit) = cx.i.exit else {
                return vec![note(cx.t("doc.no_exit"))];
            };
            if exit.scope.is_empty() {
                return vec![note(cx.t("doc.no_scope"))];
            }
            let rows = exit
                .scope
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    vec![
                        format!("{}", n + 1),
                        s.name.clone(),
                        cx.t(if s.kind == "metadata" {
                            "doc.scope.metadata"
                        } else {
                            "doc.scope.data"
                        }),
                        cx.yes_no(s.returned),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    cx.t("doc.c.no"),
                    cx.t("doc.c.item"),
                    cx.t("doc.c.item_kind"),
                    cx.t("doc.c.returned"),
                ],
                &[1, 6, 2, 2],
                rows,
            )]
        }
        "manifest-summary" | "manifest" => manifest(cx, name == "manifest"),
        "attestation" => {
            let Some(exit) = cx.i.exit else {
                return vec![note(cx.t("doc.no_exit"))];
            };
            let Some(a) = &exit.attestation else {
                return vec![note(cx.t("doc.no_attestation"))];
            };
            let covers: Vec<String> = a
                .covers
                .iter()
                .map(|c| {
                    let key = format!("doc.cover_item.{c}");
                    let t = cx.t(&key);
                    if t == key { c.clone() } else { t }
                })
                .collect();
            let missing: Vec<String> = workflow::DELETION_MUST_COVER
                .iter()
                .filter(|c| !a.covers.contains(**c))
                .map(|c| cx.t(&format!("doc.cover_item.{c}")))
                .collect();
            let mut rows = vec![
                (cx.t("doc.f.statement"), a.statement.clone()),
                (cx.t("doc.f.deleted_on"), cx.date(a.date)),
                (cx.t("doc.f.covers"), covers.join(cx.t("doc.sep").as_str())),
            ];
            if !a.evidence.is_empty() {
                rows.push((
                    cx.t("doc.f.evidence"),
                    a.evidence.join(cx.t("doc.sep").as_str()),
                ));
            }
            rows.push((
                cx.t("doc.f.confirmed"),
                match (&exit.confirmed_by, &exit.confirmed_at) {
                    (Some(by), Some(at)) => cx.tr(
                        "doc.confirmed_by",
                        &[("by", by.clone()), ("at", at.chars().take(10).collect())],
                    ),
                    _ => cx.t("doc.not_confirmed"),
                },
            ));
            let mut out = vec![facts(rows)];
            if !missing.is_empty() {
                out.push(note(cx.tr(
                    "doc.attestation_incomplete",
                    &[("missing", missing.join(cx.t("doc.sep").as_str()))],
                )));
            }
            out
        }
        "exit-status" => {
            let Some(exit) = cx.i.exit else {
                return vec![note(cx.t("doc.no_exit"))];
            };
            let blockers = workflow::exit_blockers(exit);
            let steps = [
                ("exit-no-plan", "doc.exit.plan"),
                ("exit-no-scope", "doc.exit.scope"),
                ("exit-data-not-returned", "doc.exit.returned"),
                ("exit-integrity-not-verified", "doc.exit.verified"),
                ("exit-integrity-failed", "doc.exit.integrity"),
                ("exit-no-deletion-attestation", "doc.exit.attested"),
                ("exit-deletion-incomplete", "doc.exit.complete"),
                ("exit-deletion-not-confirmed", "doc.exit.confirmed"),
            ];
            let rows = steps
                .iter()
                .map(|(code, key)| {
                    vec![
                        cx.t(key),
                        if blockers.contains(code) {
                            cx.t("doc.open")
                        } else {
                            cx.t("doc.done")
                        },
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![cx.t("doc.c.condition"), cx.t("doc.c.status")],
                &[6, 2],
                rows,
            )];
            out.push(Block::Paragraph {
                text: if blockers.is_empty() {
                    cx.t("doc.exit.can_close")
                } else {
                    cx.t("doc.exit.cannot_close")
                },
            });
            out
        }
        "outputs" => {
            let rows: Vec<Vec<String>> =
                cx.i.content
                    .guide
                    .phases
                    .iter()
                    .flat_map(|p| p.outputs.iter().map(move |o| (p, o)))
                    .map(|(p, o)| {
                        let rec = file.lifecycle.outputs.get(&o.id);
                        vec![
                            p.name.get(cx.lang).to_owned(),
                            o.name.get(cx.lang).to_owned(),
                            rec.map(|r| r.reference.clone())
                                .unwrap_or_else(|| cx.t("doc.missing")),
                            rec.and_then(|r| r.date)
                                .map(|d| cx.date(d))
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
            vec![table(
                vec![
                    cx.t("doc.c.phase"),
                    cx.t("doc.c.output"),
                    cx.t("doc.c.reference"),
                    cx.t("doc.c.date"),
                ],
                &[3, 4, 4, 2],
                rows,
            )]
        }
        "sign-customer" => vec![Block::Signatures {
            seats: vec![seat(cx.w(), "doc.seat.customer", &file.customer)],
        }],
        "sign-approval" => vec![Block::Signatures {
            seats: vec![
                seat(cx.w(), "doc.seat.preparer", &file.customer),
                seat(cx.w(), "doc.seat.approver", &file.customer),
            ],
        }],
        "sign-contract" => {
            let mut seats = vec![
                seat(cx.w(), "doc.seat.party_a", &file.customer),
                seat(cx.w(), "doc.seat.party_b", &cx.provider_name()),
            ];
            if let Some(s) = &file.security_service_provider {
                seats.push(seat(cx.w(), "doc.seat.ssp", &s.name));
            }
            vec![Block::Signatures { seats }]
        }
        "sign-exit" => vec![Block::Signatures {
            seats: vec![
                seat(cx.w(), "doc.seat.customer", &file.customer),
                seat(cx.w(), "doc.seat.provider", &cx.provider_name()),
            ],
        }],
        other => {
            // Templates are validated against `Kind::blocks`, so this is a defect: say so
            // on the page rather than drop the section silently.
            debug_assert!(false, "block {other} of {} has no builder", kind.id());
            vec![note(format!("[{other}]"))]
        }
    }
}

pub(crate) fn seat(w: Words, role: &str, name: &str) -> Seat {
    Seat {
        role: w.t(role),
        name: name.to_owned(),
        sign: w.t("doc.seat.sign"),
        seal: w.t("doc.seat.seal"),
        date: w.t("doc.seat.date"),
    }
}

fn matrix(cx: &Ctx) -> Matrix {
    let overrides: Vec<Override> =
        cx.i.file
            .responsibility
            .iter()
            .map(check::to_override)
            .collect();
    Matrix::build(&cx.i.content.matrix, cx.i.file.service_category, &overrides)
}

fn risks(cx: &Ctx, only: Option<&[&str]>) -> Vec<Block> {
    let rating = |r: Option<check::Rating>| match r {
        Some(check::Rating::High) => cx.t("doc.risk.high"),
        Some(check::Rating::Medium) => cx.t("doc.risk.medium"),
        Some(check::Rating::Low) => cx.t("doc.risk.low"),
        None => cx.t("doc.risk.unassessed"),
    };
    let entries = &cx.i.file.risks;
    let rows =
        cx.i.report
            .risks
            .iter()
            .filter(|r| only.is_none_or(|ids| ids.contains(&r.id.as_str())))
            .map(|r| {
                let name = r
                    .name
                    .as_ref()
                    .map(|t| t.get(cx.lang).to_owned())
                    .or_else(|| {
                        entries
                            .iter()
                            .find(|e| e.id.value == r.id)
                            .and_then(|e| e.name.clone())
                    })
                    .unwrap_or_else(|| r.id.clone());
                let score = match (r.score, r.rating) {
                    (Some(s), rt) => format!("{s} · {}", rating(rt)),
                    _ => rating(None),
                };
                let residual = match (r.residual_score, r.residual_rating) {
                    (Some(s), rt) => format!("{s} · {}", rating(rt)),
                    _ => "—".to_owned(),
                };
                let treatment = entries
                    .iter()
                    .find(|e| e.id.value == r.id)
                    .map(|e| {
                        let mut parts: Vec<String> = Vec::new();
                        parts.extend(e.treatment.controls.iter().map(|c| cx.control_name(c)));
                        parts.extend(e.treatment.clauses.iter().map(|c| cx.clause_name(c)));
                        parts.extend(e.treatment.activities.iter().map(|a| cx.activity_name(a)));
                        parts.join("\n")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| cx.t("doc.untreated"));
                vec![name, score, treatment, residual]
            })
            .collect();
    vec![
        table(
            vec![
                cx.t("doc.c.risk"),
                cx.t("doc.c.score"),
                cx.t("doc.c.treatment"),
                cx.t("doc.c.residual"),
            ],
            &[4, 2, 6, 2],
            rows,
        ),
        note(cx.t("doc.risk_scale")),
    ]
}

fn manifest(cx: &Ctx, full: bool) -> Vec<Block> {
    let Some(exit) = cx.i.exit else {
        return vec![note(cx.t("doc.no_exit"))];
    };
    let (Some(sent), Some(received)) = (&exit.provider_manifest, &exit.customer_manifest) else {
        return vec![note(cx.t("doc.no_manifests"))];
    };
    let c = workflow::compare_manifests(sent, received);
    if !full {
        let mut out = vec![facts(vec![
            (cx.t("doc.f.files_sent"), sent.len().to_string()),
            (cx.t("doc.f.files_received"), received.len().to_string()),
            (cx.t("doc.f.matched"), c.matched.to_string()),
            (cx.t("doc.f.missing"), c.missing.len().to_string()),
            (cx.t("doc.f.mismatched"), c.mismatched.len().to_string()),
            (cx.t("doc.f.unexpected"), c.unexpected.len().to_string()),
        ])];
        out.push(Block::Paragraph {
            text: cx.t(if c.verified() {
                "doc.manifest_verified"
            } else {
                "doc.manifest_failed"
            }),
        });
        return out;
    }
    let mut paths: Vec<&String> = sent.keys().chain(received.keys()).collect();
    paths.sort();
    paths.dedup();
    let rows = paths
        .into_iter()
        .map(|p| {
            let s = sent.get(p);
            let r = received.get(p);
            let outcome = match (s, r) {
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => cx.t("doc.file.matched"),
                (Some(_), Some(_)) => cx.t("doc.file.mismatched"),
                (Some(_), None) => cx.t("doc.file.missing"),
                (None, _) => cx.t("doc.file.unexpected"),
            };
            let short = |h: Option<&String>| {
                h.map(|h| h.chars().take(16).collect::<String>())
                    .unwrap_or_else(|| "—".to_owned())
            };
            vec![p.clone(), short(s), short(r), outcome]
        })
        .collect();
    vec![
        table(
            vec![
                cx.t("doc.c.file"),
                cx.t("doc.c.sent_hash"),
                cx.t("doc.c.received_hash"),
                cx.t("doc.c.outcome"),
            ],
            &[5, 3, 3, 2],
            rows,
        ),
        note(cx.t("doc.hash_note")),
    ]
}

fn aspect_answers(cx: &Ctx) -> Vec<Block> {
    let r = &cx.i.file.requirements;
    let choice = |v: Option<String>| v.map(|v| cx.t(&format!("ui.req.choice.{v}")));
    let id = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_owned));
    let num = |v: Option<f64>| v.map(|v| cx.number(v));
    let yn = |v: Option<bool>| v.map(|v| cx.yes_no(v));
    let aspects = &cx.i.content.guide.aspects;
    let mut out = Vec::new();
    let mut section = |n: usize, rows: Vec<(&str, Option<String>)>| {
        let Some(a) = aspects.get(n) else { return };
        out.push(Block::Heading {
            level: 2,
            text: a.name.get(cx.lang).to_owned(),
        });
        let rows: Vec<(String, String)> = rows
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (cx.t(k), v)))
            .collect();
        if rows.is_empty() {
            out.push(note(cx.t("doc.not_answered_long")));
        } else {
            out.push(facts(rows));
        }
    };
    let sc = r.service_category.clone().unwrap_or_default();
    section(0, vec![("ui.req.rationale", sc.rationale)]);
    let dm = r.deployment_model.clone().unwrap_or_default();
    section(
        1,
        vec![
            (
                "ui.req.management_capability",
                choice(id(dm
                    .management_capability
                    .and_then(|c| serde_json::to_value(c).ok()))),
            ),
            ("ui.req.rationale", dm.rationale),
        ],
    );
    let fs = r.functional_stability.clone().unwrap_or_default();
    section(
        2,
        vec![
            (
                "ui.req.stability",
                choice(id(fs.stability.and_then(|c| serde_json::to_value(c).ok()))),
            ),
            (
                "ui.req.generality",
                choice(id(fs.generality.and_then(|c| serde_json::to_value(c).ok()))),
            ),
        ],
    );
    let dd = r.dynamic_demand.clone().unwrap_or_default();
    section(
        3,
        vec![
            (
                "ui.req.pattern",
                choice(id(dd.pattern.and_then(|c| serde_json::to_value(c).ok()))),
            ),
            ("ui.req.peak_to_base", num(dd.peak_to_base)),
        ],
    );
    let la = r.latency.clone().unwrap_or_default();
    section(
        4,
        vec![
            ("ui.req.tolerance_ms", num(la.tolerance_ms)),
            ("ui.req.expected_ms", num(la.expected_ms)),
        ],
    );
    let co = r.continuity.clone().unwrap_or_default();
    section(
        5,
        vec![
            ("ui.req.rto_hours", num(co.rto_hours)),
            ("ui.req.rpo_hours", num(co.rpo_hours)),
            ("ui.req.availability_percent", num(co.availability_percent)),
            (
                "ui.req.tolerable_outages_per_year",
                co.tolerable_outages_per_year.map(|v| v.to_string()),
            ),
        ],
    );
    let po = r.portability.clone().unwrap_or_default();
    section(
        6,
        vec![
            ("ui.req.data_volume_tb", num(po.data_volume_tb)),
            (
                "doc.f.proprietary",
                (!po.proprietary_services.is_empty())
                    .then(|| po.proprietary_services.join(cx.t("doc.sep").as_str())),
            ),
            ("ui.req.open_formats", yn(po.open_formats)),
            ("ui.req.exit_plan", yn(po.exit_plan)),
        ],
    );
    let dl = r.data_location.clone().unwrap_or_default();
    section(
        7,
        vec![
            (
                "doc.f.regions",
                (!dl.regions.is_empty()).then(|| {
                    dl.regions
                        .iter()
                        .map(|s| s.value.clone())
                        .collect::<Vec<_>>()
                        .join(cx.t("doc.sep").as_str())
                }),
            ),
            ("ui.req.cross_border_approval", dl.cross_border_approval),
        ],
    );
    let su = r.supervision.clone().unwrap_or_default();
    section(
        8,
        vec![
            ("ui.req.monitoring_interfaces", yn(su.monitoring_interfaces)),
            ("ui.req.log_query", yn(su.log_query)),
            ("ui.req.inspection", yn(su.inspection)),
        ],
    );
    let bc = r.benefit_cost.clone().unwrap_or_default();
    section(
        9,
        vec![
            ("ui.req.current_annual_cost", num(bc.current_annual_cost)),
            ("ui.req.cloud_annual_cost", num(bc.cloud_annual_cost)),
            ("ui.req.migration_cost", num(bc.migration_cost)),
            ("doc.f.benefits", bc.benefits),
        ],
    );
    out
}
