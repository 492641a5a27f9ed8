//! The evidence API: files attached to a control, a contract clause, a risk or an exit
//! step of an engagement, and those an assessor attaches to its results. Thin handlers over
//! `services::evidence`; the bytes are kept by `blobs`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::services::evidence as services;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// control, clause, risk or exit_step
    pub target_kind: String,
    /// The control id, clause id, risk id or exit step (plan, scope, manifest, attestation).
    pub target: String,
    pub name: String,
    /// YYYY-MM-DD; the upload date by default.
    pub effective_date: Option<NaiveDate>,
    pub lang: Option<String>,
}

/// Upload a file (the raw body) as evidence for a control, clause, risk or exit step.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/evidence", tag = "workflow", params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = services::EvidenceView), (status = 413, description = "over the evidence size limit"), (status = 415, description = "not a format evidence is accepted in")))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let new = services::NewEvidence {
        target_kind: q.target_kind,
        target: q.target,
        name: q.name,
        effective_date: q.effective_date,
    };
    let view = services::upload(&state, &p, &id, new, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The evidence of an engagement.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/evidence", tag = "workflow", responses((status = 200, body = Vec<services::EvidenceView>)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<services::EvidenceView>>> {
    Ok(Json(services::list(&state, &p, &id).await?))
}

/// Download an evidence file (those who see its engagement only).
#[utoipa::path(get, path = "/api/v1/evidence/{id}/content", tag = "workflow", responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn download(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, media_type, bytes) = services::download(&state, &p, &id).await?;
    Ok(attachment(&name, media_type, bytes))
}

/// A stored file as a download under its name (always an attachment).
fn attachment(name: &str, media_type: String, bytes: Vec<u8>) -> Response {
    crate::download::attachment(name, "evidence", &media_type, bytes)
}

// ---------------------------------------------------------------- an assessment's evidence

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssessmentUploadQuery {
    /// The control whose result the file supports (with a result or before it).
    pub control: String,
    pub name: String,
    pub lang: Option<String>,
}

/// The assessor attaches a file to a control (until it concludes): kept by SHA-256 (named
/// in the audit log) and listed with the control's result, now or once it is recorded.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", tag = "workflow", params(AssessmentUploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = services::AttachedView), (status = 400, description = "unknown control"),
        (status = 409, description = "the assessment is concluded"), (status = 413), (status = 415)))]
pub async fn upload_for_assessment(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<AssessmentUploadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let view =
        services::attach_to_result(&state, &p, &id, &q.control, &q.name, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RequestUploadQuery {
    pub name: String,
    pub lang: Option<String>,
}

/// The provider gives a file (the raw body) for an open evidence request: kept as the
/// assessment's evidence for the request's control and listed on the request.
#[utoipa::path(post, path = "/api/v1/evidence-requests/{id}/evidence", tag = "workflow", params(RequestUploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = crate::services::requests::RequestView),
        (status = 409, description = "the request is not open, or the assessment is concluded"), (status = 413), (status = 415)))]
pub async fn upload_for_request(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<RequestUploadQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let view = crate::services::requests::attach(&state, &p, &id, &q.name, body.to_vec()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The files of an assessment (for those who see its details).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/evidence", tag = "workflow", responses((status = 200, body = Vec<services::AssessmentFileView>)))]
pub async fn list_for_assessment(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<services::AssessmentFileView>>> {
    Ok(Json(services::assessment_files(&state, &p, &id).await?))
}

/// Download a file of an assessment (for those who see its details).
#[utoipa::path(get, path = "/api/v1/assessment-evidence/{id}/content", tag = "workflow", responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn download_for_assessment(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (name, media_type, bytes) = services::download_assessment_file(&state, &p, &id).await?;
    Ok(attachment(&name, media_type, bytes))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutputDocumentQuery {
    /// The document's file name.
    pub name: String,
    /// YYYY-MM-DD: the document's date; the upload date by default.
    pub date: Option<NaiveDate>,
    pub lang: Option<String>,
}

/// Attach a document (the raw body) as a lifecycle output: kept as evidence of that output,
/// which is then recorded by it.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/records/{output}/document", tag = "workflow", params(OutputDocumentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = crate::services::records::RecordsView), (status = 400, description = "unknown output, or a bad file name"), (status = 413, description = "over the evidence size limit"), (status = 415, description = "not a format evidence is accepted in")))]
pub async fn attach_output(
    State(state): State<AppState>,
    p: Principal,
    Path((id, output)): Path<(String, String)>,
    Query(q): Query<OutputDocumentQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let view =
        crate::services::records::attach(&state, &p, &id, &output, &q.name, q.date, body.to_vec())
            .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub fn routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/engagements/{id}/evidence",
            get(list)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/engagements/{id}/records/{output}/document",
            post(attach_output).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/evidence/{id}/content", get(download))
        .route(
            "/api/v1/assessments/{id}/evidence",
            get(list_for_assessment)
                .post(upload_for_assessment)
                .layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/evidence-requests/{id}/evidence",
            post(upload_for_request).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/assessment-evidence/{id}/content",
            get(download_for_assessment),
        )
}
