//! Imported frameworks in the console: the list with an import form (a file, no
//! JavaScript needed) for the platform administrator and organisation administrators, the
//! catalog browser over a framework (`/catalog?framework=ID`), and one framework control
//! with the controls of our catalog that reference it.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use cloudward_store::FrameworkInfo;
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Ui, Viewer, back_to, check_csrf, read_upload, refused, render};
use crate::AppState;
use crate::services::frameworks::{self as service, FrameworkImport};

/// A framework as listed: whose it is, and whether this viewer may delete it.
pub struct FrameworkRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub version: String,
    pub source: String,
    pub controls: i64,
    pub scope: String,
    pub created_at: String,
    pub can_delete: bool,
}

fn can_import(v: &Viewer) -> bool {
    v.p.can(
        crate::authz::Action::FrameworkImport,
        crate::authz::Rel::Unscoped,
    )
}

fn row(v: &Viewer, f: FrameworkInfo) -> FrameworkRow {
    let rel = crate::authz::framework_rel(
        v.p.org.as_ref().map(|o| o.id.as_str()),
        Some(f.owner_org_id.as_deref()),
    );
    let can_delete = v.p.can(crate::authz::Action::FrameworkDelete, rel);
    let scope = match &f.owner_org_id {
        None => v.ui.t("ui.framework_platform"),
        Some(_) => v.ui.t("ui.framework_own"),
    };
    FrameworkRow {
        source: v.ui.t(&format!("ui.framework_source.{}", f.source_model)),
        id: f.id,
        name: f.name,
        title: f.title,
        version: f.version,
        controls: f.control_count,
        scope,
        created_at: f.created_at.format("%Y-%m-%d").to_string(),
        can_delete,
    }
}

#[derive(Template)]
#[template(path = "frameworks.html")]
pub struct FrameworksPage {
    ui: Ui,
    nav: Option<Nav>,
    done: Option<String>,
    rows: Vec<FrameworkRow>,
    can_import: bool,
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<Done>) -> Response {
    let list = match service::visible_list(&state, &v.p).await {
        Ok(l) => l,
        Err(e) => return refused(&v, &e),
    };
    let page = FrameworksPage {
        nav: Some(nav(&v, "catalog", "/frameworks")),
        done: q.done,
        rows: list.into_iter().map(|f| row(&v, f)).collect(),
        can_import: can_import(&v),
        csrf: v.csrf.clone(),
        ui: v.ui.clone(),
    };
    render(&page)
}

/// The import form: name, file, the framework a profile selects from, replace.
pub async fn import(State(state): State<AppState>, v: Viewer, form: Multipart) -> Response {
    let up = match read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    let q = FrameworkImport {
        name: up.field("name").trim().to_owned(),
        catalog: Some(up.field("catalog")).filter(|c| !c.is_empty()),
        replace: up.field("replace") == "on",
    };
    match service::import_document(&state, &v.p, &q, &up.bytes).await {
        Ok(info) => back_to(
            "/frameworks",
            &v.ui.messages_render(
                "ui.framework_imported",
                &[
                    ("name", info.name),
                    ("controls", info.control_count.to_string()),
                ],
            ),
        ),
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match service::delete_visible(&state, &v.p, &id).await {
        Ok(()) => back_to("/frameworks", &v.ui.t("ui.deleted")),
        Err(e) => refused(&v, &e),
    }
}

pub struct FrameworkControlRow {
    pub id: String,
    pub label: String,
    pub group: String,
    pub title: String,
    pub enhancement: bool,
}

#[derive(Template)]
#[template(path = "framework_catalog.html")]
pub struct BrowsePage {
    ui: Ui,
    nav: Option<Nav>,
    framework: FrameworkRow,
    frameworks: Vec<(String, String)>,
    q: String,
    group: String,
    groups: Vec<(String, String)>,
    rows: Vec<FrameworkControlRow>,
    total: usize,
}

fn localised(ui: &Ui, en: &str, zh: Option<&str>) -> String {
    match (ui.is_zh(), zh) {
        (true, Some(z)) => z.to_owned(),
        _ => en.to_owned(),
    }
}

/// `/catalog?framework=ID`: an imported framework's controls, searched and by group.
pub async fn browse(
    state: &AppState,
    v: &Viewer,
    id: &str,
    q: Option<String>,
    group: Option<String>,
) -> Response {
    let (info, fw) =
        match service::load(state, &v.p, id, crate::authz::Action::FrameworkControls).await {
            Ok(x) => x,
            Err(e) => return refused(v, &e),
        };
    let group = match service::checked_group(&fw, group.as_deref()) {
        Ok(g) => g,
        Err(e) => return refused(v, &e),
    };
    let rows: Vec<FrameworkControlRow> = fw
        .search(group.as_deref(), q.as_deref())
        .into_iter()
        .map(|c| FrameworkControlRow {
            id: c.id.clone(),
            label: c.label.clone(),
            group: c.group.clone().unwrap_or_default(),
            title: localised(&v.ui, &c.title, c.title_zh.as_deref()),
            enhancement: c.parent.is_some(),
        })
        .collect();
    let frameworks = match service::visible_list(state, &v.p).await {
        Ok(l) => l.into_iter().map(|f| (f.id, f.name)).collect(),
        Err(e) => return refused(v, &e),
    };
    let page = BrowsePage {
        nav: Some(nav(v, "catalog", &format!("/catalog?framework={id}"))),
        q: q.unwrap_or_default(),
        group: group.unwrap_or_default(),
        groups: fw
            .groups
            .iter()
            .map(|g| {
                (
                    g.id.clone(),
                    localised(&v.ui, &g.title, g.title_zh.as_deref()),
                )
            })
            .collect(),
        total: rows.len(),
        rows,
        framework: row(v, info),
        frameworks,
        ui: v.ui.clone(),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "framework_control.html")]
pub struct ControlPage {
    ui: Ui,
    nav: Option<Nav>,
    framework: FrameworkRow,
    label: String,
    title: String,
    group: String,
    statement: String,
    guidance: String,
    parent: Option<(String, String)>,
    enhancements: Vec<(String, String, String)>,
    ours: Vec<(String, String)>,
}

pub async fn control(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, control)): Path<(String, String)>,
) -> Response {
    let (info, fw) =
        match service::load(&state, &v.p, &id, crate::authz::Action::FrameworkControl).await {
            Ok(x) => x,
            Err(e) => return refused(&v, &e),
        };
    let Some(c) = fw.control(&control) else {
        return refused(&v, &crate::error::ApiError::not_found());
    };
    let ui = v.ui.clone();
    let page = ControlPage {
        nav: Some(nav(
            &v,
            "catalog",
            &format!("/frameworks/{id}/controls/{control}"),
        )),
        label: c.label.clone(),
        title: localised(&ui, &c.title, c.title_zh.as_deref()),
        group: c
            .group
            .as_deref()
            .and_then(|g| fw.group(g))
            .map(|g| {
                format!(
                    "{} {}",
                    g.id,
                    localised(&ui, &g.title, g.title_zh.as_deref())
                )
            })
            .unwrap_or_default(),
        statement: localised(&ui, &c.statement, c.statement_zh.as_deref()),
        guidance: localised(&ui, &c.guidance, c.guidance_zh.as_deref()),
        parent: c
            .parent
            .as_deref()
            .and_then(|p| fw.control(p))
            .map(|p| (p.id.clone(), p.label.clone())),
        enhancements: fw
            .controls
            .iter()
            .filter(|e| e.parent.as_deref() == Some(c.id.as_str()))
            .map(|e| {
                (
                    e.id.clone(),
                    e.label.clone(),
                    localised(&ui, &e.title, e.title_zh.as_deref()),
                )
            })
            .collect(),
        ours: service::ours_for(&state, c)
            .into_iter()
            .map(|o| (o.id.clone(), ui.text(&o.title)))
            .collect(),
        framework: row(&v, info),
        ui,
    };
    render(&page)
}
