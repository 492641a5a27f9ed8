//! The responsibility matrix (guide §5.4, Annex A): security elements (layer × control
//! family) and who owns each, generated from per-category templates and adjusted by the
//! engagement, with the coverage rule of the guide: every element has an owner, and a
//! shared element says which part each owner takes.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;
use crate::catalog::ServiceCategory;

/// The parties that can own a security element.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    Customer,
    Provider,
    SecurityServiceProvider,
}

impl Actor {
    pub const ALL: [Actor; 3] = [
        Actor::Customer,
        Actor::Provider,
        Actor::SecurityServiceProvider,
    ];
    pub const IDS: [&'static str; 3] = ["customer", "provider", "security-service-provider"];

    pub fn id(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Provider => "provider",
            Actor::SecurityServiceProvider => "security-service-provider",
        }
    }

    pub fn parse(value: &str) -> Option<Actor> {
        Actor::ALL.into_iter().find(|a| a.id() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layer {
    pub id: String,
    pub name: Text,
    /// Families whose measures are security elements of this layer.
    pub families: Vec<String>,
}

/// Who owns an element: the parties, and for each the part it takes when there are
/// several. A part may be missing, which the coverage rule reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Assignment {
    pub parties: Vec<Actor>,
    pub parts: BTreeMap<Actor, Text>,
}

impl Assignment {
    pub fn single(actor: Actor) -> Assignment {
        Assignment {
            parties: vec![actor],
            parts: BTreeMap::new(),
        }
    }

    /// Several owners, and at least one of them without a stated part.
    pub fn is_ambiguous(&self) -> bool {
        self.parties.len() > 1 && self.parties.iter().any(|p| !self.parts.contains_key(p))
    }

    pub fn is_uncovered(&self) -> bool {
        self.parties.is_empty()
    }

    /// The assignment in one line, the same whatever the order it was written in: what a
    /// party confirms, so that a confirmation can tell when the row has changed since.
    pub fn terms(&self) -> String {
        let mut parties: Vec<&str> = self.parties.iter().map(|a| a.id()).collect();
        parties.sort_unstable();
        let mut out = parties.join("+");
        for (a, t) in &self.parts {
            out.push_str("; ");
            out.push_str(a.id());
            out.push_str(": ");
            out.push_str(&t.zh);
            if t.en != t.zh {
                out.push_str(" / ");
                out.push_str(&t.en);
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Template {
    /// Default owner per layer id.
    pub layers: BTreeMap<String, Assignment>,
    /// Elements (`layer/FAMILY`) that differ from their layer.
    pub exceptions: BTreeMap<String, Assignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MatrixTemplates {
    pub layers: Vec<Layer>,
    pub templates: BTreeMap<ServiceCategory, Template>,
}

impl MatrixTemplates {
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id == id)
    }

    /// Every element id (`layer/FAMILY`) in layer order.
    pub fn element_ids(&self) -> Vec<(String, String, String)> {
        self.layers
            .iter()
            .flat_map(|l| {
                l.families
                    .iter()
                    .map(move |f| (format!("{}/{f}", l.id), l.id.clone(), f.clone()))
            })
            .collect()
    }

    /// Whether `pattern` (`layer/FAMILY`, with `*` for either part) names at least one
    /// element.
    pub fn pattern_matches_any(&self, pattern: &str) -> bool {
        self.element_ids()
            .iter()
            .any(|(id, _, _)| element_matches(pattern, id))
    }
}

/// `layer/FAMILY` against a pattern where either part may be `*`.
pub fn element_matches(pattern: &str, element: &str) -> bool {
    let (Some((pl, pf)), Some((el, ef))) = (pattern.split_once('/'), element.split_once('/'))
    else {
        return false;
    };
    (pl == "*" || pl == el) && (pf == "*" || pf.eq_ignore_ascii_case(ef))
}

/// Where an element's assignment came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Template,
    Engagement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    pub id: String,
    pub layer: String,
    pub family: String,
    pub assignment: Assignment,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub category: ServiceCategory,
    pub elements: Vec<Element>,
}

/// An engagement's change to the template: the element pattern and the new assignment.
#[derive(Debug, Clone)]
pub struct Override {
    pub pattern: String,
    pub assignment: Assignment,
}

impl Matrix {
    /// The template of `category`, then the overrides in order (a later one wins).
    pub fn build(
        templates: &MatrixTemplates,
        category: ServiceCategory,
        overrides: &[Override],
    ) -> Matrix {
        let empty = Template::default();
        let template = templates.templates.get(&category).unwrap_or(&empty);
        let elements = templates
            .element_ids()
            .into_iter()
            .map(|(id, layer, family)| {
                let mut assignment = template
                    .exceptions
                    .get(&id)
                    .or_else(|| template.layers.get(&layer))
                    .cloned()
                    .unwrap_or_default();
                let mut source = Source::Template;
                for o in overrides {
                    if element_matches(&o.pattern, &id) {
                        assignment = o.assignment.clone();
                        source = Source::Engagement;
                    }
                }
                Element {
                    id,
                    layer,
                    family,
                    assignment,
                    source,
                }
            })
            .collect();
        Matrix { category, elements }
    }

    pub fn uncovered(&self) -> Vec<String> {
        self.elements
            .iter()
            .filter(|e| e.assignment.is_uncovered())
            .map(|e| e.id.clone())
            .collect()
    }

    pub fn ambiguous(&self) -> Vec<String> {
        self.elements
            .iter()
            .filter(|e| e.assignment.is_ambiguous())
            .map(|e| e.id.clone())
            .collect()
    }

    /// Elements given to the security service provider.
    pub fn assigned_to(&self, actor: Actor) -> Vec<String> {
        self.elements
            .iter()
            .filter(|e| e.assignment.parties.contains(&actor))
            .map(|e| e.id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text {
            zh: s.into(),
            en: s.into(),
        }
    }

    fn templates() -> MatrixTemplates {
        let mut shared = Assignment {
            parties: vec![Actor::Provider, Actor::Customer],
            parts: BTreeMap::new(),
        };
        shared.parts.insert(Actor::Provider, text("hypervisor"));
        shared.parts.insert(Actor::Customer, text("vm config"));
        let mut t = Template::default();
        t.layers
            .insert("facility".into(), Assignment::single(Actor::Provider));
        t.layers.insert("virtualisation".into(), shared);
        t.layers
            .insert("application".into(), Assignment::single(Actor::Customer));
        MatrixTemplates {
            layers: vec![
                Layer {
                    id: "facility".into(),
                    name: text("f"),
                    families: vec!["PE".into()],
                },
                Layer {
                    id: "virtualisation".into(),
                    name: text("v"),
                    families: vec!["SC".into(), "AC".into()],
                },
                Layer {
                    id: "application".into(),
                    name: text("a"),
                    families: vec!["AC".into(), "AU".into()],
                },
            ],
            templates: [(ServiceCategory::Iaas, t)].into_iter().collect(),
        }
    }

    #[test]
    fn template_covers_everything() {
        let m = Matrix::build(&templates(), ServiceCategory::Iaas, &[]);
        assert_eq!(m.elements.len(), 5);
        assert!(m.uncovered().is_empty());
        assert!(m.ambiguous().is_empty());
    }

    #[test]
    fn overrides_can_break_and_fix_coverage() {
        let t = templates();
        let nobody = Override {
            pattern: "application/AU".into(),
            assignment: Assignment::default(),
        };
        let two = Override {
            pattern: "application/*".into(),
            assignment: Assignment {
                parties: vec![Actor::Customer, Actor::SecurityServiceProvider],
                parts: BTreeMap::new(),
            },
        };
        let m = Matrix::build(&t, ServiceCategory::Iaas, std::slice::from_ref(&nobody));
        assert_eq!(m.uncovered(), vec!["application/AU".to_string()]);
        let m = Matrix::build(&t, ServiceCategory::Iaas, &[nobody, two]);
        assert!(m.uncovered().is_empty(), "the later override wins");
        assert_eq!(
            m.ambiguous(),
            vec!["application/AC".to_string(), "application/AU".to_string()]
        );
        assert_eq!(m.assigned_to(Actor::SecurityServiceProvider).len(), 2);
    }

    #[test]
    fn patterns() {
        assert!(element_matches("*/AU", "application/AU"));
        assert!(element_matches("data/*", "data/DP"));
        assert!(element_matches("data/dp", "data/DP"));
        assert!(!element_matches("data/AC", "data/DP"));
        assert!(!element_matches("data", "data/DP"));
        assert!(templates().pattern_matches_any("*/AC"));
        assert!(!templates().pattern_matches_any("*/DP"));
    }
}
