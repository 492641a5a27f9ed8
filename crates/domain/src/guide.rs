//! Reference data of the guide (GB/T 31167): risks, roles, basic requirements, lifecycle
//! phases, requirement-analysis aspects and contract clauses.

use serde::Serialize;

use crate::Text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub id: String,
    pub clause: String,
    pub name: Text,
    pub description: Text,
    /// Catalog topics that treat the risk, as `FAMILY.topic`.
    pub topics: Vec<String>,
    /// Contract clauses that treat it.
    pub clauses: Vec<String>,
    /// Lifecycle activities that treat it.
    pub activities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub id: String,
    pub clause: String,
    pub name: Text,
    pub description: Text,
    pub duties: Vec<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasicRequirement {
    pub id: String,
    pub clause: String,
    pub name: Text,
    pub description: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: String,
    pub clause: String,
    pub name: Text,
    pub description: Text,
    pub outputs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    pub id: String,
    pub name: Text,
    pub description: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase {
    pub id: String,
    pub chapter: String,
    pub name: Text,
    pub description: Text,
    pub activities: Vec<Activity>,
    pub outputs: Vec<Output>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Aspect {
    pub id: String,
    pub clause: String,
    pub name: Text,
    pub description: Text,
    pub questions: Vec<Text>,
    /// `true` for the aspect the product adds to the guide's nine (benefit and cost).
    pub product_addition: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractClause {
    pub id: String,
    pub name: Text,
    pub description: Text,
    pub look_for: Vec<Text>,
    pub risks: Vec<String>,
    pub topics: Vec<String>,
    /// The lowest protection level at which the contract must carry the clause.
    pub required_from: crate::ProtectionLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guide {
    pub risks: Vec<Risk>,
    pub roles: Vec<Role>,
    pub basic_requirements: Vec<BasicRequirement>,
    pub phases: Vec<Phase>,
    pub aspects: Vec<Aspect>,
    pub contract_clauses: Vec<ContractClause>,
}

impl Guide {
    pub fn phase(&self, id: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == id)
    }

    pub fn output(&self, id: &str) -> Option<&Output> {
        self.phases
            .iter()
            .flat_map(|p| &p.outputs)
            .find(|o| o.id == id)
    }

    pub fn clause(&self, id: &str) -> Option<&ContractClause> {
        self.contract_clauses.iter().find(|c| c.id == id)
    }

    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.phases
            .iter()
            .flat_map(|p| &p.activities)
            .find(|a| a.id == id)
    }
}
