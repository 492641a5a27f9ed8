//! Offerings: what providers offer, drafted or published, each with its latest published
//! third-party assessment ("assess first, use after").

use cloudward_domain::workflow::{self as rules, AssessmentSummary, Conclusion, Offering};
use cloudward_store::{NewRecord, Record, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::assessments::published_assessment;
use crate::services::support::{parse_data, to_value};

/// An offering as stored, with its latest published assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferingView {
    pub id: String,
    pub provider_org_id: String,
    pub version: i64,
    pub published: bool,
    /// name, service_category, deployment_model, regions, cloud, claimed_level,
    /// responsibility
    #[schema(value_type = Object)]
    pub offering: Offering,
    pub assessment: Option<PublishedAssessment>,
}

/// What everyone sees of an offering's published assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedAssessment {
    pub id: String,
    pub assessor_org_id: String,
    /// outcome, level, date, valid_until
    #[schema(value_type = Option<Object>)]
    pub conclusion: Option<Conclusion>,
    /// Counts per result, overall (`total`) and per family (`by_family`).
    #[schema(value_type = Object)]
    pub summary: AssessmentSummary,
}

/// The offering a stored record holds.
pub(crate) fn offering_of(r: &Record) -> ApiResult<Offering> {
    let d: OfferingData = parse_data(r)?;
    parse_offering(&d.offering)
}

async fn view(state: &AppState, r: &Record) -> ApiResult<OfferingView> {
    let d: OfferingData = parse_data(r)?;
    let assessment = published_assessment(state, &r.id)
        .await?
        .map(|(ar, a)| PublishedAssessment {
            id: ar.id,
            assessor_org_id: a.assessor_org_id,
            summary: rules::summarise(&state.content.catalog, &a.results),
            conclusion: a.conclusion,
        });
    Ok(OfferingView {
        id: r.id.clone(),
        provider_org_id: r.owner_org_id.clone(),
        version: r.version,
        published: d.published,
        offering: parse_offering(&d.offering)?,
        assessment,
    })
}

/// Published offerings, and the caller's own drafts.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<OfferingView>> {
    p.may(Action::OfferingList, Rel::Unscoped)?;
    let org = p.org()?;
    let all = state
        .store
        .list_records("offering", &RecordFilter::default())
        .await?;
    let mut out = Vec::new();
    for r in all {
        let d: OfferingData = parse_data(&r)?;
        if d.published || r.owner_org_id == org.id {
            out.push(view(state, &r).await?);
        }
    }
    Ok(out)
}

/// A provider drafts or publishes an offering.
pub async fn create(
    state: &AppState,
    p: &Principal,
    offering: &Offering,
    published: bool,
) -> ApiResult<OfferingView> {
    p.may(Action::OfferingCreate, Rel::Unscoped)?;
    check(offering)?;
    let r = state
        .store
        .create_record(
            &p.actor,
            NewRecord::new(
                "offering",
                p.org()?.id.clone(),
                to_value(&OfferingData {
                    offering: to_value(offering)?,
                    published,
                })?,
            ),
        )
        .await?;
    view(state, &r).await
}

/// The offering `id`: the provider's own, or another's once published.
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<OfferingView> {
    let r = offering_record(state, p, id, Action::OfferingRead).await?;
    view(state, &r).await
}

/// The provider replaces its offering, if `version` (when given) is still current.
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<i64>,
    offering: &Offering,
    published: bool,
) -> ApiResult<OfferingView> {
    let r = offering_record(state, p, id, Action::OfferingUpdate).await?;
    check(offering)?;
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at(
                "offering",
                id,
                version.unwrap_or(r.version),
                to_value(&OfferingData {
                    offering: to_value(offering)?,
                    published,
                })?,
            ),
        )
        .await?;
    view(state, &r).await
}

/// An offering is named in a line (1–200 characters) and its regions are names without
/// spaces.
fn check(o: &Offering) -> ApiResult<()> {
    let name = o.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("api.bad_name").arg("field", "name"));
    }
    if o.regions
        .iter()
        .any(|r| r.trim().is_empty() || r.chars().count() > 64 || r.contains(char::is_whitespace))
    {
        return Err(ApiError::bad_request("api.bad_region").arg("field", "regions"));
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OfferingData {
    pub(crate) offering: Value,
    pub(crate) published: bool,
}

pub(crate) fn parse_offering(v: &Value) -> ApiResult<Offering> {
    serde_path_to_error::deserialize(v)
        .map_err(|e| crate::api::invalid_json(&format!("offering.{}", e.path()), e.inner()))
}

/// The offering `id` for `action`: the provider's own, or another's once published.
pub(crate) async fn offering_record(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<Record> {
    let r = crate::services::engagements::record_of(state, "offering", id).await?;
    let published = match &r {
        Some(r) => parse_data::<OfferingData>(r)?.published,
        None => false,
    };
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let rel = authz::offering_rel(
        org,
        r.as_ref().map(|r| (r.owner_org_id.as_str(), published)),
    );
    p.may(action, rel)?;
    r.ok_or_else(ApiError::not_found)
}
