//! The kinds of document, each with its guide clause, its phase, the lifecycle output it
//! is, and the blocks of data its template may place.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    ClassificationRecord,
    RequirementAnalysis,
    DecisionReport,
    ExitPlan,
    CapabilityRequirement,
    ContractAnnex,
    DataScopeList,
    HandoverVerification,
    DeletionConfirmation,
    ClosureRecord,
}

/// What a kind needs besides the engagement file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The engagement file alone.
    Engagement,
    /// The engagement file and its exit record (the server's, or a file of the same shape).
    Exit,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::ClassificationRecord,
        Kind::RequirementAnalysis,
        Kind::DecisionReport,
        Kind::ExitPlan,
        Kind::CapabilityRequirement,
        Kind::ContractAnnex,
        Kind::DataScopeList,
        Kind::HandoverVerification,
        Kind::DeletionConfirmation,
        Kind::ClosureRecord,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::ClassificationRecord => "classification-record",
            Kind::RequirementAnalysis => "requirement-analysis",
            Kind::DecisionReport => "decision-report",
            Kind::ExitPlan => "exit-plan",
            Kind::CapabilityRequirement => "capability-requirement",
            Kind::ContractAnnex => "contract-annex",
            Kind::DataScopeList => "data-scope-list",
            Kind::HandoverVerification => "handover-verification",
            Kind::DeletionConfirmation => "deletion-confirmation",
            Kind::ClosureRecord => "closure-record",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == value)
    }

    pub fn ids() -> Vec<&'static str> {
        Kind::ALL.iter().map(|k| k.id()).collect()
    }

    /// The lifecycle phase whose gate asks for the document.
    pub fn phase(self) -> &'static str {
        match self {
            Kind::ClassificationRecord
            | Kind::RequirementAnalysis
            | Kind::DecisionReport
            | Kind::ExitPlan => "planning",
            Kind::CapabilityRequirement | Kind::ContractAnnex => "selection",
            Kind::DataScopeList
            | Kind::HandoverVerification
            | Kind::DeletionConfirmation
            | Kind::ClosureRecord => "exit",
        }
    }

    /// The guide's clause (GB/T 31167-2023) the document serves.
    pub fn clause(self) -> &'static str {
        match self {
            Kind::ClassificationRecord => "6.3–6.5",
            Kind::RequirementAnalysis => "6.6",
            Kind::DecisionReport => "6.7",
            Kind::ExitPlan => "6.6, 9",
            Kind::CapabilityRequirement => "7.2",
            Kind::ContractAnnex => "5.3, 7.4",
            Kind::DataScopeList => "9.2",
            Kind::HandoverVerification => "9.3",
            Kind::DeletionConfirmation => "9.4",
            Kind::ClosureRecord => "9.5",
        }
    }

    /// The lifecycle output (content/guide/phases.yaml) the document is.
    pub fn output(self) -> &'static str {
        match self {
            Kind::ClassificationRecord => "classification-record",
            Kind::RequirementAnalysis => "requirement-analysis",
            Kind::DecisionReport => "decision-report",
            Kind::ExitPlan => "exit-plan",
            Kind::CapabilityRequirement => "capability-requirement",
            Kind::ContractAnnex => "responsibility-matrix",
            Kind::DataScopeList => "data-scope-list",
            Kind::HandoverVerification => "data-handover-record",
            Kind::DeletionConfirmation => "deletion-confirmation",
            Kind::ClosureRecord => "closure-record",
        }
    }

    pub fn needs(self) -> Needs {
        match self.phase() {
            "exit" => Needs::Exit,
            _ => Needs::Engagement,
        }
    }

    /// The blocks a template of this kind may place.
    pub fn blocks(self) -> Vec<&'static str> {
        let mut b = vec!["identity", "parties"];
        b.extend(match self {
            Kind::ClassificationRecord => vec!["information", "classification", "sign-customer"],
            Kind::RequirementAnalysis => vec![
                "classification",
                "aspects",
                "aspect-answers",
                "analysis",
                "regions",
                "sign-customer",
            ],
            Kind::DecisionReport => vec![
                "classification",
                "aspects",
                "analysis",
                "recommendation",
                "benefit-cost",
                "risk-chart",
                "risks",
                "exit-summary",
                "sign-approval",
            ],
            Kind::ExitPlan => vec![
                "portability",
                "exit-clauses",
                "exit-risks",
                "exit-steps",
                "sign-customer",
            ],
            Kind::CapabilityRequirement => {
                vec![
                    "classification",
                    "control-chart",
                    "controls",
                    "sign-customer",
                ]
            }
            Kind::ContractAnnex => vec![
                "matrix",
                "splits",
                "contract",
                "basic-requirements",
                "sign-contract",
            ],
            Kind::DataScopeList => vec!["scope", "regions", "sign-exit"],
            Kind::HandoverVerification => vec!["manifest-summary", "manifest", "sign-exit"],
            Kind::DeletionConfirmation => vec!["attestation", "sign-exit"],
            Kind::ClosureRecord => vec!["exit-status", "outputs", "sign-customer"],
        });
        b
    }
}
