//! Console pages for the workflow: offerings and the assessment workspace, importing an
//! engagement, picking an offering, and the exit checklist. The form handlers call the
//! API's handlers, so the console and the API apply exactly the same rules.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cloudward_domain::ProtectionLevel;
use cloudward_domain::catalog::ServiceCategory;
use cloudward_domain::classify::DeploymentModel;
use cloudward_domain::workflow::{ControlResult, Manifest, Offering, Outcome, ScopeItem};
use cloudward_store::OrgKind;
use serde::Deserialize;

use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, refused, render, viewer_error};
use crate::AppState;
use crate::services::lifecycle::{self, ExitStep};
use crate::services::{assessments, offerings};

use super::back_to as back;

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    /// The assessment's results: `unset`, `not_met` (not or partly satisfied) or
    /// `no_support` (met without evidence or waiver); all without it.
    #[serde(default)]
    show: String,
    /// Only this family's controls.
    #[serde(default)]
    family: String,
}

// ---------------------------------------------------------------- offerings

pub struct OfferingRow {
    id: String,
    name: String,
    provider: String,
    service: String,
    claimed: String,
    /// The claimed level's id: the invitation's level by default.
    claimed_id: &'static str,
    assessment: String,
    own: bool,
}

#[derive(Template)]
#[template(path = "offerings.html")]
pub struct OfferingsPage {
    ui: Ui,
    nav: Option<Nav>,
    rows: Vec<OfferingRow>,
    is_provider: bool,
    assessors: Vec<(String, String)>,
    done: Option<String>,
    /// The search and filters as given, how many match, and the pages.
    q: OfferingsQuery,
    total: usize,
    pager: super::paging::Pager,
    /// Why a form was not taken, above the forms.
    problem: Option<String>,
    /// What a refused form sent (`offering` or `invite:<id>`).
    echo: super::Echo,
}

/// The offerings list's search, filters and page.
#[derive(Debug, Default, Deserialize)]
pub struct OfferingsQuery {
    done: Option<String>,
    /// Words of the name or the provider's name.
    #[serde(default)]
    q: String,
    /// iaas, paas or saas.
    #[serde(default)]
    category: String,
    /// The level claimed: general, enhanced or advanced.
    #[serde(default)]
    level: String,
    /// `yes`: with a concluded assessment; `no`: without.
    #[serde(default)]
    assessed: String,
    page: Option<String>,
}

/// Offerings per page.
const OFFERINGS_PER_PAGE: usize = 50;

pub async fn offerings(
    State(state): State<AppState>,
    v: Viewer,
    Query(d): Query<OfferingsQuery>,
) -> Response {
    offerings_page(&state, &v, d, super::Echo::default()).await
}

/// The offerings page; a refused form (`echo`) is shown again with what was typed, the
/// reason beside its field, and status 400 or the refusal's own.
async fn offerings_page(
    state: &AppState,
    v: &Viewer,
    d: OfferingsQuery,
    echo: super::Echo,
) -> Response {
    let ui = v.ui.clone();
    let list = match offerings::list(state, &v.p).await {
        Ok(l) => l,
        Err(e) => return refused(v, &e),
    };
    let needle = d.q.trim().to_lowercase();
    let mut providers: std::collections::HashMap<String, String> = Default::default();
    let mut found = Vec::new();
    for o in list {
        if !providers.contains_key(&o.provider_org_id) {
            let name = match state.store.get_org(&o.provider_org_id).await {
                Ok(Some(org)) => org.name,
                _ => String::new(),
            };
            providers.insert(o.provider_org_id.clone(), name);
        }
        let provider = providers
            .get(&o.provider_org_id)
            .cloned()
            .unwrap_or_default();
        let assessed = o
            .assessment
            .as_ref()
            .and_then(|a| a.conclusion.as_ref())
            .is_some();
        let keep = (needle.is_empty()
            || o.offering.name.to_lowercase().contains(&needle)
            || provider.to_lowercase().contains(&needle))
            && (d.category.is_empty() || o.offering.service_category.id() == d.category)
            && (d.level.is_empty() || o.offering.claimed_level.id() == d.level)
            && match d.assessed.as_str() {
                "yes" => assessed,
                "no" => !assessed,
                _ => true,
            };
        if keep {
            found.push((o, provider));
        }
    }
    let total = found.len();
    let pager = super::paging::Pager::new(
        &ui,
        "/offerings",
        &[
            ("q", d.q.trim()),
            ("category", d.category.as_str()),
            ("level", d.level.as_str()),
            ("assessed", d.assessed.as_str()),
        ],
        (
            super::paging::page_number(d.page.as_deref()),
            OFFERINGS_PER_PAGE,
        ),
        total,
        "",
    );
    let list: Vec<_> = found
        .into_iter()
        .skip(pager.skip)
        .take(OFFERINGS_PER_PAGE)
        .collect();
    let my_org = v.p.org.as_ref().map(|o| o.id.clone()).unwrap_or_default();
    let mut rows = Vec::new();
    for (o, provider) in list {
        let assessment = match o.assessment.as_ref().and_then(|a| a.conclusion.as_ref()) {
            Some(c) => format!(
                "{} · {} · {}",
                ui.t(&format!("ui.outcome.{}", c.outcome.id())),
                ui.t(&format!("level.{}", c.level.id())),
                c.valid_until
            ),
            None => ui.t("ui.not_assessed"),
        };
        rows.push(OfferingRow {
            name: o.offering.name.clone(),
            service: format!(
                "{} · {}",
                ui.t(&format!("category.{}", o.offering.service_category.id())),
                ui.t(&format!("deployment.{}", o.offering.deployment_model.id()))
            ),
            claimed: ui.t(&format!("level.{}", o.offering.claimed_level.id())),
            claimed_id: o.offering.claimed_level.id(),
            own: o.provider_org_id == my_org,
            id: o.id,
            provider,
            assessment,
        });
    }
    let is_provider = v.p.org_kind() == Some(OrgKind::Provider);
    let assessors = if is_provider {
        state
            .store
            .list_orgs()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.kind == OrgKind::Assessor)
            .map(|o| (o.id, o.name))
            .collect()
    } else {
        Vec::new()
    };
    let problem = match echo.error("") {
        Some(m) => Some(m.to_owned()),
        None if !echo.errors.is_empty() => Some(ui.t("ui.form_not_taken")),
        None => None,
    };
    let refused_form = !echo.errors.is_empty();
    let mut r = render(&OfferingsPage {
        nav: Some(nav(v, "offerings", "/offerings")),
        ui,
        rows,
        is_provider,
        assessors,
        done: d.done.clone(),
        q: d,
        total,
        pager,
        problem,
        echo,
    });
    if refused_form && r.status().is_success() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

#[derive(Debug, Deserialize)]
pub struct OfferingForm {
    csrf_token: Option<String>,
    name: String,
    service_category: String,
    deployment_model: String,
    #[serde(default)]
    regions: String,
    claimed_level: String,
    #[serde(default)]
    published: Option<String>,
}

pub async fn create_offering(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<OfferingForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let published = if f.published.is_some() { "1" } else { "" };
    let values = [
        ("name", f.name.as_str()),
        ("service_category", f.service_category.as_str()),
        ("deployment_model", f.deployment_model.as_str()),
        ("regions", f.regions.as_str()),
        ("claimed_level", f.claimed_level.as_str()),
        ("published", published),
    ];
    let again = |field: &str, message: String| {
        let echo = super::Echo::refused("offering", &values, field, message);
        offerings_page(&state, &v, OfferingsQuery::default(), echo)
    };
    let bad = |label: &str| v.ui.t1("ui.bad_choice", "field", &v.ui.t(label));
    let Some(service_category) = ServiceCategory::parse(&f.service_category) else {
        return again("service_category", bad("ui.service_category")).await;
    };
    let Some(deployment_model) = DeploymentModel::parse(&f.deployment_model) else {
        return again("deployment_model", bad("ui.deployment_model")).await;
    };
    let Some(claimed_level) = ProtectionLevel::parse(&f.claimed_level) else {
        return again("claimed_level", bad("ui.claimed_level")).await;
    };
    let offering = Offering {
        name: f.name.trim().to_owned(),
        service_category,
        deployment_model,
        regions: f
            .regions
            .split([',', ' ', '，', '、'])
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        cloud: None,
        claimed_level,
        responsibility: Vec::new(),
    };
    match offerings::create(&state, &v.p, &offering, f.published.is_some()).await {
        Ok(_) => back("/offerings", &v.ui.t("ui.saved")),
        Err(e) if super::is_form_problem(&e) => {
            let echo = super::Echo::from_error(&v, "offering", &values, &e);
            let status = e.status;
            let mut r = offerings_page(&state, &v, OfferingsQuery::default(), echo).await;
            *r.status_mut() = status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    csrf_token: Option<String>,
    assessor_org_id: String,
    level: String,
}

pub async fn invite(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let form = format!("invite:{id}");
    let values = [
        ("assessor_org_id", f.assessor_org_id.as_str()),
        ("level", f.level.as_str()),
    ];
    let Some(level) = ProtectionLevel::parse(&f.level) else {
        let echo = super::Echo::refused(form, &values, "level", v.ui.t("ui.bad_level"));
        return offerings_page(&state, &v, OfferingsQuery::default(), echo).await;
    };
    match assessments::invite(&state, &v.p, &id, &f.assessor_org_id, Some(level)).await {
        Ok(_) => back("/offerings", &v.ui.t("ui.assessor_invited")),
        Err(e) if super::is_form_problem(&e) => {
            let echo = super::Echo::from_error(&v, form, &values, &e);
            let status = e.status;
            let mut r = offerings_page(&state, &v, OfferingsQuery::default(), echo).await;
            *r.status_mut() = status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}

// ---------------------------------------------------------------- assessment workspace

pub struct ResultRow {
    /// Whether the filters show it.
    shown: bool,
    id: String,
    title: String,
    /// What the control asks, from the catalog, in the reader's language.
    statement: String,
    result: String,
    notes: String,
    /// The waiver's reason, as recorded or as sent.
    waiver: String,
    /// When the waiver was recorded (YYYY-MM-DD), once it was.
    waiver_on: Option<String>,
    response: String,
    /// The control's files (id, name).
    files: Vec<(String, String)>,
    /// Why the row was not taken, when the form was refused.
    error: Option<String>,
    /// The control's evidence requests (id, state in words).
    requests: Vec<(String, String)>,
}

/// An evidence request on the workspace.
pub struct RequestRow {
    id: String,
    version: i64,
    control: String,
    title: String,
    text: String,
    due: String,
    /// open, answered or closed
    state: &'static str,
    state_words: String,
    answer: String,
    rectified: bool,
    files: Vec<(String, String)>,
    /// The history in words: when, what, the note.
    history: Vec<String>,
}

/// One family of the catalog on the workspace: its controls in scope and how far they are.
pub struct FamilySection {
    /// Whether the filters show any of its rows.
    shown: bool,
    id: String,
    name: String,
    recorded: usize,
    in_scope: usize,
    /// The progress in words: recorded of in scope, how many not satisfied.
    progress: String,
    /// Open while something is left to do in it, or a row of it was refused.
    open: bool,
    rows: Vec<ResultRow>,
}

#[derive(Template)]
#[template(path = "assessment.html")]
pub struct AssessmentPage {
    ui: Ui,
    nav: Option<Nav>,
    /// The results filters as given, and the families to choose from (id, name).
    show: String,
    family: String,
    family_names: Vec<(String, String)>,
    /// The controls in scope (id, title): those a file can be attached to.
    controls: Vec<(String, String)>,
    id: String,
    version: i64,
    offering: String,
    provider: String,
    assessor: String,
    level: String,
    conclusion: Option<String>,
    published: bool,
    summary: Vec<(String, u64)>,
    families: Vec<FamilySection>,
    is_assessor: bool,
    is_provider: bool,
    done: Option<String>,
    /// A refused upload or form: the page again, with why.
    problem: Option<String>,
    /// A refused request form (`ask`, `answer:<request>`, `close:<request>`,
    /// `reopen:<request>`, `conclude`) as sent, with why beside its fields.
    form: super::Echo,
    /// The bulk choice and its waiver as sent, when the form was refused.
    all: String,
    all_waiver: String,
    requests: Vec<RequestRow>,
}

pub async fn assessment(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Response {
    show_assessment(state, v, id, d, None, None, super::Echo::default()).await
}

/// The results form as it was sent and refused: its values and each row's refusal.
struct ResultsEcho {
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

/// The assessment's page, with a problem to show (a refused upload or form) and the
/// results form as sent, if any.
async fn show_assessment(
    state: AppState,
    v: Viewer,
    id: String,
    d: Done,
    problem: Option<String>,
    echo: Option<ResultsEcho>,
    form: super::Echo,
) -> Response {
    let ui = v.ui.clone();
    let a = match assessments::get(&state, &v.p, &id).await {
        Ok(a) => a,
        Err(e) => return refused(&v, &e),
    };
    let my_org = v.p.org.as_ref().map(|o| o.id.as_str()).unwrap_or("");
    let is_assessor = a.assessor_org_id == my_org;
    let is_provider = a.provider_org_id == my_org;
    // Files by id (name, control), for those who see the results.
    let files: Vec<(String, String, Option<String>)> = if a.results.is_some() {
        match crate::services::evidence::assessment_files(&state, &v.p, &id).await {
            Ok(list) => list
                .into_iter()
                .map(|f| (f.id, f.evidence.name, f.evidence.control))
                .collect(),
            Err(e) => return refused(&v, &e),
        }
    } else {
        Vec::new()
    };
    let name_of = |fid: &str| {
        files
            .iter()
            .find(|(i, _, _)| i == fid)
            .map_or_else(|| fid.to_owned(), |(_, n, _)| n.clone())
    };
    let sent = |key: String| echo.as_ref().and_then(|e| e.values.get(&key).cloned());
    let requests = if a.results.is_some() {
        match crate::services::requests::list(&state, &v.p, &id).await {
            Ok(l) => l,
            Err(e) => return refused(&v, &e),
        }
    } else {
        Vec::new()
    };
    let state_words =
        |s: crate::services::requests::RequestState| ui.t(&format!("ui.request_state.{}", s.id()));
    let catalog = &state.content.catalog;
    let mut families: Vec<FamilySection> = Vec::new();
    let mut controls = Vec::new();
    let filtered = !d.show.is_empty() || !d.family.is_empty();
    if let Some(results) = &a.results {
        for f in &catalog.families {
            let mut rows = Vec::new();
            let (mut recorded, mut not_met) = (0, 0);
            for c in catalog.applicable(a.level).filter(|c| c.family == f.id) {
                let r = results.get(c.id.as_str());
                if let Some(r) = r {
                    recorded += 1;
                    if r.result == ControlResult::NotSatisfied {
                        not_met += 1;
                    }
                }
                // Files listed with the result, then those attached before it was recorded.
                let mut ids: Vec<String> = r.map(|r| r.evidence.clone()).unwrap_or_default();
                for (fid, _, control) in &files {
                    if control.as_deref() == Some(c.id.as_str()) && !ids.contains(fid) {
                        ids.push(fid.clone());
                    }
                }
                let waiver = r.and_then(|r| r.waiver.as_ref());
                controls.push((c.id.clone(), ui.text(&c.title)));
                // The filters hide rows, not remove them: the results form still sends
                // every row as it is.
                let shown = (d.family.is_empty() || d.family == f.id)
                    && match d.show.as_str() {
                        "unset" => r.is_none(),
                        "not_met" => r.is_some_and(|r| {
                            matches!(
                                r.result,
                                ControlResult::NotSatisfied | ControlResult::PartiallySatisfied
                            )
                        }),
                        "no_support" => r.is_some_and(|r| {
                            matches!(
                                r.result,
                                ControlResult::Satisfied | ControlResult::PartiallySatisfied
                            ) && ids.is_empty()
                                && r.waiver.is_none()
                        }),
                        _ => true,
                    };
                rows.push(ResultRow {
                    shown,
                    id: c.id.clone(),
                    title: ui.text(&c.title),
                    statement: ui.text(&c.statement),
                    result: sent(format!("result.{}", c.id))
                        .unwrap_or_else(|| r.map(|r| r.result.id()).unwrap_or("").to_owned()),
                    notes: sent(format!("notes.{}", c.id))
                        .unwrap_or_else(|| r.map(|r| r.notes.clone()).unwrap_or_default()),
                    waiver: sent(format!("waiver.{}", c.id))
                        .unwrap_or_else(|| waiver.map(|w| w.reason.clone()).unwrap_or_default()),
                    waiver_on: waiver.map(|w| w.at.format("%Y-%m-%d").to_string()),
                    response: r
                        .and_then(|r| r.provider_response.clone())
                        .unwrap_or_default(),
                    files: ids.iter().map(|i| (i.clone(), name_of(i))).collect(),
                    error: echo.as_ref().and_then(|e| e.errors.get(&c.id).cloned()),
                    requests: requests
                        .iter()
                        .filter(|q| q.request.control == c.id)
                        .map(|q| (q.id.clone(), state_words(q.request.state)))
                        .collect(),
                });
            }
            if rows.is_empty() {
                continue;
            }
            let in_scope = rows.len();
            families.push(FamilySection {
                id: f.id.clone(),
                name: ui.text(&f.name),
                recorded,
                in_scope,
                progress: ui.targs(
                    "ui.family_progress",
                    &[
                        ("recorded", recorded.to_string()),
                        ("total", in_scope.to_string()),
                        ("not_met", not_met.to_string()),
                    ],
                ),
                open: recorded < in_scope
                    || rows.iter().any(|r| r.error.is_some())
                    || (filtered && rows.iter().any(|r| r.shown)),
                shown: rows.iter().any(|r| r.shown),
                rows,
            });
        }
    }
    let conclusion = a.conclusion.as_ref().map(|c| {
        format!(
            "{} · {} · {} → {}",
            ui.t(&format!("ui.outcome.{}", c.outcome.id())),
            ui.t(&format!("level.{}", c.level.id())),
            c.date,
            c.valid_until
        )
    });
    let summary = a
        .summary
        .total
        .iter()
        .map(|(k, n)| (ui.t(&format!("ui.result.{}", k.id())), *n as u64))
        .collect();
    let unknown = || ui.t("ui.org_unknown");
    let request_rows = requests
        .iter()
        .map(|q| {
            let r = &q.request;
            RequestRow {
                id: q.id.clone(),
                version: q.version,
                control: r.control.clone(),
                title: catalog
                    .control(&r.control)
                    .map(|c| ui.text(&c.title))
                    .unwrap_or_default(),
                text: r.text.clone(),
                due: r.due.map(|d| d.to_string()).unwrap_or_default(),
                state: r.state.id(),
                state_words: state_words(r.state),
                answer: r.answer.clone().unwrap_or_default(),
                rectified: r.rectified,
                files: r.files.iter().map(|f| (f.clone(), name_of(f))).collect(),
                history: r
                    .history
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}{}",
                            e.at.format("%Y-%m-%d %H:%M"),
                            ui.t(&format!("ui.request_event.{}", e.action)),
                            if e.note.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", e.note)
                            }
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    render(&AssessmentPage {
        nav: Some(nav(&v, "offerings", &format!("/assessments/{id}"))),
        version: a.version,
        offering: a
            .offering_name
            .clone()
            .unwrap_or_else(|| ui.t("ui.offering_unnamed")),
        provider: a.provider_name.clone().unwrap_or_else(unknown),
        assessor: a.assessor_name.clone().unwrap_or_else(unknown),
        level: ui.t(&format!("level.{}", a.level.id())),
        published: a.published,
        conclusion,
        summary,
        family_names: families
            .iter()
            .map(|f| (f.id.clone(), f.name.clone()))
            .collect(),
        families,
        controls,
        is_assessor,
        is_provider,
        show: d.show.clone(),
        family: d.family.clone(),
        done: d.done,
        problem,
        all: sent("all".to_owned()).unwrap_or_default(),
        all_waiver: sent("all_waiver".to_owned()).unwrap_or_default(),
        requests: request_rows,
        form,
        id,
        ui,
    })
}

/// The workspace again with a refused request form: what it sent, why beside the field
/// (the whole form's reason above), and the refusal's status.
async fn assessment_again(
    state: AppState,
    v: Viewer,
    id: String,
    form: super::Echo,
    status: StatusCode,
) -> Response {
    let problem = match form.error("") {
        Some(m) => m.to_owned(),
        None => v.ui.t("ui.form_not_taken"),
    };
    let mut r = show_assessment(state, v, id, Done::default(), Some(problem), None, form).await;
    if r.status().is_success() {
        *r.status_mut() = status;
    }
    r
}

/// The results form: a result, notes and a waiver's reason per row, and the bulk choice
/// for the rows left unset. The bulk choice is applied only where the rule allows it (a
/// result said to be met needs a file of the control or a waiver: the row's own, or the
/// bulk waiver's reason); the rows it had to skip are counted in the answer. A refusal
/// shows the form again as sent, each refused row named.
pub async fn save_results(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let version = f.get("version").and_then(|s| s.parse().ok()).unwrap_or(0);
    let all = f.get("all").and_then(|a| ControlResult::parse(a.as_str()));
    let all_waiver = f
        .get("all_waiver")
        .map(|w| w.trim().to_owned())
        .unwrap_or_default();
    // What the bulk choice may fill: the files and waivers the controls have now.
    let current = match assessments::get(&state, &v.p, &id).await {
        Ok(a) => a.results.unwrap_or_default(),
        Err(e) => return refused(&v, &e),
    };
    let with_files = match assessments::files_by_control(&state, &id).await {
        Ok(f) => f,
        Err(e) => return refused(&v, &e),
    };
    let mut results = BTreeMap::new();
    let mut skipped = 0usize;
    for (key, value) in &f {
        let Some(control) = key.strip_prefix("result.") else {
            continue;
        };
        let text = |k: &str| f.get(&format!("{k}.{control}")).cloned();
        let mut waiver = text("waiver").map(|w| w.trim().to_owned());
        let result = match (ControlResult::parse(value), all) {
            (Some(r), _) => r,
            (None, Some(bulk)) if value.is_empty() => {
                let has_files = with_files.get(control).is_some_and(|f| !f.is_empty())
                    || current.get(control).is_some_and(|r| !r.evidence.is_empty());
                let waived = waiver.as_deref().is_some_and(|w| !w.is_empty())
                    || (waiver.is_none()
                        && current.get(control).is_some_and(|r| r.waiver.is_some()));
                if bulk.claims_met() && !has_files && !waived {
                    if all_waiver.is_empty() {
                        skipped += 1;
                        continue;
                    }
                    waiver = Some(all_waiver.clone());
                }
                bulk
            }
            _ => continue,
        };
        results.insert(
            control.to_owned(),
            assessments::ResultEntry {
                result,
                notes: text("notes").unwrap_or_default(),
                evidence: None,
                // An empty box leaves no waiver; a form without the box keeps it.
                waiver,
            },
        );
    }
    match assessments::record_results(&state, &v.p, &id, version, results).await {
        Ok(_) if skipped > 0 => back(
            &format!("/assessments/{id}"),
            &v.ui.t1("ui.bulk_skipped", "count", &skipped.to_string()),
        ),
        Ok(_) => back(&format!("/assessments/{id}"), &v.ui.t("ui.saved")),
        Err(e) if super::is_form_problem(&e) => {
            let catalog = &state.content.catalog;
            let mut errors = BTreeMap::new();
            for c in assessments::refused_controls(&e) {
                let title = catalog
                    .control(&c)
                    .map_or_else(|| c.clone(), |k| v.ui.text(&k.title));
                errors.insert(c, v.ui.t1("ui.result_needs_support", "control", &title));
            }
            let problem = if errors.is_empty() {
                super::problem_text(&v, &e)
            } else {
                v.ui.t1("ui.results_refused", "count", &errors.len().to_string())
            };
            let status = e.status;
            let echo = ResultsEcho {
                values: f.into_iter().filter(|(k, _)| k != "csrf_token").collect(),
                errors,
            };
            let mut r = show_assessment(
                state,
                v,
                id,
                Done::default(),
                Some(problem),
                Some(echo),
                super::Echo::default(),
            )
            .await;
            if r.status().is_success() {
                *r.status_mut() = status;
            }
            r
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct AskForm {
    csrf_token: Option<String>,
    control: String,
    text: String,
    #[serde(default)]
    due: String,
}

/// The assessor asks the provider for evidence or a rectification on a control.
pub async fn ask(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<AskForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let values = [
        ("control", f.control.as_str()),
        ("text", f.text.as_str()),
        ("due", f.due.as_str()),
    ];
    let due = match f.due.trim() {
        "" => None,
        d => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let why = v.ui.t("ui.expect_date");
                let form = super::Echo::refused("ask", &values, "due", why);
                return assessment_again(state, v, id, form, StatusCode::BAD_REQUEST).await;
            }
        },
    };
    let body = crate::services::requests::AskBody {
        control: f.control.clone(),
        text: f.text.clone(),
        due,
    };
    match crate::services::requests::ask(&state, &v.p, &id, body).await {
        Ok(_) => back(&format!("/assessments/{id}"), &v.ui.t("ui.request_sent")),
        Err(e) if super::is_form_problem(&e) => {
            let form = super::Echo::from_error(&v, "ask", &values, &e);
            assessment_again(state, v, id, form, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

/// The provider answers a request: words, "rectified", a file (a multipart form).
pub async fn answer_request(
    State(state): State<AppState>,
    v: Viewer,
    Path(rid): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    use crate::services::requests;
    let up = match super::read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    // The workspace the form is on, to show it again when refused.
    let assessment = up.field("assessment");
    let text = up.field("text");
    let rectified = if up.fields.contains_key("rectified") {
        "1"
    } else {
        ""
    };
    let values = [("text", text.as_str()), ("rectified", rectified)];
    let again = |e: crate::error::ApiError, field: &str| {
        let mut form = super::Echo::from_error(&v, format!("answer:{rid}"), &values, &e);
        if !field.is_empty()
            && let Some(m) = form.errors.remove("")
        {
            form.errors.insert(field.to_owned(), m);
        }
        (form, e.status)
    };
    let mut version = up.field("version").parse().unwrap_or(0);
    if !up.bytes.is_empty() {
        let name = if up.file_name.is_empty() {
            "evidence".to_owned()
        } else {
            up.file_name.clone()
        };
        match requests::attach(&state, &v.p, &rid, &name, up.bytes.to_vec()).await {
            Ok(q) => version = q.version,
            Err(e) if super::is_form_problem(&e) && !assessment.is_empty() => {
                let (form, status) = again(e, "file");
                return assessment_again(state, v.clone(), assessment, form, status).await;
            }
            Err(e) => return refused(&v, &e),
        }
    }
    let body = requests::AnswerBody {
        version,
        text: text.clone(),
        rectified: !rectified.is_empty(),
    };
    match requests::answer(&state, &v.p, &rid, body).await {
        Ok(q) => back(
            &format!("/assessments/{}", q.assessment_id),
            &v.ui.t("ui.request_answered"),
        ),
        Err(e) if super::is_form_problem(&e) && !assessment.is_empty() => {
            let (form, status) = again(e, "");
            assessment_again(state, v.clone(), assessment, form, status).await
        }
        Err(e) => refused(&v, &e),
    }
}

/// The assessor retests (closes with a result) or reopens a request.
pub async fn retest_request(
    State(state): State<AppState>,
    v: Viewer,
    Path(rid): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    use crate::services::requests;
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let text = |k: &str| f.get(k).cloned().unwrap_or_default();
    let version = text("version").parse().unwrap_or(0);
    let assessment = text("assessment");
    let reopen = f.get("step").map(String::as_str) == Some("reopen");
    let form_name = format!("{}:{rid}", if reopen { "reopen" } else { "close" });
    let values: Vec<(&str, &str)> = ["result", "notes", "waiver", "note"]
        .into_iter()
        .filter_map(|k| f.get(k).map(|x| (k, x.as_str())))
        .collect();
    let done = if reopen {
        requests::reopen(
            &state,
            &v.p,
            &rid,
            requests::ReopenBody {
                version,
                note: text("note"),
            },
        )
        .await
        .map(|q| (q, "ui.request_reopened"))
    } else {
        let Some(result) = ControlResult::parse(&text("result")) else {
            let why = v.ui.t1("ui.bad_choice", "field", &v.ui.t("ui.result"));
            if assessment.is_empty() {
                return viewer_error(&v, StatusCode::BAD_REQUEST, &why);
            }
            let form = super::Echo::refused(form_name, &values, "result", why);
            return assessment_again(state, v, assessment, form, StatusCode::BAD_REQUEST).await;
        };
        requests::close(
            &state,
            &v.p,
            &rid,
            requests::CloseBody {
                version,
                result,
                notes: text("notes"),
                waiver: f.get("waiver").cloned(),
            },
        )
        .await
        .map(|q| (q, "ui.request_closed"))
    };
    match done {
        Ok((q, key)) => back(&format!("/assessments/{}", q.assessment_id), &v.ui.t(key)),
        Err(e) if super::is_form_problem(&e) && !assessment.is_empty() => {
            let mut form = super::Echo::from_error(&v, form_name, &values, &e);
            // Met without evidence: the reason goes beside the result, where a waiver is
            // given.
            if e.key == "api.result_needs_evidence" {
                let control = e
                    .args
                    .iter()
                    .find(|(k, _)| *k == "controls")
                    .map(|(_, c)| c.clone())
                    .unwrap_or_default();
                let title = state
                    .content
                    .catalog
                    .control(&control)
                    .map_or_else(|| control.clone(), |k| v.ui.text(&k.title));
                form.errors.clear();
                form.errors.insert(
                    "result".into(),
                    v.ui.t1("ui.result_needs_support", "control", &title),
                );
            }
            assessment_again(state, v.clone(), assessment, form, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ConcludeForm {
    csrf_token: Option<String>,
    version: i64,
    outcome: String,
}

pub async fn conclude(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ConcludeForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let values = [("outcome", f.outcome.as_str())];
    let Some(outcome) = Outcome::parse(&f.outcome) else {
        let why = v.ui.t1("ui.bad_choice", "field", &v.ui.t("ui.conclusion"));
        let form = super::Echo::refused("conclude", &values, "outcome", why);
        return assessment_again(state, v, id, form, StatusCode::BAD_REQUEST).await;
    };
    let body = assessments::ConcludeBody {
        version: f.version,
        outcome,
        level: None,
        date: None,
        valid_until: None,
    };
    match assessments::conclude(&state, &v.p, &id, body).await {
        Ok(_) => back(&format!("/assessments/{id}"), &v.ui.t("ui.concluded")),
        Err(e) if super::is_form_problem(&e) => {
            let form = super::Echo::from_error(&v, "conclude", &values, &e);
            assessment_again(state, v, id, form, e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct VersionForm {
    csrf_token: Option<String>,
    version: i64,
}

pub async fn publish(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match assessments::publish(&state, &v.p, &id, f.version).await {
        Ok(_) => back(&format!("/assessments/{id}"), &v.ui.t("ui.published")),
        Err(e) => refused(&v, &e),
    }
}

// ---------------------------------------------------------------- engagements

#[derive(Template)]
#[template(path = "new_engagement.html")]
pub struct NewEngagementPage {
    ui: Ui,
    nav: Option<Nav>,
    template: String,
    /// Why the text sent was not taken (the text is shown again as sent).
    problem: Option<String>,
}

pub async fn new_engagement(State(state): State<AppState>, v: Viewer) -> Response {
    let customer = v.p.org.as_ref().map(|o| o.name.clone()).unwrap_or_default();
    render(&NewEngagementPage {
        nav: Some(nav(&v, "dashboard", "/engagements/new")),
        template: crate::services::engagements::new_file_text(&state, &customer, v.ui.lang),
        ui: v.ui.clone(),
        problem: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    csrf_token: Option<String>,
    file: String,
}

pub async fn import(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<ImportForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match crate::services::engagements::import(&state, &v.p, f.file.as_bytes(), &BTreeMap::new())
        .await
    {
        Ok(e) => Redirect::to(&format!("/engagements/{}", e.id)).into_response(),
        // A file that does not read: the page again with the text as sent and why.
        Err(e) if super::is_form_problem(&e) => {
            let mut r = render(&NewEngagementPage {
                nav: Some(nav(&v, "dashboard", "/engagements/new")),
                problem: Some(super::problem_text(&v, &e)),
                template: f.file,
                ui: v.ui.clone(),
            });
            *r.status_mut() = e.status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct UseForm {
    csrf_token: Option<String>,
    offering_id: String,
}

pub async fn use_offering(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<UseForm>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match lifecycle::use_offering(&state, &v.p, &id, &f.offering_id).await {
        Ok(_) => back(&format!("/engagements/{id}"), &v.ui.t("ui.offering_chosen")),
        Err(e) => refused(&v, &e),
    }
}

/// One exit step from a form: plan, scope (one item per line), manifests (`path sha256`
/// per line), attestation, confirmation.
pub async fn exit_step(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let text = |k: &str| f.get(k).cloned().unwrap_or_default();
    let step_id = f.get("step").cloned().unwrap_or_default();
    // A refused step: the page again, its form as it was sent, and why beside it.
    let again = |message: String, status: StatusCode| {
        let values: Vec<(&str, &str)> = f
            .iter()
            .filter(|(k, _)| k.as_str() != "csrf_token")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let echo = super::Echo::refused(step_id.clone(), &values, "", message);
        let (state, v, id) = (state.clone(), v.clone(), id.clone());
        async move {
            let mut r = super::pages::engagement_page_with(&state, &v, &id, None, None, echo).await;
            *r.status_mut() = status;
            r
        }
    };
    // Each line a file and its hash; a line that is not is refused, by its number.
    let manifest = |k: &str| -> Result<Manifest, String> {
        let mut out = Manifest::new();
        for (i, l) in text(k).lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            let mut parts = l.split_whitespace();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(name), Some(hash), None) => {
                    out.insert(name.to_owned(), hash.to_owned());
                }
                _ => {
                    return Err(v.ui.t1("ui.manifest_line", "line", &(i + 1).to_string()));
                }
            }
        }
        Ok(out)
    };
    let step = match f.get("step").map(String::as_str) {
        Some("plan") => ExitStep::Plan { plan: text("plan") },
        Some("scope") => ExitStep::Scope {
            scope: text("scope")
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (kind, name) = match l.trim().split_once(':') {
                        Some((k, n)) if k.trim() == "metadata" || k.trim() == "data" => {
                            (k.trim().to_owned(), n.trim().to_owned())
                        }
                        _ => ("data".to_owned(), l.trim().to_owned()),
                    };
                    ScopeItem {
                        name,
                        kind,
                        returned: f.contains_key("returned"),
                    }
                })
                .collect(),
        },
        Some("provider_manifest") => match manifest("manifest") {
            Ok(manifest) => ExitStep::ProviderManifest { manifest },
            Err(m) => return again(m, StatusCode::BAD_REQUEST).await,
        },
        Some("customer_manifest") => match manifest("manifest") {
            Ok(manifest) => ExitStep::CustomerManifest { manifest },
            Err(m) => return again(m, StatusCode::BAD_REQUEST).await,
        },
        Some("attestation") => {
            let covers = ["primary", "replicas", "backups", "snapshots", "logs"]
                .into_iter()
                .filter(|c| f.contains_key(&format!("covers.{c}")))
                .map(str::to_owned)
                .collect();
            ExitStep::Attestation {
                attestation: cloudward_domain::workflow::DeletionAttestation {
                    statement: text("statement"),
                    date: chrono::Utc::now().date_naive(),
                    covers,
                    evidence: Vec::new(),
                },
            }
        }
        Some("confirm") => ExitStep::Confirm,
        _ => return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_step")),
    };
    match lifecycle::exit_step(&state, &v.p, &id, step).await {
        Ok(_) => back(&format!("/engagements/{id}"), &v.ui.t("ui.saved")),
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            again(super::problem_text(&v, &e), e.status).await
        }
        Err(e) => refused(&v, &e),
    }
}

/// What the engagement page shows of the workflow: offerings to pick, the exit checklist.
pub struct FlowView {
    pub offerings: Vec<(String, String)>,
    /// What still stops closing: the message, and its code.
    pub exit_blockers: Vec<(String, String)>,
    pub exit_integrity: Option<String>,
}

pub async fn flow_view(state: &AppState, v: &Viewer, e: &cloudward_store::Engagement) -> FlowView {
    let ui = &v.ui;
    let mut choices = Vec::new();
    if e.phase == cloudward_store::Phase::Selection
        && let Ok(list) = offerings::list(state, &v.p).await
    {
        for o in list.into_iter().filter(|o| o.published) {
            let assessed = o
                .assessment
                .as_ref()
                .and_then(|a| a.conclusion.as_ref())
                .map(|c| format!(" · {} {}", ui.t("ui.assessed_until"), c.valid_until))
                .unwrap_or_else(|| format!(" · {}", ui.t("ui.not_assessed")));
            choices.push((o.id.clone(), format!("{}{assessed}", o.offering.name)));
        }
    }
    let mut exit_blockers = Vec::new();
    let mut exit_integrity = None;
    if e.phase == cloudward_store::Phase::Exit
        && let Ok(x) = lifecycle::exit(state, &v.p, &e.id).await
    {
        exit_blockers = x
            .blockers
            .iter()
            .map(|c| (ui.t(&format!("finding.{c}")), c.clone()))
            .collect();
        exit_integrity = x.integrity.as_ref().map(|i| {
            ui.t1(
                "ui.integrity",
                "detail",
                &format!(
                    "{} ✓ · {} ✗ · {} ?",
                    i.matched,
                    i.mismatched.len(),
                    i.missing.len()
                ),
            )
        });
    }
    FlowView {
        offerings: choices,
        exit_blockers,
        exit_integrity,
    }
}

/// The assessor attaches a file to its result for a control (a multipart form).
pub async fn attach(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let up = match super::read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    let name = if up.file_name.is_empty() {
        "evidence".to_owned()
    } else {
        up.file_name.clone()
    };
    let control = up.field("control");
    match crate::services::evidence::attach_to_result(
        &state,
        &v.p,
        &id,
        &control,
        &name,
        up.bytes.to_vec(),
    )
    .await
    {
        Ok(_) => back(&format!("/assessments/{id}"), &v.ui.t("ui.saved")),
        // A file that is not accepted (its name, type or size): the form again, with why.
        Err(e) if super::is_form_problem(&e) => {
            let msg = super::problem_text(&v, &e);
            let status = e.status;
            let mut r = show_assessment(
                state,
                v,
                id,
                Done::default(),
                Some(msg),
                None,
                super::Echo::default(),
            )
            .await;
            if r.status().is_success() {
                *r.status_mut() = status;
            }
            r
        }
        Err(e) => refused(&v, &e),
    }
}

/// The assessor gives back the results workbook: recorded, or the workspace again with
/// each problem by sheet, row and column.
pub async fn import_workbook(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let up = match super::read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    match assessments::import_workbook(&state, &v.p, &id, &up.bytes, v.ui.lang).await {
        Ok(r) => back(
            &format!("/assessments/{id}"),
            &v.ui
                .targs("ui.workbook_imported", &[("n", r.recorded.to_string())]),
        ),
        Err(e) if super::is_form_problem(&e) => {
            let status = e.status;
            let mut echo = super::Echo::from_error(&v, "workbook", &[], &e);
            // The message beside the file; every problem listed under it.
            if let Some(m) = echo.errors.remove("") {
                echo.errors.insert("file".into(), m);
            }
            for (i, p) in assessments::workbook_problems(&e).iter().enumerate() {
                echo.errors.insert(
                    format!("row.{i:06}"),
                    cloudward_report::workbook::problem_line(&state.messages, v.ui.lang, p),
                );
            }
            let mut r = show_assessment(state, v, id, Done::default(), None, None, echo).await;
            if r.status().is_success() {
                *r.status_mut() = status;
            }
            r
        }
        Err(e) => refused(&v, &e),
    }
}
