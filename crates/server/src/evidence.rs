//! Evidence files: attached to a control, a contract clause, a risk or an exit step of an
//! engagement; stored by content (SHA-256) in the database or on disk in the data
//! directory; the type is sniffed from the bytes, not taken from the client; only those who
//! see the engagement may download them.

use std::path::PathBuf;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use cloudward_store::Blob;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::engagement;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::evidence as services;

/// Where evidence bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceStorage {
    #[default]
    Database,
    Disk,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceData {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub name: String,
    /// control, clause, risk or exit_step
    pub target_kind: String,
    pub target: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    /// The date the evidence speaks for (a report's date), distinct from the upload.
    pub effective_date: NaiveDate,
}

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

fn disk_path(state: &AppState, sha: &str) -> PathBuf {
    let (a, b) = sha.split_at(2.min(sha.len()));
    state.config.data_dir.join("evidence").join(a).join(b)
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
        _ => {
            return Err(ApiError::bad_request("api.bad_evidence_target")
                .arg("value", kind)
                .arg("accepted", "control, clause, risk, exit_step"));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("api.unknown_evidence_target")
            .arg("kind", kind)
            .arg("id", target))
    }
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

/// Keeps bytes by their SHA-256 (in the database or on disk, as configured) and records
/// the filing in the audit log; returns the hash and the size.
pub(crate) async fn keep_blob(
    state: &AppState,
    p: &Principal,
    engagement_id: Option<&str>,
    bytes: Vec<u8>,
    media_type: &str,
) -> ApiResult<(String, i64)> {
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    let size = i64::try_from(bytes.len()).map_err(ApiError::internal_from)?;
    let content = match state.config.evidence_storage {
        EvidenceStorage::Database => Some(bytes),
        EvidenceStorage::Disk => {
            let path = disk_path(state, &sha);
            if !path.exists() {
                // The folder of the blobs and the blobs themselves: for the server alone.
                write_atomically(path, bytes).await?;
            }
            None
        }
    };
    state
        .store
        .put_blob(
            &p.actor,
            engagement_id,
            Blob {
                sha256: sha.clone(),
                size,
                media_type: media_type.to_owned(),
                content,
            },
        )
        .await?;
    Ok((sha, size))
}

/// The bytes kept under a hash and their media type; refuses bytes that no longer match it.
pub(crate) async fn read_blob(state: &AppState, sha256: &str) -> ApiResult<(String, Vec<u8>)> {
    let blob = state
        .store
        .get_blob(sha256)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let bytes = match blob.content {
        Some(b) => b,
        None => tokio::fs::read(disk_path(state, sha256))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, sha256 = %sha256, "stored file missing on disk");
                ApiError::internal()
            })?,
    };
    // The stored bytes must still be what was filed.
    if hex::encode(sha2::Sha256::digest(&bytes)) != sha256 {
        tracing::error!(sha256 = %sha256, "stored file does not match its hash");
        return Err(ApiError::internal());
    }
    Ok((blob.media_type, bytes))
}

async fn write_atomically(path: PathBuf, bytes: Vec<u8>) -> ApiResult<()> {
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir)?;
        }
        let tmp = path.with_extension("part");
        {
            use std::io::Write as _;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)
    })
    .await
    .map_err(ApiError::internal_from)?
    .map_err(|e| {
        tracing::error!(error = %e, "evidence not written");
        ApiError::internal()
    })
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
    let r = crate::api::record_of(&state, "evidence", &id).await?;
    // A file is seen by those who see its engagement; no file, no engagement to see.
    let of = r
        .as_ref()
        .and_then(|r| r.engagement_id.clone())
        .unwrap_or_default();
    engagement(&state, &p, &of, Action::EvidenceDownload).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let data: EvidenceData =
        serde_json::from_value(r.data.clone()).map_err(ApiError::internal_from)?;
    let (media_type, bytes) = read_blob(&state, &data.sha256).await?;
    Ok(attachment(&data.name, media_type, bytes))
}

/// A stored file as a download under its name (always an attachment).
fn attachment(name: &str, media_type: String, bytes: Vec<u8>) -> Response {
    crate::download::attachment(name, "evidence", &media_type, bytes)
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

// ---------------------------------------------------------------- an assessment's evidence

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AssessmentUploadQuery {
    /// The control whose result the file supports (it must have a result).
    pub control: String,
    pub name: String,
    pub lang: Option<String>,
}

/// The assessor attaches a file to its result for a control (until it concludes): kept by
/// SHA-256 (named in the audit log) and listed with the result.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/evidence", tag = "workflow", params(AssessmentUploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = services::AttachedView), (status = 400, description = "unknown control, or no result for it yet"),
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
    let r = crate::api::record_of(&state, "assessment_evidence", &id).await?;
    // Seen by those who see the assessment's details; no file, no assessment to see.
    let parent = r
        .as_ref()
        .and_then(|r| r.parent_id.clone())
        .unwrap_or_default();
    crate::workflow::assessment_access(&state, &p, &parent, Action::AssessmentEvidenceDownload)
        .await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let data: services::AssessmentFileData = crate::workflow::parse_data(&r)?;
    let (media_type, bytes) = read_blob(&state, &data.sha256).await?;
    Ok(attachment(&data.name, media_type, bytes))
}

pub fn routes(limit: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/engagements/{id}/evidence",
            get(list)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/evidence/{id}/content", get(download))
        .route(
            "/api/v1/assessments/{id}/evidence",
            get(list_for_assessment)
                .post(upload_for_assessment)
                .layer(axum::extract::DefaultBodyLimit::max(limit)),
        )
        .route(
            "/api/v1/assessment-evidence/{id}/content",
            get(download_for_assessment),
        )
}
