//! The web console: server-rendered pages (askama templates, checked at compile time) over
//! the same store and domain functions as the API. Every page works without JavaScript;
//! forms carry the session's CSRF token; text comes from the message table in the user's
//! language (Chinese by default; before login `?lang=` and `Accept-Language`).

mod account;
mod admin;
mod audit;
mod charts;
mod flow;
mod frameworks;
mod notifications;
mod pages;
mod paging;
mod records;
mod requirements;
mod setup;
mod supervise;
mod wizard;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cloudward_domain::Lang;
use cloudward_domain::i18n::Messages;

use crate::AppState;
use crate::auth::Principal;

pub const LANG_COOKIE: &str = "cloudward_lang";

/// Text of the console in one language.
#[derive(Debug, Clone)]
pub struct Ui {
    pub lang: Lang,
    messages: Arc<Messages>,
}

impl Ui {
    pub fn new(lang: Lang, messages: Arc<Messages>) -> Ui {
        Ui { lang, messages }
    }

    /// The message of `key`, if the messages have it.
    pub fn maybe(&self, key: &str) -> Option<String> {
        self.messages
            .get(key)
            .map(|_| self.messages.render(key, self.lang, &[]))
    }

    pub fn t(&self, key: &str) -> String {
        self.messages.render(key, self.lang, &[])
    }

    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.messages
            .render(key, self.lang, &[(name, value.to_owned())])
    }

    /// A message with several arguments.
    pub fn targs(&self, key: &str, args: &[(&str, String)]) -> String {
        self.messages.render(key, self.lang, args)
    }

    /// `zh` or `en`, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    pub fn messages_render(&self, key: &str, args: &[(&str, String)]) -> String {
        self.messages.render(key, self.lang, args)
    }

    /// A bilingual text of the content in this language.
    pub fn text(&self, t: &cloudward_domain::Text) -> String {
        t.get(self.lang).to_owned()
    }
}

/// The language before login: `?lang=`, the language cookie, `Accept-Language`, Chinese.
pub fn anonymous_lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(q) = query
        && q.split('&').any(|p| p.starts_with("lang="))
    {
        return crate::request_lang(query, headers);
    }
    if let Some(l) = cookie_lang(headers) {
        return l;
    }
    crate::request_lang(None, headers)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v))
}

/// A logged-in console user; anything else is sent to the login page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub p: Principal,
    pub ui: Ui,
    pub csrf: String,
    /// The page a refusal offers to go back to: the form's page for a form sent.
    pub back: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let path = parts.uri.path().to_owned();
        match crate::auth::authenticate(parts, state, false).await {
            // Until a reset password is changed, the account page is the only page.
            Ok(p)
                if p.session.is_some()
                    && p.must_change_password
                    && !matches!(path.as_str(), "/account" | "/logout" | "/language") =>
            {
                Err(Redirect::to("/account").into_response())
            }
            Ok(p) if p.session.is_some() => {
                let lang = p
                    .lang
                    .as_deref()
                    .and_then(Lang::parse)
                    .unwrap_or_else(|| anonymous_lang(parts.uri.query(), &parts.headers));
                let csrf = p.csrf.clone().unwrap_or_default();
                Ok(Viewer {
                    ui: Ui::new(lang, state.messages.clone()),
                    p,
                    csrf,
                    back: back_for(&parts.method, &path),
                })
            }
            Ok(_) => Err(Redirect::to("/login").into_response()),
            Err(e) => {
                let reason = if e.code == "session_expired" {
                    "&expired=1"
                } else {
                    ""
                };
                let next = urlencode(&path);
                Err(Redirect::to(&format!("/login?next={next}{reason}")).into_response())
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A form's CSRF token must be the session's; otherwise the refusal page.
pub fn check_csrf(v: &Viewer, given: Option<&String>) -> Option<Response> {
    let ok = given.is_some_and(|g| {
        !v.csrf.is_empty()
            && g.len() == v.csrf.len()
            && g.bytes()
                .zip(v.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    (!ok).then(|| viewer_error(v, StatusCode::FORBIDDEN, &v.ui.t("ui.csrf_refused")))
}

/// The page of an API refusal: its message and those (or the codes) of its details.
pub fn refused(v: &Viewer, e: &crate::error::ApiError) -> Response {
    let args: Vec<(&str, String)> = e.args.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut msg = v.ui.messages_render(e.key, &args);
    for part in e.detail_messages() {
        msg.push_str(" · ");
        msg.push_str(&part);
    }
    let mut r = viewer_error(v, e.status, &msg);
    if let Some(d) = &e.detail {
        r.extensions_mut().insert(crate::ErrorDetail(d.clone()));
    }
    r
}

/// What a refused form sent, to show the form again with every value kept and each
/// refusal beside its field.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    /// Which form of the page (`accept:<finding>`, `notice` …); empty for none.
    pub form: String,
    pub values: std::collections::BTreeMap<String, String>,
    /// Field → why it was not taken; `""` for the form as a whole.
    pub errors: std::collections::BTreeMap<String, String>,
}

impl Echo {
    /// The form `form` sent `values`, refused with `message` about `field` (`""` when it is
    /// about no one field).
    pub fn refused(
        form: impl Into<String>,
        values: &[(&str, &str)],
        field: &str,
        message: String,
    ) -> Echo {
        let mut e = Echo {
            form: form.into(),
            ..Echo::default()
        };
        for (k, v) in values {
            e.values.insert((*k).to_owned(), (*v).to_owned());
        }
        e.errors.insert(field.to_owned(), message);
        e
    }

    /// A service's refusal of the form: beside the field it names (`field` argument), or
    /// for the whole form.
    pub fn from_error(
        v: &Viewer,
        form: impl Into<String>,
        values: &[(&str, &str)],
        e: &crate::error::ApiError,
    ) -> Echo {
        // `seat` names the field of a refused party (an organisation of the wrong kind).
        let field = ["field", "seat"]
            .iter()
            .find_map(|name| e.args.iter().find(|(k, _)| k == name))
            .map(|(_, f)| f.as_str())
            .unwrap_or("");
        Echo::refused(form, values, field, problem_text(v, e))
    }

    /// Whether this is the form `kind` (of the object `id`, when given).
    pub fn is(&self, kind: &str, id: &str) -> bool {
        if id.is_empty() {
            self.form == kind
        } else {
            self.form == format!("{kind}:{id}")
        }
    }

    /// The value sent for `field` (empty when none).
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// Why `field` was not taken, if it was not.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// The refusals kept under `prefix` (one per problem of an upload), in order.
    pub fn lines(&self, prefix: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A refusal that is about what the form sent (a file's name, type or size): the console
/// shows the form again with the message instead of a page of its own.
pub fn is_form_problem(e: &crate::error::ApiError) -> bool {
    matches!(e.status.as_u16(), 400 | 413 | 415 | 422)
}

/// The message of a refusal in the viewer's language.
/// Placeholders that carry ids are given in words: an organisation's kind by its name, a
/// field by its label on the form (`assessor_org_id` → the label "Assessor").
pub fn problem_text(v: &Viewer, e: &crate::error::ApiError) -> String {
    let words = |key: String| v.ui.maybe(&key);
    let args: Vec<(&str, String)> = e
        .args
        .iter()
        .map(|(k, value)| {
            let named = match *k {
                "kind" => words(format!("ui.org_kind.{value}")),
                "field" | "seat" => words(format!("ui.{value}")).or_else(|| {
                    value
                        .strip_suffix("_org_id")
                        .and_then(|f| words(format!("ui.{f}")))
                }),
                _ => None,
            };
            (*k, named.unwrap_or_else(|| value.clone()))
        })
        .collect();
    v.ui.messages_render(e.key, &args)
}

/// A multipart form: its text fields, and the file of its `file` field (name and bytes).
#[derive(Debug)]
pub struct Upload {
    pub fields: std::collections::BTreeMap<String, String>,
    pub file_name: String,
    pub bytes: axum::body::Bytes,
}

impl Upload {
    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

/// Reads a `multipart/form-data` form (forms with a file work without JavaScript); a body
/// over `limit` or an unreadable one is an error page.
pub async fn read_upload(
    v: &Viewer,
    mut form: axum::extract::Multipart,
    limit: usize,
) -> Result<Upload, Response> {
    let fail = |status: StatusCode| {
        let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "api.too_large"
        } else {
            "api.unreadable_body"
        };
        viewer_error(v, status, &v.ui.t1(key, "limit", &limit.to_string()))
    };
    let mut up = Upload {
        fields: std::collections::BTreeMap::new(),
        file_name: String::new(),
        bytes: axum::body::Bytes::new(),
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(up),
            Err(e) => return Err(fail(e.status())),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            up.file_name = field.file_name().unwrap_or("").to_owned();
            up.bytes = field.bytes().await.map_err(|e| fail(e.status()))?;
        } else {
            let value = field.text().await.map_err(|e| fail(e.status()))?;
            up.fields.insert(name, value);
        }
    }
}

/// Back to a page, with a note it shows (`?done=`).
pub fn back_to(path: &str, note: &str) -> Response {
    Redirect::to(&format!("{path}?done={}", urlencode(note))).into_response()
}

/// A page that says what went wrong, in the user's language (before anyone is logged in:
/// no header).
pub fn error_page(ui: &Ui, status: StatusCode, message: &str) -> Response {
    let page = pages::ErrorPage {
        ui: ui.clone(),
        nav: None,
        status: status.as_u16(),
        status_text: status_words(ui, status),
        message: message.to_owned(),
        back: "/dashboard".to_owned(),
    };
    (status, render(&page)).into_response()
}

/// What went wrong for someone logged in: the page keeps the header and offers the way
/// back to the page the user came from (the form's page, for a form sent).
pub fn viewer_error(v: &Viewer, status: StatusCode, message: &str) -> Response {
    // What the form sent was not taken: back to the form. Anything else (not found, not
    // allowed) leads to the dashboard, so a refusal never names the object it refused.
    let back = if matches!(status.as_u16(), 400 | 409 | 413 | 415 | 422 | 429) {
        v.back.clone()
    } else {
        "/dashboard".to_owned()
    };
    let page = pages::ErrorPage {
        ui: v.ui.clone(),
        nav: Some(pages::nav(v, "", &back)),
        status: status.as_u16(),
        status_text: status_words(&v.ui, status),
        message: message.to_owned(),
        back,
    };
    (status, render(&page)).into_response()
}

/// A console form. One that cannot be read (a field missing or not of its kind, a body
/// that is not a form) is answered with the console's error page in the reader's language,
/// with the header and the way back to the form, instead of axum's plain-text status.
#[derive(Debug)]
pub struct ConsoleForm<T>(pub T);

impl<T> axum::extract::FromRequest<AppState> for ConsoleForm<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<ConsoleForm<T>, Response> {
        // What the error page needs of the request, kept before the body is read.
        let (head, body) = req.into_parts();
        let mut probe = axum::http::Request::builder()
            .method(head.method.clone())
            .uri(head.uri.clone())
            .body(())
            .map(|r| r.into_parts().0)
            .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        probe.headers = head.headers.clone();
        let req = axum::extract::Request::from_parts(head, body);
        match axum::extract::Form::<T>::from_request(req, state).await {
            Ok(axum::extract::Form(value)) => Ok(ConsoleForm(value)),
            Err(rejection) => {
                let status = rejection.status();
                Err(match Viewer::from_request_parts(&mut probe, state).await {
                    Ok(v) => {
                        let key = if status == StatusCode::PAYLOAD_TOO_LARGE {
                            "ui.form_too_large"
                        } else {
                            "ui.form_unreadable"
                        };
                        viewer_error(&v, status, &v.ui.t(key))
                    }
                    Err(r) => r,
                })
            }
        }
    }
}

/// Text as HTML (escaped), with what in a Chinese sentence is code — attribute names and
/// values such as `trail_region`, `Enable`, `alicloud_oss_bucket.logs` — marked as code;
/// English text is prose and only escaped. A token is a run of ASCII letters, digits and
/// `_ . : / -` with a lower-case letter in it (acronyms such as OSS stay words).
pub fn code_marked(text: &str, lang: Lang) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    if lang != Lang::Zh {
        return escape(text);
    }
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-');
    let mut out = String::with_capacity(text.len() + 16);
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if token.is_empty() {
            return;
        }
        // A trailing dot or dash ends the sentence, not the token.
        let core = token.trim_end_matches(['.', '-', ':', '/']);
        let rest = &token[core.len()..];
        if core.chars().any(|c| c.is_ascii_lowercase()) {
            out.push_str("<code>");
            out.push_str(&escape(core));
            out.push_str("</code>");
            out.push_str(&escape(rest));
        } else {
            out.push_str(&escape(token));
        }
        token.clear();
    };
    for c in text.chars() {
        if is_token(c) {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push_str(&escape(&c.to_string()));
        }
    }
    flush(&mut token, &mut out);
    out
}

/// A status in words: "not found" rather than a bare 404.
fn status_words(ui: &Ui, status: StatusCode) -> String {
    let key = match status.as_u16() {
        400 | 413 | 415 | 422 => "ui.status.not_taken",
        401 => "ui.status.login",
        403 => "ui.status.forbidden",
        404 => "ui.status.not_found",
        409 => "ui.status.conflict",
        429 => "ui.status.too_many",
        _ => "ui.status.failed",
    };
    ui.t(key)
}

/// The page a refusal of `path` leads back to. A page read (GET) that failed goes back to
/// the dashboard; a form sent goes back to the page that shows the form: the same path
/// where a page answers there, else the object's page (an engagement, its supervision, an
/// assessment) or the list it belongs to.
pub fn back_for(method: &axum::http::Method, path: &str) -> String {
    if method == axum::http::Method::GET {
        return "/dashboard".to_owned();
    }
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let s = |i: usize| seg.get(i).copied().unwrap_or("");
    match (s(0), seg.len()) {
        ("engagements", 3) if matches!(s(2), "findings" | "notices" | "evidence") => {
            format!("/engagements/{}/supervision", s(1))
        }
        ("engagements", 3)
            if matches!(
                s(2),
                "edit" | "requirements" | "contract" | "risks" | "responsibility"
            ) =>
        {
            path.to_owned()
        }
        ("engagements", n) if n >= 4 && s(2) == "responsibility" => {
            format!("/engagements/{}/responsibility", s(1))
        }
        ("engagements", n) if n >= 4 && matches!(s(2), "findings" | "notices") => {
            format!("/engagements/{}/supervision", s(1))
        }
        ("engagements", 2) if matches!(s(1), "wizard" | "import") => "/engagements/new".to_owned(),
        ("engagements", n) if n >= 3 => format!("/engagements/{}", s(1)),
        ("assessments", n) if n >= 2 => format!("/assessments/{}", s(1)),
        ("offerings", _) => "/offerings".to_owned(),
        ("account", _) => "/account".to_owned(),
        ("admin", 2) => path.to_owned(),
        ("admin", n) if n >= 5 && s(1) == "orgs" => format!("/admin/orgs/{}/users", s(2)),
        ("admin", n) if n >= 3 && s(1) == "orgs" => path.to_owned(),
        ("admin", _) if s(1) == "tokens" => "/admin/tokens".to_owned(),
        ("admin", _) if s(1) == "notifications" => "/admin/notifications".to_owned(),
        ("frameworks", 1) => "/frameworks".to_owned(),
        ("frameworks", n) if n >= 4 => format!("/frameworks/{}/controls/{}", s(1), s(3)),
        ("frameworks", _) => "/frameworks".to_owned(),
        _ => "/dashboard".to_owned(),
    }
}

pub fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        // The security headers (CSP and the rest) are set on every response by the router.
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            let mut r = (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
            r.extensions_mut()
                .insert(crate::ErrorDetail(format!("template failed: {e}")));
            r
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.js"),
    )
        .into_response()
}

async fn root(State(_): State<AppState>) -> Redirect {
    Redirect::to("/dashboard")
}

pub fn routes(evidence_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/static/console.css", get(stylesheet))
        .route("/static/console.js", get(script))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/language", post(pages::set_language))
        .route("/dashboard", get(pages::dashboard))
        .route(
            "/account",
            get(account::show).post(account::change_password),
        )
        .route("/engagements/new", get(flow::new_engagement))
        .route(
            "/engagements/wizard",
            get(wizard::start).post(wizard::submit),
        )
        .route(
            "/engagements/{id}/edit",
            get(wizard::edit).post(wizard::save),
        )
        .route(
            "/engagements/{id}/requirements",
            get(requirements::page).post(requirements::save),
        )
        .route(
            "/engagements/{id}/requirements/workbook",
            get(requirements::workbook)
                .post(requirements::import)
                .layer(axum::extract::DefaultBodyLimit::max(
                    evidence_limit.saturating_add(64 * 1024),
                )),
        )
        .route(
            "/engagements/{id}/responsibility/owner",
            post(wizard::set_owner),
        )
        .route(
            "/engagements/{id}/responsibility/share",
            post(wizard::set_owner),
        )
        .route(
            "/engagements/{id}/contract",
            get(wizard::contract).post(wizard::save_contract),
        )
        .route(
            "/engagements/{id}/records",
            get(records::form).post(records::save),
        )
        .route("/engagements/{id}/documents", post(records::generate))
        .route(
            "/documents/verify",
            get(records::verify_form).post(records::verify).layer(
                axum::extract::DefaultBodyLimit::max(evidence_limit.saturating_add(64 * 1024)),
            ),
        )
        .route(
            "/engagements/{id}/records/document",
            post(records::attach).layer(axum::extract::DefaultBodyLimit::max(
                evidence_limit.saturating_add(64 * 1024),
            )),
        )
        .route("/engagements/import", post(flow::import))
        .route("/engagements/{id}", get(pages::engagement))
        .route("/engagements/{id}/offering", post(flow::use_offering))
        .route("/engagements/{id}/exit", post(flow::exit_step))
        .route(
            "/offerings",
            get(flow::offerings).post(flow::create_offering),
        )
        .route("/offerings/{id}/invite", post(flow::invite))
        .route("/assessments/{id}", get(flow::assessment))
        .route("/assessments/{id}/results", post(flow::save_results))
        .route(
            "/assessments/{id}/workbook",
            post(flow::import_workbook).layer(axum::extract::DefaultBodyLimit::max(
                evidence_limit.saturating_add(64 * 1024),
            )),
        )
        .route(
            "/assessments/{id}/evidence",
            post(flow::attach).layer(axum::extract::DefaultBodyLimit::max(
                evidence_limit.saturating_add(64 * 1024),
            )),
        )
        .route("/assessments/{id}/requests", post(flow::ask))
        .route(
            "/evidence-requests/{id}/answer",
            post(flow::answer_request).layer(axum::extract::DefaultBodyLimit::max(
                evidence_limit.saturating_add(64 * 1024),
            )),
        )
        .route("/evidence-requests/{id}/retest", post(flow::retest_request))
        .route("/assessments/{id}/conclusion", post(flow::conclude))
        .route("/assessments/{id}/publish", post(flow::publish))
        .route("/engagements/{id}/transition", post(pages::transition))
        .route(
            "/engagements/{id}/responsibility",
            get(pages::responsibility),
        )
        .route(
            "/engagements/{id}/risks",
            get(pages::risks).post(pages::save_risks),
        )
        .route(
            "/engagements/{id}/responsibility/confirm",
            post(pages::confirm),
        )
        .route(
            "/engagements/{id}/responsibility/confirm-all",
            post(pages::confirm_all),
        )
        .route("/engagements/{id}/supervision", get(supervise::page))
        .route("/engagements/{id}/findings/bulk", post(supervise::bulk))
        .route("/engagements/{id}/findings/{finding}", post(supervise::act))
        .route("/engagements/{id}/notices", post(supervise::notify))
        .route(
            "/engagements/{id}/notices/{notice}/ack",
            post(supervise::acknowledge),
        )
        .route(
            "/engagements/{id}/evidence",
            post(supervise::upload).layer(axum::extract::DefaultBodyLimit::max(
                // The file plus the form's other fields.
                evidence_limit.saturating_add(64 * 1024),
            )),
        )
        .route("/admin/orgs", get(admin::orgs).post(admin::create_org))
        .route(
            "/admin/orgs/{id}/users",
            get(admin::users).post(admin::create_user),
        )
        .route(
            "/admin/orgs/{id}/users/{user}/disable",
            post(admin::disable_user),
        )
        .route(
            "/admin/orgs/{id}/users/{user}/enable",
            post(admin::enable_user),
        )
        .route(
            "/admin/orgs/{id}/users/{user}/unlock",
            post(admin::unlock_user),
        )
        .route(
            "/admin/orgs/{id}/users/{user}/password",
            post(admin::reset_password),
        )
        .route(
            "/admin/orgs/{id}/users/{user}/role",
            post(admin::change_role),
        )
        .route(
            "/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/admin/notifications",
            get(notifications::show).post(notifications::create),
        )
        .route("/admin/notifications/{id}", post(notifications::update))
        .route("/admin/notifications/{id}/test", post(notifications::test))
        .route(
            "/admin/notifications/{id}/delete",
            post(notifications::remove),
        )
        .route("/catalog", get(pages::catalog))
        .route(
            "/frameworks",
            get(frameworks::list).post(frameworks::import).layer(
                axum::extract::DefaultBodyLimit::max(evidence_limit.saturating_add(64 * 1024)),
            ),
        )
        .route("/frameworks/{id}/delete", post(frameworks::delete))
        .route(
            "/frameworks/{id}/controls/{control}",
            get(frameworks::control),
        )
        .route("/catalog/{id}", get(pages::control))
        .route("/audit", get(audit::page))
        .route("/audit/export", get(audit::export))
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_in_a_chinese_sentence_is_marked() {
        use cloudward_domain::Lang;
        assert_eq!(
            super::code_marked(
                "将 trail_region 设为 All，保持 status = \"Enable\"，投递到 OSS。",
                Lang::Zh
            ),
            "将 <code>trail_region</code> 设为 <code>All</code>，保持 <code>status</code> = &quot;<code>Enable</code>&quot;，投递到 OSS。"
        );
        assert_eq!(
            super::code_marked("设置 alicloud_oss_bucket.logs.", Lang::Zh),
            "设置 <code>alicloud_oss_bucket.logs</code>."
        );
        assert_eq!(
            super::code_marked("Set <b>trail_region</b>", Lang::En),
            "Set &lt;b&gt;trail_region&lt;/b&gt;"
        );
    }

    use super::back_for;
    use axum::http::Method;

    #[test]
    fn a_refused_form_leads_back_to_the_page_that_shows_it() {
        let post = |p: &str| back_for(&Method::POST, p);
        assert_eq!(back_for(&Method::GET, "/engagements/e1"), "/dashboard");
        assert_eq!(post("/engagements/e1/transition"), "/engagements/e1");
        assert_eq!(post("/engagements/e1/offering"), "/engagements/e1");
        assert_eq!(
            post("/engagements/e1/requirements"),
            "/engagements/e1/requirements"
        );
        assert_eq!(post("/engagements/e1/contract"), "/engagements/e1/contract");
        assert_eq!(
            post("/engagements/e1/responsibility/confirm"),
            "/engagements/e1/responsibility"
        );
        assert_eq!(
            post("/engagements/e1/findings/f1"),
            "/engagements/e1/supervision"
        );
        assert_eq!(
            post("/engagements/e1/notices/n1/ack"),
            "/engagements/e1/supervision"
        );
        assert_eq!(
            post("/engagements/e1/evidence"),
            "/engagements/e1/supervision"
        );
        assert_eq!(post("/engagements/wizard"), "/engagements/new");
        assert_eq!(post("/assessments/a1/results"), "/assessments/a1");
        assert_eq!(post("/offerings/o1/invite"), "/offerings");
        assert_eq!(post("/admin/orgs"), "/admin/orgs");
        assert_eq!(post("/admin/orgs/o1/users"), "/admin/orgs/o1/users");
        assert_eq!(
            post("/admin/orgs/o1/users/u1/disable"),
            "/admin/orgs/o1/users"
        );
        assert_eq!(post("/account"), "/account");
        assert_eq!(post("/admin/tokens/t1/revoke"), "/admin/tokens");
        assert_eq!(post("/frameworks/f1/delete"), "/frameworks");
        assert_eq!(post("/language"), "/dashboard");
    }
}
