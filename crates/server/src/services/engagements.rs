//! Engagements: filing one (from the form, the API's JSON or an engagement file), and
//! replacing its file. Each returns the engagement as stored.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use cloudward_domain::engagement::{self, EngagementFile};
use cloudward_store::EngagementData;

use crate::AppState;
use crate::api::{EngagementView, parties, summarise, view};
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};

/// Files a new engagement of the caller's (customer) organisation, naming `given_parties`
/// (seat → organisation id).
pub async fn create(
    state: &AppState,
    p: &Principal,
    file: &EngagementFile,
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    p.may(Action::EngagementCreate, Rel::Unscoped)?;
    file_new(state, p, file, given_parties).await
}

/// Files a new engagement from an engagement file's text (YAML or JSON, as `cloudward
/// check` reads it); a malformed file is 400 with its line and column.
pub async fn import(
    state: &AppState,
    p: &Principal,
    text: &[u8],
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    p.may(Action::EngagementImport, Rel::Unscoped)?;
    let file = parse_text(text)?;
    file_new(state, p, &file, given_parties).await
}

/// An engagement file's text as `cloudward check` reads it; a malformed file is 400 with
/// its line and column.
fn parse_text(text: &[u8]) -> ApiResult<EngagementFile> {
    let text = std::str::from_utf8(text).map_err(|_| ApiError::bad_request("api.not_utf8"))?;
    engagement::parse(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("{}:{}", l.line(), l.column()))
            .unwrap_or_else(|| "?".into());
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_file", "api.invalid_file")
            .arg("at", at)
            .arg("detail", e.to_string())
    })
}

/// Replaces the file of engagement `id` with a file's text (the console's file editor),
/// if `version` is still current. Who may is asked before the text is read: a stranger
/// learns nothing from a parse error.
pub async fn replace_text(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    text: &[u8],
) -> ApiResult<EngagementView> {
    crate::api::engagement(state, p, id, Action::EngagementUpdate).await?;
    let file = parse_text(text)?;
    let document = serde_json::to_value(&file).map_err(ApiError::internal_from)?;
    // The same checks as a file sent to the API.
    let file = crate::api::parse_document(&document)?;
    update(state, p, id, version, &file, None).await
}

async fn file_new(
    state: &AppState,
    p: &Principal,
    file: &EngagementFile,
    given_parties: &BTreeMap<String, String>,
) -> ApiResult<EngagementView> {
    let (phase, level) = summarise(file)?;
    let org = &p.org()?.id;
    let quota = state.config.max_engagements_per_org;
    if state.store.count_owned_engagements(org).await? >= quota {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "quota_exceeded",
            "api.engagement_quota",
        )
        .arg("limit", quota));
    }
    let parties = parties(state, given_parties).await?;
    let document = serde_json::to_value(file).map_err(ApiError::internal_from)?;
    let e = state
        .store
        .create_engagement(
            &p.actor,
            org,
            EngagementData {
                name: file.name.clone(),
                phase,
                level,
                document,
                parties,
            },
        )
        .await?;
    Ok(view(e, true))
}

/// Replaces the file of engagement `id` (and its parties, when given) if `version` is
/// still current (409 otherwise).
pub async fn update(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: i64,
    file: &EngagementFile,
    given_parties: Option<&BTreeMap<String, String>>,
) -> ApiResult<EngagementView> {
    let current = crate::api::engagement(state, p, id, Action::EngagementUpdate).await?;
    let (phase, level) = summarise(file)?;
    let parties = match given_parties {
        Some(given) => parties(state, given).await?,
        None => current.parties.clone(),
    };
    let document = serde_json::to_value(file).map_err(ApiError::internal_from)?;
    let e = state
        .store
        .update_engagement(
            &p.actor,
            id,
            version,
            EngagementData {
                name: file.name.clone(),
                phase,
                level,
                document,
                parties,
            },
        )
        .await?;
    Ok(view(e, true))
}
