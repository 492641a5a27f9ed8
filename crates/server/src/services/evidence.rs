//! Evidence: files an engagement's parties attach to a control, a contract clause, a risk
//! or an exit step, and the files an assessor attaches to its results. Bytes are kept by
//! their SHA-256 (`blobs::keep_blob`), their type sniffed from the bytes.

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_store::{NewRecord, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::blobs::{keep_blob, read_blob};
use crate::error::{ApiError, ApiResult};
use crate::services::assessments::{assessment_access, assessor_editing};
use crate::services::support::{acting, parse_data, to_value};

/// An engagement's evidence file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: String,
    pub evidence: EvidenceData,
}

/// What a file is evidence for.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    /// control, clause, risk, exit_step or output
    pub target_kind: String,
    pub target: String,
    pub name: String,
    /// The date the evidence speaks for; the upload date by default.
    pub effective_date: Option<NaiveDate>,
}

pub(crate) fn accepted_type(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request("api.empty_file"));
    }
    sniff(bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "api.evidence_type",
        )
    })
}

/// Files `bytes` as evidence of engagement `id`. The name, the target and the type are
/// checked first (400, 415), nothing is kept of a refused file.
pub async fn upload(
    state: &AppState,
    p: &Principal,
    id: &str,
    new: NewEvidence,
    bytes: Vec<u8>,
) -> ApiResult<EvidenceView> {
    let (e, _) = acting(state, p, id, Action::EvidenceUpload).await?;
    let (record, data) = evidence_record(state, p, &e, new, bytes).await?;
    let r = state.store.create_record(&p.actor, record).await?;
    Ok(EvidenceView {
        id: r.id,
        evidence: data,
    })
}

/// The record of an evidence file of engagement `e`, its bytes kept; the name, the target
/// and the type are checked first (400, 415), nothing is kept of a refused file.
pub(crate) async fn evidence_record(
    state: &AppState,
    p: &Principal,
    e: &cloudward_store::Engagement,
    new: NewEvidence,
    bytes: Vec<u8>,
) -> ApiResult<(NewRecord, EvidenceData)> {
    check_file_name(&new.name)?;
    check_target(state, &new.target_kind, &new.target)?;
    let media_type = accepted_type(&bytes)?;
    let (sha, size) = keep_blob(state, p, Some(&e.id), bytes, media_type).await?;
    let data = EvidenceData {
        sha256: sha,
        size,
        media_type: media_type.to_owned(),
        name: new.name,
        target_kind: new.target_kind,
        target: new.target,
        uploaded_by: p.actor.id.clone(),
        effective_date: new
            .effective_date
            .unwrap_or_else(|| chrono::Utc::now().date_naive()),
        uploaded_at: cloudward_store::stamp(cloudward_store::now()),
    };
    let record = NewRecord::new("evidence", p.org()?.id.clone(), to_value(&data)?)
        .of_engagement(e.id.clone());
    Ok((record, data))
}

/// The evidence of engagement `id`, oldest first.
pub async fn list(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<EvidenceView>> {
    let e = crate::services::engagements::engagement(state, p, id, Action::EvidenceList).await?;
    state
        .store
        .list_records("evidence", &RecordFilter::engagement(&e.id))
        .await?
        .iter()
        .map(|r| {
            Ok(EvidenceView {
                id: r.id.clone(),
                evidence: parse_data(r)?,
            })
        })
        .collect()
}

/// A file of an assessment: attached by the assessor to a control's result, or an OSCAL
/// assessment-results file it imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentFileData {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub name: String,
    /// The control whose result it supports (files attached to a result).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// upload or oscal
    pub source: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// How many controls an imported OSCAL file gave results for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controls: Option<usize>,
}

/// An assessment's file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentFileView {
    pub id: String,
    pub evidence: AssessmentFileData,
}

/// A file attached to a result, and the assessment's version after it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachedView {
    pub id: String,
    pub evidence: AssessmentFileData,
    pub assessment_version: i64,
}

/// The assessor attaches `bytes` to `control` (until it concludes, 409 after): the file's
/// record and the result that lists it, if the control has one yet, are written together.
/// A file attached before the result is listed with it when the result is recorded (a
/// result said to be met needs evidence, so the file may well come first).
pub async fn attach_to_result(
    state: &AppState,
    p: &Principal,
    id: &str,
    control: &str,
    name: &str,
    bytes: Vec<u8>,
) -> ApiResult<AttachedView> {
    let (r, mut a) = assessor_editing(state, p, id, Action::AssessmentEvidenceUpload).await?;
    check_file_name(name)?;
    let control = state
        .content
        .catalog
        .control(control)
        .map(|c| c.id.clone())
        .ok_or_else(|| ApiError::bad_request("api.unknown_control").arg("id", control))?;
    let media_type = accepted_type(&bytes)?;
    let (sha, size) = keep_blob(state, p, None, bytes, media_type).await?;
    let data = AssessmentFileData {
        sha256: sha,
        size,
        media_type: media_type.to_owned(),
        name: name.to_owned(),
        control: Some(control.clone()),
        source: "upload".into(),
        uploaded_by: p.actor.id.clone(),
        uploaded_at: cloudward_store::stamp(cloudward_store::now()),
        controls: None,
    };
    let evidence_id = cloudward_store::new_id();
    let mut changes = Vec::new();
    let listed = a.results.contains_key(&control);
    if let Some(result) = a.results.get_mut(&control) {
        result.evidence.push(evidence_id.clone());
        changes.push(RecordChange::of(&r, to_value(&a)?));
    }
    let written = state
        .store
        .apply_records(
            &p.actor,
            vec![
                NewRecord::new("assessment_evidence", p.org()?.id.clone(), to_value(&data)?)
                    .with_id(evidence_id.clone())
                    .under(id.to_owned()),
            ],
            changes,
        )
        .await?;
    Ok(AttachedView {
        id: evidence_id,
        evidence: data,
        // The result's update comes after the file's creation.
        assessment_version: match written.last() {
            Some(u) if listed => u.version,
            _ => r.version,
        },
    })
}

/// An assessment's files, if the caller sees its details.
pub async fn assessment_files(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<Vec<AssessmentFileView>> {
    assessment_access(state, p, id, Action::AssessmentEvidenceList).await?;
    state
        .store
        .list_records(
            "assessment_evidence",
            &RecordFilter {
                parent_id: Some(id.to_owned()),
                ..Default::default()
            },
        )
        .await?
        .iter()
        .map(|r| {
            Ok(AssessmentFileView {
                id: r.id.clone(),
                evidence: parse_data(r)?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceData {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub name: String,
    /// control, clause, risk, exit_step or output
    pub target_kind: String,
    pub target: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// The date the evidence speaks for (a report's date), distinct from the upload.
    pub effective_date: NaiveDate,
}

const EXIT_STEPS: [&str; 5] = ["plan", "scope", "manifest", "attestation", "confirmation"];

/// The media type from the bytes: the formats evidence comes in, or refusal.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(bytes) {
        let mime = kind.mime_type();
        return crate::download::BINARY_TYPES
            .iter()
            .find(|m| **m == mime)
            .copied();
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        return Some("application/json");
    }
    Some("text/plain; charset=utf-8")
}

pub(crate) fn check_target(state: &AppState, kind: &str, target: &str) -> ApiResult<()> {
    let ok = match kind {
        "control" => state.content.catalog.control(target).is_some(),
        "clause" => state
            .content
            .guide
            .contract_clauses
            .iter()
            .any(|c| c.id == target),
        "risk" => !target.trim().is_empty(),
        "exit_step" => EXIT_STEPS.contains(&target),
        "output" => state.content.guide.output(target).is_some(),
        _ => {
            return Err(ApiError::bad_request("api.bad_evidence_target")
                .arg("field", "target_kind")
                .arg("value", kind)
                .arg("accepted", "control, clause, risk, exit_step, output"));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("api.unknown_evidence_target")
            .arg("field", "target")
            .arg("kind", kind)
            .arg("id", target))
    }
}

/// A file's name as given at upload: 1–255 characters, none of them a control character
/// (line breaks included) or a direction mark; 400 naming the field otherwise.
pub fn check_file_name(name: &str) -> ApiResult<()> {
    let n = name.chars().count();
    let ok = (1..=255).contains(&n)
        && !name.trim().is_empty()
        && !name
            .chars()
            .any(|c| c.is_control() || crate::download::is_bidi_control(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("api.bad_file_name").arg("field", "name"))
    }
}

/// An engagement's evidence file for download: its name, media type and bytes (for those
/// who see its engagement).
pub async fn download(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(String, String, Vec<u8>)> {
    let r = crate::services::engagements::record_of(state, "evidence", id).await?;
    // A file is seen by those who see its engagement; no file, no engagement to see.
    let of = r
        .as_ref()
        .and_then(|r| r.engagement_id.clone())
        .unwrap_or_default();
    crate::services::engagements::engagement(state, p, &of, Action::EvidenceDownload).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let data: EvidenceData = parse_data(&r)?;
    let (media_type, bytes) = read_blob(state, &data.sha256).await?;
    Ok((data.name, media_type, bytes))
}

/// A file of an assessment for download: its name, media type and bytes (for those who
/// see the assessment's details).
pub async fn download_assessment_file(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(String, String, Vec<u8>)> {
    let r = crate::services::engagements::record_of(state, "assessment_evidence", id).await?;
    // Seen by those who see the assessment's details; no file, no assessment to see.
    let parent = r
        .as_ref()
        .and_then(|r| r.parent_id.clone())
        .unwrap_or_default();
    assessment_access(state, p, &parent, Action::AssessmentEvidenceDownload).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let data: AssessmentFileData = parse_data(&r)?;
    let (media_type, bytes) = read_blob(state, &data.sha256).await?;
    Ok((data.name, media_type, bytes))
}
