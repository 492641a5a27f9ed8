//! `check`: an engagement evaluated against the guide — protection requirement,
//! requirement analysis, responsibility matrix, basic requirements and contract,
//! "assess first, use after", risk register and lifecycle gates.
//!
//! Every rule produces a [`Finding`] with a stable code; its words come from the message
//! table (`finding.<code>`), so the same report renders in either language.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::ProtectionLevel;
use crate::catalog::ServiceCategory;
use crate::classify::{self, BusinessType, DeploymentModel, InfoType, Refusal};
use crate::engagement::{
    Capability, EngagementFile, Generality, LoadPattern, Phase, ResponsibilityOverride, Stability,
};
use crate::load::Content;
use crate::regions::Jurisdiction;
use crate::responsibility::{Actor, Assignment, Matrix, Override};
use crate::workflow;
use crate::{Lang, Text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Blocker,
    Warning,
    Info,
}

/// One result of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// Ids involved: aspects, clauses, elements, risks, outputs, regions …
    pub ids: Vec<String>,
    /// Values for the message's placeholders.
    #[serde(skip)]
    pub args: Vec<(&'static str, String)>,
    /// `cloudward` for a rule of ours rather than of the guide (the 等级保护 checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'static str>,
}

impl Finding {
    fn new(code: &'static str, severity: Severity) -> Finding {
        Finding {
            code,
            severity,
            ids: Vec::new(),
            args: Vec::new(),
            origin: None,
        }
    }
    /// A finding of cloudward's own rule, not the guide's.
    fn ours(mut self) -> Finding {
        self.origin = Some("cloudward");
        self
    }
    fn ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Finding {
        self.ids.extend(ids.into_iter().map(Into::into));
        self
    }
    fn arg(mut self, name: &'static str, value: impl ToString) -> Finding {
        self.args.push((name, value.to_string()));
        self
    }
    /// The message-table key of the finding.
    pub fn key(&self) -> String {
        format!("finding.{}", self.code)
    }

    /// The finding's message in `lang`, with every id among its arguments (levels,
    /// deployment models, service categories, contract clauses, basic requirements,
    /// aspects, matrix elements, the guide's risks, activities and outputs) named in words
    /// from the content; an id the content does not name (a risk of the engagement's own)
    /// stays as it is. The ids themselves are in [`Finding::ids`].
    pub fn message(
        &self,
        content: &Content,
        messages: &crate::i18n::Messages,
        lang: Lang,
    ) -> String {
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(name, value)| {
                (
                    *name,
                    named(self.code, name, value, content, messages, lang),
                )
            })
            .collect();
        messages.render(&self.key(), lang, &args)
    }
}

/// An argument of a finding in words: each id of a list (`a, b`) by its name.
fn named(
    code: &str,
    arg: &str,
    value: &str,
    content: &Content,
    messages: &crate::i18n::Messages,
    lang: Lang,
) -> String {
    let guide = &content.guide;
    let message = |key: String| messages.get(&key).map(|t| t.get(lang).to_owned());
    let clause = |id: &str| guide.clause(id).map(|c| c.name.get(lang).to_owned());
    let requirement = |id: &str| {
        guide
            .basic_requirements
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.name.get(lang).to_owned())
    };
    let name_of = |id: &str| -> Option<String> {
        match (arg, code) {
            ("level" | "assessed" | "needed", _) => message(format!("level.{id}")),
            ("model", _) => message(format!("deployment.{id}")),
            ("category", _) => message(format!("category.{id}")),
            ("clauses", _) => clause(id),
            ("aspects", _) => guide
                .aspects
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.name.get(lang).to_owned()),
            ("elements", _) => {
                let (layer, family) = id.split_once('/')?;
                let layer = content.matrix.layer(layer)?.name.get(lang);
                let family = content.catalog.family(family)?.name.get(lang);
                Some(format!("{layer}·{family}"))
            }
            ("reasons", _) => message(format!("category.{id}"))
                .or_else(|| message(format!("portability_reason.{id}"))),
            ("id", "basic-requirement-missing") => requirement(id),
            ("id", "clause-missing" | "clause-recommended") => clause(id),
            ("id", "no-reference") => clause(id).or_else(|| requirement(id)),
            ("id", "activity-missing") => guide.activity(id).map(|a| a.name.get(lang).to_owned()),
            ("id", "output-missing") => guide.output(id).map(|o| o.name.get(lang).to_owned()),
            ("id", c) if c.starts_with("risk-") => guide
                .risks
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.name.get(lang).to_owned()),
            _ => None,
        }
    };
    // Names may hold commas and enumeration marks themselves: the items are set apart by
    // semicolons.
    let separator = match lang {
        Lang::Zh => "；",
        Lang::En => "; ",
    };
    let list = matches!(arg, "clauses" | "aspects" | "elements" | "reasons");
    let ids: Vec<&str> = if list {
        value.split(", ").collect()
    } else {
        vec![value]
    };
    ids.iter()
        .map(|id| name_of(id).unwrap_or_else(|| (*id).to_owned()))
        .collect::<Vec<_>>()
        .join(separator)
}

/// A problem in the file that is not a finding but bad input (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// Dotted path of the field, e.g. `contract.data-locaton`.
    pub field: String,
    pub line: Option<u64>,
    /// Message-table key and its arguments.
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The file declares classified information: nothing is evaluated.
    Classified,
    Invalid(Vec<InputError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AspectStatus {
    pub id: String,
    pub answered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionStatus {
    pub region: String,
    pub jurisdiction: Jurisdiction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub aspects: Vec<AspectStatus>,
    pub migration_priority: Option<Priority>,
    pub portability_plan_needed: bool,
    /// Contract clauses the analysis makes necessary (on top of the level's).
    pub required_clauses: Vec<String>,
    pub regions: Vec<RegionStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponsibilitySummary {
    pub elements: usize,
    pub uncovered: Vec<String>,
    pub ambiguous: Vec<String>,
    pub security_service_provider: Vec<String>,
    pub overridden: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStatus {
    pub id: String,
    pub required: bool,
    pub present: bool,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentStatus {
    pub valid: bool,
    pub level: Option<ProtectionLevel>,
    pub passed: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub days_left: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Low,
    Medium,
    High,
}

/// A 5×5 score: high from 15, medium from 8.
pub fn rating(score: u8) -> Rating {
    match score {
        15.. => Rating::High,
        8..=14 => Rating::Medium,
        _ => Rating::Low,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskStatus {
    pub id: String,
    pub name: Option<Text>,
    pub assessed: bool,
    pub likelihood: Option<u8>,
    pub impact: Option<u8>,
    pub score: Option<u8>,
    pub rating: Option<Rating>,
    pub treated: bool,
    pub residual_score: Option<u8>,
    pub residual_rating: Option<Rating>,
    /// Clauses of the treatment that the contract does not (yet) carry.
    pub missing_clauses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LifecycleStatus {
    pub activities_done: Vec<String>,
    pub activities_missing: Vec<String>,
    pub outputs_present: Vec<String>,
    pub outputs_missing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub name: String,
    pub customer: String,
    pub checked_on: NaiveDate,
    pub level: ProtectionLevel,
    pub information: Vec<InfoType>,
    pub business: BusinessType,
    pub service_category: ServiceCategory,
    pub deployment_model: DeploymentModel,
    pub deployment_allowed: bool,
    pub phase: Phase,
    pub next_phase: Option<Phase>,
    pub blockers: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub recommendations: Vec<Finding>,
    pub analysis: Analysis,
    pub responsibility: ResponsibilitySummary,
    pub basic_requirements: Vec<ItemStatus>,
    pub contract: Vec<ItemStatus>,
    pub assessment: AssessmentStatus,
    pub risks: Vec<RiskStatus>,
    pub lifecycle: LifecycleStatus,
}

/// Collects findings by severity.
#[derive(Default)]
struct Findings {
    all: Vec<Finding>,
}

impl Findings {
    fn push(&mut self, f: Finding) {
        self.all.push(f);
    }
}

/// The line of `key:` in the YAML text, searching after `after` (1-based) if given.
fn key_line(source: &str, key: &str) -> Option<u64> {
    source
        .lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:")) || t.starts_with(&format!("\"{key}\":"))
        })
        .map(|i| i as u64 + 1)
}

fn value_line(source: &str, value: &str) -> Option<u64> {
    source
        .lines()
        .position(|l| l.contains(value))
        .map(|i| i as u64 + 1)
}

/// Checks that ids in the file exist and numbers are in range.
fn validate_input(file: &EngagementFile, source: &str, content: &Content) -> Vec<InputError> {
    let mut errors = Vec::new();
    let guide = &content.guide;
    let clause_ids: Vec<&str> = guide
        .contract_clauses
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let br_ids: Vec<&str> = guide
        .basic_requirements
        .iter()
        .map(|b| b.id.as_str())
        .collect();
    let activity_ids: Vec<&str> = guide
        .phases
        .iter()
        .flat_map(|p| &p.activities)
        .map(|a| a.id.as_str())
        .collect();
    let output_ids: Vec<&str> = guide
        .phases
        .iter()
        .flat_map(|p| &p.outputs)
        .map(|o| o.id.as_str())
        .collect();
    let control_ids: Vec<&str> = content
        .catalog
        .controls
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let element_ids: Vec<String> = content
        .matrix
        .element_ids()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let element_refs: Vec<&str> = element_ids.iter().map(String::as_str).collect();
    let clouds: Vec<&str> = content
        .regions
        .clouds
        .iter()
        .map(|c| c.id.as_str())
        .collect();

    // (field, line, value, accepted ids) of every id the file names.
    let mut ids: Vec<(String, Option<u64>, &str, &[&str])> = Vec::new();
    for id in file.contract.keys() {
        ids.push((
            format!("contract.{id}"),
            key_line(source, id),
            id,
            &clause_ids,
        ));
    }
    for id in file.basic_requirements.keys() {
        ids.push((
            format!("basic_requirements.{id}"),
            key_line(source, id),
            id,
            &br_ids,
        ));
    }
    for id in &file.lifecycle.activities {
        ids.push((
            "lifecycle.activities".into(),
            value_line(source, id),
            id,
            &activity_ids,
        ));
    }
    for id in file.lifecycle.outputs.keys() {
        ids.push((
            format!("lifecycle.outputs.{id}"),
            key_line(source, id),
            id,
            &output_ids,
        ));
    }
    if let Some(cloud) = file.provider.as_ref().and_then(|p| p.cloud.as_ref()) {
        ids.push((
            "provider.cloud".into(),
            key_line(source, "cloud"),
            cloud,
            &clouds,
        ));
    }
    for r in &file.risks {
        let field = format!("risks.{}.treatment", r.id.value);
        let line = Some(r.id.referenced.line());
        for c in &r.treatment.controls {
            ids.push((format!("{field}.controls"), line, c, &control_ids));
        }
        for c in &r.treatment.clauses {
            ids.push((format!("{field}.clauses"), line, c, &clause_ids));
        }
        for a in &r.treatment.activities {
            ids.push((format!("{field}.activities"), line, a, &activity_ids));
        }
    }
    for (field, line, value, accepted) in ids {
        if !accepted.contains(&value) {
            // Long lists (controls) are not spelt out; the hint names the closest.
            let shown = if accepted.len() > 30 {
                "AC-01 … PE-19".to_owned()
            } else {
                accepted.join(", ")
            };
            let args = vec![
                ("value", value.to_owned()),
                ("accepted", shown),
                ("hint", hint(value, accepted)),
            ];
            errors.push(InputError {
                field,
                line,
                key: "input.unknown_id",
                args,
            });
        }
    }

    if let Some(a) = file.provider.as_ref().and_then(|p| p.assessment.as_ref())
        && a.expires <= a.passed
    {
        let args = vec![
            ("passed", a.passed.to_string()),
            ("expires", a.expires.to_string()),
        ];
        errors.push(InputError {
            field: "provider.assessment.expires".into(),
            line: key_line(source, "expires"),
            key: "input.dates_out_of_order",
            args,
        });
    }
    if let Some(m) = &file.mlps
        && !(1..=5).contains(&m.level)
    {
        errors.push(InputError {
            field: "mlps.level".into(),
            line: key_line(source, "mlps").and_then(|_| {
                source
                    .lines()
                    .enumerate()
                    .skip_while(|(_, l)| !l.trim_start().starts_with("mlps:"))
                    .find(|(_, l)| l.trim_start().starts_with("level:"))
                    .map(|(n, _)| n as u64 + 1)
            }),
            key: "input.mlps_level",
            args: vec![("value", m.level.to_string())],
        });
    }
    for (i, o) in file.responsibility.iter().enumerate() {
        let field = format!("responsibility[{i}]");
        let line = Some(o.element.referenced.line());
        if !content.matrix.pattern_matches_any(&o.element.value) {
            let args = vec![
                ("value", o.element.value.clone()),
                ("hint", hint(&o.element.value, &element_refs)),
            ];
            errors.push(InputError {
                field: format!("{field}.element"),
                line,
                key: "input.unknown_element",
                args,
            });
        }
        let parties = override_parties(o);
        for actor in o.split.keys().filter(|a| !parties.contains(a)) {
            let args = vec![("party", actor.id().to_owned())];
            errors.push(InputError {
                field: format!("{field}.split"),
                line,
                key: "input.split_not_owner",
                args,
            });
        }
    }
    let mut seen = BTreeMap::new();
    for r in &file.risks {
        let field = format!("risks.{}", r.id.value);
        let line = Some(r.id.referenced.line());
        if let Some(first) = seen.insert(r.id.value.clone(), line) {
            let args = vec![
                ("value", r.id.value.clone()),
                ("first", first.unwrap_or(0).to_string()),
            ];
            errors.push(InputError {
                field: field.clone(),
                line,
                key: "input.duplicate",
                args,
            });
        }
        let is_seed = guide.risks.iter().any(|g| g.id == r.id.value);
        if !is_seed && r.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            let args = vec![("value", r.id.value.clone())];
            errors.push(InputError {
                field: field.clone(),
                line,
                key: "input.risk_needs_name",
                args,
            });
        }
        let residual = r.residual.iter().flat_map(|x| {
            [
                ("residual.likelihood", x.likelihood),
                ("residual.impact", x.impact),
            ]
        });
        for (name, v) in [("likelihood", r.likelihood), ("impact", r.impact)]
            .into_iter()
            .chain(residual)
        {
            if !(1..=5).contains(&v) {
                let args = vec![("value", v.to_string())];
                errors.push(InputError {
                    field: format!("{field}.{name}"),
                    line,
                    key: "input.score_range",
                    args,
                });
            }
        }
    }
    errors
}

/// "did you mean …" for a misspelt id, or nothing.
pub fn hint(value: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(value, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c.to_owned())
        .unwrap_or_default()
}

fn override_parties(o: &ResponsibilityOverride) -> Vec<Actor> {
    let mut parties: Vec<Actor> = Vec::new();
    if let Some(owner) = o.owner {
        parties.push(owner);
    }
    if let Some(list) = &o.parties {
        parties.extend(list.iter().copied());
    }
    if o.owner.is_none() && o.parties.is_none() {
        parties.extend(o.split.keys().copied());
    }
    let mut unique = Vec::new();
    for p in parties {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    unique
}

/// The matrix override an entry of the file stands for.
pub fn to_override(o: &ResponsibilityOverride) -> Override {
    let parties = override_parties(o);
    let parts = o
        .split
        .iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(a, text)| {
            (
                *a,
                Text {
                    zh: text.clone(),
                    en: text.clone(),
                },
            )
        })
        .collect();
    Override {
        pattern: o.element.value.clone(),
        assignment: Assignment { parties, parts },
    }
}

const ASPECTS: [&str; 10] = [
    "service-category",
    "deployment-model",
    "functional-stability",
    "dynamic-demand",
    "latency",
    "continuity",
    "portability",
    "data-location",
    "supervision",
    "benefit-cost",
];

/// Evaluates the engagement on `date`. `source` is the file's text, used to point input
/// errors at lines.
pub fn check(
    file: &EngagementFile,
    source: &str,
    content: &Content,
    date: NaiveDate,
) -> Result<Report, CheckError> {
    let req = match classify::classify(&file.information, file.business) {
        Ok(r) => r,
        Err(Refusal::Classified) => return Err(CheckError::Classified),
        Err(Refusal::NoInformation) => {
            return Err(CheckError::Invalid(vec![InputError {
                field: "information".into(),
                line: key_line(source, "information"),
                key: "input.empty_information",
                args: vec![],
            }]));
        }
    };
    let errors = validate_input(file, source, content);
    if !errors.is_empty() {
        return Err(CheckError::Invalid(errors));
    }
    let level = req.level;
    let phase = file.phase;
    let mut f = Findings::default();

    // 1. Protection requirement and deployment model.
    let allowed = match file.deployment_model {
        DeploymentModel::Hybrid => level != ProtectionLevel::Advanced,
        m => req.deployment_models.contains(&m),
    };
    if !allowed {
        f.push(
            Finding::new("deployment-not-allowed", Severity::Blocker)
                .ids([file.deployment_model.id()])
                .arg("model", file.deployment_model.id())
                .arg("level", level.id()),
        );
    }

    // 2. Requirement analysis.
    let analysis = analyse(file, content, level, &mut f);
    let missing_aspects: Vec<String> = analysis
        .aspects
        .iter()
        .filter(|a| !a.answered)
        .map(|a| a.id.clone())
        .collect();
    if !missing_aspects.is_empty() {
        let severity = if phase == Phase::Planning {
            Severity::Blocker
        } else {
            Severity::Warning
        };
        f.push(
            Finding::new("requirement-analysis-incomplete", severity)
                .arg("count", missing_aspects.len())
                .arg("aspects", missing_aspects.join(", "))
                .ids(missing_aspects.clone()),
        );
    }

    // 3. Responsibility matrix.
    let overrides: Vec<Override> = file.responsibility.iter().map(to_override).collect();
    let matrix = Matrix::build(&content.matrix, file.service_category, &overrides);
    let uncovered = matrix.uncovered();
    let ambiguous = matrix.ambiguous();
    if !uncovered.is_empty() {
        f.push(
            Finding::new("responsibility-uncovered", Severity::Blocker)
                .arg("count", uncovered.len())
                .arg("elements", uncovered.join(", "))
                .ids(uncovered.clone()),
        );
    }
    if !ambiguous.is_empty() {
        f.push(
            Finding::new("responsibility-ambiguous", Severity::Blocker)
                .arg("count", ambiguous.len())
                .arg("elements", ambiguous.join(", "))
                .ids(ambiguous.clone()),
        );
    }
    let ssp = matrix.assigned_to(Actor::SecurityServiceProvider);
    if !ssp.is_empty() && file.security_service_provider.is_none() {
        f.push(
            Finding::new("ssp-unnamed", Severity::Blocker)
                .arg("elements", ssp.join(", "))
                .ids(ssp.clone()),
        );
    }

    // 4. Basic requirements and the contract checklist.
    let contracting = phase >= Phase::Selection;
    let mut basic = Vec::new();
    for br in &content.guide.basic_requirements {
        let entry = file.basic_requirements.get(&br.id);
        let present = entry.is_some_and(|e| e.present);
        basic.push(ItemStatus {
            id: br.id.clone(),
            required: true,
            present,
            reference: entry.and_then(|e| e.reference.clone()),
        });
        if contracting && !present {
            f.push(
                Finding::new("basic-requirement-missing", Severity::Blocker)
                    .ids([br.id.clone()])
                    .arg("id", &br.id),
            );
        }
        if present
            && entry.is_some_and(|e| e.reference.as_deref().is_none_or(|r| r.trim().is_empty()))
        {
            f.push(
                Finding::new("no-reference", Severity::Warning)
                    .ids([br.id.clone()])
                    .arg("id", &br.id),
            );
        }
    }
    let mut contract = Vec::new();
    for clause in &content.guide.contract_clauses {
        let required =
            level >= clause.required_from || analysis.required_clauses.contains(&clause.id);
        let entry = file.contract.get(&clause.id);
        let present = entry.is_some_and(|e| e.present);
        contract.push(ItemStatus {
            id: clause.id.clone(),
            required,
            present,
            reference: entry.and_then(|e| e.reference.clone()),
        });
        if contracting && !present {
            let (code, severity) = if required {
                ("clause-missing", Severity::Blocker)
            } else {
                ("clause-recommended", Severity::Warning)
            };
            f.push(
                Finding::new(code, severity)
                    .ids([clause.id.clone()])
                    .arg("id", &clause.id)
                    .arg("level", level.id()),
            );
        }
        if present
            && entry.is_some_and(|e| e.reference.as_deref().is_none_or(|r| r.trim().is_empty()))
        {
            f.push(
                Finding::new("no-reference", Severity::Warning)
                    .ids([clause.id.clone()])
                    .arg("id", &clause.id),
            );
        }
    }
    let present_clauses: BTreeSet<&str> = contract
        .iter()
        .filter(|c| c.present)
        .map(|c| c.id.as_str())
        .collect();

    // 5. Assess first, use after.
    let assessment = file.provider.as_ref().and_then(|p| p.assessment.as_ref());
    let mut status = AssessmentStatus {
        valid: false,
        level: None,
        passed: None,
        expires: None,
        days_left: None,
    };
    let in_use = workflow::relies_on_assessment(phase);
    let severity = if in_use {
        Severity::Blocker
    } else {
        Severity::Warning
    };
    match assessment {
        None => {
            if in_use {
                f.push(
                    Finding::new("assessment-missing", Severity::Blocker).arg("level", level.id()),
                );
            }
        }
        Some(a) => {
            let days_left = (a.expires - date).num_days();
            status = AssessmentStatus {
                valid: workflow::allows_use(a.level, a.passed, a.expires, level, date),
                level: Some(a.level),
                passed: Some(a.passed),
                expires: Some(a.expires),
                days_left: Some(days_left),
            };
            if phase != Phase::Closed && phase != Phase::Exit {
                if a.level < level {
                    f.push(
                        Finding::new("assessment-level-too-low", severity)
                            .arg("assessed", a.level.id())
                            .arg("level", level.id()),
                    );
                }
                match workflow::validity(a.passed, a.expires, date) {
                    workflow::Validity::Expired => f.push(
                        Finding::new("assessment-expired", severity)
                            .arg("expires", a.expires)
                            .arg("date", date),
                    ),
                    workflow::Validity::NotYetValid => f.push(
                        Finding::new("assessment-not-yet-valid", severity)
                            .arg("passed", a.passed)
                            .arg("date", date),
                    ),
                    workflow::Validity::Expiring { days_left } => f.push(
                        Finding::new("assessment-expiring", Severity::Warning)
                            .arg("expires", a.expires)
                            .arg("days", days_left),
                    ),
                    workflow::Validity::Valid { .. } => {}
                }
            }
        }
    }

    // 5b. 等级保护: the grading against the protection level, the filing, the assessment.
    if let Some(m) = &file.mlps {
        mlps(m, level, phase, date, &mut f);
    }

    // 6. Risk register.
    let risks = risk_register(file, content, &present_clauses, &mut f);

    // 7. Lifecycle gates.
    let lifecycle = lifecycle(file, content, &mut f);

    let mut blockers = Vec::new();
    let mut warnings = Vec::new();
    let mut recommendations = Vec::new();
    for finding in f.all {
        match finding.severity {
            Severity::Blocker => blockers.push(finding),
            Severity::Warning => warnings.push(finding),
            Severity::Info => recommendations.push(finding),
        }
    }
    Ok(Report {
        name: file.name.clone(),
        customer: file.customer.clone(),
        checked_on: date,
        level,
        information: req.per_info.iter().map(|(i, _)| *i).collect(),
        business: file.business,
        service_category: file.service_category,
        deployment_model: file.deployment_model,
        deployment_allowed: allowed,
        phase,
        next_phase: phase.next(),
        blockers,
        warnings,
        recommendations,
        analysis,
        responsibility: ResponsibilitySummary {
            elements: matrix.elements.len(),
            uncovered,
            ambiguous,
            security_service_provider: ssp,
            overridden: matrix
                .elements
                .iter()
                .filter(|e| e.source == crate::responsibility::Source::Engagement)
                .map(|e| e.id.clone())
                .collect(),
        },
        basic_requirements: basic,
        contract,
        assessment: status,
        risks,
        lifecycle,
    })
}

fn analyse(
    file: &EngagementFile,
    content: &Content,
    level: ProtectionLevel,
    f: &mut Findings,
) -> Analysis {
    let r = &file.requirements;
    let answered = r.answered();
    let aspects = ASPECTS
        .iter()
        .zip(answered)
        .map(|(id, answered)| AspectStatus {
            id: (*id).to_owned(),
            answered,
        })
        .collect();

    // Fit of service category and deployment model.
    let stability = r.functional_stability.as_ref().and_then(|s| s.stability);
    let generality = r.functional_stability.as_ref().and_then(|s| s.generality);
    let capability = r
        .deployment_model
        .as_ref()
        .and_then(|d| d.management_capability);
    let mut fit_problem = false;
    if file.service_category == ServiceCategory::Saas && generality == Some(Generality::Specialised)
    {
        f.push(Finding::new("fit-saas-specialised", Severity::Warning).ids(["service-category"]));
        fit_problem = true;
    }
    if file.service_category != ServiceCategory::Iaas && stability == Some(Stability::Volatile) {
        f.push(
            Finding::new("fit-volatile", Severity::Warning)
                .ids(["functional-stability"])
                .arg("category", file.service_category.id()),
        );
        fit_problem = true;
    }
    if capability == Some(Capability::Low) && file.service_category == ServiceCategory::Iaas {
        f.push(
            Finding::new("fit-iaas-low-capability", Severity::Warning).ids(["deployment-model"]),
        );
        fit_problem = true;
    }
    if capability == Some(Capability::Low) && file.deployment_model == DeploymentModel::Private {
        f.push(
            Finding::new("fit-private-low-capability", Severity::Warning).ids(["deployment-model"]),
        );
        fit_problem = true;
    }
    if !fit_problem
        && r.service_category.is_some()
        && r.deployment_model.is_some()
        && r.functional_stability.is_some()
    {
        f.push(
            Finding::new("fit-good", Severity::Info)
                .arg("category", file.service_category.id())
                .arg("model", file.deployment_model.id()),
        );
    }

    // Migration priority: stable functions and elastic loads first.
    let pattern = r.dynamic_demand.as_ref().and_then(|d| d.pattern);
    let peak = r.dynamic_demand.as_ref().and_then(|d| d.peak_to_base);
    let elastic = match pattern {
        Some(LoadPattern::Bursty | LoadPattern::Periodic | LoadPattern::Temporary) => Some(true),
        Some(LoadPattern::Steady) => Some(peak.is_some_and(|p| p >= 3.0)),
        None => peak.map(|p| p >= 3.0),
    };
    let migration_priority = match (stability, elastic) {
        (Some(Stability::Stable), Some(true)) => Some(Priority::High),
        (Some(Stability::Stable), Some(false)) | (Some(Stability::Evolving), Some(true)) => {
            Some(Priority::Medium)
        }
        (Some(_), Some(_)) => Some(Priority::Low),
        _ => None,
    };
    if let Some(p) = migration_priority {
        let code = match p {
            Priority::High => "priority-high",
            Priority::Medium => "priority-medium",
            Priority::Low => "priority-low",
        };
        f.push(Finding::new(code, Severity::Info).ids(["functional-stability", "dynamic-demand"]));
    }

    // Latency.
    if let Some(l) = &r.latency
        && let Some(tol) = l.tolerance_ms
    {
        {
            if tol < 20.0 {
                f.push(
                    Finding::new("latency-critical", Severity::Warning)
                        .ids(["latency"])
                        .arg("tolerance", tol),
                );
            }
            if let Some(exp) = l.expected_ms {
                if exp >= tol {
                    f.push(
                        Finding::new("latency-exceeded", Severity::Warning)
                            .ids(["latency"])
                            .arg("expected", exp)
                            .arg("tolerance", tol),
                    );
                } else if exp > 0.7 * tol {
                    f.push(
                        Finding::new("latency-tight", Severity::Info)
                            .ids(["latency"])
                            .arg("expected", exp)
                            .arg("tolerance", tol),
                    );
                }
            }
        }
    }

    // Continuity against the provider's SLA.
    if let Some(c) = &r.continuity {
        let sla = file.provider.as_ref().and_then(|p| p.sla.as_ref());
        match sla {
            None => {
                f.push(Finding::new("continuity-sla-unknown", Severity::Info).ids(["continuity"]))
            }
            Some(sla) => {
                if let (Some(need), Some(offer)) =
                    (c.availability_percent, sla.availability_percent)
                    && need > offer
                {
                    f.push(
                        Finding::new("continuity-availability-gap", Severity::Warning)
                            .ids(["continuity"])
                            .arg("need", need)
                            .arg("offer", offer),
                    );
                }
                if let (Some(rto), Some(rec)) = (c.rto_hours, sla.recovery_hours)
                    && rto < rec
                {
                    f.push(
                        Finding::new("continuity-rto-gap", Severity::Warning)
                            .ids(["continuity"])
                            .arg("rto", rto)
                            .arg("recovery", rec),
                    );
                }
            }
        }
    }

    // Portability: is an exit and migration plan needed?
    let p = r.portability.as_ref();
    let mut reasons = Vec::new();
    if file.service_category != ServiceCategory::Iaas {
        reasons.push(file.service_category.id().to_owned());
    }
    if p.is_some_and(|p| !p.proprietary_services.is_empty()) {
        reasons.push("proprietary-services".to_owned());
    }
    if p.and_then(|p| p.data_volume_tb).is_some_and(|v| v >= 10.0) {
        reasons.push("data-volume".to_owned());
    }
    if p.and_then(|p| p.open_formats) == Some(false) {
        reasons.push("closed-formats".to_owned());
    }
    let portability_plan_needed = !reasons.is_empty();
    if portability_plan_needed {
        f.push(
            Finding::new("portability-plan-needed", Severity::Info)
                .arg("reasons", reasons.join(", "))
                .ids(reasons.clone()),
        );
        if p.and_then(|p| p.exit_plan) != Some(true) {
            f.push(
                Finding::new("portability-plan-missing", Severity::Warning).ids(["portability"]),
            );
        }
    }

    // Data location.
    let mut regions = Vec::new();
    let cloud = file.provider.as_ref().and_then(|p| p.cloud.clone());
    if let Some(d) = &r.data_location {
        f.push(Finding::new("data-location-obligation", Severity::Info).ids(["data-location"]));
        if d.regions.is_empty() && answered[7] {
            f.push(
                Finding::new("data-location-unanswered", Severity::Warning).ids(["data-location"]),
            );
        }
        if cloud.is_none() && !d.regions.is_empty() {
            f.push(
                Finding::new("data-location-cloud-missing", Severity::Warning)
                    .ids(["data-location"]),
            );
        }
        for region in &d.regions {
            let jurisdiction = match &cloud {
                Some(c) => content.regions.jurisdiction(c, &region.value),
                None => Jurisdiction::Unknown,
            };
            regions.push(RegionStatus {
                region: region.value.clone(),
                jurisdiction,
            });
            match jurisdiction {
                Jurisdiction::Mainland => {}
                Jurisdiction::Outside => match &d.cross_border_approval {
                    Some(approval) if !approval.trim().is_empty() => f.push(
                        Finding::new("data-outside-approved", Severity::Warning)
                            .ids([region.value.clone()])
                            .arg("region", &region.value)
                            .arg("approval", approval),
                    ),
                    _ => f.push(
                        Finding::new("data-outside-mainland", Severity::Blocker)
                            .ids([region.value.clone()])
                            .arg("region", &region.value),
                    ),
                },
                Jurisdiction::Unknown if cloud.is_none() => {}
                Jurisdiction::Unknown => f.push(
                    Finding::new("region-unknown", Severity::Warning)
                        .ids([region.value.clone()])
                        .arg("region", &region.value)
                        .arg("cloud", cloud.clone().unwrap_or_else(|| "?".into())),
                ),
            }
        }
    }

    // Supervision: which clauses the customer's supervision needs.
    let mut required_clauses = Vec::new();
    if let Some(s) = &r.supervision {
        if s.monitoring_interfaces == Some(true) || s.log_query == Some(true) {
            required_clauses.push("supervision-interfaces".to_owned());
        }
        if s.inspection == Some(true) {
            required_clauses.push("audit-cooperation".to_owned());
        }
        let mut all: Vec<String> = content
            .guide
            .contract_clauses
            .iter()
            .filter(|c| {
                matches!(
                    c.id.as_str(),
                    "supervision-interfaces"
                        | "audit-cooperation"
                        | "incident-notification"
                        | "change-notification"
                )
            })
            .filter(|c| level >= c.required_from || required_clauses.contains(&c.id))
            .map(|c| c.id.clone())
            .collect();
        all.sort();
        if !all.is_empty() {
            f.push(
                Finding::new("supervision-clauses", Severity::Info)
                    .arg("clauses", all.join(", "))
                    .ids(all),
            );
        }
    }
    if portability_plan_needed {
        required_clauses.push("exit-return".to_owned());
    }

    // Benefit and cost over three years.
    if let Some(b) = &r.benefit_cost
        && let (Some(now), Some(cloud), Some(migration)) =
            (b.current_annual_cost, b.cloud_annual_cost, b.migration_cost)
    {
        let now3 = now * 3.0;
        let cloud3 = cloud * 3.0 + migration;
        let code = if cloud3 > now3 {
            "cost-higher"
        } else {
            "cost-saving"
        };
        let severity = if cloud3 > now3 {
            Severity::Warning
        } else {
            Severity::Info
        };
        f.push(
            Finding::new(code, severity)
                .ids(["benefit-cost"])
                .arg("now", fmt_num(now3))
                .arg("cloud", fmt_num(cloud3)),
        );
    }

    Analysis {
        aspects,
        migration_priority,
        portability_plan_needed,
        required_clauses,
        regions,
    }
}

/// cloudward's own rules on the 等级保护 record (the guide says nothing of 等保): a system
/// at level 3 carries information whose loss would seriously harm social order, which
/// the guide's enhanced protection answers at least, and level 4 asks for advanced; a
/// system at level 2 or above is filed with the public-security organ; a system at level
/// 3 or above is assessed every year.
fn mlps(
    m: &crate::engagement::Mlps,
    level: ProtectionLevel,
    phase: Phase,
    date: NaiveDate,
    f: &mut Findings,
) {
    use crate::engagement::MlpsResult;
    let needed = match m.level {
        0..=2 => ProtectionLevel::General,
        3 => ProtectionLevel::Enhanced,
        _ => ProtectionLevel::Advanced,
    };
    if level < needed {
        f.push(
            Finding::new("mlps-protection-too-low", Severity::Warning)
                .arg("mlps", m.level)
                .arg("level", level.id())
                .arg("needed", needed.id())
                .ours(),
        );
    }
    if level == ProtectionLevel::Advanced && m.level < 3 {
        f.push(
            Finding::new("mlps-level-low-for-data", Severity::Warning)
                .arg("mlps", m.level)
                .arg("level", level.id())
                .ours(),
        );
    }
    if m.level >= 2 && m.filing.is_none() {
        f.push(
            Finding::new("mlps-not-filed", Severity::Warning)
                .arg("mlps", m.level)
                .ours(),
        );
    }
    let in_use = matches!(phase, Phase::Operation | Phase::Exit);
    match &m.assessment {
        None if m.level >= 3 && in_use => f.push(
            Finding::new("mlps-assessment-missing", Severity::Warning)
                .arg("mlps", m.level)
                .ours(),
        ),
        None => {}
        Some(a) => {
            let age = (date - a.date).num_days();
            if m.level >= 3 && age > 365 && phase != Phase::Closed {
                f.push(
                    Finding::new("mlps-assessment-old", Severity::Warning)
                        .arg("mlps", m.level)
                        .arg("on", a.date)
                        .arg("days", age)
                        .ours(),
                );
            }
            if a.result == MlpsResult::DoesNotConform && phase != Phase::Closed {
                f.push(
                    Finding::new("mlps-assessment-failed", Severity::Warning)
                        .arg("on", a.date)
                        .ours(),
                );
            }
        }
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn risk_register(
    file: &EngagementFile,
    content: &Content,
    present: &BTreeSet<&str>,
    f: &mut Findings,
) -> Vec<RiskStatus> {
    let mut out = Vec::new();
    let mut ids: Vec<String> = content.guide.risks.iter().map(|r| r.id.clone()).collect();
    for r in &file.risks {
        if !ids.contains(&r.id.value) {
            ids.push(r.id.value.clone());
        }
    }
    for id in ids {
        let seed = content.guide.risks.iter().find(|r| r.id == id);
        let entry = file.risks.iter().find(|r| r.id.value == id);
        let name = match (seed, entry.and_then(|e| e.name.clone())) {
            (Some(s), _) => Some(s.name.clone()),
            (None, Some(n)) => Some(Text {
                zh: n.clone(),
                en: n,
            }),
            (None, None) => None,
        };
        let Some(entry) = entry else {
            // Operation starts from an assessed register: before it, a gate.
            let severity = if file.phase == Phase::Selection {
                Severity::Blocker
            } else {
                Severity::Warning
            };
            f.push(
                Finding::new("risk-not-assessed", severity)
                    .ids([id.clone()])
                    .arg("id", &id),
            );
            out.push(RiskStatus {
                id,
                name,
                assessed: false,
                likelihood: None,
                impact: None,
                score: None,
                rating: None,
                treated: false,
                residual_score: None,
                residual_rating: None,
                missing_clauses: Vec::new(),
            });
            continue;
        };
        let score = entry.likelihood * entry.impact;
        let treated = !entry.treatment.is_empty();
        if rating(score) == Rating::High && !treated {
            f.push(
                Finding::new("risk-untreated-high", Severity::Warning)
                    .ids([id.clone()])
                    .arg("id", &id)
                    .arg("score", score),
            );
        }
        let missing: Vec<String> = entry
            .treatment
            .clauses
            .iter()
            .filter(|c| !present.contains(c.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            f.push(
                Finding::new("risk-relies-on-missing-clause", Severity::Warning)
                    .ids([id.clone()])
                    .ids(missing.clone())
                    .arg("id", &id)
                    .arg("clauses", missing.join(", ")),
            );
        }
        let residual = entry.residual.as_ref().map(|r| r.likelihood * r.impact);
        if let Some(rs) = residual
            && rs > score
        {
            f.push(
                Finding::new("risk-residual-above-inherent", Severity::Warning)
                    .ids([id.clone()])
                    .arg("id", &id)
                    .arg("residual", rs)
                    .arg("score", score),
            );
        }
        if let Some(rs) = residual
            && rating(rs) == Rating::High
        {
            f.push(
                Finding::new("risk-residual-high", Severity::Warning)
                    .ids([id.clone()])
                    .arg("id", &id)
                    .arg("score", rs),
            );
        }
        out.push(RiskStatus {
            id,
            name,
            assessed: true,
            likelihood: Some(entry.likelihood),
            impact: Some(entry.impact),
            score: Some(score),
            rating: Some(rating(score)),
            treated,
            residual_score: residual,
            residual_rating: residual.map(rating),
            missing_clauses: missing,
        });
    }
    out
}

/// The exit outputs that closing requires, with their blocker codes.
const EXIT_GATE: [(&str, &str); 3] = [
    ("data-scope-list", "exit-data-scope-missing"),
    ("data-handover-record", "exit-integrity-unverified"),
    ("deletion-confirmation", "exit-deletion-unconfirmed"),
];

fn lifecycle(file: &EngagementFile, content: &Content, f: &mut Findings) -> LifecycleStatus {
    let done: BTreeSet<&str> = file
        .lifecycle
        .activities
        .iter()
        .map(String::as_str)
        .collect();
    let has_output = |id: &str| {
        file.lifecycle
            .outputs
            .get(id)
            .is_some_and(|o| !o.reference.trim().is_empty())
    };
    let mut status = LifecycleStatus {
        activities_done: Vec::new(),
        activities_missing: Vec::new(),
        outputs_present: Vec::new(),
        outputs_missing: Vec::new(),
    };
    // The closed phase is checked against the exit phase's work.
    let phase_id = match file.phase {
        Phase::Closed => "exit",
        p => p.id(),
    };
    let Some(phase) = content.guide.phase(phase_id) else {
        return status;
    };
    for a in &phase.activities {
        if done.contains(a.id.as_str()) {
            status.activities_done.push(a.id.clone());
        } else {
            status.activities_missing.push(a.id.clone());
            if file.phase != Phase::Closed && a.id != "exit.close" {
                f.push(
                    Finding::new("activity-missing", Severity::Warning)
                        .ids([a.id.clone()])
                        .arg("id", &a.id),
                );
            }
        }
    }
    for o in &phase.outputs {
        if has_output(&o.id) {
            status.outputs_present.push(o.id.clone());
            continue;
        }
        status.outputs_missing.push(o.id.clone());
        if let Some((_, code)) = EXIT_GATE.iter().find(|(id, _)| *id == o.id) {
            f.push(Finding::new(code, Severity::Blocker).ids([o.id.clone()]));
            continue;
        }
        // The matrix is an output once every party has confirmed its rows.
        if o.id == "responsibility-matrix" && file.phase == Phase::Selection {
            f.push(Finding::new("matrix-unconfirmed", Severity::Blocker).ids([o.id.clone()]));
            continue;
        }
        match file.phase {
            // Closing writes the closure record; it cannot be required before.
            Phase::Exit | Phase::Closed => {
                if o.id != "closure-record" {
                    f.push(
                        Finding::new("output-missing", Severity::Warning)
                            .ids([o.id.clone()])
                            .arg("id", &o.id),
                    );
                }
            }
            // Supervision records accumulate; missing ones are gaps, not gates.
            Phase::Operation => {
                f.push(
                    Finding::new("output-missing", Severity::Warning)
                        .ids([o.id.clone()])
                        .arg("id", &o.id),
                );
            }
            Phase::Planning | Phase::Selection => {
                f.push(
                    Finding::new("output-missing", Severity::Blocker)
                        .ids([o.id.clone()])
                        .arg("id", &o.id),
                );
            }
        }
    }
    // Entering exit needs the exit plan made at planning time.
    if file.phase == Phase::Operation && !has_output("exit-plan") {
        f.push(Finding::new("exit-plan-missing", Severity::Blocker).ids(["exit-plan"]));
    }
    status
}

/// The report as JSON with every finding's message rendered in `lang`: what `cloudward
/// check --format json` prints and the server's check endpoint answers.
pub fn report_json(
    report: &Report,
    content: &Content,
    messages: &crate::i18n::Messages,
    lang: Lang,
) -> serde_json::Value {
    let findings = |list: &[Finding]| {
        serde_json::Value::Array(
            list.iter()
                .map(|f| {
                    serde_json::json!({
                        "code": f.code,
                        "severity": f.severity,
                        "message": f.message(content, messages, lang),
                        "ids": f.ids,
                    })
                })
                .collect(),
        )
    };
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("blockers".into(), findings(&report.blockers));
        obj.insert("warnings".into(), findings(&report.warnings));
        obj.insert("recommendations".into(), findings(&report.recommendations));
    }
    value
}
