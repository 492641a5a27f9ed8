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
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::classify::{self, Refusal};
use cloudward_domain::engagement::{self, EngagementFile};
use cloudward_domain::responsibility::{Matrix, Override};
use cloudward_store::{Confirmation, Engagement, EngagementFilter, Party};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::services;

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

/// An engagement as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementView {
    pub id: String,
    pub name: String,
    pub customer_org_id: String,
    /// planning, selection, operation, exit or closed
    #[schema(value_type = String)]
    pub phase: cloudward_store::Phase,
    /// general, enhanced or advanced
    #[schema(value_type = Option<String>)]
    pub level: Option<cloudward_store::ProtectionLevel>,
    /// Send it back when updating: a stale version gets 409.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// provider / assessor / security_service_provider → organisation id.
    pub parties: BTreeMap<String, String>,
    /// The engagement file (see `cloudward schema engagement`); in single reads only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<serde_json::Value>,
}

pub(crate) fn view(e: Engagement, with_document: bool) -> EngagementView {
    EngagementView {
        id: e.id,
        name: e.name,
        customer_org_id: e.customer_org_id,
        phase: e.phase,
        level: e.level,
        version: e.version,
        created_at: e.created_at,
        updated_at: e.updated_at,
        parties: e
            .parties
            .into_iter()
            .map(|(p, o)| (p.id().to_owned(), o))
            .collect(),
        document: with_document.then_some(e.document),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementPage {
    pub items: Vec<EngagementView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
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

/// The engagement file from its JSON form, naming the field that is wrong.
pub(crate) fn parse_document(doc: &serde_json::Value) -> ApiResult<EngagementFile> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        invalid_json(&format!("document.{path}"), e.inner())
    })
}

/// Phase and level as stored for filtering; a classified system is refused.
pub(crate) fn summarise(
    file: &EngagementFile,
) -> ApiResult<(
    cloudward_store::Phase,
    Option<cloudward_store::ProtectionLevel>,
)> {
    let level = match classify::classify(&file.information, file.business) {
        Ok(r) => Some(r.level),
        Err(Refusal::Classified) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                "check.refused",
            ));
        }
        Err(Refusal::NoInformation) => None,
    };
    Ok((file.phase, level))
}

pub(crate) async fn parties(
    state: &AppState,
    given: &BTreeMap<String, String>,
) -> ApiResult<Vec<(Party, String)>> {
    let mut out = Vec::new();
    for (seat, org_id) in given {
        let Some(party) = Party::parse(seat) else {
            return Err(ApiError::bad_request("api.bad_party_seat").arg("seat", seat));
        };
        let org = state.store.get_org(org_id).await?;
        if org.as_ref().map(|o| o.kind) != Some(party.org_kind()) {
            return Err(ApiError::bad_request("api.bad_party")
                .arg("seat", seat)
                .arg("kind", party.org_kind().id()));
        }
        out.push((party, org_id.clone()));
    }
    Ok(out)
}

/// The engagement `id` for `action`, with how the caller relates to it. It is loaded with
/// the caller's organisation (another tenant's engagement does not load), then the
/// authorisation table decides: not there for the caller is 404, a seat or role without
/// the right is 403.
pub(crate) async fn engagement_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Engagement, Rel)> {
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let e = match org {
        Some(org) => state.store.visible_engagement(id, org).await?,
        None => None,
    };
    let rel = authz::engagement_rel(org, e.as_ref());
    p.may(action, rel)?;
    e.map(|e| (e, rel)).ok_or_else(ApiError::not_found)
}

/// [`engagement_for`] without the relation.
pub(crate) async fn engagement(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<Engagement> {
    Ok(engagement_for(state, p, id, action).await?.0)
}

/// List the engagements the caller's organisation may see.
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagements", params(ListQuery),
    responses((status = 200, body = EngagementPage)))]
pub async fn list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<EngagementPage>> {
    p.may(Action::EngagementList, Rel::Unscoped)?;
    let org = p.org()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    let offset = q.offset.unwrap_or(0).max(0);
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
        limit,
        offset,
    };
    let (items, total) = state.store.list_engagements(&org.id, &filter).await?;
    Ok(Json(EngagementPage {
        items: items.into_iter().map(|e| view(e, false)).collect(),
        total,
        limit,
        offset,
    }))
}

/// Create an engagement owned by the caller's (customer) organisation.
#[utoipa::path(post, path = "/api/v1/engagements", tag = "engagements", request_body = CreateEngagement,
    responses((status = 201, body = EngagementView), (status = 400, description = "invalid document, naming the field"), (status = 409, description = "the organisation holds its quota of engagements")))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateEngagement>,
) -> ApiResult<Response> {
    p.may(Action::EngagementCreate, Rel::Unscoped)?;
    let file = parse_document(&req.document)?;
    let e = services::engagements::create(&state, &p, &file, &req.parties).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// Read one engagement with its file.
#[utoipa::path(get, path = "/api/v1/engagements/{id}", tag = "engagements",
    responses((status = 200, body = EngagementView), (status = 404, description = "no such engagement, or not yours")))]
pub async fn get_one(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let e = engagement(&state, &p, &id, Action::EngagementRead).await?;
    let etag = format!("\"{}\"", e.version);
    Ok(([(header::ETAG, etag)], Json(view(e, true))).into_response())
}

/// Replace the engagement's file (and parties), if `version` is current.
#[utoipa::path(put, path = "/api/v1/engagements/{id}", tag = "engagements", request_body = UpdateEngagement,
    responses((status = 200, body = EngagementView), (status = 409, description = "changed since it was read")))]
pub async fn update(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateEngagement>,
) -> ApiResult<Json<EngagementView>> {
    // Who may is decided before the file is read: another tenant's engagement is not
    // there to be told its file is wrong.
    engagement(&state, &p, &id, Action::EngagementUpdate).await?;
    let file = parse_document(&req.document)?;
    let e =
        services::engagements::update(&state, &p, &id, req.version, &file, req.parties.as_ref())
            .await?;
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
    engagement(&state, &p, &id, Action::EngagementDelete).await?;
    state
        .store
        .delete_engagement(&p.actor, &id, q.version)
        .await?;
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
    responses((status = 201, body = EngagementView), (status = 400, description = "malformed file, with line and column")))]
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
    let e = services::engagements::import(&state, &p, &body, &given).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// The engagement file of a stored engagement, as YAML text.
pub(crate) fn export_text(e: &Engagement) -> ApiResult<(EngagementFile, String)> {
    let file: EngagementFile =
        serde_json::from_value(e.document.clone()).map_err(ApiError::internal_from)?;
    let text = serde_saphyr::to_string(&file).map_err(ApiError::internal_from)?;
    Ok((file, text))
}

/// Export the engagement file (YAML), for git and `cloudward check`.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/export", tag = "engagements",
    responses((status = 200, content_type = "application/yaml", body = String)))]
pub async fn export(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let e = engagement(&state, &p, &id, Action::EngagementExport).await?;
    let (_, text) = export_text(&e)?;
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
    let e = engagement(&state, &p, &id, Action::EngagementCheck).await?;
    let date = match q.date.as_deref() {
        None => chrono::Local::now().date_naive(),
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| ApiError::bad_request("input.bad_date").arg("value", d))?,
    };
    let (_, text) = export_text(&e)?;
    // Parse what `cloudward check` would read, so the two agree to the line.
    let file = engagement::parse(&text).map_err(ApiError::internal_from)?;
    let lang = crate::request_lang(uri.query(), &headers);
    match check::check(&file, &text, &state.content, date) {
        Ok(report) => Ok(Json(check::report_json(&report, &state.messages, lang))),
        Err(CheckError::Classified) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "check.refused",
        )),
        Err(CheckError::Invalid(errors)) => {
            let detail = errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.field,
                        state.messages.render(e.key, lang, &e.args)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_engagement",
                "api.invalid_engagement",
            )
            .arg("detail", detail))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassificationView {
    pub level: String,
    pub decisive_information: String,
    pub business: String,
    pub allowed_deployment_models: Vec<String>,
    pub chosen_deployment_model: String,
    pub deployment_allowed: bool,
}

/// The protection level and what it allows (guide §6.5).
#[utoipa::path(get, path = "/api/v1/engagements/{id}/classification", tag = "engagements",
    responses((status = 200, body = ClassificationView), (status = 422, description = "no information types yet")))]
pub async fn classification(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ClassificationView>> {
    let e = engagement(&state, &p, &id, Action::EngagementClassification).await?;
    let (file, _) = export_text(&e)?;
    let req = classify::classify(&file.information, file.business).map_err(|r| match r {
        Refusal::Classified => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", "check.refused")
        }
        Refusal::NoInformation => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_engagement",
            "input.empty_information",
        ),
    })?;
    let allowed = req.deployment_models.contains(&file.deployment_model);
    Ok(Json(ClassificationView {
        level: req.level.id().to_owned(),
        decisive_information: req.decisive.id().to_owned(),
        business: req.business.id().to_owned(),
        allowed_deployment_models: req
            .deployment_models
            .iter()
            .map(|m| m.id().to_owned())
            .collect(),
        chosen_deployment_model: file.deployment_model.id().to_owned(),
        deployment_allowed: allowed,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibilityRow {
    /// `layer/FAMILY`
    pub element: String,
    pub layer: String,
    pub family: String,
    /// customer / provider / security-service-provider
    pub responsible: Vec<String>,
    /// What each party does when the row is shared, in both languages.
    #[schema(value_type = Object)]
    pub parts: BTreeMap<String, cloudward_domain::Text>,
    #[schema(value_type = Vec<Object>)]
    pub confirmations: Vec<Confirmation>,
    /// Confirmations of the row as it read before it changed: they no longer count.
    #[schema(value_type = Vec<Object>)]
    pub stale: Vec<Confirmation>,
    /// Responsible parties that have not confirmed the row as it reads now.
    pub pending: Vec<String>,
}

/// A row's confirmations: those of the row as it reads now, and those made before it
/// changed (older confirmations without terms count as current).
pub(crate) fn row_confirmations(
    all: &[Confirmation],
    el: &cloudward_domain::responsibility::Element,
) -> (Vec<Confirmation>, Vec<Confirmation>) {
    let terms = el.assignment.terms();
    all.iter()
        .filter(|c| c.element == el.id)
        .cloned()
        .partition(|c| c.terms.as_deref().is_none_or(|t| t == terms))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibilityView {
    pub service_category: String,
    pub rows: Vec<ResponsibilityRow>,
    pub uncovered: Vec<String>,
    pub ambiguous: Vec<String>,
    pub confirmed: usize,
    pub to_confirm: usize,
}

pub(crate) fn matrix_of(state: &AppState, file: &EngagementFile) -> Matrix {
    let overrides: Vec<Override> = file.responsibility.iter().map(check::to_override).collect();
    Matrix::build(&state.content.matrix, file.service_category, &overrides)
}

/// The responsibility matrix with who confirmed which row.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/responsibility", tag = "engagements",
    responses((status = 200, body = ResponsibilityView)))]
pub async fn responsibility(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ResponsibilityView>> {
    let e = engagement(&state, &p, &id, Action::EngagementResponsibility).await?;
    let (file, _) = export_text(&e)?;
    let matrix = matrix_of(&state, &file);
    let confirmations = state.store.confirmations(&e.id).await?;
    let (mut confirmed, mut to_confirm) = (0, 0);
    let rows = matrix
        .elements
        .iter()
        .map(|el| {
            let (mine, stale) = row_confirmations(&confirmations, el);
            let responsible: Vec<String> = el
                .assignment
                .parties
                .iter()
                .map(|a| a.id().to_owned())
                .collect();
            let pending: Vec<String> = responsible
                .iter()
                .filter(|r| !mine.iter().any(|c| c.party.id() == r.as_str()))
                .cloned()
                .collect();
            to_confirm += responsible.len();
            confirmed += responsible.len() - pending.len();
            ResponsibilityRow {
                element: el.id.clone(),
                layer: el.layer.clone(),
                family: el.family.clone(),
                responsible,
                parts: el
                    .assignment
                    .parts
                    .iter()
                    .map(|(a, t)| (a.id().to_owned(), t.clone()))
                    .collect(),
                confirmations: mine,
                stale,
                pending,
            }
        })
        .collect();
    Ok(Json(ResponsibilityView {
        service_category: file.service_category.id().to_owned(),
        rows,
        uncovered: matrix.uncovered(),
        ambiguous: matrix.ambiguous(),
        confirmed,
        to_confirm,
    }))
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

/// A stored record of one kind, by id (`None` for any other id or kind). Callers then ask
/// the authorisation table, with the relation `None` means (not there for the caller).
pub(crate) async fn record_of(
    state: &AppState,
    kind: &str,
    id: &str,
) -> ApiResult<Option<cloudward_store::Record>> {
    Ok(state.store.get_record(kind, id).await?)
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
}
