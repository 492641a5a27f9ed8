//! Turning the text of content files into a validated [`Content`], or the full list of
//! problems with file, line and entry.
//!
//! Parsing is two-step: YAML → raw structs that keep source lines and accept any string
//! for enumerations, then checks that collect every problem rather than stopping at the
//! first, so one `catalog validate` run shows everything to fix.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use crate::catalog::ServiceCategory;
use crate::catalog::{
    Catalog, Control, Family, FamilyKind, Origin, Parties, Party, References, StandardRef, Topic,
};
use crate::guide::{
    Activity, Aspect, BasicRequirement, ContractClause, Guide, Output, Phase, Risk, Role,
};
use crate::mlps::{self, Framework};
use crate::problem::{Problem, ProblemKind};
use crate::regions::{CloudRegions, RegionTable};
use crate::responsibility::{Actor, Assignment, Layer, MatrixTemplates, Template};
use crate::{Lang, ProtectionLevel, Text};

/// One content file: its path relative to the content folder (with `/` separators) and
/// its text.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// Everything the catalog and guide folders hold.
#[derive(Debug, Clone)]
pub struct Content {
    pub catalog: Catalog,
    pub guide: Guide,
    pub matrix: MatrixTemplates,
    pub regions: RegionTable,
    /// GB/T 22239-2019 (等保 2.0) with its crosswalk to the catalog.
    pub mlps: Framework,
}

pub const FAMILIES_FILE: &str = "catalog/families.yaml";
pub const CONTROLS_DIR: &str = "catalog/controls/";
pub const RISKS_FILE: &str = "guide/risks.yaml";
pub const ROLES_FILE: &str = "guide/roles.yaml";
pub const REQUIREMENTS_FILE: &str = "guide/basic-requirements.yaml";
pub const PHASES_FILE: &str = "guide/phases.yaml";
pub const ASPECTS_FILE: &str = "guide/aspects.yaml";
pub const CLAUSES_FILE: &str = "guide/contract-clauses.yaml";
pub const MATRIX_FILE: &str = "responsibility/matrix.yaml";
pub const REGIONS_FILE: &str = "regions.yaml";

const GUIDE_FILES: [&str; 6] = [
    RISKS_FILE,
    ROLES_FILE,
    REQUIREMENTS_FILE,
    PHASES_FILE,
    ASPECTS_FILE,
    CLAUSES_FILE,
];

// ---------------------------------------------------------------- raw shapes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawText {
    pub(crate) zh: Option<String>,
    pub(crate) en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamilies {
    families: Vec<RawFamily>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    id: Spanned<String>,
    chapter: Option<String>,
    edition: Option<String>,
    kind: String,
    name: RawText,
    topics: Vec<RawTopic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    id: Spanned<String>,
    clause: Option<String>,
    name: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControls {
    family: Spanned<String>,
    controls: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    topic: String,
    level: String,
    title: RawText,
    statement: RawText,
    guidance: RawText,
    refs: RawRefs,
    parties: RawParties,
    origin: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefs {
    gbt31168: RawStandardRef,
    #[serde(default)]
    nist: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandardRef {
    edition: Option<String>,
    clause: Option<String>,
    verified: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParties {
    iaas: String,
    paas: String,
    saas: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisks {
    risks: Vec<RawRisk>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRisk {
    id: Spanned<String>,
    clause: String,
    name: RawText,
    description: RawText,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    clauses: Vec<String>,
    #[serde(default)]
    activities: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoles {
    roles: Vec<RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: Spanned<String>,
    clause: String,
    name: RawText,
    description: RawText,
    #[serde(default)]
    duties: Vec<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirements {
    requirements: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    clause: String,
    name: RawText,
    description: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhases {
    phases: Vec<RawPhase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    id: Spanned<String>,
    chapter: String,
    name: RawText,
    description: RawText,
    activities: Vec<RawActivity>,
    outputs: Vec<RawOutput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    id: Spanned<String>,
    clause: String,
    name: RawText,
    description: RawText,
    #[serde(default)]
    outputs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    id: Spanned<String>,
    name: RawText,
    description: RawText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAspects {
    aspects: Vec<RawAspect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAspect {
    id: Spanned<String>,
    clause: String,
    name: RawText,
    description: RawText,
    #[serde(default)]
    questions: Vec<RawText>,
    origin: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClauses {
    clauses: Vec<RawClause>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    id: Spanned<String>,
    name: RawText,
    description: RawText,
    #[serde(default)]
    look_for: Vec<RawText>,
    #[serde(default)]
    risks: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    required_from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegions {
    providers: Vec<RawCloud>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCloud {
    id: Spanned<String>,
    name: RawText,
    mainland: Vec<String>,
    outside: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    layers: Vec<RawLayer>,
    templates: std::collections::BTreeMap<String, RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayer {
    id: Spanned<String>,
    name: RawText,
    families: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    layers: std::collections::BTreeMap<String, RawCell>,
    #[serde(default)]
    exceptions: std::collections::BTreeMap<String, RawCell>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCell {
    One(String),
    Split {
        split: std::collections::BTreeMap<String, RawText>,
    },
}

// ---------------------------------------------------------------- checking context

/// Collects problems while checking; one per file and entry.
pub(crate) struct Checker {
    pub(crate) problems: Vec<Problem>,
}

/// Where an entry is: file, line and id, for the problems found on it.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: u64,
    pub(crate) entry: &'a str,
}

impl Checker {
    pub(crate) fn push(&mut self, at: At<'_>, kind: ProblemKind) {
        self.problems.push(Problem {
            file: at.file.to_owned(),
            line: (at.line > 0).then_some(at.line),
            entry: (!at.entry.is_empty()).then(|| at.entry.to_owned()),
            kind,
        });
    }

    pub(crate) fn parse<T: DeserializeOwned>(&mut self, source: &Source) -> Option<T> {
        match serde_saphyr::from_str::<T>(&source.text) {
            Ok(value) => Some(value),
            Err(err) => {
                let line = err.location().map(|l| l.line()).unwrap_or(0);
                let detail = first_line_of(&err.without_snippet().to_string());
                self.push(
                    At {
                        file: &source.path,
                        line,
                        entry: "",
                    },
                    ProblemKind::Syntax { detail },
                );
                None
            }
        }
    }

    /// Both languages present and non-empty.
    pub(crate) fn text(&mut self, at: At<'_>, field: &str, raw: &RawText) -> Text {
        let mut get = |value: &Option<String>, lang: Lang| match value {
            Some(v) if !v.trim().is_empty() => v.trim().to_owned(),
            _ => {
                self.push(
                    at,
                    ProblemKind::MissingTranslation {
                        field: field.to_owned(),
                        lang: lang.code().to_owned(),
                    },
                );
                String::new()
            }
        };
        let zh = get(&raw.zh, Lang::Zh);
        let en = get(&raw.en, Lang::En);
        Text { zh, en }
    }

    fn texts(&mut self, at: At<'_>, field: &str, raw: &[RawText]) -> Vec<Text> {
        raw.iter()
            .enumerate()
            .map(|(i, t)| self.text(at, &format!("{field}[{i}]"), t))
            .collect()
    }

    /// Records the id; reports a duplicate with the line of its first use.
    pub(crate) fn unique(&mut self, seen: &mut HashMap<String, u64>, at: At<'_>) {
        if let Some(first_line) = seen.get(at.entry) {
            let first = format!("{}:{first_line}", at.file);
            self.push(
                at,
                ProblemKind::DuplicateId {
                    id: at.entry.to_owned(),
                    first,
                },
            );
        } else {
            seen.insert(at.entry.to_owned(), at.line);
        }
    }

    pub(crate) fn dangling(&mut self, at: At<'_>, field: &str, value: &str) {
        self.push(
            at,
            ProblemKind::DanglingReference {
                field: field.to_owned(),
                value: value.to_owned(),
            },
        );
    }

    pub(crate) fn unknown(&mut self, at: At<'_>, field: &str, value: &str, accepted: &[&str]) {
        self.push(
            at,
            ProblemKind::UnknownValue {
                field: field.to_owned(),
                value: value.to_owned(),
                accepted: accepted.iter().map(|s| (*s).to_owned()).collect(),
            },
        );
    }
}

fn first_line_of(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_owned()
}

pub(crate) fn at<'a>(file: &'a str, id: &'a Spanned<String>) -> At<'a> {
    At {
        file,
        line: id.referenced.line(),
        entry: &id.value,
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

fn is_family_id(s: &str) -> bool {
    s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase())
}

/// `FAMILY-NN` with two or three digits.
fn is_control_id(s: &str, family: &str) -> bool {
    match s.strip_prefix(family).and_then(|r| r.strip_prefix('-')) {
        Some(num) => (2..=3).contains(&num.len()) && num.chars().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// NIST SP 800-53 rev5 form: `AC-7`, `SC-8(1)`.
fn is_nist_id(s: &str) -> bool {
    let Some((fam, rest)) = s.split_once('-') else {
        return false;
    };
    let (num, enh) = match rest.split_once('(') {
        Some((n, e)) => match e.strip_suffix(')') {
            Some(e) => (n, Some(e)),
            None => return false,
        },
        None => (rest, None),
    };
    let digits = |x: &str| !x.is_empty() && x.len() <= 3 && x.chars().all(|c| c.is_ascii_digit());
    is_family_id(fam) && digits(num) && enh.is_none_or(digits)
}

// ---------------------------------------------------------------- the catalog

fn load_families(ck: &mut Checker, source: &Source) -> Vec<Family> {
    let Some(raw) = ck.parse::<RawFamilies>(source) else {
        return Vec::new();
    };
    let file = source.path.as_str();
    let mut seen = HashMap::new();
    let mut families = Vec::new();
    for rf in &raw.families {
        let at = at(file, &rf.id);
        if !is_family_id(&rf.id.value) {
            ck.push(
                at,
                ProblemKind::BadId {
                    value: rf.id.value.clone(),
                    expected: "AC".into(),
                },
            );
        }
        ck.unique(&mut seen, at);
        let kind = FamilyKind::parse(&rf.kind).unwrap_or_else(|| {
            ck.unknown(at, "kind", &rf.kind, &FamilyKind::IDS);
            FamilyKind::Technical
        });
        let name = ck.text(at, "name", &rf.name);
        let mut topic_seen = HashMap::new();
        let mut topics = Vec::new();
        for rt in &rf.topics {
            let tid = format!("{}.{}", rf.id.value, rt.id.value);
            let tat = At {
                file,
                line: rt.id.referenced.line(),
                entry: &tid,
            };
            if !is_kebab(&rt.id.value) {
                ck.push(
                    tat,
                    ProblemKind::BadId {
                        value: rt.id.value.clone(),
                        expected: "failed-logon".into(),
                    },
                );
            }
            ck.unique(
                &mut topic_seen,
                At {
                    entry: &rt.id.value,
                    ..tat
                },
            );
            let name = ck.text(tat, "name", &rt.name);
            topics.push(Topic {
                id: rt.id.value.clone(),
                clause: rt.clause.clone(),
                name,
            });
        }
        if topics.is_empty() {
            ck.push(
                at,
                ProblemKind::Empty {
                    what: "topics".into(),
                },
            );
        }
        families.push(Family {
            id: rf.id.value.clone(),
            chapter: rf.chapter.clone(),
            edition: rf.edition.clone().unwrap_or_else(|| "2014".into()),
            kind,
            name,
            topics,
        });
    }
    if families.is_empty() {
        ck.push(
            At {
                file,
                line: 0,
                entry: "",
            },
            ProblemKind::Empty {
                what: "families".into(),
            },
        );
    }
    families
}

fn load_controls(
    ck: &mut Checker,
    source: &Source,
    families: &[Family],
    seen: &mut HashMap<String, (String, u64)>,
) -> Vec<Control> {
    let Some(raw) = ck.parse::<RawControls>(source) else {
        return Vec::new();
    };
    let file = source.path.as_str();
    let stem = file
        .strip_prefix(CONTROLS_DIR)
        .and_then(|n| n.strip_suffix(".yaml"))
        .unwrap_or("");
    let fam_at = At {
        file,
        line: raw.family.referenced.line(),
        entry: &raw.family.value,
    };
    let family_ids: Vec<&str> = families.iter().map(|f| f.id.as_str()).collect();
    let Some(family) = families.iter().find(|f| f.id == raw.family.value) else {
        ck.unknown(fam_at, "family", &raw.family.value, &family_ids);
        return Vec::new();
    };
    if stem != family.id {
        ck.push(
            fam_at,
            ProblemKind::BadId {
                value: format!("{stem}.yaml"),
                expected: format!("{}.yaml", family.id),
            },
        );
    }
    let mut controls = Vec::new();
    for rc in &raw.controls {
        let at = at(file, &rc.id);
        if !is_control_id(&rc.id.value, &family.id) {
            ck.push(
                at,
                ProblemKind::BadId {
                    value: rc.id.value.clone(),
                    expected: format!("{}-01", family.id),
                },
            );
        }
        // Ids are unique across the whole catalog, not only within a file.
        match seen.get(&rc.id.value) {
            Some((first_file, first_line)) => {
                let first = format!("{first_file}:{first_line}");
                ck.push(
                    at,
                    ProblemKind::DuplicateId {
                        id: rc.id.value.clone(),
                        first,
                    },
                );
            }
            None => {
                seen.insert(rc.id.value.clone(), (file.to_owned(), at.line));
            }
        }
        if family.topic(&rc.topic).is_none() {
            let accepted: Vec<&str> = family.topics.iter().map(|t| t.id.as_str()).collect();
            ck.unknown(at, "topic", &rc.topic, &accepted);
        }
        let level = ProtectionLevel::parse(&rc.level).unwrap_or_else(|| {
            ck.unknown(at, "level", &rc.level, &["general", "enhanced", "advanced"]);
            ProtectionLevel::General
        });
        let origin = match rc.origin.as_deref() {
            None | Some("standard") => Origin::Standard,
            Some("cloudward") => Origin::Cloudward,
            Some(other) => {
                ck.unknown(at, "origin", other, &["standard", "cloudward"]);
                Origin::Standard
            }
        };
        if (level == ProtectionLevel::Advanced) != (origin == Origin::Cloudward) {
            ck.push(
                at,
                ProblemKind::OriginMismatch {
                    level: level.id().to_owned(),
                },
            );
        }
        let mut party = |field: &str, value: &str| {
            Party::parse(value).unwrap_or_else(|| {
                ck.unknown(at, field, value, &Party::IDS);
                Party::Shared
            })
        };
        let parties = Parties {
            iaas: party("parties.iaas", &rc.parties.iaas),
            paas: party("parties.paas", &rc.parties.paas),
            saas: party("parties.saas", &rc.parties.saas),
        };
        let std_ref = &rc.refs.gbt31168;
        if std_ref.verified && std_ref.clause.is_none() {
            ck.push(at, ProblemKind::VerifiedWithoutClause);
        }
        for n in &rc.refs.nist {
            if !is_nist_id(n) {
                ck.push(
                    at,
                    ProblemKind::BadId {
                        value: n.clone(),
                        expected: "AC-7, SC-8(1)".into(),
                    },
                );
            }
        }
        let title = ck.text(at, "title", &rc.title);
        let statement = ck.text(at, "statement", &rc.statement);
        let guidance = ck.text(at, "guidance", &rc.guidance);
        controls.push(Control {
            id: rc.id.value.clone(),
            family: family.id.clone(),
            topic: rc.topic.clone(),
            level,
            title,
            statement,
            guidance,
            refs: References {
                gbt31168: StandardRef {
                    edition: std_ref
                        .edition
                        .clone()
                        .unwrap_or_else(|| family.edition.clone()),
                    clause: std_ref.clause.clone(),
                    verified: std_ref.verified,
                },
                nist: rc.refs.nist.clone(),
            },
            parties,
            origin,
        });
    }
    controls
}

/// Coverage rules: every topic has a control, every family has controls and enhanced ones.
fn check_coverage(ck: &mut Checker, families: &[Family], controls: &[Control], file: &str) {
    for family in families {
        let own: Vec<&Control> = controls.iter().filter(|c| c.family == family.id).collect();
        let fam_file = format!("{CONTROLS_DIR}{}.yaml", family.id);
        let at = At {
            file: &fam_file,
            line: 0,
            entry: &family.id,
        };
        if own.is_empty() {
            ck.push(
                at,
                ProblemKind::FamilyWithoutControls {
                    family: family.id.clone(),
                },
            );
            continue;
        }
        if !own.iter().any(|c| c.level == ProtectionLevel::Enhanced) {
            ck.push(
                at,
                ProblemKind::FamilyWithoutEnhanced {
                    family: family.id.clone(),
                },
            );
        }
        for topic in &family.topics {
            if !own.iter().any(|c| c.topic == topic.id) {
                let tid = format!("{}.{}", family.id, topic.id);
                ck.push(
                    At {
                        file,
                        line: 0,
                        entry: &tid,
                    },
                    ProblemKind::TopicWithoutControl { topic: tid.clone() },
                );
            }
        }
    }
}

// ---------------------------------------------------------------- the guide

fn topic_exists(families: &[Family], reference: &str) -> bool {
    reference.split_once('.').is_some_and(|(f, t)| {
        families
            .iter()
            .any(|fam| fam.id == f && fam.topic(t).is_some())
    })
}

fn load_guide(ck: &mut Checker, sources: &HashMap<&str, &Source>, families: &[Family]) -> Guide {
    let mut guide = Guide {
        risks: Vec::new(),
        roles: Vec::new(),
        basic_requirements: Vec::new(),
        phases: Vec::new(),
        aspects: Vec::new(),
        contract_clauses: Vec::new(),
    };
    // Raw risks and clauses are kept until every id is known, for cross references.
    let mut raw_risks = None;
    let mut raw_clauses = None;

    if let Some(src) = sources.get(ROLES_FILE)
        && let Some(raw) = ck.parse::<RawRoles>(src)
    {
        let mut seen = HashMap::new();
        for r in &raw.roles {
            let at = at(&src.path, &r.id);
            ck.unique(&mut seen, at);
            guide.roles.push(Role {
                id: r.id.value.clone(),
                clause: r.clause.clone(),
                name: ck.text(at, "name", &r.name),
                description: ck.text(at, "description", &r.description),
                duties: ck.texts(at, "duties", &r.duties),
            });
        }
    }
    if let Some(src) = sources.get(REQUIREMENTS_FILE)
        && let Some(raw) = ck.parse::<RawRequirements>(src)
    {
        let mut seen = HashMap::new();
        for r in &raw.requirements {
            let at = at(&src.path, &r.id);
            ck.unique(&mut seen, at);
            guide.basic_requirements.push(BasicRequirement {
                id: r.id.value.clone(),
                clause: r.clause.clone(),
                name: ck.text(at, "name", &r.name),
                description: ck.text(at, "description", &r.description),
            });
        }
    }
    if let Some(src) = sources.get(PHASES_FILE)
        && let Some(raw) = ck.parse::<RawPhases>(src)
    {
        let mut seen = HashMap::new();
        let mut activity_seen = HashMap::new();
        for p in &raw.phases {
            let pat = at(&src.path, &p.id);
            ck.unique(&mut seen, pat);
            let mut output_seen = HashMap::new();
            let mut outputs = Vec::new();
            for o in &p.outputs {
                let oat = at(&src.path, &o.id);
                ck.unique(&mut output_seen, oat);
                outputs.push(Output {
                    id: o.id.value.clone(),
                    name: ck.text(oat, "name", &o.name),
                    description: ck.text(oat, "description", &o.description),
                });
            }
            let mut activities = Vec::new();
            for a in &p.activities {
                let aat = at(&src.path, &a.id);
                ck.unique(&mut activity_seen, aat);
                for out in &a.outputs {
                    if !outputs.iter().any(|o| &o.id == out) {
                        ck.dangling(aat, "outputs", out);
                    }
                }
                activities.push(Activity {
                    id: a.id.value.clone(),
                    clause: a.clause.clone(),
                    name: ck.text(aat, "name", &a.name),
                    description: ck.text(aat, "description", &a.description),
                    outputs: a.outputs.clone(),
                });
            }
            guide.phases.push(Phase {
                id: p.id.value.clone(),
                chapter: p.chapter.clone(),
                name: ck.text(pat, "name", &p.name),
                description: ck.text(pat, "description", &p.description),
                activities,
                outputs,
            });
        }
    }
    if let Some(src) = sources.get(ASPECTS_FILE)
        && let Some(raw) = ck.parse::<RawAspects>(src)
    {
        let mut seen = HashMap::new();
        for a in &raw.aspects {
            let at = at(&src.path, &a.id);
            ck.unique(&mut seen, at);
            let product_addition = match a.origin.as_deref() {
                None | Some("standard") => false,
                Some("cloudward") => true,
                Some(other) => {
                    ck.unknown(at, "origin", other, &["standard", "cloudward"]);
                    false
                }
            };
            guide.aspects.push(Aspect {
                id: a.id.value.clone(),
                clause: a.clause.clone(),
                name: ck.text(at, "name", &a.name),
                description: ck.text(at, "description", &a.description),
                questions: ck.texts(at, "questions", &a.questions),
                product_addition,
            });
        }
    }
    if let Some(src) = sources.get(RISKS_FILE) {
        raw_risks = ck.parse::<RawRisks>(src).map(|r| (*src, r));
    }
    if let Some(src) = sources.get(CLAUSES_FILE) {
        raw_clauses = ck.parse::<RawClauses>(src).map(|r| (*src, r));
    }
    let risk_ids: BTreeSet<String> = raw_risks
        .as_ref()
        .map(|(_, r)| r.risks.iter().map(|x| x.id.value.clone()).collect())
        .unwrap_or_default();
    let clause_ids: BTreeSet<String> = raw_clauses
        .as_ref()
        .map(|(_, r)| r.clauses.iter().map(|x| x.id.value.clone()).collect())
        .unwrap_or_default();

    if let Some((src, raw)) = &raw_risks {
        let mut seen = HashMap::new();
        for r in &raw.risks {
            let at = at(&src.path, &r.id);
            ck.unique(&mut seen, at);
            for t in &r.topics {
                if !topic_exists(families, t) {
                    ck.dangling(at, "topics", t);
                }
            }
            for c in &r.clauses {
                if !clause_ids.contains(c) {
                    ck.dangling(at, "clauses", c);
                }
            }
            for a in &r.activities {
                if guide.activity(a).is_none() {
                    ck.dangling(at, "activities", a);
                }
            }
            guide.risks.push(Risk {
                id: r.id.value.clone(),
                clause: r.clause.clone(),
                name: ck.text(at, "name", &r.name),
                description: ck.text(at, "description", &r.description),
                topics: r.topics.clone(),
                clauses: r.clauses.clone(),
                activities: r.activities.clone(),
            });
        }
    }
    if let Some((src, raw)) = &raw_clauses {
        let mut seen = HashMap::new();
        for c in &raw.clauses {
            let at = at(&src.path, &c.id);
            ck.unique(&mut seen, at);
            for t in &c.topics {
                if !topic_exists(families, t) {
                    ck.dangling(at, "topics", t);
                }
            }
            for r in &c.risks {
                if !risk_ids.contains(r) {
                    ck.dangling(at, "risks", r);
                }
            }
            let required_from = ProtectionLevel::parse(&c.required_from).unwrap_or_else(|| {
                ck.unknown(
                    at,
                    "required_from",
                    &c.required_from,
                    &["general", "enhanced", "advanced"],
                );
                ProtectionLevel::General
            });
            guide.contract_clauses.push(ContractClause {
                required_from,
                id: c.id.value.clone(),
                name: ck.text(at, "name", &c.name),
                description: ck.text(at, "description", &c.description),
                look_for: ck.texts(at, "look_for", &c.look_for),
                risks: c.risks.clone(),
                topics: c.topics.clone(),
            });
        }
    }
    guide
}

// ---------------------------------------------------------------- matrix and regions

/// Parses a region table on its own (`--regions FILE` extends the built-in one).
pub fn parse_regions(source: &Source) -> Result<RegionTable, Vec<Problem>> {
    let mut ck = Checker {
        problems: Vec::new(),
    };
    let table = load_regions(&mut ck, source);
    if ck.problems.is_empty() {
        Ok(table)
    } else {
        Err(ck.problems)
    }
}

fn load_regions(ck: &mut Checker, source: &Source) -> RegionTable {
    let Some(raw) = ck.parse::<RawRegions>(source) else {
        return RegionTable::default();
    };
    let mut seen = HashMap::new();
    let mut clouds = Vec::new();
    for c in &raw.providers {
        let at = at(&source.path, &c.id);
        ck.unique(&mut seen, at);
        for r in &c.mainland {
            if c.outside.contains(r) {
                ck.push(
                    at,
                    ProblemKind::DuplicateId {
                        id: r.clone(),
                        first: "mainland".into(),
                    },
                );
            }
        }
        clouds.push(CloudRegions {
            id: c.id.value.clone(),
            name: ck.text(at, "name", &c.name),
            mainland: c.mainland.clone(),
            outside: c.outside.clone(),
        });
    }
    RegionTable { clouds }
}

fn load_matrix(ck: &mut Checker, source: &Source, families: &[Family]) -> MatrixTemplates {
    let Some(raw) = ck.parse::<RawMatrix>(source) else {
        return MatrixTemplates::default();
    };
    let file = source.path.as_str();
    let family_ids: Vec<&str> = families.iter().map(|f| f.id.as_str()).collect();
    let mut seen = HashMap::new();
    let mut layers = Vec::new();
    for l in &raw.layers {
        let at = at(file, &l.id);
        ck.unique(&mut seen, at);
        for f in &l.families {
            if !family_ids.contains(&f.as_str()) {
                ck.unknown(at, "families", f, &family_ids);
            }
        }
        layers.push(Layer {
            id: l.id.value.clone(),
            name: ck.text(at, "name", &l.name),
            families: l.families.clone(),
        });
    }
    let mut result = MatrixTemplates {
        layers,
        templates: Default::default(),
    };
    for (cat, t) in &raw.templates {
        let entry = format!("templates.{cat}");
        let at = At {
            file,
            line: 0,
            entry: &entry,
        };
        let Some(category) = ServiceCategory::parse(cat) else {
            ck.unknown(at, "templates", cat, &["iaas", "paas", "saas"]);
            continue;
        };
        let mut template = Template::default();
        for layer in &result.layers {
            if !t.layers.contains_key(&layer.id) {
                ck.dangling(at, "layers", &layer.id);
            }
        }
        for (layer, cell) in &t.layers {
            if result.layer(layer).is_none() {
                ck.dangling(at, "layers", layer);
            }
            template
                .layers
                .insert(layer.clone(), cell_assignment(ck, at, cell));
        }
        for (element, cell) in &t.exceptions {
            if !result.element_ids().iter().any(|(id, _, _)| id == element) {
                ck.dangling(at, "exceptions", element);
            }
            template
                .exceptions
                .insert(element.clone(), cell_assignment(ck, at, cell));
        }
        result.templates.insert(category, template);
    }
    for cat in ServiceCategory::ALL {
        if !result.templates.contains_key(&cat) {
            ck.dangling(
                At {
                    file,
                    line: 0,
                    entry: "templates",
                },
                "templates",
                cat.id(),
            );
        }
    }
    result
}

fn cell_assignment(ck: &mut Checker, at: At<'_>, cell: &RawCell) -> Assignment {
    match cell {
        RawCell::One(actor) => match Actor::parse(actor) {
            Some(a) => Assignment::single(a),
            None => {
                ck.unknown(at, "owner", actor, &Actor::IDS);
                Assignment::default()
            }
        },
        RawCell::Split { split } => {
            let mut assignment = Assignment::default();
            for (actor, text) in split {
                match Actor::parse(actor) {
                    Some(a) => {
                        assignment.parties.push(a);
                        let t = ck.text(at, &format!("split.{actor}"), text);
                        assignment.parts.insert(a, t);
                    }
                    None => ck.unknown(at, "split", actor, &Actor::IDS),
                }
            }
            if assignment.parties.len() < 2 {
                ck.push(
                    at,
                    ProblemKind::Empty {
                        what: "split (needs two parties or more)".into(),
                    },
                );
            }
            assignment
        }
    }
}

// ---------------------------------------------------------------- entry point

/// Loads and validates the catalog and guide from content files. Files outside
/// `catalog/` and `guide/` are ignored; every problem found is returned together.
pub fn load(sources: &[Source]) -> Result<Content, Vec<Problem>> {
    let mut ck = Checker {
        problems: Vec::new(),
    };
    let by_path: HashMap<&str, &Source> = sources.iter().map(|s| (s.path.as_str(), s)).collect();

    let families = match by_path.get(FAMILIES_FILE) {
        Some(src) => load_families(&mut ck, src),
        None => {
            ck.push(
                At {
                    file: FAMILIES_FILE,
                    line: 0,
                    entry: "",
                },
                ProblemKind::MissingFile,
            );
            Vec::new()
        }
    };

    // Everything else refers to families and topics: without them, further checks would
    // only repeat the same problem many times.
    if families.is_empty() {
        return Err(ck.problems);
    }

    let mut control_files: Vec<&Source> = sources
        .iter()
        .filter(|s| s.path.starts_with(CONTROLS_DIR) && s.path.ends_with(".yaml"))
        .collect();
    // Family order, then name, so the catalog reads in the standard's order.
    control_files.sort_by_key(|s| {
        let stem = s
            .path
            .trim_start_matches(CONTROLS_DIR)
            .trim_end_matches(".yaml");
        (
            families
                .iter()
                .position(|f| f.id == stem)
                .unwrap_or(usize::MAX),
            s.path.clone(),
        )
    });
    let mut seen = HashMap::new();
    let mut controls = Vec::new();
    for src in control_files {
        controls.extend(load_controls(&mut ck, src, &families, &mut seen));
    }
    for src in sources {
        let known = src.path == FAMILIES_FILE
            || src.path == MATRIX_FILE
            || src.path.starts_with(CONTROLS_DIR)
            || GUIDE_FILES.contains(&src.path.as_str());
        let ours = src.path.starts_with("catalog/")
            || src.path.starts_with("guide/")
            || src.path.starts_with("responsibility/");
        if ours && !known && src.path.ends_with(".yaml") {
            ck.push(
                At {
                    file: &src.path,
                    line: 0,
                    entry: "",
                },
                ProblemKind::UnexpectedFile,
            );
        }
    }
    check_coverage(&mut ck, &families, &controls, FAMILIES_FILE);
    for file in GUIDE_FILES {
        if !by_path.contains_key(file) {
            ck.push(
                At {
                    file,
                    line: 0,
                    entry: "",
                },
                ProblemKind::MissingFile,
            );
        }
    }
    let guide = load_guide(&mut ck, &by_path, &families);
    let matrix = match by_path.get(MATRIX_FILE) {
        Some(src) => load_matrix(&mut ck, src, &families),
        None => {
            ck.push(
                At {
                    file: MATRIX_FILE,
                    line: 0,
                    entry: "",
                },
                ProblemKind::MissingFile,
            );
            MatrixTemplates::default()
        }
    };
    let regions = match by_path.get(REGIONS_FILE) {
        Some(src) => load_regions(&mut ck, src),
        None => {
            ck.push(
                At {
                    file: REGIONS_FILE,
                    line: 0,
                    entry: "",
                },
                ProblemKind::MissingFile,
            );
            RegionTable::default()
        }
    };

    let catalog = Catalog { families, controls };
    let framework = mlps::load_into(&mut ck, sources, &catalog);

    match framework {
        Some(mlps) if ck.problems.is_empty() => Ok(Content {
            catalog,
            guide,
            matrix,
            regions,
            mlps,
        }),
        _ => Err(ck.problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_shapes() {
        assert!(is_control_id("AC-07", "AC"));
        assert!(is_control_id("AC-107", "AC"));
        assert!(!is_control_id("AC-7", "AC"));
        assert!(!is_control_id("SC-07", "AC"));
        assert!(is_nist_id("AC-7"));
        assert!(is_nist_id("SC-8(1)"));
        assert!(!is_nist_id("SC-8(1"));
        assert!(!is_nist_id("ac-7"));
        assert!(is_kebab("failed-logon"));
        assert!(!is_kebab("Failed_logon"));
    }
}
