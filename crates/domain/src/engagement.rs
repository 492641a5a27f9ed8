//! The engagement file: one cloud engagement described as YAML kept in git.
//!
//! These types are the file format. They derive a JSON Schema (`cloudward schema
//! engagement`), reject unknown keys, and keep the line of every id the checks may need
//! to point at. Evaluation lives in [`crate::check`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::ProtectionLevel;
use crate::catalog::ServiceCategory;
use crate::classify::{BusinessType, DeploymentModel, InfoType};
use crate::responsibility::Actor;

/// The lifecycle phase the engagement is in (guide chapters 6–9), or closed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Planning,
    Selection,
    Operation,
    Exit,
    Closed,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Planning,
        Phase::Selection,
        Phase::Operation,
        Phase::Exit,
        Phase::Closed,
    ];

    pub fn parse(value: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.id() == value)
    }

    pub fn id(self) -> &'static str {
        match self {
            Phase::Planning => "planning",
            Phase::Selection => "selection",
            Phase::Operation => "operation",
            Phase::Exit => "exit",
            Phase::Closed => "closed",
        }
    }

    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Planning => Some(Phase::Selection),
            Phase::Selection => Some(Phase::Operation),
            Phase::Operation => Some(Phase::Exit),
            Phase::Exit => Some(Phase::Closed),
            Phase::Closed => None,
        }
    }
}

/// A cloud engagement: a business system the customer moves to, or runs on, a cloud service.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cloudward engagement file")]
pub struct EngagementFile {
    /// The business system's name.
    pub name: String,
    /// The customer organisation, ultimately responsible for the system's security.
    pub customer: String,
    pub phase: Phase,
    /// Information types the system carries (guide §6.3). `classified` is refused.
    pub information: Vec<InfoType>,
    /// Business type (guide §6.4).
    pub business: BusinessType,
    pub service_category: ServiceCategory,
    pub deployment_model: DeploymentModel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_service_provider: Option<SecurityServiceProvider>,
    /// Requirement analysis: the answers for the ten aspects (guide §6.6).
    #[serde(default)]
    pub requirements: Requirements,
    /// Changes to the default responsibility matrix of the service category.
    #[serde(default)]
    pub responsibility: Vec<ResponsibilityOverride>,
    /// The five basic requirements (guide §5.5), by id BR1…BR5.
    #[serde(default)]
    pub basic_requirements: BTreeMap<String, Commitment>,
    /// The contract checklist: clause id → present or absent, with a reference.
    #[serde(default)]
    pub contract: BTreeMap<String, Commitment>,
    /// The risk register. The seven risks of guide §5.2 (R1…R7) are always in it; entries
    /// here assess them and may add the engagement's own.
    #[serde(default)]
    pub risks: Vec<RiskEntry>,
    /// What has been done in the lifecycle: activities and their outputs.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// The system's place in the Multi-Level Protection Scheme (等级保护, GB/T 22239):
    /// its level, its filing with the public-security organ and its last assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlps: Option<Mlps>,
}

/// The system's 等级保护 grading (定级), filing (备案) and last assessment (等级测评).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mlps {
    /// The level the system is graded at, 1 to 5.
    pub level: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing: Option<MlpsFiling>,
    /// The last 等级测评 of the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<MlpsAssessment>,
}

/// The filing (定级备案) of the grading with the public-security organ.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MlpsFiling {
    /// The filing certificate's number (备案证明编号).
    pub number: String,
    /// The filing date (YYYY-MM-DD).
    #[serde(deserialize_with = "date")]
    #[schemars(with = "NaiveDate")]
    pub date: NaiveDate,
    /// The public-security organ the system is filed with (e.g. a city bureau's cyber
    /// security department).
    pub organ: String,
}

/// The conclusion of a 等级测评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MlpsResult {
    /// 符合.
    Conforms,
    /// 基本符合.
    BasicallyConforms,
    /// 不符合.
    DoesNotConform,
}

impl MlpsResult {
    pub fn id(self) -> &'static str {
        match self {
            MlpsResult::Conforms => "conforms",
            MlpsResult::BasicallyConforms => "basically-conforms",
            MlpsResult::DoesNotConform => "does-not-conform",
        }
    }
}

/// The last 等级测评 (MLPS assessment) of the system.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MlpsAssessment {
    /// The date of the assessment report (YYYY-MM-DD).
    #[serde(deserialize_with = "date")]
    #[schemars(with = "NaiveDate")]
    pub date: NaiveDate,
    pub result: MlpsResult,
    /// The assessment body (测评机构).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessor: Option<String>,
    /// Report number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    /// The offering (service) used.
    pub offering: String,
    /// The cloud, as named in the region table (alicloud, tencentcloud, huaweicloud, aws, azurerm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
}

/// The third-party security assessment the offering passed ("assess first, use after").
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// The level at which the offering passed.
    pub level: ProtectionLevel,
    /// Date of the pass (YYYY-MM-DD).
    #[serde(deserialize_with = "date")]
    #[schemars(with = "NaiveDate")]
    pub passed: NaiveDate,
    /// End of validity (YYYY-MM-DD); three years after the pass as a rule.
    #[serde(deserialize_with = "date")]
    #[schemars(with = "NaiveDate")]
    pub expires: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessor: Option<String>,
    /// Report number or document hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Guaranteed monthly availability, in percent (e.g. 99.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// Guaranteed time to restore service after an outage, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_hours: Option<f64>,
    /// Hours the customer has, by contract, to acknowledge the provider's incident report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_ack_hours: Option<u32>,
    /// Hours the customer has, by contract, to acknowledge a change notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_ack_hours: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityServiceProvider {
    pub name: String,
    /// What it takes over, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The requirement analysis. An aspect counts as analysed when its section is present.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_category: Option<ServiceCategoryAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_model: Option<DeploymentAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_stability: Option<StabilityAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_demand: Option<DemandAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuity: Option<ContinuityAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portability: Option<PortabilityAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_location: Option<DataLocationAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervision: Option<SupervisionAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit_cost: Option<BenefitCostAnswer>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCategoryAnswer {
    /// Why this category was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentAnswer {
    /// The customer's own skill at running and securing infrastructure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_capability: Option<Capability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Stability {
    Stable,
    Evolving,
    Volatile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Generality {
    Generic,
    Specialised,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StabilityAnswer {
    /// How stable the functional requirements are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<Stability>,
    /// Whether the functions are generic (common to many organisations) or specialised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generality: Option<Generality>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoadPattern {
    Steady,
    Periodic,
    Bursty,
    Temporary,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<LoadPattern>,
    /// Peak load divided by base load (1 = flat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_to_base: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyAnswer {
    /// The largest round-trip delay the business tolerates, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance_ms: Option<f64>,
    /// The round-trip delay expected or measured to the cloud region, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_ms: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContinuityAnswer {
    /// Recovery time objective, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_hours: Option<f64>,
    /// Recovery point objective, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_hours: Option<f64>,
    /// Availability the business needs, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_percent: Option<f64>,
    /// Outages the business can bear in a year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerable_outages_per_year: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortabilityAnswer {
    /// Data volume to move in or out, in terabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_volume_tb: Option<f64>,
    /// Provider-specific services the system depends on.
    #[serde(default)]
    pub proprietary_services: Vec<String>,
    /// Whether data can be exported in open, documented formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_formats: Option<bool>,
    /// Whether an exit / migration plan exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_plan: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataLocationAnswer {
    /// Regions that store or process the system's data, as the cloud names them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub regions: Vec<Spanned<String>>,
    /// Reference of a cross-border transfer approval, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_border_approval: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisionAnswer {
    /// The customer needs monitoring interfaces into the provider's platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_interfaces: Option<bool>,
    /// The customer needs to query logs of its resources and of the provider's operations on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_query: Option<bool>,
    /// The customer (or its supervisors) will inspect or audit the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenefitCostAnswer {
    /// Yearly cost of running the system today (any currency unit, used consistently).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_annual_cost: Option<f64>,
    /// Expected yearly cost on the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_annual_cost: Option<f64>,
    /// One-off cost of migrating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_cost: Option<f64>,
    /// Expected benefits, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefits: Option<String>,
}

/// A change to the responsibility matrix.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponsibilityOverride {
    /// `layer/FAMILY`; either part may be `*` (e.g. `application/AU`, `data/*`).
    #[schemars(with = "String")]
    pub element: Spanned<String>,
    /// The one party that owns the element.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Actor>,
    /// Several owners; each needs its part in `split`. An empty list leaves the element
    /// without an owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parties: Option<Vec<Actor>>,
    /// The part each owner takes, in words.
    #[serde(default)]
    pub split: BTreeMap<Actor, String>,
}

/// A requirement or contract clause: present or absent, and where it is written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub present: bool,
    /// Contract section, document number or document hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskEntry {
    /// R1…R7 for the guide's risks, or an id of the engagement's own.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Required for the engagement's own risks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// 1 (negligible) to 5 (severe).
    pub impact: u8,
    #[serde(default)]
    pub treatment: Treatment,
    /// Likelihood and impact once the treatment is in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual: Option<Residual>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// Catalog control ids.
    #[serde(default)]
    pub controls: Vec<String>,
    /// Contract clause ids.
    #[serde(default)]
    pub clauses: Vec<String>,
    /// Lifecycle activity ids.
    #[serde(default)]
    pub activities: Vec<String>,
}

impl Treatment {
    pub fn is_empty(&self) -> bool {
        self.controls.is_empty() && self.clauses.is_empty() && self.activities.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Residual {
    pub likelihood: u8,
    pub impact: u8,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Activities done, by id (e.g. `planning.requirement-analysis`).
    #[serde(default)]
    pub activities: Vec<String>,
    /// Outputs produced, by id, with where they are kept.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputRecord>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputRecord {
    /// Document number, location or hash.
    pub reference: String,
    #[serde(
        default,
        deserialize_with = "optional_date",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<NaiveDate>")]
    pub date: Option<NaiveDate>,
}

/// A calendar date written YYYY-MM-DD, with an error that says so.
fn date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let s = String::deserialize(d)?;
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        serde::de::Error::custom(format!(
            "'{s}' is not a valid date; expected YYYY-MM-DD (e.g. 2026-05-01)"
        ))
    })
}

fn optional_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    // `null` is accepted so that the file's own JSON form reads back.
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => date(serde::de::value::StringDeserializer::<D::Error>::new(s)).map(Some),
    }
}

/// The JSON Schema of the engagement file.
/// A value a program made (a console form's), not read from a file: it has no place in
/// one, so messages about it name no line.
pub fn unplaced<T>(value: T) -> Spanned<T> {
    Spanned::new(
        value,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

pub fn schema() -> schemars::Schema {
    schemars::schema_for!(EngagementFile)
}

/// Parses an engagement file. Errors carry the line and column.
pub fn parse(text: &str) -> Result<EngagementFile, serde_saphyr::Error> {
    serde_saphyr::from_str(text)
}

impl Requirements {
    /// Per aspect, in the guide's order: whether it has at least one answer. A section
    /// left with empty values (as `cloudward init` writes it) is not an answer.
    pub fn answered(&self) -> [bool; 10] {
        [
            self.service_category
                .as_ref()
                .is_some_and(|a| a.rationale.is_some()),
            self.deployment_model
                .as_ref()
                .is_some_and(|a| a.management_capability.is_some() || a.rationale.is_some()),
            self.functional_stability
                .as_ref()
                .is_some_and(|a| a.stability.is_some() || a.generality.is_some()),
            self.dynamic_demand
                .as_ref()
                .is_some_and(|a| a.pattern.is_some() || a.peak_to_base.is_some()),
            self.latency
                .as_ref()
                .is_some_and(|a| a.tolerance_ms.is_some() || a.expected_ms.is_some()),
            self.continuity.as_ref().is_some_and(|a| {
                a.rto_hours.is_some()
                    || a.rpo_hours.is_some()
                    || a.availability_percent.is_some()
                    || a.tolerable_outages_per_year.is_some()
            }),
            self.portability.as_ref().is_some_and(|a| {
                a.data_volume_tb.is_some()
                    || !a.proprietary_services.is_empty()
                    || a.open_formats.is_some()
                    || a.exit_plan.is_some()
            }),
            self.data_location
                .as_ref()
                .is_some_and(|a| !a.regions.is_empty() || a.cross_border_approval.is_some()),
            self.supervision.as_ref().is_some_and(|a| {
                a.monitoring_interfaces.is_some() || a.log_query.is_some() || a.inspection.is_some()
            }),
            self.benefit_cost.as_ref().is_some_and(|a| {
                a.current_annual_cost.is_some()
                    || a.cloud_annual_cost.is_some()
                    || a.migration_cost.is_some()
                    || a.benefits.is_some()
            }),
        ]
    }
}
