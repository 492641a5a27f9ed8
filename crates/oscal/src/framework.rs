//! An imported framework: an OSCAL catalog, or a profile resolved against its catalog,
//! flattened into what the catalog commands show — groups, and controls with their label,
//! title, statement and guidance as plain text. Enhancements stay controls with a parent.
//!
//! A framework is stored as an OSCAL catalog ([`Framework::to_catalog`]), so the stored
//! file is itself interchange and reads back to the same framework.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{self, Catalog, Control, Document, Group, Part, Profile};
use crate::read::Error;
use crate::{NS, OSCAL_VERSION, our_prop, prop, uuid_for};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    pub title: String,
    pub version: String,
    /// The model it came from: `catalog` or `profile`.
    pub source_model: String,
    pub groups: Vec<FrameworkGroup>,
    /// In document order, enhancements right after their control.
    pub controls: Vec<FrameworkControl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkGroup {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkControl {
    pub id: String,
    /// The human label (`AC-2(1)`), or the id when the catalog gives none.
    pub label: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
    /// The group (family) it is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The control it enhances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub statement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_zh: Option<String>,
    pub guidance: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_zh: Option<String>,
    /// Other props (name → value), e.g. cloudward's level and references.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub props: BTreeMap<String, String>,
}

impl Framework {
    pub fn control(&self, id: &str) -> Option<&FrameworkControl> {
        let id = normalise_id(id);
        self.controls.iter().find(|c| normalise_id(&c.id) == id)
    }

    pub fn group(&self, id: &str) -> Option<&FrameworkGroup> {
        self.groups.iter().find(|g| g.id.eq_ignore_ascii_case(id))
    }

    /// The controls of a group (when given) whose id, label, title, statement or guidance
    /// (in either language) contain `text`, case-insensitively; in document order.
    pub fn search(&self, group: Option<&str>, text: Option<&str>) -> Vec<&FrameworkControl> {
        let needle = text
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        self.controls
            .iter()
            .filter(|c| group.is_none_or(|g| c.group.as_deref() == Some(g)))
            .filter(|c| {
                needle.as_ref().is_none_or(|n| {
                    [
                        Some(c.id.as_str()),
                        Some(c.label.as_str()),
                        Some(c.title.as_str()),
                        Some(c.statement.as_str()),
                        Some(c.guidance.as_str()),
                        c.title_zh.as_deref(),
                        c.statement_zh.as_deref(),
                        c.guidance_zh.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|t| t.to_lowercase().contains(n.as_str()))
                })
            })
            .collect()
    }

    /// The framework from a catalog document.
    pub fn from_catalog(catalog: &Catalog) -> Framework {
        let mut fw = Framework {
            title: catalog.metadata.title.clone(),
            version: catalog.metadata.version.clone(),
            // A stored framework says what it was made from.
            source_model: our_prop(&catalog.metadata.props, "source-model")
                .unwrap_or("catalog")
                .to_owned(),
            groups: Vec::new(),
            controls: Vec::new(),
        };
        let params = params_of(catalog);
        for c in &catalog.controls {
            add_control(&mut fw, c, None, None, &params);
        }
        for g in &catalog.groups {
            add_group(&mut fw, g, None, &params);
        }
        fw
    }

    /// The framework a document stands for: a catalog, or a profile resolved against
    /// `catalog` (the catalog it imports, read by the caller).
    pub fn from_document(doc: &Document, catalog: Option<&Catalog>) -> Result<Framework, Error> {
        match doc {
            Document::Catalog(c) => Ok(Framework::from_catalog(c)),
            Document::Profile(p) => match catalog {
                Some(c) => resolve(p, c),
                None => Err(Error::Resolve {
                    path: "$.profile.imports[0].href".into(),
                    detail: format!(
                        "the profile imports '{}'; give that catalog (--catalog-file) to resolve it",
                        p.imports.first().map(|i| i.href.as_str()).unwrap_or("")
                    ),
                }),
            },
            other => Err(Error::WrongModel {
                found: other.model().into(),
                expected: "catalog or profile".into(),
            }),
        }
    }

    /// The framework as an OSCAL catalog: what `oscal import` stores.
    pub fn to_catalog(&self, name: &str, last_modified: &str) -> Catalog {
        let mut by_group: BTreeMap<Option<&str>, Vec<&FrameworkControl>> = BTreeMap::new();
        for c in self.controls.iter().filter(|c| c.parent.is_none()) {
            by_group.entry(c.group.as_deref()).or_default().push(c);
        }
        let base = format!("framework/{name}");
        let control = |c: &FrameworkControl| self.control_doc(c);
        let groups = self
            .groups
            .iter()
            .map(|g| Group {
                id: Some(g.id.clone()),
                class: Some("family".into()),
                title: g.title.clone(),
                props: g
                    .title_zh
                    .iter()
                    .map(|t| prop("title-zh", crate::one_line(t)))
                    .collect(),
                parts: vec![],
                groups: vec![],
                controls: by_group
                    .get(&Some(g.id.as_str()))
                    .map(|cs| cs.iter().map(|c| control(c)).collect())
                    .unwrap_or_default(),
            })
            .collect();
        Catalog {
            uuid: uuid_for(&base),
            metadata: model::Metadata {
                title: self.title.clone(),
                last_modified: last_modified.to_owned(),
                version: self.version.clone(),
                oscal_version: OSCAL_VERSION.into(),
                props: vec![
                    prop("framework-name", name),
                    prop("source-model", self.source_model.clone()),
                ],
                ..Default::default()
            },
            groups,
            controls: by_group
                .get(&None)
                .map(|cs| cs.iter().map(|c| control(c)).collect())
                .unwrap_or_default(),
            back_matter: None,
        }
    }

    fn control_doc(&self, c: &FrameworkControl) -> Control {
        let mut props = vec![model::Prop {
            name: "label".into(),
            ns: None,
            value: crate::one_line(&c.label),
            class: None,
        }];
        if let Some(t) = &c.title_zh {
            props.push(prop("title-zh", crate::one_line(t)));
        }
        for (k, v) in &c.props {
            props.push(prop(k, crate::one_line(v)));
        }
        let mut parts = Vec::new();
        if !c.statement.is_empty() || c.statement_zh.is_some() {
            parts.push(text_part(
                &c.id,
                "statement",
                "smt",
                &c.statement,
                c.statement_zh.as_deref(),
            ));
        }
        if !c.guidance.is_empty() || c.guidance_zh.is_some() {
            parts.push(text_part(
                &c.id,
                "guidance",
                "gdn",
                &c.guidance,
                c.guidance_zh.as_deref(),
            ));
        }
        Control {
            id: c.id.clone(),
            class: None,
            title: c.title.clone(),
            params: vec![],
            props,
            links: vec![],
            parts,
            controls: self
                .controls
                .iter()
                .filter(|e| e.parent.as_deref() == Some(c.id.as_str()))
                .map(|e| self.control_doc(e))
                .collect(),
        }
    }
}

/// A statement or guidance part: English prose, with the Chinese text as a sub-part in
/// cloudward's namespace (tools that do not know it show it as part of the text).
pub fn text_part(control: &str, name: &str, suffix: &str, en: &str, zh: Option<&str>) -> Part {
    Part {
        id: Some(format!("{control}_{suffix}")),
        name: name.into(),
        ns: None,
        class: None,
        title: None,
        props: vec![],
        prose: (!en.is_empty()).then(|| en.to_owned()),
        parts: zh
            .map(|zh| Part {
                id: Some(format!("{control}_{suffix}.zh")),
                name: "translation".into(),
                ns: Some(NS.into()),
                class: Some("zh".into()),
                title: None,
                props: vec![],
                prose: Some(zh.to_owned()),
                parts: vec![],
            })
            .into_iter()
            .collect(),
    }
}

type Params = BTreeMap<String, String>;

/// Text for each parameter: its choices or its label, in brackets.
fn params_of(catalog: &Catalog) -> Params {
    let mut out = Params::new();
    fn walk(c: &Control, out: &mut Params) {
        for p in &c.params {
            let text = match (&p.select, &p.label) {
                (Some(s), _) if !s.choice.is_empty() => {
                    let how = if s.how_many.as_deref() == Some("one-or-more") {
                        "one or more: "
                    } else {
                        ""
                    };
                    format!("[Selection ({how}{})]", s.choice.join("; "))
                }
                (_, Some(l)) => format!("[Assignment: {l}]"),
                _ => format!("[{}]", p.id),
            };
            out.insert(p.id.clone(), text);
        }
        for e in &c.controls {
            walk(e, out);
        }
    }
    fn group(g: &Group, out: &mut Params) {
        for c in &g.controls {
            walk(c, out);
        }
        for s in &g.groups {
            group(s, out);
        }
    }
    for c in &catalog.controls {
        walk(c, &mut out);
    }
    for g in &catalog.groups {
        group(g, &mut out);
    }
    // Choices may insert other parameters.
    let first = out.clone();
    for v in out.values_mut() {
        if v.contains("{{") {
            *v = insert_params(v, &first);
        }
    }
    out
}

/// `{{ insert: param, id }}` replaced by the parameter's text.
fn insert_params(prose: &str, params: &Params) -> String {
    let mut out = String::with_capacity(prose.len());
    let mut rest = prose;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = after[..end].trim();
        let id = inner
            .strip_prefix("insert:")
            .and_then(|r| r.split(',').nth(1))
            .map(str::trim)
            .unwrap_or(inner);
        match params.get(id) {
            Some(text) => out.push_str(text),
            // Unknown: left as written, so that text read again does not change.
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A part's prose and its sub-parts' (with their labels), one per line; sub-parts in our
/// namespace (translations) are left out.
fn part_text(part: &Part, params: &Params) -> String {
    let mut lines = Vec::new();
    if let Some(p) = &part.prose {
        lines.push(insert_params(p, params));
    }
    for sub in &part.parts {
        if sub.ns.as_deref() == Some(NS) {
            continue;
        }
        let text = part_text(sub, params);
        let label = sub
            .props
            .iter()
            .find(|p| p.name == "label")
            .map(|p| format!("{} ", p.value))
            .unwrap_or_default();
        if !text.is_empty() {
            lines.push(format!("{label}{text}"));
        }
    }
    lines.join("\n")
}

fn translation(part: &Part) -> Option<String> {
    part.parts
        .iter()
        .find(|p| p.ns.as_deref() == Some(NS) && p.name == "translation")
        .and_then(|p| p.prose.clone())
}

fn add_group(fw: &mut Framework, g: &Group, parent_group: Option<&str>, params: &Params) {
    let id =
        g.id.clone()
            .or_else(|| parent_group.map(str::to_owned))
            .unwrap_or_default();
    if g.id.is_some() {
        fw.groups.push(FrameworkGroup {
            id: id.clone(),
            title: g.title.clone(),
            title_zh: our_prop(&g.props, "title-zh").map(str::to_owned),
        });
    }
    let gid = (!id.is_empty()).then_some(id.as_str());
    for c in &g.controls {
        add_control(fw, c, gid, None, params);
    }
    for s in &g.groups {
        add_group(fw, s, gid, params);
    }
}

fn add_control(
    fw: &mut Framework,
    c: &Control,
    group: Option<&str>,
    parent: Option<&str>,
    params: &Params,
) {
    // Catalogs carry several labels; the plain one (no class) is the usual display form.
    let label = c
        .props
        .iter()
        .filter(|p| p.name == "label" && p.ns.is_none())
        .min_by_key(|p| p.class.is_some())
        .map(|p| p.value.clone())
        .unwrap_or_else(|| c.id.clone());
    let part = |name: &str| c.parts.iter().find(|p| p.name == name && p.ns.is_none());
    // Repeated names (one prop per reference) read as one comma-separated value.
    let mut props: BTreeMap<String, String> = BTreeMap::new();
    for p in c
        .props
        .iter()
        .filter(|p| p.ns.as_deref() == Some(NS) && p.name != "title-zh")
    {
        props
            .entry(p.name.clone())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&p.value);
            })
            .or_insert_with(|| p.value.clone());
    }
    fw.controls.push(FrameworkControl {
        id: c.id.clone(),
        label,
        title: c.title.clone(),
        title_zh: our_prop(&c.props, "title-zh").map(str::to_owned),
        group: group.map(str::to_owned),
        parent: parent.map(str::to_owned),
        statement: part("statement")
            .map(|p| part_text(p, params))
            .unwrap_or_default(),
        statement_zh: part("statement").and_then(translation),
        guidance: part("guidance")
            .map(|p| part_text(p, params))
            .unwrap_or_default(),
        guidance_zh: part("guidance").and_then(translation),
        props,
    });
    for e in &c.controls {
        add_control(fw, e, group, Some(&c.id), params);
    }
}

/// Resolves a profile against the catalog it imports: the controls its imports include
/// (by id, with or without their enhancements, or all), less those they exclude, in the
/// catalog's order. Only the first import can be resolved against one catalog; a profile
/// with several imports is refused with the path of the second.
pub fn resolve(profile: &Profile, catalog: &Catalog) -> Result<Framework, Error> {
    if profile.imports.len() > 1 {
        return Err(Error::Resolve {
            path: "$.profile.imports[1]".into(),
            detail: "profiles importing several documents are not resolved; resolve it with an OSCAL profile resolver and import the resulting catalog".into(),
        });
    }
    let Some(import) = profile.imports.first() else {
        return Err(Error::Resolve {
            path: "$.profile.imports".into(),
            detail: "the profile imports nothing".into(),
        });
    };
    let full = Framework::from_catalog(catalog);
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &full.controls {
        if let Some(p) = &c.parent {
            children.entry(p.as_str()).or_default().push(&c.id);
        }
    }
    fn with_children<'a>(
        id: &'a str,
        children: &BTreeMap<&str, Vec<&'a str>>,
        out: &mut BTreeSet<String>,
    ) {
        for c in children.get(id).into_iter().flatten() {
            out.insert((*c).to_owned());
            with_children(c, children, out);
        }
    }
    let select = |sel: &[model::SelectControls], kind: &str| -> Result<BTreeSet<String>, Error> {
        let mut out = BTreeSet::new();
        for (i, s) in sel.iter().enumerate() {
            for (j, id) in s.with_ids.iter().enumerate() {
                if full.controls.iter().all(|c| &c.id != id) {
                    return Err(Error::Resolve {
                        path: format!("$.profile.imports[0].{kind}[{i}].with-ids[{j}]"),
                        detail: format!(
                            "control '{id}' is not in the catalog '{}'",
                            catalog.metadata.title
                        ),
                    });
                }
                out.insert(id.clone());
                if s.with_child_controls.as_deref() == Some("yes") {
                    with_children(id, &children, &mut out);
                }
            }
            for m in &s.matching {
                for c in full.controls.iter().filter(|c| glob(&m.pattern, &c.id)) {
                    out.insert(c.id.clone());
                    if s.with_child_controls.as_deref() == Some("yes") {
                        with_children(&c.id, &children, &mut out);
                    }
                }
            }
        }
        Ok(out)
    };
    let included = if import.include_all.is_some() || import.include_controls.is_empty() {
        full.controls.iter().map(|c| c.id.clone()).collect()
    } else {
        select(&import.include_controls, "include-controls")?
    };
    let excluded = select(&import.exclude_controls, "exclude-controls")?;
    let keep: BTreeSet<&String> = included.difference(&excluded).collect();
    let controls: Vec<FrameworkControl> = full
        .controls
        .iter()
        .filter(|c| keep.contains(&c.id))
        .cloned()
        .map(|mut c| {
            // An enhancement whose control is not selected stands on its own.
            if c.parent.as_ref().is_some_and(|p| !keep.contains(p)) {
                c.parent = None;
            }
            c
        })
        .collect();
    let used: BTreeSet<&str> = controls.iter().filter_map(|c| c.group.as_deref()).collect();
    Ok(Framework {
        title: profile.metadata.title.clone(),
        version: profile.metadata.version.clone(),
        source_model: "profile".into(),
        groups: full
            .groups
            .iter()
            .filter(|g| used.contains(g.id.as_str()))
            .cloned()
            .collect(),
        controls,
    })
}

/// `*` (any run) and `?` (one character) against a whole id.
fn glob(pattern: &str, id: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = id.chars().collect();
    // Iterative matching with one backtrack point for the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < s.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(c) if *c == '?' || *c == s[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// A control id in the form OSCAL catalogs of SP 800-53 use: `AC-2(1)` → `ac-2.1`,
/// `AC-02` → `ac-2`.
pub fn normalise_id(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    let dotted = lower.replace('(', ".").replace(')', "");
    // Leading zeros of each number go (`ac-02.01` → `ac-2.1`).
    let mut out = String::with_capacity(dotted.len());
    let mut prev_digit = false;
    let chars: Vec<char> = dotted.chars().collect();
    for (i, ch) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if *ch == '0' && !prev_digit && next_digit {
            continue;
        }
        prev_digit = ch.is_ascii_digit();
        out.push(*ch);
    }
    out
}

/// One row of the mapping between our controls and a framework's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingRow {
    /// Our control.
    pub control: String,
    /// The id as our catalog writes it (`refs.nist`).
    pub reference: String,
    /// The framework's control, when it has it.
    pub framework_control: Option<String>,
    pub framework_title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    pub rows: Vec<MappingRow>,
    /// Referenced ids the framework lacks, each once.
    pub missing: Vec<String>,
    /// Framework controls no control of ours references.
    pub unmapped: Vec<String>,
}

/// Our controls' `refs.nist` ids against the framework's controls.
pub fn map(catalog: &cloudward_domain::catalog::Catalog, fw: &Framework) -> Mapping {
    let index: BTreeMap<String, &FrameworkControl> = fw
        .controls
        .iter()
        .map(|c| (normalise_id(&c.id), c))
        .collect();
    let mut rows = Vec::new();
    let mut missing = BTreeSet::new();
    let mut referenced = BTreeSet::new();
    for c in &catalog.controls {
        for r in &c.refs.nist {
            let key = normalise_id(r);
            let hit = index.get(&key);
            if hit.is_none() {
                missing.insert(r.clone());
            }
            referenced.insert(key);
            rows.push(MappingRow {
                control: c.id.clone(),
                reference: r.clone(),
                framework_control: hit.map(|h| h.id.clone()),
                framework_title: hit.map(|h| h.title.clone()),
            });
        }
    }
    let unmapped = fw
        .controls
        .iter()
        .filter(|c| !referenced.contains(&normalise_id(&c.id)))
        .map(|c| c.id.clone())
        .collect();
    Mapping {
        rows,
        missing: missing.into_iter().collect(),
        unmapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_normalise_to_oscal_form() {
        assert_eq!(normalise_id("AC-2(1)"), "ac-2.1");
        assert_eq!(normalise_id("IA-2"), "ia-2");
        assert_eq!(normalise_id("ac-02"), "ac-2");
        assert_eq!(normalise_id("SC-10"), "sc-10");
        assert_eq!(normalise_id("AC-2(10)"), "ac-2.10");
        assert_eq!(normalise_id("ac-2.1"), "ac-2.1");
    }

    #[test]
    fn globs() {
        assert!(glob("ac-*", "ac-2.1"));
        assert!(glob("ac-?", "ac-2"));
        assert!(!glob("ac-?", "ac-20"));
        assert!(glob("*.1", "sc-7.1"));
        assert!(!glob("au-*", "ac-2"));
        assert!(glob("*", ""));
    }

    #[test]
    fn params_become_text() {
        let mut p = Params::new();
        p.insert("x_odp.01".into(), "[Assignment: time]".into());
        assert_eq!(
            insert_params("Review every {{ insert: param, x_odp.01 }}.", &p),
            "Review every [Assignment: time]."
        );
        assert_eq!(insert_params("a {{ b", &p), "a {{ b");
    }
}
