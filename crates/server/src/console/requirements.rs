//! Wizard step 2: the requirement analysis of guide §6.6 as a form — ten aspects, each with
//! its questions and answers — saved into the engagement file under the file's rules.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value};

use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, error_page, render};
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

/// Every answer of the file's `requirements`: aspect, field, kind.
const FIELDS: &[(&str, &str, Kind)] = &[
    ("service_category", "rationale", Kind::Text),
    (
        "deployment_model",
        "management_capability",
        Kind::Choice(&["low", "medium", "high"]),
    ),
    ("deployment_model", "rationale", Kind::Text),
    (
        "functional_stability",
        "stability",
        Kind::Choice(&["stable", "evolving", "volatile"]),
    ),
    (
        "functional_stability",
        "generality",
        Kind::Choice(&["generic", "specialised"]),
    ),
    (
        "dynamic_demand",
        "pattern",
        Kind::Choice(&["steady", "periodic", "bursty", "temporary"]),
    ),
    ("dynamic_demand", "peak_to_base", Kind::Number),
    ("latency", "tolerance_ms", Kind::Number),
    ("latency", "expected_ms", Kind::Number),
    ("continuity", "rto_hours", Kind::Number),
    ("continuity", "rpo_hours", Kind::Number),
    ("continuity", "availability_percent", Kind::Number),
    ("continuity", "tolerable_outages_per_year", Kind::Integer),
    ("portability", "data_volume_tb", Kind::Number),
    ("portability", "proprietary_services", Kind::List),
    ("portability", "open_formats", Kind::Bool),
    ("portability", "exit_plan", Kind::Bool),
    ("data_location", "regions", Kind::List),
    ("data_location", "cross_border_approval", Kind::Text),
    ("supervision", "monitoring_interfaces", Kind::Bool),
    ("supervision", "log_query", Kind::Bool),
    ("supervision", "inspection", Kind::Bool),
    ("benefit_cost", "current_annual_cost", Kind::Number),
    ("benefit_cost", "cloud_annual_cost", Kind::Number),
    ("benefit_cost", "migration_cost", Kind::Number),
];

pub struct FieldView {
    name: String,
    label: String,
    /// text, number, bool, list, choice
    kind: &'static str,
    value: String,
    choices: Vec<(String, String)>,
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
    id: String,
    name: String,
    version: i64,
    aspects: Vec<AspectView>,
}

fn show(v: &Value, kind: Kind) -> String {
    match (kind, v) {
        (_, Value::Null) => String::new(),
        (Kind::List, Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        (Kind::Bool, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        (_, Value::String(s)) => s.clone(),
        // 200, not 200.0: as the user typed it.
        (_, Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        (_, other) => other.to_string(),
    }
}

pub async fn page(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let ui = v.ui.clone();
    let e = match crate::api::engagement(&state, &v.p, &id, crate::authz::Action::EngagementUpdate)
        .await
    {
        Ok(e) => e,
        Err(err) => return error_page(&ui, err.status, &ui.t(err.key)),
    };
    let req = &e.document["requirements"];
    let mut aspects = Vec::new();
    for a in &state.content.guide.aspects {
        let key = a.id.replace('-', "_");
        let fields = FIELDS
            .iter()
            .filter(|(aspect, _, _)| *aspect == key)
            .map(|(aspect, field, kind)| FieldView {
                name: format!("{aspect}.{field}"),
                label: ui.t(&format!("ui.req.{field}")),
                kind: match kind {
                    Kind::Text => "text",
                    Kind::Number | Kind::Integer => "number",
                    Kind::Bool => "bool",
                    Kind::List => "list",
                    Kind::Choice(_) => "choice",
                },
                value: show(&req[aspect][field], *kind),
                choices: match kind {
                    Kind::Choice(c) => c
                        .iter()
                        .map(|c| ((*c).to_owned(), ui.t(&format!("ui.req.choice.{c}"))))
                        .collect(),
                    _ => Vec::new(),
                },
            })
            .collect();
        aspects.push(AspectView {
            title: format!("{} {}", a.clause, ui.text(&a.name)),
            questions: a.questions.iter().map(|q| ui.text(q)).collect(),
            fields,
        });
    }
    render(&RequirementsPage {
        nav: Some(nav(
            &v,
            "dashboard",
            &format!("/engagements/{id}/requirements"),
        )),
        name: e.name.clone(),
        version: e.version,
        id,
        aspects,
        ui,
    })
}

pub async fn save(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let e = match crate::api::engagement(&state, &v.p, &id, crate::authz::Action::EngagementUpdate)
        .await
    {
        Ok(e) => e,
        Err(err) => return error_page(&v.ui, err.status, &v.ui.t(err.key)),
    };
    let mut requirements = Map::new();
    for (aspect, field, kind) in FIELDS {
        let raw = f
            .get(&format!("{aspect}.{field}"))
            .map(|s| s.trim())
            .unwrap_or("");
        if raw.is_empty() {
            continue;
        }
        let bad = || {
            error_page(
                &v.ui,
                StatusCode::BAD_REQUEST,
                &v.ui.messages_render(
                    "api.invalid_json",
                    &[
                        ("field", format!("requirements.{aspect}.{field}")),
                        ("detail", raw.to_owned()),
                    ],
                ),
            )
        };
        let value = match kind {
            Kind::Text | Kind::Choice(_) => Value::String(raw.to_owned()),
            Kind::Number => match raw.parse::<f64>() {
                Ok(n) => serde_json::json!(n),
                Err(_) => return bad(),
            },
            Kind::Integer => match raw.parse::<u32>() {
                Ok(n) => serde_json::json!(n),
                Err(_) => return bad(),
            },
            Kind::Bool => Value::Bool(raw == "yes"),
            Kind::List => Value::Array(
                raw.split([',', '\n', '，'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ),
        };
        let entry = requirements
            .entry((*aspect).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(o) = entry.as_object_mut() {
            o.insert((*field).to_owned(), value);
        }
    }
    let mut document = e.document.clone();
    document["requirements"] = Value::Object(requirements);
    let body = crate::api::UpdateEngagement {
        version: f
            .get("version")
            .and_then(|s| s.parse().ok())
            .unwrap_or(e.version),
        document,
        parties: None,
    };
    let saved = match crate::api::parse_document(&body.document) {
        Ok(file) => {
            crate::services::engagements::update(&state, &v.p, &id, body.version, &file, None).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(err) => {
            let args: Vec<(&str, String)> = err.args.iter().map(|(k, v)| (*k, v.clone())).collect();
            error_page(&v.ui, err.status, &v.ui.messages_render(err.key, &args))
        }
    }
}
