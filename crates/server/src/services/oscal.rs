//! OSCAL documents of what the caller may see: the catalog, the profile of a level, an
//! engagement as a system security plan or a POA&M, an offering as a component definition,
//! an assessment or a scan run as assessment results — the documents `cloudward oscal
//! export` writes, from the same functions — and the import of another tool's assessment
//! results into an assessment, kept as evidence.

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::{Lang, ProtectionLevel, engagement};
use cloudward_oscal::export;
use cloudward_oscal::model::Document;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::{engagement, export_text};

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The control catalog as an OSCAL catalog, last modified at `ts`.
pub fn catalog(state: &AppState, p: &Principal, ts: &str) -> ApiResult<Document> {
    p.may(Action::OscalCatalog, Rel::Unscoped)?;
    Ok(export::catalog(&state.content.catalog, ts, version()))
}

/// The profile of a protection level (`general`, `enhanced`, `advanced`; another is 404).
pub fn profile(state: &AppState, p: &Principal, level: &str, ts: &str) -> ApiResult<Document> {
    p.may(Action::OscalProfile, Rel::Unscoped)?;
    let level = ProtectionLevel::parse(level).ok_or_else(ApiError::not_found)?;
    Ok(export::profile(
        &state.content.catalog,
        level,
        ts,
        version(),
    ))
}

/// The engagement, checked as `cloudward check` checks its exported file.
async fn evaluated(
    state: &AppState,
    p: &Principal,
    id: &str,
    date: Option<&str>,
    ts: &str,
    action: Action,
) -> ApiResult<(engagement::EngagementFile, check::Report)> {
    let e = engagement(state, p, id, action).await?;
    let day = date.unwrap_or(ts.get(..10).unwrap_or_default());
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("api.bad_date").arg("value", day))?;
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

/// An engagement as a system security plan, evaluated on `date` (the timestamp's day by
/// default).
pub async fn ssp(
    state: &AppState,
    p: &Principal,
    id: &str,
    date: Option<&str>,
    ts: &str,
) -> ApiResult<Document> {
    let (file, report) = evaluated(state, p, id, date, ts, Action::OscalSsp).await?;
    Ok(export::ssp(&state.content, &file, &report, ts, version()))
}

/// An engagement's open blockers and warnings as a plan of action and milestones, in `lang`.
pub async fn poam(
    state: &AppState,
    p: &Principal,
    id: &str,
    date: Option<&str>,
    ts: &str,
    lang: Lang,
) -> ApiResult<Document> {
    let (file, report) = evaluated(state, p, id, date, ts, Action::OscalPoam).await?;
    let render = |f: &check::Finding| f.message(&state.content, &state.messages, lang);
    Ok(export::poam(&file, &report, &render, None, ts, version()))
}

/// An offering (published, or the caller's own) as a component definition.
pub async fn component(state: &AppState, p: &Principal, id: &str, ts: &str) -> ApiResult<Document> {
    let r = crate::services::offerings::offering_record(state, p, id, Action::OfferingComponent)
        .await?;
    let offering = crate::services::offerings::offering_of(&r)?;
    Ok(export::component(&state.content, &offering, ts, version()))
}

/// An assessment's results per control (for those who may see its details: its provider,
/// its assessor, and customers the provider granted).
pub async fn assessment_results(
    state: &AppState,
    p: &Principal,
    id: &str,
    ts: &str,
) -> ApiResult<Document> {
    let (_, a, _) = crate::services::assessments::assessment_access(
        state,
        p,
        id,
        Action::AssessmentOscalResults,
    )
    .await?;
    let offering = match state.store.get_record("offering", &a.offering_id).await? {
        Some(r) => crate::services::offerings::offering_of(&r)?.name,
        None => String::new(),
    };
    let assessor = state
        .store
        .get_org(&a.assessor_org_id)
        .await?
        .map(|o| o.name);
    let file = cloudward_oscal::results::AssessmentFile {
        offering,
        provider: None,
        assessor,
        conclusion: a.conclusion,
        results: a.results,
    };
    Ok(export::assessment_results(&file, ts, version()))
}

/// A stored scan run as assessment results: each failing check an observation about a
/// resource, each control the scan looked at a finding.
pub async fn scan_results(
    state: &AppState,
    p: &Principal,
    id: &str,
    ts: &str,
) -> ApiResult<Document> {
    let (r, run) = crate::services::scans::visible_run(state, p, id, Action::ScanRunOscal).await?;
    let bytes = crate::services::scans::run_report(state, &run).await?;
    let text = std::str::from_utf8(&bytes).map_err(ApiError::internal_from)?;
    let report = cloudward_oscal::scan::parse(text).map_err(|e| {
        tracing::error!(error = %e, run = %r.id, "stored scan report unreadable");
        ApiError::internal()
    })?;
    Ok(cloudward_oscal::scan::assessment_results(
        &report, &r.id, ts,
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
/// result is recorded with that evidence, in one transaction.
pub async fn import_results(
    state: &AppState,
    p: &Principal,
    id: &str,
    body: &[u8],
) -> ApiResult<OscalImportView> {
    // The assessor's members, on an assessment not yet concluded: decided before anything
    // is kept.
    let (r, a) =
        crate::services::assessments::assessor_editing(state, p, id, Action::AssessmentOscalImport)
            .await?;
    let org = p.org()?;
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("api.not_utf8"))?;
    let doc = cloudward_oscal::read::read(text)
        .map_err(|e| ApiError::bad_request("oscal.import_failed").arg("detail", e.to_string()))?;
    let imported = cloudward_oscal::results::from_document(&doc)
        .map_err(|e| ApiError::bad_request("oscal.import_failed").arg("detail", e.to_string()))?;
    let (sha, size) =
        crate::blobs::keep_blob(state, p, None, body.to_vec(), "application/json").await?;
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
        let waiver = previous.and_then(|r| r.waiver.clone());
        a.results.insert(
            control,
            cloudward_domain::workflow::ControlAssessment {
                result: result.result,
                notes: result.notes,
                evidence,
                provider_response,
                waiver,
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
                    crate::services::support::to_value(&file)?,
                )
                .with_id(evidence_id.clone())
                .under(id.to_owned()),
            ],
            vec![cloudward_store::RecordChange::of(
                &r,
                crate::services::support::to_value(&a)?,
            )],
        )
        .await?;
    let assessment = written
        .last()
        .ok_or_else(ApiError::internal)
        .and_then(|w| crate::services::assessments::view(state, w, true))?;
    Ok(OscalImportView {
        evidence_id,
        sha256: sha,
        recorded,
        not_in_catalog: unknown,
        assessment,
    })
}
