//! Alibaba Cloud Resource Orchestration Service (ROS) templates, YAML or JSON
//! (`ROSTemplateFormatVersion: '2015-09-01'`).
//!
//! Each entry of `Resources` becomes a resource of the provider `ros` whose type is the
//! ROS type (`ALIYUN::ECS::Instance`) and whose attributes are its `Properties`, spelled
//! as ROS spells them. What the template fixes is worked out the way ROS would: a `Ref`
//! to a parameter takes its `Default`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
//! `Fn::Replace`, `Fn::FindInMap`, `Fn::If` with the `Conditions`, `Fn::Equals`,
//! `Fn::Not`, `Fn::And`, `Fn::Or`, `Fn::Str`, `Fn::Length`, `Fn::ListMerge` are evaluated
//! on known values; `ALIYUN::NoValue` removes the property; a resource whose `Condition` is
//! false is not created; a known `Count` makes that many resources. What only exists once
//! the stack is deployed (`Fn::GetAtt`, a `Ref` to a resource, `ALIYUN::Region`, a
//! parameter without a default, an unrecognised function) is unknown, so that a rule
//! reading it neither passes nor fails. `Fn::Base64Encode` is read as the text it encodes,
//! so that rules and the secret checks see a user-data script as written.
//!
//! Short-form tags (`!Ref Name`, `!GetAtt A.B`, `!Join [...]`) read as their long forms.
//! Hard-coded secrets in `Properties` and in parameters' defaults become the same
//! `terraform_secret` records the Terraform reader makes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Spanned, Tagged};

use super::{InputError, Loaded, MAX_INSTANCES, read_text, secrets};
use crate::model::{Resource, pairs};
use crate::value::{Map, Value, intern};

/// The provider of ROS resources.
pub const PROVIDER: &str = "ros";

/// Does the beginning of a file look like a ROS template?
pub fn is_template(head: &str) -> bool {
    head.contains("ROSTemplateFormatVersion")
}

/// Could the file at `path` be a template (by its name)?
pub fn template_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json" | "template" | "ros"))
}

// ---------------------------------------------------------------- the YAML tree

/// A node of the template with where it is written.
#[derive(Debug, Clone)]
struct N {
    node: Node,
    line: u64,
    column: u64,
}

#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    Seq(Vec<N>),
    Map(Vec<(String, N)>),
}

impl N {
    fn get(&self, key: &str) -> Option<&N> {
        match &self.node {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn entries(&self) -> &[(String, N)] {
        match &self.node {
            Node::Map(m) => m,
            _ => &[],
        }
    }

    /// The last line the node reaches.
    fn end_line(&self) -> u64 {
        match &self.node {
            Node::Seq(v) => v.iter().map(N::end_line).max().unwrap_or(self.line),
            Node::Map(m) => m
                .iter()
                .map(|(_, v)| v.end_line())
                .max()
                .unwrap_or(self.line),
            _ => self.line,
        }
        .max(self.line)
    }
}

impl<'de> Deserialize<'de> for N {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<N, D::Error> {
        let s = Spanned::<Tagged<Node>>::deserialize(d)?;
        let Tagged(node, tag) = s.value;
        let line = s.referenced.line();
        let column = s.referenced.column();
        let n = N { node, line, column };
        Ok(match tag.as_deref().map(|t| t.trim_start_matches('!')) {
            // Short forms: `!Ref x` is `{Ref: x}`, `!GetAtt A.B` is `{Fn::GetAtt: [A, B]}`,
            // `!Join [...]` is `{Fn::Join: [...]}`.
            Some(t) if !t.is_empty() && !t.contains(':') && t != "str" => {
                let name = if t == "Ref" || t == "Condition" {
                    t.to_owned()
                } else {
                    format!("Fn::{t}")
                };
                let arg = match (&n.node, t) {
                    (Node::Str(s), "GetAtt") => match s.split_once('.') {
                        Some((a, b)) => N {
                            node: Node::Seq(vec![
                                N {
                                    node: Node::Str(a.to_owned()),
                                    line,
                                    column,
                                },
                                N {
                                    node: Node::Str(b.to_owned()),
                                    line,
                                    column,
                                },
                            ]),
                            line,
                            column,
                        },
                        None => n,
                    },
                    _ => n,
                };
                N {
                    node: Node::Map(vec![(name, arg)]),
                    line,
                    column,
                }
            }
            _ => n,
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML or JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element::<N>()? {
            v.push(x);
        }
        Ok(Node::Seq(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut v: Vec<(String, N)> = Vec::new();
        while let Some(k) = map.next_key::<KeyText>()? {
            let x = map.next_value::<N>()?;
            // A later duplicate wins, as in ROS.
            v.retain(|(key, _)| *key != k.0);
            v.push((k.0, x));
        }
        Ok(Node::Map(v))
    }
}

/// A mapping key as text (`80: x` has the key "80").
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyText, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".into()))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------- evaluation

/// What an expression gives: a value, or `ALIYUN::NoValue` (the property is left out).
enum Ev {
    V(Value),
    NoValue,
}

impl Ev {
    fn value(self) -> Value {
        match self {
            Ev::V(v) => v,
            Ev::NoValue => Value::Null,
        }
    }
}

/// Deepest nesting of functions and conditions worked out (a template that nests deeper
/// is unknown there).
const MAX_DEPTH: usize = 64;

struct Template<'a> {
    params: HashMap<&'a str, Value>,
    mappings: Option<&'a N>,
    conditions: HashMap<&'a str, &'a N>,
    /// Logical id → address, for references.
    resources: HashMap<&'a str, String>,
    /// Known condition values (None: unknown), filled as they are asked for.
    known: std::cell::RefCell<HashMap<String, Option<bool>>>,
    /// `ALIYUN::Index` while a `Count` is expanded.
    index: Option<usize>,
}

fn unknown() -> Ev {
    Ev::V(Value::Unknown)
}

fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A known scalar as text (for joining and substituting).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(num_text(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Values equal for `Fn::Equals` (a number and its text are equal, as ROS compares them).
fn same(a: &Value, b: &Value) -> Option<bool> {
    if a.is_unknown() || b.is_unknown() {
        return None;
    }
    match (text_of(a), text_of(b)) {
        (Some(x), Some(y)) => Some(x == y),
        _ => Some(a == b),
    }
}

impl<'a> Template<'a> {
    fn eval(&self, n: &N, refs: &mut Vec<String>, depth: usize) -> Ev {
        if depth > MAX_DEPTH {
            return unknown();
        }
        match &n.node {
            Node::Null => Ev::V(Value::Null),
            Node::Bool(b) => Ev::V(Value::Bool(*b)),
            Node::Number(x) => Ev::V(Value::Number(*x)),
            Node::Str(s) => Ev::V(Value::String(s.as_str().into())),
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for x in items {
                    if let Ev::V(v) = self.eval(x, refs, depth + 1) {
                        out.push(v);
                    }
                }
                Ev::V(Value::List(out.into_boxed_slice()))
            }
            Node::Map(m) => {
                if let [(k, arg)] = m.as_slice()
                    && (k == "Ref" || k.starts_with("Fn::"))
                {
                    return self.function(k, arg, refs, depth + 1);
                }
                let mut out = Map::new();
                for (k, x) in m {
                    if let Ev::V(v) = self.eval(x, refs, depth + 1) {
                        out.insert(k, v);
                    }
                }
                Ev::V(Value::Map(out))
            }
        }
    }

    fn args(&self, arg: &N, refs: &mut Vec<String>, depth: usize) -> Vec<Value> {
        match self.eval(arg, refs, depth) {
            Ev::V(Value::List(l)) => l.into_vec(),
            Ev::V(v) => vec![v],
            Ev::NoValue => Vec::new(),
        }
    }

    fn reference(&self, name: &str, refs: &mut Vec<String>) -> Ev {
        if let Some(v) = self.params.get(name) {
            return Ev::V(v.clone());
        }
        match name {
            "ALIYUN::NoValue" => Ev::NoValue,
            "ALIYUN::Index" => match self.index {
                Some(i) => Ev::V(Value::Number(i as f64)),
                None => unknown(),
            },
            _ => {
                if let Some(address) = self.resources.get(name) {
                    refs.push(address.clone());
                }
                unknown()
            }
        }
    }

    fn function(&self, name: &str, arg: &N, refs: &mut Vec<String>, depth: usize) -> Ev {
        match name {
            "Ref" => match arg.as_str() {
                Some(s) => self.reference(s, refs),
                None => unknown(),
            },
            "Fn::GetAtt" => {
                let target = match &arg.node {
                    Node::Seq(v) => v.first().and_then(N::as_str),
                    Node::Str(s) => s.split('.').next(),
                    _ => None,
                };
                if let Some(address) = target.and_then(|t| self.resources.get(t)) {
                    refs.push(address.clone());
                }
                unknown()
            }
            "Fn::Join" => {
                let a = self.args(arg, refs, depth);
                let (Some(Value::String(delim)), Some(Value::List(items))) = (a.first(), a.get(1))
                else {
                    return unknown();
                };
                let parts: Option<Vec<String>> = items.iter().map(text_of).collect();
                match parts {
                    Some(p) => Ev::V(Value::String(p.join(delim).into())),
                    None => unknown(),
                }
            }
            "Fn::Sub" => self.sub(arg, refs, depth),
            "Fn::Select" => {
                let a = self.args(arg, refs, depth);
                let index = a.first().and_then(|i| match i {
                    Value::Number(n) if *n >= 0.0 => Some(*n as usize),
                    Value::String(s) => s.trim().parse::<usize>().ok(),
                    _ => None,
                });
                match (index, a.get(1)) {
                    (Some(i), Some(Value::List(l))) => {
                        l.get(i).cloned().map_or_else(unknown, Ev::V)
                    }
                    (Some(i), Some(Value::Map(m))) => m
                        .iter()
                        .nth(i)
                        .map(|(_, v)| v.clone())
                        .map_or_else(unknown, Ev::V),
                    _ => unknown(),
                }
            }
            "Fn::Split" => {
                let a = self.args(arg, refs, depth);
                match (a.first(), a.get(1)) {
                    (Some(Value::String(d)), Some(Value::String(s))) if !d.is_empty() => {
                        Ev::V(Value::List(
                            s.split(&**d)
                                .map(|p| Value::String(p.into()))
                                .collect::<Vec<_>>()
                                .into_boxed_slice(),
                        ))
                    }
                    _ => unknown(),
                }
            }
            "Fn::Replace" => {
                let a = self.args(arg, refs, depth);
                match (a.first(), a.get(1)) {
                    (Some(Value::Map(pairs)), Some(Value::String(s))) => {
                        let mut out = s.to_string();
                        for (from, to) in pairs.iter() {
                            let Some(to) = text_of(to) else {
                                return unknown();
                            };
                            out = out.replace(from, &to);
                        }
                        Ev::V(Value::String(out.into()))
                    }
                    _ => unknown(),
                }
            }
            "Fn::FindInMap" => {
                let a = self.args(arg, refs, depth);
                let keys: Option<Vec<String>> = a.iter().map(text_of).collect();
                let (Some(keys), Some(maps)) = (keys, self.mappings) else {
                    return unknown();
                };
                let mut at = maps;
                for k in &keys {
                    match at.get(k) {
                        Some(x) => at = x,
                        None => return unknown(),
                    }
                }
                self.eval(at, refs, depth)
            }
            "Fn::If" => {
                let Node::Seq(parts) = &arg.node else {
                    return unknown();
                };
                let (Some(c), Some(a), Some(b)) = (parts.first(), parts.get(1), parts.get(2))
                else {
                    return unknown();
                };
                let cond = match c.as_str() {
                    Some(name) => self.condition(name, depth),
                    None => self.truth(c, depth),
                };
                match cond {
                    Some(true) => self.eval(a, refs, depth),
                    Some(false) => self.eval(b, refs, depth),
                    None => {
                        let (x, y) = (self.eval(a, refs, depth), self.eval(b, refs, depth));
                        match (x, y) {
                            (Ev::V(x), Ev::V(y)) if x == y => Ev::V(x),
                            _ => unknown(),
                        }
                    }
                }
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let n = N {
                    node: Node::Map(vec![(name.to_owned(), arg.clone())]),
                    line: arg.line,
                    column: arg.column,
                };
                match self.truth(&n, depth) {
                    Some(b) => Ev::V(Value::Bool(b)),
                    None => unknown(),
                }
            }
            "Fn::Base64Encode" | "Fn::Base64" => self.eval(arg, refs, depth),
            "Fn::Str" => match self.eval(arg, refs, depth).value() {
                v @ Value::String(_) => Ev::V(v),
                v => text_of(&v).map_or_else(unknown, |t| Ev::V(Value::String(t.into()))),
            },
            "Fn::Length" => match self.eval(arg, refs, depth).value() {
                Value::List(l) => Ev::V(Value::Number(l.len() as f64)),
                Value::Map(m) => Ev::V(Value::Number(m.len() as f64)),
                Value::String(s) => Ev::V(Value::Number(s.chars().count() as f64)),
                _ => unknown(),
            },
            "Fn::ListMerge" => {
                let mut out = Vec::new();
                for l in self.args(arg, refs, depth) {
                    match l {
                        Value::List(l) => out.extend(l.into_vec()),
                        _ => return unknown(),
                    }
                }
                Ev::V(Value::List(out.into_boxed_slice()))
            }
            _ => {
                // Unknown function: still note the resources it refers to.
                let _ = self.eval(arg, refs, depth);
                unknown()
            }
        }
    }

    fn sub(&self, arg: &N, refs: &mut Vec<String>, depth: usize) -> Ev {
        let (text, vars) = match &arg.node {
            Node::Str(s) => (s.clone(), Map::new()),
            Node::Seq(parts) => {
                let Some(s) = parts.first().and_then(N::as_str) else {
                    return unknown();
                };
                let vars = match parts.get(1).map(|v| self.eval(v, refs, depth).value()) {
                    Some(Value::Map(m)) => m,
                    _ => Map::new(),
                };
                (s.to_owned(), vars)
            }
            _ => return unknown(),
        };
        let mut out = String::new();
        let mut rest = text.as_str();
        let mut known = true;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = after[..j].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let v = match vars.get(name) {
                    Some(v) => v.clone(),
                    None => match name.split_once('.') {
                        // ${Resource.Attribute}
                        Some((res, _)) if self.resources.contains_key(res) => {
                            self.reference(res, refs).value();
                            Value::Unknown
                        }
                        _ => self.reference(name, refs).value(),
                    },
                };
                match text_of(&v) {
                    Some(t) => out.push_str(&t),
                    None => known = false,
                }
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        if known {
            Ev::V(Value::String(out.into()))
        } else {
            unknown()
        }
    }

    /// A named condition's value (None: unknown).
    fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        if let Some(v) = self.known.borrow().get(name) {
            return *v;
        }
        // Mark it unknown while it is worked out, so that a cycle ends.
        self.known.borrow_mut().insert(name.to_owned(), None);
        let v = self
            .conditions
            .get(name)
            .and_then(|n| self.truth(n, depth + 1));
        self.known.borrow_mut().insert(name.to_owned(), v);
        v
    }

    /// A condition expression's value (None: unknown).
    fn truth(&self, n: &N, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut refs = Vec::new();
        match &n.node {
            Node::Bool(b) => Some(*b),
            Node::Str(s) => match s.as_str() {
                "true" | "True" => Some(true),
                "false" | "False" => Some(false),
                name => self.condition(name, depth + 1),
            },
            Node::Map(m) => {
                let [(k, arg)] = m.as_slice() else {
                    return None;
                };
                let parts: Vec<&N> = match &arg.node {
                    Node::Seq(v) => v.iter().collect(),
                    _ => vec![arg],
                };
                match k.as_str() {
                    "Condition" => arg.as_str().and_then(|c| self.condition(c, depth + 1)),
                    "Fn::Equals" => {
                        let (a, b) = (parts.first()?, parts.get(1)?);
                        let a = self.eval(a, &mut refs, depth + 1).value();
                        let b = self.eval(b, &mut refs, depth + 1).value();
                        same(&a, &b)
                    }
                    "Fn::Not" => self.truth(parts.first()?, depth + 1).map(|b| !b),
                    "Fn::And" => {
                        let vals: Vec<Option<bool>> =
                            parts.iter().map(|p| self.truth(p, depth + 1)).collect();
                        if vals.contains(&Some(false)) {
                            Some(false)
                        } else if vals.iter().all(Option::is_some) {
                            Some(true)
                        } else {
                            None
                        }
                    }
                    "Fn::Or" => {
                        let vals: Vec<Option<bool>> =
                            parts.iter().map(|p| self.truth(p, depth + 1)).collect();
                        if vals.contains(&Some(true)) {
                            Some(true)
                        } else if vals.iter().all(Option::is_some) {
                            Some(false)
                        } else {
                            None
                        }
                    }
                    _ => match self.eval(n, &mut refs, depth + 1).value() {
                        Value::Bool(b) => Some(b),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }
}

/// A parameter's value: its `Default` as its `Type` reads it, else unknown.
fn parameter_value(p: &N) -> Value {
    let Some(d) = p.get("Default") else {
        return Value::Unknown;
    };
    let kind = p.get("Type").and_then(N::as_str).unwrap_or("String");
    let plain = |n: &N| -> Value {
        match &n.node {
            Node::Str(s) => Value::String(s.as_str().into()),
            Node::Number(x) => Value::Number(*x),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
            _ => Value::Unknown,
        }
    };
    match (kind, &d.node) {
        ("CommaDelimitedList", Node::Str(s)) => Value::List(
            s.split(',')
                .map(|x| Value::String(x.trim().into()))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ),
        ("Number", Node::Str(s)) => s
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::String(s.as_str().into()), Value::Number),
        ("Boolean", Node::Str(s)) => match s.trim() {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            _ => Value::String(s.as_str().into()),
        },
        (_, Node::Seq(_) | Node::Map(_)) => {
            let t = Template {
                params: HashMap::new(),
                mappings: None,
                conditions: HashMap::new(),
                resources: HashMap::new(),
                known: Default::default(),
                index: None,
            };
            t.eval(d, &mut Vec::new(), 0).value()
        }
        _ => plain(d),
    }
}

/// `MasterUserPassword` → `master_user_password`, `DBPassword` → `db_password`, so that
/// the secret checks read ROS names as they read Terraform's.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j));
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_ascii_uppercase)
                    && next.is_some_and(char::is_ascii_lowercase));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if *c == '-' || *c == '.' {
            out.push('_');
        } else {
            out.push(*c);
        }
    }
    out
}

/// Literal secrets under a node: (kind, dotted path, line).
fn literal_secrets(n: &N, key: &str, path: &str, out: &mut Vec<(secrets::Kind, String, u64)>) {
    match &n.node {
        Node::Str(s) => {
            if let Some(kind) = secrets::kind_of(&snake(key), s) {
                out.push((kind, path.to_owned(), n.line));
            }
        }
        Node::Map(m) => {
            // A function's argument is not a literal property value.
            if let [(k, _)] = m.as_slice()
                && (k == "Ref" || k.starts_with("Fn::"))
            {
                return;
            }
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                literal_secrets(x, k, &p, out);
            }
        }
        Node::Seq(v) => {
            for (i, x) in v.iter().enumerate() {
                literal_secrets(x, key, &format!("{path}.{i}"), out);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- reading

fn error(file: &str, line: Option<u64>, column: Option<u64>, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

/// Reads one template file.
pub fn read(path: &Path, loaded: &mut Loaded) {
    let file = path.display().to_string();
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => {
            loaded.errors.push(e);
            return;
        }
    };
    read_text_as(&file, &text, loaded);
}

/// Reads a template from its text (`file` names it in messages and findings).
pub fn read_text_as(file: &str, text: &str, loaded: &mut Loaded) {
    let root: N = match serde_saphyr::from_str(text) {
        Ok(n) => n,
        Err(e) => {
            let loc = e.location();
            loaded.errors.push(error(
                file,
                loc.map(|l| l.line()),
                loc.map(|l| l.column()),
                e.without_snippet()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("not valid YAML or JSON")
                    .to_owned(),
            ));
            return;
        }
    };
    if !matches!(root.node, Node::Map(_)) || root.get("ROSTemplateFormatVersion").is_none() {
        loaded.errors.push(error(
            file,
            Some(root.line),
            None,
            "not a ROS template: the top level must be a mapping with \
             ROSTemplateFormatVersion and Resources"
                .into(),
        ));
        return;
    }
    if let Some(t) = root.get("Transform").and_then(N::as_str)
        && t.starts_with("Aliyun::Terraform")
    {
        loaded.notes.push(error(
            file,
            Some(root.line),
            None,
            format!(
                "the template wraps Terraform ({t}); scan the Terraform files it holds instead"
            ),
        ));
        return;
    }
    let Some(resources) = root.get("Resources") else {
        loaded.errors.push(error(
            file,
            Some(root.line),
            None,
            "the template has no Resources".into(),
        ));
        return;
    };
    let Node::Map(resource_entries) = &resources.node else {
        loaded.errors.push(error(
            file,
            Some(resources.line),
            Some(resources.column),
            "Resources must be a mapping of logical ids to resources".into(),
        ));
        return;
    };
    let file_arc: Arc<str> = intern(file);
    let lines: Vec<&str> = text.lines().collect();
    let has_ignores = text.contains("cloudward:ignore");

    // Parameters, with their defaults; each literal secret in a default is a finding.
    let mut params = HashMap::new();
    if let Some(p) = root.get("Parameters") {
        for (name, def) in p.entries() {
            params.insert(name.as_str(), parameter_value(def));
            if let Some(d) = def.get("Default") {
                let mut found = Vec::new();
                literal_secrets(d, name, "", &mut found);
                for (kind, _, line) in found {
                    let address = format!("Parameters.{name}");
                    let ignored = if has_ignores {
                        super::hcl::suppressions(&lines, def.line, def.end_line())
                    } else {
                        Vec::new()
                    };
                    note_ignores(loaded, file, &ignored);
                    loaded.resources.push(secrets::record(
                        &address,
                        &file_arc,
                        line,
                        kind,
                        &format!("Parameters.{name}.Default"),
                        pairs(ignored.into_iter().map(|(id, reason, _)| (id, reason))),
                    ));
                }
            }
        }
    }
    let conditions: HashMap<&str, &N> = root
        .get("Conditions")
        .map(|c| c.entries().iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    let mut addresses = HashMap::new();
    for (id, def) in resource_entries {
        let rtype = def.get("Type").and_then(N::as_str).unwrap_or("");
        addresses.insert(id.as_str(), format!("{rtype}.{id}"));
    }
    let mut t = Template {
        params,
        mappings: root.get("Mappings"),
        conditions,
        resources: addresses,
        known: Default::default(),
        index: None,
    };

    let mut seen_types = HashSet::new();
    for (id, def) in resource_entries {
        let Some(rtype) = def.get("Type").and_then(N::as_str) else {
            loaded.errors.push(error(
                file,
                Some(def.line),
                Some(def.column),
                format!("resource {id} has no Type (such as ALIYUN::ECS::Instance)"),
            ));
            continue;
        };
        if !matches!(def.node, Node::Map(_)) {
            continue;
        }
        // A resource whose condition is false is not created; an unknown one may be.
        if let Some(c) = def.get("Condition").and_then(N::as_str)
            && t.condition(c, 0) == Some(false)
        {
            continue;
        }
        let base = format!("{rtype}.{id}");
        let count = match def.get("Count") {
            None => None,
            Some(c) => match t.eval(c, &mut Vec::new(), 0).value() {
                Value::Number(n) if n >= 0.0 => Some(n as usize),
                Value::String(s) => s.trim().parse::<usize>().ok(),
                _ => {
                    loaded.notes.push(error(
                        file,
                        Some(c.line),
                        Some(c.column),
                        format!(
                            "the Count of {id} is not known from the template; it is read as one resource"
                        ),
                    ));
                    None
                }
            },
        };
        if count.is_some_and(|n| n > MAX_INSTANCES) {
            loaded.errors.push(error(
                file,
                Some(def.line),
                None,
                format!("the Count of {id} is more than {MAX_INSTANCES}; not read"),
            ));
            continue;
        }
        let instances: Vec<Option<usize>> = match count {
            Some(n) => (0..n).map(Some).collect(),
            None => vec![None],
        };
        // The line of the resource's logical id: the body's own line in JSON and flow
        // style, the line above it in block style.
        let holds_id = |n: u64| {
            lines.get(n.saturating_sub(1) as usize).is_some_and(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("{id}:")) || l.starts_with(&format!("\"{id}\""))
            })
        };
        let line = if holds_id(def.line) || def.line <= 1 || !holds_id(def.line - 1) {
            def.line
        } else {
            def.line - 1
        };
        let end = def.end_line();
        let ignored = if has_ignores {
            super::hcl::suppressions(&lines, line, end)
        } else {
            Vec::new()
        };
        note_ignores(loaded, file, &ignored);
        let ignored_pairs = || {
            pairs(
                ignored
                    .iter()
                    .map(|(id, reason, _)| (id.clone(), reason.clone())),
            )
        };
        let rtype_arc = intern(rtype);
        seen_types.insert(rtype.to_owned());
        for instance in instances {
            t.index = instance;
            let address = match instance {
                Some(i) if count.is_some_and(|n| n > 1) || i > 0 => format!("{base}[{i}]"),
                _ => base.clone(),
            };
            let mut attrs = Map::new();
            let mut refs: Vec<(String, String)> = Vec::new();
            if let Some(props) = def.get("Properties") {
                for (k, v) in props.entries() {
                    let mut r = Vec::new();
                    if let Ev::V(v) = t.eval(v, &mut r, 0) {
                        attrs.insert(k, v);
                    }
                    refs.extend(r.into_iter().map(|target| (k.clone(), target)));
                }
            }
            for dep in def
                .get("DependsOn")
                .into_iter()
                .flat_map(|d| match &d.node {
                    Node::Str(s) => vec![s.as_str()],
                    Node::Seq(v) => v.iter().filter_map(N::as_str).collect(),
                    _ => Vec::new(),
                })
            {
                if let Some(a) = t.resources.get(dep) {
                    refs.push(("DependsOn".into(), a.clone()));
                }
            }
            refs.sort();
            refs.dedup();
            let attrs = Value::Map(attrs);
            let region = ["ZoneId", "ZoneIds", "AvailabilityZone"]
                .iter()
                .filter_map(|k| attrs.get(k))
                .find_map(|v| match v {
                    Value::String(s) => super::region_from_zone("alicloud", s),
                    Value::List(l) => l
                        .first()
                        .and_then(Value::as_str)
                        .and_then(|s| super::region_from_zone("alicloud", s)),
                    _ => None,
                })
                .map(|r| intern(&r));
            loaded.resources.push(Resource {
                address: address.as_str().into(),
                rtype: rtype_arc.clone(),
                provider: intern(PROVIDER),
                region,
                file: file_arc.clone(),
                line,
                attrs,
                refs: pairs(refs),
                ignored: ignored_pairs(),
            });
        }
        // Literal secrets in the properties, once per resource, where they are written.
        if let Some(props) = def.get("Properties") {
            let mut found = Vec::new();
            literal_secrets(props, "", "", &mut found);
            for (kind, path, at) in found {
                loaded.resources.push(secrets::record(
                    &base,
                    &file_arc,
                    at,
                    kind,
                    &path,
                    ignored_pairs(),
                ));
            }
        }
    }
}

fn note_ignores(loaded: &mut Loaded, file: &str, found: &[(String, String, u64)]) {
    for (id, _, n) in found {
        loaded.ignore_ids.push((id.clone(), file.to_owned(), *n));
    }
}

/// The templates below `dir` (files named `.yaml`, `.yml`, `.json`, `.template` or
/// `.ros` whose beginning holds `ROSTemplateFormatVersion`), hidden folders skipped,
/// sorted by path.
pub fn templates_in(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir() && e.file_name().to_string_lossy().starts_with('.'))
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && template_name(e.path()))
        .filter(|e| is_template(&super::read_head(e.path())))
        .map(|e| e.path().to_path_buf())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_snake_case() {
        assert_eq!(snake("MasterUserPassword"), "master_user_password");
        assert_eq!(snake("DBPassword"), "db_password");
        assert_eq!(snake("AccessKeySecret"), "access_key_secret");
        assert_eq!(snake("Password"), "password");
    }
}

#[cfg(test)]
mod reading {
    use super::*;

    fn fixture(name: &str) -> Loaded {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ros")
            .join(name);
        let mut loaded = Loaded::default();
        read(&path, &mut loaded);
        loaded
    }

    fn by<'a>(loaded: &'a Loaded, address: &str) -> &'a Resource {
        loaded
            .resources
            .iter()
            .find(|r| &*r.address == address)
            .unwrap_or_else(|| panic!("no {address} among {:?}", addresses(loaded)))
    }

    fn addresses(loaded: &Loaded) -> Vec<String> {
        loaded
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect()
    }

    fn s<'a>(r: &'a Resource, path: &str) -> Option<&'a str> {
        r.attrs.get(path).and_then(Value::as_str)
    }

    #[test]
    fn yaml_template_is_worked_out_as_ros_would() {
        let l = fixture("functions.yaml");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        let mut a = addresses(&l);
        a.sort();
        // Count 2 makes two instances; DevOnly's condition is false; two secrets.
        assert_eq!(
            a,
            vec![
                "ALIYUN::ECS::Instance.Web",
                "ALIYUN::ECS::Instance.Web[0]",
                "ALIYUN::ECS::Instance.Web[1]",
                "ALIYUN::ECS::SecurityGroup.Sg",
                "ALIYUN::ECS::VPC.Vpc",
                "Parameters.DbPassword",
            ]
        );
        let web = by(&l, "ALIYUN::ECS::Instance.Web[1]");
        assert_eq!(&*web.provider, "ros");
        assert_eq!(&*web.rtype, "ALIYUN::ECS::Instance");
        assert_eq!(web.line, 36, "the line of the logical id");
        assert_eq!(web.region.as_deref(), Some("cn-hangzhou"));
        assert_eq!(s(web, "InstanceType"), Some("ecs.g6.large"));
        assert_eq!(s(web, "Name"), Some("web-prod-1"));
        assert_eq!(s(web, "UserData"), Some("#!/bin/sh\necho prod"));
        assert_eq!(s(web, "SystemDiskCategory"), Some("cloud_essd"));
        assert!(web.attrs.get("Tag").is_none(), "ALIYUN::NoValue removes it");
        assert!(
            web.refs
                .iter()
                .any(|(k, t)| &**k == "SecurityGroupId" && &**t == "ALIYUN::ECS::SecurityGroup.Sg"),
            "{:?}",
            web.refs
        );
        let sg = by(&l, "ALIYUN::ECS::SecurityGroup.Sg");
        assert_eq!(sg.line, 24);
        assert!(sg.attrs.get("VpcId").is_some_and(Value::is_unknown));
        let rule = sg
            .attrs
            .get("SecurityGroupIngress")
            .and_then(|v| match v {
                Value::List(l) => l.first(),
                _ => None,
            })
            .and_then(|r| r.get("SourceCidrIp"))
            .and_then(Value::as_str);
        assert_eq!(rule, Some("0.0.0.0/0"), "a parameter's default");
        assert_eq!(
            sg.ignored
                .iter()
                .map(|(id, _)| id.to_string())
                .collect::<Vec<_>>(),
            vec!["ROS-ECS-01"]
        );
        // Secrets: where they are written, never their value.
        let p = by(&l, "Parameters.DbPassword");
        assert_eq!(p.line, 7);
        assert_eq!(s(p, "attribute"), Some("Parameters.DbPassword.Default"));
        let w = by(&l, "ALIYUN::ECS::Instance.Web");
        assert_eq!((w.line, s(w, "attribute")), (43, Some("Password")));
        let records: Vec<&Resource> = l
            .resources
            .iter()
            .filter(|r| &*r.rtype == secrets::SECRET_TYPE)
            .collect();
        assert!(!format!("{records:?}").contains("hunter2"));
        assert!(!format!("{records:?}").contains("Sup3rSecret"));
    }

    #[test]
    fn json_template_and_unknowns() {
        let l = fixture("functions.json");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        let b = by(&l, "ALIYUN::OSS::Bucket.Bucket");
        assert_eq!(b.line, 12);
        assert_eq!(s(b, "AccessControl"), Some("public-read"));
        assert_eq!(s(b, "Tags"), Some("b"));
        assert!(b.attrs.get("BucketName").is_some_and(Value::is_unknown));
        // A condition that depends on the region is unknown: the resource is read, and an
        // Fn::If on it is known only where both branches agree.
        let d = by(&l, "ALIYUN::ECS::Disk.Maybe");
        assert_eq!(d.attrs.get("Encrypted"), Some(&Value::Bool(false)));
        assert!(d.attrs.get("Size").is_some_and(Value::is_unknown));
        assert_eq!(d.region.as_deref(), Some("cn-beijing"));
    }

    #[test]
    fn bad_templates_are_errors_with_their_place() {
        let mut l = Loaded::default();
        read_text_as(
            "t.yaml",
            "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  A: [1, 2\n",
            &mut l,
        );
        assert_eq!(l.errors.len(), 1, "{:?}", l.errors);
        assert_eq!(l.errors[0].file, "t.yaml");
        assert!(l.errors[0].line.is_some());
        let mut l = Loaded::default();
        read_text_as(
            "t.yaml",
            "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  A:\n    Properties: {}\n",
            &mut l,
        );
        assert_eq!(l.errors.len(), 1);
        assert!(l.errors[0].message.contains("no Type"), "{:?}", l.errors);
        assert_eq!(l.errors[0].line, Some(4));
        let mut l = Loaded::default();
        read_text_as("t.yaml", "- 1\n- 2\n", &mut l);
        assert!(l.errors[0].message.contains("not a ROS template"));
        // A condition that refers to itself ends, unknown.
        let mut l = Loaded::default();
        read_text_as(
            "t.yaml",
            "ROSTemplateFormatVersion: '2015-09-01'\nConditions:\n  C: {Fn::Not: [C]}\nResources:\n  A:\n    Type: ALIYUN::ECS::Disk\n    Condition: C\n    Properties: {Encrypted: {Fn::If: [C, true, false]}}\n",
            &mut l,
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        assert!(
            l.resources[0]
                .attrs
                .get("Encrypted")
                .is_some_and(Value::is_unknown)
        );
    }
}
