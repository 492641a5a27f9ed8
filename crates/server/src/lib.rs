//! The governance server: the HTTP adapter over the store and the domain. Routes live in
//! `api` (engagements) and `admin` (organisations, users, tokens, audit); who may do what
//! is decided in `auth`. Nothing here evaluates an engagement itself: the domain does, the
//! same functions the CLI calls.

pub mod admin;
pub mod api;
pub mod auth;
pub mod authz;
pub mod blobs;
pub mod console;
pub mod demo;
pub mod documents;
pub mod download;
pub mod error;
pub mod evidence;
pub mod frameworks;
mod metrics;
pub mod notifications;
pub mod notify;
pub mod oscal;
pub mod scanning;
pub mod services;
pub mod supervision;
pub mod workflow;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cloudward_domain::Lang;
use cloudward_domain::i18n::Messages;
use cloudward_domain::load::Content;
use cloudward_store::{HashAlg, Store};
use serde::Deserialize;
use utoipa::OpenApi;

use crate::error::ApiError;

/// Everything `cloudward serve` is configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `postgres://…`; unset for the embedded SQLite database.
    pub database: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    pub audit_hash: HashAlg,
    pub checkpoint_interval: i64,
    pub session_minutes: i64,
    /// Failed logins for a user name from one address before further attempts from there
    /// wait (an exponentially growing delay); ten times as many from all addresses together
    /// slow the name down for everyone.
    pub lockout_after: i64,
    /// The longest such delay, in minutes.
    pub lockout_minutes: i64,
    /// The first delay, in seconds; it doubles with every further failure.
    pub login_backoff_base_seconds: u64,
    /// Failed login attempts per client address per minute.
    pub login_rate_per_minute: u32,
    /// Mark the session cookie Secure (set when the server is behind TLS).
    pub secure_cookies: bool,
    /// Hours the customer has to acknowledge a provider's incident report / change notice.
    pub incident_ack_hours: i64,
    pub change_ack_hours: i64,
    /// Where evidence files are kept: `database` or `disk` (under data_dir/evidence).
    pub evidence_storage: blobs::EvidenceStorage,
    /// Largest evidence file, in bytes.
    pub evidence_limit: usize,
    /// The program that runs server scans in a child process (`cloudward`, run as
    /// `cloudward scan-worker`); unset, scans run in the server's own process.
    pub scan_worker: Option<PathBuf>,
    /// A server scan's limits: wall-clock and CPU seconds, and address space in MiB.
    pub scan_timeout_seconds: u64,
    pub scan_memory_mb: u64,
    /// Scans one organisation may run at the same time.
    pub scans_per_org: usize,
    /// Engagements one organisation may hold as the customer.
    pub max_engagements_per_org: i64,
    /// Seconds a client has to send a request's headers (also how long an idle kept-alive
    /// connection stays open).
    pub header_read_timeout_seconds: u64,
    /// Seconds a request may take, body included; 503 `timeout` after.
    pub request_timeout_seconds: u64,
    /// Seconds for requests that carry files or run scans (uploads, imports, scans).
    pub upload_timeout_seconds: u64,
    /// Open connections at most; further clients wait in the listen queue.
    pub max_connections: usize,
    /// Send `Strict-Transport-Security` (also on with `secure_cookies`).
    pub hsts: bool,
    /// The console's address as people reach it (`https://cloudward.example.gov.cn`), for
    /// links in notifications; unset, they carry the path alone.
    pub public_url: Option<String>,
    /// The SMTP server mail notifications go through; unset, email channels fail (and say
    /// why in the delivery log).
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    /// `starttls` (required: no mail goes in the clear) or `none` (a relay on the same
    /// host or network).
    pub smtp_tls: SmtpTls,
    /// A PEM file of certificate authorities to trust for the SMTP server's certificate,
    /// besides the system's (an agency's own CA); read at start and at every send.
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// Whether webhooks may go to loopback, private-network and link-local addresses (a
    /// robot inside the agency's network); off, such a receiver is refused at send time,
    /// whatever its name resolves to.
    pub webhook_private_addresses: bool,
    /// Further folders of fonts for the PDF documents (besides the system's).
    pub font_dirs: Vec<PathBuf>,
    /// A folder of document templates of the organisation's own (`--templates`).
    pub templates_dir: Option<PathBuf>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// The sender of every notification mail (`cloudward <noreply@example.gov.cn>`).
    pub smtp_from: Option<String>,
    /// Attempts of a notification before it is marked failed.
    pub notify_max_attempts: i64,
    /// The wait after the first failed attempt, in seconds; it doubles after each further
    /// one (at most a day).
    pub notify_retry_seconds: u64,
    /// An assessment in use is told as expiring this many days before its end.
    pub notify_expiry_days: i64,
    /// How often the delivery worker looks for notifications due, in seconds; 0: no worker
    /// (tests call `notify::deliver_due` themselves).
    pub notify_interval_seconds: u64,
}

/// How mail goes to the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// STARTTLS, required: the connection fails rather than send in the clear.
    Starttls,
    /// No TLS.
    None,
}

impl SmtpTls {
    pub fn parse(v: &str) -> Option<SmtpTls> {
        match v {
            "starttls" => Some(SmtpTls::Starttls),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }
}

/// A secret of the configuration (the SMTP password): never shown by `Debug`, so a logged
/// configuration does not carry it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("cloudward-data"),
            database: None,
            body_limit: 2 * 1024 * 1024,
            audit_hash: HashAlg::Sha256,
            checkpoint_interval: 100,
            session_minutes: 8 * 60,
            lockout_after: 5,
            lockout_minutes: 15,
            login_backoff_base_seconds: 30,
            login_rate_per_minute: 30,
            secure_cookies: false,
            incident_ack_hours: cloudward_domain::workflow::default_ack_hours(
                cloudward_domain::workflow::NoticeKind::Incident,
            ),
            change_ack_hours: cloudward_domain::workflow::default_ack_hours(
                cloudward_domain::workflow::NoticeKind::Change,
            ),
            evidence_storage: blobs::EvidenceStorage::Database,
            evidence_limit: 25 * 1024 * 1024,
            scan_worker: None,
            scan_timeout_seconds: 120,
            scan_memory_mb: 2048,
            scans_per_org: 2,
            max_engagements_per_org: 5000,
            header_read_timeout_seconds: 10,
            request_timeout_seconds: 60,
            upload_timeout_seconds: 600,
            max_connections: 1024,
            hsts: false,
            public_url: None,
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_ca_file: None,
            webhook_private_addresses: false,
            font_dirs: Vec::new(),
            templates_dir: None,
            smtp_username: None,
            smtp_password: None,
            smtp_from: None,
            notify_max_attempts: 6,
            notify_retry_seconds: 60,
            notify_expiry_days: 30,
            notify_interval_seconds: 10,
        }
    }
}

impl Config {
    pub fn ack_hours(&self, kind: cloudward_domain::workflow::NoticeKind) -> i64 {
        match kind {
            cloudward_domain::workflow::NoticeKind::Incident => self.incident_ack_hours,
            cloudward_domain::workflow::NoticeKind::Change => self.change_ack_hours,
        }
    }

    pub fn store_options(&self) -> cloudward_store::Options {
        cloudward_store::Options {
            database_url: self.database.clone(),
            data_dir: self.data_dir.clone(),
            hash: self.audit_hash,
            checkpoint_interval: self.checkpoint_interval,
        }
    }
}

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub content: Arc<Content>,
    pub messages: Arc<Messages>,
    pub config: Arc<Config>,
    pub limiter: Arc<auth::LoginLimiter>,
    /// Failed logins per user name (and address): the delay before the next attempt.
    pub throttle: Arc<auth::LoginThrottle>,
    /// Imported frameworks read back from their documents, by id (a stored framework never
    /// changes: replacing one gives it a new id).
    pub(crate) frameworks:
        Arc<std::sync::Mutex<HashMap<String, Arc<cloudward_oscal::framework::Framework>>>>,
    metrics: Arc<metrics::Metrics>,
    /// Scans running, per organisation.
    pub(crate) scans: Arc<scanning::ScanSlots>,
    /// Seals webhook URLs and secrets at rest (its key is read, or made, on first use).
    keyring: Arc<std::sync::OnceLock<Result<notify::secrets::Keyring, String>>>,
    /// The document templates and fonts.
    pub(crate) documents: Arc<Documents>,
}

/// What documents are made with: the templates (checked at start) and the fonts (found
/// on first use: scanning the machine's fonts takes a moment).
pub(crate) struct Documents {
    pub(crate) templates: cloudward_report::Templates,
    font_dirs: Vec<PathBuf>,
    fonts: std::sync::OnceLock<Result<cloudward_report::Fonts, String>>,
    /// One permit a core: documents wait for one before they are typeset, so that a burst
    /// of requests cannot take every core from the rest of the server.
    pub(crate) typesetting: tokio::sync::Semaphore,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("font_dirs", &self.font_dirs)
            .finish()
    }
}

impl Documents {
    pub(crate) fn fonts(&self) -> Result<cloudward_report::Fonts, String> {
        self.fonts
            .get_or_init(|| {
                cloudward_report::Fonts::discover(&self.font_dirs).map_err(|e| e.to_string())
            })
            .clone()
    }
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: Config) -> Result<AppState, String> {
        let content = cloudward_content::embedded_content().map_err(|problems| {
            format!(
                "the embedded content does not load: {}",
                problems
                    .iter()
                    .map(|p| format!("{p:?}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let templates = match &config.templates_dir {
            Some(dir) => cloudward_report::templates::from_dir(dir),
            None => cloudward_report::templates::embedded(),
        }
        .map_err(|problems| {
            let messages = cloudward_content::messages();
            format!(
                "the document templates do not load:\n  {}",
                problems
                    .iter()
                    .map(|p| {
                        let mut p = p.clone();
                        if let Some(d) = &config.templates_dir {
                            p.file = d.join(&p.file).display().to_string();
                        }
                        p.render(&messages, cloudward_domain::Lang::En)
                    })
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )
        })?;
        let documents = Arc::new(Documents {
            templates,
            font_dirs: config.font_dirs.clone(),
            fonts: std::sync::OnceLock::new(),
            typesetting: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            ),
        });
        Ok(AppState {
            store,
            documents,
            content: Arc::new(content),
            // Without its messages the console would show bare keys: refuse to start.
            messages: Arc::new(cloudward_content::messages_checked()?),
            limiter: Arc::new(auth::LoginLimiter::new(config.login_rate_per_minute)),
            keyring: Arc::default(),
            throttle: Arc::new(auth::LoginThrottle::from_config(&config)),
            config: Arc::new(config),
            frameworks: Arc::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            scans: Arc::new(scanning::ScanSlots::default()),
        })
    }
}

impl AppState {
    /// The key that seals webhook URLs and secrets, from the data directory.
    pub(crate) fn keyring(&self) -> Result<&notify::secrets::Keyring, String> {
        self.keyring
            .get_or_init(|| notify::secrets::Keyring::load_or_create(&self.config.data_dir))
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "cloudward API", description = "Governance of cloud engagements under GB/T 31167 and GB/T 31168."),
    paths(
        healthz, readyz,
        auth::login, auth::logout, auth::me, auth::change_password,
        api::list, api::create, api::get_one, api::update, api::delete,
        api::import, api::export, api::check, api::classification,
        api::responsibility, api::confirm, api::confirm_all,
        admin::list_orgs, admin::create_org, admin::directory, admin::list_users, admin::create_user, admin::disable_user, admin::enable_user, admin::unlock_user, admin::reset_password, admin::change_role,
        admin::list_tokens, admin::create_token, admin::revoke_token,
        admin::audit_list, admin::audit_verify,
        workflow::list_offerings, workflow::create_offering, workflow::get_offering, workflow::update_offering,
        workflow::invite_assessor, workflow::list_assessments, workflow::get_assessment, workflow::record_results, workflow::results_workbook, workflow::import_results_workbook,
        workflow::respond, workflow::conclude, workflow::publish, workflow::grant,
        workflow::ask_for_evidence, workflow::list_evidence_requests, workflow::answer_evidence_request,
        workflow::close_evidence_request, workflow::reopen_evidence_request, evidence::upload_for_request,
        workflow::use_offering, workflow::transition, workflow::put_contract, workflow::put_records, workflow::tasks, workflow::put_risks,
        workflow::create_notice, workflow::list_notices, workflow::ack_notice, workflow::alerts,
        workflow::get_exit, workflow::exit_step,
        evidence::upload, evidence::list, evidence::download,
        documents::issue, documents::list, documents::download, documents::verify,
        documents::assessment_report, documents::scan_report, documents::tables,
        evidence::upload_for_assessment, evidence::attach_output, evidence::list_for_assessment, evidence::download_for_assessment,
        supervision::upload, supervision::run_scan, supervision::posture, supervision::supervision_data, supervision::export_findings,
        supervision::list_findings, supervision::act_on_finding, supervision::act_on_findings,
        supervision::get_run, supervision::get_run_report, oscal::scan_results,
        oscal::catalog, oscal::profile, oscal::ssp, oscal::poam, oscal::component,
        oscal::results, oscal::import_results,
        frameworks::import, frameworks::list, frameworks::document, frameworks::controls,
        frameworks::control, frameworks::mapping, frameworks::delete,
        notifications::list_channels, notifications::create_channel, notifications::update_channel,
        notifications::delete_channel, notifications::test_channel, notifications::list_deliveries,
    ),
    tags(
        (name = "engagements", description = "Engagements and their evaluation"),
        (name = "auth", description = "Login, sessions, passwords"),
        (name = "admin", description = "Organisations, users, tokens, audit"),
        (name = "workflow", description = "Offerings, assessments, lifecycle, notices, evidence, exit"),
        (name = "supervision", description = "Scans, posture, findings"),
        (name = "oscal", description = "OSCAL 1.2.1 exports and import"),
        (name = "notifications", description = "Notification channels, their test, the delivery log"),
        (name = "documents", description = "The guide's documents: issue, list, download, verify"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .route("/api/openapi.json", get(openapi))
        .merge(auth::routes())
        .merge(api::routes())
        .merge(admin::routes())
        .merge(workflow::routes())
        .merge(evidence::routes(state.config.evidence_limit))
        .merge(supervision::routes(state.config.evidence_limit))
        .merge(console::routes(state.config.evidence_limit))
        .merge(oscal::routes(state.config.evidence_limit))
        .merge(frameworks::routes(state.config.evidence_limit))
        .merge(notifications::routes())
        .merge(documents::routes())
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(middleware::from_fn_with_state(state.clone(), localise))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(_) => ApiError::internal().into_response(),
    }
}

/// The language of a request: `?lang=`, then the user's choice (set by `auth`), then
/// `Accept-Language`; Chinese by default.
pub fn request_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(q) = query {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("lang=")
                && let Some(l) = Lang::parse(v)
            {
                return l;
            }
        }
    }
    if let Some(al) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        for part in al.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim();
            if let Some(l) = Lang::parse(tag) {
                return l;
            }
        }
    }
    Lang::Zh
}

/// Requests that carry files or run scans: they get `upload_timeout_seconds`.
fn long_running(method: &axum::http::Method, path: &str) -> bool {
    if method != axum::http::Method::POST {
        return false;
    }
    let last = path.rsplit('/').next().unwrap_or("");
    matches!(
        last,
        "evidence" | "scans" | "run" | "import" | "frameworks" | "results"
    )
}

/// Bounds the time of a request, reading its body included: 503 `timeout` after.
async fn time_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let seconds = if long_running(req.method(), req.uri().path()) {
        state.config.upload_timeout_seconds
    } else {
        state.config.request_timeout_seconds
    };
    match tokio::time::timeout(
        std::time::Duration::from_secs(seconds.max(1)),
        next.run(req),
    )
    .await
    {
        Ok(res) => res,
        Err(_) => {
            let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", "api.timeout")
                .arg("seconds", seconds);
            e.detail = Some(format!("the request took longer than {seconds} s"));
            e.into_response()
        }
    }
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), \
magnetometer=(), microphone=(), payment=(), usb=()";

/// Security headers on every response; `Cache-Control: no-store` on all but the static
/// files (which say how long they may be cached).
async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let cacheable =
        is_static && res.status().is_success() && res.headers().contains_key(header::CACHE_CONTROL);
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.hsts || state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The cause of a server error, kept with a response that is not an `ApiError` (a console
/// page) so that `localise` can log it.
#[derive(Debug, Clone)]
pub struct ErrorDetail(pub String);

/// Renders API errors (our own and the framework's rejections) as JSON in the request's
/// language, and logs every server error with its request and cause.
async fn localise(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = request_lang(req.uri().query(), req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    if res.status().is_server_error() {
        let detail = res
            .extensions()
            .get::<ApiError>()
            .and_then(|e| e.detail.clone())
            .or_else(|| res.extensions().get::<ErrorDetail>().map(|d| d.0.clone()));
        tracing::error!(
            %method,
            %path,
            status = res.status().as_u16(),
            error = detail.as_deref().unwrap_or("(no detail)"),
            "server error"
        );
    }
    let error = match res.extensions().get::<ApiError>() {
        Some(e) => e.clone(),
        None if res.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "api.too_large")
                .arg("limit", state.config.body_limit)
        }
        None if res.status() == StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "api.method_not_allowed",
        ),
        None => return res,
    };
    let message = state.messages.render(error.key, lang, &error.args);
    let mut body = serde_json::json!({ "error": { "code": error.code, "message": message } });
    // The field a refusal is about (a form shows the message beside it).
    if let Some((_, field)) = error.args.iter().find(|(k, _)| *k == "field")
        && !field.is_empty()
    {
        body["error"]["field"] = serde_json::Value::String(field.clone());
    }
    if let Some(d) = error.details {
        body["error"]["details"] = d;
    }
    let mut out = (error.status, axum::Json(body)).into_response();
    // Keep headers a handler set on purpose (Retry-After, Set-Cookie).
    for name in [header::RETRY_AFTER, header::SET_COOKIE] {
        if let Some(v) = res.headers_mut().remove(&name) {
            out.headers_mut().insert(name, v);
        }
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] cloudward_store::StoreError),
    #[error("cannot listen on {addr}: {detail}")]
    Listen { addr: String, detail: String },
    #[error("{0}")]
    Setup(String),
}

/// Binds the listener; the caller learns the actual address (port 0 picks a free one).
pub async fn bind(config: &Config) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| ServeError::Listen {
            addr: config.listen.clone(),
            detail: e.to_string(),
        })
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight, signs a final
/// audit checkpoint and closes the database.
///
/// Each connection must send a request's headers within `header_read_timeout_seconds`
/// (which also closes kept-alive connections left idle that long); at most
/// `max_connections` are open at once — further clients wait in the listen queue until one
/// closes, so that stalled clients cannot exhaust the process's file descriptors.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> Result<(), ServeError> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let store = state.store.clone();
    let header_timeout =
        std::time::Duration::from_secs(state.config.header_read_timeout_seconds.max(1));
    let drain = std::time::Duration::from_secs(state.config.upload_timeout_seconds.max(1));
    let permits = Arc::new(tokio::sync::Semaphore::new(
        state.config.max_connections.max(1),
    ));
    let worker = notify::spawn_worker(state.clone());
    let app = router(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            },
        );
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("no longer accepting connections; finishing the requests in flight");
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} s; stopping anyway",
            drain.as_secs()
        );
    }
    if let Some(w) = worker {
        w.abort();
    }
    tracing::info!("shutting down: signing a last audit checkpoint");
    if let Err(e) = store.checkpoint_now().await {
        tracing::error!(error = %e, "final audit checkpoint failed");
    }
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("signal received");
}
