//! Scan rules: YAML → compiled rules. Conditions compile once into a [`Cond`] tree that
//! the evaluator walks against borrowed resource values.

use std::collections::HashMap;

use cloudward_domain::catalog::Catalog;
use cloudward_domain::load::Source;
use cloudward_domain::problem::{Problem, ProblemKind};
use cloudward_domain::{ProtectionLevel, Text};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const IDS: [&'static str; 4] = ["critical", "high", "medium", "low"];

    pub fn id(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(v: &str) -> Option<Severity> {
        match v {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Resource,
    Account,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    pub text: Text,
    pub terraform: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub provider: String,
    pub resources: Vec<String>,
    pub scope: Scope,
    pub severity: Severity,
    pub level: ProtectionLevel,
    pub controls: std::sync::Arc<[String]>,
    pub title: Text,
    pub remediation: Remediation,
    pub cond: Cond,
    pub file: String,
}

/// A path segment: a key, or a list index.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<Seg>;

#[derive(Debug, Clone)]
pub enum Op {
    Exists(bool),
    Equals(Value),
    NotEquals(Value),
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    Matches(Regex),
    Contains(Value),
    NotEmpty,
    CidrAny,
    PortIncludesAny(Vec<i64>),
}

impl Op {
    /// The result on an absent attribute: negative tests hold, positive ones do not.
    pub fn on_absent(&self) -> bool {
        matches!(self, Op::Exists(false) | Op::NotEquals(_) | Op::NotIn(_))
    }
}

#[derive(Debug, Clone)]
pub enum Cond {
    Test {
        path: Path,
        op: Op,
        default: Option<Value>,
    },
    Ports {
        from: Path,
        to: Path,
        includes_any: Vec<i64>,
    },
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    ForAll(Path, Box<Cond>),
    ForAny(Path, Box<Cond>),
    Related {
        rtype: String,
        via: String,
        cond: Option<Box<Cond>>,
    },
    ResourceExists {
        rtype: String,
        cond: Option<Box<Cond>>,
    },
    RegionMainland,
}

// ---------------------------------------------------------------- raw YAML

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: Option<String>,
    en: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRemediation {
    zh: Option<String>,
    en: Option<String>,
    terraform: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    provider: String,
    #[serde(default)]
    resources: Vec<String>,
    scope: Option<String>,
    severity: String,
    level: String,
    controls: Vec<String>,
    title: RawText,
    require: Json,
    remediation: RawRemediation,
}

pub const PROVIDERS: [&str; 4] = ["alicloud", "tencentcloud", "huaweicloud", "aws"];

const COND_KEYS: [&str; 27] = [
    "require",
    "path",
    "exists",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "matches",
    "contains",
    "not_empty",
    "cidr_any",
    "port_includes_any",
    "ports",
    "includes_any",
    "default",
    "all",
    "any",
    "not",
    "for_all",
    "for_any",
    "related",
    "resource_exists",
    "region",
];

// ---------------------------------------------------------------- compiling conditions

fn parse_path(s: &str) -> Result<Path, String> {
    if s.trim().is_empty() {
        return Err("empty path".into());
    }
    s.split('.')
        .map(|seg| {
            if seg.is_empty() {
                Err(format!("empty segment in path '{s}'"))
            } else if let Ok(i) = seg.parse::<usize>() {
                Ok(Seg::Index(i))
            } else {
                Ok(Seg::Key(seg.to_owned()))
            }
        })
        .collect()
}

fn num(v: &Json, what: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{what} needs a number, not {v}"))
}

fn ports(v: &Json, what: &str) -> Result<Vec<i64>, String> {
    v.as_array()
        .ok_or_else(|| format!("{what} needs a list of port numbers"))?
        .iter()
        .map(|p| {
            p.as_i64()
                .ok_or_else(|| format!("{what}: '{p}' is not a port number"))
        })
        .collect()
}

fn compile_list(v: &Json, at: &str) -> Result<Vec<Cond>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("{at} needs a list of conditions"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, c)| compile(c, &format!("{at}[{i}]")))
        .collect()
}

/// Compiles one condition; `at` names where it is, for errors (`require.any[1]`).
pub fn compile(v: &Json, at: &str) -> Result<Cond, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{at}: a condition is a mapping, not {v}"))?;
    for key in obj.keys() {
        if !COND_KEYS.contains(&key.as_str()) {
            return Err(format!(
                "{at}: unknown key '{key}'; accepted: {}",
                COND_KEYS.join(", ")
            ));
        }
    }
    let get = |k: &str| obj.get(k);
    if let Some(list) = get("all") {
        return Ok(Cond::All(compile_list(list, &format!("{at}.all"))?));
    }
    if let Some(list) = get("any") {
        return Ok(Cond::Any(compile_list(list, &format!("{at}.any"))?));
    }
    if let Some(inner) = get("not") {
        return Ok(Cond::Not(Box::new(compile(inner, &format!("{at}.not"))?)));
    }
    for (key, universal) in [("for_all", true), ("for_any", false)] {
        if let Some(p) = get(key) {
            let path = parse_path(
                p.as_str()
                    .ok_or_else(|| format!("{at}.{key} needs a path"))?,
            )?;
            let req = get("require").ok_or_else(|| format!("{at}.{key} needs require"))?;
            let inner = Box::new(compile(req, &format!("{at}.require"))?);
            return Ok(if universal {
                Cond::ForAll(path, inner)
            } else {
                Cond::ForAny(path, inner)
            });
        }
    }
    if let Some(rel) = get("related") {
        let rtype = rel
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}.related needs type"))?;
        let via = rel
            .get("via")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}.related needs via"))?;
        let cond = match get("require") {
            Some(r) => Some(Box::new(compile(r, &format!("{at}.require"))?)),
            None if get("exists") == Some(&Json::Bool(true)) => None,
            None => return Err(format!("{at}.related needs require or exists: true")),
        };
        return Ok(Cond::Related {
            rtype: rtype.to_owned(),
            via: via.to_owned(),
            cond,
        });
    }
    if let Some(rx) = get("resource_exists") {
        let rtype = rx
            .get("type")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}.resource_exists needs type"))?;
        let cond = match rx.get("require") {
            Some(r) => Some(Box::new(compile(
                r,
                &format!("{at}.resource_exists.require"),
            )?)),
            None => None,
        };
        return Ok(Cond::ResourceExists {
            rtype: rtype.to_owned(),
            cond,
        });
    }
    if let Some(region) = get("region") {
        return match region.as_str() {
            Some("mainland") => Ok(Cond::RegionMainland),
            _ => Err(format!("{at}.region: only 'mainland' is accepted")),
        };
    }
    if let Some(p) = get("ports") {
        let from = p
            .get("from")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}.ports needs from"))?;
        let to = p
            .get("to")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{at}.ports needs to"))?;
        let list = get("includes_any").ok_or_else(|| format!("{at}.ports needs includes_any"))?;
        return Ok(Cond::Ports {
            from: parse_path(from)?,
            to: parse_path(to)?,
            includes_any: ports(list, at)?,
        });
    }
    let path = get("path")
        .and_then(Json::as_str)
        .ok_or_else(|| format!("{at}: a test needs path"))?;
    let path = parse_path(path)?;
    let default = get("default").map(Value::from_json);
    let ops: Vec<(&str, &Json)> = obj
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "path" | "default"))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let [(key, val)] = ops.as_slice() else {
        return Err(format!(
            "{at}: a test needs exactly one operator besides path and default"
        ));
    };
    let list = |v: &Json| -> Result<Vec<Value>, String> {
        v.as_array()
            .map(|a| a.iter().map(Value::from_json).collect())
            .ok_or_else(|| format!("{at}.{key} needs a list"))
    };
    let op = match *key {
        "exists" => Op::Exists(
            val.as_bool()
                .ok_or_else(|| format!("{at}.exists needs true or false"))?,
        ),
        "equals" => Op::Equals(Value::from_json(val)),
        "not_equals" => Op::NotEquals(Value::from_json(val)),
        "in" => Op::In(list(val)?),
        "not_in" => Op::NotIn(list(val)?),
        "gt" => Op::Gt(num(val, "gt")?),
        "gte" => Op::Gte(num(val, "gte")?),
        "lt" => Op::Lt(num(val, "lt")?),
        "lte" => Op::Lte(num(val, "lte")?),
        "matches" => {
            let s = val
                .as_str()
                .ok_or_else(|| format!("{at}.matches needs a string"))?;
            Op::Matches(Regex::new(s).map_err(|e| format!("{at}.matches: {e}"))?)
        }
        "contains" => Op::Contains(Value::from_json(val)),
        "not_empty" => Op::NotEmpty,
        "cidr_any" => Op::CidrAny,
        "port_includes_any" => Op::PortIncludesAny(ports(val, "port_includes_any")?),
        other => return Err(format!("{at}: '{other}' is not a test operator")),
    };
    Ok(Cond::Test { path, op, default })
}

// ---------------------------------------------------------------- loading rules

fn text(
    problems: &mut Vec<Problem>,
    file: &str,
    line: u64,
    id: &str,
    field: &str,
    zh: &Option<String>,
    en: &Option<String>,
) -> Text {
    let mut get = |v: &Option<String>, lang: &str| match v {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            problems.push(Problem {
                file: file.to_owned(),
                line: Some(line),
                entry: Some(id.to_owned()),
                kind: ProblemKind::MissingTranslation {
                    field: field.to_owned(),
                    lang: lang.to_owned(),
                },
            });
            String::new()
        }
    };
    let zh = get(zh, "zh");
    let en = get(en, "en");
    Text { zh, en }
}

/// Loads rules from layers of YAML sources (paths are for messages): the built-in rules,
/// then the user's (`--rules DIR`). Within a layer an id is unique; a later layer replaces
/// a rule of an earlier one with the same id.
pub fn load(layers: &[&[Source]], catalog: &Catalog) -> Result<Vec<Rule>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: HashMap<String, (usize, usize, String)> = HashMap::new();
    // YAML parsing is most of the cost of loading rules: parse the files in parallel,
    // then check them in order.
    use rayon::prelude::*;
    let sources: Vec<(usize, &Source)> = layers
        .iter()
        .enumerate()
        .flat_map(|(l, s)| s.iter().map(move |x| (l, x)))
        .collect();
    let parsed: Vec<Result<RawFile, serde_saphyr::Error>> = sources
        .par_iter()
        .map(|(_, src)| serde_saphyr::from_str::<RawFile>(&src.text))
        .collect();
    for ((layer, src), parsed) in sources.into_iter().zip(parsed) {
        let file = src.path.as_str();
        let raw: RawFile = match parsed {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem {
                    file: file.to_owned(),
                    line: e.location().map(|l| l.line()),
                    entry: None,
                    kind: ProblemKind::Syntax {
                        detail: e
                            .without_snippet()
                            .to_string()
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_owned(),
                    },
                });
                continue;
            }
        };
        for r in raw.rules {
            let id = r.id.value.clone();
            let line = r.id.referenced.line();
            let mut bad = |kind: ProblemKind| {
                problems.push(Problem {
                    file: file.to_owned(),
                    line: Some(line),
                    entry: Some(id.clone()),
                    kind,
                });
            };
            let unknown = |field: &str, value: &str, accepted: &[&str]| ProblemKind::UnknownValue {
                field: field.to_owned(),
                value: value.to_owned(),
                accepted: accepted.iter().map(|s| (*s).to_owned()).collect(),
            };
            if !PROVIDERS.contains(&r.provider.as_str()) {
                bad(unknown("provider", &r.provider, &PROVIDERS));
            }
            let severity = Severity::parse(&r.severity).unwrap_or_else(|| {
                bad(unknown("severity", &r.severity, &Severity::IDS));
                Severity::Low
            });
            let level = ProtectionLevel::parse(&r.level).unwrap_or_else(|| {
                bad(unknown(
                    "level",
                    &r.level,
                    &["general", "enhanced", "advanced"],
                ));
                ProtectionLevel::General
            });
            let scope = match r.scope.as_deref() {
                None | Some("resource") => Scope::Resource,
                Some("account") => Scope::Account,
                Some(other) => {
                    bad(unknown("scope", other, &["resource", "account"]));
                    Scope::Resource
                }
            };
            if scope == Scope::Resource && r.resources.is_empty() {
                bad(ProblemKind::Empty {
                    what: "resources".into(),
                });
            }
            for t in &r.resources {
                if !t.starts_with(&format!("{}_", r.provider)) {
                    bad(ProblemKind::BadId {
                        value: t.clone(),
                        expected: format!("{}_…", r.provider),
                    });
                }
            }
            if r.controls.is_empty() {
                bad(ProblemKind::Empty {
                    what: "controls".into(),
                });
            }
            for c in &r.controls {
                if catalog.control(c).is_none() {
                    bad(ProblemKind::DanglingReference {
                        field: "controls".into(),
                        value: c.clone(),
                    });
                }
            }
            let cond = match compile(&r.require, "require") {
                Ok(c) => Some(c),
                Err(detail) => {
                    bad(ProblemKind::Syntax { detail });
                    None
                }
            };
            let title = text(
                &mut problems,
                file,
                line,
                &id,
                "title",
                &r.title.zh,
                &r.title.en,
            );
            let rem = text(
                &mut problems,
                file,
                line,
                &id,
                "remediation",
                &r.remediation.zh,
                &r.remediation.en,
            );
            let Some(cond) = cond else { continue };
            let rule = Rule {
                id: id.clone(),
                provider: r.provider,
                resources: r.resources,
                scope,
                severity,
                level,
                controls: r.controls.into(),
                title,
                remediation: Remediation {
                    text: rem,
                    terraform: r.remediation.terraform,
                },
                cond,
                file: file.to_owned(),
            };
            match index.get(&id) {
                Some((_, first_layer, first_file)) if *first_layer == layer => {
                    problems.push(Problem {
                        file: file.to_owned(),
                        line: Some(line),
                        entry: Some(id.clone()),
                        kind: ProblemKind::DuplicateId {
                            id: id.clone(),
                            first: first_file.clone(),
                        },
                    });
                }
                Some((i, _, _)) => {
                    let i = *i;
                    if let Some(slot) = rules.get_mut(i) {
                        *slot = rule;
                    }
                    index.insert(id, (i, layer, file.to_owned()));
                }
                None => {
                    index.insert(id, (rules.len(), layer, file.to_owned()));
                    rules.push(rule);
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}
