//! Continuous supervision of an engagement in operation: scan runs (uploaded as `cloudward
//! scan --format json`, from `cloudward push` in CI, or run by the server on uploaded
//! files), the posture per control and its trend, and findings tracked across runs —
//! assigned, accepted with a reason and an expiry, or fixed; the next run closes what is
//! fixed and reopens what is not.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use cloudward_domain::workflow::{self, FindingState, Transition};
use cloudward_store::{NewRecord, Record};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{ApiJson, engagement};
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::{findings, posture};
use crate::workflow::acting;

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

fn bad_scan(detail: &str) -> ApiError {
    ApiError::bad_request("api.bad_scan").arg("detail", detail)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn counts(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, n)| n.as_i64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

/// One failing finding of a report.
struct Failing {
    key: String,
    rule_id: String,
    severity: String,
    controls: Vec<String>,
    address: String,
    resource_type: String,
    message: String,
}

/// Reads a `cloudward scan --format json` report.
fn parse_report(report: &Value) -> ApiResult<(Value, Vec<Failing>)> {
    if report.get("tool").and_then(Value::as_str) != Some("cloudward") {
        return Err(bad_scan(
            "$.tool must be \"cloudward\": upload the output of `cloudward scan --format json`",
        ));
    }
    let summary = report
        .get("summary")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad_scan("$.summary is missing"))?;
    let findings = report
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_scan("$.findings is missing"))?;
    let mut out = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        let field = |name: &str| {
            f.pointer(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    bad_scan(&format!(
                        "$.findings[{i}]{} is missing",
                        name.replace('/', ".")
                    ))
                })
        };
        let rule_id = field("/rule_id")?;
        let address = field("/resource/address")?;
        out.push(Failing {
            key: format!("{rule_id}|{address}"),
            severity: field("/severity")?,
            resource_type: field("/resource/type")?,
            message: field("/message").unwrap_or_default(),
            controls: strings(f.get("controls").unwrap_or(&Value::Null)),
            rule_id,
            address,
        });
    }
    Ok((summary.clone(), out))
}

/// Stores a run and reconciles the engagement's tracked findings, in one transaction.
pub(crate) async fn ingest(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
    owner_org_id: &str,
    report: &Value,
    source: &str,
) -> ApiResult<(Record, RunData)> {
    let (summary, failing) = parse_report(report)?;
    let today = chrono::Utc::now().date_naive();
    let now = cloudward_store::stamp(cloudward_store::now());
    let run_id_hint = format!("run@{now}");
    let (existing, _) = state
        .store
        .list_findings(engagement_id, &cloudward_store::FindingFilter::default())
        .await?;
    let mut by_key: BTreeMap<String, (Record, FindingData)> = BTreeMap::new();
    for r in existing {
        let f: FindingData =
            serde_json::from_value(r.data.clone()).map_err(|_| ApiError::internal())?;
        by_key.insert(f.key.clone(), (r, f));
    }
    let present: BTreeSet<&str> = failing.iter().map(|f| f.key.as_str()).collect();
    let (mut opened, mut reopened, mut closed) = (0, 0, 0);
    let mut updates = Vec::new();
    for (key, (r, f)) in &by_key {
        let is_present = present.contains(key.as_str());
        let (next, t) = workflow::reconcile(f.state, is_present, f.accepted_until, today);
        if t == Transition::Unchanged {
            continue;
        }
        let mut f = f.clone();
        f.state = next;
        match t {
            Transition::Unchanged => {}
            Transition::Reopened | Transition::AcceptanceExpired => {
                reopened += 1;
                f.history
                    .push((run_id_hint.clone(), format!("{t:?}").to_lowercase()));
            }
            Transition::Closed => {
                closed += 1;
                f.history.push((run_id_hint.clone(), "closed".into()));
            }
        }
        updates.push(cloudward_store::RecordChange::of(
            r,
            serde_json::to_value(&f).map_err(|_| ApiError::internal())?,
        ));
    }
    let mut creates = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &failing {
        if by_key.contains_key(&f.key) || !seen.insert(f.key.clone()) {
            continue;
        }
        opened += 1;
        let data = FindingData {
            key: f.key.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity.clone(),
            controls: f.controls.clone(),
            address: f.address.clone(),
            resource_type: f.resource_type.clone(),
            message: f.message.clone(),
            state: FindingState::Open,
            assignee: None,
            accepted_reason: None,
            accepted_until: None,
            first_seen: now.clone(),
            history: vec![(run_id_hint.clone(), "opened".into())],
        };
        creates.push(
            NewRecord::new(
                "finding",
                owner_org_id.to_owned(),
                serde_json::to_value(&data).map_err(|_| ApiError::internal())?,
            )
            .of_engagement(engagement_id.to_owned()),
        );
    }
    let controls = summary.get("controls").cloned().unwrap_or(Value::Null);
    let bytes = serde_json::to_vec(report).map_err(|_| ApiError::internal())?;
    let (report_sha256, _) =
        crate::evidence::keep_blob(state, p, Some(engagement_id), bytes, "application/json")
            .await?;
    let run = RunData {
        at: now.clone(),
        uploaded_by: p.actor.id.clone(),
        source: source.to_owned(),
        inputs: report.get("inputs").cloned().unwrap_or(Value::Null),
        level: report
            .get("level")
            .and_then(Value::as_str)
            .map(str::to_owned),
        failed: summary.get("failed").and_then(Value::as_i64).unwrap_or(0),
        passed: summary.get("passed").and_then(Value::as_i64).unwrap_or(0),
        unknown: summary.get("unknown").and_then(Value::as_i64).unwrap_or(0),
        resources: summary
            .get("resources")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        controls_failed: strings(&controls["failed"]),
        controls_passed: strings(&controls["passed"]),
        controls_not_evaluated: strings(&controls["not_evaluated"]),
        by_family: counts(&summary["by_family"]),
        by_severity: counts(&summary["by_severity"]),
        opened,
        reopened,
        closed,
        report_sha256: Some(report_sha256),
    };
    let record = NewRecord::new(
        "scan_run",
        owner_org_id.to_owned(),
        serde_json::to_value(&run).map_err(|_| ApiError::internal())?,
    )
    .of_engagement(engagement_id.to_owned());
    let written = state
        .store
        .record_scan(&p.actor, record, creates, updates)
        .await?;
    Ok((written, run))
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
    let (e, _) = acting(&state, &p, &id, Action::ScanUpload).await?;
    let (r, run) = ingest(&state, &p, &e.id, &e.customer_org_id, &report, "upload").await?;
    let view = posture::RunView {
        id: r.id,
        engagement_id: r.engagement_id,
        run,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerScan {
    /// The files to scan: Terraform (`.tf`, `.tfvars`), plan or state JSON, or inventory
    /// JSON/JSONL, by name.
    pub files: Vec<ScanFile>,
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
    let (e, _) = acting(&state, &p, &id, Action::ScanRun).await?;
    if body.files.is_empty() {
        return Err(bad_scan("$.files is empty"));
    }
    let org = p.org.as_ref().map_or("", |o| o.id.as_str());
    let report =
        crate::scanning::scan_files(&state, org, &body.files, e.level.map(|l| l.id())).await?;
    let (r, run) = ingest(&state, &p, &e.id, &e.customer_org_id, &report, "server").await?;
    let view = posture::RunView {
        id: r.id,
        engagement_id: r.engagement_id,
        run,
    };
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A stored scan run, if the caller sees its engagement.
pub(crate) async fn visible_run(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, RunData)> {
    let r = crate::api::record_of(state, "scan_run", id).await?;
    // No run, no engagement to see.
    let of = r
        .as_ref()
        .and_then(|r| r.engagement_id.clone())
        .unwrap_or_default();
    engagement(state, p, &of, action).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let run: RunData = serde_json::from_value(r.data.clone()).map_err(|_| ApiError::internal())?;
    Ok((r, run))
}

/// The report a run kept, as uploaded (or as the server's scan wrote it).
pub(crate) async fn run_report(state: &AppState, run: &RunData) -> ApiResult<Vec<u8>> {
    let Some(sha) = &run.report_sha256 else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "api.run_without_report",
        ));
    };
    let (_, bytes) = crate::evidence::read_blob(state, sha).await?;
    Ok(bytes)
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
    let (_, run) = visible_run(&state, &p, &id, Action::ScanRunReport).await?;
    let bytes = run_report(&state, &run).await?;
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
pub struct FindingQuery {
    /// open, accepted, fixed, closed
    pub state: Option<String>,
    /// Only findings assigned to this name; `-` for those assigned to no one.
    pub assignee: Option<String>,
    pub lang: Option<String>,
    /// A page of at most this many findings (1–1000); without it, all of them.
    pub limit: Option<usize>,
    /// Findings to skip before the page.
    pub offset: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/engagements/{id}/findings", tag = "supervision", params(FindingQuery),
    responses((status = 200, body = Vec<findings::FindingView>, headers(("X-Total-Count" = u64, description = "findings matching the filters, all pages")))))]
pub async fn list_findings(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<FindingQuery>,
) -> ApiResult<Response> {
    let (page, total) = findings::page(&state, &p, &id, &q).await?;
    let mut response = Json(page).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&total.to_string()) {
        response.headers_mut().insert("x-total-count", v);
    }
    Ok(response)
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
        .route("/api/v1/scans/{id}", get(get_run))
        .route("/api/v1/scans/{id}/report", get(get_run_report))
        .route("/api/v1/engagements/{id}/findings", get(list_findings))
        .route(
            "/api/v1/engagements/{id}/findings/{finding}",
            post(act_on_finding),
        )
}
