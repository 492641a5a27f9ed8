//! Organisations, users, API tokens and the audit log.
//!
//! Platform administrators create organisations and their first users; organisation
//! administrators manage their own users and tokens. The audit log shows each organisation
//! its own entries and those of engagements it takes part in; only a platform
//! administrator verifies the whole chain.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use cloudward_store::{ApiToken, AuditEntry, NewToken, NewUser, OrgKind, Role, Verification};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::{
    OrgView, Principal, check_password_policy, hash_blocking, random_token, sha256_hex,
};
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub name: String,
    /// customer, provider, security_service_provider, assessor
    pub kind: String,
}

fn kind_of(value: &str) -> ApiResult<OrgKind> {
    OrgKind::parse(value).ok_or_else(|| {
        ApiError::bad_request("api.bad_org_kind")
            .arg("value", value)
            .arg("accepted", OrgKind::ALL.map(|k| k.id()).join(", "))
    })
}

/// All organisations (platform administrators), or the caller's own.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "admin", responses((status = 200, body = Vec<OrgView>)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<OrgView>>> {
    p.may(Action::OrgList, Rel::Unscoped)?;
    if p.platform_admin {
        let orgs = state.store.list_orgs().await?;
        return Ok(Json(orgs.iter().map(OrgView::from).collect()));
    }
    Ok(Json(vec![OrgView::from(p.org()?)]))
}

/// Create an organisation (platform administrators).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "admin", request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 409, description = "the name is taken")))]
pub async fn create_org(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateOrg>,
) -> ApiResult<Response> {
    p.may(Action::OrgCreate, Rel::Unscoped)?;
    let kind = kind_of(&req.kind)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("api.bad_name"));
    }
    let org = state.store.create_org(&p.actor, name, kind).await?;
    Ok((StatusCode::CREATED, Json(OrgView::from(&org))).into_response())
}

/// Organisations that can be named as an engagement's party: providers, assessors and
/// security service providers. Customers are not listed to each other.
#[utoipa::path(get, path = "/api/v1/directory", tag = "admin", responses((status = 200, body = Vec<OrgView>)))]
pub async fn directory(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<OrgView>>> {
    p.may(Action::Directory, Rel::Unscoped)?;
    let orgs = state.store.list_orgs().await?;
    Ok(Json(
        orgs.iter()
            .filter(|o| o.kind != OrgKind::Customer.id())
            .map(OrgView::from)
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_id: Option<String>,
    pub locked: bool,
    pub created_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// At least 12 characters.
    pub password: String,
    /// org_admin, member, read_only
    pub role: String,
}

/// Platform administrators, and the organisation's own administrators (another
/// organisation's users do not exist for the caller).
fn may_manage(p: &Principal, action: Action, org_id: &str) -> ApiResult<()> {
    p.may(
        action,
        authz::organisation_rel(p.org.as_ref().map(|o| o.id.as_str()), org_id),
    )
}

/// The users of an organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/users", tag = "admin", responses((status = 200, body = Vec<UserView>)))]
pub async fn list_users(
    State(state): State<AppState>,
    p: Principal,
    Path(org_id): Path<String>,
) -> ApiResult<Json<Vec<UserView>>> {
    may_manage(&p, Action::UserList, &org_id)?;
    let users = state.store.list_users(&org_id).await?;
    let now = cloudward_store::now();
    Ok(Json(
        users
            .into_iter()
            .map(|u| UserView {
                locked: u.locked_until.as_deref().is_some_and(|t| t > now.as_str()),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                role: u.role,
                org_id: u.org_id,
                created_at: u.created_at,
            })
            .collect(),
    ))
}

/// Add a user to an organisation.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users", tag = "admin", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 409, description = "the user name is taken")))]
pub async fn create_user(
    State(state): State<AppState>,
    p: Principal,
    Path(org_id): Path<String>,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    may_manage(&p, Action::UserCreate, &org_id)?;
    if state.store.get_org(&org_id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad_request("api.bad_role")
            .arg("value", &req.role)
            .arg("accepted", "org_admin, member, read_only")
    })?;
    let username = req.username.trim().to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        return Err(ApiError::bad_request("api.bad_username"));
    }
    check_password_policy(&req.password)?;
    let hash = hash_blocking(req.password).await?;
    let u = state
        .store
        .create_user(
            &p.actor,
            NewUser {
                org_id: Some(org_id),
                display_name: req.display_name.unwrap_or_else(|| username.clone()),
                username,
                password_hash: hash,
                role,
                platform_admin: false,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            org_id: u.org_id,
            locked: false,
            created_at: u.created_at,
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// The token's role, at most the creator's: org_admin, member, read_only
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenView {
    /// Shown once; only its hash is kept.
    pub token: String,
    #[schema(value_type = Object)]
    pub details: ApiToken,
}

/// The caller's organisation's tokens (organisation administrators).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = Vec<Object>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<ApiToken>>> {
    p.may(Action::TokenList, Rel::Unscoped)?;
    let org = p.org()?;
    Ok(Json(state.store.list_tokens(&org.id).await?))
}

/// Create an API token for automation (`Authorization: Bearer …`).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = CreateToken,
    responses((status = 201, body = NewTokenView)))]
pub async fn create_token(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateToken>,
) -> ApiResult<Response> {
    p.may(Action::TokenCreate, Rel::Unscoped)?;
    let org = p.org()?.clone();
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::bad_request("api.bad_role")
            .arg("value", &req.role)
            .arg("accepted", "org_admin, member, read_only")
    })?;
    if role > p.role {
        return Err(ApiError::forbidden());
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request("api.bad_name"));
    }
    let secret = format!("cwt_{}", random_token()?);
    let details = state
        .store
        .create_token(
            &p.actor,
            NewToken {
                org_id: org.id,
                name: name.to_owned(),
                role,
                token_hash: sha256_hex(&secret),
                prefix: secret.chars().take(12).collect(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token: secret,
            details,
        }),
    )
        .into_response())
}

/// Revoke a token of the caller's organisation.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", responses((status = 204), (status = 404)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.may(Action::TokenRevoke, Rel::Unscoped)?;
    let org = p.org()?;
    if state.store.revoke_token(&p.actor, &org.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub lang: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<AuditEntry>,
    pub total: i64,
}

/// The audit entries the caller's organisation may see, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditQuery), responses((status = 200, body = AuditPage)))]
pub async fn audit_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    p.may(Action::AuditList, Rel::Unscoped)?;
    let org = p.org()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    let (items, total) = state
        .store
        .audit_for_org(&org.id, limit, q.offset.unwrap_or(0).max(0))
        .await?;
    Ok(Json(AuditPage { items, total }))
}

/// Verify the whole chain and its signed checkpoints (platform administrators).
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", responses((status = 200, body = Object)))]
pub async fn audit_verify(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Verification>> {
    p.may(Action::AuditVerify, Rel::Unscoped)?;
    Ok(Json(
        cloudward_store::verify(state.store.as_ref(), &state.config.data_dir).await?,
    ))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/directory", get(directory))
        .route(
            "/api/v1/orgs/{org_id}/users",
            get(list_users).post(create_user),
        )
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(audit_list))
        .route("/api/v1/admin/audit/verify", get(audit_verify))
}
