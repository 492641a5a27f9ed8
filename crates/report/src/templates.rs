//! Document templates: content, not code. `content/reports/KIND.yaml` says, for each
//! kind, its title, the guide clause it serves, and its sections — a heading, an
//! optional paragraph with `{placeholders}`, and the named blocks of data the program
//! fills in. `content/reports/style.yaml` holds the running header and footer, the
//! fonts and an optional logo. A customer copies the folder, changes the wording, order
//! or logo, and passes it with `--templates DIR`; it is validated like the catalog, and
//! every problem names its file and line.

use std::collections::BTreeMap;
use std::path::Path;

use cloudward_domain::problem::{Problem, ProblemKind};
use cloudward_domain::{Lang, Text};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::kinds::Kind;

/// The folder inside the content folder that holds the templates.
pub const DIR: &str = "reports";
pub const STYLE_FILE: &str = "style.yaml";

/// The placeholders a template's text may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "system", "customer", "provider", "offering", "level", "date", "version", "period",
];

#[derive(Debug, Clone)]
pub struct Templates {
    pub style: Style,
    pub kinds: BTreeMap<Kind, Template>,
}

#[derive(Debug, Clone)]
pub struct Style {
    pub header: Text,
    pub footer: Text,
    /// Font families for body text and headings, most wanted first.
    pub body_fonts: Vec<String>,
    pub heading_fonts: Vec<String>,
    /// Image file (PNG, JPEG or SVG) for the cover, and its bytes.
    pub logo: Option<(String, Vec<u8>)>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub title: Text,
    /// Whether the document opens with a table of contents.
    pub contents: bool,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub level: u8,
    pub heading: Option<Text>,
    pub text: Option<Text>,
    pub blocks: Vec<String>,
}

// ---------------------------------------------------------------- raw shapes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    header: Spanned<RawText>,
    footer: Spanned<RawText>,
    fonts: RawFonts,
    #[serde(default)]
    logo: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFonts {
    body: Vec<String>,
    headings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    kind: Spanned<String>,
    title: Spanned<RawText>,
    #[serde(default = "yes")]
    contents: bool,
    sections: Vec<RawSection>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(default)]
    level: Option<Spanned<u8>>,
    #[serde(default)]
    heading: Option<Spanned<RawText>>,
    #[serde(default)]
    text: Option<Spanned<RawText>>,
    #[serde(default)]
    blocks: Vec<Spanned<String>>,
}

/// One file of a templates folder: its name inside the folder and its text.
#[derive(Debug)]
pub struct TemplateFile {
    pub path: String,
    pub text: String,
}

/// The templates built into the binary.
pub fn embedded() -> Result<Templates, Vec<Problem>> {
    let mut files = Vec::new();
    for source in cloudward_content::embedded() {
        if let Some(name) = source.path.strip_prefix("reports/") {
            files.push(TemplateFile {
                path: name.to_owned(),
                text: source.text,
            });
        }
    }
    load(&files, &|_| None)
}

/// Reads a templates folder from disk: every kind the folder has replaces the built-in
/// one; a kind it lacks stays built in. `style.yaml` is required if any file is there.
pub fn from_dir(dir: &Path) -> Result<Templates, Vec<Problem>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![Problem {
            file: dir.display().to_string(),
            line: None,
            entry: None,
            kind: ProblemKind::Unreadable {
                detail: e.to_string(),
            },
        }]
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for name in names {
        match std::fs::read_to_string(dir.join(&name)) {
            Ok(text) => files.push(TemplateFile { path: name, text }),
            Err(e) => problems.push(Problem {
                file: name,
                line: None,
                entry: None,
                kind: ProblemKind::Unreadable {
                    detail: e.to_string(),
                },
            }),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let built_in = embedded()?;
    let read = |name: &str| std::fs::read(dir.join(name)).ok();
    let mut own = load_partial(&files, &read)?;
    let style = own.style.take().unwrap_or(built_in.style);
    let mut kinds = built_in.kinds;
    kinds.append(&mut own.kinds);
    Ok(Templates { style, kinds })
}

struct Partial {
    style: Option<Style>,
    kinds: BTreeMap<Kind, Template>,
}

/// Loads a complete set: the style and every kind.
pub fn load(
    files: &[TemplateFile],
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Templates, Vec<Problem>> {
    let partial = load_partial(files, read)?;
    let mut problems = Vec::new();
    let missing = |file: String| Problem {
        file,
        line: None,
        entry: None,
        kind: ProblemKind::MissingFile,
    };
    if partial.style.is_none() {
        problems.push(missing(STYLE_FILE.to_owned()));
    }
    for kind in Kind::ALL {
        if !partial.kinds.contains_key(&kind) {
            problems.push(missing(format!("{}.yaml", kind.id())));
        }
    }
    match partial.style {
        Some(style) if problems.is_empty() => Ok(Templates {
            style,
            kinds: partial.kinds,
        }),
        _ => Err(problems),
    }
}

fn load_partial(
    files: &[TemplateFile],
    read: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<Partial, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut style = None;
    let mut kinds = BTreeMap::new();
    for f in files {
        let mut push = |line: Option<u64>, entry: Option<String>, kind: ProblemKind| {
            problems.push(Problem {
                file: f.path.clone(),
                line,
                entry,
                kind,
            })
        };
        let syntax = |e: serde_saphyr::Error| ProblemKind::Syntax {
            detail: e.to_string(),
        };
        if f.path == STYLE_FILE {
            match serde_saphyr::from_str::<RawStyle>(&f.text) {
                Err(e) => push(None, None, syntax(e)),
                Ok(raw) => {
                    let header = text(&raw.header, "header", &mut push);
                    let footer = text(&raw.footer, "footer", &mut push);
                    if raw.fonts.body.is_empty() || raw.fonts.headings.is_empty() {
                        push(
                            None,
                            None,
                            ProblemKind::Empty {
                                what: "fonts".into(),
                            },
                        );
                    }
                    let logo = match &raw.logo {
                        None => None,
                        Some(name) => {
                            let ok = ["png", "jpg", "jpeg", "svg"]
                                .iter()
                                .any(|ext| name.value.to_ascii_lowercase().ends_with(ext));
                            match read(&name.value) {
                                Some(bytes) if ok => Some((name.value.clone(), bytes)),
                                Some(_) => {
                                    push(
                                        Some(name.referenced.line()),
                                        None,
                                        ProblemKind::UnknownValue {
                                            field: "logo".into(),
                                            value: name.value.clone(),
                                            accepted: vec![
                                                "*.png".into(),
                                                "*.jpg".into(),
                                                "*.svg".into(),
                                            ],
                                        },
                                    );
                                    None
                                }
                                None => {
                                    push(
                                        Some(name.referenced.line()),
                                        None,
                                        ProblemKind::DanglingReference {
                                            field: "logo".into(),
                                            value: name.value.clone(),
                                        },
                                    );
                                    None
                                }
                            }
                        }
                    };
                    style = Some(Style {
                        header,
                        footer,
                        body_fonts: raw.fonts.body,
                        heading_fonts: raw.fonts.headings,
                        logo,
                    });
                }
            }
            continue;
        }
        let Some(stem) = f.path.strip_suffix(".yaml") else {
            continue;
        };
        let Some(file_kind) = Kind::parse(stem) else {
            push(None, None, ProblemKind::UnexpectedFile);
            continue;
        };
        let raw = match serde_saphyr::from_str::<RawTemplate>(&f.text) {
            Ok(raw) => raw,
            Err(e) => {
                push(None, None, syntax(e));
                continue;
            }
        };
        if raw.kind.value != file_kind.id() {
            push(
                Some(raw.kind.referenced.line()),
                None,
                ProblemKind::UnknownValue {
                    field: "kind".into(),
                    value: raw.kind.value.clone(),
                    accepted: vec![file_kind.id().into()],
                },
            );
        }
        let title = text(&raw.title, "title", &mut push);
        let accepted = file_kind.blocks();
        let mut sections = Vec::new();
        for (i, s) in raw.sections.iter().enumerate() {
            let at = format!("sections[{i}]");
            let level = match &s.level {
                None => 1,
                Some(l) if (1..=3).contains(&l.value) => l.value,
                Some(l) => {
                    push(
                        Some(l.referenced.line()),
                        Some(at.clone()),
                        ProblemKind::UnknownValue {
                            field: "level".into(),
                            value: l.value.to_string(),
                            accepted: vec!["1".into(), "2".into(), "3".into()],
                        },
                    );
                    1
                }
            };
            let heading = s
                .heading
                .as_ref()
                .map(|h| text(h, &format!("{at}.heading"), &mut push));
            let body = s
                .text
                .as_ref()
                .map(|t| text(t, &format!("{at}.text"), &mut push));
            let mut blocks = Vec::new();
            for b in &s.blocks {
                if accepted.contains(&b.value.as_str()) {
                    blocks.push(b.value.clone());
                } else {
                    push(
                        Some(b.referenced.line()),
                        Some(at.clone()),
                        ProblemKind::UnknownValue {
                            field: "blocks".into(),
                            value: b.value.clone(),
                            accepted: accepted.iter().map(|a| (*a).to_owned()).collect(),
                        },
                    );
                }
            }
            sections.push(Section {
                level,
                heading,
                text: body,
                blocks,
            });
        }
        if sections.is_empty() {
            push(
                None,
                None,
                ProblemKind::Empty {
                    what: "sections".into(),
                },
            );
        }
        kinds.insert(
            file_kind,
            Template {
                title,
                contents: raw.contents,
                sections,
            },
        );
    }
    if problems.is_empty() {
        Ok(Partial { style, kinds })
    } else {
        Err(problems)
    }
}

/// Checks a bilingual text: both languages present, only known placeholders.
fn text(
    raw: &Spanned<RawText>,
    field: &str,
    push: &mut dyn FnMut(Option<u64>, Option<String>, ProblemKind),
) -> Text {
    let line = Some(raw.referenced.line());
    for (lang, value) in [("zh", &raw.value.zh), ("en", &raw.value.en)] {
        if value.trim().is_empty() {
            push(
                line,
                None,
                ProblemKind::MissingTranslation {
                    field: field.to_owned(),
                    lang: lang.to_owned(),
                },
            );
        }
        for name in placeholders(value) {
            if !PLACEHOLDERS.contains(&name) {
                push(
                    line,
                    None,
                    ProblemKind::UnknownValue {
                        field: field.to_owned(),
                        value: format!("{{{name}}}"),
                        accepted: PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect(),
                    },
                );
            }
        }
    }
    Text {
        zh: raw.value.zh.clone(),
        en: raw.value.en.clone(),
    }
}

/// The `{name}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    out
}

/// Fills a template text's placeholders.
pub fn fill(text: &Text, lang: Lang, values: &[(&str, String)]) -> String {
    let mut out = text.get(lang).to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_are_valid() {
        let t = embedded().unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(t.kinds.len(), Kind::ALL.len());
    }

    #[test]
    fn a_bad_template_names_its_file_line_and_what_is_accepted() {
        let files = vec![TemplateFile {
            path: "decision-report.yaml".into(),
            text: "kind: decision-report\ntitle: { zh: 决策, en: Decision }\nsections:\n  - heading: { zh: 概况, en: '' }\n    text: { zh: '{systme}', en: x }\n    blocks: [identity, risk-regster]\n".into(),
        }];
        let Err(problems) = load_partial(&files, &|_| None) else {
            panic!("accepted a bad template");
        };
        let found: Vec<(Option<u64>, String)> = problems
            .iter()
            .map(|p| (p.line, format!("{:?}", p.kind)))
            .collect();
        assert!(
            found
                .iter()
                .any(|(l, k)| *l == Some(4) && k.contains("MissingTranslation")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, k)| *l == Some(5) && k.contains("{systme}")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, k)| *l == Some(6) && k.contains("risk-regster") && k.contains("risks")),
            "{found:?}"
        );
        assert!(problems.iter().all(|p| p.file == "decision-report.yaml"));
    }
}
