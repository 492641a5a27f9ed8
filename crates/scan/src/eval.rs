//! Evaluating compiled conditions against resources, in three-valued logic: a value that
//! cannot be known makes the answer unknown, never a pass or a fail.

use cloudward_domain::regions::{Jurisdiction, RegionTable};

use crate::model::{Estate, Resource};
use crate::rules::{Cond, Count, Decoding, Op, Path, Seg, glob_match, version_cmp, version_parts};
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

/// An address range: its first and last address (IPv4 as a number; IPv6 ranges keep only
/// the prefix length) and its prefix length.
struct Cidr {
    v4: Option<(u32, u32)>,
    prefix: u8,
}

fn cidr(s: &str) -> Option<Cidr> {
    let s = s.trim();
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.trim().parse::<u8>().ok()?)),
        None => (s, None),
    };
    if let Ok(ip) = addr.trim().parse::<std::net::Ipv4Addr>() {
        let len = len.unwrap_or(32);
        if len > 32 {
            return None;
        }
        let base = u32::from(ip);
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        let start = base & mask;
        return Some(Cidr {
            v4: Some((start, start | !mask)),
            prefix: len,
        });
    }
    addr.trim().parse::<std::net::Ipv6Addr>().ok()?;
    let len = len.unwrap_or(128);
    (len <= 128).then_some(Cidr {
        v4: None,
        prefix: len,
    })
}

/// Whether an IPv4 range reaches beyond the private and reserved blocks (RFC 1918, shared
/// address space, loopback, link-local, "this network", multicast and reserved).
fn reaches_public(c: &Cidr) -> bool {
    const NOT_PUBLIC: [(u32, u8); 8] = [
        (0x0000_0000, 8),
        (0x0A00_0000, 8),
        (0x6440_0000, 10),
        (0x7F00_0000, 8),
        (0xA9FE_0000, 16),
        (0xAC10_0000, 12),
        (0xC0A8_0000, 16),
        (0xE000_0000, 3),
    ];
    let Some((start, end)) = c.v4 else {
        return false;
    };
    !NOT_PUBLIC.iter().any(|(base, len)| {
        let mask = u32::MAX << (32 - u32::from(*len));
        start & mask == *base && end & mask == *base
    })
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

/// Whether `op` on a list of values (or the values of a map) tests each element (a
/// comparison with a single value), rather than the list as a whole.
fn per_element(op: &Op) -> bool {
    let scalar = |v: &Value| !matches!(v, Value::List(_));
    match op {
        Op::Equals(x) | Op::NotEquals(x) => scalar(x),
        Op::In(xs) | Op::NotIn(xs) => xs.iter().all(scalar),
        Op::Gt(_)
        | Op::Gte(_)
        | Op::Lt(_)
        | Op::Lte(_)
        | Op::Matches(_)
        | Op::GrantsAny(_)
        | Op::CidrPublic
        | Op::CidrPrefixLte(_)
        | Op::VersionGte(_)
        | Op::VersionLt(_) => true,
        Op::Exists(_) | Op::Contains(_) | Op::NotEmpty | Op::CidrAny | Op::PortIncludesAny(_) => {
            false
        }
    }
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
    // A comparison with one value on a list holds for some element (a negative one for
    // every element): `Action` may be "*" or ["*", "ecs:*"].
    if matches!(v, Value::List(_) | Value::Map(_)) && per_element(op) {
        let each: Box<dyn Iterator<Item = Tri>> = match v {
            Value::List(items) => Box::new(items.iter().map(|e| test(op, e))),
            Value::Map(m) => Box::new(m.values().map(|e| test(op, e))),
            _ => Box::new(std::iter::empty()),
        };
        return match op {
            Op::NotEquals(_) | Op::NotIn(_) => all(each),
            _ => any(each),
        };
    }
    let version = |v: &Value| match v {
        Value::String(s) => version_parts(s),
        Value::Number(n) => version_parts(&n.to_string()),
        _ => None,
    };
    match op {
        Op::GrantsAny(actions) => Tri::from(
            v.as_str()
                .is_some_and(|pattern| actions.iter().any(|a| glob_match(pattern.trim(), a))),
        ),
        Op::CidrPublic => Tri::from(
            v.as_str()
                .and_then(cidr)
                .is_some_and(|c| reaches_public(&c)),
        ),
        Op::CidrPrefixLte(n) => {
            Tri::from(v.as_str().and_then(cidr).is_some_and(|c| c.prefix <= *n))
        }
        Op::VersionGte(min) => {
            Tri::from(version(v).is_some_and(|x| version_cmp(&x, min) != std::cmp::Ordering::Less))
        }
        Op::VersionLt(max) => {
            Tri::from(version(v).is_some_and(|x| version_cmp(&x, max) == std::cmp::Ordering::Less))
        }
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

/// Whether `other` refers to `target` through its attribute `via`: by a reference, or by
/// a value equal to `target`'s value at `to` (by default its id, name, bucket or ARN).
fn refers_to(other: &Resource, via: &str, to: Option<&Path>, target: &Resource) -> bool {
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
    if let Some(to) = to {
        let mut theirs = Vec::new();
        resolve(&target.attrs, to, &mut theirs);
        return found.iter().any(|v| {
            v.as_str()
                .is_some_and(|s| theirs.iter().any(|t| t.as_str() == Some(s)))
        });
    }
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

/// Whether two attributes hold the same: equal known values, or references to the same
/// resource (an attribute of the resource itself, where references are recorded).
fn same(res: &Resource, node: &Value, a: &Path, b: &Path) -> Tri {
    let one = |p: &Path| {
        let mut found = Vec::new();
        resolve(node, p, &mut found);
        found.first().map(|v| (*v).clone())
    };
    let (Some(x), Some(y)) = (one(a), one(b)) else {
        return Tri::False;
    };
    if !x.contains_unknown() && !y.contains_unknown() {
        return Tri::from(x.loosely_equals(&y));
    }
    // Both references: compare what they refer to (top-level attributes only).
    let target = |p: &Path| match p.as_slice() {
        [Seg::Key(k)] if std::ptr::eq(node, &res.attrs) => {
            let mut to: Vec<&str> = res
                .refs
                .iter()
                .filter(|(attr, _)| **attr == **k)
                .map(|(_, addr)| &**addr)
                .collect();
            to.sort_unstable();
            to.dedup();
            (!to.is_empty()).then_some(to)
        }
        _ => None,
    };
    match (target(a), target(b)) {
        (Some(ta), Some(tb)) => Tri::from(ta == tb),
        _ => Tri::Unknown,
    }
}

/// Whether a count of related resources — `yes` that satisfy the condition, `maybe` that
/// are unknown — is within the bounds.
fn within(yes: u64, maybe: u64, bounds: Count) -> Tri {
    let low_ok = |n: u64| bounds.at_least.is_none_or(|lo| n >= lo);
    let high_ok = |n: u64| bounds.at_most.is_none_or(|hi| n <= hi);
    let (least, most) = (yes, yes + maybe);
    if low_ok(least) && high_ok(most) {
        Tri::True
    } else if !low_ok(most) || !high_ok(least) {
        Tri::False
    } else {
        Tri::Unknown
    }
}

enum Decoded {
    Value(Value),
    /// Not known statically.
    Unknown,
    /// Not a document of that kind.
    Not,
}

/// A JSON document (a policy) from its text, or as it is when it is already structured;
/// base64 text decoded, or as it is when it is not base64 of UTF-8 text.
fn decode(v: &Value, how: Decoding) -> Decoded {
    use base64::Engine as _;
    if v.contains_unknown() {
        return Decoded::Unknown;
    }
    match (how, v) {
        (Decoding::Json, Value::String(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => Decoded::Value(Value::from_json(&j)),
            Err(_) => Decoded::Not,
        },
        (Decoding::Json, Value::Map(_) | Value::List(_)) => Decoded::Value(v.clone()),
        (Decoding::Base64, Value::String(s)) => {
            let compact: String = s.split_whitespace().collect();
            match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Decoded::Value(Value::String(text.into())),
                    Err(_) => Decoded::Value(v.clone()),
                },
                Err(_) => Decoded::Value(v.clone()),
            }
        }
        _ => Decoded::Not,
    }
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
        Cond::Related {
            rtype,
            via,
            to,
            cond,
            count,
        } => {
            let related = ctx
                .estate
                .of_type(rtype)
                .filter(|o| refers_to(o, via, to.as_ref(), res));
            match (cond, count) {
                (None, None) => Tri::from(related.count() > 0),
                (Some(c), None) => any(related.map(|o| eval(c, o, &o.attrs, ctx))),
                (c, Some(bounds)) => {
                    let (mut yes, mut maybe) = (0u64, 0u64);
                    for o in related {
                        match c.as_ref().map_or(Tri::True, |c| eval(c, o, &o.attrs, ctx)) {
                            Tri::True => yes += 1,
                            Tri::Unknown => maybe += 1,
                            Tri::False => {}
                        }
                    }
                    within(yes, maybe, *bounds)
                }
            }
        }
        Cond::RefersTo {
            rtype,
            via,
            to,
            cond,
        } => {
            let targets = ctx
                .estate
                .of_type(rtype)
                .filter(|o| refers_to(res, via, to.as_ref(), o));
            match cond {
                None => Tri::from(targets.count() > 0),
                Some(c) => any(targets.map(|o| eval(c, o, &o.attrs, ctx))),
            }
        }
        Cond::Decode(path, how, inner) => {
            let mut found = Vec::new();
            resolve(node, path, &mut found);
            any(found.into_iter().map(|v| match decode(v, *how) {
                Decoded::Unknown => Tri::Unknown,
                Decoded::Not => Tri::False,
                Decoded::Value(d) => eval(inner, res, &d, ctx),
            }))
        }
        Cond::Never => Tri::False,
        Cond::Same(a, b) => same(res, node, a, b),
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

    fn strings(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::String((*s).into())).collect())
    }

    #[test]
    fn comparisons_on_a_list_test_each_element() {
        let actions = strings(&["ecs:Describe*", "*"]);
        assert_eq!(
            test(&Op::Equals(Value::String("*".into())), &actions),
            Tri::True
        );
        assert_eq!(
            test(&Op::NotEquals(Value::String("*".into())), &actions),
            Tri::False
        );
        assert_eq!(
            test(&Op::NotIn(vec![Value::String("oss:*".into())]), &actions),
            Tri::True
        );
        let re = regex::Regex::new("^ecs:").unwrap_or_else(|_| unreachable!());
        assert_eq!(test(&Op::Matches(re), &actions), Tri::True);
        // A list compared with a list is compared as a whole.
        assert_eq!(
            test(&Op::Equals(strings(&["ecs:Describe*", "*"])), &actions),
            Tri::True
        );
        // The values of a map, for environment variables.
        let mut m = crate::value::Map::new();
        m.insert("KEY", Value::String("AKIAABCDEFGHIJKLMNOP".into()));
        let re = regex::Regex::new("^AKIA").unwrap_or_else(|_| unreachable!());
        assert_eq!(test(&Op::Matches(re), &Value::Map(m)), Tri::True);
    }

    #[test]
    fn actions_match_policy_patterns() {
        let grants =
            |pattern: Value, action: &str| test(&Op::GrantsAny(vec![action.into()]), &pattern);
        assert_eq!(grants(Value::String("*".into()), "iam:PassRole"), Tri::True);
        assert_eq!(
            grants(Value::String("iam:Pass*".into()), "iam:PassRole"),
            Tri::True
        );
        assert_eq!(
            grants(Value::String("IAM:passrole".into()), "iam:PassRole"),
            Tri::True
        );
        assert_eq!(
            grants(Value::String("iam:Get*".into()), "iam:PassRole"),
            Tri::False
        );
        assert_eq!(
            grants(strings(&["s3:GetObject", "iam:*"]), "iam:PassRole"),
            Tri::True
        );
        assert_eq!(grants(Value::Unknown, "iam:PassRole"), Tri::Unknown);
    }

    #[test]
    fn versions_compare_by_their_parts() {
        let v = |s: &str| version_parts(s).unwrap_or_default();
        let at_least =
            |have: &str, min: &str| test(&Op::VersionGte(v(min)), &Value::String(have.into()));
        assert_eq!(at_least("1.30", "1.29"), Tri::True);
        assert_eq!(at_least("1.9", "1.29"), Tri::False);
        assert_eq!(at_least("v1.31.1-aliyun.1", "1.31"), Tri::True);
        assert_eq!(at_least("7.0", "6.2"), Tri::True);
        assert_eq!(at_least("latest", "6.2"), Tri::False);
        assert_eq!(
            test(&Op::VersionLt(v("3.2.6")), &Value::String("3.2.4".into())),
            Tri::True
        );
        assert_eq!(version_parts("10.x"), Some(vec![10]));
        assert_eq!(version_parts("redis"), None);
    }

    #[test]
    fn counts_are_unknown_only_when_the_unknowns_decide() {
        let at_most_one = Count {
            at_least: None,
            at_most: Some(1),
        };
        assert_eq!(within(1, 0, at_most_one), Tri::True);
        assert_eq!(within(2, 0, at_most_one), Tri::False);
        assert_eq!(within(1, 1, at_most_one), Tri::Unknown);
        assert_eq!(within(2, 3, at_most_one), Tri::False);
        let at_least_two = Count {
            at_least: Some(2),
            at_most: None,
        };
        assert_eq!(within(1, 0, at_least_two), Tri::False);
        assert_eq!(within(1, 1, at_least_two), Tri::Unknown);
        assert_eq!(within(2, 0, at_least_two), Tri::True);
    }

    #[test]
    fn documents_decode_from_json_and_base64() {
        let doc = Value::String(r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#.into());
        let Decoded::Value(d) = decode(&doc, Decoding::Json) else {
            panic!("a JSON document decodes")
        };
        let mut found = Vec::new();
        resolve(
            &d,
            &[Seg::Key("Statement".into()), Seg::Key("Action".into())],
            &mut found,
        );
        assert_eq!(found, vec![&Value::String("*".into())]);
        assert!(matches!(
            decode(&Value::String("not json".into()), Decoding::Json),
            Decoded::Not
        ));
        assert!(matches!(
            decode(&Value::Unknown, Decoding::Json),
            Decoded::Unknown
        ));
        // "echo hi" in base64; text that is not base64 is read as it is.
        let Decoded::Value(t) = decode(&Value::String("ZWNobyBoaQ==".into()), Decoding::Base64)
        else {
            panic!("base64 decodes")
        };
        assert_eq!(t, Value::String("echo hi".into()));
        let Decoded::Value(t) = decode(&Value::String("#!/bin/sh\necho".into()), Decoding::Base64)
        else {
            panic!("plain text stays")
        };
        assert_eq!(t.as_str(), Some("#!/bin/sh\necho"));
    }

    #[test]
    fn cidr_ranges() {
        let public = |s: &str| test(&Op::CidrPublic, &Value::String(s.into()));
        assert_eq!(public("203.0.113.0/24"), Tri::True);
        assert_eq!(public("0.0.0.0/0"), Tri::True);
        assert_eq!(public("10.1.0.0/16"), Tri::False);
        assert_eq!(public("172.16.0.0/12"), Tri::False);
        assert_eq!(public("172.0.0.0/8"), Tri::True);
        assert_eq!(public("192.168.1.10"), Tri::False);
        assert_eq!(public("not a cidr"), Tri::False);
        let wide = |s: &str| test(&Op::CidrPrefixLte(16), &Value::String(s.into()));
        assert_eq!(wide("10.0.0.0/8"), Tri::True);
        assert_eq!(wide("10.0.0.0/16"), Tri::True);
        assert_eq!(wide("10.0.1.0/24"), Tri::False);
        assert_eq!(wide("2001:db8::/12"), Tri::True);
        assert_eq!(wide("2001:db8::/32"), Tri::False);
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
        Cond::Related {
            rtype,
            via,
            to,
            cond,
            ..
        } => cond.as_ref().and_then(|c| {
            ctx.estate
                .of_type(rtype)
                .filter(|o| refers_to(o, via, to.as_ref(), res))
                .find_map(|o| explain(c, o, &o.attrs, ctx))
        }),
        Cond::RefersTo {
            rtype,
            via,
            to,
            cond,
        } => cond.as_ref().and_then(|c| {
            ctx.estate
                .of_type(rtype)
                .filter(|o| refers_to(res, via, to.as_ref(), o))
                .find_map(|o| explain(c, o, &o.attrs, ctx))
        }),
        Cond::Decode(path, how, inner) => unknown_at(path).or_else(|| {
            let mut found = Vec::new();
            resolve(node, path, &mut found);
            found.into_iter().find_map(|v| match decode(v, *how) {
                Decoded::Value(d) => explain(inner, res, &d, ctx),
                _ => None,
            })
        }),
        Cond::Never => None,
        Cond::Same(a, b) => unknown_at(a).or_else(|| unknown_at(b)),
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
