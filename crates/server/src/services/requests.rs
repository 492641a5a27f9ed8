//! Evidence requests of an assessment: the assessor asks the provider for evidence or a
//! rectification on one control; the provider answers (words, files, "rectified"); the
//! assessor retests, closing the request with a new result for the control, or reopens it
//! with a note. Open → answered → closed, or answered → open again.
//!
//! A request is a record of kind `evidence_request` in the shared `records` table: under
//! its assessment (`parent_id`), owned by the assessment's provider and concerning its
//! assessor (`party_org_id`) — the shape of an assessment's files (`assessment_evidence`).
//! Nothing queries requests across assessments but the caller's own tasks (one list by
//! each organisation column), so they need no table of their own; every change is a record
//! write, audited in its transaction by the store, and a retest writes the request and the
//! assessment's result together.

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use cloudward_domain::workflow::{ControlAssessment, ControlResult, Waiver};
use cloudward_store::{NewRecord, Record, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::assessments::{
    AssessmentData, assessment_access, concluded, files_by_control,
};
use crate::services::evidence::{AssessmentFileData, accepted_type, check_file_name};
use crate::services::support::{parse_data, to_value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the provider.
    Open,
    /// Answered: waiting for the assessor to retest.
    Answered,
    /// Retested: the control has its new result.
    Closed,
}

impl RequestState {
    pub fn id(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }
}

/// One step of a request's history: who did what, when, with what words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestEvent {
    /// asked, answered, reopened or closed
    pub action: String,
    pub by: String,
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
}

/// What the assessor asked for and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestData {
    pub control: String,
    /// What the assessor asks for: evidence, or a rectification.
    pub text: String,
    /// YYYY-MM-DD, if the assessor gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub due: Option<NaiveDate>,
    pub state: RequestState,
    /// The provider's latest answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// The provider says it has rectified what was asked.
    #[serde(default)]
    pub rectified: bool,
    /// Files the provider gave (ids of the assessment's evidence).
    #[serde(default)]
    pub files: Vec<String>,
    /// The result the retest recorded, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub result: Option<ControlResult>,
    pub history: Vec<RequestEvent>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestView {
    pub id: String,
    pub version: i64,
    pub assessment_id: String,
    #[serde(flatten)]
    pub request: RequestData,
}

fn view(r: &Record) -> ApiResult<RequestView> {
    Ok(RequestView {
        id: r.id.clone(),
        version: r.version,
        assessment_id: r.parent_id.clone().unwrap_or_default(),
        request: parse_data(r)?,
    })
}

fn event(p: &Principal, action: &str, note: &str) -> RequestEvent {
    RequestEvent {
        action: action.to_owned(),
        by: p.actor.id.clone(),
        at: cloudward_store::now(),
        note: note.to_owned(),
    }
}

/// The answer to a step the request's state does not allow: 409, naming the state.
fn wrong_state(s: RequestState) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", "api.request_state").arg("state", s.id())
}

fn required(field: &'static str) -> ApiError {
    ApiError::bad_request("api.field_required").arg("field", field)
}

/// What the assessor asks.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    pub control: String,
    pub text: String,
    /// YYYY-MM-DD
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub due: Option<NaiveDate>,
}

/// The assessor asks the provider for evidence or a rectification on a control, until
/// it concludes.
pub async fn ask(
    state: &AppState,
    p: &Principal,
    assessment_id: &str,
    body: AskBody,
) -> ApiResult<RequestView> {
    let (r, a, _) =
        assessment_access(state, p, assessment_id, Action::EvidenceRequestCreate).await?;
    if a.conclusion.is_some() {
        return Err(concluded());
    }
    let control = state
        .content
        .catalog
        .control(&body.control)
        .map(|c| c.id.clone())
        .ok_or_else(|| {
            ApiError::bad_request("api.unknown_control")
                .arg("id", &body.control)
                .arg("field", "control")
        })?;
    let text = body.text.trim();
    if text.is_empty() {
        return Err(required("text"));
    }
    let data = RequestData {
        control,
        text: text.to_owned(),
        due: body.due,
        state: RequestState::Open,
        answer: None,
        rectified: false,
        files: Vec::new(),
        result: None,
        history: vec![event(p, "asked", text)],
    };
    let written = state
        .store
        .create_record(
            &p.actor,
            NewRecord::new("evidence_request", r.owner_org_id.clone(), to_value(&data)?)
                .under(r.id.clone())
                .concerning(a.assessor_org_id.clone()),
        )
        .await?;
    view(&written)
}

/// The requests of an assessment, oldest first, for those who see its details.
pub async fn list(
    state: &AppState,
    p: &Principal,
    assessment_id: &str,
) -> ApiResult<Vec<RequestView>> {
    assessment_access(state, p, assessment_id, Action::EvidenceRequestList).await?;
    of_assessment(state, assessment_id).await
}

pub(crate) async fn of_assessment(
    state: &AppState,
    assessment_id: &str,
) -> ApiResult<Vec<RequestView>> {
    state
        .store
        .list_records(
            "evidence_request",
            &RecordFilter {
                parent_id: Some(assessment_id.to_owned()),
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(view)
        .collect()
}

/// The requests of the assessments an organisation provides or assesses: two reads,
/// whatever the number of assessments.
pub(crate) async fn of_organisation(state: &AppState, org_id: &str) -> ApiResult<Vec<RequestView>> {
    let mut out = Vec::new();
    for filter in [
        RecordFilter {
            owner_org_id: Some(org_id.to_owned()),
            ..Default::default()
        },
        RecordFilter {
            party_org_id: Some(org_id.to_owned()),
            ..Default::default()
        },
    ] {
        for r in state
            .store
            .list_records("evidence_request", &filter)
            .await?
        {
            if !out.iter().any(|v: &RequestView| v.id == r.id) {
                out.push(view(&r)?);
            }
        }
    }
    Ok(out)
}

/// A request for `action`, with its assessment (access decided on the assessment; a
/// request of an assessment the caller may not know of is 404), refused once the
/// assessment is concluded.
async fn request_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, RequestData, Record, AssessmentData)> {
    let r = crate::services::engagements::record_of(state, "evidence_request", id).await?;
    let parent = r
        .as_ref()
        .and_then(|r| r.parent_id.clone())
        .unwrap_or_default();
    // No request: the access check on no assessment answers as for one hidden.
    let (ar, a, _) = assessment_access(state, p, &parent, action).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    if a.conclusion.is_some() {
        return Err(concluded());
    }
    let data = parse_data(&r)?;
    Ok((r, data, ar, a))
}

async fn save(
    state: &AppState,
    p: &Principal,
    r: &Record,
    version: i64,
    d: &RequestData,
) -> ApiResult<RequestView> {
    let written = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at("evidence_request", &r.id, version, to_value(d)?),
        )
        .await?;
    view(&written)
}

/// The provider's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub version: i64,
    #[serde(default)]
    pub text: String,
    /// The provider has rectified what was asked.
    #[serde(default)]
    pub rectified: bool,
}

/// The provider answers an open request: words, and/or "rectified", and/or the files it
/// gave (`POST …/evidence` first). An answer with none of them is refused (400).
pub async fn answer(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: AnswerBody,
) -> ApiResult<RequestView> {
    let (r, mut d, _, _) = request_for(state, p, id, Action::EvidenceRequestAnswer).await?;
    if d.state != RequestState::Open {
        return Err(wrong_state(d.state));
    }
    let text = body.text.trim();
    if text.is_empty() && !body.rectified && d.files.is_empty() {
        return Err(required("text"));
    }
    d.state = RequestState::Answered;
    d.answer = (!text.is_empty()).then(|| text.to_owned());
    d.rectified = body.rectified;
    d.history.push(event(p, "answered", text));
    save(state, p, &r, body.version, &d).await
}

/// The provider gives a file for an open request: kept as the assessment's evidence for
/// the request's control (so that it counts for the result) and listed on the request;
/// both written together.
pub async fn attach(
    state: &AppState,
    p: &Principal,
    id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> ApiResult<RequestView> {
    let (r, mut d, ar, _) = request_for(state, p, id, Action::EvidenceRequestFile).await?;
    if d.state != RequestState::Open {
        return Err(wrong_state(d.state));
    }
    check_file_name(name)?;
    let media_type = accepted_type(&bytes)?;
    let (sha, size) = crate::blobs::keep_blob(state, p, None, bytes, media_type).await?;
    let file = AssessmentFileData {
        sha256: sha,
        size,
        media_type: media_type.to_owned(),
        name: name.to_owned(),
        control: Some(d.control.clone()),
        source: "provider".into(),
        uploaded_by: p.actor.id.clone(),
        uploaded_at: cloudward_store::stamp(cloudward_store::now()),
        controls: None,
    };
    let file_id = cloudward_store::new_id();
    d.files.push(file_id.clone());
    let written = state
        .store
        .apply_records(
            &p.actor,
            vec![
                NewRecord::new("assessment_evidence", p.org()?.id.clone(), to_value(&file)?)
                    .with_id(file_id)
                    .under(ar.id.clone()),
            ],
            vec![RecordChange::of(&r, to_value(&d)?)],
        )
        .await?;
    match written.last() {
        Some(w) if w.id == r.id => view(w),
        _ => Err(ApiError::internal_from("the request was not written")),
    }
}

/// The assessor's retest.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    pub version: i64,
    /// The control's new result: satisfied, partially_satisfied, not_satisfied,
    /// not_applicable.
    #[schema(value_type = String)]
    pub result: ControlResult,
    #[serde(default)]
    pub notes: String,
    /// Why the result stands without evidence, if it does (as for `PUT …/results`).
    #[serde(default)]
    pub waiver: Option<String>,
}

/// The assessor retests an answered request: closes it and records the control's new
/// result, with the files of the control as its evidence — under the same rule as every
/// result (met needs evidence or a waiver, 422). Request and result are written together.
pub async fn close(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: CloseBody,
) -> ApiResult<RequestView> {
    let (r, mut d, ar, mut a) = request_for(state, p, id, Action::EvidenceRequestClose).await?;
    if d.state != RequestState::Answered {
        return Err(wrong_state(d.state));
    }
    if r.version != body.version {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "api.conflict",
        ));
    }
    let files = files_by_control(state, &ar.id).await?;
    let previous = a.results.get(&d.control);
    let mut evidence = previous.map(|x| x.evidence.clone()).unwrap_or_default();
    for f in files.get(&d.control).into_iter().flatten() {
        if !evidence.contains(f) {
            evidence.push(f.clone());
        }
    }
    let waiver = match body.waiver.as_deref().map(str::trim) {
        None => previous.and_then(|x| x.waiver.clone()),
        Some("") => None,
        Some(reason) => Some(Waiver {
            reason: reason.to_owned(),
            by: p.actor.id.clone(),
            at: cloudward_store::now(),
        }),
    };
    let result = ControlAssessment {
        result: body.result,
        notes: body.notes.clone(),
        evidence,
        provider_response: previous.and_then(|x| x.provider_response.clone()),
        waiver,
    };
    if !result.supported() {
        return Err(
            crate::services::support::invalid("api.result_needs_evidence")
                .arg("controls", &d.control)
                .arg("field", "result"),
        );
    }
    a.results.insert(d.control.clone(), result);
    d.state = RequestState::Closed;
    d.result = Some(body.result);
    d.history.push(event(p, "closed", body.notes.trim()));
    let written = state
        .store
        .apply_records(
            &p.actor,
            Vec::new(),
            vec![
                RecordChange::of(&r, to_value(&d)?),
                RecordChange::of(&ar, to_value(&a)?),
            ],
        )
        .await?;
    match written.first() {
        Some(w) if w.id == r.id => view(w),
        _ => Err(ApiError::internal_from("the request was not written")),
    }
}

/// The assessor sends an answer back.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub version: i64,
    /// What is still missing.
    pub note: String,
}

/// The assessor reopens an answered request with a note of what is still missing.
pub async fn reopen(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: ReopenBody,
) -> ApiResult<RequestView> {
    let (r, mut d, _, _) = request_for(state, p, id, Action::EvidenceRequestReopen).await?;
    if d.state != RequestState::Answered {
        return Err(wrong_state(d.state));
    }
    let note = body.note.trim();
    if note.is_empty() {
        return Err(required("note"));
    }
    d.state = RequestState::Open;
    d.history.push(event(p, "reopened", note));
    save(state, p, &r, body.version, &d).await
}
