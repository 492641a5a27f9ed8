//! The JSON API of the engagement workflow: provider offerings and their third-party
//! assessments ("assess first, use after"), picking an offering, phase transitions through
//! the gates of `check`, the contract checklist and risk register, provider notices,
//! supervision alerts, and the exit (hand back, verify, delete, confirm).
//!
//! Each handler extracts the request, calls its use case in [`crate::services`] (which asks
//! the authorisation table and writes in one transaction) and renders the answer.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::engagement::{Commitment, Phase, RiskEntry};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::ApiResult;
use crate::services::notices::{self, AckView, NoticeView};
use crate::services::offerings::{offering_record, parse_offering};
use crate::services::{assessments, lifecycle, offerings, posture, requests};

// ---------------------------------------------------------------- offerings

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferingBody {
    #[schema(value_type = Object)]
    pub offering: Value,
    #[serde(default)]
    pub published: bool,
    /// For updates: the version read.
    #[serde(default)]
    pub version: Option<i64>,
}

/// Published offerings, and the caller's own.
#[utoipa::path(get, path = "/api/v1/offerings", tag = "workflow", responses((status = 200, body = Vec<offerings::OfferingView>)))]
pub async fn list_offerings(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<offerings::OfferingView>>> {
    Ok(Json(offerings::list(&state, &p).await?))
}

/// A provider publishes (or drafts) an offering.
#[utoipa::path(post, path = "/api/v1/offerings", tag = "workflow", request_body = OfferingBody, responses((status = 201, body = offerings::OfferingView)))]
pub async fn create_offering(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(body): ApiJson<OfferingBody>,
) -> ApiResult<Response> {
    // Who may create first: a stranger learns nothing from a validation error.
    p.may(Action::OfferingCreate, Rel::Unscoped)?;
    let offering = parse_offering(&body.offering)?;
    let view = offerings::create(&state, &p, &offering, body.published).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(get, path = "/api/v1/offerings/{id}", tag = "workflow", responses((status = 200, body = offerings::OfferingView)))]
pub async fn get_offering(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<offerings::OfferingView>> {
    Ok(Json(offerings::get(&state, &p, &id).await?))
}

#[utoipa::path(put, path = "/api/v1/offerings/{id}", tag = "workflow", request_body = OfferingBody, responses((status = 200, body = offerings::OfferingView)))]
pub async fn update_offering(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OfferingBody>,
) -> ApiResult<Json<offerings::OfferingView>> {
    // Who may change it first: a stranger learns nothing from a validation error.
    offering_record(&state, &p, &id, Action::OfferingUpdate).await?;
    let offering = parse_offering(&body.offering)?;
    Ok(Json(
        offerings::update(&state, &p, &id, body.version, &offering, body.published).await?,
    ))
}

// ---------------------------------------------------------------- assessments

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteAssessor {
    pub assessor_org_id: String,
    /// general, enhanced, advanced; the level the offering claims by default.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub level: Option<ProtectionLevel>,
}

/// The provider invites an assessor to assess an offering at a level.
#[utoipa::path(post, path = "/api/v1/offerings/{id}/assessments", tag = "workflow", request_body = InviteAssessor, responses((status = 201, body = assessments::AssessmentView)))]
pub async fn invite_assessor(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InviteAssessor>,
) -> ApiResult<Response> {
    let view = assessments::invite(&state, &p, &id, &body.assessor_org_id, body.level).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// An assessment: everything for its provider, its assessor and granted customers; the
/// conclusion and summary for other customers once published.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "workflow", responses((status = 200, body = assessments::AssessmentView)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(assessments::get(&state, &p, &id).await?))
}

/// Assessments the caller's organisation runs or owns.
#[utoipa::path(get, path = "/api/v1/assessments", tag = "workflow", responses((status = 200, body = Vec<assessments::AssessmentView>)))]
pub async fn list_assessments(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<assessments::AssessmentView>>> {
    Ok(Json(assessments::list(&state, &p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultBody {
    pub version: i64,
    /// control id → result
    pub results: BTreeMap<String, assessments::ResultEntry>,
}

/// The assessor records results per control (until it concludes).
#[utoipa::path(put, path = "/api/v1/assessments/{id}/results", tag = "workflow", request_body = ResultBody, responses((status = 200, body = assessments::AssessmentView)))]
pub async fn record_results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultBody>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(
        assessments::record_results(&state, &p, &id, body.version, body.results).await?,
    ))
}

/// The results as a workbook to fill in (评估结果登记表, XLSX): every requirement of the
/// level assessed, what is recorded so far, a drop-down of the results in the reader's
/// language.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/results/workbook", tag = "workflow", params(WorkbookQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 422, description = "a format other than xlsx or csv")))]
pub async fn results_workbook(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<WorkbookQuery>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let (name, format, bytes) =
        assessments::results_workbook(&state, &p, &id, lang, q.format.as_deref()).await?;
    Ok(crate::download::attachment(
        &name,
        &format!("assessment-results.{}", format.extension()),
        format.media_type(),
        bytes,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WorkbookQuery {
    /// `xlsx` (the default: the workbook to fill in) or `csv` (the same table, UTF-8 with
    /// a byte-order mark).
    pub format: Option<String>,
    pub lang: Option<String>,
}

/// The assessor gives the filled workbook back (the XLSX as the body): every row with a
/// result is recorded, all or nothing; problems are named by sheet, row and column.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/results/workbook", tag = "workflow",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = assessments::WorkbookImportView),
        (status = 422, description = "the workbook does not read: each problem with its sheet, row and column in `details`; or a result of satisfied without evidence or a waiver")))]
pub async fn import_results_workbook(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> ApiResult<Json<assessments::WorkbookImportView>> {
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(
        assessments::import_workbook(&state, &p, &id, &body, lang).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    pub version: i64,
    pub control: String,
    pub response: String,
}

/// The provider answers the assessor's finding on a control.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/responses", tag = "workflow", request_body = ResponseBody, responses((status = 200, body = assessments::AssessmentView)))]
pub async fn respond(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(
        assessments::respond(&state, &p, &id, body.version, &body.control, body.response).await?,
    ))
}

/// The assessor concludes: pass or fail at a level, with a date and a validity.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/conclusion", tag = "workflow", request_body = assessments::ConcludeBody,
    responses((status = 200, body = assessments::AssessmentView), (status = 422, description = "a pass with controls not assessed or not satisfied")))]
pub async fn conclude(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<assessments::ConcludeBody>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(assessments::conclude(&state, &p, &id, body).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    pub version: i64,
}

// ---------------------------------------------------------------- evidence requests

/// The assessor asks the provider for evidence or a rectification on one control (until
/// it concludes).
#[utoipa::path(post, path = "/api/v1/assessments/{id}/requests", tag = "workflow", request_body = requests::AskBody,
    responses((status = 201, body = requests::RequestView), (status = 400, description = "unknown control, or no text"),
        (status = 409, description = "the assessment is concluded")))]
pub async fn ask_for_evidence(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<requests::AskBody>,
) -> ApiResult<Response> {
    let view = requests::ask(&state, &p, &id, body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The evidence requests of an assessment, oldest first (for those who see its details).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/requests", tag = "workflow", responses((status = 200, body = Vec<requests::RequestView>)))]
pub async fn list_evidence_requests(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<requests::RequestView>>> {
    Ok(Json(requests::list(&state, &p, &id).await?))
}

/// The provider answers an open request: words, "rectified", or the files it gave.
#[utoipa::path(post, path = "/api/v1/evidence-requests/{id}/answer", tag = "workflow", request_body = requests::AnswerBody,
    responses((status = 200, body = requests::RequestView), (status = 400, description = "an empty answer"),
        (status = 409, description = "not open, a stale version, or the assessment is concluded")))]
pub async fn answer_evidence_request(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<requests::AnswerBody>,
) -> ApiResult<Json<requests::RequestView>> {
    Ok(Json(requests::answer(&state, &p, &id, body).await?))
}

/// The assessor retests an answered request: closes it with the control's new result
/// (a result said to be met needs evidence or a waiver, 422).
#[utoipa::path(post, path = "/api/v1/evidence-requests/{id}/close", tag = "workflow", request_body = requests::CloseBody,
    responses((status = 200, body = requests::RequestView), (status = 422, description = "met without evidence or a waiver"),
        (status = 409, description = "not answered, a stale version, or the assessment is concluded")))]
pub async fn close_evidence_request(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<requests::CloseBody>,
) -> ApiResult<Json<requests::RequestView>> {
    Ok(Json(requests::close(&state, &p, &id, body).await?))
}

/// The assessor sends an answered request back to the provider, with a note.
#[utoipa::path(post, path = "/api/v1/evidence-requests/{id}/reopen", tag = "workflow", request_body = requests::ReopenBody,
    responses((status = 200, body = requests::RequestView), (status = 400, description = "no note"),
        (status = 409, description = "not answered, a stale version, or the assessment is concluded")))]
pub async fn reopen_evidence_request(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<requests::ReopenBody>,
) -> ApiResult<Json<requests::RequestView>> {
    Ok(Json(requests::reopen(&state, &p, &id, body).await?))
}

/// The provider publishes a passed assessment to customers.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/publish", tag = "workflow", request_body = VersionBody, responses((status = 200, body = assessments::AssessmentView)))]
pub async fn publish(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(
        assessments::publish(&state, &p, &id, body.version).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    pub version: i64,
    pub engagement_id: String,
}

/// The provider lets the customer of one of its engagements read the details.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/grants", tag = "workflow", request_body = GrantBody, responses((status = 200, body = assessments::AssessmentView)))]
pub async fn grant(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<GrantBody>,
) -> ApiResult<Json<assessments::AssessmentView>> {
    Ok(Json(
        assessments::grant(&state, &p, &id, body.version, &body.engagement_id).await?,
    ))
}

// ---------------------------------------------------------------- use, lifecycle

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseOffering {
    pub offering_id: String,
}

/// The customer picks an offering: the provider becomes a party, and the engagement file
/// takes the offering and its published assessment, which the gates then judge.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/offering", tag = "workflow", request_body = UseOffering, responses((status = 200, body = lifecycle::OfferingUseView)))]
pub async fn use_offering(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UseOffering>,
) -> ApiResult<Json<lifecycle::OfferingUseView>> {
    Ok(Json(
        lifecycle::use_offering(&state, &p, &id, &body.offering_id).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The next phase: selection, operation, exit or closed.
    #[schema(value_type = String)]
    pub to: Phase,
}

/// Moves the engagement to its next phase, if nothing blocks it: the blockers of `check`
/// and, to close, the exit checklist. A refusal lists the blockers.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/transition", tag = "workflow", request_body = TransitionBody,
    responses((status = 200, body = lifecycle::TransitionView), (status = 409, description = "blocked; error.details lists the blockers", body = Vec<lifecycle::Blocker>)))]
pub async fn transition(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    ApiJson(body): ApiJson<TransitionBody>,
) -> ApiResult<Json<lifecycle::TransitionView>> {
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(
        lifecycle::transition(&state, &p, &id, body.to, lang).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    pub version: i64,
    /// clause id → {present, reference}
    #[schema(value_type = Object)]
    pub contract: BTreeMap<String, Commitment>,
}

/// Replaces the contract checklist, under the same rules as the file.
#[utoipa::path(put, path = "/api/v1/engagements/{id}/contract", tag = "workflow", request_body = ContractBody, responses((status = 200, body = lifecycle::ContractView)))]
pub async fn put_contract(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    ApiJson(body): ApiJson<ContractBody>,
) -> ApiResult<Json<lifecycle::ContractView>> {
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(
        lifecycle::put_contract(&state, &p, &id, body.version, body.contract, lang).await?,
    ))
}

/// What the caller has to do next across the engagements its organisation sees: rows to
/// confirm, notices to acknowledge, findings assigned to it, exit steps, assessments to
/// conclude or publish, assessments relied on that expire. Late ones first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "workflow", responses((status = 200, body = Vec<crate::services::tasks::Task>)))]
pub async fn tasks(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<crate::services::tasks::Task>>> {
    Ok(Json(crate::services::tasks::list(&state, &p).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordsBody {
    pub version: i64,
    pub records: crate::services::records::RecordsInput,
}

/// Replaces the lifecycle records (activities, outputs, basic requirements, the provider's
/// cloud and SLA, the security service provider), under the same rules as the file.
#[utoipa::path(put, path = "/api/v1/engagements/{id}/records", tag = "workflow", request_body = RecordsBody, responses((status = 200, body = crate::services::records::RecordsView)))]
pub async fn put_records(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    ApiJson(body): ApiJson<RecordsBody>,
) -> ApiResult<Json<crate::services::records::RecordsView>> {
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(
        crate::services::records::put(&state, &p, &id, body.version, body.records, lang).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RisksBody {
    pub version: i64,
    #[schema(value_type = Vec<Object>)]
    pub risks: Vec<RiskEntry>,
}

/// Replaces the risk register, under the same rules as the file.
#[utoipa::path(put, path = "/api/v1/engagements/{id}/risks", tag = "workflow", request_body = RisksBody, responses((status = 200, body = lifecycle::RisksView)))]
pub async fn put_risks(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    ApiJson(body): ApiJson<RisksBody>,
) -> ApiResult<Json<lifecycle::RisksView>> {
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(
        lifecycle::put_risks(&state, &p, &id, body.version, body.risks, lang).await?,
    ))
}

// ---------------------------------------------------------------- notices and alerts

use crate::services::notices::NewNotice;

/// The provider records a change notification or an incident report.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/notices", tag = "workflow", request_body = NewNotice, responses((status = 201, body = NoticeView)))]
pub async fn create_notice(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewNotice>,
) -> ApiResult<Response> {
    let n = notices::raise(&state, &p, &id, body).await?;
    Ok((StatusCode::CREATED, Json(n)).into_response())
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}/notices", tag = "workflow", responses((status = 200, body = Vec<NoticeView>)))]
pub async fn list_notices(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<NoticeView>>> {
    Ok(Json(notices::list(&state, &p, &id).await?))
}

/// The customer acknowledges a notice; an acknowledgement after the deadline is kept as late.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/notices/{notice}/ack", tag = "workflow", responses((status = 200, body = AckView), (status = 409, description = "already acknowledged")))]
pub async fn ack_notice(
    State(state): State<AppState>,
    p: Principal,
    Path((id, notice)): Path<(String, String)>,
) -> ApiResult<Json<AckView>> {
    Ok(Json(notices::acknowledge(&state, &p, &id, &notice).await?))
}

/// Supervision alerts of an engagement: an assessment expired or expiring while its
/// offering is in use; notices not acknowledged in time.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/alerts", tag = "workflow", params(DateQuery), responses((status = 200, body = Vec<posture::Alert>)))]
pub async fn alerts(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<DateQuery>,
) -> ApiResult<Json<Vec<posture::Alert>>> {
    Ok(Json(posture::alerts(&state, &p, &id, q.date).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DateQuery {
    /// Evaluate as of this date (YYYY-MM-DD); today by default.
    pub date: Option<NaiveDate>,
    pub lang: Option<String>,
}

// ---------------------------------------------------------------- exit

#[utoipa::path(get, path = "/api/v1/engagements/{id}/exit", tag = "workflow", responses((status = 200, body = lifecycle::ExitView)))]
pub async fn get_exit(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<lifecycle::ExitView>> {
    Ok(Json(lifecycle::exit(&state, &p, &id).await?))
}

/// One step of the exit (see [`lifecycle::ExitStep`] for who takes which).
#[utoipa::path(post, path = "/api/v1/engagements/{id}/exit", tag = "workflow", request_body = lifecycle::ExitStep, responses((status = 200, body = lifecycle::ExitView)))]
pub async fn exit_step(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(step): ApiJson<lifecycle::ExitStep>,
) -> ApiResult<Json<lifecycle::ExitView>> {
    Ok(Json(lifecycle::exit_step(&state, &p, &id, step).await?))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/offerings",
            get(list_offerings).post(create_offering),
        )
        .route(
            "/api/v1/offerings/{id}",
            get(get_offering).put(update_offering),
        )
        .route("/api/v1/offerings/{id}/assessments", post(invite_assessor))
        .route("/api/v1/assessments", get(list_assessments))
        .route("/api/v1/assessments/{id}", get(get_assessment))
        .route("/api/v1/assessments/{id}/results", put(record_results))
        .route(
            "/api/v1/assessments/{id}/results/workbook",
            get(results_workbook).post(import_results_workbook),
        )
        .route("/api/v1/assessments/{id}/responses", post(respond))
        .route("/api/v1/assessments/{id}/conclusion", post(conclude))
        .route("/api/v1/assessments/{id}/publish", post(publish))
        .route("/api/v1/assessments/{id}/grants", post(grant))
        .route(
            "/api/v1/assessments/{id}/requests",
            get(list_evidence_requests).post(ask_for_evidence),
        )
        .route(
            "/api/v1/evidence-requests/{id}/answer",
            post(answer_evidence_request),
        )
        .route(
            "/api/v1/evidence-requests/{id}/close",
            post(close_evidence_request),
        )
        .route(
            "/api/v1/evidence-requests/{id}/reopen",
            post(reopen_evidence_request),
        )
        .route("/api/v1/engagements/{id}/offering", post(use_offering))
        .route("/api/v1/engagements/{id}/transition", post(transition))
        .route("/api/v1/engagements/{id}/contract", put(put_contract))
        .route("/api/v1/engagements/{id}/records", put(put_records))
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/engagements/{id}/risks", put(put_risks))
        .route(
            "/api/v1/engagements/{id}/notices",
            get(list_notices).post(create_notice),
        )
        .route(
            "/api/v1/engagements/{id}/notices/{notice}/ack",
            post(ack_notice),
        )
        .route("/api/v1/engagements/{id}/alerts", get(alerts))
        .route(
            "/api/v1/engagements/{id}/exit",
            get(get_exit).post(exit_step),
        )
}
