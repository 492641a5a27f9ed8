//! Terraform providers' resource documentation (the Markdown pages of a provider's
//! repository: `website/docs/r/*.html.markdown`, `docs/resources/*.md`): which attribute
//! names a resource type documents, to check the paths a rule reads, and the examples in
//! the pages, as a corpus for the HCL reader.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::rules::{Cond, Rule, Seg};

/// The names one resource type documents.
#[derive(Debug, Default, Clone)]
pub struct TypeDoc {
    /// The file the names were read from.
    pub file: String,
    /// Names of the top-level arguments and attributes.
    pub top: BTreeSet<String>,
    /// Every documented name, nested blocks' included.
    pub all: BTreeSet<String>,
}

/// Resource type → what its page documents.
#[derive(Debug, Default)]
pub struct ProviderDocs {
    pub types: BTreeMap<String, TypeDoc>,
}

/// The resource type a page documents: its `# type` title or `page_title`, else the file
/// name with the provider's prefix.
fn page_type(text: &str, provider: &str, file_stem: &str) -> String {
    for line in text.lines().take(40) {
        let l = line.trim();
        if let Some(t) = l.strip_prefix("# ") {
            let t = t.trim().trim_matches('`');
            if t.starts_with(&format!("{provider}_")) && !t.contains(' ') {
                return t.to_owned();
            }
        }
    }
    format!("{provider}_{file_stem}")
}

/// The name of a Markdown list item documenting an argument: `* `name` - …`.
fn item_name(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let rest = l.strip_prefix("* ").or_else(|| l.strip_prefix("- "))?;
    let rest = rest.trim_start().strip_prefix('`')?;
    let end = rest.find('`')?;
    let name = &rest[..end];
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

/// Reads one page: the names under "Argument Reference" (top level until the first
/// sub-heading) and "Attribute(s) Reference".
pub fn read_page(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    #[derive(PartialEq)]
    enum At {
        Before,
        ArgsTop,
        Nested,
        Attrs,
    }
    let mut at = At::Before;
    let mut fenced = false;
    let (mut top, mut all) = (BTreeSet::new(), BTreeSet::new());
    let mut attrs = BTreeSet::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(h) = t.strip_prefix("## ") {
            let h = h.to_ascii_lowercase();
            at = if h.contains("argument") {
                At::ArgsTop
            } else if h.contains("attribute") {
                At::Attrs
            } else if at == At::Before {
                At::Before
            } else {
                At::Nested
            };
            continue;
        }
        if t.starts_with("###") && at != At::Before {
            if at == At::ArgsTop {
                at = At::Nested;
            }
            continue;
        }
        if at == At::Before {
            continue;
        }
        if let Some(name) = item_name(line) {
            all.insert(name.to_owned());
            // An indented item is a nested block's field.
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if at == At::ArgsTop && !indented {
                top.insert(name.to_owned());
            } else if at == At::Attrs && !indented {
                attrs.insert(name.to_owned());
            }
        }
    }
    // A page that documents its arguments only under sub-headings (one per variant, as
    // the SLB listener's per protocol) has no top level of its own: every name counts.
    if top.is_empty() {
        top = all.clone();
    }
    top.extend(attrs);
    (top, all)
}

impl ProviderDocs {
    /// Reads every page below `dir` (`*.md`, `*.markdown`) of `provider`'s documentation.
    pub fn read(dir: &Path, provider: &str) -> std::io::Result<ProviderDocs> {
        let mut docs = ProviderDocs::default();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(std::io::Error::other)?;
            let p = entry.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(stem) = name
                .strip_suffix(".html.markdown")
                .or_else(|| name.strip_suffix(".html.md"))
                .or_else(|| name.strip_suffix(".markdown"))
                .or_else(|| name.strip_suffix(".md"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(p)?;
            let rtype = page_type(&text, provider, stem);
            let (top, all) = read_page(&text);
            docs.types.insert(
                rtype,
                TypeDoc {
                    file: p.display().to_string(),
                    top,
                    all,
                },
            );
        }
        Ok(docs)
    }
}

/// One attribute path a rule reads on a resource type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadPath {
    /// The types the path may be on (the rule's resources, or the type of a `related` /
    /// `resource_exists` test).
    pub types: Vec<String>,
    pub path: Vec<String>,
}

fn keys(path: &[Seg]) -> Vec<String> {
    path.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index(_) => None,
        })
        .collect()
}

fn walk(cond: &Cond, types: &[String], prefix: &[String], out: &mut Vec<ReadPath>) {
    let push = |out: &mut Vec<ReadPath>, p: &[Seg]| {
        let mut path = prefix.to_vec();
        path.extend(keys(p));
        if !path.is_empty() {
            out.push(ReadPath {
                types: types.to_vec(),
                path,
            });
        }
    };
    match cond {
        Cond::Test { path, .. } => push(out, path),
        Cond::Ports { from, to, .. } => {
            push(out, from);
            push(out, to);
        }
        Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| walk(c, types, prefix, out)),
        Cond::Not(c) => walk(c, types, prefix, out),
        Cond::ForAll(p, c) | Cond::ForAny(p, c) => {
            push(out, p);
            let mut inner = prefix.to_vec();
            inner.extend(keys(p));
            walk(c, types, &inner, out);
        }
        Cond::RefersTo {
            rtype, via, cond, ..
        } => {
            out.push(ReadPath {
                types: types.to_vec(),
                path: vec![via.clone()],
            });
            if let Some(c) = cond {
                walk(c, std::slice::from_ref(rtype), &[], out);
            }
        }
        // The keys inside a decoded document are the document's, not the provider's.
        Cond::Decode(p, _, _) => push(out, p),
        Cond::Related {
            rtype, via, cond, ..
        } => {
            let t = vec![rtype.clone()];
            out.push(ReadPath {
                types: t.clone(),
                path: vec![via.clone()],
            });
            if let Some(c) = cond {
                walk(c, &t, &[], out);
            }
        }
        Cond::ResourceExists { rtype, cond } => {
            if let Some(c) = cond {
                walk(c, std::slice::from_ref(rtype), &[], out);
            }
        }
        Cond::Same(a, b) => {
            push(out, a);
            push(out, b);
        }
        Cond::RegionMainland | Cond::Never => {}
    }
}

/// Every attribute path `rule` reads, with the types it may be on.
pub fn paths_of(rule: &Rule) -> Vec<ReadPath> {
    let mut out = Vec::new();
    walk(&rule.cond, &rule.resources, &[], &mut out);
    out.sort();
    out.dedup();
    out
}

/// The paths of `rule` that no documented type of theirs documents: the first segment
/// must be a top-level argument or attribute, the others documented names of the page.
/// A path that may be on a type without a page here is not judged.
pub fn undocumented(rule: &Rule, docs: &ProviderDocs) -> Vec<String> {
    let mut out = Vec::new();
    for rp in paths_of(rule) {
        let pages: Vec<&TypeDoc> = rp.types.iter().filter_map(|t| docs.types.get(t)).collect();
        // A type the pages do not cover (a retired alias) cannot be judged, nor can the
        // path that may be on it.
        if pages.len() < rp.types.len() {
            continue;
        }
        let documented = pages.iter().any(|d| {
            rp.path.iter().enumerate().all(|(i, seg)| {
                if i == 0 {
                    d.top.contains(seg)
                } else {
                    d.all.contains(seg)
                }
            })
        });
        if !documented {
            out.push(format!(
                "{} on {} ({})",
                rp.path.join("."),
                rp.types.join(" / "),
                pages
                    .iter()
                    .map(|d| d.file.rsplit('/').next().unwrap_or(&d.file))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out
}

/// The resource types `rule` names that have no page in `docs`.
pub fn without_page<'r>(rule: &'r Rule, docs: &ProviderDocs) -> Vec<&'r str> {
    let mut types: Vec<&str> = rule.resources.iter().map(String::as_str).collect();
    for rp in paths_of(rule) {
        for t in rp.types {
            if let Some(x) = rule.resources.iter().find(|r| **r == t) {
                types.push(x);
            }
        }
    }
    types.sort();
    types.dedup();
    types.retain(|t| !docs.types.contains_key(*t));
    types
}

/// The Terraform examples of a page: each fenced `hcl` / `terraform` block, with the
/// line of its first line in the page.
pub fn examples(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u64, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        match &mut current {
            None => {
                if let Some(lang) = t.strip_prefix("```") {
                    let lang = lang.trim().to_ascii_lowercase();
                    if lang == "hcl" || lang == "terraform" || lang == "tf" {
                        current = Some((i as u64 + 2, line.len() - t.len(), String::new()));
                    }
                }
            }
            Some((start, indent, body)) => {
                if t.starts_with("```") {
                    out.push((*start, std::mem::take(body)));
                    current = None;
                } else {
                    let strip = line
                        .char_indices()
                        .take_while(|(n, c)| *n < *indent && c.is_whitespace())
                        .count();
                    body.push_str(&line[strip..]);
                    body.push('\n');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_give_top_level_and_nested_names() {
        let page = "# alicloud_thing\n\n## Example Usage\n\n```terraform\nresource \"alicloud_thing\" \"x\" {\n  a = 1\n}\n```\n\n## Argument Reference\n\n* `name` - (Required) The name.\n* `rule` - (Optional) See below.\n\n### `rule`\n\n* `port` - (Optional) A port.\n\n## Attributes Reference\n\n* `id` - The id.\n";
        let (top, all) = read_page(page);
        assert!(top.contains("name") && top.contains("rule") && top.contains("id"));
        assert!(!top.contains("port") && all.contains("port"));
        let ex = examples(page);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].0, 6);
        assert!(ex[0].1.starts_with("resource"));
    }
}
