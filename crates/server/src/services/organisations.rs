//! Organisations, their users and API tokens, and the audit trail an organisation sees.

use chrono::{DateTime, NaiveDate, Utc};
use cloudward_store::{
    AccountChange, ApiToken, AuditEntry, AuditFilter, NewToken, NewUser, OrgKind, Role, User,
};
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
    /// Failed logins make the next attempts for the name wait at this moment (an
    /// administrator's unlock lifts it).
    pub locked: bool,
    /// Disabled: cannot log in, has no session.
    pub disabled: bool,
    /// An administrator reset the password; the user changes it at the next login.
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
}

impl UserView {
    fn of(state: &AppState, u: User) -> UserView {
        let throttle = &state.throttle;
        UserView {
            locked: u.locked_until.is_some_and(|t| t > cloudward_store::now())
                || throttle.is_throttled(&u.username, throttle.now()),
            disabled: u.disabled_at.is_some(),
            must_change_password: u.must_change_password,
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            org_id: u.org_id,
            created_at: u.created_at,
        }
    }
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
    /// Refused from this moment on (401 `token_expired`); absent: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
    /// Expired at this moment.
    pub expired: bool,
    /// The one engagement the token may act on; absent: the organisation's.
    pub engagement_id: Option<String>,
    /// That engagement's name (absent when it was deleted since).
    pub engagement_name: Option<String>,
}

impl TokenView {
    fn of(t: ApiToken, engagement_name: Option<String>) -> TokenView {
        TokenView {
            expired: t.expires_at.is_some_and(|at| at <= Utc::now()),
            id: t.id,
            org_id: t.org_id,
            name: t.name,
            role: t.role,
            prefix: t.prefix,
            created_by: t.created_by,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            expires_at: t.expires_at,
            engagement_id: t.engagement_id,
            engagement_name,
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
    Ok(users.into_iter().map(|u| UserView::of(state, u)).collect())
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
    Ok(UserView::of(state, u))
}

/// What an administrator does to a user of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAction {
    Disable,
    Enable,
    Unlock,
    /// The new password; `None`: one is generated and shown once.
    ResetPassword(Option<String>),
    Role(Role),
}

impl UserAction {
    fn action(&self) -> Action {
        match self {
            UserAction::Disable => Action::UserDisable,
            UserAction::Enable => Action::UserEnable,
            UserAction::Unlock => Action::UserUnlock,
            UserAction::ResetPassword(_) => Action::UserResetPassword,
            UserAction::Role(_) => Action::UserRole,
        }
    }

    /// Who may do it is decided first: another organisation's users are not there to be
    /// told their new role is wrong.
    pub fn authorise(p: &Principal, action: Action, org_id: &str) -> ApiResult<()> {
        may_manage(p, action, org_id)
    }
}

/// The user after an administrator's change, and a generated password (shown once).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserChanged {
    pub user: UserView,
    /// Generated by the server for a reset without a password: shown this once, never
    /// kept in the clear. The user must change it at the next login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A password of 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
fn generated_password() -> ApiResult<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(ApiError::internal_from)?;
    // 256 is not a multiple of 56: the bias is below 1 % per character, and 20 characters
    // keep well over 100 bits.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// An administrator's change to user `user_id` of organisation `org_id`: disable (every
/// session ends; the organisation's tokens the user made keep working), enable, unlock
/// (the failed logins of the name are forgotten), reset the password (every session ends;
/// the user changes it at the next login) or change the role. The organisation's last
/// enabled administrator cannot be disabled or demoted (409 `last_admin`).
pub async fn change_user(
    state: &AppState,
    p: &Principal,
    org_id: &str,
    user_id: &str,
    what: UserAction,
) -> ApiResult<UserChanged> {
    may_manage(p, what.action(), org_id)?;
    // A refused demotion is about the role chosen; a refused disabling about the user.
    let field = if matches!(what, UserAction::Role(_)) {
        "role"
    } else {
        ""
    };
    let mut shown = None;
    let change = match what {
        UserAction::Disable => AccountChange::Disable,
        UserAction::Enable => AccountChange::Enable,
        UserAction::Unlock => AccountChange::Unlock,
        UserAction::Role(role) => AccountChange::Role(role),
        UserAction::ResetPassword(given) => {
            let password = match given {
                Some(pw) => {
                    check_password_policy(&pw).map_err(|e| e.arg("field", "password"))?;
                    pw
                }
                None => {
                    let pw = generated_password()?;
                    shown = Some(pw.clone());
                    pw
                }
            };
            AccountChange::ResetPassword {
                hash: hash_blocking(password).await?,
            }
        }
    };
    // Re-enabling forgets the failures too: those made while disabled were refused anyway.
    let unlock = matches!(change, AccountChange::Unlock | AccountChange::Enable);
    let user = state
        .store
        .change_account(&p.actor, org_id, user_id, change)
        .await
        .map_err(|e| match e {
            cloudward_store::StoreError::Conflict(c) if c == "last_admin" => ApiError::new(
                axum::http::StatusCode::CONFLICT,
                "last_admin",
                "api.last_admin",
            )
            .arg("field", field),
            other => ApiError::from(other),
        })?;
    if unlock {
        state.throttle.forget(&user.username);
    }
    Ok(UserChanged {
        user: UserView::of(state, user),
        password: shown,
    })
}

/// The caller's organisation's tokens.
pub async fn tokens(state: &AppState, p: &Principal) -> ApiResult<Vec<TokenView>> {
    p.may(Action::TokenList, Rel::Unscoped)?;
    let org = p.org()?;
    let tokens = state.store.list_tokens(&org.id).await?;
    // Engagements are named, never shown as bare ids: a handful of tokens name a few.
    let mut names = std::collections::BTreeMap::new();
    for id in tokens.iter().filter_map(|t| t.engagement_id.as_deref()) {
        if !names.contains_key(id) {
            let e = state.store.visible_engagement(id, &org.id).await?;
            names.insert(id.to_owned(), e.map(|e| e.name));
        }
    }
    Ok(tokens
        .into_iter()
        .map(|t| {
            let name = t
                .engagement_id
                .as_ref()
                .and_then(|id| names.get(id).cloned().flatten());
            TokenView::of(t, name)
        })
        .collect())
}

/// A new token: its name and role, and optionally when it expires (a date, the last day
/// it works, or a number of days from now) and the one engagement it may act on.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    pub role: Role,
    /// The last day it works (it expires at the end of that day, UTC).
    pub expires_on: Option<String>,
    /// Days from now (1–3650).
    pub expires_in_days: Option<i64>,
    pub engagement_id: Option<String>,
}

/// When a token asked for expires: at the end of `expires_on` (UTC, a day after today at
/// the earliest) or `expires_in_days` from now; both given is 400.
fn token_expiry(req: &TokenRequest) -> ApiResult<Option<DateTime<Utc>>> {
    let on = req
        .expires_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (on, req.expires_in_days) {
        (Some(_), Some(_)) => {
            Err(ApiError::bad_request("api.token_expiry_both").arg("field", "expires_on"))
        }
        (Some(text), None) => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                ApiError::bad_request("api.bad_token_date")
                    .arg("field", "expires_on")
                    .arg("value", text)
            })?;
            if date < Utc::now().date_naive() {
                return Err(ApiError::bad_request("api.token_expiry_past")
                    .arg("field", "expires_on")
                    .arg("value", text));
            }
            let end = date
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
                .ok_or_else(|| {
                    ApiError::bad_request("api.bad_token_date")
                        .arg("field", "expires_on")
                        .arg("value", text)
                })?;
            Ok(Some(end))
        }
        (None, Some(days)) => {
            if !(1..=3650).contains(&days) {
                return Err(ApiError::bad_request("api.token_expiry_days")
                    .arg("field", "expires_in_days")
                    .arg("value", days));
            }
            Ok(Some(Utc::now() + chrono::Duration::days(days)))
        }
        (None, None) => Ok(None),
    }
}

/// A new token of the caller's organisation, with a role no higher than the caller's,
/// optionally expiring and limited to one engagement the organisation sees (another is
/// 400 on the field, whether it exists elsewhere or not).
pub async fn create_token(
    state: &AppState,
    p: &Principal,
    req: TokenRequest,
) -> ApiResult<NewTokenView> {
    p.may(Action::TokenCreate, Rel::Unscoped)?;
    let org = p.org()?.clone();
    if req.role > p.role {
        return Err(ApiError::forbidden());
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request("api.bad_name").arg("field", "name"));
    }
    let expires_at = token_expiry(&req)?;
    let engagement = match req
        .engagement_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => match state.store.visible_engagement(id, &org.id).await? {
            Some(e) => Some(e),
            None => {
                return Err(
                    ApiError::bad_request("api.bad_token_engagement").arg("field", "engagement_id")
                );
            }
        },
        None => None,
    };
    let role = req.role;
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
                expires_at,
                engagement_id: engagement.as_ref().map(|e| e.id.clone()),
            },
        )
        .await?;
    Ok(NewTokenView {
        token: secret,
        details: TokenView::of(details, engagement.map(|e| e.name)),
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

/// The audit log's filters as a person gives them: days (the last one included), who, what
/// was done, to what.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// YYYY-MM-DD, the first and the last day (UTC).
    pub from: Option<String>,
    pub to: Option<String>,
    pub actor: Option<String>,
    pub verb: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub engagement: Option<String>,
}

impl AuditQuery {
    /// The store's filter; a day that is not a date is 400 naming its field (`from`, `to`),
    /// as is a first day after the last.
    pub fn filter(&self) -> ApiResult<AuditFilter> {
        let day = |field: &'static str, v: &Option<String>| -> ApiResult<Option<NaiveDate>> {
            match v.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => Ok(None),
                Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| {
                        ApiError::bad_request("api.bad_date")
                            .arg("value", d)
                            .arg("field", field)
                    }),
            }
        };
        let (from, to) = (day("from", &self.from)?, day("to", &self.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(ApiError::bad_request("api.dates_reversed").arg("field", "from"));
        }
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
        };
        Ok(AuditFilter {
            from: from.map(|d| d.to_string()),
            before: to.and_then(|d| d.succ_opt()).map(|d| d.to_string()),
            actor: text(&self.actor),
            verb: text(&self.verb),
            object_type: text(&self.object_type),
            object_id: text(&self.object_id),
            engagement_id: text(&self.engagement),
        })
    }
}

/// The audit entries the caller may see that match `q`, newest first, and how many: the
/// whole log for a platform administrator, else its organisation's actors' and
/// engagements'.
pub async fn audit_page(
    state: &AppState,
    p: &Principal,
    q: &AuditQuery,
    limit: i64,
    offset: i64,
) -> ApiResult<(Vec<AuditEntry>, i64)> {
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    let filter = q.filter()?;
    p.may(Action::AuditList, Rel::Unscoped)?;
    let org = if p.platform_admin {
        None
    } else {
        Some(p.org()?.id.clone())
    };
    Ok(state
        .store
        .audit_search(org.as_deref(), &filter, limit, offset.max(0))
        .await?)
}
