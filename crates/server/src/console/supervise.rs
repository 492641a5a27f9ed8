//! Console supervision of an engagement: findings from the scans (fix, accept with a reason
//! and an expiry), provider notices (recorded by the provider, acknowledged by the
//! customer) and evidence files (uploaded with a plain multipart form, downloaded by those
//! who see the engagement).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use cloudward_domain::workflow::{FindingState, NoticeKind};
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::paging::{Pager, query_of};
use super::{Ui, Viewer, check_csrf, read_upload, refused, render, viewer_error};
use crate::AppState;
use crate::authz::Action;
use crate::services::findings::{self, FindingAction};

fn back(id: &str, note: &str) -> Response {
    super::back_to(&format!("/engagements/{id}/supervision"), note)
}

pub struct FindingRow {
    id: String,
    version: i64,
    rule: String,
    /// `file:line` of the resource, when the scan said.
    location: String,
    /// The controls the rule checks: (id, title in the reader's language).
    controls: Vec<(String, String)>,
    /// Whether the bulk form that was refused had it ticked.
    ticked: bool,
    /// The severity in words, and its id (for the badge's colour).
    severity: String,
    severity_id: String,
    address: String,
    /// The rule's title in the reader's language (the message stored with the finding for
    /// a rule that is not built in).
    title: String,
    remediation: String,
    state: String,
    open: bool,
    assignee: String,
}

pub struct NoticeRow {
    id: String,
    kind: String,
    title: String,
    due: String,
    acknowledged: String,
    pending: bool,
}

pub struct EvidenceRow {
    id: String,
    name: String,
    target: String,
    media_type: String,
    size: i64,
    effective: String,
    sha: String,
}

#[derive(Template)]
#[template(path = "supervision.html")]
pub struct SupervisionPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    name: String,
    findings: Vec<FindingRow>,
    notices: Vec<NoticeRow>,
    evidence: Vec<EvidenceRow>,
    can_triage: bool,
    can_notify: bool,
    can_ack: bool,
    can_upload: bool,
    done: Option<String>,
    /// A refused form: the page again, with why at the top …
    problem: Option<String>,
    /// … and the form with what was sent and each refusal beside its field.
    echo: super::Echo,
    csrf: String,
    /// The findings filters as given, and the names to assign to (the organisation's users
    /// and the assignees so far).
    state_filter: String,
    assignee_filter: String,
    assignees: Vec<String>,
    /// current (not closed) or closed, with how many of each.
    view: String,
    current_count: i64,
    closed_count: i64,
    severity_filter: String,
    /// (id, in words) of each severity.
    severities: Vec<(String, String)>,
    rule_filter: String,
    /// The rules with findings here: (id, title in words, how many in the view).
    rules: Vec<(String, String, i64)>,
    /// severity or recorded.
    sort: String,
    /// The query of the filters as given (for the tab links and the form's return).
    filter_query: String,
    /// The same filters for the export, every one said (the API's defaults differ).
    export_query: String,
    pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    /// Findings filters.
    state: Option<String>,
    assignee: Option<String>,
    view: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    sort: Option<String>,
    /// The page of findings, from 1 (a page past the last shows the last).
    page: Option<String>,
}

/// Findings per page of the supervision page.
const FINDINGS_PER_PAGE: usize = 50;

pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    show(state, v, id, d, super::Echo::default()).await
}

/// The page again after a refused form, with the form as it was sent, answering `status`.
async fn again(
    state: AppState,
    v: Viewer,
    id: String,
    echo: super::Echo,
    status: StatusCode,
) -> Response {
    again_with(state, v, id, Done::default(), echo, status).await
}

/// [`again`], with the list filtered as it was.
async fn again_with(
    state: AppState,
    v: Viewer,
    id: String,
    d: Done,
    echo: super::Echo,
    status: StatusCode,
) -> Response {
    let mut r = show(state, v, id, d, echo).await;
    if r.status().is_success() {
        *r.status_mut() = status;
    }
    r
}

/// The supervision page, with a refused form to show again (`echo`) if any.
async fn show(state: AppState, v: Viewer, id: String, d: Done, echo: super::Echo) -> Response {
    let problem = match echo.error("") {
        Some(m) => Some(m.to_owned()),
        None if !echo.errors.is_empty() => Some(v.ui.t("ui.form_not_taken")),
        None => None,
    };
    let ui = v.ui.clone();
    let e = match crate::services::engagements::engagement(
        &state,
        &v.p,
        &id,
        crate::authz::Action::Posture,
    )
    .await
    {
        Ok(e) => e,
        Err(err) => return refused(&v, &err),
    };
    let rel = v.p.rel_to(&e);
    let wanted = d
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    // Filters as the page offers them: a value it does not offer is no filter.
    let view = match d.view.as_deref() {
        Some("closed") => "closed",
        Some("all") => "all",
        _ => "current",
    };
    let sort = match d.sort.as_deref() {
        Some("recorded") => "recorded",
        _ => "severity",
    };
    let severity_filter = d
        .severity
        .clone()
        .filter(|s| cloudward_store::SEVERITIES.contains(&s.as_str()))
        .unwrap_or_default();
    let state_filter = d
        .state
        .clone()
        .filter(|s| FindingState::parse(s).is_some())
        .unwrap_or_default();
    let facets = match findings::facets(&state, &v.p, &id).await {
        Ok(f) => f,
        Err(err) => return refused(&v, &err),
    };
    let rule_filter = d
        .rule
        .clone()
        .filter(|r| facets.iter().any(|f| f.rule_id == *r))
        .unwrap_or_default();
    let (current_count, closed_count) = facets.iter().fold((0, 0), |(c, x), f| {
        if f.state == "closed" {
            (c, x + f.count)
        } else {
            (c + f.count, x)
        }
    });
    let in_view = |f: &cloudward_store::FindingFacet| match view {
        "closed" => f.state == "closed",
        "current" => f.state != "closed",
        _ => true,
    };
    let mut rules: Vec<(String, String, i64)> = Vec::new();
    for f in facets.iter().filter(|f| in_view(f)) {
        match rules.iter_mut().find(|r| r.0 == f.rule_id) {
            Some(r) => r.2 += f.count,
            None => {
                let title = crate::scanning::builtin_rule(&f.rule_id)
                    .map_or_else(|| f.rule_id.clone(), |r| r.title.get(ui.lang).to_owned());
                rules.push((f.rule_id.clone(), title, f.count));
            }
        }
    }
    // The defaults (current findings, most severe first) stay out of the links.
    let filters: Vec<(&str, &str)> = vec![
        ("view", if view == "current" { "" } else { view }),
        ("state", state_filter.as_str()),
        ("severity", severity_filter.as_str()),
        ("rule", rule_filter.as_str()),
        ("assignee", d.assignee.as_deref().unwrap_or("")),
        ("sort", if sort == "severity" { "" } else { sort }),
    ];
    let filter_query = query_of(&filters);
    let export_query = query_of(&[
        ("view", view),
        ("state", state_filter.as_str()),
        ("severity", severity_filter.as_str()),
        ("rule", rule_filter.as_str()),
        ("assignee", d.assignee.as_deref().unwrap_or("")),
        ("sort", sort),
    ]);
    let mut query = crate::supervision::FindingQuery {
        state: Some(state_filter.clone()).filter(|s| !s.is_empty()),
        view: Some(view.to_owned()),
        severity: Some(severity_filter.clone()).filter(|s| !s.is_empty()),
        rule: Some(rule_filter.clone()).filter(|s| !s.is_empty()),
        sort: Some(sort.to_owned()),
        assignee: d.assignee.clone(),
        lang: None,
        limit: Some(FINDINGS_PER_PAGE),
        offset: Some((wanted - 1).saturating_mul(FINDINGS_PER_PAGE)),
        after: None,
        format: None,
    };
    let mut page = match findings::page(&state, &v.p, &id, &query).await {
        Ok(x) => x,
        Err(err) => return refused(&v, &err),
    };
    // Offset pages are always counted.
    let counted = page.total.unwrap_or(page.items.len());
    if page.items.is_empty() && counted > 0 {
        // Past the last page: the last one.
        query.offset = Some((counted.div_ceil(FINDINGS_PER_PAGE) - 1) * FINDINGS_PER_PAGE);
        page = match findings::page(&state, &v.p, &id, &query).await {
            Ok(x) => x,
            Err(err) => return refused(&v, &err),
        };
    }
    let total = page.total.unwrap_or(page.items.len());
    let findings = page.items;
    let pager = Pager::new(
        &ui,
        &format!("/engagements/{id}/supervision"),
        &filters,
        (
            query.offset.unwrap_or(0) / FINDINGS_PER_PAGE + 1,
            FINDINGS_PER_PAGE,
        ),
        total,
        "#findings",
    );
    let ticked: std::collections::BTreeSet<&str> = if echo.is("bulk", "") {
        echo.value("ticked").split(',').collect()
    } else {
        std::collections::BTreeSet::new()
    };
    let findings: Vec<FindingRow> = findings
        .into_iter()
        .map(|f| {
            let d = f.finding;
            let rule = crate::scanning::builtin_rule(&d.rule_id);
            let controls = d
                .controls
                .iter()
                .map(|c| {
                    let title = state
                        .content
                        .catalog
                        .control(c)
                        .map(|x| ui.text(&x.title))
                        .unwrap_or_default();
                    (c.clone(), title)
                })
                .collect();
            FindingRow {
                ticked: ticked.contains(f.id.as_str()),
                location: match (d.file.is_empty(), d.line) {
                    (true, _) => String::new(),
                    (false, 0) => d.file.clone(),
                    (false, line) => format!("{}:{line}", d.file),
                },
                controls,
                id: f.id,
                version: f.version,
                severity: ui.t(&format!("severity.{}", d.severity)),
                severity_id: d.severity.clone(),
                title: rule.map_or(d.message.clone(), |r| r.title.get(ui.lang).to_owned()),
                remediation: rule
                    .map(|r| super::code_marked(r.remediation.text.get(ui.lang), ui.lang))
                    .unwrap_or_default(),
                rule: d.rule_id,
                address: d.address,
                state: ui.t(&format!("ui.finding_state.{}", d.state.id())),
                open: d.state == FindingState::Open,
                assignee: d.assignee.unwrap_or_default(),
            }
        })
        .collect();
    let notices = match crate::services::notices::list(&state, &v.p, &id).await {
        Ok(list) => list,
        Err(err) => return refused(&v, &err),
    };
    let minutes = |t: &str| -> String { t.replace('T', " ").chars().take(16).collect() };
    let notices = notices
        .into_iter()
        .map(|n| {
            let d = n.notice;
            let kind = match d.kind {
                cloudward_domain::workflow::NoticeKind::Change => "ui.notice.change",
                cloudward_domain::workflow::NoticeKind::Incident => "ui.notice.incident",
            };
            NoticeRow {
                id: n.id,
                kind: ui.t(kind),
                title: d.title,
                due: minutes(&d.ack_due),
                acknowledged: d
                    .acknowledged_at
                    .as_deref()
                    .map(minutes)
                    .unwrap_or_default(),
                pending: d.acknowledged_at.is_none(),
            }
        })
        .collect();
    let evidence = match crate::services::evidence::list(&state, &v.p, &id).await {
        Ok(list) => list,
        Err(err) => return refused(&v, &err),
    };
    let evidence = evidence
        .into_iter()
        .map(|r| {
            let d = r.evidence;
            EvidenceRow {
                id: r.id,
                target: format!(
                    "{} {}",
                    ui.t(&format!("ui.target.{}", d.target_kind)),
                    d.target
                ),
                name: d.name,
                media_type: d.media_type,
                size: d.size,
                effective: d.effective_date.to_string(),
                sha: d.sha256.chars().take(16).collect(),
            }
        })
        .collect();
    // Names to assign to: the users of the viewer's organisation and those assigned so far.
    let mut assignees: std::collections::BTreeSet<String> = findings
        .iter()
        .map(|f| f.assignee.clone())
        .filter(|a| !a.is_empty())
        .collect();
    if let Some(org) = &v.p.org
        && let Ok(users) = state.store.list_users(&org.id).await
    {
        assignees.extend(users.into_iter().map(|u| u.username));
    }
    render(&SupervisionPage {
        pager,
        view: view.to_owned(),
        current_count,
        closed_count,
        severity_filter,
        severities: cloudward_store::SEVERITIES
            .iter()
            .map(|s| ((*s).to_owned(), ui.t(&format!("severity.{s}"))))
            .collect(),
        rule_filter,
        rules,
        sort: sort.to_owned(),
        filter_query,
        export_query,
        state_filter,
        assignee_filter: d.assignee.unwrap_or_default(),
        assignees: assignees.into_iter().collect(),
        nav: Some(nav(
            &v,
            "dashboard",
            &format!("/engagements/{id}/supervision"),
        )),
        name: e.name.clone(),
        findings,
        notices,
        evidence,
        can_triage: v.p.can(Action::FindingAct, rel),
        can_notify: v.p.can(Action::NoticeCreate, rel),
        can_ack: v.p.can(Action::NoticeAck, rel),
        can_upload: v.p.can(Action::EvidenceUpload, rel),
        done: d.done,
        problem,
        echo,
        csrf: v.csrf.clone(),
        id,
        ui,
    })
}

#[derive(Debug, Deserialize)]
pub struct FindingForm {
    csrf_token: Option<String>,
    version: i64,
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    assignee: String,
}

pub async fn act(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, finding)): Path<(String, String)>,
    ConsoleForm(f): ConsoleForm<FindingForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let action = match f.action.as_str() {
        "fix" => FindingAction::Fix { version: f.version },
        "assign" => FindingAction::Assign {
            version: f.version,
            assignee: f.assignee.trim().to_owned(),
        },
        "accept" => match NaiveDate::parse_from_str(&f.until, "%Y-%m-%d") {
            Ok(until) => FindingAction::Accept {
                version: f.version,
                reason: f.reason.clone(),
                until,
            },
            Err(_) => {
                let msg = v.ui.t1("api.bad_date", "value", &f.until);
                let echo = super::Echo::refused(
                    format!("accept:{finding}"),
                    &[("reason", &f.reason), ("until", &f.until)],
                    "until",
                    msg,
                );
                return again(state, v, id, echo, StatusCode::BAD_REQUEST).await;
            }
        },
        _ => return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_step")),
    };
    match findings::act(&state, &v.p, &id, &finding, action).await {
        Ok(_) => back(&id, &v.ui.t("ui.saved")),
        // What the form sent was not taken: the form again, with why beside the field.
        Err(e)
            if super::is_form_problem(&e) && matches!(f.action.as_str(), "accept" | "assign") =>
        {
            let echo = super::Echo::from_error(
                &v,
                format!("{}:{finding}", f.action),
                &[
                    ("reason", &f.reason),
                    ("until", &f.until),
                    ("assignee", &f.assignee),
                ],
                &e,
            );
            again(state, v, id, echo, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

/// The filters a form came from (`k=v&…`), to show the same list again.
fn done_of(query: &str) -> Done {
    format!("/?{query}")
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|uri| Query::<Done>::try_from_uri(&uri).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

/// Several findings at once: the ticked ones (`f`, each `id:version`) are assigned,
/// accepted or reported fixed, all or none; back to the same filters.
pub async fn bulk(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(pairs): ConsoleForm<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    if let Some(r) = check_csrf(&v, Some(&field("csrf_token").to_owned())) {
        return r;
    }
    let ticked: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "f")
        .map(|(_, v)| v.as_str())
        .collect();
    let filters = field("filters").to_owned();
    let (action, assignee, reason, until) = (
        field("action"),
        field("assignee"),
        field("reason"),
        field("until"),
    );
    let ids: Vec<&str> = ticked
        .iter()
        .filter_map(|t| t.split_once(':').map(|(id, _)| id))
        .collect();
    let echo_of = |field: &str, msg: String| {
        super::Echo::refused(
            "bulk",
            &[
                ("action", action),
                ("assignee", assignee),
                ("reason", reason),
                ("until", until),
                ("ticked", &ids.join(",")),
            ],
            field,
            msg,
        )
    };
    let mut findings = Vec::with_capacity(ticked.len());
    for t in &ticked {
        let parsed = t
            .split_once(':')
            .and_then(|(id, ver)| Some((id.to_owned(), ver.parse::<i64>().ok()?)));
        match parsed {
            Some((id, version)) => findings.push(findings::FindingAt { id, version }),
            None => return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_step")),
        }
    }
    let change = match action {
        "fix" => findings::BulkChange::Fix,
        "assign" => findings::BulkChange::Assign {
            assignee: assignee.trim().to_owned(),
        },
        "accept" => match NaiveDate::parse_from_str(until, "%Y-%m-%d") {
            Ok(until) => findings::BulkChange::Accept {
                reason: reason.to_owned(),
                until,
            },
            Err(_) => {
                let echo = echo_of("until", v.ui.t1("api.bad_date", "value", until));
                return again_with(
                    state,
                    v,
                    id,
                    done_of(&filters),
                    echo,
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        },
        _ => {
            let echo = echo_of("action", v.ui.t("ui.bulk_choose_action"));
            return again_with(
                state,
                v,
                id,
                done_of(&filters),
                echo,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let n = findings.len();
    match findings::act_all(&state, &v.p, &id, findings::BulkAction { findings, change }).await {
        Ok(_) => {
            let note = v.ui.t1("ui.bulk_done", "count", &n.to_string());
            let mut to = format!("/engagements/{id}/supervision?");
            if !filters.is_empty() {
                to.push_str(&filters);
                to.push('&');
            }
            to.push_str(&format!("done={}#findings", super::urlencode(&note)));
            axum::response::Redirect::to(&to).into_response()
        }
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            let msg = super::problem_text(&v, &e);
            let field = e
                .args
                .iter()
                .find(|(k, _)| *k == "field")
                .map_or("", |(_, f)| f.as_str());
            // A finding that refused: named by its title and resource.
            let which = e
                .args
                .iter()
                .find(|(k, _)| *k == "finding")
                .map(|(_, f)| f.clone());
            let msg = match which {
                Some(f) if field.is_empty() => {
                    format!("{msg} ({})", finding_words(&state, &v, &f).await)
                }
                _ => msg,
            };
            let echo = echo_of(if ticked.is_empty() { "ticked" } else { field }, msg);
            let status = e.status;
            again_with(state, v, id, done_of(&filters), echo, status).await
        }
        Err(e) => refused(&v, &e),
    }
}

/// A finding named for a person: its rule's title and its resource.
async fn finding_words(state: &AppState, v: &Viewer, finding: &str) -> String {
    let Ok(Some(r)) = state.store.get_record("finding", finding).await else {
        return String::new();
    };
    let Ok(d) = serde_json::from_value::<crate::supervision::FindingData>(r.data) else {
        return String::new();
    };
    let title = crate::scanning::builtin_rule(&d.rule_id)
        .map_or(d.message.clone(), |r| r.title.get(v.ui.lang).to_owned());
    format!("{title} · {}", d.address)
}

#[derive(Debug, Deserialize)]
pub struct NoticeForm {
    csrf_token: Option<String>,
    kind: String,
    title: String,
    #[serde(default)]
    description: String,
}

pub async fn notify(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<NoticeForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let kind = match f.kind.as_str() {
        "incident" => NoticeKind::Incident,
        "change" => NoticeKind::Change,
        // No guess at a kind the list does not have.
        _ => {
            let msg = v.ui.t1("ui.bad_choice", "field", &v.ui.t("ui.kind"));
            let echo = super::Echo::refused(
                "notice",
                &[("title", &f.title), ("description", &f.description)],
                "kind",
                msg,
            );
            return again(state, v, id, echo, StatusCode::BAD_REQUEST).await;
        }
    };
    let body = crate::services::notices::NewNotice {
        kind,
        title: f.title.clone(),
        description: f.description.clone(),
    };
    match crate::services::notices::raise(&state, &v.p, &id, body).await {
        Ok(_) => back(&id, &v.ui.t("ui.saved")),
        Err(e) if super::is_form_problem(&e) => {
            let echo = super::Echo::from_error(
                &v,
                "notice",
                &[
                    ("kind", &f.kind),
                    ("title", &f.title),
                    ("description", &f.description),
                ],
                &e,
            );
            again(state, v, id, echo, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, notice)): Path<(String, String)>,
    ConsoleForm(f): ConsoleForm<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match crate::services::notices::acknowledge(&state, &v.p, &id, &notice).await {
        Ok(_) => back(&id, &v.ui.t("ui.acknowledged")),
        Err(e) => refused(&v, &e),
    }
}

/// The evidence form: `multipart/form-data`, so that it works without JavaScript.
pub async fn upload(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let up = match read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    let date = NaiveDate::parse_from_str(&up.field("effective_date"), "%Y-%m-%d").ok();
    let name = if up.file_name.is_empty() {
        "evidence".to_owned()
    } else {
        up.file_name.clone()
    };
    let new = crate::services::evidence::NewEvidence {
        target_kind: up.field("target_kind"),
        target: up.field("target"),
        name,
        effective_date: date,
    };
    match crate::services::evidence::upload(&state, &v.p, &id, new, up.bytes.to_vec()).await {
        Ok(_) => back(&id, &v.ui.t("ui.saved")),
        // A file that is not accepted (its name, type or size): the form again, with why.
        Err(e) if super::is_form_problem(&e) => {
            let kind = up.field("target_kind");
            let target = up.field("target");
            let date = up.field("effective_date");
            // The file itself cannot be given back: the browser asks for it again.
            let mut echo = super::Echo::from_error(
                &v,
                "evidence",
                &[
                    ("target_kind", &kind),
                    ("target", &target),
                    ("effective_date", &date),
                ],
                &e,
            );
            if let Some(m) = echo.errors.remove("name") {
                echo.errors.insert("file".into(), m);
            }
            again(state, v, id, echo, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}
