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
    /// The rule's own examples (`tests:` in its file), run by `cloudward rules test`.
    pub tests: RawTests,
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
    /// Some action pattern of a policy statement (`*`, `ram:*`, `iam:Pass*`) matches one of
    /// these actions.
    GrantsAny(Vec<String>),
    /// A CIDR whose range reaches a public (not private, not reserved) IPv4 address.
    CidrPublic,
    /// A CIDR whose prefix is this long or shorter (as wide or wider).
    CidrPrefixLte(u8),
    /// A dotted version at least / below this one.
    VersionGte(Vec<u64>),
    VersionLt(Vec<u64>),
}

/// How a `json` / `base64` condition decodes the string it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    Json,
    Base64,
}

/// The numeric parts of a version string: `v1.28.3-aliyun.1` is `[1, 28, 3]`, `7.0` is
/// `[7, 0]`; `None` when it does not begin with a number.
pub fn version_parts(s: &str) -> Option<Vec<u64>> {
    let s = s.trim();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let mut out = Vec::new();
    for part in s.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        out.push(digits.parse().ok()?);
        if digits.len() < part.len() {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Compares two versions part by part, a missing part counting as 0.
pub fn version_cmp(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
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
        to: Option<Path>,
        cond: Option<Box<Cond>>,
        /// With `at_most` / `at_least`: how many related resources (satisfying `cond`) there
        /// may be, instead of "some".
        count: Option<Count>,
    },
    /// A resource of type `rtype` that this one's attribute `via` refers to satisfies
    /// `cond` (or exists).
    RefersTo {
        rtype: String,
        via: String,
        to: Option<Path>,
        cond: Option<Box<Cond>>,
    },
    /// The string at the path, decoded, satisfies the condition.
    Decode(Path, Decoding, Box<Cond>),
    /// `declared: false`: a resource of the rule's types must not be declared at all.
    Never,
    /// Two attributes are set and the same: equal values, or references to the same
    /// resource.
    Same(Path, Path),
    ResourceExists {
        rtype: String,
        cond: Option<Box<Cond>>,
    },
    RegionMainland,
}

/// Bounds on a number of related resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub at_least: Option<u64>,
    pub at_most: Option<u64>,
}

// ---------------------------------------------------------------- raw YAML

/// A rule file (`cloudward schema rule` prints its JSON Schema).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cloudward rule file", bound = "")]
pub struct RawFile<C = Spanned<RawCond>> {
    /// The rules of the file.
    rules: Vec<RawRule<C>>,
}

/// A text in both languages.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: Option<String>,
    en: Option<String>,
}

/// How to fix a finding: in both languages, with an optional Terraform example.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawRemediation {
    zh: Option<String>,
    en: Option<String>,
    /// A short, correct Terraform resource showing the fix.
    terraform: Option<String>,
}

/// One rule.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(bound = "")]
struct RawRule<C = Spanned<RawCond>> {
    /// PROVIDER-SERVICE-NN, unique.
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// alicloud, tencentcloud, huaweicloud or aws.
    provider: String,
    /// The resource types the rule checks (for an account rule: the types that carry the
    /// setting; by default those its resource_exists tests name).
    #[serde(default)]
    resources: Vec<String>,
    /// resource (default) or account.
    scope: Option<String>,
    /// critical, high, medium or low.
    severity: String,
    /// The lowest protection level at which the rule applies: general, enhanced or advanced.
    level: String,
    /// Catalog control ids.
    controls: Vec<String>,
    title: RawText,
    /// The compliant state: the rule fails where it is false.
    #[schemars(with = "RawCond")]
    require: C,
    remediation: RawRemediation,
    /// Examples the rule must fail and pass on, run by `cloudward rules test`.
    #[serde(default)]
    tests: Option<RawTests>,
}

impl<C> RawRule<C> {
    /// The rule without its condition, and the condition.
    fn split(self) -> (RawRule<()>, C) {
        let RawRule {
            id,
            provider,
            resources,
            scope,
            severity,
            level,
            controls,
            title,
            require,
            remediation,
            tests,
        } = self;
        (
            RawRule {
                id,
                provider,
                resources,
                scope,
                severity,
                level,
                controls,
                title,
                require: (),
                remediation,
                tests,
            },
            require,
        )
    }
}

/// HCL snippets a rule must fail on (every resource of its types) and pass on.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTests {
    #[serde(default)]
    pub fail: Vec<String>,
    #[serde(default)]
    pub pass: Vec<String>,
}

/// The target of a `related` condition.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawRelated {
    /// The related resource type.
    #[serde(rename = "type")]
    rtype: String,
    /// The attribute of the related resource that refers to this one (for `refers_to`:
    /// this resource's attribute that refers to the other).
    via: String,
    /// What the `via` value is compared with on the resource referred to: a dotted path
    /// (`metric_transformation.name`) instead of its id or name.
    to: Option<String>,
}

/// The target of a `resource_exists` condition.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawExists {
    #[serde(rename = "type")]
    rtype: String,
    #[schemars(with = "Option<RawCond>")]
    require: Option<Box<Spanned<RawCond>>>,
}

/// A port range given by two attributes.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawPorts {
    from: String,
    to: String,
}

/// A condition: exactly one form per mapping — a combinator (`all`, `any`, `not`), a
/// quantifier (`for_all`/`for_any` with `require`), `related` (with `require` or `exists:
/// true`), `resource_exists`, `region`, `ports` (with `includes_any`), or an attribute test
/// (`path`, one operator, optional `default`). Keys of two forms in one mapping are refused.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCond {
    #[schemars(with = "Option<Vec<RawCond>>")]
    #[serde(default, deserialize_with = "given")]
    all: Option<Vec<Spanned<RawCond>>>,
    #[schemars(with = "Option<Vec<RawCond>>")]
    #[serde(default, deserialize_with = "given")]
    any: Option<Vec<Spanned<RawCond>>>,
    #[schemars(with = "Option<Box<RawCond>>")]
    #[serde(default, deserialize_with = "given")]
    not: Option<Box<Spanned<RawCond>>>,
    for_all: Option<String>,
    for_any: Option<String>,
    #[schemars(with = "Option<Box<RawCond>>")]
    #[serde(default, deserialize_with = "given")]
    require: Option<Box<Spanned<RawCond>>>,
    related: Option<RawRelated>,
    /// With `related`: at most this many related resources (that satisfy `require`).
    at_most: Option<u64>,
    /// With `related`: at least this many.
    at_least: Option<u64>,
    /// A resource that this one's attribute `via` refers to.
    refers_to: Option<RawRelated>,
    /// A path to a JSON document (a policy written as a string or with jsonencode); its
    /// `require` applies to the decoded document.
    json: Option<String>,
    /// A path to base64 text (user data); its `require` applies to the decoded text.
    base64: Option<String>,
    /// Only `false`: a resource of the rule's types must not be declared.
    declared: Option<bool>,
    /// Two attribute paths that hold the same value or refer to the same resource.
    same: Option<Vec<String>>,
    resource_exists: Option<RawExists>,
    /// Only `mainland`.
    region: Option<String>,
    ports: Option<RawPorts>,
    includes_any: Option<Vec<i64>>,
    path: Option<String>,
    /// The provider's default, used when the attribute is absent.
    default: Option<Json>,
    exists: Option<bool>,
    equals: Option<Json>,
    not_equals: Option<Json>,
    #[serde(rename = "in")]
    is_in: Option<Vec<Json>>,
    not_in: Option<Vec<Json>>,
    gt: Option<f64>,
    gte: Option<f64>,
    lt: Option<f64>,
    lte: Option<f64>,
    matches: Option<String>,
    contains: Option<Json>,
    not_empty: Option<bool>,
    cidr_any: Option<bool>,
    port_includes_any: Option<Vec<i64>>,
    /// Policy actions: true when an action pattern at the path (a string or a list:
    /// `*`, `ram:*`, `iam:Pass*`) matches one of them, case-insensitively.
    grants_any: Option<Vec<String>>,
    /// A CIDR (or list) that reaches public IPv4 addresses.
    cidr_public: Option<bool>,
    /// A CIDR (or list) with a prefix this long or shorter.
    cidr_prefix_lte: Option<u8>,
    /// A version (`1.28.3`, `v7.0`, `1.30.1-aliyun.1`) at least this one.
    version_gte: Option<String>,
    /// A version below this one.
    version_lt: Option<String>,
}

/// A combinator or `require` that is written must hold something: `not:` with nothing
/// after it (the block below indented as its sibling instead of its value) would otherwise
/// read as absent, and the condition beside it would silently lose its `not`.
fn given<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(
            "a combinator or require needs a condition, not an empty value (is the block below indented under it?)",
        )),
    }
}

/// The clouds rules are written for, `ros` for Alibaba Cloud ROS templates, and
/// `terraform` for what is in the code itself (hard-coded secrets).
pub const PROVIDERS: [&str; 6] = [
    "alicloud",
    "tencentcloud",
    "huaweicloud",
    "aws",
    "ros",
    "terraform",
];

/// How the resource types of a provider's rules begin: `alicloud_…`, `ALIYUN::…`.
pub fn type_prefix(provider: &str) -> String {
    match provider {
        "ros" => "ALIYUN::".to_owned(),
        p => format!("{p}_"),
    }
}

/// The JSON Schema of a rule file.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(RawFile<Spanned<RawCond>>)
}

// ---------------------------------------------------------------- compiling conditions

fn parse_path(s: &str) -> Result<Path, String> {
    // The value itself: an element of a list of strings, a decoded text.
    if s.trim() == "." {
        return Ok(Vec::new());
    }
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

/// Where a condition is: its position in the file and its place in the rule.
fn place(node: &Spanned<RawCond>, at: &str) -> String {
    let l = node.referenced;
    if l.line() > 0 {
        format!("line {} column {}: {at}", l.line(), l.column())
    } else {
        at.to_owned()
    }
}

fn compile_list(items: &[Spanned<RawCond>], at: &str) -> Result<Vec<Cond>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, c)| compile(c, &format!("{at}[{i}]")))
        .collect()
}

/// Compiles one condition; `at` names where it is in the rule, for errors
/// (`require.any[1]`), which also give the line and column in the file.
pub fn compile(node: &Spanned<RawCond>, at: &str) -> Result<Cond, String> {
    let c = &node.value;
    let here = || place(node, at);
    // Which form the mapping is: exactly one.
    let ops: Vec<&str> = [
        ("exists", c.exists.is_some()),
        ("equals", c.equals.is_some()),
        ("not_equals", c.not_equals.is_some()),
        ("in", c.is_in.is_some()),
        ("not_in", c.not_in.is_some()),
        ("gt", c.gt.is_some()),
        ("gte", c.gte.is_some()),
        ("lt", c.lt.is_some()),
        ("lte", c.lte.is_some()),
        ("matches", c.matches.is_some()),
        ("contains", c.contains.is_some()),
        ("not_empty", c.not_empty.is_some()),
        ("cidr_any", c.cidr_any.is_some()),
        ("port_includes_any", c.port_includes_any.is_some()),
        ("grants_any", c.grants_any.is_some()),
        ("cidr_public", c.cidr_public.is_some()),
        ("cidr_prefix_lte", c.cidr_prefix_lte.is_some()),
        ("version_gte", c.version_gte.is_some()),
        ("version_lt", c.version_lt.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    let forms: Vec<&str> = [
        ("all", c.all.is_some()),
        ("any", c.any.is_some()),
        ("not", c.not.is_some()),
        ("for_all", c.for_all.is_some()),
        ("for_any", c.for_any.is_some()),
        ("related", c.related.is_some()),
        ("refers_to", c.refers_to.is_some()),
        ("json", c.json.is_some()),
        ("base64", c.base64.is_some()),
        ("declared", c.declared.is_some()),
        ("same", c.same.is_some()),
        ("resource_exists", c.resource_exists.is_some()),
        ("region", c.region.is_some()),
        ("ports", c.ports.is_some()),
        ("path", c.path.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    let form = match forms.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "{}: an empty condition; give one of all, any, not, for_all, for_any, related, refers_to, json, base64, declared, same, resource_exists, region, ports or a test (path with one operator)",
                here()
            ));
        }
        many => {
            return Err(format!(
                "{}: one condition mixes {}; give one per mapping and nest them (all: [{{...}}, {{not: ...}}])",
                here(),
                many.join(" and ")
            ));
        }
    };
    // Keys that belong with the form; any other is a second form in disguise.
    let companions: &[&str] = match form {
        "for_all" | "for_any" | "json" | "base64" => &["require"],
        "related" => &["require", "exists", "at_most", "at_least"],
        "refers_to" => &["require", "exists"],
        "ports" => &["includes_any"],
        "path" => &["default"],
        _ => &[],
    };
    let mut extra: Vec<&str> = Vec::new();
    if c.require.is_some() && !companions.contains(&"require") {
        extra.push("require");
    }
    if c.includes_any.is_some() && !companions.contains(&"includes_any") {
        extra.push("includes_any");
    }
    if c.default.is_some() && !companions.contains(&"default") {
        extra.push("default");
    }
    if c.at_most.is_some() && !companions.contains(&"at_most") {
        extra.push("at_most");
    }
    if c.at_least.is_some() && !companions.contains(&"at_least") {
        extra.push("at_least");
    }
    for op in &ops {
        if !(form == "path" || (matches!(form, "related" | "refers_to") && *op == "exists")) {
            extra.push(op);
        }
    }
    if !extra.is_empty() {
        return Err(format!(
            "{}: '{}' does not go with '{form}' in one condition",
            here(),
            extra.join("', '")
        ));
    }
    let need = |what: &str| format!("{}: '{form}' needs {what}", here());
    match form {
        "all" => Ok(Cond::All(compile_list(
            c.all.as_deref().unwrap_or_default(),
            &format!("{at}.all"),
        )?)),
        "any" => Ok(Cond::Any(compile_list(
            c.any.as_deref().unwrap_or_default(),
            &format!("{at}.any"),
        )?)),
        "not" => match &c.not {
            Some(inner) => Ok(Cond::Not(Box::new(compile(inner, &format!("{at}.not"))?))),
            None => Err(need("a condition")),
        },
        "for_all" | "for_any" => {
            let p = c.for_all.as_deref().or(c.for_any.as_deref()).unwrap_or("");
            let path = parse_path(p).map_err(|e| format!("{}: {e}", here()))?;
            let req = c.require.as_deref().ok_or_else(|| need("require"))?;
            let inner = Box::new(compile(req, &format!("{at}.require"))?);
            Ok(if form == "for_all" {
                Cond::ForAll(path, inner)
            } else {
                Cond::ForAny(path, inner)
            })
        }
        "related" | "refers_to" => {
            let rel = c
                .related
                .as_ref()
                .or(c.refers_to.as_ref())
                .ok_or_else(|| need("type and via"))?;
            let counted = c.at_most.is_some() || c.at_least.is_some();
            let cond = match (&c.require, c.exists) {
                (Some(r), None) => Some(Box::new(compile(r, &format!("{at}.require"))?)),
                (None, Some(true)) => None,
                (None, None) if counted => None,
                _ if counted => return Err(need("at_most/at_least with an optional require")),
                _ => return Err(need("either require or exists: true")),
            };
            let to = match rel.to.as_deref() {
                Some(p) => Some(parse_path(p).map_err(|e| format!("{}: to: {e}", here()))?),
                None => None,
            };
            if form == "refers_to" {
                return Ok(Cond::RefersTo {
                    rtype: rel.rtype.clone(),
                    via: rel.via.clone(),
                    to,
                    cond,
                });
            }
            if let (Some(lo), Some(hi)) = (c.at_least, c.at_most)
                && lo > hi
            {
                return Err(format!("{}: at_least {lo} is above at_most {hi}", here()));
            }
            Ok(Cond::Related {
                rtype: rel.rtype.clone(),
                via: rel.via.clone(),
                to,
                cond,
                count: counted.then_some(Count {
                    at_least: c.at_least,
                    at_most: c.at_most,
                }),
            })
        }
        "json" | "base64" => {
            let p = c.json.as_deref().or(c.base64.as_deref()).unwrap_or("");
            let path = parse_path(p).map_err(|e| format!("{}: {e}", here()))?;
            let req = c.require.as_deref().ok_or_else(|| need("require"))?;
            let inner = Box::new(compile(req, &format!("{at}.require"))?);
            let how = if form == "json" {
                Decoding::Json
            } else {
                Decoding::Base64
            };
            Ok(Cond::Decode(path, how, inner))
        }
        "same" => match c.same.as_deref() {
            Some([a, b]) => Ok(Cond::Same(
                parse_path(a).map_err(|e| format!("{}: {e}", here()))?,
                parse_path(b).map_err(|e| format!("{}: {e}", here()))?,
            )),
            _ => Err(format!("{}: same: give two attribute paths", here())),
        },
        "declared" => match c.declared {
            Some(false) => Ok(Cond::Never),
            _ => Err(format!(
                "{}: declared: only false is accepted (the resource must not be declared)",
                here()
            )),
        },
        "resource_exists" => {
            let rx = c.resource_exists.as_ref().ok_or_else(|| need("type"))?;
            let cond = match &rx.require {
                Some(r) => Some(Box::new(compile(
                    r,
                    &format!("{at}.resource_exists.require"),
                )?)),
                None => None,
            };
            Ok(Cond::ResourceExists {
                rtype: rx.rtype.clone(),
                cond,
            })
        }
        "region" => match c.region.as_deref() {
            Some("mainland") => Ok(Cond::RegionMainland),
            _ => Err(format!("{}: region: only 'mainland' is accepted", here())),
        },
        "ports" => {
            let p = c.ports.as_ref().ok_or_else(|| need("from and to"))?;
            let list = c.includes_any.clone().ok_or_else(|| need("includes_any"))?;
            Ok(Cond::Ports {
                from: parse_path(&p.from).map_err(|e| format!("{}: {e}", here()))?,
                to: parse_path(&p.to).map_err(|e| format!("{}: {e}", here()))?,
                includes_any: list,
            })
        }
        _ => {
            let path = parse_path(c.path.as_deref().unwrap_or(""))
                .map_err(|e| format!("{}: {e}", here()))?;
            let default = c.default.as_ref().map(Value::from_json);
            let [op] = ops.as_slice() else {
                return Err(format!(
                    "{}: a test needs exactly one operator besides path and default{}",
                    here(),
                    if ops.is_empty() {
                        String::new()
                    } else {
                        format!(", not {}", ops.join(" and "))
                    }
                ));
            };
            let list = |v: &Option<Vec<Json>>| -> Vec<Value> {
                v.iter().flatten().map(Value::from_json).collect()
            };
            let num = |v: Option<f64>| v.unwrap_or_default();
            let op = match *op {
                "exists" => Op::Exists(c.exists.unwrap_or(true)),
                "equals" => Op::Equals(
                    c.equals
                        .as_ref()
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
                "not_equals" => Op::NotEquals(
                    c.not_equals
                        .as_ref()
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
                "in" => Op::In(list(&c.is_in)),
                "not_in" => Op::NotIn(list(&c.not_in)),
                "gt" => Op::Gt(num(c.gt)),
                "gte" => Op::Gte(num(c.gte)),
                "lt" => Op::Lt(num(c.lt)),
                "lte" => Op::Lte(num(c.lte)),
                "matches" => {
                    let s = c.matches.as_deref().unwrap_or_default();
                    Op::Matches(Regex::new(s).map_err(|e| format!("{}.matches: {e}", here()))?)
                }
                "contains" => Op::Contains(
                    c.contains
                        .as_ref()
                        .map(Value::from_json)
                        .unwrap_or(Value::Null),
                ),
                "not_empty" if c.not_empty == Some(true) => Op::NotEmpty,
                "cidr_any" if c.cidr_any == Some(true) => Op::CidrAny,
                "cidr_public" if c.cidr_public == Some(true) => Op::CidrPublic,
                "not_empty" | "cidr_any" | "cidr_public" => {
                    return Err(format!("{}: '{op}' takes only true", here()));
                }
                "cidr_prefix_lte" => match c.cidr_prefix_lte {
                    Some(n) if n <= 128 => Op::CidrPrefixLte(n),
                    _ => return Err(format!("{}: cidr_prefix_lte takes 0 to 128", here())),
                },
                "grants_any" => {
                    let list = c.grants_any.clone().unwrap_or_default();
                    if list.is_empty() || list.iter().any(|a| a.trim().is_empty()) {
                        return Err(format!(
                            "{}: grants_any needs a list of actions such as [\"ram:*\"]",
                            here()
                        ));
                    }
                    Op::GrantsAny(list)
                }
                "version_gte" | "version_lt" => {
                    let s = c
                        .version_gte
                        .as_deref()
                        .or(c.version_lt.as_deref())
                        .unwrap_or("");
                    let v = version_parts(s).ok_or_else(|| {
                        format!(
                            "{}: {op}: '{s}' is not a version (digits separated by dots, such as 1.28)",
                            here()
                        )
                    })?;
                    if *op == "version_gte" {
                        Op::VersionGte(v)
                    } else {
                        Op::VersionLt(v)
                    }
                }
                _ => Op::PortIncludesAny(c.port_includes_any.clone().unwrap_or_default()),
            };
            Ok(Cond::Test { path, op, default })
        }
    }
}

// ---------------------------------------------------------------- loading rules

/// The resource types `resource_exists` tests in `cond` name, each once, in order.
fn exists_types(cond: &Cond, out: &mut Vec<String>) {
    match cond {
        Cond::ResourceExists { rtype, .. } => {
            if !out.contains(rtype) {
                out.push(rtype.clone());
            }
        }
        Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| exists_types(c, out)),
        Cond::Not(c) | Cond::ForAll(_, c) | Cond::ForAny(_, c) => exists_types(c, out),
        Cond::Related { cond, .. } | Cond::RefersTo { cond, .. } => {
            if let Some(c) = cond {
                exists_types(c, out);
            }
        }
        Cond::Decode(_, _, c) => exists_types(c, out),
        Cond::Test { .. }
        | Cond::Ports { .. }
        | Cond::RegionMainland
        | Cond::Never
        | Cond::Same(..) => {}
    }
}

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
        .filter(|(_, s)| !crate::packs::is_pack_file(&s.text))
        .collect();
    let parsed: Vec<Result<RawFile, serde_saphyr::Error>> = sources
        .par_iter()
        .map(|(_, src)| serde_saphyr::from_str::<RawFile>(&src.text))
        .collect();
    for ((layer, src), parsed) in sources.into_iter().zip(parsed) {
        let file = src.path.as_str();
        // A file whose conditions do not parse (an unknown key, say) is read again with
        // its conditions skipped, so that the rules' other problems are reported too.
        let raw_rules: Vec<(RawRule<()>, Option<Spanned<RawCond>>)> = match parsed {
            Ok(r) => r
                .rules
                .into_iter()
                .map(|r| {
                    let (rule, cond) = r.split();
                    (rule, Some(cond))
                })
                .collect(),
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
                match serde_saphyr::from_str::<RawFile<serde::de::IgnoredAny>>(&src.text) {
                    Ok(loose) => loose
                        .rules
                        .into_iter()
                        .map(|r| (r.split().0, None))
                        .collect(),
                    Err(_) => continue,
                }
            }
        };
        for (r, require) in raw_rules {
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
                if !t.starts_with(&type_prefix(&r.provider)) {
                    bad(ProblemKind::BadId {
                        value: t.clone(),
                        expected: format!("{}…", type_prefix(&r.provider)),
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
            let cond = match require.as_ref().map(|c| compile(c, "require")) {
                None => None,
                Some(Ok(c)) => Some(c),
                Some(Err(detail)) => {
                    // Located at the condition (its message begins "line N column M: ").
                    let at = detail
                        .strip_prefix("line ")
                        .and_then(|d| d.split(' ').next())
                        .and_then(|n| n.parse::<u64>().ok());
                    problems.push(Problem {
                        file: file.to_owned(),
                        line: at.or(Some(line)),
                        entry: Some(id.clone()),
                        kind: ProblemKind::Syntax { detail },
                    });
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
            // An account-wide rule's setting is carried by the resources its
            // `resource_exists` tests name, unless it lists them itself.
            let resources = if scope == Scope::Account && r.resources.is_empty() {
                let mut types = Vec::new();
                exists_types(&cond, &mut types);
                types
            } else {
                r.resources
            };
            let rule = Rule {
                id: id.clone(),
                provider: r.provider,
                resources,
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
                tests: r.tests.unwrap_or_default(),
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

/// Does `id` match the rule id or glob `pattern` (`*` any run, `?` one character), case
/// aside?
pub fn glob_match(pattern: &str, id: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_uppercase().chars().collect();
    let s: Vec<char> = id.to_ascii_uppercase().chars().collect();
    // Classic two-pointer wildcard matching, linear with one backtrack point.
    let (mut i, mut j, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while j < s.len() {
        if i < p.len() && (p[i] == '?' || p[i] == s[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}
