//! Continuous supervision of an engagement in operation: scan runs (uploaded as `cloudward
//! scan --format json`, from `cloudward push` in CI, or run by the server on uploaded
//! files), the posture per control and its trend, and findings tracked across runs —
//! assigned, accepted with a reason and an expiry, or fixed; the next run closes what is
//! fixed and reopens what is not.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use cloudward_domain::workflow::FindingState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::services::{findings, posture, scans};

/// What a run keeps: the scan's summary, not its findings (those are tracked one by one).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunData {
    pub at: String,
    pub uploaded_by: String,
    /// `upload` or `server`
    pub source: String,
    #[schema(value_type = Object)]
    pub inputs: Value,
    pub level: Option<String>,
    pub failed: i64,
    pub passed: i64,
    pub unknown: i64,
    pub resources: i64,
    pub controls_failed: Vec<String>,
    pub controls_passed: Vec<String>,
    pub controls_not_evaluated: Vec<String>,
    #[schema(value_type = Object)]
    pub by_family: BTreeMap<String, i64>,
    #[schema(value_type = Object)]
    pub by_severity: BTreeMap<String, i64>,
    /// What this run did to tracked findings.
    pub opened: usize,
    pub reopened: usize,
    pub closed: usize,
    /// The whole report, kept by its SHA-256 (absent for runs stored before reports were kept).
    #[serde(default)]
    pub report_sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingData {
    /// `rule_id|address`: the identity of a finding across runs.
    pub key: String,
    pub rule_id: String,
    pub severity: String,
    pub controls: Vec<String>,
    pub address: String,
    pub resource_type: String,
    pub message: String,
    /// Where the resource is written (file and line, as the latest scan that saw it read
    /// them); empty and 0 when the report did not say.
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: u64,
    /// open, accepted, fixed, closed
    #[schema(value_type = String)]
    pub state: FindingState,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub accepted_reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub accepted_until: Option<NaiveDate>,
    pub first_seen: String,
    /// (run id, what happened)
    #[serde(default)]
    pub history: Vec<(String, String)>,
}

/// Upload a scan (the output of `cloudward scan --format json`) for an engagement.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/scans", tag = "supervision",
    request_body(content = Object, description = "cloudward scan --format json"),
    responses((status = 201, body = posture::RunView), (status = 400, description = "not a cloudward scan report")))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(report): ApiJson<Value>,
) -> ApiResult<Response> {
    let view = scans::upload(&state, &p, &id, &report).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerScan {
    /// The files to scan: Terraform (`.tf`, `.tfvars`), plan or state JSON, or inventory
    /// JSON/JSONL, by name.
    pub files: Vec<ScanFile>,
    /// Only the rules of this pack (`default`, or a 等保 pack `mlps-l1` … `mlps-l4`, whose
    /// report then lists each requirement item of the level under `mlps`).
    #[serde(default)]
    pub pack: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanFile {
    /// A relative path, e.g. `modules/net/main.tf`.
    pub name: String,
    pub content: String,
}

/// Let the server scan uploaded Terraform, plan or inventory files at the engagement's level.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/scans/run", tag = "supervision", request_body = ServerScan,
    responses((status = 201, body = posture::RunView), (status = 400, description = "not an acceptable input: the readers' errors, by file and line"),
        (status = 422, description = "the scan went past its time or memory limit"), (status = 429, description = "the organisation already runs its share of scans")))]
pub async fn run_scan(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ServerScan>,
) -> ApiResult<Response> {
    let view = scans::run(&state, &p, &id, &body.files, body.pack.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A scan run: its summary and what it did to tracked findings.
#[utoipa::path(get, path = "/api/v1/scans/{id}", tag = "supervision", responses((status = 200, body = posture::RunView), (status = 404, description = "no such run, or not visible")))]
pub async fn get_run(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<posture::RunView>> {
    Ok(Json(posture::run(&state, &p, &id).await?))
}

/// The full report of a scan run (`cloudward scan --format json`).
#[utoipa::path(get, path = "/api/v1/scans/{id}/report", tag = "supervision", responses((status = 200, body = Object, description = "the report as `cloudward scan --format json` writes it (see docs/scan.md)"), (status = 404, description = "no such run, not visible, or stored before reports were kept")))]
pub async fn get_run_report(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let bytes = scans::report(&state, &p, &id).await?;
    let name = format!("cloudward-scan-{id}.json");
    Ok(crate::download::attachment(
        &name,
        &name,
        "application/json",
        bytes,
    ))
}

/// Posture: the latest run per control and per family, and the trend over runs.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/posture", tag = "supervision", responses((status = 200, body = posture::PostureView)))]
pub async fn posture(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<posture::PostureView>> {
    Ok(Json(posture::posture(&state, &p, &id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// The first day (YYYY-MM-DD) [default: 89 days before `to`].
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// The last day (YYYY-MM-DD) [default: today].
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// The supervision of a period: its scan runs, the findings not closed and the provider's
/// notices — what the supervision report is made from, and what `cloudward report
/// supervision-report --supervision FILE` reads.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/supervision", tag = "supervision", params(PeriodQuery),
    responses((status = 200, body = cloudward_report::supervision::SupervisionData),
        (status = 400, description = "a period that ends before it begins")))]
pub async fn supervision_data(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<cloudward_report::supervision::SupervisionData>> {
    Ok(Json(
        posture::supervision(&state, &p, &id, q.from, q.to).await?,
    ))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct FindingQuery {
    /// open, accepted, fixed, closed
    pub state: Option<String>,
    /// `current` for the findings not closed, `closed` for the closed ones; all without it.
    pub view: Option<String>,
    /// critical, high, medium or low.
    pub severity: Option<String>,
    /// Only the findings of this rule (its id).
    pub rule: Option<String>,
    /// `severity` for the most severe first; without it, first recorded first.
    pub sort: Option<String>,
    /// Only findings assigned to this name; `-` for those assigned to no one.
    pub assignee: Option<String>,
    pub lang: Option<String>,
    /// A page of at most this many findings (1–1000); without it, all of them.
    pub limit: Option<usize>,
    /// Findings to skip before the page.
    pub offset: Option<usize>,
    /// The next page: the findings after this one (the `X-Next-Cursor` of the page before);
    /// not with `offset`.
    pub after: Option<String>,
    /// `…/findings/export` only: `xlsx` (the default) or `csv`.
    pub format: Option<String>,
}

/// The findings that match the filters, all of them, as a table for Excel users: XLSX or
/// CSV (UTF-8 with a byte-order mark), every value in words in the reader's language.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/findings/export", tag = "supervision", params(FindingQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 422, description = "a format other than xlsx or csv")))]
pub async fn export_findings(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<FindingQuery>,
) -> ApiResult<Response> {
    let lang = crate::request_lang(uri.query(), &headers);
    let (name, format, bytes) = findings::export(&state, &p, &id, &q, lang).await?;
    Ok(crate::download::attachment(
        &name,
        &format!("findings.{}", format.extension()),
        format.media_type(),
        bytes,
    ))
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}/findings", tag = "supervision", params(FindingQuery),
    responses((status = 200, body = Vec<findings::FindingView>, headers(("X-Total-Count" = u64, description = "findings matching the filters, all pages; on the first page and offset pages, not on a cursor (`after`) page"),
        ("X-Next-Cursor" = String, description = "when the page is full: the `after` of the next page"))),
        (status = 400, description = "an unknown state, a page size outside 1–1000, an unknown cursor, or a cursor with an offset")))]
pub async fn list_findings(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<FindingQuery>,
) -> ApiResult<Response> {
    let page = findings::page(&state, &p, &id, &q).await?;
    let mut response = Json(page.items).into_response();
    if let Some(total) = page.total
        && let Ok(v) = axum::http::HeaderValue::from_str(&total.to_string())
    {
        response.headers_mut().insert("x-total-count", v);
    }
    if let Some(next) = page.next.as_deref()
        && let Ok(v) = axum::http::HeaderValue::from_str(next)
    {
        response.headers_mut().insert("x-next-cursor", v);
    }
    Ok(response)
}

/// Acts on several findings at once, all or none: assign them, accept them with a reason
/// until a date, or report them fixed. A finding that refuses the action refuses the batch
/// (its id is in the error's `finding`).
#[utoipa::path(post, path = "/api/v1/engagements/{id}/findings/bulk", tag = "supervision", request_body = findings::BulkAction,
    responses((status = 200, body = Vec<findings::FindingView>),
        (status = 400, description = "no findings, more than 1000, a finding twice, or an action a finding refuses"),
        (status = 404, description = "a finding that is not the engagement's"),
        (status = 409, description = "a finding changed since it was read, or is closed")))]
pub async fn act_on_findings(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(bulk): ApiJson<findings::BulkAction>,
) -> ApiResult<Json<Vec<findings::FindingView>>> {
    Ok(Json(findings::act_all(&state, &p, &id, bulk).await?))
}

/// Acts on a finding: assign it, accept it with a reason until a date, or report it fixed.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/findings/{finding}", tag = "supervision", request_body = findings::FindingAction,
    responses((status = 200, body = findings::FindingView)))]
pub async fn act_on_finding(
    State(state): State<AppState>,
    p: Principal,
    Path((id, finding)): Path<(String, String)>,
    ApiJson(action): ApiJson<findings::FindingAction>,
) -> ApiResult<Json<findings::FindingView>> {
    Ok(Json(
        findings::act(&state, &p, &id, &finding, action).await?,
    ))
}

pub fn routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/engagements/{id}/scans",
            post(upload).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/engagements/{id}/scans/run",
            post(run_scan).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/engagements/{id}/posture", get(posture))
        .route(
            "/api/v1/engagements/{id}/supervision",
            get(supervision_data),
        )
        .route("/api/v1/scans/{id}", get(get_run))
        .route("/api/v1/scans/{id}/report", get(get_run_report))
        .route("/api/v1/engagements/{id}/findings", get(list_findings))
        .route(
            "/api/v1/engagements/{id}/findings/export",
            get(export_findings),
        )
        .route(
            "/api/v1/engagements/{id}/findings/bulk",
            post(act_on_findings),
        )
        .route(
            "/api/v1/engagements/{id}/findings/{finding}",
            post(act_on_finding),
        )
}
