//! OSCAL over HTTP: the catalog, the profile of a level, an engagement as a system security
//! plan or a POA&M, an offering as a component definition and an assessment as assessment
//! results — the documents `cloudward oscal export` writes, from the same functions — and
//! the import of another tool's assessment results into an assessment, kept as evidence.
//! Everything is read through the same access checks as the rest of the API, so another
//! tenant's id answers 404.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::engagement;
use cloudward_oscal::export;
use cloudward_oscal::model::Document;
use serde::Deserialize;

use crate::AppState;
use crate::api::{engagement, export_text};
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};

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

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The control catalog as an OSCAL catalog.
#[utoipa::path(get, path = "/api/v1/oscal/catalog", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 catalog (NIST's oscal_catalog_schema.json)")))]
pub async fn catalog(
    State(state): State<AppState>,
    _p: Principal,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    Ok(json(
        &export::catalog(&state.content.catalog, &ts, version()),
        "catalog.json",
    ))
}

/// The profile of a protection level (general, enhanced, advanced).
#[utoipa::path(get, path = "/api/v1/oscal/profiles/{level}", tag = "oscal", responses((status = 200, body = Object, description = "an OSCAL 1.2.1 profile (NIST's oscal_profile_schema.json)")))]
pub async fn profile(
    State(state): State<AppState>,
    _p: Principal,
    Path(level): Path<String>,
    Query(q): Query<OscalQuery>,
) -> ApiResult<Response> {
    let ts = timestamp(&q)?;
    let Some(level) = ProtectionLevel::parse(&level) else {
        return Err(ApiError::not_found());
    };
    Ok(json(
        &export::profile(&state.content.catalog, level, &ts, version()),
        "profile.json",
    ))
}

/// The engagement, checked as `cloudward check` checks its exported file.
async fn evaluated(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: &OscalQuery,
    ts: &str,
    action: Action,
) -> ApiResult<(engagement::EngagementFile, check::Report)> {
    let e = engagement(state, p, id, action).await?;
    let day = q
        .date
        .as_deref()
        .unwrap_or(ts.get(..10).unwrap_or_default());
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("input.bad_date").arg("value", day))?;
    let (_, text) = export_text(&e)?;
    let file = engagement::parse(&text).map_err(ApiError::internal_from)?;
    match check::check(&file, &text, &state.content, date) {
        Ok(report) => Ok((file, report)),
        Err(CheckError::Classified) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "check.refused",
        )),
        Err(CheckError::Invalid(_)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_engagement",
            "api.invalid_engagement",
        )
        .arg("detail", "cloudward check")),
    }
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
    let (file, report) = evaluated(&state, &p, &id, &q, &ts, Action::OscalSsp).await?;
    Ok(json(
        &export::ssp(&state.content, &file, &report, &ts, version()),
        "ssp.json",
    ))
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
    let (file, report) = evaluated(&state, &p, &id, &q, &ts, Action::OscalPoam).await?;
    let lang = crate::request_lang(uri.query(), &headers);
    let render = |f: &check::Finding| state.messages.render(&f.key(), lang, &f.args);
    Ok(json(
        &export::poam(&file, &report, &render, None, &ts, version()),
        "poam.json",
    ))
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
    let r = crate::workflow::offering_record(&state, &p, &id, Action::OfferingComponent).await?;
    let offering: cloudward_domain::workflow::Offering =
        serde_json::from_value(r.data["offering"].clone()).map_err(ApiError::internal_from)?;
    Ok(json(
        &export::component(&state.content, &offering, &ts, version()),
        "component-definition.json",
    ))
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
    let (_, a, _) =
        crate::workflow::assessment_access(&state, &p, &id, Action::AssessmentOscalResults).await?;
    let offering = match state.store.get_record("offering", &a.offering_id).await? {
        Some(r) => r.data["offering"]["name"].as_str().unwrap_or("").to_owned(),
        None => String::new(),
    };
    let assessor = state
        .store
        .get_org(&a.assessor_org_id)
        .await?
        .map(|o| o.name);
    let file = cloudward_oscal::results::AssessmentFile {
        offering,
        assessor,
        conclusion: a.conclusion,
        results: a.results,
    };
    Ok(json(
        &export::assessment_results(&file, &ts, version()),
        "assessment-results.json",
    ))
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
    let (r, run) = crate::supervision::visible_run(&state, &p, &id, Action::ScanRunOscal).await?;
    let bytes = crate::supervision::run_report(&state, &run).await?;
    let text = std::str::from_utf8(&bytes).map_err(ApiError::internal_from)?;
    let report = cloudward_oscal::scan::parse(text).map_err(|e| {
        tracing::error!(error = %e, run = %r.id, "stored scan report unreadable");
        ApiError::internal()
    })?;
    Ok(json(
        &cloudward_oscal::scan::assessment_results(&report, &r.id, &ts),
        "scan-assessment-results.json",
    ))
}

/// What an OSCAL import did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OscalImportView {
    /// The imported file, kept as the assessment's evidence.
    pub evidence_id: String,
    pub sha256: String,
    /// How many controls got a result.
    pub recorded: usize,
    /// Controls of other catalogs, kept in the file only.
    pub not_in_catalog: Vec<String>,
    pub assessment: crate::services::assessments::AssessmentView,
}

/// The assessor imports another tool's OSCAL assessment results into its assessment: the
/// file is kept as evidence (by its SHA-256, named in the audit log) and each control's
/// result is recorded with that evidence.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/oscal/import", tag = "oscal",
    request_body(content = Object, description = "an OSCAL 1.x assessment-results document"),
    responses((status = 200, body = OscalImportView), (status = 400, description = "not OSCAL assessment results; the JSON path is named")))]
pub async fn import_results(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The assessor's members, on an assessment not yet concluded: decided before anything
    // is kept.
    let (r, a) =
        crate::workflow::assessor_editing(&state, &p, &id, Action::AssessmentOscalImport).await?;
    let org = p.org()?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("api.not_utf8"))?;
    let doc = cloudward_oscal::read::read(text)
        .map_err(|e| ApiError::bad_request("oscal.import_failed").arg("detail", e.to_string()))?;
    let imported = cloudward_oscal::results::from_document(&doc)
        .map_err(|e| ApiError::bad_request("oscal.import_failed").arg("detail", e.to_string()))?;
    let (sha, size) =
        crate::evidence::keep_blob(&state, &p, None, body.to_vec(), "application/json").await?;
    let file = crate::services::evidence::AssessmentFileData {
        sha256: sha.clone(),
        size,
        media_type: "application/json".into(),
        name: "oscal-assessment-results.json".into(),
        control: None,
        source: "oscal".into(),
        uploaded_by: p.actor.id.clone(),
        uploaded_at: cloudward_store::stamp(cloudward_store::now()),
        controls: Some(imported.results.len()),
    };
    // Controls of other catalogs (NIST's `ac-6.1`, say) stay in the evidence file; only
    // ours become results, each with the file joining the evidence it already has. The
    // file's record and the results are written together.
    let evidence_id = cloudward_store::new_id();
    let mut a = a;
    let mut unknown = Vec::new();
    let mut recorded = 0;
    for (control, result) in imported.results {
        if state.content.catalog.control(&control).is_none() {
            unknown.push(control);
            continue;
        }
        let previous = a.results.get(&control);
        let mut evidence = previous.map(|r| r.evidence.clone()).unwrap_or_default();
        evidence.push(evidence_id.clone());
        let provider_response = previous.and_then(|r| r.provider_response.clone());
        a.results.insert(
            control,
            cloudward_domain::workflow::ControlAssessment {
                result: result.result,
                notes: result.notes,
                evidence,
                provider_response,
            },
        );
        recorded += 1;
    }
    let written = state
        .store
        .apply_records(
            &p.actor,
            vec![
                cloudward_store::NewRecord::new(
                    "assessment_evidence",
                    org.id.clone(),
                    crate::workflow::to_value(&file)?,
                )
                .with_id(evidence_id.clone())
                .under(id.clone()),
            ],
            vec![cloudward_store::RecordChange::of(
                &r,
                crate::workflow::to_value(&a)?,
            )],
        )
        .await?;
    let assessment = written
        .last()
        .ok_or_else(ApiError::internal)
        .and_then(|w| crate::services::assessments::view(&state, w, true))?;
    Ok(axum::Json(OscalImportView {
        evidence_id,
        sha256: sha,
        recorded,
        not_in_catalog: unknown,
        assessment,
    })
    .into_response())
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
