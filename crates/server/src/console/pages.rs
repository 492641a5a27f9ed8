//! The console's pages and form handlers.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use cloudward_domain::Lang;
use cloudward_domain::check::{self, Finding};
use cloudward_domain::engagement::{Phase, Residual, RiskEntry, Treatment, unplaced};
use cloudward_store::{EngagementFilter, OrgKind, Party};
use serde::Deserialize;

use super::ConsoleForm;
use super::{
    LANG_COOKIE, Ui, Viewer, anonymous_lang, charts, check_csrf, error_page, render, viewer_error,
};
use crate::AppState;
use crate::auth::random_token;
use crate::error::ApiError;

const LOGIN_CSRF_COOKIE: &str = "cloudward_login_csrf";

/// The navigation bar of a logged-in page.
#[derive(Debug, Clone)]
pub struct Nav {
    pub user: String,
    pub org: String,
    pub role: String,
    pub csrf: String,
    pub active: &'static str,
    pub path: String,
    /// Platform or organisation administrators: where administration starts for them.
    pub admin: bool,
    pub admin_home: String,
}

pub(super) fn nav(v: &Viewer, active: &'static str, path: &str) -> Nav {
    let role = if v.p.platform_admin {
        v.ui.t("ui.role.platform_admin")
    } else {
        v.ui.t(&format!("ui.role.{}", v.p.role.id()))
    };
    Nav {
        user: v.p.username.clone().unwrap_or_default(),
        org: v
            .p
            .org
            .as_ref()
            .map(|o| {
                format!(
                    "{} · {}",
                    o.name,
                    v.ui.t(&format!("ui.org_kind.{}", o.kind.id()))
                )
            })
            .unwrap_or_default(),
        role,
        csrf: v.csrf.clone(),
        active,
        path: path.to_owned(),
        admin: v.p.platform_admin || v.p.role == cloudward_store::Role::OrgAdmin,
        admin_home: match (&v.p.org, v.p.platform_admin) {
            (_, true) | (None, _) => "/admin/orgs".to_owned(),
            (Some(o), false) => format!("/admin/orgs/{}/users", o.id),
        },
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ui: Ui,
    pub nav: Option<Nav>,
    pub status: u16,
    /// The status in words.
    pub status_text: String,
    pub message: String,
    /// Where "back" leads.
    pub back: String,
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    ui: Ui,
    nav: Option<Nav>,
    csrf: String,
    next: String,
    username: String,
    message: Option<String>,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    lang: Option<String>,
}

/// Only a local path of this site (no open redirect, nothing a header cannot carry):
/// one leading `/`, not `//` or `/\\`, no backslash, no control or non-ASCII character;
/// anything else is `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 2048
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn login_page(
    ui: Ui,
    next: String,
    username: String,
    message: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let token = random_token().unwrap_or_default();
    let page = LoginPage {
        ui,
        nav: None,
        csrf: token.clone(),
        next,
        username,
        message,
        notice,
    };
    let mut r = (status, render(&page)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600"
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

pub async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let _ = q.lang;
    let ui = Ui::new(
        anonymous_lang(uri.query(), &headers),
        state.messages.clone(),
    );
    let notice = q.expired.is_some().then(|| ui.t("ui.session_expired"));
    login_page(
        ui,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        notice,
        StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: Option<String>,
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

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    ConsoleForm(form): ConsoleForm<LoginForm>,
) -> Response {
    let ui = Ui::new(
        anonymous_lang(uri.query(), &headers),
        state.messages.clone(),
    );
    let next = safe_next(form.next.as_deref());
    // Double submit: the form's token must be the one this browser was given with the form.
    if cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(form.csrf_token.as_str())
        || form.csrf_token.is_empty()
    {
        let msg = ui.t("ui.csrf_refused");
        return login_page(
            ui,
            next,
            form.username,
            Some(msg),
            None,
            StatusCode::FORBIDDEN,
        );
    }
    match crate::auth::password_login(&state, peer.ip(), &form.username, form.password).await {
        Ok(ok) => {
            let mut r = Redirect::to(&next).into_response();
            r.headers_mut().append(header::SET_COOKIE, ok.cookie);
            r
        }
        Err(e) => {
            let args: Vec<(&str, String)> = e.args.iter().map(|(k, v)| (*k, v.clone())).collect();
            let msg = ui.messages_render(e.key, &args);
            login_page(ui, next, form.username, Some(msg), None, e.status)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf_token: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    v: Viewer,
    ConsoleForm(f): ConsoleForm<CsrfForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    if let Some(hash) = &v.p.session
        && let Err(e) = state.store.delete_session(&v.p.actor, hash).await
    {
        return super::refused(&v, &ApiError::from(e));
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(c) = crate::auth::session_cookie(&state, "", 0) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct LangForm {
    lang: String,
    csrf_token: Option<String>,
    back: Option<String>,
}

/// Switches the language: for a logged-in user it is kept with the account; before login in
/// a cookie.
pub async fn set_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ConsoleForm(f): ConsoleForm<LangForm>,
) -> Response {
    let Some(lang) = Lang::parse(&f.lang) else {
        let ui = Ui::new(
            anonymous_lang(uri.query(), &headers),
            state.messages.clone(),
        );
        return error_page(&ui, StatusCode::BAD_REQUEST, &ui.t("ui.bad_language"));
    };
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers.clone();
    parts.method = axum::http::Method::POST;
    if let Ok(p) = crate::auth::authenticate(&parts, &state, false).await
        && let (Some(user), Some(csrf)) = (&p.user_id, &p.csrf)
    {
        if f.csrf_token.as_deref() != Some(csrf.as_str()) {
            let ui = Ui::new(lang, state.messages.clone());
            return error_page(&ui, StatusCode::FORBIDDEN, &ui.t("ui.csrf_refused"));
        }
        if let Err(e) = state.store.set_user_lang(&p.actor, user, lang.code()).await {
            let ui = Ui::new(lang, state.messages.clone());
            let e = ApiError::from(e);
            return error_page(&ui, e.status, &ui.t("api.internal"));
        }
    }
    let mut r = Redirect::to(&safe_next(f.back.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; SameSite=Strict; Path=/; Max-Age=31536000",
        lang.code()
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

// ---------------------------------------------------------------- dashboard

pub struct Row {
    id: String,
    name: String,
    phase: String,
    level: String,
    blockers: usize,
    warnings: usize,
    open_findings: usize,
    seat: String,
}

pub struct Expiring {
    engagement: String,
    id: String,
    expires: String,
    days: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    ui: Ui,
    nav: Option<Nav>,
    rows: Vec<Row>,
    phase_chart: String,
    level_chart: String,
    expiring: Vec<Expiring>,
    total_blockers: usize,
    total_findings: usize,
    /// id, level, status, results so far
    assessments: Vec<AssessmentRow>,
    /// What the user and the organisation have to do next.
    tasks: Vec<TaskRow>,
    is_customer: bool,
    /// Supervision across the engagements with scans: per family over every latest run,
    /// and one row per engagement.
    portfolio_chart: Option<String>,
    posture: Vec<PostureRow>,
}

/// A task in the reader's words.
pub struct TaskRow {
    text: String,
    /// A rule id or other code, in small print after the words.
    code: Option<String>,
    due: Option<String>,
    late: bool,
    link: String,
}

/// A deadline as a person reads it: the date, and the time (UTC) when it has one.
fn deadline(raw: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(d) => d
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => raw.to_owned(),
    }
}

fn task_row(ui: &Ui, t: &crate::services::tasks::Task) -> TaskRow {
    let subject = t.subject.clone().unwrap_or_default();
    let subject = match t.kind {
        // The exit steps waiting, by name.
        "exit_steps" => subject
            .split(',')
            .map(|s| ui.t(&format!("ui.exit_step.{s}")))
            .collect::<Vec<_>>()
            .join(match ui.lang {
                cloudward_domain::Lang::Zh => "、",
                cloudward_domain::Lang::En => ", ",
            }),
        // A finding by its rule's title, in the reader's language.
        "fix_finding" => {
            let title = t
                .code
                .as_deref()
                .and_then(crate::scanning::builtin_rule)
                .map(|r| r.title.get(ui.lang).to_owned())
                .unwrap_or_default();
            format!("{title} ({subject})")
        }
        _ => subject,
    };
    let key = if t.kind == "assessment_expiring" && t.late {
        "ui.task.assessment_expired"
    } else {
        match t.kind {
            "confirm_rows" => "ui.task.confirm_rows",
            "acknowledge_change" => "ui.task.acknowledge_change",
            "acknowledge_incident" => "ui.task.acknowledge_incident",
            "fix_finding" => "ui.task.fix_finding",
            "exit_steps" => "ui.task.exit_steps",
            "conclude_assessment" => "ui.task.conclude_assessment",
            "publish_assessment" => "ui.task.publish_assessment",
            "answer_requests" => "ui.task.answer_requests",
            "retest_answers" => "ui.task.retest_answers",
            _ => "ui.task.assessment_expiring",
        }
    };
    TaskRow {
        text: ui.targs(
            key,
            &[
                ("about", t.about.clone()),
                ("subject", subject),
                ("count", t.count.to_string()),
                ("due", t.due.as_deref().map(deadline).unwrap_or_default()),
            ],
        ),
        code: t.code.clone(),
        due: t.due.as_deref().map(deadline),
        late: t.late,
        link: t.link.clone(),
    }
}

pub struct PostureRow {
    id: String,
    name: String,
    last_scan: String,
    failing: usize,
    passing: usize,
    open_findings: usize,
    trend: String,
}

pub async fn dashboard(State(state): State<AppState>, v: Viewer) -> Response {
    let ui = v.ui.clone();
    let Some(org) = v.p.org.clone() else {
        // Platform administrators have no engagements: their page is the audit check.
        return Redirect::to("/audit").into_response();
    };
    let filter = EngagementFilter {
        limit: 200,
        ..Default::default()
    };
    let (items, _) = match state.store.list_engagements(&org.id, &filter).await {
        Ok(x) => x,
        Err(e) => return super::refused(&v, &ApiError::from(e)),
    };
    // The organisation's assessments, for the tasks and the assessment list.
    let assessment_list = if matches!(org.kind, OrgKind::Assessor | OrgKind::Provider) {
        crate::services::assessments::list(&state, &v.p).await.ok()
    } else {
        None
    };
    let tasks = match crate::services::tasks::mine(
        &state,
        &v.p,
        &items,
        assessment_list.as_deref().unwrap_or(&[]),
        chrono::Utc::now(),
    )
    .await
    {
        Ok(t) => t.iter().map(|t| task_row(&ui, t)).collect(),
        Err(e) => return super::refused(&v, &e),
    };
    let mut overview = match crate::services::posture::portfolio(&state, &items, 12).await {
        Ok(x) => x,
        Err(e) => return super::refused(&v, &e),
    };
    let today = chrono::Utc::now().date_naive();
    let mut rows = Vec::new();
    let mut by_phase: BTreeMap<usize, (String, u64)> = BTreeMap::new();
    let mut by_level: BTreeMap<usize, (String, u64)> = BTreeMap::new();
    let mut expiring = Vec::new();
    let mut portfolio: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    let mut posture = Vec::new();
    for (i, p) in cloudward_store::Phase::ALL.iter().enumerate() {
        by_phase.insert(i, (ui.t(&format!("phase.{}", p.id())), 0));
    }
    for (i, l) in cloudward_store::ProtectionLevel::ALL.iter().enumerate() {
        by_level.insert(i, (ui.t(&format!("level.{}", l.id())), 0));
    }
    for e in items {
        let (file, text) = match crate::services::engagements::export_text(&e) {
            Ok(x) => x,
            Err(err) => return super::refused(&v, &err),
        };
        let (blockers, warnings) = match check::check(&file, &text, &state.content, today) {
            Ok(r) => (r.blockers.len(), r.warnings.len()),
            Err(_) => (0, 0),
        };
        if let Some(i) = cloudward_store::Phase::ALL
            .iter()
            .position(|p| *p == e.phase)
            && let Some(slot) = by_phase.get_mut(&i)
        {
            slot.1 += 1;
        }
        if let Some(i) = cloudward_store::ProtectionLevel::ALL
            .iter()
            .position(|l| Some(*l) == e.level)
            && let Some(slot) = by_level.get_mut(&i)
        {
            slot.1 += 1;
        }
        if let Some(a) = file.provider.as_ref().and_then(|p| p.assessment.as_ref()) {
            let days = (a.expires - today).num_days();
            // The rule `check` and the alerts apply: relied on, and expiring or expired.
            let standing = cloudward_domain::workflow::validity(a.passed, a.expires, today);
            if cloudward_domain::workflow::relies_on_assessment(file.phase)
                && matches!(
                    standing,
                    cloudward_domain::workflow::Validity::Expiring { .. }
                        | cloudward_domain::workflow::Validity::Expired
                )
            {
                expiring.push(Expiring {
                    engagement: e.name.clone(),
                    id: e.id.clone(),
                    expires: a.expires.to_string(),
                    days,
                });
            }
        }
        let seen = overview.remove(&e.id).unwrap_or_default();
        let open_findings = seen
            .findings
            .get(cloudward_domain::workflow::FindingState::Open.id())
            .copied()
            .unwrap_or(0);
        let runs = seen.runs;
        if let Some(last) = runs.last() {
            count_families(&state, &last.run, &mut portfolio);
            let at = last.run.at.as_str();
            let failed: Vec<(i64, u64)> = runs
                .iter()
                .filter_map(|r| {
                    cloudward_store::parse_stamp(&r.run.at)
                        .map(|t| (t.timestamp(), u64::try_from(r.run.failed).unwrap_or(0)))
                })
                .collect();
            posture.push(PostureRow {
                id: e.id.clone(),
                name: e.name.clone(),
                last_scan: at.get(..16).unwrap_or(at).replace('T', " "),
                failing: last.run.controls_failed.len(),
                passing: last.run.controls_passed.len(),
                open_findings,
                trend: charts::sparkline(&ui.t1("ui.failing_trend_of", "name", &e.name), &failed),
            });
        }
        let seat = match crate::services::support::seat(&v.p, &e) {
            Some(crate::services::support::Seat::Customer) => ui.t("ui.org_kind.customer"),
            Some(crate::services::support::Seat::Provider) => ui.t("ui.org_kind.provider"),
            Some(crate::services::support::Seat::Assessor) => ui.t("ui.org_kind.assessor"),
            Some(crate::services::support::Seat::SecurityServiceProvider) => {
                ui.t("ui.org_kind.security_service_provider")
            }
            None => String::new(),
        };
        rows.push(Row {
            phase: ui.t(&format!("phase.{}", e.phase.id())),
            level: e
                .level
                .map(|l| ui.t(&format!("level.{}", l.id())))
                .unwrap_or_else(|| "—".into()),
            id: e.id,
            name: e.name,
            blockers,
            warnings,
            open_findings,
            seat,
        });
    }
    let mut assessments = Vec::new();
    if let Some(list) = assessment_list {
        let ids: Vec<String> = list.iter().map(|r| r.id.clone()).collect();
        let counts = state
            .store
            .assessment_result_counts(&ids)
            .await
            .unwrap_or_default();
        // Each assessment by what it assesses: the offering's name (from the service) and
        // its provider's (one look-up per provider, not per row).
        let mut provider_names: BTreeMap<String, String> = BTreeMap::new();
        for r in &list {
            if !provider_names.contains_key(&r.provider_org_id) {
                let name = match state.store.get_org(&r.provider_org_id).await {
                    Ok(Some(o)) => o.name,
                    _ => ui.t("ui.org_unknown"),
                };
                provider_names.insert(r.provider_org_id.clone(), name);
            }
        }
        for r in list {
            let results = cloudward_domain::workflow::ControlResult::ALL
                .iter()
                .filter_map(|res| {
                    counts
                        .iter()
                        .find(|(a, c, _)| *a == r.id && c == res.id())
                        .map(|(_, _, n)| {
                            format!("{} {n}", ui.t(&format!("ui.result.{}", res.id())))
                        })
                })
                .collect::<Vec<_>>()
                .join(" · ");
            let status = match &r.conclusion {
                Some(c) => ui.t(&format!("ui.outcome.{}", c.outcome.id())),
                None => ui.t("ui.in_progress"),
            };
            let results = if results.is_empty() {
                ui.t("ui.no_results_yet")
            } else {
                results
            };
            assessments.push(AssessmentRow {
                id: r.id.clone(),
                offering: r
                    .offering_name
                    .clone()
                    .unwrap_or_else(|| ui.t("ui.offering_unnamed")),
                provider: provider_names
                    .get(&r.provider_org_id)
                    .cloned()
                    .unwrap_or_default(),
                level: ui.t(&format!("level.{}", r.level.id())),
                status,
                results,
            });
        }
    }
    let total_blockers = rows.iter().map(|r| r.blockers).sum();
    let total_findings = rows.iter().map(|r| r.open_findings).sum();
    let portfolio_chart = (!posture.is_empty()).then(|| {
        charts::stacked(
            &ui.t("ui.portfolio_posture"),
            &portfolio.into_iter().collect::<Vec<_>>(),
            [
                &ui.t("ui.failed"),
                &ui.t("ui.passed"),
                &ui.t("ui.not_evaluated"),
            ],
        )
    });
    let page = DashboardPage {
        phase_chart: charts::bars(
            &ui.t("ui.by_phase"),
            &by_phase.into_values().collect::<Vec<_>>(),
        ),
        level_chart: charts::bars(
            &ui.t("ui.by_level"),
            &by_level.into_values().collect::<Vec<_>>(),
        ),
        nav: Some(nav(&v, "dashboard", "/dashboard")),
        ui,
        rows,
        expiring,
        total_blockers,
        total_findings,
        assessments,
        tasks,
        is_customer: org.kind == OrgKind::Customer,
        portfolio_chart,
        posture,
    };
    render(&page)
}

// ---------------------------------------------------------------- engagement

/// An assessment on the dashboard: what it assesses, by name.
pub struct AssessmentRow {
    id: String,
    offering: String,
    provider: String,
    level: String,
    status: String,
    results: String,
}

pub struct Item {
    code: String,
    message: String,
    /// What to do about it: where, and the words of the link.
    action: Option<(String, String)>,
}

impl Item {
    fn new(ui: &Ui, engagement: &str, code: String, ids: &[String], message: String) -> Item {
        let action = next_step(&code, ids).map(|(path, key)| {
            let href = if path.starts_with('/') {
                path
            } else if path.starts_with('#') {
                format!("/engagements/{engagement}{path}")
            } else {
                format!("/engagements/{engagement}/{path}")
            };
            (href, ui.t(key))
        });
        Item {
            code,
            message,
            action,
        }
    }
}

/// Where a finding of the check is dealt with: a page of the engagement (`contract`), a
/// part of its page (`#exit`) or a page of the site (`/offerings`), and the message key of
/// the link that leads there.
fn next_step(code: &str, ids: &[String]) -> Option<(String, &'static str)> {
    // The records form, at the row of the output a finding names.
    let record = |anchor: String| (format!("records{anchor}"), "ui.do.records");
    let first = ids.first().map(String::as_str).unwrap_or("");
    let (path, key) = match code {
        "output-missing" | "exit-plan-missing" => return Some(record(format!("#output-{first}"))),
        "activity-missing" => {
            let phase = first.split('.').next().unwrap_or("");
            return Some(record(format!("#phase-{phase}")));
        }
        "basic-requirement-missing" => return Some(record("#basic-requirements".into())),
        "no-reference" if first.starts_with("BR") => {
            return Some(record("#basic-requirements".into()));
        }
        "continuity-sla-unknown" | "data-location-cloud-missing" => {
            return Some(record("#provider".into()));
        }
        _ => next_page(code)?,
    };
    Some((path.to_owned(), key))
}

fn next_page(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "requirement-analysis-incomplete"
        | "latency-critical"
        | "latency-exceeded"
        | "latency-tight"
        | "continuity-availability-gap"
        | "continuity-rto-gap"
        | "portability-plan-missing"
        | "data-location-unanswered" => ("requirements", "ui.do.requirements"),
        "responsibility-uncovered"
        | "responsibility-ambiguous"
        | "ssp-unnamed"
        | "matrix-unconfirmed" => ("responsibility", "ui.do.responsibility"),
        "clause-missing"
        | "clause-recommended"
        | "supervision-clauses"
        | "no-reference"
        | "risk-relies-on-missing-clause" => ("contract", "ui.do.contract"),
        c if c.starts_with("risk-") => ("risks", "ui.do.risks"),
        c if c.starts_with("assessment-") => ("/offerings", "ui.do.offering"),
        "deployment-not-allowed" => ("edit", "ui.do.file"),
        c if c.starts_with("exit-") => ("#exit", "ui.do.exit"),
        _ => return None,
    })
}

/// One step of the lifecycle stepper: its name, and whether it is done, the current one or
/// still to come.
pub struct Step {
    name: String,
    state: &'static str,
}

fn steps(ui: &Ui, current: cloudward_store::Phase) -> Vec<Step> {
    let at = cloudward_store::Phase::ALL
        .iter()
        .position(|p| *p == current)
        .unwrap_or(0);
    cloudward_store::Phase::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| Step {
            name: ui.t(&format!("phase.{}", p.id())),
            state: match i.cmp(&at) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "current",
                std::cmp::Ordering::Greater => "todo",
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "engagement.html")]
pub struct EngagementPage {
    ui: Ui,
    nav: Option<Nav>,
    /// A refused exit step: its form, what was sent and why.
    exit_echo: super::Echo,
    id: String,
    name: String,
    customer: String,
    phase: String,
    /// The lifecycle as a stepper.
    steps: Vec<Step>,
    next_phase: Option<(String, String)>,
    level: String,
    category: String,
    model: String,
    parties: Vec<(String, String)>,
    blockers: Vec<Item>,
    warnings: Vec<Item>,
    recommendations: Vec<Item>,
    can_transition: bool,
    refusal: Option<(String, Vec<Item>)>,
    done: Option<String>,
    posture_chart: Option<String>,
    trend_chart: Option<String>,
    /// Time to fix, month by month, and in a sentence.
    fix_chart: Option<String>,
    fix_summary: String,
    /// The latest scan run with its report kept, for the downloads.
    latest_run: Option<String>,
    flow: super::flow::FlowView,
    /// The setup steps, in planning and selection.
    setup: Option<super::setup::Setup>,
    is_customer: bool,
    is_provider: bool,
    is_member: bool,
    csrf: String,
    phase_id: String,
}

/// The latest scan per family and the failed findings of each run, as SVG.
async fn posture_charts(
    state: &AppState,
    ui: &Ui,
    engagement: &cloudward_store::Engagement,
) -> (Option<String>, Option<String>, Option<String>) {
    let runs = crate::services::posture::runs_of(state, engagement)
        .await
        .unwrap_or_default();
    let Some(last) = runs.last() else {
        return (None, None, None);
    };
    // Runs stored before reports were kept have no report to download.
    let latest_run = last.run.report_sha256.as_ref().map(|_| last.id.clone());
    let mut by_family: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    count_families(state, &last.run, &mut by_family);
    let families: Vec<(String, [u64; 3])> = by_family.into_iter().collect();
    let posture = charts::stacked(
        &ui.t("ui.posture_by_family"),
        &families,
        [
            &ui.t("ui.failed"),
            &ui.t("ui.passed"),
            &ui.t("ui.not_evaluated"),
        ],
    );
    let secs = |at: &str| cloudward_store::parse_stamp(at).map(|t| t.timestamp());
    let series: Vec<charts::Series> = cloudward_store::SEVERITIES
        .iter()
        .filter(|sev| {
            runs.iter()
                .any(|r| r.run.by_severity.get(**sev).copied().unwrap_or(0) > 0)
        })
        .map(|sev| charts::Series {
            label: ui.t(&format!("severity.{sev}")),
            class: format!("sev-{sev}"),
            points: runs
                .iter()
                .filter_map(|r| {
                    let n = r.run.by_severity.get(*sev).copied().unwrap_or(0);
                    secs(&r.run.at).map(|t| (t, n as f64))
                })
                .collect(),
        })
        .collect();
    // Runs that failed nothing (or stored no severities): the failing checks in all.
    let series = if series.is_empty() {
        vec![charts::Series {
            label: ui.t("ui.failed"),
            class: "sev-high".into(),
            points: runs
                .iter()
                .filter_map(|r| secs(&r.run.at).map(|t| (t, r.run.failed as f64)))
                .collect(),
        }]
    } else {
        series
    };
    (
        Some(posture),
        Some(charts::timeline(
            &ui.t("ui.trend"),
            &series,
            &ui.t("ui.findings_unit"),
        )),
        latest_run,
    )
}

/// How long findings took to be fixed, month by month, as SVG, and in a sentence.
async fn fix_chart(
    state: &AppState,
    ui: &Ui,
    engagement: &cloudward_store::Engagement,
) -> (Option<String>, String) {
    let Ok(ttf) = crate::services::posture::time_to_fix(state, engagement).await else {
        return (None, String::new());
    };
    let Some(median) = ttf.median_days else {
        return (None, ui.t("ui.time_to_fix_none"));
    };
    let points: Vec<(i64, f64)> = ttf
        .by_month
        .iter()
        .filter_map(|m| {
            chrono::NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| {
                    (
                        d.and_utc().timestamp(),
                        (m.median_days * 10.0).round() / 10.0,
                    )
                })
        })
        .collect();
    let chart = charts::timeline(
        &ui.t("ui.time_to_fix"),
        &[charts::Series {
            label: ui.t("ui.time_to_fix_median"),
            class: "days".into(),
            points,
        }],
        &ui.t("ui.days_unit"),
    );
    let by_severity = cloudward_store::SEVERITIES
        .iter()
        .filter_map(|sev| {
            ttf.by_severity.get(*sev).map(|(n, d)| {
                ui.targs(
                    "ui.time_to_fix_of",
                    &[
                        ("severity", ui.t(&format!("severity.{sev}"))),
                        ("days", format!("{d:.1}")),
                        ("count", n.to_string()),
                    ],
                )
            })
        })
        .collect::<Vec<_>>()
        .join(ui.t("ui.list_sep").as_str());
    let summary = ui.targs(
        "ui.time_to_fix_summary",
        &[
            ("days", format!("{median:.1}")),
            ("count", ttf.closed.to_string()),
        ],
    );
    (
        Some(chart),
        if by_severity.is_empty() {
            summary
        } else {
            format!("{summary} ({by_severity})")
        },
    )
}

/// Adds a run's controls to per-family counts: failed, passed, not evaluated.
fn count_families(
    state: &AppState,
    run: &crate::supervision::RunData,
    by_family: &mut BTreeMap<String, [u64; 3]>,
) {
    for (k, list) in [
        &run.controls_failed,
        &run.controls_passed,
        &run.controls_not_evaluated,
    ]
    .iter()
    .enumerate()
    {
        for c in list.iter() {
            let family = state
                .content
                .catalog
                .control(c)
                .map(|c| c.family.clone())
                .unwrap_or_default();
            if let Some(slot) = by_family.entry(family).or_default().get_mut(k) {
                *slot += 1;
            }
        }
    }
}

/// Who still has to confirm rows of the matrix, in words: "the provider 12 rows, the
/// security service provider 1 row wait for confirmation".
async fn matrix_waiting(
    state: &AppState,
    ui: &Ui,
    e: &cloudward_store::Engagement,
    file: &cloudward_domain::engagement::EngagementFile,
) -> Option<String> {
    let done = state.store.confirmations(&e.id).await.ok()?;
    let matrix = crate::services::engagements::matrix_of(state, file);
    let mut parts = Vec::new();
    for a in cloudward_domain::responsibility::Actor::ALL {
        let n = matrix
            .elements
            .iter()
            .filter(|el| el.assignment.parties.contains(&a))
            .filter(|el| {
                let (current, _) = crate::services::engagements::row_confirmations(&done, el);
                !current.iter().any(|c| c.party == a)
            })
            .count();
        if n > 0 {
            parts.push(ui.targs(
                "ui.matrix_waiting_party",
                &[
                    ("party", ui.t(&format!("ui.actor.{}", a.id()))),
                    ("count", n.to_string()),
                ],
            ));
        }
    }
    (!parts.is_empty()).then(|| {
        let sep = match ui.lang {
            cloudward_domain::Lang::Zh => "、",
            cloudward_domain::Lang::En => ", ",
        };
        ui.t1("ui.matrix_waiting", "parties", &parts.join(sep))
    })
}

fn items(ui: &Ui, state: &AppState, engagement: &str, list: &[Finding]) -> Vec<Item> {
    list.iter()
        .map(|f| {
            let message = f.message(&state.content, &state.messages, ui.lang);
            Item::new(ui, engagement, f.code.to_owned(), &f.ids, message)
        })
        .collect()
}

async fn engagement_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    refusal: Option<(String, Vec<Item>)>,
    done: Option<String>,
) -> Response {
    engagement_page_with(state, v, id, refusal, done, super::Echo::default()).await
}

/// The engagement page with a refused exit step's form shown again as it was sent.
pub(super) async fn engagement_page_with(
    state: &AppState,
    v: &Viewer,
    id: &str,
    refusal: Option<(String, Vec<Item>)>,
    done: Option<String>,
    exit_echo: super::Echo,
) -> Response {
    let ui = v.ui.clone();
    let (e, file, text) = match crate::services::engagements::with_file(
        state,
        &v.p,
        id,
        crate::authz::Action::EngagementRead,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(v, &err),
    };
    let today = chrono::Utc::now().date_naive();
    let report = check::check(&file, &text, &state.content, today).ok();
    let here = if e.phase == Phase::Selection {
        "provider"
    } else {
        "classification"
    };
    let setup = super::setup::of(state, &ui, &e, &file, &text, here).await;
    let mut parties = Vec::new();
    for (party, org_id) in &e.parties {
        let name = match state.store.get_org(org_id).await {
            Ok(Some(o)) => o.name,
            _ => org_id.clone(),
        };
        let key = match party {
            Party::Provider => "ui.org_kind.provider",
            Party::Assessor => "ui.org_kind.assessor",
            Party::SecurityServiceProvider => "ui.org_kind.security_service_provider",
        };
        parties.push((ui.t(key), name));
    }
    let (posture_chart, trend_chart, latest_run) = posture_charts(state, &ui, &e).await;
    let (fix_chart, fix_summary) = if posture_chart.is_some() {
        fix_chart(state, &ui, &e).await
    } else {
        (None, String::new())
    };
    let flow = super::flow::flow_view(state, v, &e).await;
    let seat = crate::services::support::seat(&v.p, &e);
    let can_transition = v.p.can(crate::authz::Action::Transition, v.p.rel_to(&e));
    let mut blockers = report
        .as_ref()
        .map(|r| items(&ui, state, id, &r.blockers))
        .unwrap_or_default();
    let mut refusal = refusal;
    // An unconfirmed matrix says who still has to confirm, and how many rows.
    let unconfirmed = |list: &[Item]| list.iter().any(|i| i.code == "matrix-unconfirmed");
    if unconfirmed(&blockers) || refusal.as_ref().is_some_and(|(_, l)| unconfirmed(l)) {
        let words = matrix_waiting(state, &ui, &e, &file).await;
        for item in blockers
            .iter_mut()
            .chain(refusal.iter_mut().flat_map(|(_, l)| l.iter_mut()))
            .filter(|i| i.code == "matrix-unconfirmed")
        {
            if let Some(w) = &words {
                item.message = format!("{} {w}", item.message);
            }
        }
    }
    let page = EngagementPage {
        nav: Some(nav(v, "dashboard", &format!("/engagements/{id}"))),
        id: e.id.clone(),
        name: e.name.clone(),
        customer: file.customer.clone(),
        phase: ui.t(&format!("phase.{}", file.phase.id())),
        steps: steps(&ui, file.phase),
        next_phase: file
            .phase
            .next()
            .map(|p| (p.id().to_owned(), ui.t(&format!("phase.{}", p.id())))),
        level: e
            .level
            .map(|l| ui.t(&format!("level.{}", l.id())))
            .unwrap_or_else(|| "—".into()),
        category: ui.t(&format!("category.{}", file.service_category.id())),
        model: ui.t(&format!("deployment.{}", file.deployment_model.id())),
        parties,
        blockers,
        warnings: report
            .as_ref()
            .map(|r| items(&ui, state, id, &r.warnings))
            .unwrap_or_default(),
        recommendations: report
            .as_ref()
            .map(|r| items(&ui, state, id, &r.recommendations))
            .unwrap_or_default(),
        can_transition,
        refusal,
        done,
        exit_echo,
        posture_chart,
        trend_chart,
        fix_chart,
        fix_summary,
        setup,
        latest_run,
        flow,
        is_customer: seat == Some(crate::services::support::Seat::Customer),
        is_provider: seat == Some(crate::services::support::Seat::Provider),
        is_member: v.p.role >= cloudward_store::Role::Member,
        csrf: v.csrf.clone(),
        phase_id: file.phase.id().to_owned(),
        ui,
    };
    render(&page)
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn engagement(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    engagement_page(&state, &v, &id, None, q.done).await
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    csrf_token: Option<String>,
    to: String,
}

pub async fn transition(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<TransitionForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let Some(to) = Phase::parse(&f.to) else {
        return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_phase"));
    };
    match crate::services::lifecycle::try_transition(&state, &v.p, &id, to, v.ui.lang).await {
        Ok(Ok(_)) => {
            let done = v.ui.t1(
                "ui.moved_to",
                "phase",
                &v.ui.t(&format!("phase.{}", to.id())),
            );
            engagement_page(&state, &v, &id, None, Some(done)).await
        }
        Ok(Err(blockers)) => {
            let list: Vec<Item> = blockers
                .into_iter()
                .map(|b| Item::new(&v.ui, &id, b.code, &b.ids, b.message))
                .collect();
            let count = list.len().to_string();
            let phase = v.ui.t(&format!("phase.{}", to.id()));
            let title =
                v.ui.messages_render("ui.refused", &[("count", count), ("phase", phase)]);
            let mut r = engagement_page(&state, &v, &id, Some((title, list)), None).await;
            *r.status_mut() = StatusCode::CONFLICT;
            r
        }
        Err(e) => super::refused(&v, &e),
    }
}

// ---------------------------------------------------------------- responsibility

pub struct MatrixRow {
    element: String,
    /// The row in words (layer · family), for labels read aloud.
    label: String,
    layer: String,
    family: String,
    responsible: Vec<String>,
    confirmed: Vec<String>,
    can_confirm: bool,
    /// The single owner, when one party has the row alone.
    owner: String,
    /// Parties whose confirmation predates a change of the row.
    stale: Vec<String>,
    /// Each owner's part, when several share the row (party, part).
    parts: Vec<(String, String)>,
    /// The share form: every party, whether it shares the row, and its part.
    share: Vec<ShareSlot>,
    /// Why the share sent for this row was not taken (the form then shows it as sent).
    share_problem: Option<String>,
}

pub struct ShareSlot {
    actor: &'static str,
    label: String,
    checked: bool,
    part: String,
}

#[derive(Template)]
#[template(path = "responsibility.html")]
pub struct ResponsibilityPage {
    ui: Ui,
    nav: Option<Nav>,
    setup: Option<super::setup::Setup>,
    id: String,
    name: String,
    rows: Vec<MatrixRow>,
    confirmed: usize,
    to_confirm: usize,
    message: Option<String>,
    can_edit: bool,
    csrf: String,
    /// Per party: (name, rows it holds alone, rows it shares, rows confirmed, rows it has).
    parties: Vec<(String, usize, usize, usize, usize)>,
    /// Layers × parties: per layer, per party (customer, provider, security service
    /// provider) how many rows it holds alone and shares.
    grid: Vec<(String, Vec<(usize, usize)>)>,
    /// Rows the caller's party still has to confirm (the "confirm all" button).
    mine_waiting: usize,
}

/// A share of a matrix row that was not taken: the row, the parties ticked and their parts
/// as sent, and why.
#[derive(Debug, Clone, Default)]
pub struct ShareEcho {
    pub element: String,
    pub checked: Vec<String>,
    pub parts: BTreeMap<String, String>,
    pub problem: String,
}

pub(super) async fn responsibility_page(
    state: &AppState,
    v: &Viewer,
    id: &str,
    message: Option<String>,
    echo: Option<ShareEcho>,
) -> Response {
    let ui = v.ui.clone();
    let (e, file, text) = match crate::services::engagements::with_file(
        state,
        &v.p,
        id,
        crate::authz::Action::EngagementResponsibility,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(v, &err),
    };
    let setup = super::setup::of(state, &ui, &e, &file, &text, "matrix").await;
    let overrides: Vec<_> = file.responsibility.iter().map(check::to_override).collect();
    let matrix = cloudward_domain::responsibility::Matrix::build(
        &state.content.matrix,
        file.service_category,
        &overrides,
    );
    let confirmations = state.store.confirmations(&e.id).await.unwrap_or_default();
    let mine = match crate::services::support::seat(&v.p, &e) {
        Some(crate::services::support::Seat::Customer) => Some("customer"),
        Some(crate::services::support::Seat::Provider) => Some("provider"),
        Some(crate::services::support::Seat::SecurityServiceProvider) => {
            Some("security-service-provider")
        }
        _ => None,
    };
    let may_confirm =
        v.p.can(crate::authz::Action::EngagementConfirm, v.p.rel_to(&e));
    let (mut confirmed, mut to_confirm) = (0, 0);
    // The matrix at a glance: per party and per layer, who holds and who shares.
    let actors = cloudward_domain::responsibility::Actor::ALL;
    let mut parties: Vec<(String, usize, usize, usize, usize)> = actors
        .iter()
        .map(|a| (ui.t(&format!("ui.actor.{}", a.id())), 0, 0, 0, 0))
        .collect();
    let mut grid: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    for el in &matrix.elements {
        let layer = state
            .content
            .matrix
            .layer(&el.layer)
            .map(|l| ui.text(&l.name))
            .unwrap_or_else(|| el.layer.clone());
        if grid.last().is_none_or(|(l, _)| *l != layer) {
            grid.push((layer, vec![(0, 0); actors.len()]));
        }
        let (current, _) = crate::services::engagements::row_confirmations(&confirmations, el);
        let alone = el.assignment.parties.len() == 1;
        for (i, a) in actors.iter().enumerate() {
            if !el.assignment.parties.contains(a) {
                continue;
            }
            if let Some((_, cells)) = grid.last_mut()
                && let Some(cell) = cells.get_mut(i)
            {
                if alone {
                    cell.0 += 1;
                } else {
                    cell.1 += 1;
                }
            }
            if let Some(p) = parties.get_mut(i) {
                if alone {
                    p.1 += 1;
                } else {
                    p.2 += 1;
                }
                p.4 += 1;
                if current.iter().any(|c| c.party == *a) {
                    p.3 += 1;
                }
            }
        }
    }
    parties.retain(|p| p.4 > 0);
    let rows = matrix
        .elements
        .iter()
        .map(|el| {
            let responsible: Vec<&str> = el.assignment.parties.iter().map(|a| a.id()).collect();
            let sent = echo.as_ref().filter(|x| x.element == el.id);
            let (current, stale) =
                crate::services::engagements::row_confirmations(&confirmations, el);
            let done: Vec<&str> = current.iter().map(|c| c.party.id()).collect();
            to_confirm += responsible.len();
            confirmed += responsible.iter().filter(|r| done.contains(r)).count();
            let layer = state
                .content
                .matrix
                .layer(&el.layer)
                .map(|l| ui.text(&l.name))
                .unwrap_or_else(|| el.layer.clone());
            let family = state
                .content
                .catalog
                .family(&el.family)
                .map(|f| format!("{} {}", f.id, ui.text(&f.name)))
                .unwrap_or_else(|| el.family.clone());
            MatrixRow {
                element: el.id.clone(),
                label: format!("{layer} · {family}"),
                layer,
                family,
                can_confirm: may_confirm
                    && mine.is_some_and(|m| responsible.contains(&m) && !done.contains(&m)),
                owner: if responsible.len() == 1 {
                    responsible
                        .first()
                        .map(|r| (*r).to_owned())
                        .unwrap_or_default()
                } else {
                    String::new()
                },
                responsible: responsible
                    .iter()
                    .map(|r| ui.t(&format!("ui.actor.{r}")))
                    .collect(),
                confirmed: done
                    .iter()
                    .map(|r| ui.t(&format!("ui.actor.{r}")))
                    .collect(),
                stale: stale
                    .iter()
                    .filter(|c| !done.contains(&c.party.id()))
                    .map(|c| ui.t(&format!("ui.actor.{}", c.party.id())))
                    .collect(),
                parts: if responsible.len() > 1 {
                    el.assignment
                        .parties
                        .iter()
                        .map(|a| {
                            (
                                ui.t(&format!("ui.actor.{}", a.id())),
                                el.assignment
                                    .parts
                                    .get(a)
                                    .map(|t| ui.text(t))
                                    .unwrap_or_else(|| ui.t("ui.part_missing")),
                            )
                        })
                        .collect()
                } else {
                    Vec::new()
                },
                share: cloudward_domain::responsibility::Actor::ALL
                    .iter()
                    .map(|a| match sent {
                        // The share as it was sent, when it was refused.
                        Some(x) => ShareSlot {
                            actor: a.id(),
                            label: ui.t(&format!("ui.actor.{}", a.id())),
                            checked: x.checked.iter().any(|c| c == a.id()),
                            part: x.parts.get(a.id()).cloned().unwrap_or_default(),
                        },
                        None => ShareSlot {
                            actor: a.id(),
                            label: ui.t(&format!("ui.actor.{}", a.id())),
                            checked: responsible.len() > 1 && el.assignment.parties.contains(a),
                            part: el
                                .assignment
                                .parts
                                .get(a)
                                .map(|t| ui.text(t))
                                .unwrap_or_default(),
                        },
                    })
                    .collect(),
                share_problem: sent.map(|x| x.problem.clone()),
            }
        })
        .collect::<Vec<MatrixRow>>();
    let mine_waiting = rows.iter().filter(|r: &&MatrixRow| r.can_confirm).count();
    let page = ResponsibilityPage {
        setup,
        parties,
        grid,
        mine_waiting,
        nav: Some(nav(
            v,
            "dashboard",
            &format!("/engagements/{id}/responsibility"),
        )),
        id: e.id.clone(),
        name: e.name.clone(),
        rows,
        confirmed,
        to_confirm,
        message,
        can_edit: v
            .p
            .can(crate::authz::Action::EngagementUpdate, v.p.rel_to(&e)),
        csrf: v.csrf.clone(),
        ui,
    };
    render(&page)
}

pub async fn responsibility(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    responsibility_page(&state, &v, &id, None, None).await
}

#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf_token: Option<String>,
    element: String,
}

/// Every row of the caller's party at once.
pub async fn confirm_all(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    match crate::services::lifecycle::confirm_all(&state, &v.p, &id).await {
        Ok(done) => {
            let msg =
                v.ui.t1("ui.confirmed_rows", "count", &done.len().to_string());
            responsibility_page(&state, &v, &id, Some(msg), None).await
        }
        Err(e) => super::refused(&v, &e),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<ConfirmForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match crate::services::lifecycle::confirm(&state, &v.p, &id, &f.element).await {
        Ok(_) => {
            // The row by name: its layer and its family.
            let label = match f.element.split_once('/') {
                Some((layer, family)) => format!(
                    "{} · {}",
                    state
                        .content
                        .matrix
                        .layer(layer)
                        .map(|l| v.ui.text(&l.name))
                        .unwrap_or_else(|| layer.to_owned()),
                    state
                        .content
                        .catalog
                        .family(family)
                        .map(|x| v.ui.text(&x.name))
                        .unwrap_or_else(|| family.to_owned()),
                ),
                None => f.element.clone(),
            };
            let msg = v.ui.t1("ui.confirmed_row", "element", &label);
            responsibility_page(&state, &v, &id, Some(msg), None).await
        }
        Err(e) => super::refused(&v, &e),
    }
}

// ---------------------------------------------------------------- catalog

pub struct ControlRow {
    id: String,
    family: String,
    level: String,
    title: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
pub struct CatalogPage {
    ui: Ui,
    nav: Option<Nav>,
    q: String,
    family: String,
    level: String,
    families: Vec<(String, String)>,
    rows: Vec<ControlRow>,
    total: usize,
    /// Imported frameworks (id, name) the browser can switch to.
    frameworks: Vec<(String, String)>,
    pager: super::paging::Pager,
}

#[derive(Debug, Deserialize)]
pub struct CatalogQuery {
    q: Option<String>,
    family: Option<String>,
    level: Option<String>,
    /// An imported framework to browse instead of our catalog.
    framework: Option<String>,
    group: Option<String>,
    /// The page of the list, from 1.
    page: Option<String>,
}

/// Controls per page of the catalog.
const CONTROLS_PER_PAGE: usize = 50;

pub async fn catalog(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<CatalogQuery>,
) -> Response {
    if let Some(id) = q.framework.as_deref().filter(|f| !f.is_empty()) {
        return super::frameworks::browse(&state, &v, id, q.q, q.group).await;
    }
    let frameworks = match crate::services::frameworks::visible_list(&state, &v.p).await {
        Ok(l) => l.into_iter().map(|f| (f.id, f.name)).collect(),
        Err(e) => return super::refused(&v, &e),
    };
    let ui = v.ui.clone();
    let cat = &state.content.catalog;
    let needle = q.q.clone().unwrap_or_default().trim().to_lowercase();
    let family = q.family.clone().unwrap_or_default();
    let level = q.level.clone().unwrap_or_default();
    let found: Vec<_> = cat
        .controls
        .iter()
        .filter(|c| needle.is_empty() || c.matches(&needle))
        .filter(|c| family.is_empty() || c.family == family)
        .filter(|c| level.is_empty() || c.level.id() == level)
        .collect();
    let query = q.q.clone().unwrap_or_default();
    let pager = super::paging::Pager::new(
        &ui,
        "/catalog",
        &[
            ("q", query.trim()),
            ("family", family.as_str()),
            ("level", level.as_str()),
        ],
        (
            super::paging::page_number(q.page.as_deref()),
            CONTROLS_PER_PAGE,
        ),
        found.len(),
        "",
    );
    let rows: Vec<ControlRow> = found
        .iter()
        .skip(pager.skip)
        .take(CONTROLS_PER_PAGE)
        .map(|c| ControlRow {
            id: c.id.clone(),
            family: cat
                .family(&c.family)
                .map_or_else(|| c.family.clone(), |f| ui.text(&f.name)),
            level: ui.t(&format!("control_level.{}", c.level.id())),
            title: ui.text(&c.title),
        })
        .collect();
    let page = CatalogPage {
        nav: Some(nav(&v, "catalog", "/catalog")),
        q: q.q.unwrap_or_default(),
        families: cat
            .families
            .iter()
            .map(|f| (f.id.clone(), format!("{} {}", f.id, ui.text(&f.name))))
            .collect(),
        total: found.len(),
        rows,
        family,
        level,
        frameworks,
        pager,
        ui,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "control.html")]
pub struct ControlPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    family: String,
    level: String,
    title: String,
    statement: String,
    guidance: String,
    other_title: String,
    other_statement: String,
    nist: Vec<String>,
    /// The references found in imported frameworks: (framework, label, link).
    in_frameworks: Vec<(String, String, String)>,
}

pub async fn control(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let ui = v.ui.clone();
    let Some(c) = state.content.catalog.control(&id) else {
        return viewer_error(&v, StatusCode::NOT_FOUND, &ui.t("api.not_found"));
    };
    let other = match ui.lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    let family = state
        .content
        .catalog
        .family(&c.family)
        .map(|f| format!("{} {}", f.id, ui.text(&f.name)))
        .unwrap_or_else(|| c.family.clone());
    let page = ControlPage {
        nav: Some(nav(&v, "catalog", &format!("/catalog/{id}"))),
        id: c.id.clone(),
        family,
        level: ui.t(&format!("control_level.{}", c.level.id())),
        title: ui.text(&c.title),
        statement: ui.text(&c.statement),
        guidance: ui.text(&c.guidance),
        other_title: c.title.get(other).to_owned(),
        other_statement: c.statement.get(other).to_owned(),
        nist: c.refs.nist.clone(),
        in_frameworks: in_frameworks(&state, &v, &c.refs.nist).await,
        ui,
    };
    render(&page)
}

/// Where the imported frameworks the viewer sees have the NIST references of a control:
/// (framework name, control label, link).
async fn in_frameworks(
    state: &AppState,
    v: &Viewer,
    refs: &[String],
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if refs.is_empty() {
        return out;
    }
    let Ok(list) = crate::services::frameworks::visible_list(state, &v.p).await else {
        return out;
    };
    for info in list {
        let Ok((_, fw)) = crate::services::frameworks::load(
            state,
            &v.p,
            &info.id,
            crate::authz::Action::FrameworkMapping,
        )
        .await
        else {
            continue;
        };
        for r in refs {
            if let Some(fc) = fw.control(r) {
                out.push((
                    info.name.clone(),
                    fc.label.clone(),
                    format!("/frameworks/{}/controls/{}", info.id, fc.id),
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------- risk register

pub struct RiskRow {
    id: String,
    name: String,
    likelihood: u8,
    impact: u8,
    score: String,
    rating: String,
    residual: String,
    treated: bool,
    /// The treatment as the form shows it.
    controls: String,
    clauses: Vec<Choice>,
    activities: Vec<Choice>,
    residual_likelihood: u8,
    residual_impact: u8,
    /// Why its treatment's controls were not taken (a refused form), and whether its
    /// treatment is shown open.
    controls_error: Option<String>,
    open: bool,
}

/// A checkbox of the treatment form: what it names, whether chosen, whether the guide
/// suggests it for this risk.
pub struct Choice {
    id: String,
    label: String,
    checked: bool,
    suggested: bool,
}

#[derive(Template)]
#[template(path = "risks.html")]
pub struct RisksPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    name: String,
    version: i64,
    rows: Vec<RiskRow>,
    heatmap: String,
    can_edit: bool,
    message: Option<String>,
    /// A refused form: why, at the top …
    problem: Option<String>,
    /// … and the new risk as typed, each refusal beside its field.
    new_risk: super::Echo,
}

/// A refused risk form: what was sent and why each field was not taken.
pub struct RiskEcho {
    form: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    problem: String,
}

pub async fn risks(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    risks_view(&state, &v, &id, q.done, None).await
}

/// The risk register; after a refused form, with what was typed and why.
async fn risks_view(
    state: &AppState,
    v: &Viewer,
    id: &str,
    done: Option<String>,
    echo: Option<RiskEcho>,
) -> Response {
    let ui = v.ui.clone();
    let (e, file, text) = match crate::services::engagements::with_file(
        state,
        &v.p,
        id,
        crate::authz::Action::EngagementRead,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(v, &err),
    };
    let today = chrono::Utc::now().date_naive();
    let report = match check::check(&file, &text, &state.content, today) {
        Ok(r) => r,
        Err(_) => {
            return viewer_error(
                v,
                StatusCode::UNPROCESSABLE_ENTITY,
                &ui.t("api.invalid_engagement"),
            );
        }
    };
    let rating = |r: Option<check::Rating>| match r {
        Some(check::Rating::High) => ui.t("ui.rating.high"),
        Some(check::Rating::Medium) => ui.t("ui.rating.medium"),
        Some(check::Rating::Low) => ui.t("ui.rating.low"),
        None => "—".to_owned(),
    };
    let mut points = Vec::new();
    let rows = report
        .risks
        .iter()
        .map(|r| {
            if let (Some(l), Some(i)) = (r.likelihood, r.impact) {
                points.push((r.id.clone(), l, i));
            }
            let entry = file.risks.iter().find(|x| x.id.value == r.id);
            let treatment = entry.map(|x| &x.treatment);
            // What the refused form said of this risk, where it said anything.
            let sent = |key: String| echo.as_ref().and_then(|x| x.form.get(&key)).cloned();
            let ticked = |key: String| echo.as_ref().map(|x| x.form.contains_key(&key));
            let number = |key: String, stored: u8| {
                sent(key).map_or(stored, |v| v.parse::<u8>().unwrap_or(0))
            };
            let controls_error = echo
                .as_ref()
                .and_then(|x| x.errors.get(&format!("controls.{}", r.id)))
                .cloned();
            let guide = state.content.guide.risks.iter().find(|g| g.id == r.id);
            RiskRow {
                open: controls_error.is_some(),
                controls: sent(format!("controls.{}", r.id)).unwrap_or_else(|| {
                    treatment.map(|t| t.controls.join(", ")).unwrap_or_default()
                }),
                controls_error,
                clauses: state
                    .content
                    .guide
                    .contract_clauses
                    .iter()
                    .map(|c| Choice {
                        checked: ticked(format!("clause.{}.{}", r.id, c.id)).unwrap_or_else(|| {
                            treatment.is_some_and(|t| t.clauses.contains(&c.id))
                        }),
                        suggested: guide.is_some_and(|g| g.clauses.contains(&c.id)),
                        label: ui.text(&c.name),
                        id: c.id.clone(),
                    })
                    .collect(),
                activities: state
                    .content
                    .guide
                    .phases
                    .iter()
                    .flat_map(|p| &p.activities)
                    .map(|a| Choice {
                        checked: ticked(format!("activity.{}.{}", r.id, a.id)).unwrap_or_else(
                            || treatment.is_some_and(|t| t.activities.contains(&a.id)),
                        ),
                        suggested: guide.is_some_and(|g| g.activities.contains(&a.id)),
                        label: ui.text(&a.name),
                        id: a.id.clone(),
                    })
                    .collect(),
                residual_likelihood: number(
                    format!("residual_likelihood.{}", r.id),
                    entry
                        .and_then(|x| x.residual.as_ref())
                        .map_or(0, |x| x.likelihood),
                ),
                residual_impact: number(
                    format!("residual_impact.{}", r.id),
                    entry
                        .and_then(|x| x.residual.as_ref())
                        .map_or(0, |x| x.impact),
                ),
                id: r.id.clone(),
                name: r.name.as_ref().map(|n| ui.text(n)).unwrap_or_default(),
                likelihood: number(format!("likelihood.{}", r.id), r.likelihood.unwrap_or(0)),
                impact: number(format!("impact.{}", r.id), r.impact.unwrap_or(0)),
                score: r.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                rating: rating(r.rating),
                residual: match (r.residual_score, r.residual_rating) {
                    (Some(s), rt) => format!("{s} · {}", rating(rt)),
                    _ => "—".into(),
                },
                treated: r.treated,
            }
        })
        .collect();
    let (problem, new_risk, version) = match echo {
        None => (None, super::Echo::default(), e.version),
        Some(x) => {
            let mut new_risk = super::Echo {
                form: "new_risk".into(),
                ..super::Echo::default()
            };
            for k in ["new_id", "new_name", "new_likelihood", "new_impact"] {
                if let Some(val) = x.form.get(k) {
                    new_risk.values.insert(k.to_owned(), val.clone());
                }
                if let Some(err) = x.errors.get(k) {
                    new_risk.errors.insert(k.to_owned(), err.clone());
                }
            }
            let version = x
                .form
                .get("version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(e.version);
            (Some(x.problem), new_risk, version)
        }
    };
    let page = RisksPage {
        problem,
        new_risk,
        nav: Some(nav(v, "dashboard", &format!("/engagements/{id}/risks"))),
        heatmap: charts::heatmap(
            &ui.t("ui.heat_map"),
            &points,
            &ui.t("ui.likelihood"),
            &ui.t("ui.impact"),
        ),
        can_edit: v.p.can(crate::authz::Action::RisksPut, v.p.rel_to(&e)),
        id: e.id.clone(),
        name: e.name.clone(),
        version,
        rows,
        message: done,
        ui,
    };
    render(&page)
}

/// Saves likelihood and impact per risk through the API's rules.
pub async fn save_risks(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let (_, file, _) = match crate::services::engagements::with_file(
        &state,
        &v.p,
        &id,
        crate::authz::Action::RisksPut,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(&v, &err),
    };
    let mut risks = file.risks;
    let score = |key: String| f.get(&key).and_then(|s| s.parse::<u8>().ok()).unwrap_or(0);
    // Each field the form cannot take, with why; the form comes back with them all.
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    // An engagement's own risk, added with its name.
    let new_id = f.get("new_id").map(|s| s.trim()).unwrap_or_default();
    let name = f.get("new_name").map(|s| s.trim()).unwrap_or_default();
    let (l, i) = (score("new_likelihood".into()), score("new_impact".into()));
    if !new_id.is_empty() || !name.is_empty() {
        let valid = !new_id.is_empty()
            && new_id.len() <= 32
            && new_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            errors.insert("new_id".into(), v.ui.t("ui.new_risk_bad_id"));
        } else if risks.iter().any(|r| r.id.value == new_id) {
            errors.insert(
                "new_id".into(),
                v.ui.t1("ui.new_risk_id_taken", "id", new_id),
            );
        }
        if name.is_empty() {
            errors.insert("new_name".into(), v.ui.t("ui.new_risk_needs_name"));
        }
        if l == 0 {
            errors.insert("new_likelihood".into(), v.ui.t("ui.new_risk_needs_score"));
        }
        if i == 0 {
            errors.insert("new_impact".into(), v.ui.t("ui.new_risk_needs_score"));
        }
    }
    if !new_id.is_empty() && errors.is_empty() {
        risks.push(RiskEntry {
            id: unplaced(new_id.to_owned()),
            name: Some(name.to_owned()),
            likelihood: l,
            impact: i,
            treatment: Treatment::default(),
            residual: None,
        });
    }
    for (key, value) in &f {
        let Some(rid) = key.strip_prefix("likelihood.") else {
            continue;
        };
        let (Ok(l), Ok(i)) = (
            value.parse::<u8>(),
            f.get(&format!("impact.{rid}"))
                .map_or(Ok(0), |s| s.parse::<u8>()),
        ) else {
            continue;
        };
        if l == 0 || i == 0 {
            continue;
        }
        let r = match risks.iter().position(|r| r.id.value == rid) {
            Some(n) => &mut risks[n],
            None => {
                risks.push(RiskEntry {
                    id: unplaced(rid.to_owned()),
                    name: None,
                    likelihood: l,
                    impact: i,
                    treatment: Treatment::default(),
                    residual: None,
                });
                let last = risks.len() - 1;
                &mut risks[last]
            }
        };
        r.likelihood = l;
        r.impact = i;
        // The treatment, when its part of the form came with the rest.
        if f.contains_key(&format!("treat.{rid}")) {
            let controls: Vec<String> = f
                .get(&format!("controls.{rid}"))
                .map(|c| {
                    c.split(|ch: char| ch == ',' || ch == '，' || ch == '、' || ch.is_whitespace())
                        .filter(|x| !x.is_empty())
                        .map(|x| x.to_ascii_uppercase())
                        .collect()
                })
                .unwrap_or_default();
            let unknown: Vec<&str> = controls
                .iter()
                .filter(|c| state.content.catalog.control(c).is_none())
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                errors.insert(
                    format!("controls.{rid}"),
                    v.ui.t1("ui.treatment_unknown_controls", "ids", &unknown.join(", ")),
                );
            }
            let chosen = |prefix: &str, ids: Vec<&String>| -> Vec<String> {
                ids.into_iter()
                    .filter(|id| f.contains_key(&format!("{prefix}.{rid}.{id}")))
                    .cloned()
                    .collect()
            };
            let guide = &state.content.guide;
            r.treatment = Treatment {
                controls,
                clauses: chosen(
                    "clause",
                    guide.contract_clauses.iter().map(|c| &c.id).collect(),
                ),
                activities: chosen(
                    "activity",
                    guide
                        .phases
                        .iter()
                        .flat_map(|p| &p.activities)
                        .map(|a| &a.id)
                        .collect(),
                ),
            };
            let (rl, ri) = (
                score(format!("residual_likelihood.{rid}")),
                score(format!("residual_impact.{rid}")),
            );
            r.residual = (rl > 0 && ri > 0).then_some(Residual {
                likelihood: rl,
                impact: ri,
            });
        }
    }
    let version = f
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let again = |problem: String, errors: BTreeMap<String, String>, status: StatusCode| {
        let echo = RiskEcho {
            form: f.clone(),
            errors,
            problem,
        };
        let (state, v, id) = (&state, &v, &id);
        async move {
            let mut r = risks_view(state, v, id, None, Some(echo)).await;
            if r.status().is_success() {
                *r.status_mut() = status;
            }
            r
        }
    };
    if !errors.is_empty() {
        return again(v.ui.t("ui.form_not_taken"), errors, StatusCode::BAD_REQUEST).await;
    }
    match crate::services::lifecycle::put_risks(&state, &v.p, &id, version, risks, v.ui.lang).await
    {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}/risks?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        // Not taken (a value the rules refuse, or a change by someone else since the form
        // was read): the form again as it was sent, with why.
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            let msg = super::problem_text(&v, &e);
            let mut detail = e.detail_messages();
            detail.insert(0, msg);
            again(detail.join(" "), BTreeMap::new(), e.status).await
        }
        Err(e) => super::refused(&v, &e),
    }
}
