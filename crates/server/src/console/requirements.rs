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
    /// A workbook given back that did not read: each problem by row and column.
    workbook_problems: Vec<String>,
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

/// What the form shows besides the file: the values sent (shown again), why each was not
/// taken, and the problems of a workbook given back, by row and column.
type Shown<'a> = (
    Option<&'a BTreeMap<String, String>>,
    &'a BTreeMap<String, String>,
    Vec<String>,
);

/// The form: each answer from `values` where given (the user's input, shown again),
/// otherwise from the file; with the problems beside their fields.
fn form_page(
    state: &AppState,
    v: &Viewer,
    e: &cloudward_store::Engagement,
    version: i64,
    requirements: &Requirements,
    (values, errors, lines): Shown<'_>,
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
    let refused = !errors.is_empty() || !lines.is_empty();
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
        problems: errors.len() + lines.len(),
        workbook_problems: lines,
        ui,
    });
    if refused {
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
        (None, &BTreeMap::new(), Vec::new()),
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
            (Some(&f), &errors, Vec::new()),
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

/// A form value as the file writes it, from an answer as a person writes it in the
/// workbook: a choice or yes/no by its words in either language (or its id).
fn answer_value(messages: &cloudward_domain::i18n::Messages, kind: Kind, raw: &str) -> String {
    use cloudward_domain::Lang;
    let raw = raw.trim();
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let words = |key: &str| [messages.text(key, Lang::Zh), messages.text(key, Lang::En)];
    match kind {
        Kind::Bool => {
            for (id, key, also) in [("yes", "ui.yes", "true"), ("no", "ui.no", "false")] {
                if same(raw, id) || same(raw, also) || words(key).iter().any(|w| same(raw, w)) {
                    return id.to_owned();
                }
            }
            raw.to_owned()
        }
        Kind::Choice(ids) => ids
            .iter()
            .find(|c| {
                same(raw, c)
                    || words(&format!("ui.req.choice.{c}"))
                        .iter()
                        .any(|w| same(raw, w))
            })
            .map(|c| (*c).to_owned())
            .unwrap_or_else(|| raw.to_owned()),
        Kind::Text | Kind::Number | Kind::Integer | Kind::List => raw.to_owned(),
    }
}

const WORKBOOK_COLUMNS: [&str; 5] = [
    "wb.c.key",
    "wb.c.aspect",
    "wb.c.question",
    "wb.c.answer",
    "wb.c.how",
];

/// The requirement analysis as a workbook to fill in: each answer of the ten aspects on a
/// row, its question in words, the answer so far (choices and yes/no as a drop-down of
/// their words), how to write it.
pub async fn workbook(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let (e, file, _) = match crate::services::engagements::with_file(
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
    let ui = &v.ui;
    let mut rows = Vec::new();
    let mut choices = Vec::new();
    for a in &state.content.guide.aspects {
        let key = a.id.replace('-', "_");
        for f in FIELDS.iter().filter(|f| f.aspect == key) {
            let value = (f.get)(&file.requirements);
            let (shown, how) = match f.kind {
                Kind::Bool => (
                    match value.as_str() {
                        "yes" => ui.t("ui.yes"),
                        "no" => ui.t("ui.no"),
                        _ => String::new(),
                    },
                    ui.t("ui.expect_yes_no"),
                ),
                Kind::Choice(ids) => (
                    if value.is_empty() {
                        String::new()
                    } else {
                        ui.t(&format!("ui.req.choice.{value}"))
                    },
                    ids.iter()
                        .map(|c| ui.t(&format!("ui.req.choice.{c}")))
                        .collect::<Vec<_>>()
                        .join(" / "),
                ),
                Kind::Number => (value, ui.t("ui.expect_number")),
                Kind::Integer => (value, ui.t("ui.expect_whole_number")),
                Kind::List => (value, ui.t("wb.hint.list")),
                Kind::Text => (value, String::new()),
            };
            choices.push(match f.kind {
                Kind::Bool => vec![ui.t("ui.yes"), ui.t("ui.no")],
                Kind::Choice(ids) => ids
                    .iter()
                    .map(|c| ui.t(&format!("ui.req.choice.{c}")))
                    .collect(),
                _ => Vec::new(),
            });
            rows.push(vec![
                format!("{}.{}", f.aspect, f.name),
                format!("{} {}", a.clause, ui.text(&a.name)),
                ui.t(&format!("ui.req.{}", f.name)),
                shown,
                how,
            ]);
        }
    }
    let t = |k: &str| ui.t(k);
    let cell_choices = choices
        .into_iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(row, c)| (row, 3, c))
        .collect();
    let form = cloudward_report::workbook::FormSheet {
        title: format!("{} · {}", t("wb.analysis.title"), e.name),
        sheet: t("wb.analysis.sheet"),
        instructions: t("wb.analysis.instructions"),
        columns: vec![
            cloudward_report::workbook::FormColumn::hidden(t(WORKBOOK_COLUMNS[0])),
            cloudward_report::workbook::FormColumn::shown(t(WORKBOOK_COLUMNS[1]), 22.0),
            cloudward_report::workbook::FormColumn::shown(t(WORKBOOK_COLUMNS[2]), 36.0),
            cloudward_report::workbook::FormColumn::to_fill(
                t(WORKBOOK_COLUMNS[3]),
                36.0,
                Vec::new(),
            ),
            cloudward_report::workbook::FormColumn::shown(t(WORKBOOK_COLUMNS[4]), 30.0),
        ],
        rows,
        cell_choices,
        date: crate::services::support::today(),
    };
    let bytes = match cloudward_report::workbook::write_form(&form) {
        Ok(b) => b,
        Err(err) => {
            tracing::error!(error = %err, "the requirement analysis workbook could not be written");
            return viewer_error(&v, StatusCode::INTERNAL_SERVER_ERROR, &ui.t("api.internal"));
        }
    };
    let name = format!(
        "{}-{}.xlsx",
        t("wb.analysis.title"),
        e.name.replace(['/', '\\'], "_")
    );
    crate::download::attachment(
        &name,
        "requirement-analysis.xlsx",
        cloudward_report::Format::Xlsx.media_type(),
        bytes,
    )
}

/// The workbook given back: every answer it gives written into the file (those it lacks
/// stay as they are) and saved under the file's rules; or the form again, every problem
/// named by row and column and beside its answer, nothing saved.
pub async fn import(
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
    use cloudward_domain::Lang;
    use cloudward_report::workbook::{CellProblem, WorkbookError, problem_line, read_table};
    let m = &state.messages;
    let names = |k: &str| vec![m.text(k, Lang::Zh), m.text(k, Lang::En)];
    let wanted = vec![
        (names(WORKBOOK_COLUMNS[0]), false),
        (names(WORKBOOK_COLUMNS[2]), true),
        (names(WORKBOOK_COLUMNS[3]), true),
    ];
    let mut lines = Vec::new();
    let mut errors = BTreeMap::new();
    let mut values = BTreeMap::new();
    match read_table(&up.bytes, &wanted) {
        Err(err) => lines.push(match err {
            WorkbookError::Unreadable(detail) => v.ui.targs("wb.unreadable", &[("detail", detail)]),
            WorkbookError::NoHeader { missing } => {
                v.ui.targs("wb.no_header", &[("column", missing)])
            }
        }),
        Ok(table) => {
            let mut seen: BTreeMap<String, u32> = BTreeMap::new();
            for (row, cells) in &table.rows {
                let (key, question, answer) = (&cells[0], &cells[1], &cells[2]);
                let field = FIELDS.iter().find(|f| {
                    if key.is_empty() {
                        let label = format!("ui.req.{}", f.name);
                        [m.text(&label, Lang::Zh), m.text(&label, Lang::En)]
                            .iter()
                            .any(|l| l.trim() == question.trim())
                    } else {
                        format!("{}.{}", f.aspect, f.name) == key.trim()
                    }
                });
                let problem = |column: usize, message: String| -> CellProblem {
                    table.problem(*row, column, message)
                };
                let Some(field) = field else {
                    lines.push(problem_line(
                        m,
                        v.ui.lang,
                        &problem(
                            1,
                            v.ui.targs("wb.unknown_question", &[("value", question.clone())]),
                        ),
                    ));
                    continue;
                };
                let name = format!("{}.{}", field.aspect, field.name);
                if let Some(before) = seen.insert(name.clone(), *row) {
                    lines.push(problem_line(
                        m,
                        v.ui.lang,
                        &problem(
                            1,
                            v.ui.targs(
                                "wb.duplicate_question",
                                &[("value", question.clone()), ("row", before.to_string())],
                            ),
                        ),
                    ));
                    continue;
                }
                let raw = answer_value(m, field.kind, answer);
                if (field.set)(&mut file.requirements, &raw).is_err() {
                    let why = expected(&v.ui, field.kind, answer);
                    lines.push(problem_line(m, v.ui.lang, &problem(2, why.clone())));
                    errors.insert(name.clone(), why);
                }
                values.insert(name, raw);
            }
        }
    }
    if !lines.is_empty() {
        // The form as the workbook would have made it, each problem beside its answer too;
        // the answers the workbook did not give as the file has them.
        for field in FIELDS {
            let name = format!("{}.{}", field.aspect, field.name);
            values
                .entry(name)
                .or_insert_with(|| (field.get)(&file.requirements));
        }
        return form_page(
            &state,
            &v,
            &e,
            e.version,
            &file.requirements,
            (Some(&values), &errors, lines),
            None,
        );
    }
    match crate::services::engagements::update(&state, &v.p, &id, e.version, &file, None).await {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(
                &v.ui
                    .targs("wb.analysis.imported", &[("n", values.len().to_string())])
            )
        ))
        .into_response(),
        Err(err) => {
            let args: Vec<(&str, String)> = err.args.iter().map(|(k, v)| (*k, v.clone())).collect();
            viewer_error(&v, err.status, &v.ui.messages_render(err.key, &args))
        }
    }
}
