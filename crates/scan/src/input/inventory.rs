//! Inventory snapshots: a JSON array (or `{"resources": [...]}`) or JSON Lines of
//! `{provider, type, id, region, name?, attributes}` objects. See docs/inventory.md.

use std::path::Path;

use serde::Deserialize;

use super::{InputError, Lines, Loaded, line_of, read_text};
use crate::model::{Resource, provider_of};
use crate::value::{Value, intern};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    provider: Option<String>,
    #[serde(rename = "type")]
    rtype: String,
    id: String,
    region: Option<String>,
    name: Option<String>,
    #[serde(default)]
    attributes: Value,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Doc {
    List(Vec<Item>),
    Wrapped { resources: Vec<Item> },
}

fn to_resource(item: Item, file: &str, line: u64) -> Resource {
    let provider = item
        .provider
        .unwrap_or_else(|| provider_of(&item.rtype).to_owned());
    let mut attrs = match item.attributes {
        Value::Map(m) => m,
        _ => Default::default(),
    };
    attrs.get_or_insert_with("id", || Value::String(item.id.as_str().into()));
    if let Some(n) = &item.name {
        attrs.get_or_insert_with("name", || Value::String(n.as_str().into()));
    }
    let region = item.region.or_else(|| {
        attrs
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let attrs = Value::Map(attrs);
    let region = region.or_else(|| super::region_from_attrs(&provider, &attrs));
    Resource {
        address: item.id.into_boxed_str(),
        rtype: intern(&item.rtype),
        provider: intern(&provider),
        region: region.as_deref().map(intern),
        file: file.into(),
        line,
        attrs,
        refs: Box::new([]),
        ignored: Box::new([]),
    }
}

pub fn read(path: &Path, loaded: &mut Loaded) {
    let file = path.display().to_string();
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => return loaded.errors.push(e),
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[')
        || trimmed.starts_with('{') && serde_json::from_str::<Doc>(&text).is_ok()
    {
        match serde_json::from_str::<Doc>(&text) {
            Ok(doc) => {
                let items = match doc {
                    Doc::List(v) | Doc::Wrapped { resources: v } => v,
                };
                let mut from = 0;
                let lines = Lines::new(&text);
                let mut seen = std::collections::HashSet::new();
                for item in items {
                    let needle = format!("\"{}\"", item.id);
                    if !seen.insert(item.id.clone()) {
                        loaded.errors.push(InputError {
                            file: file.clone(),
                            line: None,
                            column: None,
                            message: format!(
                                "the id {} appears more than once; ids must be unique",
                                item.id
                            ),
                        });
                    }
                    let line = match line_of(&text, &lines, &needle, from) {
                        Some((l, pos)) => {
                            from = pos + needle.len();
                            l
                        }
                        None => 0,
                    };
                    loaded.resources.push(to_resource(item, &file, line));
                }
            }
            Err(e) => loaded.errors.push(InputError {
                file,
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                message: e.to_string(),
            }),
        }
        return;
    }
    // JSON Lines: one object per line; a bad line is reported and the rest still read.
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Item>(line) {
            Ok(item) => loaded
                .resources
                .push(to_resource(item, &file, i as u64 + 1)),
            Err(e) => loaded.errors.push(InputError {
                file: file.clone(),
                line: Some(i as u64 + 1),
                column: Some(e.column() as u64),
                message: e.to_string(),
            }),
        }
    }
}
