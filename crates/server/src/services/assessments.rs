//! Third-party assessments of offerings: the provider invites an assessor, the assessor
//! records results and concludes, the provider answers findings, publishes a pass and
//! grants customers the details.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::workflow::{
    self as rules, AssessmentSummary, Conclusion, ControlAssessment, ControlResult, Outcome,
};
use cloudward_store::{NewRecord, OrgKind, Record, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::offerings::{OfferingData, offering_record};
use crate::services::support::{invalid, parse_data, to_value, today};

/// An assessment. `results` and `grants` are there for its provider, its assessor and the
/// customers it was granted to; others see the conclusion and the summary once published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: String,
    pub version: i64,
    pub offering_id: String,
    /// The name of the offering assessed (its provider and assessor see it, published or
    /// not); in lists only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offering_name: Option<String>,
    pub provider_org_id: String,
    pub assessor_org_id: String,
    /// The level assessed: general, enhanced or advanced.
    #[schema(value_type = String)]
    pub level: ProtectionLevel,
    /// outcome, level, date, valid_until
    #[schema(value_type = Option<Object>)]
    pub conclusion: Option<Conclusion>,
    pub published: bool,
    /// Counts per result, overall (`total`) and per family (`by_family`).
    #[schema(value_type = Object)]
    pub summary: AssessmentSummary,
    /// control id → result, notes, evidence ids, the provider's response
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub results: Option<BTreeMap<String, ControlAssessment>>,
    /// Engagements whose customers may read the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grants: Option<Vec<String>>,
}

pub(crate) fn view(state: &AppState, r: &Record, details: bool) -> ApiResult<AssessmentView> {
    let a: AssessmentData = parse_data(r)?;
    Ok(AssessmentView {
        id: r.id.clone(),
        version: r.version,
        offering_id: a.offering_id,
        offering_name: None,
        provider_org_id: r.owner_org_id.clone(),
        assessor_org_id: a.assessor_org_id,
        level: a.level,
        summary: rules::summarise(&state.content.catalog, &a.results),
        conclusion: a.conclusion,
        published: a.published,
        results: details.then_some(a.results),
        grants: details.then_some(a.grants),
    })
}

async fn save(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    a: &AssessmentData,
) -> ApiResult<AssessmentView> {
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at("assessment", id, version, to_value(a)?),
        )
        .await?;
    view(state, &r, true)
}

/// The provider invites an assessor organisation to assess offering `offering_id` at
/// `level`.
pub async fn invite(
    state: &AppState,
    p: &Principal,
    offering_id: &str,
    assessor_org_id: &str,
    level: ProtectionLevel,
) -> ApiResult<AssessmentView> {
    let offering = offering_record(state, p, offering_id, Action::AssessorInvite).await?;
    let assessor = state.store.get_org(assessor_org_id).await?;
    if assessor.as_ref().map(|o| o.kind) != Some(OrgKind::Assessor) {
        return Err(ApiError::bad_request("api.bad_party")
            .arg("seat", "assessor_org_id")
            .arg("kind", OrgKind::Assessor.id()));
    }
    let r = state
        .store
        .create_record(
            &p.actor,
            NewRecord::new(
                "assessment",
                offering.owner_org_id.clone(),
                to_value(&AssessmentData {
                    offering_id: offering.id.clone(),
                    assessor_org_id: assessor_org_id.to_owned(),
                    level,
                    results: BTreeMap::new(),
                    conclusion: None,
                    published: false,
                    grants: Vec::new(),
                })?,
            )
            .under(offering.id)
            .concerning(assessor_org_id.to_owned()),
        )
        .await?;
    view(state, &r, true)
}

/// One assessment, with the details when the caller may see them.
pub async fn get(state: &AppState, p: &Principal, id: &str) -> ApiResult<AssessmentView> {
    let (r, _, rel) = assessment_access(state, p, id, Action::AssessmentRead).await?;
    view(state, &r, rel != Rel::AssessmentSummary)
}

/// The assessments the caller's organisation owns (as provider) or runs (as assessor).
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<AssessmentView>> {
    p.may(Action::AssessmentList, Rel::Unscoped)?;
    let org = p.org()?;
    let mut list = organisation_assessments(state, &org.id)
        .await?
        .iter()
        .map(|r| view(state, r, false))
        .collect::<ApiResult<Vec<_>>>()?;
    // What each assesses, by name: the caller is its provider or its assessor, who may
    // know the offering even while it is a draft. One read per offering.
    let mut names: BTreeMap<String, Option<String>> = BTreeMap::new();
    for a in &mut list {
        if !names.contains_key(&a.offering_id) {
            let name = match state.store.get_record("offering", &a.offering_id).await? {
                Some(r) => parse_data::<OfferingData>(&r)?
                    .offering
                    .get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned),
                None => None,
            };
            names.insert(a.offering_id.clone(), name);
        }
        a.offering_name = names.get(&a.offering_id).cloned().flatten();
    }
    Ok(list)
}

/// The assessor's result for one control.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    /// satisfied, partially_satisfied, not_satisfied, not_applicable
    #[schema(value_type = String)]
    pub result: ControlResult,
    #[serde(default)]
    pub notes: String,
    /// Ids of the assessment's evidence (`POST …/evidence`); omitted, the control keeps
    /// the evidence it has.
    #[serde(default)]
    pub evidence: Option<Vec<String>>,
}

/// The assessor records results per control, until it concludes. Unknown controls and
/// evidence that is not the assessment's are refused (400).
pub async fn record_results(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    results: BTreeMap<String, ResultEntry>,
) -> ApiResult<AssessmentView> {
    let (_, mut a) = assessor_editing(state, p, id, Action::AssessmentResults).await?;
    for (control, entry) in results {
        if state.content.catalog.control(&control).is_none() {
            return Err(ApiError::bad_request("api.unknown_control").arg("id", control));
        }
        let previous = a.results.get(&control);
        let response = previous.and_then(|r| r.provider_response.clone());
        let evidence = match entry.evidence {
            None => previous.map(|r| r.evidence.clone()).unwrap_or_default(),
            Some(ids) => {
                for e in &ids {
                    let known = state
                        .store
                        .get_record("assessment_evidence", e)
                        .await?
                        .is_some_and(|r| r.parent_id.as_deref() == Some(id));
                    if !known {
                        return Err(
                            ApiError::bad_request("api.unknown_assessment_evidence").arg("id", e)
                        );
                    }
                }
                ids
            }
        };
        a.results.insert(
            control,
            ControlAssessment {
                result: entry.result,
                notes: entry.notes,
                evidence,
                provider_response: response,
            },
        );
    }
    save(state, p, id, version, &a).await
}

/// The provider answers the assessor's finding on a control, until the assessment is
/// concluded (409 after: what was concluded on does not change under the conclusion).
pub async fn respond(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    control: &str,
    response: String,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentRespond).await?;
    if a.conclusion.is_some() {
        return Err(crate::services::assessments::concluded());
    }
    let Some(entry) = a.results.get_mut(control) else {
        return Err(ApiError::bad_request("api.unknown_control").arg("id", control));
    };
    entry.provider_response = Some(response);
    save(state, p, id, version, &a).await
}

/// What the assessor concludes; level, date and validity default to the invited level,
/// today and three years on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeBody {
    pub version: i64,
    /// pass or fail
    #[schema(value_type = String)]
    pub outcome: Outcome,
    /// The level concluded; the invited level by default.
    #[schema(value_type = Option<String>)]
    pub level: Option<ProtectionLevel>,
    /// YYYY-MM-DD; today by default.
    #[schema(value_type = Option<String>)]
    pub date: Option<NaiveDate>,
    /// YYYY-MM-DD; three years after `date` by default.
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<NaiveDate>,
}

/// The assessor concludes: pass or fail at a level, with a date and a validity. A pass
/// with controls not assessed or not satisfied is refused (422, the problems in details);
/// a conclusion is final.
pub async fn conclude(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: ConcludeBody,
) -> ApiResult<AssessmentView> {
    let (_, mut a) = assessor_editing(state, p, id, Action::AssessmentConclude).await?;
    let date = body.date.unwrap_or_else(today);
    let conclusion = Conclusion {
        outcome: body.outcome,
        level: body.level.unwrap_or(a.level),
        date,
        valid_until: body
            .valid_until
            .unwrap_or_else(|| rules::default_validity(date)),
    };
    let problems = rules::check_conclusion(&state.content.catalog, &a.results, &conclusion);
    if !problems.is_empty() {
        return Err(invalid("api.conclusion_refused")
            .arg(
                "codes",
                problems
                    .iter()
                    .map(|p| p.code)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .details(to_value(&problems)?));
    }
    a.conclusion = Some(conclusion);
    save(state, p, id, body.version, &a).await
}

/// The provider publishes a passed assessment to customers.
pub async fn publish(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentPublish).await?;
    if a.conclusion.as_ref().map(|c| c.outcome) != Some(Outcome::Pass) {
        return Err(invalid("api.not_passed"));
    }
    a.published = true;
    save(state, p, id, version, &a).await
}

/// The provider lets the customer of one of its engagements read the details.
pub async fn grant(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    engagement_id: &str,
) -> ApiResult<AssessmentView> {
    let (_, mut a, _) = assessment_access(state, p, id, Action::AssessmentGrant).await?;
    // Only engagements the provider serves.
    let e =
        crate::services::engagements::engagement(state, p, engagement_id, Action::GrantTo).await?;
    if !a.grants.contains(&e.id) {
        a.grants.push(e.id);
    }
    save(state, p, id, version, &a).await
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AssessmentData {
    pub(crate) offering_id: String,
    pub(crate) assessor_org_id: String,
    pub(crate) level: ProtectionLevel,
    pub(crate) results: BTreeMap<String, ControlAssessment>,
    pub(crate) conclusion: Option<Conclusion>,
    pub(crate) published: bool,
    /// Engagements whose customers may read the details.
    pub(crate) grants: Vec<String>,
}

pub(crate) async fn published_assessment(
    state: &AppState,
    offering_id: &str,
) -> ApiResult<Option<(Record, AssessmentData)>> {
    match state.store.published_assessment(offering_id).await? {
        Some(r) => {
            let a = parse_data(&r)?;
            Ok(Some((r, a)))
        }
        None => Ok(None),
    }
}

/// The assessment `id` for `action`, with how the caller relates to it: its provider, its
/// assessor, a customer it was granted to, anyone (summary, once published).
pub(crate) async fn assessment_access(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, AssessmentData, Rel)> {
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let found = match crate::services::engagements::record_of(state, "assessment", id).await? {
        Some(r) => {
            let a: AssessmentData = parse_data(&r)?;
            Some((r, a))
        }
        None => None,
    };
    let mut granted = false;
    if let (Some(org), Some((r, a))) = (org, &found)
        && a.published
    {
        granted = state.store.assessment_granted_to(&r.id, org).await?;
    }
    let rel = authz::assessment_rel(
        org,
        found.as_ref().map(|(r, a)| authz::AssessmentFacts {
            provider_org_id: &r.owner_org_id,
            assessor_org_id: &a.assessor_org_id,
            published: a.published,
            granted_to_caller: granted,
        }),
    );
    p.may(action, rel)?;
    let (r, a) = found.ok_or_else(ApiError::not_found)?;
    Ok((r, a, rel))
}

/// An assessment its assessor may still change, for `action`: not concluded (409 once it
/// is).
pub(crate) async fn assessor_editing(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, AssessmentData)> {
    let (r, a, _) = assessment_access(state, p, id, action).await?;
    if a.conclusion.is_some() {
        return Err(concluded());
    }
    Ok((r, a))
}

/// The answer to a change of a concluded assessment: 409, a conclusion is final.
pub(crate) fn concluded() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", "api.assessment_concluded")
}

/// The assessments an organisation owns (as provider) or runs (as assessor), oldest first.
pub(crate) async fn organisation_assessments(
    state: &AppState,
    org_id: &str,
) -> ApiResult<Vec<Record>> {
    let mut out = state
        .store
        .list_records(
            "assessment",
            &RecordFilter {
                owner_org_id: Some(org_id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    let runs = state
        .store
        .list_records(
            "assessment",
            &RecordFilter {
                party_org_id: Some(org_id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    out.extend(runs.into_iter().filter(|r| r.owner_org_id != org_id));
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(out)
}
