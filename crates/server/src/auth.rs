//! Who is calling, and may they: sessions (cookie + CSRF header), API tokens (bearer),
//! passwords (Argon2id), login rate limiting and throttling.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use cloudward_store::{Actor, Org, OrgKind, Role, Session, User};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::ApiJson;
use crate::authz::{self, Action, Deny, Rel, Subject};
use crate::error::{ApiError, ApiResult};

pub const SESSION_COOKIE: &str = "cloudward_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const MIN_PASSWORD: usize = 12;

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub org: Option<Org>,
    pub role: Role,
    pub platform_admin: bool,
    /// The session's hash, for logout; `None` for token callers.
    pub session: Option<String>,
    /// The session's CSRF token (forms of the console carry it).
    pub csrf: Option<String>,
    /// The user's chosen language.
    pub lang: Option<String>,
    /// A token limited to this engagement: any other is not there for it.
    pub engagement: Option<String>,
    /// An administrator reset the password: it must be changed before anything else.
    pub must_change_password: bool,
}

impl Principal {
    /// The caller's organisation; platform administrators without one get 403.
    pub fn org(&self) -> ApiResult<&Org> {
        self.org
            .as_ref()
            .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "forbidden", "api.no_organisation"))
    }

    pub fn org_kind(&self) -> Option<OrgKind> {
        self.org.as_ref().map(|o| o.kind)
    }

    /// The caller as the authorisation table sees it.
    pub fn subject(&self) -> Subject {
        Subject {
            org_kind: self.org_kind(),
            role: self.role,
            platform_admin: self.platform_admin,
            token: self.user_id.is_none(),
            limited: self.engagement.is_some(),
            must_change_password: self.must_change_password,
        }
    }

    /// Would `action` be allowed (for what a page offers: the same table decides).
    pub fn can(&self, action: Action, rel: Rel) -> bool {
        authz::decide(Some(&self.subject()), action, rel).is_ok()
    }

    /// How the caller relates to an engagement it has loaded.
    pub fn rel_to(&self, e: &cloudward_store::Engagement) -> Rel {
        self.engagement_rel(Some(e))
    }

    /// How the caller relates to an engagement loaded with its organisation (`None`: not
    /// there for it). A token limited to one engagement is an outsider to every other:
    /// every loader asks here, so no route can reach past the limit.
    pub fn engagement_rel(&self, e: Option<&cloudward_store::Engagement>) -> Rel {
        match (&self.engagement, e) {
            (Some(only), Some(e)) if *only != e.id => Rel::Outsider,
            _ => authz::engagement_rel(self.org.as_ref().map(|o| o.id.as_str()), e),
        }
    }

    /// May the caller do `action` on an object it relates to as `rel`? The one place a
    /// handler asks; the answer comes from [`authz::decide`].
    pub fn may(&self, action: Action, rel: Rel) -> ApiResult<()> {
        authz::decide(Some(&self.subject()), action, rel).map_err(denial)
    }
}

/// The error a caller sees for a refusal.
pub fn denial(d: Deny) -> ApiError {
    match d {
        Deny::Unauthenticated => ApiError::unauthenticated(),
        Deny::NoOrganisation => {
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", "api.no_organisation")
        }
        Deny::NotFound => ApiError::not_found(),
        Deny::Role(role) => ApiError::forbidden().arg("role", role.id()),
        Deny::PasswordChange => ApiError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "api.password_change_required",
        ),
        Deny::Forbidden => ApiError::forbidden(),
    }
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal_from)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Principal> {
        authenticate(parts, state, true).await
    }
}

/// Who is calling. With `csrf_header`, a state change made with the session cookie must
/// carry the session's CSRF token in `X-CSRF-Token` (the API); the console checks the token
/// in its forms instead.
pub async fn authenticate(
    parts: &Parts,
    state: &AppState,
    csrf_header: bool,
) -> ApiResult<Principal> {
    {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let value = auth.to_str().unwrap_or("");
            let Some(token) = value.strip_prefix("Bearer ") else {
                return Err(ApiError::unauthenticated());
            };
            let Some((t, org)) = state
                .store
                .token_with_org(&sha256_hex(token.trim()))
                .await?
            else {
                return Err(ApiError::unauthenticated());
            };
            if t.revoked_at.is_some() {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "token_revoked",
                    "api.token_revoked",
                ));
            }
            if t.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "token_expired",
                    "api.token_expired",
                ));
            }
            return Ok(Principal {
                actor: Actor {
                    id: format!("token:{}", t.id),
                    org_id: Some(t.org_id.clone()),
                },
                user_id: None,
                username: None,
                org,
                role: t.role,
                platform_admin: false,
                session: None,
                csrf: None,
                lang: None,
                engagement: t.engagement_id,
                must_change_password: false,
            });
        }
        let Some(raw) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthenticated());
        };
        let hash = sha256_hex(&raw);
        // The session, its user and the organisation in one query: a session whose user
        // is gone does not authenticate.
        let Some((session, user, org)) = state.store.session_with_user(&hash).await? else {
            return Err(ApiError::unauthenticated());
        };
        // Disabling deletes the sessions; this holds even for one made in the meantime.
        if user.disabled_at.is_some() {
            return Err(ApiError::unauthenticated());
        }
        if session.expires_at <= chrono::Utc::now() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "api.session_expired",
            ));
        }
        // Cookies ride along on cross-site requests; a state change also needs the
        // session's CSRF token, which only our own pages and clients can read.
        if csrf_header && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let given = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(given.as_bytes(), session.csrf_token.as_bytes()) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "csrf", "api.csrf"));
            }
        }
        Ok(Principal {
            actor: Actor {
                id: user.id.clone(),
                org_id: user.org_id.clone(),
            },
            user_id: Some(user.id.clone()),
            username: Some(user.username.clone()),
            org,
            role: user.role,
            platform_admin: user.platform_admin,
            session: Some(hash),
            csrf: Some(session.csrf_token),
            lang: user.lang,
            engagement: None,
            must_change_password: user.must_change_password,
        })
    }
}

/// Hashes a password with Argon2id (default parameters, random salt).
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).ok().is_some_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that the answer takes as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("no such user, no such password").unwrap_or_default())
}

pub async fn hash_blocking(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal_from)?
        .map_err(ApiError::internal_from)
}

async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

pub fn check_password_policy(password: &str) -> ApiResult<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "weak_password",
            "api.weak_password",
        )
        .arg("min", MIN_PASSWORD));
    }
    Ok(())
}

/// Failed login attempts per client address in a sliding minute. Only failures count, so a
/// busy address (many users behind one proxy) logging in correctly is never refused.
#[derive(Debug)]
pub struct LoginLimiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> LoginLimiter {
        LoginLimiter {
            per_minute: per_minute.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` to wait when the address failed too often this minute.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let Ok(seen) = self.seen.lock() else {
            return Ok(());
        };
        match seen.get(&ip) {
            Some((start, n))
                if now.duration_since(*start) < Duration::from_secs(60)
                    && *n >= self.per_minute =>
            {
                let wait = 60u64.saturating_sub(now.duration_since(*start).as_secs());
                Err(wait.max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt of the address.
    pub fn failed(&self, ip: IpAddr) {
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let slot = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(slot.0) >= Duration::from_secs(60) {
            *slot = (now, 0);
        }
        slot.1 = slot.1.saturating_add(1);
    }
}

/// Failures of one key (a user name, or a user name from one address).
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed logins per user name — known and unknown names alike, so that the answers do
/// not tell them apart — and per (user name, client address). After `after` failures
/// from one address, the next attempt from there waits `base · 2^k` (k: failures beyond
/// `after`), at most `cap`; after `10 · after` failures from all addresses together, every
/// attempt for the name waits likewise. Nothing locks: once the delay has passed, the
/// right password works again. A success forgets the (name, address) failures. Both maps
/// are bounded; failures older than a day are forgotten.
#[derive(Debug)]
pub struct LoginThrottle {
    after: u32,
    everyone_after: u32,
    base: Duration,
    cap: Duration,
    max_entries: usize,
    by_address: Mutex<HashMap<(String, IpAddr), Failures>>,
    by_name: Mutex<HashMap<String, Failures>>,
    /// Added to the clock: lets tests move time forward.
    skew: Mutex<Duration>,
}

const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

impl LoginThrottle {
    pub fn new(after: u32, base: Duration, cap: Duration, max_entries: usize) -> LoginThrottle {
        let after = after.max(1);
        LoginThrottle {
            after,
            everyone_after: after.saturating_mul(10),
            base,
            cap,
            max_entries: max_entries.max(1),
            by_address: Mutex::new(HashMap::new()),
            by_name: Mutex::new(HashMap::new()),
            skew: Mutex::new(Duration::ZERO),
        }
    }

    pub fn from_config(config: &crate::Config) -> LoginThrottle {
        LoginThrottle::new(
            u32::try_from(config.lockout_after.max(1)).unwrap_or(u32::MAX),
            Duration::from_secs(config.login_backoff_base_seconds),
            Duration::from_secs(u64::try_from(config.lockout_minutes.max(0)).unwrap_or(0) * 60),
            100_000,
        )
    }

    /// Moves this throttle's clock forward (for tests: a delay passes without waiting).
    pub fn advance_clock(&self, by: Duration) {
        if let Ok(mut skew) = self.skew.lock() {
            *skew += by;
        }
    }

    pub fn now(&self) -> Instant {
        let skew = self.skew.lock().map(|s| *s).unwrap_or_default();
        Instant::now() + skew
    }

    fn key(name: &str) -> String {
        name.trim().to_lowercase()
    }

    fn delay(&self, beyond: u32) -> Duration {
        let factor = 2u32.checked_pow(beyond).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// How long the failures `f` make the next attempt wait, from `now`.
    fn wait(&self, f: Option<&Failures>, threshold: u32, now: Instant) -> Option<Duration> {
        let f = f?;
        if f.count < threshold || now.duration_since(f.last) >= FORGET_AFTER {
            return None;
        }
        let until = f.last + self.delay(f.count - threshold);
        (until > now).then(|| until - now)
    }

    /// `Err(wait)` when an attempt for `name` from `ip` must wait.
    pub fn check(&self, name: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = Self::key(name);
        let mine = self
            .by_address
            .lock()
            .ok()
            .and_then(|m| self.wait(m.get(&(key.clone(), ip)), self.after, now));
        let everyone = self
            .by_name
            .lock()
            .ok()
            .and_then(|m| self.wait(m.get(&key), self.everyone_after, now));
        match mine.max(everyone) {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt for `name` from `ip`.
    pub fn failed(&self, name: &str, ip: IpAddr, now: Instant) {
        let key = Self::key(name);
        let max = self.max_entries;
        if let Ok(mut m) = self.by_address.lock() {
            bump(&mut m, (key.clone(), ip), now, max);
        }
        if let Ok(mut m) = self.by_name.lock() {
            bump(&mut m, key, now, max);
        }
    }

    /// A success from `ip` forgets that address's failures for the name.
    pub fn succeeded(&self, name: &str, ip: IpAddr) {
        if let Ok(mut m) = self.by_address.lock() {
            m.remove(&(Self::key(name), ip));
        }
    }

    /// An administrator's unlock: forgets every failure of the name, from every address.
    pub fn forget(&self, name: &str) {
        let key = Self::key(name);
        if let Ok(mut m) = self.by_address.lock() {
            m.retain(|(k, _), _| *k != key);
        }
        if let Ok(mut m) = self.by_name.lock() {
            m.remove(&key);
        }
    }

    /// Whether an attempt for the name must wait now, from some address or from all.
    pub fn is_throttled(&self, name: &str, now: Instant) -> bool {
        let key = Self::key(name);
        let somewhere = self.by_address.lock().ok().is_some_and(|m| {
            m.iter()
                .any(|((k, _), f)| *k == key && self.wait(Some(f), self.after, now).is_some())
        });
        somewhere
            || self
                .by_name
                .lock()
                .ok()
                .is_some_and(|m| self.wait(m.get(&key), self.everyone_after, now).is_some())
    }
}

/// One more failure under `key`; a full map first forgets old entries, then the entry
/// failed least recently.
fn bump<K: std::hash::Hash + Eq + Clone>(
    m: &mut HashMap<K, Failures>,
    key: K,
    now: Instant,
    max: usize,
) {
    if !m.contains_key(&key) && m.len() >= max {
        m.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        if m.len() >= max
            && let Some(oldest) = m.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone())
        {
            m.remove(&oldest);
        }
    }
    let f = m.entry(key).or_insert(Failures {
        count: 0,
        last: now,
    });
    if now.duration_since(f.last) >= FORGET_AFTER {
        f.count = 0;
    }
    f.count = f.count.saturating_add(1);
    f.last = now;
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub organisation: Option<OrgView>,
    /// read_only, member or org_admin
    #[schema(value_type = String)]
    pub role: Role,
    pub platform_admin: bool,
    /// An administrator reset the password: change it (`POST /api/v1/auth/password`)
    /// before anything else (403 `password_change_required` until then).
    pub must_change_password: bool,
    /// Send it back in the `X-CSRF-Token` header with every state-changing request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    /// customer, provider, security_service_provider or assessor
    #[schema(value_type = String)]
    pub kind: OrgKind,
}

impl From<&Org> for OrgView {
    fn from(o: &Org) -> OrgView {
        OrgView {
            id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind,
        }
    }
}

pub fn session_cookie(state: &AppState, value: &str, max_age: i64) -> ApiResult<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal_from)
}

/// Seconds to wait, rounded up.
fn seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Too many failures for this name: the same answer whether the name exists or not (the
/// wait is in `Retry-After`, not in the body).
fn throttled(wait: Duration) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "login_throttled",
        "api.login_throttled",
    )
    .arg("seconds", seconds(wait).max(1))
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "api.bad_credentials",
    )
}

/// Log in with a password; sets the session cookie and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = MeResponse), (status = 401, description = "wrong user or password"),
        (status = 429, description = "too many failed attempts for this name (`login_throttled`) or from this address (`rate_limited`); wait `Retry-After` seconds")))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let ok = match password_login(&state, peer.ip(), &req.username, req.password).await {
        Ok(ok) => ok,
        Err(e) => return Ok(with_retry_after(e)),
    };
    let body = me_of(&ok.user, ok.org.as_ref(), Some(ok.csrf));
    let mut r = Json(body).into_response();
    r.headers_mut().insert(header::SET_COOKIE, ok.cookie);
    Ok(r)
}

/// A rate-limit refusal carries `Retry-After`.
pub fn with_retry_after(e: ApiError) -> Response {
    let wait = e
        .args
        .iter()
        .find(|(k, _)| *k == "seconds")
        .map(|(_, v)| v.clone());
    let mut r = e.into_response();
    if let Some(v) = wait.and_then(|w| HeaderValue::from_str(&w).ok()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// A successful password login: the session cookie to set, and who logged in.
#[derive(Debug)]
pub struct LoginOk {
    pub user: User,
    pub org: Option<Org>,
    pub csrf: String,
    pub cookie: HeaderValue,
}

/// Rate limit, throttling, Argon2id verification and a new session: the API's login and
/// the console's login form both go through here.
pub async fn password_login(
    state: &AppState,
    ip: IpAddr,
    username: &str,
    password: String,
) -> ApiResult<LoginOk> {
    if let Err(wait) = state.limiter.check(ip) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "api.rate_limited",
        )
        .arg("seconds", wait));
    }
    let throttle = &state.throttle;
    if let Err(wait) = throttle.check(username, ip, throttle.now()) {
        return Err(throttled(wait));
    }
    let failed = || {
        throttle.failed(username, ip, throttle.now());
        state.limiter.failed(ip);
    };
    let Some(user) = state.store.find_user(username).await? else {
        verify_blocking(password, dummy_hash().to_owned()).await;
        failed();
        return Err(bad_credentials());
    };
    let now = chrono::Utc::now();
    // A disabled user gets the answer of a wrong password, after the same work, so the
    // answers do not tell disabled accounts apart.
    if !verify_blocking(password, user.password_hash.clone()).await || user.disabled_at.is_some() {
        failed();
        // Recorded (and audited) but never a lock: the throttle slows the next attempts.
        state
            .store
            .login_failed(&user.id, user.failed_logins.saturating_add(1), None)
            .await?;
        return Err(bad_credentials());
    }
    throttle.succeeded(username, ip);
    let raw = random_token()?;
    let csrf = random_token()?;
    let minutes = state.config.session_minutes;
    state
        .store
        .login_succeeded(
            &user.id,
            Session {
                token_hash: sha256_hex(&raw),
                user_id: user.id.clone(),
                csrf_token: csrf.clone(),
                created_at: now,
                expires_at: now + chrono::Duration::minutes(minutes),
            },
        )
        .await?;
    tracing::info!(user = %user.username, "login");
    let org = match &user.org_id {
        Some(id) => state.store.get_org(id).await?,
        None => None,
    };
    Ok(LoginOk {
        cookie: session_cookie(state, &raw, minutes * 60)?,
        user,
        org,
        csrf,
    })
}

fn me_of(user: &User, org: Option<&Org>, csrf: Option<String>) -> MeResponse {
    MeResponse {
        user_id: Some(user.id.clone()),
        username: Some(user.username.clone()),
        organisation: org.map(OrgView::from),
        role: user.role,
        platform_admin: user.platform_admin,
        must_change_password: user.must_change_password,
        csrf_token: csrf,
    }
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(State(state): State<AppState>, p: Principal) -> ApiResult<Response> {
    p.may(Action::Logout, Rel::Unscoped)?;
    if let Some(hash) = &p.session {
        state.store.delete_session(&p.actor, hash).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0)?);
    Ok(r)
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = MeResponse)))]
pub async fn me(State(state): State<AppState>, p: Principal) -> ApiResult<Json<MeResponse>> {
    p.may(Action::Me, Rel::Unscoped)?;
    let csrf = match &p.session {
        Some(h) => state.store.get_session(h).await?.map(|s| s.csrf_token),
        None => None,
    };
    Ok(Json(MeResponse {
        user_id: p.user_id.clone(),
        username: p.username.clone(),
        organisation: p.org.as_ref().map(OrgView::from),
        role: p.role,
        platform_admin: p.platform_admin,
        must_change_password: p.must_change_password,
        csrf_token: csrf,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password; every other session of the user ends.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "changed; this session goes on, every other one of the user ends"),
        (status = 400, description = "the current password is wrong (`bad_current_password`), or the new one too short (`weak_password`) or the same; `field` names which")))]
pub async fn change_password(
    State(state): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    change_own_password(&state, &p, req.current_password, req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own password: the current one must be right (400 naming
/// `current_password`, never 401: the caller is signed in, only the field is wrong), the
/// new one long enough and not the same; the caller's other sessions end, this one stays.
/// The API and the console's account page both go through here.
pub async fn change_own_password(
    state: &AppState,
    p: &Principal,
    current: String,
    new: String,
) -> ApiResult<()> {
    p.may(Action::ChangePassword, Rel::Unscoped)?;
    let Some(user_id) = &p.user_id else {
        return Err(ApiError::forbidden());
    };
    let user = state
        .store
        .get_user(user_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if !verify_blocking(current, user.password_hash.clone()).await {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_current_password",
            "api.bad_current_password",
        )
        .arg("field", "current_password"));
    }
    check_password_policy(&new).map_err(|e| e.arg("field", "new_password"))?;
    if verify_blocking(new.clone(), user.password_hash).await {
        return Err(ApiError::bad_request("api.same_password").arg("field", "new_password"));
    }
    let hash = hash_blocking(new).await?;
    state
        .store
        .set_password(&p.actor, user_id, &hash, p.session.as_deref())
        .await?;
    Ok(())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/password", post(change_password))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_wait_doubles_per_failure_up_to_the_cap_and_then_lets_the_attempt_through() {
        let t = LoginThrottle::new(3, SECOND, 4 * SECOND, 100);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(t.check("Alice", ip, t0), Ok(()));
            t.failed("Alice", ip, t0);
        }
        // Case does not matter; other addresses are not slowed (yet).
        assert_eq!(t.check("alice", ip, t0), Err(SECOND));
        assert_eq!(t.check("alice", [10, 0, 0, 2].into(), t0), Ok(()));
        assert_eq!(t.check("alice", ip, t0 + SECOND), Ok(()));
        t.failed("alice", ip, t0 + SECOND);
        assert_eq!(t.check("alice", ip, t0 + SECOND), Err(2 * SECOND));
        let t1 = t0 + 3 * SECOND;
        t.failed("alice", ip, t1);
        assert_eq!(t.check("alice", ip, t1), Err(4 * SECOND));
        t.failed("alice", ip, t1 + 4 * SECOND);
        assert_eq!(
            t.check("alice", ip, t1 + 4 * SECOND),
            Err(4 * SECOND),
            "capped"
        );
        assert_eq!(t.check("alice", ip, t1 + 8 * SECOND), Ok(()));
        // A success from the address forgets its failures.
        t.succeeded("alice", ip);
        t.failed("alice", ip, t1 + 8 * SECOND);
        assert_eq!(t.check("alice", ip, t1 + 8 * SECOND), Ok(()));
    }

    #[test]
    fn many_addresses_slow_the_name_for_everyone_and_the_maps_stay_bounded() {
        let t = LoginThrottle::new(1, SECOND, 60 * SECOND, 8);
        let t0 = Instant::now();
        for i in 0..10u8 {
            t.failed("root", [10, 0, 0, i].into(), t0);
        }
        assert_eq!(t.check("root", [192, 168, 0, 1].into(), t0), Err(SECOND));
        assert_eq!(
            t.check("root", [192, 168, 0, 1].into(), t0 + SECOND),
            Ok(())
        );
        assert!(t.by_address.lock().map(|m| m.len()).unwrap_or(0) <= 8);
        for i in 0..50u8 {
            t.failed(&format!("user{i}"), [10, 0, 1, i].into(), t0);
        }
        assert!(t.by_name.lock().map(|m| m.len()).unwrap_or(0) <= 8);
        assert!(t.by_address.lock().map(|m| m.len()).unwrap_or(0) <= 8);
    }

    #[test]
    fn the_limiter_counts_failures_only() {
        let l = LoginLimiter::new(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..10 {
            assert_eq!(l.check(ip), Ok(()));
        }
        l.failed(ip);
        assert_eq!(l.check(ip), Ok(()));
        l.failed(ip);
        assert!(l.check(ip).is_err());
    }
}
