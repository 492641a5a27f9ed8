//! Evaluating compiled conditions against resources, in three-valued logic: a value that
//! cannot be known makes the answer unknown, never a pass or a fail.

use cloudward_domain::regions::{Jurisdiction, RegionTable};

use crate::model::{Estate, Resource};
use crate::rules::{Cond, Op, Path, Seg};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// Kleene disjunction over an iterator.
fn any(items: impl Iterator<Item = Tri>) -> Tri {
    let mut unknown = false;
    for t in items {
        match t {
            Tri::True => return Tri::True,
            Tri::Unknown => unknown = true,
            Tri::False => {}
        }
    }
    if unknown { Tri::Unknown } else { Tri::False }
}

/// Kleene conjunction over an iterator.
fn all(items: impl Iterator<Item = Tri>) -> Tri {
    let mut unknown = false;
    for t in items {
        match t {
            Tri::False => return Tri::False,
            Tri::Unknown => unknown = true,
            Tri::True => {}
        }
    }
    if unknown { Tri::Unknown } else { Tri::True }
}

#[derive(Debug)]
pub struct Ctx<'a> {
    pub estate: &'a Estate,
    pub regions: &'a RegionTable,
    /// An account-wide rule evaluated on one of the resources that carry its setting: its
    /// `resource_exists` tests of those types (first) see that resource (second) alone.
    pub only: Option<(&'a [String], &'a crate::model::Resource)>,
}

impl<'a> Ctx<'a> {
    pub fn new(estate: &'a Estate, regions: &'a RegionTable) -> Ctx<'a> {
        Ctx {
            estate,
            regions,
            only: None,
        }
    }

    /// The resources of `rtype` a `resource_exists` test looks at.
    fn existing<'b>(
        &'b self,
        rtype: &'b str,
    ) -> Box<dyn Iterator<Item = &'a crate::model::Resource> + 'b> {
        match self.only {
            Some((types, r)) if types.iter().any(|t| t == rtype) => {
                Box::new((*r.rtype == *rtype).then_some(r).into_iter())
            }
            _ => Box::new(self.estate.of_type(rtype)),
        }
    }
}

/// The values a path reaches. A key applied to a list walks into every element (nested
/// blocks are lists). An unknown on the way is returned as such.
pub fn resolve<'v>(node: &'v Value, path: &[Seg], out: &mut Vec<&'v Value>) {
    let Some((first, rest)) = path.split_first() else {
        if !matches!(node, Value::Null) {
            out.push(node);
        }
        return;
    };
    match (node, first) {
        (Value::Unknown, _) => out.push(node),
        (Value::Map(m), Seg::Key(k)) => {
            if let Some(v) = m.get(k) {
                resolve(v, rest, out);
            }
        }
        (Value::Map(m), Seg::Index(i)) => {
            if let Some(v) = m.get(&i.to_string()) {
                resolve(v, rest, out);
            }
        }
        (Value::List(l), Seg::Index(i)) => {
            if let Some(v) = l.get(*i) {
                resolve(v, rest, out);
            }
        }
        (Value::List(l), Seg::Key(_)) => {
            for v in l {
                resolve(v, path, out);
            }
        }
        _ => {}
    }
}

fn cidr_is_any(s: &str) -> bool {
    let s = s.trim();
    s == "0.0.0.0/0" || s == "::/0" || s == "*" || s == "0.0.0.0"
}

/// Whether a port-range string includes `port`.
fn range_includes(s: &str, port: i64) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("all") || s == "-1/-1" || s == "-1" || s == "*" {
        return Some(true);
    }
    let mut known = false;
    for part in s.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once(['/', '-']) {
            Some((a, b)) => (a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?),
            None => {
                let p = part.parse::<i64>().ok()?;
                (p, p)
            }
        };
        known = true;
        if lo == -1 || (lo <= port && port <= hi) {
            return Some(true);
        }
    }
    known.then_some(false)
}

fn test(op: &Op, v: &Value) -> Tri {
    // A value that is set but not known (a reference to another resource's id) does
    // exist and is not empty; every other test on it is unknown.
    if matches!(v, Value::Unknown) && matches!(op, Op::NotEmpty) {
        return Tri::True;
    }
    // A list or map with elements is not empty, whether or not the elements are known
    // (`SecurityGroupIds: [!Ref Group]`).
    if matches!(op, Op::NotEmpty)
        && match v {
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            _ => false,
        }
    {
        return Tri::True;
    }
    if v.contains_unknown() && !matches!(op, Op::Exists(_)) {
        return Tri::Unknown;
    }
    match op {
        Op::Exists(want) => Tri::from(*want),
        Op::Equals(x) => Tri::from(v.loosely_equals(x)),
        Op::NotEquals(x) => Tri::from(!v.loosely_equals(x)),
        Op::In(xs) => Tri::from(xs.iter().any(|x| v.loosely_equals(x))),
        Op::NotIn(xs) => Tri::from(!xs.iter().any(|x| v.loosely_equals(x))),
        Op::Gt(n) => Tri::from(v.as_number().is_some_and(|x| x > *n)),
        Op::Gte(n) => Tri::from(v.as_number().is_some_and(|x| x >= *n)),
        Op::Lt(n) => Tri::from(v.as_number().is_some_and(|x| x < *n)),
        Op::Lte(n) => Tri::from(v.as_number().is_some_and(|x| x <= *n)),
        Op::Matches(re) => Tri::from(v.as_str().is_some_and(|s| re.is_match(s))),
        Op::Contains(x) => Tri::from(match v {
            Value::List(l) => l.iter().any(|e| e.loosely_equals(x)),
            Value::String(s) => x.as_str().is_some_and(|n| s.contains(n)),
            _ => false,
        }),
        Op::NotEmpty => Tri::from(match v {
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            _ => true,
        }),
        Op::CidrAny => Tri::from(match v {
            Value::String(s) => s.split(',').any(cidr_is_any),
            Value::List(l) => l.iter().any(|e| e.as_str().is_some_and(cidr_is_any)),
            _ => false,
        }),
        Op::PortIncludesAny(ports) => match v {
            Value::String(s) => match ports
                .iter()
                .map(|p| range_includes(s, *p))
                .collect::<Option<Vec<bool>>>()
            {
                Some(hits) => Tri::from(hits.into_iter().any(|h| h)),
                None => Tri::False,
            },
            Value::Number(n) => Tri::from(
                ports
                    .iter()
                    .any(|p| (*p as f64 - n).abs() < 1e-9 || *n < 0.0),
            ),
            _ => Tri::False,
        },
    }
}

fn eval_test(node: &Value, path: &Path, op: &Op, default: &Option<Value>) -> Tri {
    let mut found = Vec::new();
    resolve(node, path, &mut found);
    if found.is_empty() {
        return match default {
            Some(d) => test(op, d),
            None => Tri::from(op.on_absent()),
        };
    }
    // Negative tests must hold for every value; positive ones for some.
    match op {
        Op::NotEquals(_) | Op::NotIn(_) | Op::Exists(false) => {
            all(found.iter().map(|v| test(op, v)))
        }
        _ => any(found.iter().map(|v| test(op, v))),
    }
}

fn number_at(node: &Value, path: &Path) -> Result<Option<f64>, ()> {
    let mut found = Vec::new();
    resolve(node, path, &mut found);
    match found.first() {
        None => Ok(None),
        Some(v) if v.is_unknown() => Err(()),
        Some(v) => Ok(v.as_number()),
    }
}

/// Whether `other` refers to `target` through its attribute `via`.
fn refers_to(other: &Resource, via: &str, target: &Resource) -> bool {
    let base = target.base_address();
    if other
        .refs
        .iter()
        .any(|(attr, addr)| **attr == *via && (**addr == *base || *addr == target.address))
    {
        return true;
    }
    let mut found = Vec::new();
    resolve(&other.attrs, &[Seg::Key(via.to_owned())], &mut found);
    found.iter().any(|v| {
        v.as_str().is_some_and(|s| {
            ["id", "name", "bucket", "arn"]
                .iter()
                .filter_map(|k| target.attrs.get(k).and_then(Value::as_str))
                .any(|t| t == s)
                || s == &*target.address
        })
    })
}

/// Evaluates `cond` for `res`, with `node` the value paths start from.
pub fn eval(cond: &Cond, res: &Resource, node: &Value, ctx: &Ctx) -> Tri {
    match cond {
        Cond::Test { path, op, default } => eval_test(node, path, op, default),
        Cond::Ports {
            from,
            to,
            includes_any,
        } => match (number_at(node, from), number_at(node, to)) {
            (Err(()), _) | (_, Err(())) => Tri::Unknown,
            (Ok(Some(lo)), Ok(Some(hi))) => {
                let all_ports = lo < 0.0
                    || hi < 0.0
                    || (lo == 0.0 && hi == 0.0)
                    || (lo == 0.0 && hi >= 65535.0);
                Tri::from(
                    all_ports
                        || includes_any
                            .iter()
                            .any(|p| lo <= *p as f64 && (*p as f64) <= hi),
                )
            }
            _ => Tri::False,
        },
        Cond::All(list) => all(list.iter().map(|c| eval(c, res, node, ctx))),
        Cond::Any(list) => any(list.iter().map(|c| eval(c, res, node, ctx))),
        Cond::Not(inner) => eval(inner, res, node, ctx).not(),
        Cond::ForAll(path, inner) | Cond::ForAny(path, inner) => {
            let mut found = Vec::new();
            resolve(node, path, &mut found);
            let mut elems: Vec<&Value> = Vec::new();
            let mut unknown = false;
            for v in found {
                match v {
                    Value::List(l) => elems.extend(l.iter()),
                    Value::Unknown => unknown = true,
                    other => elems.push(other),
                }
            }
            let results = elems.into_iter().map(|e| eval(inner, res, e, ctx));
            let r = if matches!(cond, Cond::ForAll(..)) {
                all(results)
            } else {
                any(results)
            };
            match (r, unknown) {
                (Tri::True, true) if matches!(cond, Cond::ForAll(..)) => Tri::Unknown,
                (Tri::False, true) => Tri::Unknown,
                (r, _) => r,
            }
        }
        Cond::Related { rtype, via, cond } => {
            let related = ctx.estate.of_type(rtype).filter(|o| refers_to(o, via, res));
            match cond {
                None => Tri::from(related.count() > 0),
                Some(c) => any(related.map(|o| eval(c, o, &o.attrs, ctx))),
            }
        }
        Cond::ResourceExists { rtype, cond } => {
            let candidates = ctx.existing(rtype);
            match cond {
                None => Tri::from(candidates.count() > 0),
                Some(c) => any(candidates.map(|o| eval(c, o, &o.attrs, ctx))),
            }
        }
        Cond::RegionMainland => match &res.region {
            None => Tri::Unknown,
            Some(region) => match ctx.regions.jurisdiction(&res.provider, region) {
                Jurisdiction::Mainland => Tri::True,
                Jurisdiction::Outside => Tri::False,
                Jurisdiction::Unknown => Tri::Unknown,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(range_includes("22/22", 22), Some(true));
        assert_eq!(range_includes("1/65535", 3389), Some(true));
        assert_eq!(range_includes("-1/-1", 3306), Some(true));
        assert_eq!(range_includes("80/443", 22), Some(false));
        assert_eq!(range_includes("22,80,443", 80), Some(true));
        assert_eq!(range_includes("ALL", 1), Some(true));
        assert_eq!(range_includes("20-25", 22), Some(true));
        assert_eq!(range_includes("ssh", 22), None);
    }

    #[test]
    fn kleene() {
        assert_eq!(any([Tri::False, Tri::Unknown].into_iter()), Tri::Unknown);
        assert_eq!(any([Tri::Unknown, Tri::True].into_iter()), Tri::True);
        assert_eq!(all([Tri::True, Tri::Unknown].into_iter()), Tri::Unknown);
        assert_eq!(all([Tri::Unknown, Tri::False].into_iter()), Tri::False);
    }
}

/// Why a condition is unknown for a resource: the first unresolved value it meets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnknownReason {
    /// An attribute whose value is not known statically.
    Value { path: String },
    /// The resource's region is not known.
    RegionMissing,
    /// The region is in no table.
    Jurisdiction { region: String },
}

fn path_text(path: &Path) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Explains an unknown result (`None` when nothing unknown is found).
pub fn explain(cond: &Cond, res: &Resource, node: &Value, ctx: &Ctx) -> Option<UnknownReason> {
    let unknown_at = |path: &Path| {
        let mut found = Vec::new();
        resolve(node, path, &mut found);
        found
            .iter()
            .any(|v| v.contains_unknown())
            .then(|| UnknownReason::Value {
                path: path_text(path),
            })
    };
    match cond {
        Cond::Test { path, .. } => unknown_at(path),
        Cond::Ports { from, to, .. } => unknown_at(from).or_else(|| unknown_at(to)),
        Cond::All(list) | Cond::Any(list) => list.iter().find_map(|c| explain(c, res, node, ctx)),
        Cond::Not(inner) => explain(inner, res, node, ctx),
        Cond::ForAll(path, inner) | Cond::ForAny(path, inner) => unknown_at(path).or_else(|| {
            let mut found = Vec::new();
            resolve(node, path, &mut found);
            found
                .into_iter()
                .flat_map(|v| match v {
                    Value::List(l) => l.iter().collect::<Vec<_>>(),
                    other => vec![other],
                })
                .find_map(|e| explain(inner, res, e, ctx))
        }),
        Cond::Related { rtype, via, cond } => cond.as_ref().and_then(|c| {
            ctx.estate
                .of_type(rtype)
                .filter(|o| refers_to(o, via, res))
                .find_map(|o| explain(c, o, &o.attrs, ctx))
        }),
        Cond::ResourceExists { rtype, cond } => cond.as_ref().and_then(|c| {
            ctx.existing(rtype)
                .find_map(|o| explain(c, o, &o.attrs, ctx))
        }),
        Cond::RegionMainland => match &res.region {
            None => Some(UnknownReason::RegionMissing),
            Some(r) if ctx.regions.jurisdiction(&res.provider, r) == Jurisdiction::Unknown => {
                Some(UnknownReason::Jurisdiction {
                    region: r.to_string(),
                })
            }
            Some(_) => None,
        },
    }
}
