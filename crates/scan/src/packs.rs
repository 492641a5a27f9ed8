//! Rule packs: named selections of rules (`cloudward scan --pack NAME`).
//!
//! A pack file is a YAML file among the rule files whose top-level key is `packs:` (the
//! built-in ones are `content/rules/packs/*.yaml`; `--rules DIR` may add more). A pack
//! names its rules by id or glob (`ALI-OSS-*`) and by catalog control. A pack marked
//! `default: false` is opt-in: its rules run only when a `--pack` names it (or one of them
//! is named by `--check`), so that checks outside the default's purpose — cost, pure
//! availability — never appear in an ordinary scan. Every other rule is in the pack
//! `default`.

use std::collections::HashMap;

use cloudward_domain::Text;
use cloudward_domain::load::Source;
use cloudward_domain::problem::{Problem, ProblemKind};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::rules::{Rule, glob_match};

/// The name of the pack every rule outside an opt-in pack belongs to.
pub const DEFAULT: &str = "default";

/// A named selection of rules.
#[derive(Debug, Clone)]
pub struct Pack {
    pub id: String,
    pub title: Text,
    pub description: Text,
    /// Run without being asked for (`false`: only with `--pack`).
    pub default: bool,
    /// Rule ids or globs.
    pub rules: Vec<String>,
    /// Catalog control ids: every rule mapped to one of them is in the pack.
    pub controls: Vec<String>,
    pub file: String,
    /// A view over the rules (the 等保 packs): it selects with `--pack` but has no say in
    /// whether a rule runs by default.
    pub view: bool,
}

impl Pack {
    /// Is `rule` in the pack?
    pub fn contains(&self, rule: &Rule) -> bool {
        self.rules.iter().any(|p| glob_match(p, &rule.id))
            || self.controls.iter().any(|c| rule.controls.contains(c))
    }
}

/// The packs and which rules each holds.
#[derive(Debug, Clone, Default)]
pub struct Packs {
    pub packs: Vec<Pack>,
}

impl Packs {
    pub fn get(&self, id: &str) -> Option<&Pack> {
        self.packs.iter().find(|p| p.id == id)
    }

    /// The names a `--pack` accepts: `default` and every pack's id.
    pub fn names(&self) -> Vec<&str> {
        std::iter::once(DEFAULT)
            .chain(self.packs.iter().map(|p| p.id.as_str()))
            .collect()
    }

    /// Is the rule opt-in: in an opt-in pack and in no pack that runs by default?
    pub fn opt_in(&self, rule: &Rule) -> bool {
        let mut opt_in = false;
        for p in self.packs.iter().filter(|p| !p.view) {
            if p.contains(rule) {
                if p.default {
                    return false;
                }
                opt_in = true;
            }
        }
        opt_in
    }

    /// Is the rule in the pack named `id` (`default`: every rule that is not opt-in)?
    pub fn holds(&self, id: &str, rule: &Rule) -> bool {
        if id == DEFAULT {
            return !self.opt_in(rule);
        }
        self.get(id).is_some_and(|p| p.contains(rule))
    }

    /// The indices of `rules` in any of the packs `names` (empty: the pack `default`).
    /// The names must be known (see [`Packs::names`]).
    pub fn select(&self, names: &[String], rules: &[Rule]) -> Vec<usize> {
        rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                if names.is_empty() {
                    !self.opt_in(r)
                } else {
                    names.iter().any(|n| self.holds(n, r))
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The packs each rule is in, by rule index (`default` included).
    pub fn of_rule(&self, rule: &Rule) -> Vec<&str> {
        let mut v = Vec::new();
        if !self.opt_in(rule) {
            v.push(DEFAULT);
        }
        v.extend(
            self.packs
                .iter()
                .filter(|p| p.contains(rule))
                .map(|p| p.id.as_str()),
        );
        v
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    packs: Vec<RawPack>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: Option<String>,
    en: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: Spanned<String>,
    title: RawText,
    description: RawText,
    #[serde(default = "yes")]
    default: bool,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Is this YAML text a pack file (top-level key `packs:`) rather than a rule file?
pub fn is_pack_file(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("packs:") || l.starts_with("\"packs\":"))
}

/// Reads the pack files among layers of rule sources (a later layer's pack replaces an
/// earlier one with the same id) and checks them against the loaded rules: every glob
/// and control must match at least one rule, ids are lower-case words and unique within a
/// layer, both languages are given.
pub fn load(layers: &[&[Source]], rules: &[Rule]) -> Result<Packs, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut packs: Vec<Pack> = Vec::new();
    let mut seen: HashMap<String, (usize, String)> = HashMap::new();
    for (layer, sources) in layers.iter().enumerate() {
        for src in sources.iter().filter(|s| is_pack_file(&s.text)) {
            let file = src.path.as_str();
            let raw: RawFile = match serde_saphyr::from_str(&src.text) {
                Ok(r) => r,
                Err(e) => {
                    problems.push(Problem {
                        file: file.to_owned(),
                        line: e.location().map(|l| l.line()),
                        entry: None,
                        kind: ProblemKind::Syntax {
                            detail: e
                                .without_snippet()
                                .to_string()
                                .lines()
                                .next()
                                .unwrap_or("")
                                .to_owned(),
                        },
                    });
                    continue;
                }
            };
            for p in raw.packs {
                let id = p.id.value.clone();
                let line = p.id.referenced.line();
                let mut bad = |kind: ProblemKind| {
                    problems.push(Problem {
                        file: file.to_owned(),
                        line: Some(line),
                        entry: Some(id.clone()),
                        kind,
                    })
                };
                let well_formed = !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && id != DEFAULT;
                if !well_formed {
                    bad(ProblemKind::BadId {
                        value: id.clone(),
                        expected: "lower-case letters, digits and '-', not 'default'".into(),
                    });
                }
                if let Some((l, first)) = seen.get(&id)
                    && *l == layer
                {
                    bad(ProblemKind::DuplicateId {
                        id: id.clone(),
                        first: first.clone(),
                    });
                }
                seen.insert(id.clone(), (layer, file.to_owned()));
                if p.rules.is_empty() && p.controls.is_empty() {
                    bad(ProblemKind::Empty {
                        what: "rules".into(),
                    });
                }
                for g in &p.rules {
                    if !rules.iter().any(|r| glob_match(g, &r.id)) {
                        bad(ProblemKind::DanglingReference {
                            field: "rules".into(),
                            value: g.clone(),
                        });
                    }
                }
                for c in &p.controls {
                    if !rules.iter().any(|r| r.controls.contains(c)) {
                        bad(ProblemKind::DanglingReference {
                            field: "controls".into(),
                            value: c.clone(),
                        });
                    }
                }
                let mut text = |field: &str, t: &RawText| {
                    let mut get = |v: &Option<String>, lang: &str| match v {
                        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
                        _ => {
                            problems.push(Problem {
                                file: file.to_owned(),
                                line: Some(line),
                                entry: Some(id.clone()),
                                kind: ProblemKind::MissingTranslation {
                                    field: field.to_owned(),
                                    lang: lang.to_owned(),
                                },
                            });
                            String::new()
                        }
                    };
                    let zh = get(&t.zh, "zh");
                    let en = get(&t.en, "en");
                    Text { zh, en }
                };
                let title = text("title", &p.title);
                let description = text("description", &p.description);
                let pack = Pack {
                    id: id.clone(),
                    title,
                    description,
                    default: p.default,
                    rules: p.rules,
                    controls: p.controls,
                    file: file.to_owned(),
                    view: false,
                };
                match packs.iter_mut().find(|q| q.id == id) {
                    Some(q) => *q = pack,
                    None => packs.push(pack),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Packs { packs })
    } else {
        Err(problems)
    }
}
