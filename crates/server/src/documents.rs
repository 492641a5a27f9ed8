//! The documents API: issue one of the guide's documents from an engagement, list them,
//! download one, and ask whether a file is a document the server issued. Thin handlers
//! over `services::documents`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::services::documents as services;

/// Issue a document: made from the engagement as the server holds it, kept, and recorded
/// as the lifecycle output it is (in one transaction, audited).
#[utoipa::path(post, path = "/api/v1/engagements/{id}/documents", tag = "documents",
    request_body = services::IssueInput,
    responses((status = 201, body = services::DocumentView), (status = 200, description = "the same document was issued before", body = services::DocumentView),
        (status = 422, description = "unknown kind or format, or the engagement lacks what the kind is made from"),
        (status = 503, description = "no font with Chinese characters on the server (PDF)")))]
pub async fn issue(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    ApiJson(body): ApiJson<services::IssueInput>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let (view, created) = services::issue(&state, &p, &id, body, lang).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)).into_response())
}

/// The documents issued for an engagement.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/documents", tag = "documents", responses((status = 200, body = Vec<services::DocumentView>)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<services::DocumentView>>> {
    Ok(Json(services::list(&state, &p, &id).await?))
}

/// Download a document, under a readable file name in its language.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "documents", responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>)))]
pub async fn download(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (view, bytes) = services::download(&state, &p, &id).await?;
    Ok(crate::download::attachment(
        &view.document.file_name,
        &format!("document.{}", view.document.format),
        &view.document.media_type,
        bytes,
    ))
}

/// The answer to "is this file a document the server issued?"
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    /// The SHA-256 asked about.
    pub sha256: String,
    /// Whether a document with this hash was issued for an engagement the caller sees.
    pub issued: bool,
    pub document: Option<services::DocumentView>,
}

/// Whether a file (by its SHA-256) is a document the server issued, when and for what.
#[utoipa::path(get, path = "/api/v1/documents/verify/{sha256}", tag = "documents", responses((status = 200, body = Verification), (status = 422, description = "not a SHA-256 in hex")))]
pub async fn verify(
    State(state): State<AppState>,
    p: Principal,
    Path(sha256): Path<String>,
) -> ApiResult<Json<Verification>> {
    let document = services::verify(&state, &p, &sha256).await?;
    Ok(Json(Verification {
        sha256: sha256.trim().to_ascii_lowercase(),
        issued: document.is_some(),
        document,
    }))
}

/// An assessment's report (评估报告) as PDF or DOCX, for those who may see its details:
/// made on request from the assessment as it stands, each evidence file with its SHA-256.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/report", tag = "documents",
    params(services::DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "no such assessment, or its details are not the caller's to see"),
        (status = 422, description = "unknown format or language"),
        (status = 503, description = "no font with Chinese characters on the server (PDF)")))]
pub async fn assessment_report(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<services::DocumentQuery>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let r = services::assessment_report(&state, &p, &id, q, lang).await?;
    Ok(crate::download::attachment(
        &r.file_name,
        &format!("assessment-report.{}", r.format.extension()),
        r.format.media_type(),
        r.bytes,
    ))
}

/// A stored scan run's report (配置检查报告) as PDF or DOCX, for those who see its
/// engagement: made on request from the report the run kept.
#[utoipa::path(get, path = "/api/v1/scans/{id}/document", tag = "documents",
    params(services::DocumentQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "no such run, not visible, or stored before reports were kept"),
        (status = 422, description = "unknown format or language"),
        (status = 503, description = "no font with Chinese characters on the server (PDF)")))]
pub async fn scan_report(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<services::DocumentQuery>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let r = services::scan_report(&state, &p, &id, q, lang).await?;
    Ok(crate::download::attachment(
        &r.file_name,
        &format!("scan-report.{}", r.format.extension()),
        r.format.media_type(),
        r.bytes,
    ))
}

/// The tables of an engagement's document as XLSX (a sheet per table) or CSV, for Excel
/// users: `contract-annex` for the matrix and the contract checklist, `decision-report`
/// for the risk register, `requirement-analysis`, …. Made on request, not recorded.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/tables/{kind}", tag = "documents",
    params(services::DocumentQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 422, description = "unknown kind or format, or the engagement lacks what the kind is made from")))]
pub async fn tables(
    State(state): State<AppState>,
    p: Principal,
    Path((id, kind)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<services::DocumentQuery>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let r = services::tables(&state, &p, &id, &kind, q, lang).await?;
    Ok(crate::download::attachment(
        &r.file_name,
        &format!("{kind}.{}", r.format.extension()),
        r.format.media_type(),
        r.bytes,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/engagements/{id}/documents", post(issue).get(list))
        .route("/api/v1/documents/{id}/content", get(download))
        .route("/api/v1/documents/verify/{sha256}", get(verify))
        .route("/api/v1/assessments/{id}/report", get(assessment_report))
        .route("/api/v1/scans/{id}/document", get(scan_report))
        .route("/api/v1/engagements/{id}/tables/{kind}", get(tables))
}
