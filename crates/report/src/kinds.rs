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
    AssessmentReport,
    SupervisionReport,
    ScanReport,
}

/// What a kind needs besides the engagement file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The engagement file alone.
    Engagement,
    /// The engagement file and its exit record (the server's, or a file of the same shape).
    Exit,
    /// An offering's assessment (the server's, or a file of the shape `oscal export
    /// results --assessment` reads), not an engagement.
    Assessment,
    /// A scan report (`cloudward scan --format json`), not an engagement.
    Scan,
    /// The engagement file and what the server holds of its supervision over a period
    /// (see [`crate::supervision::SupervisionData`]).
    Supervision,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
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
        Kind::AssessmentReport,
        Kind::SupervisionReport,
        Kind::ScanReport,
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
            Kind::AssessmentReport => "assessment-report",
            Kind::SupervisionReport => "supervision-report",
            Kind::ScanReport => "scan-report",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == value)
    }

    pub fn ids() -> Vec<&'static str> {
        Kind::ALL.iter().map(|k| k.id()).collect()
    }

    /// Whether the document is made from an engagement (and its exit record): those are
    /// the kinds an engagement's page and API issue.
    pub fn of_engagement(self) -> bool {
        matches!(
            self.needs(),
            Needs::Engagement | Needs::Exit | Needs::Supervision
        )
    }

    /// The ids of the kinds made from an engagement.
    pub fn engagement_ids() -> Vec<&'static str> {
        Kind::ALL
            .iter()
            .filter(|k| k.of_engagement())
            .map(|k| k.id())
            .collect()
    }

    /// The lifecycle phase whose gate asks for the document.
    pub fn phase(self) -> &'static str {
        match self {
            Kind::ClassificationRecord
            | Kind::RequirementAnalysis
            | Kind::DecisionReport
            | Kind::ExitPlan => "planning",
            Kind::CapabilityRequirement | Kind::ContractAnnex | Kind::AssessmentReport => {
                "selection"
            }
            Kind::ScanReport | Kind::SupervisionReport => "operation",
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
            Kind::AssessmentReport => "7.2",
            Kind::SupervisionReport => "8.3, 8.4",
            Kind::ScanReport => "8.3",
        }
    }

    /// The lifecycle output (content/guide/phases.yaml) the document is, if it is one of
    /// an engagement's.
    pub fn output(self) -> Option<&'static str> {
        Some(match self {
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
            Kind::AssessmentReport => "assessment-record",
            Kind::SupervisionReport => "supervision-records",
            Kind::ScanReport => return None,
        })
    }

    pub fn needs(self) -> Needs {
        match self {
            Kind::AssessmentReport => Needs::Assessment,
            Kind::ScanReport => Needs::Scan,
            Kind::SupervisionReport => Needs::Supervision,
            _ if self.phase() == "exit" => Needs::Exit,
            _ => Needs::Engagement,
        }
    }

    /// The blocks a template of this kind may place.
    pub fn blocks(self) -> Vec<&'static str> {
        match self {
            Kind::AssessmentReport => {
                return vec![
                    "assessment-identity",
                    "coverage",
                    "family-results",
                    "results-chart",
                    "results",
                    "not-satisfied",
                    "evidence",
                    "conclusion",
                    "sign-assessor",
                ];
            }
            Kind::ScanReport => {
                return vec![
                    "scan-identity",
                    "scan-summary",
                    "severity-chart",
                    "family-chart",
                    "findings",
                    "remediation",
                    "scan-controls",
                    "exceptions",
                    "input-errors",
                    "sign-review",
                ];
            }
            _ => {}
        }
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
            Kind::SupervisionReport => vec![
                "supervision-period",
                "supervision-summary",
                "family-posture",
                "severity-trend",
                "open-findings",
                "accepted-findings",
                "risks",
                "notices",
                "scan-history",
                "sign-customer",
            ],
            Kind::AssessmentReport | Kind::ScanReport => vec![],
        });
        b
    }
}
