//! The engagement file template (`content/templates/engagement.yaml`): filled in for a new
//! engagement (`cloudward init`, the console's "new engagement" page), and its comments
//! laid over a file written by a program (the console's wizard and forms, the server's
//! export), so that every engagement file explains itself the same way.

use std::collections::BTreeMap;

use crate::ProtectionLevel;
use crate::catalog::ServiceCategory;
use crate::classify::{self, BusinessType, InfoType, Refusal};
use crate::lang::Lang;
use crate::load::Content;

/// What a new engagement file is filled with.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    /// The file's name, as the comments refer to it.
    pub file_name: &'a str,
    pub name: Option<&'a str>,
    pub customer: Option<&'a str>,
    pub information: &'a [InfoType],
    pub business: BusinessType,
    pub service: ServiceCategory,
    /// The language of the placeholders for name and customer.
    pub lang: Lang,
}

/// A YAML double-quoted scalar.
fn yaml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The template filled in: a valid engagement file in the planning phase, with the
/// deployment model the level allows (private for advanced protection, public otherwise).
pub fn render(template: &str, content: &Content, input: &TemplateInput) -> Result<String, Refusal> {
    let req = classify::classify(input.information, input.business)?;
    let model = if req.level == ProtectionLevel::Advanced {
        "private"
    } else {
        "public"
    };
    let models: Vec<&str> = req.deployment_models.iter().map(|m| m.id()).collect();
    let name = input
        .name
        .map(str::to_owned)
        .unwrap_or_else(|| match input.lang {
            Lang::Zh => "业务系统名称（请修改）".to_owned(),
            Lang::En => "name of the business system (edit me)".to_owned(),
        });
    let customer = input
        .customer
        .map(str::to_owned)
        .unwrap_or_else(|| match input.lang {
            Lang::Zh => "客户单位名称（请修改）".to_owned(),
            Lang::En => "customer organisation (edit me)".to_owned(),
        });
    let basic = content
        .guide
        .basic_requirements
        .iter()
        .map(|b| {
            format!(
                "  {}: {{ present: false, reference: ~ }}   # {} / {}",
                b.id, b.name.zh, b.name.en
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let contract = content
        .guide
        .contract_clauses
        .iter()
        .map(|c| {
            let required = if req.level >= c.required_from {
                " (required)"
            } else {
                ""
            };
            format!(
                "  {}: {{ present: false, reference: ~ }}   # {} / {}{required}",
                c.id, c.name.zh, c.name.en
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let planning_ids = content
        .guide
        .phase("planning")
        .map(|p| {
            let acts = p
                .activities
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let outs = p
                .outputs
                .iter()
                .map(|o| o.id.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            format!("#   activities: {acts}\n#   outputs: {outs}")
        })
        .unwrap_or_default();
    Ok(template
        .replace("{file}", input.file_name)
        .replace("{name}", &yaml_string(&name))
        .replace("{customer}", &yaml_string(&customer))
        .replace(
            "{info}",
            &input
                .information
                .iter()
                .map(|i| i.id())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .replace("{business}", input.business.id())
        .replace("{service}", input.service.id())
        .replace("{model}", model)
        .replace("{models}", &models.join(", "))
        .replace("{level}", req.level.id())
        .replace("{basic_requirements}", &basic)
        .replace("{contract}", &contract)
        .replace("{planning_ids}", &planning_ids)
        .replace("{{", "{")
        .replace("}}", "}"))
}

/// A line's indentation, and its mapping key when it is one (`key:` or `- key:`).
fn key_of(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start().len();
    let rest = line.trim_start();
    if rest.starts_with('#') || rest.starts_with("- ") {
        return None;
    }
    let end = rest.find(':')?;
    let key = &rest[..end];
    let after = &rest[end + 1..];
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || !(after.is_empty() || after.starts_with(' '))
    {
        return None;
    }
    Some((indent, key))
}

/// The dotted path of `key` at `indent`, the keys above it in `path` (which it updates).
fn descend(path: &mut Vec<(usize, String)>, indent: usize, key: &str) -> String {
    while path.last().is_some_and(|(i, _)| *i >= indent) {
        path.pop();
    }
    path.push((indent, key.to_owned()));
    path.iter()
        .map(|(_, k)| k.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// The comment at the end of a line (` # …` outside quotes), if any.
fn trailing_comment(line: &str) -> Option<&str> {
    let (mut single, mut double) = (false, false);
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && (i == 0 || bytes[i - 1] != b'\\') => double = !double,
            '#' if !single && !double && i > 0 && bytes[i - 1] == b' ' => {
                return Some(line[i..].trim_end());
            }
            _ => {}
        }
    }
    None
}

/// The comments of a template, by the path of the key they belong to.
#[derive(Debug, Default)]
struct Comments {
    /// The file's header: the comment lines before the first key.
    header: Vec<String>,
    /// Comment lines just above a key.
    above: BTreeMap<String, Vec<String>>,
    /// The comment at the end of a key's line.
    inline: BTreeMap<String, String>,
    /// Commented-out lines after a top-level key's value (examples of what it can hold).
    after: BTreeMap<String, Vec<String>>,
    /// A top-level section the template has only as a comment (`# provider:` …), with the
    /// comments above it, by key.
    absent: BTreeMap<String, Vec<String>>,
    /// The template's top-level keys, in its order.
    order: Vec<String>,
}

/// Whether a comment line comments out a top-level key (`# provider:`).
fn commented_key(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("# ")?;
    if rest.starts_with(' ') {
        return None;
    }
    key_of(rest)
        .filter(|(i, k)| *i == 0 && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|(_, k)| k)
}

fn read_comments(template: &str) -> Comments {
    let mut c = Comments::default();
    let mut pending: Vec<String> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut seen_key = false;
    let mut lines = template.lines().peekable();
    // The top-level section whose lines are being read (until a blank line).
    let mut last_top: Option<String> = None;
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            if !seen_key && c.header.is_empty() {
                c.header = std::mem::take(&mut pending);
            }
            // Comments after a section and before a blank line close it.
            if let Some(top) = last_top.take() {
                c.after.entry(top).or_default().append(&mut pending);
            }
            pending.clear();
            continue;
        }
        if line.starts_with('#') {
            if let Some(k) = commented_key(line) {
                // A section written as an example: it and what follows up to a blank line.
                let mut block = std::mem::take(&mut pending);
                block.push(line.to_owned());
                while let Some(next) = lines.peek() {
                    if next.trim().is_empty() || !next.starts_with('#') {
                        break;
                    }
                    block.push((*next).to_owned());
                    lines.next();
                }
                c.order.push(k.to_owned());
                c.absent.insert(k.to_owned(), block);
                continue;
            }
            match &last_top {
                // Commented lines right after a top-level key's value: its examples.
                Some(top) if line.starts_with("#  ") => {
                    let after = c.after.entry(top.clone()).or_default();
                    after.append(&mut pending);
                    after.push(line.to_owned());
                }
                _ => pending.push(line.to_owned()),
            }
            continue;
        }
        let Some((indent, key)) = key_of(line) else {
            continue;
        };
        seen_key = true;
        let full = descend(&mut path, indent, key);
        if indent == 0 {
            c.order.push(key.to_owned());
            last_top = Some(key.to_owned());
        }
        if !pending.is_empty() {
            c.above.insert(full.clone(), std::mem::take(&mut pending));
        }
        if let Some(comment) = trailing_comment(line) {
            c.inline.insert(full, comment.to_owned());
        }
    }
    if let Some(top) = last_top {
        c.after.entry(top).or_default().append(&mut pending);
    }
    c
}

/// `yaml` (a file a program wrote, without comments) with the comments of `template`
/// (a filled-in template) laid over it: the header, the comments above and at the end of
/// each key the template has, the examples after a section, and the sections the file does
/// not have, commented out where the template has them. The values are untouched: the file
/// reads the same.
pub fn annotate(yaml: &str, template: &str) -> String {
    let annotated = lay_over(yaml, template);
    // The comments must not change what the file says: if they would, the file as it was.
    let read = |t: &str| {
        crate::engagement::parse(t)
            .ok()
            .and_then(|f| serde_json::to_value(f).ok())
    };
    match (read(yaml), read(&annotated)) {
        (Some(a), Some(b)) if a == b => annotated,
        _ => yaml.to_owned(),
    }
}

fn lay_over(yaml: &str, template: &str) -> String {
    let c = read_comments(template);
    let mut out = String::new();
    for h in &c.header {
        out.push_str(h);
        out.push('\n');
    }
    if !c.header.is_empty() {
        out.push('\n');
    }
    let present: Vec<&str> = yaml
        .lines()
        .filter_map(key_of)
        .filter(|(i, _)| *i == 0)
        .map(|(_, k)| k)
        .collect();
    // Sections the file lacks, emitted before the next section the template puts after them.
    let mut pending_absent: Vec<&str> = Vec::new();
    let mut emitted_absent: Vec<&str> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut block_scalar: Option<usize> = None;
    let mut current_top: Option<String> = None;
    let lines: Vec<&str> = yaml.lines().collect();
    let flush_after = |out: &mut String, top: &Option<String>| {
        if let Some(t) = top
            && let Some(after) = c.after.get(t)
        {
            for l in after {
                out.push_str(l);
                out.push('\n');
            }
        }
    };
    for line in lines {
        if let Some(indent) = block_scalar {
            let this = line.len() - line.trim_start().len();
            if line.trim().is_empty() || this > indent {
                out.push_str(line);
                out.push('\n');
                continue;
            }
            block_scalar = None;
        }
        let Some((indent, key)) = key_of(line) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let full = descend(&mut path, indent, key);
        if indent == 0 {
            flush_after(&mut out, &current_top);
            current_top = Some(key.to_owned());
            // The template's sections before this one that the file does not have.
            if let Some(at) = c.order.iter().position(|k| k == key) {
                pending_absent.extend(
                    c.order[..at]
                        .iter()
                        .map(String::as_str)
                        .filter(|k| !present.contains(k) && !emitted_absent.contains(k)),
                );
            }
            for k in pending_absent.drain(..) {
                if let Some(block) = c.absent.get(k) {
                    out.push('\n');
                    for l in block {
                        out.push_str(l);
                        out.push('\n');
                    }
                }
                emitted_absent.push(k);
            }
        }
        if let Some(above) = c.above.get(&full) {
            if indent == 0 && !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
            let pad = " ".repeat(indent);
            for l in above {
                if indent > 0 {
                    out.push_str(&pad);
                }
                out.push_str(l);
                out.push('\n');
            }
        } else if indent == 0 && c.absent.contains_key(key) && !out.ends_with("\n\n") {
            // A section the template has only as an example: its comments come with it.
            out.push('\n');
            for l in c.absent[key].iter().filter(|l| commented_key(l).is_none()) {
                if l.starts_with("#  ") {
                    break;
                }
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str(line);
        if trailing_comment(line).is_none()
            && let Some(comment) = c.inline.get(&full)
        {
            out.push_str("  ");
            out.push_str(comment);
        }
        out.push('\n');
        let value = line.trim_end();
        if value.ends_with('|')
            || value.ends_with("|-")
            || value.ends_with("|+")
            || value.ends_with('>')
            || value.ends_with(">-")
        {
            block_scalar = Some(indent);
        }
    }
    flush_after(&mut out, &current_top);
    // Sections after the file's last that the template has as examples.
    for k in c.order.iter().map(String::as_str) {
        if !present.contains(&k)
            && !emitted_absent.contains(&k)
            && let Some(block) = c.absent.get(k)
        {
            out.push('\n');
            for l in block {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}
