//! The engagement wizard: classification first (information, business → protection level
//! and the deployment models it allows), then the requirement analysis and everything else
//! in the engagement file's editor, the responsibility matrix, the contract checklist and
//! the choice of an assessed offering — each a page of its own, linked from the engagement.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cloudward_domain::catalog::ServiceCategory;
use cloudward_domain::classify::{self, BusinessType, DeploymentModel, InfoType, Refusal};
use cloudward_domain::engagement::{
    Commitment, EngagementFile, Phase, ResponsibilityOverride, unplaced,
};
use cloudward_domain::responsibility::Actor as MatrixActor;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, refused, render, viewer_error};
use crate::AppState;

#[derive(Template)]
#[template(path = "wizard.html")]
pub struct WizardPage {
    ui: Ui,
    nav: Option<Nav>,
    setup: Option<super::setup::Setup>,
    name: String,
    customer: String,
    info: Vec<String>,
    business: String,
    service: String,
    model: String,
    /// (level, allowed models, whether the chosen model is allowed)
    result: Option<(String, String, bool)>,
    error: Option<String>,
    /// The §6.5 table and the words to say its answer as the choices change (JSON, for
    /// console.js; the page works without it).
    rules: String,
}

/// The classification table as the wizard's script reads it: the level of each
/// information type with each business type, the deployment models each level allows, and
/// the words (level names, model names, messages) in the reader's language.
fn rules(ui: &Ui) -> String {
    use cloudward_domain::ProtectionLevel;
    let mut levels = serde_json::Map::new();
    for i in [InfoType::Public, InfoType::Sensitive] {
        for b in [
            BusinessType::General,
            BusinessType::Important,
            BusinessType::Critical,
        ] {
            if let Ok(r) = classify::classify(&[i], b) {
                levels.insert(format!("{}|{}", i.id(), b.id()), r.level.id().into());
            }
        }
    }
    let mut allowed = serde_json::Map::new();
    let mut names = serde_json::Map::new();
    for l in ProtectionLevel::ALL {
        let models: Vec<&str> = classify::allowed_models(l).iter().map(|m| m.id()).collect();
        allowed.insert(l.id().into(), serde_json::json!(models));
        names.insert(l.id().into(), ui.t(&format!("level.{}", l.id())).into());
    }
    let mut models = serde_json::Map::new();
    for m in ["public", "community", "private", "hybrid"] {
        models.insert(m.into(), ui.t(&format!("deployment.{m}")).into());
    }
    serde_json::json!({
        "order": ["general", "enhanced", "advanced"],
        "levels": levels,
        "allowed": allowed,
        "names": names,
        "models": models,
        "text": {
            "level": ui.t("ui.level"),
            "allowed": ui.t("ui.allowed_models"),
            "not_allowed": ui.t("ui.model_not_allowed"),
            "classified": ui.t("classify.refused"),
            "none": ui.t("ui.wizard_no_information"),
            "colon": if ui.lang == cloudward_domain::Lang::Zh { "：" } else { ": " },
            "sep": if ui.lang == cloudward_domain::Lang::Zh { "、" } else { ", " },
        }
    })
    .to_string()
}

pub async fn start(v: Viewer) -> Response {
    render(&WizardPage {
        setup: Some(super::setup::before_creation(&v.ui)),
        nav: Some(nav(&v, "dashboard", "/engagements/wizard")),
        ui: v.ui.clone(),
        name: String::new(),
        customer: v.p.org.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        info: vec!["public".into()],
        business: "general".into(),
        service: "saas".into(),
        model: "public".into(),
        result: None,
        error: None,
        rules: rules(&v.ui),
    })
}

/// Step 1: classify (and show), or create the engagement with these answers.
pub async fn submit(
    State(state): State<AppState>,
    v: Viewer,
    ConsoleForm(f): ConsoleForm<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let csrf = get("csrf_token");
    if let Some(r) = check_csrf(&v, Some(&csrf)) {
        return r;
    }
    let info: Vec<String> = f
        .iter()
        .filter(|(n, _)| n == "information")
        .map(|(_, v)| v.clone())
        .collect();
    // The form's values are the domain's ids; anything else is refused, never read as a
    // weaker choice.
    let infos: Option<Vec<InfoType>> = info.iter().map(|i| InfoType::parse(i)).collect();
    let business_value = get("business");
    let business = match business_value.as_str() {
        // Not chosen yet: the form's default.
        "" => Some(BusinessType::General),
        b => BusinessType::parse(b),
    };
    let bad_choice = match (&infos, business) {
        (None, _) => Some("ui.information_types"),
        (_, None) => Some("ui.business_type"),
        _ => None,
    };
    let infos = infos.unwrap_or_default();
    let business = business.unwrap_or(BusinessType::General);
    let (model, service) = (get("deployment_model"), get("service_category"));
    let mut page = WizardPage {
        setup: Some(super::setup::before_creation(&v.ui)),
        nav: Some(nav(&v, "dashboard", "/engagements/wizard")),
        ui: v.ui.clone(),
        name: get("name"),
        customer: get("customer"),
        info,
        business: business.id().to_owned(),
        service: service.clone(),
        model: model.clone(),
        result: None,
        error: None,
        rules: rules(&v.ui),
    };
    if let Some(field) = bad_choice {
        page.business = business_value;
        page.error = Some(v.ui.t1("ui.bad_choice", "field", &v.ui.t(field)));
        let mut r = render(&page);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    }
    match classify::classify(&infos, business) {
        Err(Refusal::Classified) => {
            page.error = Some(v.ui.t("check.refused"));
            let mut r = render(&page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
        Err(Refusal::NoInformation) => {
            page.error = Some(v.ui.t("input.empty_information"));
            let mut r = render(&page);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
        Ok(req) => {
            let allowed: Vec<&str> = req.deployment_models.iter().map(|m| m.id()).collect();
            let ok = allowed.contains(&model.as_str());
            page.result = Some((
                v.ui.t(&format!("level.{}", req.level.id())),
                allowed
                    .iter()
                    .map(|m| v.ui.t(&format!("deployment.{m}")))
                    .collect::<Vec<_>>()
                    .join("、"),
                ok,
            ));
        }
    }
    if get("action") != "create" {
        return render(&page);
    }
    // The form's lists are the domain's ids; a value that is none of them is the form
    // again, with which choice to make.
    let (Some(service_category), Some(deployment_model)) = (
        ServiceCategory::parse(&service),
        DeploymentModel::parse(&model),
    ) else {
        let field = if ServiceCategory::parse(&service).is_none() {
            "ui.service_category"
        } else {
            "ui.deployment_model"
        };
        page.error = Some(v.ui.t1("ui.bad_choice", "field", &v.ui.t(field)));
        let mut r = render(&page);
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return r;
    };
    let file = EngagementFile {
        name: page.name.trim().to_owned(),
        customer: page.customer.trim().to_owned(),
        phase: Phase::Planning,
        information: infos,
        business,
        service_category,
        deployment_model,
        provider: None,
        security_service_provider: None,
        requirements: Default::default(),
        responsibility: Vec::new(),
        basic_requirements: BTreeMap::new(),
        contract: BTreeMap::new(),
        risks: Vec::new(),
        lifecycle: Default::default(),
        mlps: None,
    };
    let created = crate::services::engagements::create(&state, &v.p, &file, &BTreeMap::new()).await;
    match created {
        Ok(e) => Redirect::to(&format!("/engagements/{}/requirements", e.id)).into_response(),
        // Not taken (the name, the quota): the wizard again with every answer kept.
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            page.error = Some(super::problem_text(&v, &e));
            let mut r = render(&page);
            *r.status_mut() = e.status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "edit.html")]
pub struct EditPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    name: String,
    version: i64,
    text: String,
    /// A refused save: why (with the line and column of a malformed file); the text is the
    /// one sent.
    problem: Option<String>,
}

/// The engagement file in the browser: the requirement analysis and everything the wizard
/// pages do not cover, under the file's rules.
pub async fn edit(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let (e, file, text) = match crate::services::engagements::with_file(
        &state,
        &v.p,
        &id,
        crate::authz::Action::EngagementUpdate,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(&v, &err),
    };
    let text = crate::services::engagements::commented(&state, &file, &text);
    render(&EditPage {
        nav: Some(nav(&v, "dashboard", &format!("/engagements/{id}/edit"))),
        ui: v.ui.clone(),
        name: e.name.clone(),
        version: e.version,
        id,
        text,
        problem: None,
    })
}

pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let text = f.get("file").cloned().unwrap_or_default();
    let version = f.get("version").and_then(|s| s.parse().ok()).unwrap_or(0);
    let saved =
        crate::services::engagements::replace_text(&state, &v.p, &id, version, text.as_bytes())
            .await;
    match saved {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        // A file that does not read, or changed meanwhile: the editor again with the text as
        // sent and why, so nothing typed is lost.
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            let mut msg = super::problem_text(&v, &e);
            for part in e.detail_messages() {
                msg.push_str(" · ");
                msg.push_str(&part);
            }
            let name = match crate::services::engagements::engagement(
                &state,
                &v.p,
                &id,
                crate::authz::Action::EngagementUpdate,
            )
            .await
            {
                Ok(current) => current.name,
                Err(err) => return refused(&v, &err),
            };
            let mut r = render(&EditPage {
                nav: Some(nav(&v, "dashboard", &format!("/engagements/{id}/edit"))),
                ui: v.ui.clone(),
                name,
                version,
                id,
                text,
                problem: Some(msg),
            });
            *r.status_mut() = e.status;
            r
        }
        Err(e) => refused(&v, &e),
    }
}

pub struct ClauseRow {
    id: String,
    name: String,
    description: String,
    required: bool,
    present: bool,
    reference: String,
}

#[derive(Template)]
#[template(path = "contract.html")]
pub struct ContractPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    name: String,
    version: i64,
    rows: Vec<ClauseRow>,
    can_edit: bool,
    setup: Option<super::setup::Setup>,
}

/// The contract checklist: the guide's clauses, which the level requires, and where each is
/// in the contract.
pub async fn contract(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let ui = v.ui.clone();
    let (e, file, text) = match crate::services::engagements::with_file(
        &state,
        &v.p,
        &id,
        crate::authz::Action::EngagementRead,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return crate::console::refused(&v, &err),
    };
    let setup = super::setup::of(&state, &ui, &e, &file, &text, "contract").await;
    let level = classify::classify(&file.information, file.business)
        .ok()
        .map(|r| r.level);
    let rows = state
        .content
        .guide
        .contract_clauses
        .iter()
        .map(|c| {
            let have = file.contract.get(&c.id);
            ClauseRow {
                id: c.id.clone(),
                name: ui.text(&c.name),
                description: ui.text(&c.description),
                required: level.is_some_and(|l| l >= c.required_from),
                present: have.is_some_and(|h| h.present),
                reference: have.and_then(|h| h.reference.clone()).unwrap_or_default(),
            }
        })
        .collect();
    render(&ContractPage {
        setup,
        nav: Some(nav(&v, "dashboard", &format!("/engagements/{id}/contract"))),
        can_edit: v.p.can(crate::authz::Action::ContractPut, v.p.rel_to(&e)),
        name: e.name.clone(),
        version: e.version,
        id,
        rows,
        ui,
    })
}

pub async fn save_contract(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let mut contract = BTreeMap::new();
    for c in &state.content.guide.contract_clauses {
        let reference = f
            .get(&format!("reference.{}", c.id))
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        let present = f.contains_key(&format!("present.{}", c.id));
        if present || reference.is_some() {
            contract.insert(c.id.clone(), Commitment { present, reference });
        }
    }
    let version = f.get("version").and_then(|s| s.parse().ok()).unwrap_or(0);
    match crate::services::lifecycle::put_contract(&state, &v.p, &id, version, contract, v.ui.lang)
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}

/// The matrix editor: one party takes a row, as an override in the engagement file (shared
/// rows with their split are written in the file editor).
pub async fn set_owner(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let Some(element) = f.get("element") else {
        return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_step"));
    };
    // A share that is not taken: the matrix again, the row's form open as it was sent.
    let shared = f.get("mode").map(String::as_str) == Some("shared");
    let echo = |problem: String| super::pages::ShareEcho {
        element: element.clone(),
        checked: MatrixActor::ALL
            .iter()
            .filter(|a| {
                f.get(&format!("share_{}", a.id()))
                    .is_some_and(|v| v == "on")
            })
            .map(|a| a.id().to_owned())
            .collect(),
        parts: MatrixActor::ALL
            .iter()
            .filter_map(|a| {
                f.get(&format!("part_{}", a.id()))
                    .map(|p| (a.id().to_owned(), p.clone()))
            })
            .collect(),
        problem,
    };
    let again = |problem: String| {
        let echo = echo(problem);
        let (state, v, id) = (&state, &v, &id);
        async move {
            let mut r = super::pages::responsibility_page(state, v, id, None, Some(echo)).await;
            if r.status().is_success() {
                *r.status_mut() = StatusCode::BAD_REQUEST;
            }
            r
        }
    };
    let change = if shared {
        // Several parties, each with its part in words.
        let mut parties = Vec::new();
        let mut split = BTreeMap::new();
        for a in MatrixActor::ALL {
            if f.get(&format!("share_{}", a.id()))
                .is_some_and(|v| v == "on")
            {
                let part = f
                    .get(&format!("part_{}", a.id()))
                    .map(|p| p.trim().to_owned())
                    .unwrap_or_default();
                if part.is_empty() {
                    let msg = v.ui.t1(
                        "ui.part_required",
                        "party",
                        &v.ui.t(&format!("ui.actor.{}", a.id())),
                    );
                    return again(msg).await;
                }
                parties.push(a);
                split.insert(a, part);
            }
        }
        if parties.len() < 2 {
            return again(v.ui.t("ui.share_needs_two")).await;
        }
        ResponsibilityOverride {
            element: unplaced(element.clone()),
            owner: None,
            parties: Some(parties),
            split,
        }
    } else {
        match f.get("owner").and_then(|o| MatrixActor::parse(o)) {
            Some(owner) => ResponsibilityOverride {
                element: unplaced(element.clone()),
                owner: Some(owner),
                parties: None,
                split: BTreeMap::new(),
            },
            None => return viewer_error(&v, StatusCode::BAD_REQUEST, &v.ui.t("ui.bad_step")),
        }
    };
    let e = match crate::services::engagements::engagement(
        &state,
        &v.p,
        &id,
        crate::authz::Action::EngagementUpdate,
    )
    .await
    {
        Ok(e) => e,
        Err(err) => return refused(&v, &err),
    };
    let saved = match crate::services::engagements::export_text(&e) {
        Ok((mut file, _)) => {
            file.responsibility
                .retain(|o| o.element.value != element.as_str());
            file.responsibility.push(change);
            crate::services::engagements::update(&state, &v.p, &id, e.version, &file, None).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Redirect::to(&format!("/engagements/{id}/responsibility")).into_response(),
        Err(e) if shared && super::is_form_problem(&e) => {
            let mut msg = super::problem_text(&v, &e);
            for part in e.detail_messages() {
                msg.push_str(" · ");
                msg.push_str(&part);
            }
            again(msg).await
        }
        Err(e) => refused(&v, &e),
    }
}
