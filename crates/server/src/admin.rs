//! Organisations, users, API tokens and the audit log.
//!
//! Platform administrators create organisations and their first users; organisation
//! administrators manage their own users and tokens. The audit log shows each organisation
//! its own entries and those of engagements it takes part in; only a platform
//! administrator verifies the whole chain.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use cloudward_store::{AuditEntry, Verification};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::{OrgView, Principal};
use crate::authz::{self, Action, Rel};
use crate::error::ApiResult;
use crate::services::organisations::{
    self, NewMember, NewOrganisation, NewTokenView, TokenRequest, TokenView, UserAction,
    UserChanged, UserView,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub name: String,
    /// customer, provider, security_service_provider, assessor
    pub kind: String,
}

/// All organisations (platform administrators), or the caller's own.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "admin", responses((status = 200, body = Vec<OrgView>)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<OrgView>>> {
    Ok(Json(organisations::list(&state, &p).await?))
}

/// Create an organisation (platform administrators).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "admin", request_body = CreateOrg,
    responses((status = 201, body = OrgView), (status = 409, description = "the name is taken")))]
pub async fn create_org(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateOrg>,
) -> ApiResult<Response> {
    let new = NewOrganisation {
        name: req.name,
        kind: organisations::org_kind(&req.kind)?,
    };
    let org = organisations::create(&state, &p, new).await?;
    Ok((StatusCode::CREATED, Json(org)).into_response())
}

/// Organisations that can be named as an engagement's party: providers, assessors and
/// security service providers. Customers are not listed to each other.
#[utoipa::path(get, path = "/api/v1/directory", tag = "admin", responses((status = 200, body = Vec<OrgView>)))]
pub async fn directory(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<OrgView>>> {
    Ok(Json(organisations::directory(&state, &p).await?))
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

/// The users of an organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/users", tag = "admin", responses((status = 200, body = Vec<UserView>)))]
pub async fn list_users(
    State(state): State<AppState>,
    p: Principal,
    Path(org_id): Path<String>,
) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(organisations::users(&state, &p, &org_id).await?))
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
    // Who may is decided first: another organisation's users are not there to be told a
    // role is wrong.
    p.may(
        Action::UserCreate,
        authz::organisation_rel(p.org.as_ref().map(|o| o.id.as_str()), &org_id),
    )?;
    let new = NewMember {
        username: req.username,
        display_name: req.display_name,
        password: req.password,
        role: organisations::role(&req.role)?,
    };
    let user = organisations::add_user(&state, &p, &org_id, new).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// Disable a user: no login, and every session of the user ends at once. The
/// organisation's API tokens the user created keep working (revoke them apart).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users/{user_id}/disable", tag = "admin",
    responses((status = 200, body = UserView), (status = 404), (status = 409, description = "the organisation's last enabled administrator (`last_admin`)")))]
pub async fn disable_user(
    State(state): State<AppState>,
    p: Principal,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<UserView>> {
    let done =
        organisations::change_user(&state, &p, &org_id, &user_id, UserAction::Disable).await?;
    Ok(Json(done.user))
}

/// Enable a disabled user again.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users/{user_id}/enable", tag = "admin",
    responses((status = 200, body = UserView), (status = 404)))]
pub async fn enable_user(
    State(state): State<AppState>,
    p: Principal,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<UserView>> {
    let done =
        organisations::change_user(&state, &p, &org_id, &user_id, UserAction::Enable).await?;
    Ok(Json(done.user))
}

/// Unlock a user: the failed logins of the name are forgotten, so the next attempt need
/// not wait.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users/{user_id}/unlock", tag = "admin",
    responses((status = 200, body = UserView), (status = 404)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    p: Principal,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<Json<UserView>> {
    let done =
        organisations::change_user(&state, &p, &org_id, &user_id, UserAction::Unlock).await?;
    Ok(Json(done.user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The new password (at least 12 characters); absent: the server generates one and
    /// answers it once.
    #[serde(default)]
    pub password: Option<String>,
}

/// Reset a user's password: every session of the user ends, and the user must change
/// the password at the next login.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users/{user_id}/password", tag = "admin",
    request_body = ResetPassword,
    responses((status = 200, body = UserChanged), (status = 400, description = "the password is too short (`weak_password`)"), (status = 404)))]
pub async fn reset_password(
    State(state): State<AppState>,
    p: Principal,
    Path((org_id, user_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<ResetPassword>,
) -> ApiResult<Json<UserChanged>> {
    let what = UserAction::ResetPassword(req.password.filter(|p| !p.is_empty()));
    Ok(Json(
        organisations::change_user(&state, &p, &org_id, &user_id, what).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// org_admin, member, read_only
    pub role: String,
}

/// Change a user's role; it takes effect with the user's next request.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/users/{user_id}/role", tag = "admin",
    request_body = ChangeRole,
    responses((status = 200, body = UserView), (status = 400), (status = 404), (status = 409, description = "the organisation's last enabled administrator (`last_admin`)")))]
pub async fn change_role(
    State(state): State<AppState>,
    p: Principal,
    Path((org_id, user_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<ChangeRole>,
) -> ApiResult<Json<UserView>> {
    UserAction::authorise(&p, Action::UserRole, &org_id)?;
    let role = organisations::role(&req.role)?;
    let done =
        organisations::change_user(&state, &p, &org_id, &user_id, UserAction::Role(role)).await?;
    Ok(Json(done.user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// The token's role, at most the creator's: org_admin, member, read_only
    pub role: String,
    /// The last day the token works, `YYYY-MM-DD` (it expires at the end of that day,
    /// UTC); not with `expires_in_days`.
    #[serde(default)]
    pub expires_on: Option<String>,
    /// The token expires this many days from now (1–3650).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// The one engagement the token may act on: any other answers 404, the list of
    /// engagements shows it alone, and the organisation's other routes (users, tokens,
    /// audit, offerings …) answer 403.
    #[serde(default)]
    pub engagement_id: Option<String>,
}

/// The caller's organisation's tokens (organisation administrators).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<Vec<TokenView>>> {
    Ok(Json(organisations::tokens(&state, &p).await?))
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
    let new = TokenRequest {
        name: req.name,
        role: organisations::role(&req.role)?,
        expires_on: req.expires_on,
        expires_in_days: req.expires_in_days,
        engagement_id: req.engagement_id,
    };
    let token = organisations::create_token(&state, &p, new).await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// Revoke a token of the caller's organisation.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", responses((status = 204), (status = 404)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    organisations::revoke_token(&state, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub lang: Option<String>,
    /// The first and the last day (YYYY-MM-DD, UTC, both included).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The actor's id (a user id, `token:<id>`, `system`).
    pub actor: Option<String>,
    /// What was done: the verb of the action (`create`, `update`, `confirm`, `login_failed`, …).
    pub verb: Option<String>,
    /// The kind of object (`engagement`, `finding`, `user`, …).
    pub object_type: Option<String>,
    /// The object's id, or its beginning.
    pub object_id: Option<String>,
    /// Only the entries of this engagement.
    pub engagement: Option<String>,
}

impl AuditQuery {
    fn filters(&self) -> organisations::AuditQuery {
        organisations::AuditQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            actor: self.actor.clone(),
            verb: self.verb.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            engagement: self.engagement.clone(),
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    /// A user id, `token:<id>`, or `system`.
    pub actor: String,
    pub org_id: Option<String>,
    pub engagement_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    /// sha256 or sm3
    pub alg: String,
    /// jcs, or compact for entries written before JCS
    pub encoding: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> AuditEntryView {
        AuditEntryView {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            org_id: e.org_id,
            engagement_id: e.engagement_id,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            before_digest: e.before_digest,
            after_digest: e.after_digest,
            alg: e.alg,
            encoding: e.encoding,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    pub total: i64,
}

/// What a verification of the chain found.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Entries checked.
    pub entries: i64,
    pub head_seq: i64,
    pub head_hash: String,
    /// Signed checkpoints checked.
    pub checkpoints: usize,
    /// Checked from this signed checkpoint on; absent when the whole chain was checked.
    pub since: Option<i64>,
    /// The first entry or checkpoint that does not verify; absent when intact.
    pub broken: Option<BrokenView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenView {
    pub seq: i64,
    pub reason: String,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> VerificationView {
        VerificationView {
            entries: v.entries,
            head_seq: v.head_seq,
            head_hash: v.head_hash,
            checkpoints: v.checkpoints,
            since: v.since,
            broken: v.broken.map(|b| BrokenView {
                seq: b.seq,
                reason: b.reason,
            }),
        }
    }
}

/// The audit entries the caller may see (a platform administrator: all; else its
/// organisation's actors' and engagements'), newest first, filtered by days, actor, verb,
/// kind of object, object id (or its beginning) and engagement.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditQuery), responses((status = 200, body = AuditPage)))]
pub async fn audit_list(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let (items, total) = organisations::audit_page(
        &state,
        &p,
        &q.filters(),
        q.limit.unwrap_or(100),
        q.offset.unwrap_or(0),
    )
    .await?;
    Ok(Json(AuditPage {
        items: items.into_iter().map(AuditEntryView::from).collect(),
        total,
    }))
}

/// Verify the whole chain and its signed checkpoints (platform administrators).
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", responses((status = 200, body = VerificationView)))]
pub async fn audit_verify(
    State(state): State<AppState>,
    p: Principal,
) -> ApiResult<Json<VerificationView>> {
    p.may(Action::AuditVerify, Rel::Unscoped)?;
    Ok(Json(
        cloudward_store::verify(state.store.as_ref(), &state.config.data_dir)
            .await?
            .into(),
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
        .route(
            "/api/v1/orgs/{org_id}/users/{user_id}/disable",
            post(disable_user),
        )
        .route(
            "/api/v1/orgs/{org_id}/users/{user_id}/enable",
            post(enable_user),
        )
        .route(
            "/api/v1/orgs/{org_id}/users/{user_id}/unlock",
            post(unlock_user),
        )
        .route(
            "/api/v1/orgs/{org_id}/users/{user_id}/password",
            post(reset_password),
        )
        .route(
            "/api/v1/orgs/{org_id}/users/{user_id}/role",
            put(change_role),
        )
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(audit_list))
        .route("/api/v1/admin/audit/verify", get(audit_verify))
}
