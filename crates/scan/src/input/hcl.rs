//! Terraform configuration directories: resources with their attributes evaluated as far
//! as the configuration allows — variable defaults and `.tfvars`, locals, literal `count`
//! and `for_each`, `dynamic` blocks, local modules. Whatever cannot be resolved (a
//! function Terraform knows and we do not, a computed attribute of another resource) is
//! `Unknown`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, ObjectKey, Operation, TraversalOperator};
use hcl::structure::{Block, Body, Structure};

use super::budget::{self, Budget, MAX_VALUE_UNITS, Sizes, size_of};
use super::secrets;
use super::{
    InputError, Loaded, MAX_INSTANCES, MAX_MODULE_DEPTH, MAX_NESTING, MAX_OBJECT_ENTRIES,
    MAX_OBJECT_WORK, read_text,
};
use crate::model::{Resource, pairs, provider_of};
use crate::value::{Key, Map, Value, intern};

/// Meta-arguments of a resource block, not attributes.
const META: [&str; 6] = [
    "count",
    "for_each",
    "provider",
    "depends_on",
    "lifecycle",
    "provisioner",
];

fn to_value(v: &hcl::Value) -> Value {
    match v {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(*b),
        hcl::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        hcl::Value::String(s) => Value::String(s.as_str().into()),
        hcl::Value::Array(a) => Value::List(a.iter().map(to_value).collect()),
        hcl::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

/// Known values back into HCL, for the evaluation context; `None` when anything inside is unknown.
fn to_hcl(v: &Value) -> Option<hcl::Value> {
    Some(match v {
        Value::Null => hcl::Value::Null,
        Value::Bool(b) => hcl::Value::Bool(*b),
        Value::Number(n) => {
            if n.fract() == 0.0 && n.abs() < 9e15 {
                hcl::Value::from(*n as i64)
            } else {
                hcl::Value::from(*n)
            }
        }
        Value::String(s) => hcl::Value::String(s.to_string()),
        Value::List(l) => hcl::Value::Array(l.iter().map(to_hcl).collect::<Option<Vec<_>>>()?),
        Value::Map(m) => {
            let mut o = hcl::Map::new();
            for (k, v) in m.iter() {
                o.insert(k.to_owned(), to_hcl(v)?);
            }
            hcl::Value::Object(o)
        }
        Value::Unknown => return None,
    })
}

/// A root context with the Terraform functions that configurations use most; any other
/// function makes its expression unknown.
fn base_context<'a>() -> Context<'a> {
    use hcl::eval::{FuncDef, ParamType};
    let mut ctx = Context::new();
    let any = || ParamType::Any;
    ctx.declare_func(
        "length",
        FuncDef::builder().param(any()).build(|a| {
            let v = a
                .into_values()
                .into_iter()
                .next()
                .unwrap_or(hcl::Value::Null);
            let n = match &v {
                hcl::Value::Array(x) => x.len(),
                hcl::Value::Object(x) => x.len(),
                hcl::Value::String(x) => x.chars().count(),
                _ => return Err("length of a value that has none".into()),
            };
            Ok(hcl::Value::from(n as u64))
        }),
    );
    ctx.declare_func(
        "lower",
        FuncDef::builder().param(ParamType::String).build(|a| {
            Ok(hcl::Value::String(
                a.into_values()
                    .into_iter()
                    .next()
                    .and_then(|v| v.as_str().map(str::to_lowercase))
                    .unwrap_or_default(),
            ))
        }),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder().param(ParamType::String).build(|a| {
            Ok(hcl::Value::String(
                a.into_values()
                    .into_iter()
                    .next()
                    .and_then(|v| v.as_str().map(str::to_uppercase))
                    .unwrap_or_default(),
            ))
        }),
    );
    ctx.declare_func(
        "tostring",
        FuncDef::builder()
            .param(any())
            .build(|a| match a.into_values().into_iter().next() {
                Some(hcl::Value::String(s)) => Ok(hcl::Value::String(s)),
                Some(hcl::Value::Number(n)) => Ok(hcl::Value::String(n.to_string())),
                Some(hcl::Value::Bool(b)) => Ok(hcl::Value::String(b.to_string())),
                _ => Err("tostring of a collection".into()),
            }),
    );
    ctx.declare_func(
        "tonumber",
        FuncDef::builder()
            .param(any())
            .build(|a| match a.into_values().into_iter().next() {
                Some(hcl::Value::Number(n)) => Ok(hcl::Value::Number(n)),
                Some(hcl::Value::String(s)) => s
                    .trim()
                    .parse::<f64>()
                    .map(hcl::Value::from)
                    .map_err(|e| e.to_string()),
                _ => Err("not a number".into()),
            }),
    );
    for name in ["tolist", "toset"] {
        ctx.declare_func(
            name,
            FuncDef::builder()
                .param(any())
                .build(|a| match a.into_values().into_iter().next() {
                    Some(hcl::Value::Array(v)) => Ok(hcl::Value::Array(v)),
                    _ => Err("not a list".into()),
                }),
        );
    }
    ctx.declare_func(
        "concat",
        FuncDef::builder().variadic_param(any()).build(|a| {
            let mut out = Vec::new();
            for v in a.into_values() {
                match v {
                    hcl::Value::Array(x) => out.extend(x),
                    _ => return Err("concat takes lists".into()),
                }
            }
            Ok(hcl::Value::Array(out))
        }),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder().variadic_param(any()).build(|a| {
            let mut out = hcl::Map::new();
            for v in a.into_values() {
                match v {
                    hcl::Value::Object(x) => out.extend(x),
                    hcl::Value::Null => {}
                    _ => return Err("merge takes maps".into()),
                }
            }
            Ok(hcl::Value::Object(out))
        }),
    );
    ctx.declare_func(
        "lookup",
        FuncDef::builder()
            .param(any())
            .param(ParamType::String)
            .variadic_param(any())
            .build(|a| {
                let mut it = a.into_values().into_iter();
                let (map, key, default) = (it.next(), it.next(), it.next());
                let key = key
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_default();
                match map {
                    Some(hcl::Value::Object(m)) => m
                        .get(&key)
                        .cloned()
                        .or(default)
                        .ok_or_else(|| format!("no key {key}")),
                    _ => Err("lookup on a non-map".into()),
                }
            }),
    );
    ctx.declare_func(
        "contains",
        FuncDef::builder().param(any()).param(any()).build(|a| {
            let mut it = a.into_values().into_iter();
            match (it.next(), it.next()) {
                (Some(hcl::Value::Array(l)), Some(v)) => Ok(hcl::Value::Bool(l.contains(&v))),
                _ => Err("contains takes a list".into()),
            }
        }),
    );
    ctx.declare_func(
        "join",
        FuncDef::builder()
            .param(ParamType::String)
            .param(any())
            .build(|a| {
                let mut it = a.into_values().into_iter();
                match (it.next(), it.next()) {
                    (Some(hcl::Value::String(sep)), Some(hcl::Value::Array(l))) => {
                        let parts: Option<Vec<String>> =
                            l.iter().map(|v| v.as_str().map(str::to_owned)).collect();
                        parts
                            .map(|p| hcl::Value::String(p.join(&sep)))
                            .ok_or_else(|| "join takes strings".into())
                    }
                    _ => Err("join takes a separator and a list".into()),
                }
            }),
    );
    ctx.declare_func(
        "keys",
        FuncDef::builder()
            .param(any())
            .build(|a| match a.into_values().into_iter().next() {
                Some(hcl::Value::Object(m)) => Ok(hcl::Value::Array(
                    m.keys().cloned().map(hcl::Value::String).collect(),
                )),
                _ => Err("keys of a non-map".into()),
            }),
    );
    ctx.declare_func(
        "values",
        FuncDef::builder()
            .param(any())
            .build(|a| match a.into_values().into_iter().next() {
                Some(hcl::Value::Object(m)) => Ok(hcl::Value::Array(m.values().cloned().collect())),
                _ => Err("values of a non-map".into()),
            }),
    );
    // Policies are often written with jsonencode and user data with base64encode: the
    // rules decode them again (`json:` and `base64:` conditions).
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(any()).build(|a| {
            let v = a
                .into_values()
                .into_iter()
                .next()
                .unwrap_or(hcl::Value::Null);
            serde_json::to_string(&v)
                .map(hcl::Value::String)
                .map_err(|e| e.to_string())
        }),
    );
    ctx.declare_func(
        "jsondecode",
        FuncDef::builder().param(ParamType::String).build(|a| {
            let text = a
                .into_values()
                .into_iter()
                .next()
                .unwrap_or(hcl::Value::Null);
            let text = text.as_str().unwrap_or_default();
            serde_json::from_str::<hcl::Value>(text).map_err(|e| e.to_string())
        }),
    );
    ctx.declare_func(
        "base64encode",
        FuncDef::builder().param(ParamType::String).build(|a| {
            use base64::Engine as _;
            let text = a
                .into_values()
                .into_iter()
                .next()
                .unwrap_or(hcl::Value::Null);
            Ok(hcl::Value::String(
                base64::engine::general_purpose::STANDARD.encode(text.as_str().unwrap_or_default()),
            ))
        }),
    );
    ctx.declare_func(
        "base64decode",
        FuncDef::builder().param(ParamType::String).build(|a| {
            use base64::Engine as _;
            let text = a
                .into_values()
                .into_iter()
                .next()
                .unwrap_or(hcl::Value::Null);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            String::from_utf8(bytes)
                .map(hcl::Value::String)
                .map_err(|_| "base64decode of text that is not UTF-8".into())
        }),
    );
    ctx.declare_func(
        "coalesce",
        FuncDef::builder().variadic_param(any()).build(|a| {
            a.into_values()
                .into_iter()
                .find(|v| !v.is_null() && v.as_str() != Some(""))
                .ok_or_else(|| "no non-null argument".into())
        }),
    );
    ctx
}

/// Evaluates expressions within the read's [`Budget`]: an expression whose result could
/// exceed [`MAX_VALUE_UNITS`] or what remains is not evaluated, and the refusal is kept
/// until the caller, which knows the file and line, reports it.
struct Ev<'b> {
    budget: &'b Budget,
    /// The largest refused bound since the last [`Ev::refusal`], 0 for none.
    refused: std::cell::Cell<u64>,
}

impl<'b> Ev<'b> {
    fn new(budget: &'b Budget) -> Ev<'b> {
        Ev {
            budget,
            refused: std::cell::Cell::new(0),
        }
    }

    fn refuse(&self, units: u64) {
        self.refused.set(self.refused.get().max(units.max(1)));
    }

    /// Takes `units` for work that is not an expression (a copy of the context).
    fn charge(&self, units: u64) -> bool {
        let ok = self.budget.take(units);
        if !ok {
            self.refuse(units);
        }
        ok
    }

    /// What was refused since the last call, if anything to report: a value over the
    /// limit each time, a spent budget once for the whole read.
    fn refusal(&self) -> Option<u64> {
        match self.refused.replace(0) {
            0 => None,
            n if n > MAX_VALUE_UNITS || self.budget.report_spent() => Some(n),
            _ => None,
        }
    }

    fn refused_any(&self) -> bool {
        self.refused.get() > 0
    }

    /// The HCL value, or `None` when it is unknown or refused.
    fn eval_hcl(&self, expr: &Expression, ctx: &Context, sizes: &Sizes) -> Option<hcl::Value> {
        let b = budget::bound(expr, sizes);
        if b > MAX_VALUE_UNITS || b > self.budget.remaining() {
            self.refuse(b);
            return None;
        }
        let v = expr.evaluate(ctx).ok()?;
        self.charge(size_of(&v)).then_some(v)
    }

    fn eval(&self, expr: &Expression, ctx: &Context, sizes: &Sizes) -> Value {
        self.eval_hcl(expr, ctx, sizes)
            .map_or(Value::Unknown, |v| to_value(&v))
    }
}

/// The message of a refused evaluation.
fn over_budget(what: &str, units: u64) -> String {
    if units > MAX_VALUE_UNITS {
        format!(
            "{what}: evaluating it could produce about {} MiB, over the limit of {} MiB for one value (an expression that grows without bound?); not evaluated",
            units >> 20,
            MAX_VALUE_UNITS >> 20
        )
    } else {
        format!(
            "{what}: the configuration's evaluation budget is spent here (its values would take more memory than the input justifies); this and what follows is not evaluated"
        )
    }
}

/// What a file's brackets look like before it is parsed: the deepest nesting, and the
/// entries (`key = value` or `key: value`) of its largest `{ }` and their sum of squares
/// — the HCL parser keeps an object's keys in a vector and checks each new key against
/// all before it, so an object of `n` keys costs `n²` (outside strings and comments,
/// roughly).
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    depth: usize,
    /// The most entries of one `{ }`, and the line it opens on.
    widest: (u64, u64),
    /// Σ entries² over every `{ }`.
    squares: u64,
}

fn shape(text: &str) -> Shape {
    let mut out = Shape::default();
    // For each open bracket: whether it is a brace, its entries so far, its line.
    let mut stack: Vec<(bool, u64, u64)> = Vec::new();
    let (mut in_str, mut esc) = (false, false);
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if !in_str && (t.starts_with('#') || t.starts_with("//")) {
            continue;
        }
        let bytes = line.as_bytes();
        for (i, &c) in bytes.iter().enumerate() {
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'{' | b'[' | b'(' => {
                    stack.push((c == b'{', 0, n as u64 + 1));
                    out.depth = out.depth.max(stack.len());
                }
                b'}' | b']' | b')' => {
                    if let Some((true, k, l)) = stack.pop() {
                        out.squares = out.squares.saturating_add(k.saturating_mul(k));
                        if k > out.widest.0 {
                            out.widest = (k, l);
                        }
                    }
                }
                b'=' | b':' => {
                    let prev = i.checked_sub(1).map(|j| bytes[j]);
                    let next = bytes.get(i + 1).copied();
                    let operator = matches!(prev, Some(b'=' | b'!' | b'<' | b'>'))
                        || matches!(next, Some(b'=' | b'>'));
                    if !operator && let Some((true, k, _)) = stack.last_mut() {
                        *k += 1;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

struct ParsedFile {
    path: String,
    text: String,
    body: Body,
}

struct ResourceBlock<'a> {
    rtype: String,
    name: String,
    block: &'a Block,
    file: &'a ParsedFile,
}

fn label(block: &Block, i: usize) -> Option<&str> {
    block.labels.get(i).map(|l| l.as_str())
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

/// Collects `TYPE.NAME` references (to resources of this module) in an expression.
fn refs_in(expr: &Expression, types: &[&str], prefix: &str, out: &mut Vec<String>) {
    match expr {
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr
                && types.contains(&v.as_str())
                && let Some(TraversalOperator::GetAttr(name)) = t.operators.first()
            {
                out.push(format!("{prefix}{}.{}", v.as_str(), name.as_str()));
            }
            refs_in(&t.expr, types, prefix, out);
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op {
                    refs_in(e, types, prefix, out);
                }
            }
        }
        Expression::Array(a) => a.iter().for_each(|e| refs_in(e, types, prefix, out)),
        Expression::Object(o) => {
            for (k, v) in o {
                if let ObjectKey::Expression(e) = k {
                    refs_in(e, types, prefix, out);
                }
                refs_in(v, types, prefix, out);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| refs_in(e, types, prefix, out)),
        Expression::Parenthesis(e) => refs_in(e, types, prefix, out),
        Expression::Conditional(c) => {
            refs_in(&c.cond_expr, types, prefix, out);
            refs_in(&c.true_expr, types, prefix, out);
            refs_in(&c.false_expr, types, prefix, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => refs_in(&u.expr, types, prefix, out),
            Operation::Binary(b) => {
                refs_in(&b.lhs_expr, types, prefix, out);
                refs_in(&b.rhs_expr, types, prefix, out);
            }
        },
        Expression::ForExpr(f) => {
            refs_in(&f.collection_expr, types, prefix, out);
            refs_in(&f.value_expr, types, prefix, out);
            if let Some(k) = &f.key_expr {
                refs_in(k, types, prefix, out);
            }
            if let Some(c) = &f.cond_expr {
                refs_in(c, types, prefix, out);
            }
        }
        Expression::TemplateExpr(t) => {
            if let Ok(tpl) = hcl::template::Template::from_expr(t) {
                template_refs(&tpl, types, prefix, out);
            }
        }
        _ => {}
    }
}

/// [`refs_in`] for the interpolations and directives of a string template.
fn template_refs(
    tpl: &hcl::template::Template,
    types: &[&str],
    prefix: &str,
    out: &mut Vec<String>,
) {
    use hcl::template::{Directive, Element};
    for e in tpl.elements() {
        match e {
            Element::Interpolation(i) => refs_in(&i.expr, types, prefix, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    refs_in(&i.cond_expr, types, prefix, out);
                    template_refs(&i.true_template, types, prefix, out);
                    if let Some(f) = &i.false_template {
                        template_refs(f, types, prefix, out);
                    }
                }
                Directive::For(f) => {
                    refs_in(&f.collection_expr, types, prefix, out);
                    template_refs(&f.template, types, prefix, out);
                }
            },
            _ => {}
        }
    }
}

/// Evaluates a block body into a map: attributes by expression, nested blocks as lists.
/// Built as a vector of a handful of entries and sorted once at the end (inserting into
/// a map's boxed slice would reallocate it every time).
fn body_value(body: &Body, ctx: &Context, sizes: &Sizes, ev: &Ev, top: bool) -> Map {
    // A body of many attributes gets an index, so that it is not quadratic.
    fn entry<'m>(
        m: &'m mut Vec<(Key, Value)>,
        index: &mut rustc_hash::FxHashMap<Key, usize>,
        key: &str,
        default: impl FnOnce() -> Value,
    ) -> &'m mut Value {
        let found = if m.len() < 16 {
            m.iter().position(|(k, _)| **k == *key)
        } else {
            if index.len() < m.len() {
                index.extend(
                    m.iter()
                        .enumerate()
                        .skip(index.len())
                        .map(|(i, (k, _))| (k.clone(), i)),
                );
            }
            index.get(key).copied()
        };
        let i = match found {
            Some(i) => i,
            None => {
                m.push((Key::new(key), default()));
                m.len() - 1
            }
        };
        &mut m[i].1
    }
    let mut index = rustc_hash::FxHashMap::default();
    let mut m: Vec<(Key, Value)> = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                if top && META.contains(&a.key.as_str()) {
                    continue;
                }
                let v = ev.eval(&a.expr, ctx, sizes);
                *entry(&mut m, &mut index, &a.key, || Value::Null) = v;
            }
            Structure::Block(b) => {
                let id = b.identifier.as_str();
                if top && META.contains(&id) {
                    continue;
                }
                if id == "dynamic" {
                    let Some(name) = label(b, 0) else { continue };
                    let values = dynamic_blocks(b, name, ctx, sizes, ev);
                    let slot = entry(&mut m, &mut index, name, || Value::List(Box::new([])));
                    match (slot, values) {
                        (l @ Value::List(_), Some(vs)) => l.extend(vs),
                        (slot, _) => *slot = Value::Unknown,
                    }
                    continue;
                }
                let v = Value::Map(body_value(&b.body, ctx, sizes, ev, false));
                match entry(&mut m, &mut index, id, || Value::List(Box::new([]))) {
                    l @ Value::List(_) => l.push(v),
                    other => *other = Value::Unknown,
                }
            }
        }
    }
    Map::from_entries(m)
}

/// The attribute a policy-document data source renders its JSON into.
fn policy_output(rtype: &str) -> Option<&'static str> {
    match rtype {
        "aws_iam_policy_document" => Some("json"),
        "alicloud_ram_policy_document" => Some("document"),
        _ => None,
    }
}

/// The JSON policy a policy-document data source renders (`aws_iam_policy_document`,
/// `alicloud_ram_policy_document`), or `None` when a part of it is not known statically.
/// `source_policy_documents` and `override_policy_documents` are not merged: such a
/// document is not known.
fn render_policy(rtype: &str, body: &Value) -> Option<serde_json::Value> {
    use serde_json::{Map as JMap, Value as J};
    if body.contains_unknown()
        || [
            "source_policy_documents",
            "override_policy_documents",
            "source_json",
            "override_json",
        ]
        .iter()
        .any(|k| body.get(k).is_some_and(|v| !matches!(v, Value::Null)))
    {
        return None;
    }
    let aws = rtype.starts_with("aws_");
    let list = |v: Option<&Value>| -> Option<J> {
        match v {
            Some(Value::List(items)) if !items.is_empty() => {
                Some(J::Array(items.iter().map(Value::to_json).collect()))
            }
            Some(v @ Value::String(_)) => Some(v.to_json()),
            _ => None,
        }
    };
    let blocks = |v: Option<&Value>| -> Vec<Value> {
        match v {
            Some(Value::List(items)) => items.to_vec(),
            _ => Vec::new(),
        }
    };
    let mut statements = Vec::new();
    for st in blocks(body.get("statement")) {
        let mut out = JMap::new();
        if let Some(sid) = st.get("sid").and_then(Value::as_str) {
            out.insert("Sid".into(), J::String(sid.to_owned()));
        }
        let effect = st.get("effect").and_then(Value::as_str).unwrap_or("Allow");
        out.insert("Effect".into(), J::String(effect.to_owned()));
        let names: &[(&str, &str)] = if aws {
            &[
                ("actions", "Action"),
                ("not_actions", "NotAction"),
                ("resources", "Resource"),
                ("not_resources", "NotResource"),
            ]
        } else {
            &[("action", "Action"), ("resource", "Resource")]
        };
        for (from, to) in names {
            if let Some(v) = list(st.get(from)) {
                out.insert((*to).into(), v);
            }
        }
        let principal_blocks: &[(&str, &str)] = if aws {
            &[
                ("principals", "Principal"),
                ("not_principals", "NotPrincipal"),
            ]
        } else {
            &[("principal", "Principal")]
        };
        for (from, to) in principal_blocks {
            let mut principal = JMap::new();
            let mut everyone = false;
            for p in blocks(st.get(from)) {
                let kind = p
                    .get(if aws { "type" } else { "entity" })
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let ids = list(p.get("identifiers")).unwrap_or(J::Array(Vec::new()));
                if kind == "*" {
                    everyone = true;
                    continue;
                }
                principal.insert(kind, ids);
            }
            if everyone {
                out.insert((*to).into(), J::String("*".into()));
            } else if !principal.is_empty() {
                out.insert((*to).into(), J::Object(principal));
            }
        }
        let mut condition: JMap<String, J> = JMap::new();
        for c in blocks(st.get("condition")) {
            let test = c
                .get(if aws { "test" } else { "operator" })
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let variable = c
                .get("variable")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let values = list(c.get("values")).unwrap_or(J::Array(Vec::new()));
            if let J::Object(m) = condition
                .entry(test)
                .or_insert_with(|| J::Object(JMap::new()))
            {
                m.insert(variable, values);
            }
        }
        if !condition.is_empty() {
            out.insert("Condition".into(), J::Object(condition));
        }
        statements.push(J::Object(out));
    }
    let version = body
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or(if aws { "2012-10-17" } else { "1" });
    let mut doc = JMap::new();
    doc.insert("Version".into(), J::String(version.to_owned()));
    doc.insert("Statement".into(), J::Array(statements));
    Some(J::Object(doc))
}

/// An upper bound of what evaluating a block body costs: its attributes, its nested
/// blocks, and each `dynamic` block as many times as its `for_each` can have items, with a
/// copy of the context for each.
fn body_bound(body: &Body, sizes: &Sizes) -> u64 {
    let ctx_units = sizes.names.get(CTX_UNITS).copied().unwrap_or(0);
    body.iter().fold(0u64, |n, s| {
        n.saturating_add(match s {
            Structure::Attribute(a) => budget::bound(&a.expr, sizes),
            Structure::Block(b) if b.identifier.as_str() == "dynamic" => {
                let items = attr(&b.body, "for_each")
                    .map_or(1, |e| budget::bound(e, sizes) / budget::NODE + 1);
                let content = b
                    .body
                    .blocks()
                    .find(|c| c.identifier.as_str() == "content")
                    .map_or(0, |c| body_bound(&c.body, sizes));
                items.saturating_mul(content.saturating_add(ctx_units))
            }
            Structure::Block(b) => body_bound(&b.body, sizes),
        })
    })
}

/// Expands a `dynamic` block when its `for_each` is known. Each item evaluates its
/// content in a copy of the context, which is charged to the budget.
fn dynamic_blocks(
    b: &Block,
    name: &str,
    ctx: &Context,
    sizes: &Sizes,
    ev: &Ev,
) -> Option<Vec<Value>> {
    let for_each = ev.eval(attr(&b.body, "for_each")?, ctx, sizes);
    let iterator = attr(&b.body, "iterator")
        .and_then(|e| match e {
            Expression::Variable(v) => Some(v.as_str().to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| name.to_owned());
    let content = b
        .body
        .blocks()
        .find(|c| c.identifier.as_str() == "content")?;
    let items: Vec<(Value, Value)> = match for_each {
        Value::List(l) => l
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect(),
        Value::Map(m) => m
            .into_iter()
            .map(|(k, v)| (Value::String(k.into_boxed_str()), v))
            .collect(),
        _ => return None,
    };
    let ctx_units = sizes.names.get(CTX_UNITS).copied().unwrap_or(0);
    let mut out = Vec::new();
    for (key, value) in items {
        if ev.refused_any() || !ev.charge(ctx_units) {
            return None;
        }
        let mut inner = ctx.clone();
        let mut it = hcl::Map::new();
        it.insert("key".to_owned(), to_hcl(&key)?);
        it.insert(
            "value".to_owned(),
            to_hcl(&value).unwrap_or(hcl::Value::Null),
        );
        let it = hcl::Value::Object(it);
        let mut inner_sizes = sizes.clone();
        inner_sizes.set(iterator.as_str(), size_of(&it));
        inner.declare_var(iterator.as_str(), it);
        out.push(Value::Map(body_value(
            &content.body,
            &inner,
            &inner_sizes,
            ev,
            false,
        )));
    }
    Some(out)
}

/// The key in [`Sizes`] under which the size of the evaluation context itself is kept
/// (what a copy of it costs); no HCL name can contain a space.
const CTX_UNITS: &str = "context size";

/// The line of a top-level block with this keyword and first label.
fn block_line(text: &str, keyword: &str, name: &str) -> Option<u64> {
    block_spans(text)
        .into_iter()
        .find(|s| s.keyword == keyword && s.labels.first().map(String::as_str) == Some(name))
        .map(|s| s.start)
}

/// The first line that assigns `key` (`key = …`), for reporting on an attribute.
fn attr_line(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .position(|l| {
            l.trim_start().strip_prefix(key).is_some_and(|rest| {
                rest.trim_start().starts_with('=') && !rest.trim_start().starts_with("==")
            })
        })
        .map(|i| i as u64 + 1)
}

/// A top-level block of a file: its keyword, labels and the lines it spans.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    keyword: String,
    labels: Vec<String>,
    start: u64,
    end: u64,
}

/// Finds the top-level blocks of an HCL file in one pass, skipping strings, comments and
/// heredocs, so that a resource's lines are known however its header is spaced.
fn block_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut depth = 0usize;
    let mut line = 1u64;
    let mut current: Option<Span> = None;
    let mut heredoc: Option<String> = None;
    for raw in text.split('\n') {
        if let Some(tag) = &heredoc {
            if raw.trim() == tag {
                heredoc = None;
            }
            line += 1;
            continue;
        }
        let trimmed = raw.trim_start();
        if depth == 0 && current.is_none() {
            let word: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() && !trimmed[word.len()..].trim_start().starts_with('=') {
                let mut labels = Vec::new();
                let mut rest = trimmed[word.len()..].trim_start();
                while !rest.is_empty() && !rest.starts_with('{') {
                    if let Some(r) = rest.strip_prefix('"') {
                        let end = r.find('"').unwrap_or(r.len());
                        labels.push(r[..end].to_owned());
                        rest = r.get(end + 1..).unwrap_or("").trim_start();
                    } else {
                        let w: String = rest
                            .chars()
                            .take_while(|c| !c.is_whitespace() && *c != '{')
                            .collect();
                        if w.is_empty() {
                            break;
                        }
                        rest = rest[w.len()..].trim_start();
                        labels.push(w);
                    }
                }
                current = Some(Span {
                    keyword: word,
                    labels,
                    start: line,
                    end: line,
                });
            }
        }
        let bytes = raw.as_bytes();
        let (mut i, mut in_str) = (0usize, false);
        while i < bytes.len() {
            let c = bytes[i];
            if in_str {
                if c == b'\\' {
                    i += 1;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'#' || (c == b'/' && bytes.get(i + 1) == Some(&b'/')) {
                break;
            } else if c == b'<' && bytes.get(i + 1) == Some(&b'<') {
                let tag: String = raw[i + 2..]
                    .trim_start_matches('-')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !tag.is_empty() {
                    heredoc = Some(tag);
                    break;
                }
            } else if c == b'{' || c == b'[' || c == b'(' {
                depth += 1;
            } else if c == b'}' || c == b']' || c == b')' {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(mut span) = current.take()
                {
                    span.end = line;
                    spans.push(span);
                }
            }
            i += 1;
        }
        line += 1;
    }
    spans
}

/// Suppressions: `# cloudward:ignore RULE reason` on the comment lines right above a
/// resource (no blank line between) or inside its block.
pub(crate) fn suppressions(lines: &[&str], start: u64, end: u64) -> Vec<(String, String, u64)> {
    let mut candidates: Vec<(u64, &str)> = Vec::new();
    let mut i = start.saturating_sub(1) as usize;
    while i > 0 {
        let l = lines.get(i - 1).map(|l| l.trim()).unwrap_or("");
        if l.starts_with('#') || l.starts_with("//") {
            candidates.push((i as u64, l));
            i -= 1;
        } else {
            break;
        }
    }
    for n in start..=end {
        if let Some(l) = lines.get(n.saturating_sub(1) as usize) {
            candidates.push((n, l));
        }
    }
    let mut out = Vec::new();
    for (n, l) in candidates {
        if let Some(rest) = l.split("cloudward:ignore").nth(1) {
            let mut parts = rest.trim().splitn(2, char::is_whitespace);
            if let Some(id) = parts.next().filter(|s| !s.is_empty()) {
                out.push((
                    id.to_owned(),
                    parts.next().unwrap_or("").trim().to_owned(),
                    n,
                ));
            }
        }
    }
    out
}

struct ModuleInput {
    dir: PathBuf,
    /// Address prefix: "" or "module.m." / "module.m[0]."
    prefix: String,
    /// The module's key in `modules.json`: "" for the root, `m`, `m.n` (no instance keys).
    key: String,
    /// The root module's downloaded modules (`.terraform/modules/modules.json`).
    manifest: std::sync::Arc<HashMap<String, PathBuf>>,
    vars: BTreeMap<String, Value>,
    /// Provider config key ("alicloud", "alicloud.hk") → region.
    regions: HashMap<String, Option<String>>,
    depth: usize,
    /// The module directories above this one, to refuse cycles.
    ancestors: Vec<PathBuf>,
}

fn parse_one(p: &Path) -> Result<ParsedFile, InputError> {
    let path = p.display().to_string();
    let text = read_text(p)?;
    let shape = shape(&text);
    if shape.depth > MAX_NESTING {
        return Err(InputError {
            file: path,
            line: None,
            column: None,
            message: format!("nested more than {MAX_NESTING} levels deep; not read"),
        });
    }
    if shape.widest.0 > MAX_OBJECT_ENTRIES as u64 {
        return Err(InputError {
            file: path,
            line: Some(shape.widest.1),
            column: None,
            message: format!(
                "a map or block of {} entries; the limit is {MAX_OBJECT_ENTRIES} (split it, or give the values in a plan or inventory file); not read",
                shape.widest.0
            ),
        });
    }
    if shape.squares > MAX_OBJECT_WORK {
        return Err(InputError {
            file: path,
            line: Some(shape.widest.1),
            column: None,
            message: format!(
                "its maps and blocks hold too many entries for one file (the largest has {}); split the file; not read",
                shape.widest.0
            ),
        });
    }
    match hcl::parse(&text) {
        Ok(body) => Ok(ParsedFile { path, text, body }),
        Err(hcl::Error::Parse(e)) => Err(InputError {
            file: path,
            line: Some(e.location().line() as u64),
            column: Some(e.location().column() as u64),
            message: e.message().to_owned(),
        }),
        Err(e) => Err(InputError {
            file: path,
            line: None,
            column: None,
            message: e.to_string(),
        }),
    }
}

fn parse_files(dir: &Path, only: Option<&Path>, loaded: &mut Loaded) -> Vec<ParsedFile> {
    let mut paths: Vec<PathBuf> = match only {
        Some(f) => vec![f.to_path_buf()],
        None => match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "tf"))
                .collect(),
            Err(e) => {
                loaded.errors.push(InputError {
                    file: dir.display().to_string(),
                    line: None,
                    column: None,
                    message: e.to_string(),
                });
                return Vec::new();
            }
        },
    };
    paths.sort();
    // Files parse independently: spread them over the cores, keep their order.
    use rayon::prelude::*;
    let parsed: Vec<Result<ParsedFile, InputError>> =
        paths.par_iter().map(|p| parse_one(p)).collect();
    let mut files = Vec::new();
    for r in parsed {
        match r {
            Ok(f) => files.push(f),
            Err(e) => loaded.errors.push(e),
        }
    }
    files
}

fn tfvars(path: &Path, budget: &Budget, loaded: &mut Loaded) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            loaded.errors.push(e);
            return out;
        }
    };
    budget.grant_for_bytes(text.len() as u64);
    match hcl::parse(&text) {
        Ok(body) => {
            let (ctx, ev) = (Context::new(), Ev::new(budget));
            for a in body.attributes() {
                let value = ev.eval(&a.expr, &ctx, &Sizes::default());
                if let Value::String(v) = &value
                    && let Some(kind) = secrets::kind_of(&a.key, v)
                {
                    loaded.resources.push(secrets::record(
                        &format!("var.{}", a.key),
                        &intern(&path.display().to_string()),
                        attr_line(&text, &a.key).unwrap_or(1),
                        kind,
                        &a.key,
                        Box::new([]),
                    ));
                }
                out.insert(a.key.to_string(), value);
                if let Some(units) = ev.refusal() {
                    loaded.errors.push(InputError {
                        file: path.display().to_string(),
                        line: None,
                        column: None,
                        message: over_budget(&a.key, units),
                    });
                }
            }
        }
        Err(hcl::Error::Parse(e)) => loaded.errors.push(InputError {
            file: path.display().to_string(),
            line: Some(e.location().line() as u64),
            column: Some(e.location().column() as u64),
            message: e.message().to_owned(),
        }),
        Err(e) => loaded.errors.push(InputError {
            file: path.display().to_string(),
            line: None,
            column: None,
            message: e.to_string(),
        }),
    }
    out
}

/// Reads a Terraform path: a `.tf` file as the root module it belongs to (that file only),
/// a folder as every root module found below it (see [`root_modules`]), each with its own
/// `.tfvars`.
pub fn read(path: &Path, var_files: &[PathBuf], loaded: &mut Loaded) {
    if path.is_dir() {
        for root in root_modules(path, loaded) {
            read_root(&root, None, var_files, loaded);
        }
    } else {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        read_root(&dir, Some(path), var_files, loaded);
    }
}

/// `source = "./…"` or `"../…"`: a module block calling a local module (a literal source,
/// as nearly every configuration writes it).
static LOCAL_SOURCE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    #[allow(clippy::expect_used, reason = "a constant pattern")]
    regex::Regex::new(r#"(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)""#).expect("a valid pattern")
});

/// The root modules below `dir`, like `checkov -d` or `tflint --recursive` find them: every
/// folder holding `.tf` files that no other such folder calls as a local module. Hidden
/// folders (`.terraform/`, `.git/`, `.github/` …) are not entered; symbolic links are not
/// followed. Sorted by path.
pub fn root_modules(dir: &Path, loaded: &mut Loaded) -> Vec<PathBuf> {
    let mut with_tf: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir() && e.file_name().to_string_lossy().starts_with('.'))
        });
    for entry in walk {
        match entry {
            Ok(e) => {
                let p = e.path();
                if e.file_type().is_file() && p.extension().is_some_and(|x| x == "tf") {
                    let parent = p.parent().unwrap_or(dir).to_path_buf();
                    with_tf.entry(parent).or_default().push(p.to_path_buf());
                }
            }
            Err(e) => loaded.errors.push(InputError {
                file: e.path().unwrap_or(dir).display().to_string(),
                line: None,
                column: None,
                message: e
                    .io_error()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| e.to_string()),
            }),
        }
    }
    if with_tf.len() <= 1 {
        return with_tf.into_keys().collect();
    }
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| normalize(p));
    let mut called = std::collections::HashSet::new();
    for (d, files) in &with_tf {
        for f in files {
            // Unreadable files are reported when the module is read.
            let Ok(text) = read_text(f) else { continue };
            for c in LOCAL_SOURCE.captures_iter(&text) {
                if let Some(src) = c.get(1) {
                    called.insert(canonical(&d.join(src.as_str())));
                }
            }
        }
    }
    let roots: Vec<PathBuf> = with_tf
        .keys()
        .filter(|d| !called.contains(&canonical(d)))
        .cloned()
        .collect();
    if roots.is_empty() {
        // Modules that only call one another: read each as a root rather than none.
        with_tf.into_keys().collect()
    } else {
        roots
    }
}

/// The modules `terraform init` downloaded for a root module, by module key (`vpc`,
/// `vpc.subnets`) → folder, from `.terraform/modules/modules.json`.
fn module_manifest(root: &Path, loaded: &mut Loaded) -> HashMap<String, PathBuf> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key")]
        key: String,
        #[serde(rename = "Dir")]
        dir: String,
    }
    let path = root.join(".terraform/modules/modules.json");
    if !path.is_file() {
        return HashMap::new();
    }
    let text = match read_text(&path) {
        Ok(t) => t,
        Err(e) => {
            loaded.notes.push(e);
            return HashMap::new();
        }
    };
    match serde_json::from_str::<Manifest>(&text) {
        Ok(m) => m
            .modules
            .into_iter()
            .filter(|e| !e.key.is_empty())
            .map(|e| (e.key, normalize(&root.join(e.dir))))
            .collect(),
        Err(e) => {
            loaded.notes.push(InputError {
                file: path.display().to_string(),
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                message: format!("not read ({e}); downloaded modules are not scanned"),
            });
            HashMap::new()
        }
    }
}

/// Reads one root module (all its `.tf` files, or only `only`), with its `.tfvars`.
fn read_root(dir: &Path, only: Option<&Path>, var_files: &[PathBuf], loaded: &mut Loaded) {
    let dir = dir.to_path_buf();
    let budget = Budget::default();
    let mut vars = BTreeMap::new();
    if only.is_none() {
        let mut auto: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        n == "terraform.tfvars" || n.ends_with(".auto.tfvars")
                    })
                    .collect()
            })
            .unwrap_or_default();
        auto.sort_by_key(|p| (p.file_name().map(|n| n != "terraform.tfvars"), p.clone()));
        for f in auto {
            vars.extend(tfvars(&f, &budget, loaded));
        }
    }
    for f in var_files {
        vars.extend(tfvars(f, &budget, loaded));
    }
    let manifest = std::sync::Arc::new(module_manifest(&dir, loaded));
    let ancestors = vec![dir.canonicalize().unwrap_or_else(|_| dir.clone())];
    let input = ModuleInput {
        dir,
        prefix: String::new(),
        key: String::new(),
        manifest,
        vars,
        regions: HashMap::new(),
        depth: 0,
        ancestors,
    };
    read_module(&input, only, &budget, loaded);
}

fn read_module(input: &ModuleInput, only: Option<&Path>, budget: &Budget, loaded: &mut Loaded) {
    let files = parse_files(&input.dir, only, loaded);
    for f in &files {
        budget.grant_for_bytes(f.text.len() as u64);
    }
    let ev = Ev::new(budget);
    let mut sizes = Sizes::default();

    // Variables: given values, else defaults, else unknown.
    let mut vars = hcl::Map::new();
    let empty = Context::new();
    for f in &files {
        for b in f
            .body
            .blocks()
            .filter(|b| b.identifier.as_str() == "variable")
        {
            let Some(name) = label(b, 0) else { continue };
            let value = match input.vars.get(name) {
                Some(v) => v.clone(),
                None => {
                    let d = attr(&b.body, "default")
                        .map(|e| ev.eval(e, &empty, &Sizes::default()))
                        .unwrap_or(Value::Unknown);
                    // A secret as a variable's default is written in the module.
                    if let Value::String(text) = &d
                        && let Some(kind) = secrets::kind_of(name, text)
                    {
                        let line = block_line(&f.text, "variable", name).unwrap_or(1);
                        loaded.resources.push(secrets::record(
                            &format!("{}var.{name}", input.prefix),
                            &intern(&f.path),
                            secrets::line_in(&f.text, line, "default"),
                            kind,
                            "default",
                            Box::new([]),
                        ));
                    }
                    d
                }
            };
            if let Some(units) = ev.refusal() {
                loaded.errors.push(InputError {
                    file: f.path.clone(),
                    line: block_line(&f.text, "variable", name),
                    column: None,
                    message: over_budget(&format!("var.{name}"), units),
                });
            }
            if let Some(h) = to_hcl(&value) {
                sizes.set(format!("var.{name}"), size_of(&h));
                vars.insert(name.to_owned(), h);
            }
        }
    }
    let mut ctx = base_context();
    ctx.declare_var("var", hcl::Value::Object(vars));

    // Locals, in dependency order: each is evaluated once, with only the locals it
    // refers to in its context (copying them all for each would be quadratic).
    let local_exprs: Vec<(&ParsedFile, &str, &Expression, Vec<String>)> = files
        .iter()
        .flat_map(|f| {
            f.body
                .blocks()
                .filter(|b| b.identifier.as_str() == "locals")
                .map(move |b| (f, b))
        })
        .flat_map(|(f, b)| {
            b.body.attributes().map(move |a| {
                let mut deps = Vec::new();
                refs_in(&a.expr, &["local"], "", &mut deps);
                let deps = deps
                    .into_iter()
                    .filter_map(|d| d.strip_prefix("local.").map(str::to_owned))
                    .collect();
                (f, a.key.as_str(), &a.expr, deps)
            })
        })
        .collect();
    let mut locals: hcl::Map<String, hcl::Value> = hcl::Map::new();
    let mut settled = vec![false; local_exprs.len()];
    loop {
        let mut progress = false;
        for (i, (f, name, expr, deps)) in local_exprs.iter().enumerate() {
            if settled[i] || !deps.iter().all(|d| locals.contains_key(d.as_str())) {
                continue;
            }
            settled[i] = true;
            progress = true;
            let mut own = hcl::Map::new();
            for d in deps {
                if let Some(v) = locals.get(d.as_str()) {
                    own.insert(d.clone(), v.clone());
                }
            }
            ctx.declare_var("local", hcl::Value::Object(own));
            let value = ev.eval_hcl(expr, &ctx, &sizes);
            if let Some(units) = ev.refusal() {
                loaded.errors.push(InputError {
                    file: f.path.clone(),
                    line: attr_line(&f.text, name),
                    column: None,
                    message: over_budget(&format!("local.{name}"), units),
                });
            }
            if let Some(v) = value {
                sizes.set(format!("local.{name}"), size_of(&v));
                locals.insert((*name).to_owned(), v);
            }
        }
        if !progress {
            break;
        }
    }
    // What a copy of the context costs: every variable and local in it.
    let ctx_units = sizes
        .names
        .values()
        .fold(budget::CONTEXT_UNITS, |n, v| n.saturating_add(*v));
    sizes.set(CTX_UNITS, ctx_units);
    ctx.declare_var("local", hcl::Value::Object(locals));
    let mut path_obj = hcl::Map::new();
    path_obj.insert(
        "module".to_owned(),
        hcl::Value::String(input.dir.display().to_string()),
    );
    path_obj.insert("root".to_owned(), hcl::Value::String(".".into()));
    ctx.declare_var("path", hcl::Value::Object(path_obj));

    // Provider regions: inherited, then this module's own blocks.
    let mut regions = input.regions.clone();
    for f in &files {
        for b in f
            .body
            .blocks()
            .filter(|b| b.identifier.as_str() == "provider")
        {
            let Some(name) = label(b, 0) else { continue };
            let key = match attr(&b.body, "alias").map(|e| ev.eval(e, &ctx, &sizes)) {
                Some(Value::String(a)) => format!("{name}.{a}"),
                _ => name.to_owned(),
            };
            let region = attr(&b.body, "region")
                .map(|e| ev.eval(e, &ctx, &sizes))
                .and_then(|v| v.as_str().map(str::to_owned));
            // Credentials written into the provider block.
            let mut found = Vec::new();
            secrets::find(
                &Value::Map(body_value(&b.body, &ctx, &sizes, &ev, true)),
                &mut found,
            );
            if !found.is_empty() {
                let start = block_line(&f.text, "provider", name).unwrap_or(1);
                let file = intern(&f.path);
                for (kind, attribute) in found {
                    loaded.resources.push(secrets::record(
                        &format!("{}provider.{key}", input.prefix),
                        &file,
                        secrets::line_in(&f.text, start, &attribute),
                        kind,
                        &attribute,
                        Box::new([]),
                    ));
                }
            }
            regions.insert(key, region);
        }
    }

    // Policy documents written as data sources: rendered to their JSON text, so that a
    // policy that refers to one (`data.aws_iam_policy_document.p.json`) is known.
    let mut data: hcl::Map<String, hcl::Value> = hcl::Map::new();
    for f in &files {
        for b in f.body.blocks().filter(|b| b.identifier.as_str() == "data") {
            let (Some(t), Some(n)) = (label(b, 0), label(b, 1)) else {
                continue;
            };
            let Some(output) = policy_output(t) else {
                continue;
            };
            let body = Value::Map(body_value(&b.body, &ctx, &sizes, &ev, true));
            let Some(doc) = render_policy(t, &body) else {
                continue;
            };
            let mut obj = hcl::Map::new();
            obj.insert(output.to_owned(), hcl::Value::String(doc.to_string()));
            let of_type = data
                .entry(t.to_owned())
                .or_insert_with(|| hcl::Value::Object(hcl::Map::new()));
            if let hcl::Value::Object(m) = of_type {
                m.insert(n.to_owned(), hcl::Value::Object(obj));
            }
        }
    }
    if !data.is_empty() {
        let data = hcl::Value::Object(data);
        let units = size_of(&data);
        sizes.set("data", units);
        let ctx_units = sizes.names.get(CTX_UNITS).copied().unwrap_or(0);
        sizes.set(CTX_UNITS, ctx_units.saturating_add(units));
        ctx.declare_var("data", data);
    }

    // Resource blocks, with the line of each header for suppressions and locations.
    let mut blocks: Vec<ResourceBlock> = Vec::new();
    for f in &files {
        for b in f
            .body
            .blocks()
            .filter(|b| b.identifier.as_str() == "resource")
        {
            if let (Some(t), Some(n)) = (label(b, 0), label(b, 1)) {
                blocks.push(ResourceBlock {
                    rtype: t.to_owned(),
                    name: n.to_owned(),
                    block: b,
                    file: f,
                });
            }
        }
    }
    let types: Vec<&str> = blocks.iter().map(|b| b.rtype.as_str()).collect();
    let spans: HashMap<&str, Vec<Span>> = files
        .iter()
        .map(|f| (f.path.as_str(), block_spans(&f.text)))
        .collect();
    // Looked up once per resource: an index, not a search of the file's blocks.
    let mut resource_spans: HashMap<(&str, &str, &str), &Span> = HashMap::new();
    for (path, ss) in &spans {
        for sp in ss.iter().filter(|s| s.keyword == "resource") {
            if let (Some(t), Some(n)) = (sp.labels.first(), sp.labels.get(1)) {
                resource_spans
                    .entry((*path, t.as_str(), n.as_str()))
                    .or_insert(sp);
            }
        }
    }

    // Lines of the files that hold suppression comments at all, split once.
    let file_lines: HashMap<&str, Vec<&str>> = files
        .iter()
        .filter(|f| f.text.contains("cloudward:ignore"))
        .map(|f| (f.path.as_str(), f.text.lines().collect()))
        .collect();

    for rb in &blocks {
        let base = format!("{}{}.{}", input.prefix, rb.rtype, rb.name);
        let span =
            resource_spans.get(&(rb.file.path.as_str(), rb.rtype.as_str(), rb.name.as_str()));
        let (line, end) = span.map(|s| (s.start, s.end)).unwrap_or((0, 0));
        let found = match file_lines.get(rb.file.path.as_str()) {
            Some(lines) if line > 0 => suppressions(lines, line, end),
            _ => Vec::new(),
        };
        for (id, _, n) in &found {
            loaded
                .ignore_ids
                .push((id.clone(), rb.file.path.clone(), *n));
        }
        let ignored: Vec<(String, String)> = found
            .into_iter()
            .map(|(id, reason, _)| (id, reason))
            .collect();
        let mut refs_raw = Vec::new();
        for a in rb.block.body.attributes() {
            let mut r = Vec::new();
            refs_in(&a.expr, &types, &input.prefix, &mut r);
            refs_raw.extend(r.into_iter().map(|t| (a.key.to_string(), t)));
        }
        let provider_key = match attr(&rb.block.body, "provider") {
            Some(Expression::Traversal(t)) => match (&t.expr, t.operators.first()) {
                (Expression::Variable(v), Some(TraversalOperator::GetAttr(a))) => {
                    format!("{}.{}", v.as_str(), a.as_str())
                }
                _ => provider_of(&rb.rtype).to_owned(),
            },
            Some(Expression::Variable(v)) => v.as_str().to_owned(),
            _ => provider_of(&rb.rtype).to_owned(),
        };
        let provider_region = regions.get(&provider_key).cloned().flatten();

        // Instances: count, for_each, or one. Each instance's `count` or `each` is declared
        // in one copy of the module's context for this resource, not in a copy per instance.
        let mut instances: Vec<(String, Option<(&str, hcl::Value)>)> = Vec::new();
        let count = attr(&rb.block.body, "count").map(|e| ev.eval(e, &ctx, &sizes));
        let for_each = attr(&rb.block.body, "for_each").map(|e| ev.eval(e, &ctx, &sizes));
        let unresolved = |what: &str, loaded: &mut Loaded| {
            loaded.notes.push(InputError {
                file: rb.file.path.clone(),
                line: Some(line),
                column: None,
                message: format!(
                    "{base}: {what} cannot be resolved; scanned as one instance with unknown values"
                ),
            });
        };
        match (count, for_each) {
            (Some(c), _) => match c.as_number() {
                Some(n) if n >= 0.0 && (n as usize) <= MAX_INSTANCES => {
                    for i in 0..n as usize {
                        let mut o = hcl::Map::new();
                        o.insert("index".to_owned(), hcl::Value::from(i as i64));
                        instances.push((format!("{base}[{i}]"), Some(("count", o.into()))));
                    }
                }
                Some(n) if n > MAX_INSTANCES as f64 => {
                    loaded.errors.push(InputError {
                        file: rb.file.path.clone(),
                        line: Some(line),
                        column: None,
                        message: format!(
                            "{base}: count {n} exceeds the limit of {MAX_INSTANCES} instances"
                        ),
                    });
                }
                _ => {
                    unresolved("count", loaded);
                    instances.push((base.clone(), None));
                }
            },
            (None, Some(fe)) => {
                let items: Option<Vec<(String, hcl::Value)>> = match &fe {
                    Value::Map(m) if m.len() <= MAX_INSTANCES => m
                        .iter()
                        .map(|(k, v)| Some((k.to_owned(), to_hcl(v).unwrap_or(hcl::Value::Null))))
                        .collect(),
                    Value::List(l) if l.len() <= MAX_INSTANCES => l
                        .iter()
                        .map(|v| {
                            v.as_str()
                                .map(|s| (s.to_owned(), hcl::Value::String(s.to_owned())))
                        })
                        .collect(),
                    Value::Map(_) | Value::List(_) => {
                        loaded.errors.push(InputError {
                            file: rb.file.path.clone(),
                            line: Some(line),
                            column: None,
                            message: format!(
                                "{base}: for_each exceeds the limit of {MAX_INSTANCES} instances"
                            ),
                        });
                        Some(Vec::new())
                    }
                    _ => None,
                };
                match items {
                    Some(items) => {
                        for (k, v) in items {
                            let mut o = hcl::Map::new();
                            o.insert("key".to_owned(), hcl::Value::String(k.clone()));
                            o.insert("value".to_owned(), v);
                            instances.push((format!("{base}[\"{k}\"]"), Some(("each", o.into()))));
                        }
                    }
                    None => {
                        unresolved("for_each", loaded);
                        instances.push((base.clone(), None));
                    }
                }
            }
            (None, None) => instances.push((base.clone(), None)),
        }
        let mut work: Option<Context> = None;
        let mut work_sizes = sizes.clone();
        // One bound for every instance: with the largest `count` or `each` any has.
        if let Some(max) = instances
            .iter()
            .filter_map(|(_, own)| own.as_ref().map(|(_, v)| size_of(v)))
            .max()
        {
            work_sizes.set("count", max);
            work_sizes.set("each", max);
        }
        let per_instance = body_bound(&rb.block.body, &work_sizes);
        if per_instance > MAX_VALUE_UNITS {
            ev.refuse(per_instance);
            instances.clear();
        }
        for (address, own) in instances {
            if ev.refused_any() {
                break;
            }
            let c = match own {
                None => &ctx,
                Some((name, value)) => {
                    if work.is_none() && !ev.charge(ctx_units) {
                        break;
                    }
                    let w = work.get_or_insert_with(|| ctx.clone());
                    work_sizes.set(name, size_of(&value));
                    w.declare_var(name, value);
                    &*w
                }
            };
            let attrs = body_value(&rb.block.body, c, &work_sizes, &ev, true);
            let region = attrs
                .get("region")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| provider_region.clone());
            let attrs = Value::Map(attrs);
            let provider = provider_of(&rb.rtype);
            let region = region.or_else(|| super::region_from_attrs(provider, &attrs));
            let file = intern(&rb.file.path);
            let mut found = Vec::new();
            secrets::find(&attrs, &mut found);
            for (kind, attribute) in found {
                loaded.resources.push(secrets::record(
                    &address,
                    &file,
                    secrets::line_in(&rb.file.text, line, &attribute),
                    kind,
                    &attribute,
                    pairs(ignored.iter().cloned()),
                ));
            }
            loaded.resources.push(Resource {
                address: address.into_boxed_str(),
                rtype: intern(&rb.rtype),
                provider: intern(provider),
                region: region.as_deref().map(intern),
                file,
                line,
                attrs,
                refs: pairs(refs_raw.iter().cloned()),
                ignored: pairs(ignored.iter().cloned()),
            });
        }
        if let Some(units) = ev.refusal() {
            loaded.errors.push(InputError {
                file: rb.file.path.clone(),
                line: Some(line),
                column: None,
                message: over_budget(&base, units),
            });
        }
    }

    // Local modules: what to report and which children to read, in order; the children
    // are then read in parallel, a few at a time, and their results taken in that order.
    let mut steps: Vec<Step> = Vec::new();
    for f in &files {
        for b in f
            .body
            .blocks()
            .filter(|b| b.identifier.as_str() == "module")
        {
            let Some(name) = label(b, 0) else { continue };
            let line = spans
                .get(f.path.as_str())
                .and_then(|ss| {
                    ss.iter().find(|s| {
                        s.keyword == "module" && s.labels.first().map(String::as_str) == Some(name)
                    })
                })
                .map(|s| s.start);
            let source = attr(&b.body, "source").map(|e| ev.eval(e, &ctx, &sizes));
            let Some(Value::String(source)) = source else {
                continue;
            };
            let key = if input.key.is_empty() {
                name.to_owned()
            } else {
                format!("{}.{name}", input.key)
            };
            let child_dir = if source.starts_with("./") || source.starts_with("../") {
                normalize(&input.dir.join(&*source))
            } else if let Some(d) = input.manifest.get(&key).filter(|d| d.is_dir()) {
                d.clone()
            } else {
                steps.push(Step::Note(InputError {
                    file: f.path.clone(),
                    line,
                    column: None,
                    message: format!(
                        "module.{name}: source {source} is not a local path and is not among the modules `terraform init` downloaded (.terraform/modules/modules.json); not scanned"
                    ),
                }));
                continue;
            };
            let canonical = child_dir
                .canonicalize()
                .unwrap_or_else(|_| child_dir.clone());
            if input.ancestors.contains(&canonical) {
                steps.push(Step::Error(InputError {
                    file: f.path.clone(),
                    line,
                    column: None,
                    message: format!("module.{name}: source {source} includes a module that includes it (a cycle); not scanned"),
                }));
                continue;
            }
            if input.depth + 1 > MAX_MODULE_DEPTH {
                steps.push(Step::Error(InputError {
                    file: f.path.clone(),
                    line,
                    column: None,
                    message: format!(
                        "module.{name}: modules nest deeper than {MAX_MODULE_DEPTH}; not scanned"
                    ),
                }));
                continue;
            }
            let mut keys: Vec<(String, Context)> = Vec::new();
            let count = attr(&b.body, "count").map(|e| ev.eval(e, &ctx, &sizes));
            let for_each = attr(&b.body, "for_each").map(|e| ev.eval(e, &ctx, &sizes));
            let base = format!("{}module.{name}", input.prefix);
            match (count.and_then(|c| c.as_number()), for_each) {
                (Some(n), _) if n >= 0.0 && (n as usize) <= MAX_INSTANCES => {
                    for i in 0..n as usize {
                        if !ev.charge(ctx_units) {
                            break;
                        }
                        let mut c = ctx.clone();
                        let mut o = hcl::Map::new();
                        o.insert("index".to_owned(), hcl::Value::from(i as i64));
                        c.declare_var("count", hcl::Value::Object(o));
                        keys.push((format!("{base}[{i}]."), c));
                    }
                }
                (None, Some(Value::Map(m))) if m.len() <= MAX_INSTANCES => {
                    for (k, v) in m {
                        if !ev.charge(ctx_units) {
                            break;
                        }
                        let mut c = ctx.clone();
                        let mut o = hcl::Map::new();
                        o.insert("key".to_owned(), hcl::Value::String(k.clone()));
                        o.insert("value".to_owned(), to_hcl(&v).unwrap_or(hcl::Value::Null));
                        c.declare_var("each", hcl::Value::Object(o));
                        keys.push((format!("{base}[\"{k}\"]."), c));
                    }
                }
                _ => keys.push((format!("{base}."), ctx.clone())),
            }
            for (prefix, c) in keys {
                let mut child_vars = BTreeMap::new();
                for a in b.body.attributes() {
                    let k = a.key.as_str();
                    if matches!(
                        k,
                        "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
                    ) {
                        continue;
                    }
                    child_vars.insert(k.to_owned(), ev.eval(&a.expr, &c, &sizes));
                }
                if let Some(units) = ev.refusal() {
                    steps.push(Step::Error(InputError {
                        file: f.path.clone(),
                        line,
                        column: None,
                        message: over_budget(&format!("module.{name}"), units),
                    }));
                    break;
                }
                let mut ancestors = input.ancestors.clone();
                ancestors.push(canonical.clone());
                let child = ModuleInput {
                    ancestors,
                    dir: child_dir.clone(),
                    prefix,
                    key: key.clone(),
                    manifest: input.manifest.clone(),
                    vars: child_vars,
                    regions: regions.clone(),
                    depth: input.depth + 1,
                };
                steps.push(Step::Child(child));
            }
        }
    }
    use rayon::prelude::*;
    let threads = rayon::current_num_threads().max(1) * 2;
    let mut steps = steps.into_iter().peekable();
    while steps.peek().is_some() {
        let window: Vec<Step> = steps.by_ref().take(threads).collect();
        let read: Vec<Option<Loaded>> = window
            .par_iter()
            .map(|step| match step {
                Step::Child(child) => {
                    let mut l = Loaded::default();
                    read_module(child, None, budget, &mut l);
                    Some(l)
                }
                _ => None,
            })
            .collect();
        for (step, child) in window.into_iter().zip(read) {
            match (step, child) {
                (Step::Note(n), _) => loaded.notes.push(n),
                (Step::Error(e), _) => loaded.errors.push(e),
                (Step::Child(_), Some(l)) => {
                    let Loaded {
                        mut resources,
                        mut errors,
                        mut notes,
                        mut inputs,
                        mut ignore_ids,
                    } = l;
                    loaded.resources.append(&mut resources);
                    loaded.errors.append(&mut errors);
                    loaded.notes.append(&mut notes);
                    loaded.inputs.append(&mut inputs);
                    loaded.ignore_ids.append(&mut ignore_ids);
                }
                (Step::Child(_), None) => {}
            }
        }
    }
}

/// One thing the local modules of a module lead to.
enum Step {
    Note(InputError),
    Error(InputError),
    Child(ModuleInput),
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("./m")), PathBuf::from("m"));
    }

    #[test]
    fn shape_counts_brackets_and_entries_outside_strings() {
        assert_eq!(shape("a = { b = [1, \"{{{\"] }").depth, 2);
        assert_eq!(shape("# {{{{\nx = 1").depth, 0);
        let s = shape("x = {\n a = 1\n b = \"c = d\"\n c = 1 == 2\n d = [for k, v in y : k]\n}\n");
        assert_eq!(s.widest, (4, 1));
        assert_eq!(s.squares, 16);
    }

    #[test]
    fn suppression_comments_belong_to_one_resource() {
        let text = "# cloudward:ignore ALI-OSS-01 public website\nresource \"a\" \"b\" {\n  acl = \"public-read\" # cloudward:ignore ALI-OSS-02\n}\n\n# cloudward:ignore * other\n\nresource   a   \"c\" {\n}\n";
        let spans = block_spans(text);
        assert_eq!(spans.len(), 2);
        assert_eq!((spans[0].start, spans[0].end), (2, 4));
        assert_eq!(spans[1].labels, vec!["a".to_owned(), "c".to_owned()]);
        assert_eq!((spans[1].start, spans[1].end), (8, 9));
        let lines: Vec<&str> = text.lines().collect();
        let b: Vec<String> = suppressions(&lines, 2, 4)
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(b, vec!["ALI-OSS-01".to_owned(), "ALI-OSS-02".to_owned()]);
        // Separated by a blank line: the comment belongs to neither.
        assert!(suppressions(&lines, 8, 9).is_empty());
    }

    #[test]
    fn spans_skip_strings_and_heredocs() {
        let text = "resource \"a\" \"b\" {\n  x = \"}}}\"\n  y = <<EOF\n}}\nEOF\n}\nresource \"a\" \"c\" {}\n";
        let spans = block_spans(text);
        assert_eq!(
            spans.iter().map(|s| (s.start, s.end)).collect::<Vec<_>>(),
            vec![(1, 6), (7, 7)]
        );
    }
}
