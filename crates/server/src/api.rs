//! `/api/v1/engagements`: create, read, update, delete, import and export the engagement
//! file, classification, check, and the responsibility matrix with its confirmations.
//!
//! Access: an engagement is visible to its customer organisation and to the organisations
//! named as its parties; to anyone else it does not exist (404). The customer's members
//! change it; each party confirms its own rows of the matrix.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use cloudward_store::EngagementFilter;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services::engagements;

/// A JSON body whose errors name the field: `400` with the JSON path, `413` past the limit,
/// `415` when it is not JSON.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> ApiResult<ApiJson<T>> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "api.expected_json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "api.too_large")
                    .arg("limit", state.config.body_limit)
            } else {
                ApiError::bad_request("api.unreadable_body")
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| invalid_json(&e.path().to_string(), e.inner()))
    }
}

pub(crate) fn invalid_json(path: &str, e: &serde_json::Error) -> ApiError {
    let field = if path == "." || path.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{path}")
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", "api.invalid_json")
        .arg("field", field)
        .arg("detail", e.to_string())
}

/// A list filter's value that is none of those `accepted`.
fn bad_filter<const N: usize>(name: &str, value: &str, accepted: [&str; N]) -> ApiError {
    ApiError::bad_request("api.bad_filter")
        .arg("name", name)
        .arg("value", value)
        .arg("accepted", accepted.join(", "))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// planning, selection, operation, exit, closed
    pub phase: Option<String>,
    /// general, enhanced, advanced
    pub level: Option<String>,
    /// 1–200, default 50
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub lang: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEngagement {
    /// The engagement file as JSON.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// provider / assessor / security_service_provider → organisation id.
    #[serde(default)]
    pub parties: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEngagement {
    /// The version read; the update is refused with 409 if it is no longer current.
    pub version: i64,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// Replaces the parties when given.
    pub parties: Option<BTreeMap<String, String>>,
}

/// List the engagements the caller's organisation may see.
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagements", params(ListQuery),
    responses((status = 200, body = engagements::EngagementPage)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<engagements::EngagementPage>> {
    let phase =
        match &q.phase {
            None => None,
            Some(v) => Some(cloudward_store::Phase::parse(v).ok_or_else(|| {
                bad_filter("phase", v, cloudward_store::Phase::ALL.map(|p| p.id()))
            })?),
        };
    let level = match &q.level {
        None => None,
        Some(v) => Some(cloudward_store::ProtectionLevel::parse(v).ok_or_else(|| {
            bad_filter(
                "level",
                v,
                cloudward_store::ProtectionLevel::ALL.map(|l| l.id()),
            )
        })?),
    };
    let filter = EngagementFilter {
        phase,
        level,
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0).max(0),
    };
    Ok(Json(engagements::list(&state, &p, filter).await?))
}

/// Create an engagement owned by the caller's (customer) organisation.
#[utoipa::path(post, path = "/api/v1/engagements", tag = "engagements", request_body = CreateEngagement,
    responses((status = 201, body = engagements::EngagementView), (status = 400, description = "invalid document, naming the field"), (status = 409, description = "the organisation holds its quota of engagements")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateEngagement>,
) -> ApiResult<Response> {
    p.may(Action::EngagementCreate, Rel::Unscoped)?;
    let file = engagements::parse_document(&req.document)?;
    let e = engagements::create(&state, &p, &file, &req.parties).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Read one engagement with its file.
#[utoipa::path(get, path = "/api/v1/engagements/{id}", tag = "engagements",
    responses((status = 200, body = engagements::EngagementView), (status = 404, description = "no such engagement, or not yours")))]
pub async fn get_one(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let e = engagements::read(&state, &p, &id).await?;
    let etag = format!("\"{}\"", e.version);
    Ok(([(header::ETAG, etag)], Json(e)).into_response())
}

/// Replace the engagement's file (and parties), if `version` is current.
#[utoipa::path(put, path = "/api/v1/engagements/{id}", tag = "engagements", request_body = UpdateEngagement,
    responses((status = 200, body = engagements::EngagementView), (status = 409, description = "changed since it was read")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateEngagement>,
) -> ApiResult<Json<engagements::EngagementView>> {
    // Who may is decided before the file is read: another tenant's engagement is not
    // there to be told its file is wrong.
    engagements::engagement(&state, &p, &id, Action::EngagementUpdate).await?;
    let file = engagements::parse_document(&req.document)?;
    let e = engagements::update(&state, &p, &id, req.version, &file, req.parties.as_ref()).await?;
    Ok(Json(e))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteQuery {
    /// When given, the delete is refused with 409 unless it is the current version.
    pub version: Option<i64>,
    pub lang: Option<String>,
}

/// Delete an engagement (organisation administrators of the customer).
#[utoipa::path(delete, path = "/api/v1/engagements/{id}", tag = "engagements", params(DeleteQuery),
    responses((status = 204), (status = 409, description = "changed since it was read")))]
pub async fn delete(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    engagements::delete(&state, &p, &id, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    pub provider: Option<String>,
    pub assessor: Option<String>,
    pub security_service_provider: Option<String>,
    pub lang: Option<String>,
}

/// Create an engagement from an engagement file (YAML or JSON text, as `cloudward check`
/// reads it). Parties are named in the query.
#[utoipa::path(post, path = "/api/v1/engagements/import", tag = "engagements", params(ImportQuery),
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 201, body = engagements::EngagementView), (status = 400, description = "malformed file, with line and column")))]
pub async fn import(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let mut given = BTreeMap::new();
    for (seat, value) in [
        ("provider", q.provider),
        ("assessor", q.assessor),
        ("security_service_provider", q.security_service_provider),
    ] {
        if let Some(v) = value {
            given.insert(seat.to_owned(), v);
        }
    }
    let e = engagements::import(&state, &p, &body, &given).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Export the engagement file (YAML), for git and `cloudward check`.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/export", tag = "engagements",
    responses((status = 200, content_type = "application/yaml", body = String)))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let text = engagements::export(&state, &p, &id).await?;
    Ok(crate::download::attachment(
        "engagement.yaml",
        "engagement.yaml",
        "application/yaml; charset=utf-8",
        text,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CheckQuery {
    /// Evaluate as of this date (YYYY-MM-DD); today by default.
    pub date: Option<String>,
    pub lang: Option<String>,
}

/// Evaluate the engagement: the same report as `cloudward check --format json`.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/check", tag = "engagements", params(CheckQuery),
    responses((status = 200, description = "the check report"), (status = 422, description = "the file does not validate")))]
pub async fn check(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> ApiResult<Json<serde_json::Value>> {
    let date = match q.date.as_deref() {
        None => chrono::Local::now().date_naive(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request("api.bad_date").arg("value", d))?,
    };
    let lang = crate::request_lang(uri.query(), &headers);
    Ok(Json(engagements::check(&state, &p, &id, date, lang).await?))
}

/// The protection level and what it allows (guide §6.5).
#[utoipa::path(get, path = "/api/v1/engagements/{id}/classification", tag = "engagements",
    responses((status = 200, body = engagements::ClassificationView), (status = 422, description = "no information types yet")))]
pub async fn classification(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<engagements::ClassificationView>> {
    Ok(Json(engagements::classification(&state, &p, &id).await?))
}

/// The responsibility matrix with who confirmed which row.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/responsibility", tag = "engagements",
    responses((status = 200, body = engagements::ResponsibilityView)))]
pub async fn responsibility(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<engagements::ResponsibilityView>> {
    Ok(Json(engagements::responsibility(&state, &p, &id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// The row, `layer/FAMILY`.
    pub element: String,
}

/// Confirm a row of the matrix on behalf of the caller's party.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/responsibility/confirm", tag = "engagements",
    request_body = ConfirmRequest,
    responses((status = 200, body = crate::services::lifecycle::ConfirmationView), (status = 403, description = "not a row of the caller's party")))]
pub async fn confirm(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> ApiResult<Json<crate::services::lifecycle::ConfirmationView>> {
    Ok(Json(
        crate::services::lifecycle::confirm(&state, &p, &id, &req.element).await?,
    ))
}

/// Confirm every row of the matrix the caller's party takes part in and has not confirmed
/// as it reads now; the rows confirmed.
#[utoipa::path(post, path = "/api/v1/engagements/{id}/responsibility/confirm-all", tag = "engagements",
    responses((status = 200, body = Vec<crate::services::lifecycle::ConfirmationView>)))]
pub async fn confirm_all(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<crate::services::lifecycle::ConfirmationView>>> {
    Ok(Json(
        crate::services::lifecycle::confirm_all(&state, &p, &id).await?,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/engagements", get(list).post(create))
        .route("/api/v1/engagements/import", post(import))
        .route(
            "/api/v1/engagements/{id}",
            get(get_one).put(update).delete(delete),
        )
        .route("/api/v1/engagements/{id}/export", get(export))
        .route("/api/v1/engagements/{id}/check", get(check))
        .route(
            "/api/v1/engagements/{id}/classification",
            get(classification),
        )
        .route(
            "/api/v1/engagements/{id}/responsibility",
            get(responsibility),
        )
        .route(
            "/api/v1/engagements/{id}/responsibility/confirm",
            post(confirm),
        )
        .route(
            "/api/v1/engagements/{id}/responsibility/confirm-all",
            post(confirm_all),
        )
}
