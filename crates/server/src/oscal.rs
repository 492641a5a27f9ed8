//! OSCAL over HTTP: thin handlers over `services::oscal` (the documents as downloads).
//! Everything is read through the same access checks as the rest of the API, so another
//! tenant's id answers 404.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use cloudward_oscal::model::Document;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::services::oscal;

#[derive(Debug, Deserialize)]
pub struct OscalQuery {
    /// The document's last-modified time (RFC 3339 or YYYY-MM-DD); now by default.
    pub timestamp: Option<String>,
    /// Evaluate the engagement as of this date (YYYY-MM-DD); the timestamp's date by default.
    pub date: Option<String>,
    pub lang: Option<String>,
}

fn timestamp(q: &OscalQuery) -> ApiResult<String> {
    use chrono::{DateTime, SecondsFormat, Utc};
    match q.timestamp.as_deref() {
        None => Ok(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)),
        Some(v) => {
            if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                return Ok(format!("{d}T00:00:00Z"));
            }
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                .map_err(|_| ApiError::bad_request("oscal.bad_timestamp").arg("value", v))
        }
    }
}

/// An OSCAL document as a download under `name`.
fn json(doc: &Document, name: &str) -> Response {
    crate::download::attachment(
        name,
        "oscal.json",
        "application/json; charset=utf-8",
        doc.to_json(),
    )
}

/// The control catalog as an OSCAL catalog.
#[utoipa::path(get, path = "/api/v1/oscal/catalog", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 catalog (NIST's oscal_catalog_schema.json)")))]
pub async fn catalog(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    Ok(json(&oscal::catalog(&state, &p, &ts)?, "catalog.json"))
}

/// The profile of a protection level (general, enhanced, advanced).
#[utoipa::path(get, path = "/api/v1/oscal/profiles/{level}", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 profile (NIST's oscal_profile_schema.json)")))]
pub async fn profile(
    State(state): State<AppState>,
    p: Principal,
    Path(level): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    Ok(json(
        &oscal::profile(&state, &p, &level, &ts)?,
        "profile.json",
    ))
}

/// An engagement as a system security plan.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/oscal/ssp", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 system security plan (NIST's oscal_ssp_schema.json)")))]
pub async fn ssp(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let doc = oscal::ssp(&state, &p, &id, q.date.as_deref(), &ts).await?;
    Ok(json(&doc, "ssp.json"))
}

/// An engagement's open blockers and warnings as a plan of action and milestones.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/oscal/poam", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 plan of action and milestones (NIST's oscal_poam_schema.json)")))]
pub async fn poam(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let lang = crate::request_lang(uri.query(), &headers);
    let doc = oscal::poam(&state, &p, &id, q.date.as_deref(), &ts, lang).await?;
    Ok(json(&doc, "poam.json"))
}

/// An offering (published, or the caller's own) as a component definition.
#[utoipa::path(get, path = "/api/v1/offerings/{id}/oscal/component", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 component definition (NIST's oscal_component_schema.json)")))]
pub async fn component(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let doc = oscal::component(&state, &p, &id, &ts).await?;
    Ok(json(&doc, "component-definition.json"))
}

/// An assessment's results per control as OSCAL assessment results (for those who may see
/// its details: its provider, its assessor, and customers the provider granted).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/oscal/results", tag = "oscal", responses((status = 200, body = Object, description = "OSCAL 1.2.1 assessment results (NIST's oscal_assessment-results_schema.json)")))]
pub async fn results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let doc = oscal::assessment_results(&state, &p, &id, &ts).await?;
    Ok(json(&doc, "assessment-results.json"))
}

/// A stored scan run as OSCAL assessment results: each failing check an observation about
/// a resource, each control the scan looked at a finding (as `cloudward oscal export
/// results --scan` writes it from the same report).
#[utoipa::path(get, path = "/api/v1/scans/{id}/oscal/results", tag = "oscal", responses((status = 200, body = Object, description = "OSCAL 1.2.1 assessment results (NIST's oscal_assessment-results_schema.json)"), (status = 404, description = "no such run, not visible, or stored before reports were kept")))]
pub async fn scan_results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let doc = oscal::scan_results(&state, &p, &id, &ts).await?;
    Ok(json(&doc, "scan-assessment-results.json"))
}

/// The assessor imports another tool's OSCAL assessment results into its assessment: the
/// file is kept as evidence (by its SHA-256, named in the audit log) and each control's
/// result is recorded with that evidence.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/oscal/import", tag = "oscal",
    request_body(content = Object, description = "an OSCAL 1.x assessment-results document"),
    responses((status = 200, body = oscal::OscalImportView), (status = 400, description = "not OSCAL assessment results; the JSON path is named")))]
pub async fn import_results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    Ok(axum::Json(oscal::import_results(&state, &p, &id, &body).await?).into_response())
}

pub fn routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/offerings/{id}/oscal/component", get(component))
        .route("/api/v1/assessments/{id}/oscal/results", get(results))
        .route(
            "/api/v1/assessments/{id}/oscal/import",
            axum::routing::post(import_results).layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/scans/{id}/oscal/results", get(scan_results))
        .route("/api/v1/oscal/catalog", get(catalog))
        .route("/api/v1/oscal/profiles/{level}", get(profile))
        .route("/api/v1/engagements/{id}/oscal/ssp", get(ssp))
        .route("/api/v1/engagements/{id}/oscal/poam", get(poam))
}
