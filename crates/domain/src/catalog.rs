//! The control catalog: families, topics and controls, as validated values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Lang, ProtectionLevel, Text};

/// The kind of a family, as the guide groups the provider's capabilities (§7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FamilyKind {
    Technical,
    Management,
    Emergency,
    Physical,
}

impl FamilyKind {
    pub const IDS: [&'static str; 4] = ["technical", "management", "emergency", "physical"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "technical" => Some(Self::Technical),
            "management" => Some(Self::Management),
            "emergency" => Some(Self::Emergency),
            "physical" => Some(Self::Physical),
            _ => None,
        }
    }
}

/// Service categories of the guide.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceCategory {
    Iaas,
    Paas,
    Saas,
}

impl ServiceCategory {
    pub const ALL: [ServiceCategory; 3] = [Self::Iaas, Self::Paas, Self::Saas];

    pub fn id(self) -> &'static str {
        match self {
            Self::Iaas => "iaas",
            Self::Paas => "paas",
            Self::Saas => "saas",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == value)
    }
}

/// Who usually implements a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    Provider,
    Customer,
    Shared,
}

impl Party {
    pub const IDS: [&'static str; 3] = ["provider", "customer", "shared"];

    pub fn id(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Customer => "customer",
            Self::Shared => "shared",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "provider" => Some(Self::Provider),
            "customer" => Some(Self::Customer),
            "shared" => Some(Self::Shared),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub id: String,
    pub clause: Option<String>,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Family {
    pub id: String,
    /// Chapter in GB/T 31168-2014, from memory (unverified).
    pub chapter: Option<String>,
    /// The edition of GB/T 31168 that introduced the family.
    pub edition: String,
    pub kind: FamilyKind,
    pub name: Text,
    pub topics: Vec<Topic>,
}

impl Family {
    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }
}

/// Where a control comes from in GB/T 31168.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardRef {
    pub edition: String,
    pub clause: Option<String>,
    /// `false` when the clause number is from memory and not checked against the text.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct References {
    pub gbt31168: StandardRef,
    /// NIST SP 800-53 rev5 control ids.
    pub nist: Vec<String>,
}

/// Who usually implements the control, per service category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Parties {
    pub iaas: Party,
    pub paas: Party,
    pub saas: Party,
}

impl Parties {
    pub fn get(&self, category: ServiceCategory) -> Party {
        match category {
            ServiceCategory::Iaas => self.iaas,
            ServiceCategory::Paas => self.paas,
            ServiceCategory::Saas => self.saas,
        }
    }
}

/// Whether a control restates a requirement of the standard or is the product's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Follows a requirement of GB/T 31168 (in our words).
    Standard,
    /// Defined by cloudward (the advanced protection level).
    Cloudward,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: String,
    pub family: String,
    pub topic: String,
    pub level: ProtectionLevel,
    pub title: Text,
    pub statement: Text,
    pub guidance: Text,
    pub refs: References,
    pub parties: Parties,
    pub origin: Origin,
}

impl Control {
    /// Case-insensitive search over id, title, statement and guidance in both languages.
    pub fn matches(&self, needle_lower: &str) -> bool {
        self.id.to_lowercase().contains(needle_lower)
            || self.title.contains(needle_lower)
            || self.statement.contains(needle_lower)
            || self.guidance.contains(needle_lower)
            || self
                .refs
                .nist
                .iter()
                .any(|n| n.to_lowercase().contains(needle_lower))
    }
}

impl Control {
    /// Whether `party` takes part in implementing this control in `service` (or in any
    /// category). A shared control involves both the provider and the customer.
    pub fn involves(&self, party: Party, service: Option<ServiceCategory>) -> bool {
        let cats: &[ServiceCategory] = match &service {
            Some(s) => std::slice::from_ref(s),
            None => &ServiceCategory::ALL,
        };
        cats.iter().any(|c| {
            let p = self.parties.get(*c);
            p == party || (p == Party::Shared && party != Party::Shared)
        })
    }
}

/// A filter for listing controls.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub family: Option<String>,
    /// Controls that apply at this protection level (its own and every lower level).
    pub level: Option<ProtectionLevel>,
    /// The service category whose party column matters; every control applies to every
    /// category, so on its own this only narrows what is shown.
    pub service: Option<ServiceCategory>,
    /// Controls that this party implements (alone or shared) in `service`, or in any
    /// category when no service is given.
    pub party: Option<Party>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalog {
    pub families: Vec<Family>,
    /// In family order, then in file order.
    pub controls: Vec<Control>,
}

impl Catalog {
    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.id.eq_ignore_ascii_case(id))
    }

    pub fn control(&self, id: &str) -> Option<&Control> {
        self.controls.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// The controls a system at `level` must meet: general ⊂ enhanced ⊂ advanced.
    pub fn applicable(&self, level: ProtectionLevel) -> impl Iterator<Item = &Control> {
        self.controls.iter().filter(move |c| c.level <= level)
    }

    pub fn select<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = &'a Control> + 'a {
        let needle = filter.text.as_ref().map(|t| t.to_lowercase());
        self.controls.iter().filter(move |c| {
            filter
                .family
                .as_ref()
                .is_none_or(|f| c.family.eq_ignore_ascii_case(f))
                && filter.level.is_none_or(|l| c.level <= l)
                && needle.as_ref().is_none_or(|n| c.matches(n))
                && filter.party.is_none_or(|p| c.involves(p, filter.service))
        })
    }

    /// The topic's display name, `FAMILY.topic` when unknown.
    pub fn topic_name(&self, control: &Control, lang: Lang) -> String {
        self.family(&control.family)
            .and_then(|f| f.topic(&control.topic))
            .map(|t| t.name.get(lang).to_owned())
            .unwrap_or_else(|| format!("{}.{}", control.family, control.topic))
    }
}
