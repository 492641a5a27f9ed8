//! Organisations, their users and API tokens, and the audit trail an organisation sees.

use chrono::{DateTime, Utc};
use cloudward_store::{ApiToken, AuditEntry, NewToken, NewUser, OrgKind, Role};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{
    OrgView, Principal, check_password_policy, hash_blocking, random_token, sha256_hex,
};
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};

/// A user as administrators see it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// org_admin, member, read_only
    #[schema(value_type = String)]
    pub role: Role,
    pub org_id: Option<String>,
    /// Locked out (after failed logins) at this moment.
    pub locked: bool,
    pub created_at: DateTime<Utc>,
}

/// An API token as its organisation's administrators see it (never the secret or its hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// org_admin, member, read_only
    #[schema(value_type = String)]
    pub role: Role,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            org_id: t.org_id,
            name: t.name,
            role: t.role,
            prefix: t.prefix,
            created_by: t.created_by,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: the secret, shown once, and what is kept.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewTokenView {
    /// Shown once; only its hash is kept.
    pub token: String,
    pub details: TokenView,
}

/// A new organisation.
#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrgKind,
}

/// A new user of an organisation.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub username: String,
    pub display_name: Option<String>,
    pub password: String,
    pub role: Role,
}

/// An organisation kind named by its id, or 400 listing the accepted ones.
pub fn org_kind(value: &str) -> ApiResult<OrgKind> {
    OrgKind::parse(value).ok_or_else(|| {
        ApiError::bad_request("api.bad_org_kind")
            .arg("field", "kind")
            .arg("value", value)
            .arg("accepted", OrgKind::ALL.map(|k| k.id()).join(", "))
    })
}

/// A role named by its id, or 400 listing the accepted ones.
pub fn role(value: &str) -> ApiResult<Role> {
    Role::parse(value).ok_or_else(|| {
        ApiError::bad_request("api.bad_role")
            .arg("field", "role")
            .arg("value", value)
            .arg("accepted", "org_admin, member, read_only")
    })
}

/// All organisations (platform administrators), or the caller's own.
pub async fn list(state: &AppState, p: &Principal) -> ApiResult<Vec<OrgView>> {
    p.may(Action::OrgList, Rel::Unscoped)?;
    if p.platform_admin {
        let orgs = state.store.list_orgs().await?;
        return Ok(orgs.iter().map(OrgView::from).collect());
    }
    Ok(vec![OrgView::from(p.org()?)])
}

pub async fn create(state: &AppState, p: &Principal, new: NewOrganisation) -> ApiResult<OrgView> {
    p.may(Action::OrgCreate, Rel::Unscoped)?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::bad_request("api.bad_name").arg("field", "name"));
    }
    let org = state
        .store
        .create_org(&p.actor, name, new.kind)
        .await
        // A name that is taken is about the name.
        .map_err(|e| ApiError::from(e).arg("field", "name"))?;
    Ok(OrgView::from(&org))
}

/// Organisations that can be named as an engagement's party: providers, assessors and
/// security service providers. Customers are not listed to each other.
pub async fn directory(state: &AppState, p: &Principal) -> ApiResult<Vec<OrgView>> {
    p.may(Action::Directory, Rel::Unscoped)?;
    let orgs = state.store.list_orgs().await?;
    Ok(orgs
        .iter()
        .filter(|o| o.kind != OrgKind::Customer)
        .map(OrgView::from)
        .collect())
}

/// Platform administrators, and the organisation's own administrators (another
/// organisation's users do not exist for the caller).
fn may_manage(p: &Principal, action: Action, org_id: &str) -> ApiResult<()> {
    p.may(
        action,
        authz::organisation_rel(p.org.as_ref().map(|o| o.id.as_str()), org_id),
    )
}

pub async fn users(state: &AppState, p: &Principal, org_id: &str) -> ApiResult<Vec<UserView>> {
    may_manage(p, Action::UserList, org_id)?;
    let users = state.store.list_users(org_id).await?;
    let now = cloudward_store::now();
    Ok(users
        .into_iter()
        .map(|u| UserView {
            locked: u.locked_until.is_some_and(|t| t > now),
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            org_id: u.org_id,
            created_at: u.created_at,
        })
        .collect())
}

pub async fn add_user(
    state: &AppState,
    p: &Principal,
    org_id: &str,
    new: NewMember,
) -> ApiResult<UserView> {
    may_manage(p, Action::UserCreate, org_id)?;
    if state.store.get_org(org_id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let username = new.username.trim().to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        return Err(ApiError::bad_request("api.bad_username").arg("field", "username"));
    }
    check_password_policy(&new.password).map_err(|e| e.arg("field", "password"))?;
    let hash = hash_blocking(new.password).await?;
    let u = state
        .store
        .create_user(
            &p.actor,
            NewUser {
                org_id: Some(org_id.to_owned()),
                display_name: new.display_name.unwrap_or_else(|| username.clone()),
                username,
                password_hash: hash,
                role: new.role,
                platform_admin: false,
            },
        )
        .await
        // A name that is taken is about the name.
        .map_err(|e| ApiError::from(e).arg("field", "username"))?;
    Ok(UserView {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        org_id: u.org_id,
        locked: false,
        created_at: u.created_at,
    })
}

/// The caller's organisation's tokens.
pub async fn tokens(state: &AppState, p: &Principal) -> ApiResult<Vec<TokenView>> {
    p.may(Action::TokenList, Rel::Unscoped)?;
    let org = p.org()?;
    Ok(state
        .store
        .list_tokens(&org.id)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect())
}

/// A new token of the caller's organisation, with a role no higher than the caller's.
pub async fn create_token(
    state: &AppState,
    p: &Principal,
    name: &str,
    role: Role,
) -> ApiResult<NewTokenView> {
    p.may(Action::TokenCreate, Rel::Unscoped)?;
    let org = p.org()?.clone();
    if role > p.role {
        return Err(ApiError::forbidden());
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request("api.bad_name").arg("field", "name"));
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
    Ok(NewTokenView {
        token: secret,
        details: details.into(),
    })
}

/// Revokes a token of the caller's organisation (another's is not found).
pub async fn revoke_token(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    p.may(Action::TokenRevoke, Rel::Unscoped)?;
    let org = p.org()?;
    if state.store.revoke_token(&p.actor, &org.id, id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// The audit entries the caller's organisation may see, newest first, and how many.
pub async fn audit_page(
    state: &AppState,
    p: &Principal,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<AuditEntry>, i64)> {
    p.may(Action::AuditList, Rel::Unscoped)?;
    let org = p.org()?;
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    Ok(state
        .store
        .audit_for_org(&org.id, limit, offset.max(0))
        .await?)
}
