//! The bytes of filed files (evidence, uploaded scans, imported OSCAL results), kept by
//! their SHA-256 in the database or on disk in the data directory, and checked against the
//! hash again when read.

use std::path::PathBuf;

use cloudward_store::Blob;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

/// Where evidence bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceStorage {
    #[default]
    Database,
    Disk,
}

fn disk_path(state: &AppState, sha: &str) -> PathBuf {
    let (a, b) = sha.split_at(2.min(sha.len()));
    state.config.data_dir.join("evidence").join(a).join(b)
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
