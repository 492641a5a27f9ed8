//! `terraform show -json` output for a plan (`planned_values`, `resource_changes`,
//! `configuration`) or a state (`values`).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{InputError, Loaded, read_text};
use crate::model::{Resource, base_address, provider_of};
use crate::value::Value;

#[derive(Deserialize)]
struct Doc {
    planned_values: Option<Values>,
    values: Option<Values>,
    #[serde(default)]
    resource_changes: Vec<Change>,
    configuration: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Values {
    root_module: Module,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    resources: Vec<PlanResource>,
    #[serde(default)]
    child_modules: Vec<Module>,
}

#[derive(Deserialize)]
struct PlanResource {
    address: String,
    mode: String,
    #[serde(rename = "type")]
    rtype: String,
    #[serde(default)]
    values: Value,
}

#[derive(Deserialize)]
struct Change {
    address: String,
    change: ChangeBody,
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    after_unknown: Value,
}

/// Marks as unknown every attribute that `after_unknown` flags with `true`.
fn apply_unknown(values: &mut Value, unknown: &Value) {
    match (values, unknown) {
        (v, Value::Bool(true)) => *v = Value::Unknown,
        (Value::Map(m), Value::Map(u)) => {
            for (k, flag) in u.iter() {
                let slot = m.get_or_insert_with(k, || Value::Null);
                apply_unknown(slot, flag);
            }
        }
        (Value::List(l), Value::List(u)) => {
            for (v, flag) in l.iter_mut().zip(u) {
                apply_unknown(v, flag);
            }
        }
        (v @ Value::Null, Value::Map(_) | Value::List(_)) if unknown.contains_true() => {
            *v = Value::Unknown
        }
        _ => {}
    }
}

impl Value {
    fn contains_true(&self) -> bool {
        match self {
            Value::Bool(true) => true,
            Value::Map(m) => m.values().any(Value::contains_true),
            Value::List(l) => l.iter().any(Value::contains_true),
            _ => false,
        }
    }
}

/// From the configuration: per resource address (module path + address), its provider
/// config key and its references by attribute; per provider config key, the region.
#[derive(Default)]
struct Config {
    provider_key: HashMap<String, String>,
    refs: HashMap<String, Vec<(String, String)>>,
    regions: HashMap<String, String>,
}

fn walk_config(module: &serde_json::Value, prefix: &str, cfg: &mut Config) {
    if let Some(resources) = module.get("resources").and_then(|r| r.as_array()) {
        for r in resources {
            let Some(addr) = r.get("address").and_then(|a| a.as_str()) else {
                continue;
            };
            let full = format!("{prefix}{addr}");
            if let Some(k) = r.get("provider_config_key").and_then(|k| k.as_str()) {
                cfg.provider_key.insert(full.clone(), k.to_owned());
            }
            let mut refs = Vec::new();
            if let Some(exprs) = r.get("expressions").and_then(|e| e.as_object()) {
                for (attr, expr) in exprs {
                    collect_refs(attr, expr, prefix, &mut refs);
                }
            }
            cfg.refs.insert(full, refs);
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(|m| m.as_object()) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                walk_config(child, &format!("{prefix}module.{name}."), cfg);
            }
        }
    }
}

fn collect_refs(
    attr: &str,
    expr: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<(String, String)>,
) {
    match expr {
        serde_json::Value::Object(o) => {
            if let Some(list) = o.get("references").and_then(|r| r.as_array()) {
                for r in list.iter().filter_map(|r| r.as_str()) {
                    // "alicloud_oss_bucket.b.id" → "alicloud_oss_bucket.b"
                    let parts: Vec<&str> = r.split('.').collect();
                    if parts.len() >= 2
                        && parts[0].contains('_')
                        && !matches!(parts[0], "var" | "local" | "module" | "data")
                    {
                        out.push((
                            attr.to_owned(),
                            format!("{prefix}{}.{}", parts[0], base_address(parts[1])),
                        ));
                    }
                }
            }
            for (k, v) in o {
                if k != "references" && k != "constant_value" {
                    collect_refs(attr, v, prefix, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(attr, v, prefix, out)),
        _ => {}
    }
}

/// The line of the first `"address": "…"` of every address, in one pass over the text.
fn address_lines(text: &str) -> HashMap<&str, u64> {
    let bytes = text.as_bytes();
    let mut out = HashMap::new();
    let (mut line, mut counted) = (1u64, 0usize);
    for pos in memchr::memmem::find_iter(bytes, b"\"address\"") {
        line += memchr::memchr_iter(b'\n', bytes.get(counted..pos).unwrap_or(&[])).count() as u64;
        counted = pos;
        let mut j = pos + 9;
        while matches!(bytes.get(j), Some(b' ' | b'\t' | b':' | b'\r' | b'\n')) {
            j += 1;
        }
        if bytes.get(j) != Some(&b'"') {
            continue;
        }
        let start = j + 1;
        let mut k = start;
        while let Some(c) = bytes.get(k) {
            match c {
                b'"' => break,
                b'\\' => k += 2,
                _ => k += 1,
            }
        }
        if let Some(addr) = text.get(start..k.min(bytes.len())) {
            // Addresses with escaped quotes (for_each keys) are stored as written.
            out.entry(addr).or_insert(line);
        }
    }
    out
}

pub fn read(path: &Path, loaded: &mut Loaded) {
    let file = path.display().to_string();
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => return loaded.errors.push(e),
    };
    let doc: Doc = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            return loaded.errors.push(InputError {
                file,
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                message: e.to_string(),
            });
        }
    };
    let mut cfg = Config::default();
    if let Some(c) = &doc.configuration {
        if let Some(root) = c.get("root_module") {
            walk_config(root, "", &mut cfg);
        }
        if let Some(pc) = c.get("provider_config").and_then(|p| p.as_object()) {
            for (key, p) in pc {
                let region = p
                    .pointer("/expressions/region/constant_value")
                    .and_then(|r| r.as_str());
                if let Some(r) = region {
                    cfg.regions.insert(key.clone(), r.to_owned());
                }
            }
        }
    }
    let Doc {
        planned_values,
        values,
        resource_changes,
        ..
    } = doc;
    let unknowns: HashMap<String, Value> = resource_changes
        .into_iter()
        .map(|c| (c.address, c.change.after_unknown))
        .collect();
    let Some(values) = planned_values.or(values) else {
        return loaded.errors.push(InputError {
            file,
            line: None,
            column: None,
            message: "neither planned_values nor values: not the output of `terraform show -json`"
                .into(),
        });
    };
    let lines = address_lines(&text);
    // Modules are taken apart as they are read, so that attribute values are moved into
    // resources, never copied.
    let mut stack = vec![values.root_module];
    let mut out = Vec::new();
    let file: std::sync::Arc<str> = file.into();
    while let Some(m) = stack.pop() {
        stack.extend(m.child_modules);
        for r in m.resources {
            if r.mode != "managed" {
                continue;
            }
            let mut attrs = r.values;
            if let Some(u) = unknowns.get(&r.address) {
                apply_unknown(&mut attrs, u);
            }
            let base = base_address(&r.address).to_owned();
            let provider = provider_of(&r.rtype).to_owned();
            let key = cfg
                .provider_key
                .get(&base)
                .cloned()
                .unwrap_or_else(|| provider.clone());
            let key_local = key.rsplit(':').next().unwrap_or(&key).to_owned();
            let region = attrs
                .get("region")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    cfg.regions
                        .get(&key)
                        .or_else(|| cfg.regions.get(&key_local))
                        .cloned()
                })
                .or_else(|| super::region_from_attrs(&provider, &attrs));
            let line = lines
                .get(r.address.as_str())
                .or_else(|| lines.get(r.address.replace('"', "\\\"").as_str()))
                .copied()
                .unwrap_or(0);
            out.push(Resource {
                address: r.address.clone(),
                rtype: r.rtype.clone(),
                provider,
                region,
                file: file.clone(),
                line,
                attrs,
                refs: cfg.refs.get(&base).cloned().unwrap_or_default(),
                ignored: Vec::new(),
            });
        }
    }
    loaded.resources.extend(out);
}
