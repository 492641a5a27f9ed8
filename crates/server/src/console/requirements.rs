//! Wizard step 2: the requirement analysis of guide §6.6 as a form — ten aspects, each with
//! its questions and answers — saved into the engagement file under the file's rules.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cloudward_domain::engagement::{
    Capability, Generality, LoadPattern, Requirements, Stability, unplaced,
};
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, render, viewer_error};
use crate::AppState;

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Number,
    Integer,
    Bool,
    List,
    Choice(&'static [&'static str]),
}

/// One answer of the file's `requirements`: where it is, how it is asked, and how it is
/// read from and written into the typed answers (a form value that does not read is
/// refused, never guessed).
struct Field {
    aspect: &'static str,
    name: &'static str,
    kind: Kind,
    get: fn(&Requirements) -> String,
    /// Writes the form's value (`""`: no answer); `Err` when it does not read.
    set: fn(&mut Requirements, &str) -> Result<(), ()>,
}

/// A number as the user typed it: 200, not 200.0.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn read_bool(raw: &str) -> Result<bool, ()> {
    match raw {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(()),
    }
}

fn read_list(raw: &str) -> Vec<String> {
    raw.split([',', '\n', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An enum answer by its id (as the file writes it).
fn read_choice<T: for<'de> Deserialize<'de>>(raw: &str) -> Result<T, ()> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(raw))
        .map_err(|_| ())
}

/// The id of an enum answer: the one of `ids` that reads as it.
fn choice_id<T: for<'de> Deserialize<'de> + PartialEq>(ids: &[&str], v: &T) -> String {
    ids.iter()
        .find(|id| read_choice::<T>(id).ok().as_ref() == Some(v))
        .map(|id| (*id).to_owned())
        .unwrap_or_default()
}

macro_rules! field {
    ($aspect:ident . $name:ident, text) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::Text,
            get: |r| {
                r.$aspect
                    .as_ref()
                    .and_then(|a| a.$name.clone())
                    .unwrap_or_default()
            },
            set: |r, raw| {
                r.$aspect.get_or_insert_with(Default::default).$name =
                    (!raw.is_empty()).then(|| raw.to_owned());
                Ok(())
            },
        }
    };
    ($aspect:ident . $name:ident, number) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::Number,
            get: |r| {
                r.$aspect
                    .as_ref()
                    .and_then(|a| a.$name)
                    .map(number)
                    .unwrap_or_default()
            },
            set: |r, raw| {
                let v = if raw.is_empty() {
                    None
                } else {
                    Some(
                        raw.parse::<f64>()
                            .ok()
                            .filter(|n| n.is_finite())
                            .ok_or(())?,
                    )
                };
                r.$aspect.get_or_insert_with(Default::default).$name = v;
                Ok(())
            },
        }
    };
    ($aspect:ident . $name:ident, integer) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::Integer,
            get: |r| {
                r.$aspect
                    .as_ref()
                    .and_then(|a| a.$name)
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            },
            set: |r, raw| {
                let v = if raw.is_empty() {
                    None
                } else {
                    Some(raw.parse::<u32>().map_err(|_| ())?)
                };
                r.$aspect.get_or_insert_with(Default::default).$name = v;
                Ok(())
            },
        }
    };
    ($aspect:ident . $name:ident, bool) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::Bool,
            get: |r| {
                r.$aspect
                    .as_ref()
                    .and_then(|a| a.$name)
                    .map(yes_no)
                    .unwrap_or_default()
            },
            set: |r, raw| {
                let v = if raw.is_empty() {
                    None
                } else {
                    Some(read_bool(raw)?)
                };
                r.$aspect.get_or_insert_with(Default::default).$name = v;
                Ok(())
            },
        }
    };
    ($aspect:ident . $name:ident, list) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::List,
            get: |r| {
                r.$aspect
                    .as_ref()
                    .map(|a| a.$name.join(", "))
                    .unwrap_or_default()
            },
            set: |r, raw| {
                r.$aspect.get_or_insert_with(Default::default).$name = read_list(raw);
                Ok(())
            },
        }
    };
    ($aspect:ident . $name:ident, choice $ty:ty, $ids:expr) => {
        Field {
            aspect: stringify!($aspect),
            name: stringify!($name),
            kind: Kind::Choice($ids),
            get: |r| {
                r.$aspect
                    .as_ref()
                    .and_then(|a| a.$name.as_ref())
                    .map(|v| choice_id::<$ty>($ids, v))
                    .unwrap_or_default()
            },
            set: |r, raw| {
                let v = if raw.is_empty() {
                    None
                } else {
                    Some(read_choice::<$ty>(raw)?)
                };
                r.$aspect.get_or_insert_with(Default::default).$name = v;
                Ok(())
            },
        }
    };
}

const CAPABILITIES: &[&str] = &["low", "medium", "high"];
const STABILITIES: &[&str] = &["stable", "evolving", "volatile"];
const GENERALITIES: &[&str] = &["generic", "specialised"];
const PATTERNS: &[&str] = &["steady", "periodic", "bursty", "temporary"];

/// Every answer the form asks, in the order of the guide's aspects.
const FIELDS: &[Field] = &[
    field!(service_category.rationale, text),
    field!(deployment_model.management_capability, choice Capability, CAPABILITIES),
    field!(deployment_model.rationale, text),
    field!(functional_stability.stability, choice Stability, STABILITIES),
    field!(functional_stability.generality, choice Generality, GENERALITIES),
    field!(dynamic_demand.pattern, choice LoadPattern, PATTERNS),
    field!(dynamic_demand.peak_to_base, number),
    field!(latency.tolerance_ms, number),
    field!(latency.expected_ms, number),
    field!(continuity.rto_hours, number),
    field!(continuity.rpo_hours, number),
    field!(continuity.availability_percent, number),
    field!(continuity.tolerable_outages_per_year, integer),
    field!(portability.data_volume_tb, number),
    field!(portability.proprietary_services, list),
    field!(portability.open_formats, bool),
    field!(portability.exit_plan, bool),
    Field {
        aspect: "data_location",
        name: "regions",
        kind: Kind::List,
        get: |r| {
            r.data_location
                .as_ref()
                .map(|a| {
                    a.regions
                        .iter()
                        .map(|x| x.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        },
        set: |r, raw| {
            r.data_location.get_or_insert_with(Default::default).regions =
                read_list(raw).into_iter().map(unplaced).collect();
            Ok(())
        },
    },
    field!(data_location.cross_border_approval, text),
    field!(supervision.monitoring_interfaces, bool),
    field!(supervision.log_query, bool),
    field!(supervision.inspection, bool),
    field!(benefit_cost.current_annual_cost, number),
    field!(benefit_cost.cloud_annual_cost, number),
    field!(benefit_cost.migration_cost, number),
];

pub struct FieldView {
    name: String,
    label: String,
    /// text, number, bool, list, choice
    kind: &'static str,
    value: String,
    choices: Vec<(String, String)>,
    /// Why the value given was not taken (the form is shown again with it).
    error: Option<String>,
}

pub struct AspectView {
    title: String,
    questions: Vec<String>,
    fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "requirements.html")]
pub struct RequirementsPage {
    ui: Ui,
    nav: Option<Nav>,
    setup: Option<super::setup::Setup>,
    id: String,
    name: String,
    version: i64,
    aspects: Vec<AspectView>,
    /// How many answers were not taken.
    problems: usize,
}

/// What the user is told of a value of `kind` that does not read.
fn expected(ui: &Ui, kind: Kind, raw: &str) -> String {
    let what = match kind {
        Kind::Number => ui.t("ui.expect_number"),
        Kind::Integer => ui.t("ui.expect_whole_number"),
        Kind::Bool => ui.t("ui.expect_yes_no"),
        Kind::Choice(_) | Kind::Text | Kind::List => ui.t("ui.expect_choice"),
    };
    ui.targs(
        "ui.value_not_taken",
        &[("value", raw.to_owned()), ("expected", what)],
    )
}

/// The form: each answer from `values` where given (the user's input, shown again),
/// otherwise from the file; with the problems beside their fields.
fn form_page(
    state: &AppState,
    v: &Viewer,
    e: &cloudward_store::Engagement,
    version: i64,
    requirements: &Requirements,
    (values, errors): (Option<&BTreeMap<String, String>>, &BTreeMap<String, String>),
    setup: Option<super::setup::Setup>,
) -> Response {
    let ui = v.ui.clone();
    let mut aspects = Vec::new();
    for a in &state.content.guide.aspects {
        let key = a.id.replace('-', "_");
        let fields = FIELDS
            .iter()
            .filter(|f| f.aspect == key)
            .map(|f| {
                let name = format!("{}.{}", f.aspect, f.name);
                FieldView {
                    label: ui.t(&format!("ui.req.{}", f.name)),
                    kind: match f.kind {
                        Kind::Text => "text",
                        Kind::Number | Kind::Integer => "number",
                        Kind::Bool => "bool",
                        Kind::List => "list",
                        Kind::Choice(_) => "choice",
                    },
                    value: values
                        .and_then(|v| v.get(&name))
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_else(|| (f.get)(requirements)),
                    choices: match f.kind {
                        Kind::Choice(c) => c
                            .iter()
                            .map(|c| ((*c).to_owned(), ui.t(&format!("ui.req.choice.{c}"))))
                            .collect(),
                        _ => Vec::new(),
                    },
                    error: errors.get(&name).cloned(),
                    name,
                }
            })
            .collect();
        aspects.push(AspectView {
            title: format!("{} {}", a.clause, ui.text(&a.name)),
            questions: a.questions.iter().map(|q| ui.text(q)).collect(),
            fields,
        });
    }
    let mut r = render(&RequirementsPage {
        setup,
        nav: Some(nav(
            v,
            "dashboard",
            &format!("/engagements/{}/requirements", e.id),
        )),
        name: e.name.clone(),
        version,
        id: e.id.clone(),
        aspects,
        problems: errors.len(),
        ui,
    });
    if !errors.is_empty() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

pub async fn page(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
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
    let setup = super::setup::of(&state, &v.ui, &e, &file, &text, "analysis").await;
    form_page(
        &state,
        &v,
        &e,
        e.version,
        &file.requirements,
        (None, &BTreeMap::new()),
        setup,
    )
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
    let (e, mut file, _) = match crate::services::engagements::with_file(
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
    let version = f
        .get("version")
        .and_then(|s| s.parse().ok())
        .unwrap_or(e.version);
    // Answers the form does not ask (written in the file editor) stay as they are.
    let mut errors = BTreeMap::new();
    for field in FIELDS {
        let name = format!("{}.{}", field.aspect, field.name);
        let raw = f.get(&name).map(|s| s.trim()).unwrap_or("");
        if (field.set)(&mut file.requirements, raw).is_err() {
            errors.insert(name, expected(&v.ui, field.kind, raw));
        }
    }
    if !errors.is_empty() {
        return form_page(
            &state,
            &v,
            &e,
            version,
            &file.requirements,
            (Some(&f), &errors),
            None,
        );
    }
    match crate::services::engagements::update(&state, &v.p, &id, version, &file, None).await {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(err) => {
            let args: Vec<(&str, String)> = err.args.iter().map(|(k, v)| (*k, v.clone())).collect();
            viewer_error(&v, err.status, &v.ui.messages_render(err.key, &args))
        }
    }
}
