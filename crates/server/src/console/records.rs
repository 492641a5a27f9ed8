//! The lifecycle records as a form: for each phase reached, its activities (done or not)
//! and outputs (reference, date, an attached document); the five basic requirements; the
//! provider, its cloud and SLA; the security service provider and its scope. Everything
//! the gates read that the file editor alone could write before.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use cloudward_domain::engagement::{
    Commitment, EngagementFile, OutputRecord, Phase, SecurityServiceProvider, Sla,
};

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Ui, Viewer, check_csrf, read_upload, render};
use crate::AppState;
use crate::services::records::{HELD, ProviderRecord, RecordsInput, is_held};

pub struct ActivityRow {
    id: String,
    name: String,
    clause: String,
    description: String,
    done: bool,
}

pub struct OutputRow {
    id: String,
    name: String,
    description: String,
    reference: String,
    date: String,
    /// Where the server's record of it comes from, in words (held outputs only).
    held: Option<String>,
    /// The attached document: evidence id and file name.
    document: Option<(String, String)>,
    /// The kind of document cloudward makes for this output, if it makes one.
    generate: Option<String>,
    /// The period of a supervision report: the first and last day as the form shows them.
    period: Option<(String, String)>,
}

/// A document the server issued, as the records page lists it.
pub struct IssuedRow {
    id: String,
    title: String,
    output: String,
    format: String,
    lang: String,
    date: String,
    version: i64,
    sha256: String,
    issued: String,
}

pub struct PhaseSection {
    id: String,
    title: String,
    description: String,
    activities: Vec<ActivityRow>,
    outputs: Vec<OutputRow>,
}

pub struct RequirementRow {
    id: String,
    name: String,
    description: String,
    present: bool,
    reference: String,
}

#[derive(Template)]
#[template(path = "records.html")]
pub struct RecordsPage {
    ui: Ui,
    nav: Option<Nav>,
    id: String,
    name: String,
    version: i64,
    can_edit: bool,
    phases: Vec<PhaseSection>,
    requirements: Vec<RequirementRow>,
    /// The provider's name and offering: (field, label, value).
    identity: Vec<(String, String, String)>,
    provider_cloud: String,
    /// The provider came with an offering picked on the server: its name, offering and
    /// cloud are the offering's.
    picked: bool,
    clouds: Vec<(String, String)>,
    sla: Vec<(String, String, String)>,
    ssp_name: String,
    ssp_scope: String,
    /// Security service provider organisations (id, name), and the one in the seat.
    ssp_orgs: Vec<(String, String)>,
    ssp_org: String,
    /// Field → why it was not taken.
    errors: BTreeMap<String, String>,
    /// A refusal about no one field.
    problem: Option<String>,
    /// What was just saved.
    done: Option<String>,
    /// The documents issued for the engagement, newest first.
    issued: Vec<IssuedRow>,
    can_issue: bool,
}

impl RecordsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

const SLA_FIELDS: [&str; 4] = [
    "availability_percent",
    "recovery_hours",
    "incident_ack_hours",
    "change_ack_hours",
];

fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn sla_value(sla: Option<&Sla>, field: &str) -> String {
    let Some(s) = sla else {
        return String::new();
    };
    match field {
        "availability_percent" => s.availability_percent.map(number),
        "recovery_hours" => s.recovery_hours.map(number),
        "incident_ack_hours" => s.incident_ack_hours.map(|n| n.to_string()),
        "change_ack_hours" => s.change_ack_hours.map(|n| n.to_string()),
        _ => None,
    }
    .unwrap_or_default()
}

/// Where a held output's record comes from, in words.
fn held_words(ui: &Ui, reference: &str) -> String {
    let what = reference
        .strip_prefix(HELD)
        .and_then(|r| r.split(['/', '#']).next())
        .unwrap_or("");
    let key = match what {
        "classification" | "contract-checklist" | "assessment" | "matrix" | "scans" | "notices"
        | "exit" | "evidence" => format!("ui.held.{what}"),
        _ => "ui.held.other".to_owned(),
    };
    ui.t(&key)
}

/// The phases whose records the engagement can have now: those reached.
fn phases_reached(phase: Phase) -> usize {
    match phase {
        Phase::Planning => 1,
        Phase::Selection => 2,
        Phase::Operation => 3,
        Phase::Exit | Phase::Closed => 4,
    }
}

#[allow(clippy::too_many_arguments)]
fn page(
    ssp_orgs: Vec<(String, String)>,
    state: &AppState,
    v: &Viewer,
    e: &cloudward_store::Engagement,
    file: &EngagementFile,
    documents: &BTreeMap<String, (String, String)>,
    issued: Vec<IssuedRow>,
    sent: Option<&BTreeMap<String, String>>,
    period: Option<(String, String)>,
    errors: BTreeMap<String, String>,
    problem: Option<String>,
    done: Option<String>,
) -> Response {
    let ui = v.ui.clone();
    let refused = sent.is_some() || !errors.is_empty() || problem.is_some();
    // What the form sent, where it sent something; otherwise the file.
    let sent_value = |k: &str| sent.map(|f| f.get(k).cloned().unwrap_or_default());
    let sent_check = |k: &str| sent.map(|f| f.contains_key(k));
    let mut phases = Vec::new();
    for ph in state
        .content
        .guide
        .phases
        .iter()
        .take(phases_reached(file.phase))
    {
        let activities = ph
            .activities
            .iter()
            .map(|a| ActivityRow {
                done: sent_check(&format!("activity.{}", a.id))
                    .unwrap_or_else(|| file.lifecycle.activities.contains(&a.id)),
                name: ui.text(&a.name),
                clause: a.clause.clone(),
                description: ui.text(&a.description),
                id: a.id.clone(),
            })
            .collect();
        let outputs =
            ph.outputs
                .iter()
                .map(|o| {
                    let have = file.lifecycle.outputs.get(&o.id);
                    let held = have.filter(|h| is_held(h));
                    let generate = cloudward_report::Kind::ALL
                        .iter()
                        .copied()
                        .find(|k| k.of_engagement() && k.output() == Some(o.id.as_str()));
                    OutputRow {
                        reference: sent_value(&format!("output.{}.reference", o.id))
                            .unwrap_or_else(|| {
                                have.filter(|h| !is_held(h))
                                    .map(|h| h.reference.clone())
                                    .unwrap_or_default()
                            }),
                        date: sent_value(&format!("output.{}.date", o.id)).unwrap_or_else(|| {
                            have.filter(|h| !is_held(h))
                                .and_then(|h| h.date)
                                .map(|d| d.to_string())
                                .unwrap_or_default()
                        }),
                        held: held.map(|h| {
                            let when = h.date.map(|d| format!(" · {d}")).unwrap_or_default();
                            format!("{}{when}", held_words(&ui, &h.reference))
                        }),
                        document: held
                            .and_then(|h| h.reference.strip_prefix(&format!("{HELD}evidence/")))
                            .and_then(|id| documents.get(id))
                            .cloned(),
                        name: ui.text(&o.name),
                        description: ui.text(&o.description),
                        generate: generate.map(|k| k.id().to_owned()),
                        period: generate
                            .filter(|k| k.needs() == cloudward_report::kinds::Needs::Supervision)
                            .map(|_| {
                                period.clone().unwrap_or_else(|| {
                                    let (from, to) = crate::services::posture::period(
                                        None,
                                        None,
                                        crate::services::support::today(),
                                    )
                                    .unwrap_or_default();
                                    (from.to_string(), to.to_string())
                                })
                            }),
                        id: o.id.clone(),
                    }
                })
                .collect();
        phases.push(PhaseSection {
            title: ui.targs(
                "ui.records.phase",
                &[("chapter", ph.chapter.clone()), ("name", ui.text(&ph.name))],
            ),
            description: ui.text(&ph.description),
            id: ph.id.clone(),
            activities,
            outputs,
        });
    }
    let requirements = state
        .content
        .guide
        .basic_requirements
        .iter()
        .map(|b| {
            let have = file.basic_requirements.get(&b.id);
            RequirementRow {
                present: sent_check(&format!("br.{}.present", b.id))
                    .unwrap_or_else(|| have.is_some_and(|h| h.present)),
                reference: sent_value(&format!("br.{}.reference", b.id))
                    .unwrap_or_else(|| have.and_then(|h| h.reference.clone()).unwrap_or_default()),
                name: ui.text(&b.name),
                description: ui.text(&b.description),
                id: b.id.clone(),
            }
        })
        .collect();
    let provider = file.provider.as_ref();
    let picked = provider.is_some_and(|p| {
        p.assessment
            .as_ref()
            .and_then(|a| a.reference.as_deref())
            .is_some_and(|r| r.starts_with(HELD))
    });
    let sla = SLA_FIELDS
        .iter()
        .map(|f| {
            let name = format!("sla.{f}");
            let value = sent_value(&name)
                .unwrap_or_else(|| sla_value(provider.and_then(|p| p.sla.as_ref()), f));
            (name, ui.t(&format!("ui.sla.{f}")), value)
        })
        .collect();
    let version = sent
        .and_then(|f| f.get("version"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(e.version);
    let mut r = render(&RecordsPage {
        nav: Some(nav(
            v,
            "dashboard",
            &format!("/engagements/{}/records", e.id),
        )),
        can_edit: v.p.can(crate::authz::Action::RecordsPut, v.p.rel_to(e)),
        can_issue: v.p.can(crate::authz::Action::DocumentIssue, v.p.rel_to(e)),
        issued,
        name: e.name.clone(),
        id: e.id.clone(),
        version,
        phases,
        requirements,
        identity: vec![
            (
                "provider.name".to_owned(),
                ui.t("ui.provider_name"),
                sent_value("provider.name")
                    .unwrap_or_else(|| provider.map(|p| p.name.clone()).unwrap_or_default()),
            ),
            (
                "provider.offering".to_owned(),
                ui.t("ui.provider_offering"),
                sent_value("provider.offering")
                    .unwrap_or_else(|| provider.map(|p| p.offering.clone()).unwrap_or_default()),
            ),
        ],
        provider_cloud: sent_value("provider.cloud")
            .unwrap_or_else(|| provider.and_then(|p| p.cloud.clone()).unwrap_or_default()),
        picked,
        clouds: state
            .content
            .regions
            .clouds
            .iter()
            .map(|c| (c.id.clone(), ui.text(&c.name)))
            .collect(),
        sla,
        ssp_name: sent_value("ssp.name").unwrap_or_else(|| {
            file.security_service_provider
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default()
        }),
        ssp_scope: sent_value("ssp.scope").unwrap_or_else(|| {
            file.security_service_provider
                .as_ref()
                .and_then(|s| s.scope.clone())
                .unwrap_or_default()
        }),
        ssp_org: sent_value("ssp.org").unwrap_or_else(|| {
            e.parties
                .iter()
                .find(|(seat, _)| *seat == cloudward_store::Party::SecurityServiceProvider)
                .map(|(_, id)| id.clone())
                .unwrap_or_default()
        }),
        ssp_orgs,
        errors,
        problem,
        done,
        ui,
    });
    if refused {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

/// The engagement's documents attached as outputs: evidence id → (id, file name).
async fn documents(state: &AppState, v: &Viewer, id: &str) -> BTreeMap<String, (String, String)> {
    crate::services::evidence::list(state, &v.p, id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|x| x.evidence.target_kind == "output")
        .map(|x| (x.id.clone(), (x.id, x.evidence.name)))
        .collect()
}

#[allow(
    clippy::too_many_arguments,
    reason = "the page's inputs, as `page` has them"
)]
async fn show(
    state: &AppState,
    v: &Viewer,
    id: &str,
    sent: Option<&BTreeMap<String, String>>,
    period: Option<(String, String)>,
    errors: BTreeMap<String, String>,
    problem: Option<String>,
    done: Option<String>,
) -> Response {
    let (e, file, _) = match crate::services::engagements::with_file(
        state,
        &v.p,
        id,
        crate::authz::Action::EngagementRead,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return super::refused(v, &err),
    };
    let docs = documents(state, v, id).await;
    let issued = issued(state, v, id).await;
    let ssp_orgs = crate::services::records::security_service_providers(state)
        .await
        .unwrap_or_default();
    page(
        ssp_orgs, state, v, &e, &file, &docs, issued, sent, period, errors, problem, done,
    )
}

/// The documents issued for the engagement, newest first, in words.
async fn issued(state: &AppState, v: &Viewer, id: &str) -> Vec<IssuedRow> {
    let mut list = crate::services::documents::list(state, &v.p, id)
        .await
        .unwrap_or_default();
    list.reverse();
    list.into_iter()
        .map(|d| {
            let x = d.document;
            IssuedRow {
                output: state
                    .content
                    .guide
                    .output(&x.output)
                    .map(|o| v.ui.text(&o.name))
                    .unwrap_or_default(),
                format: v.ui.t(&format!("ui.doc.format.{}", x.format)),
                lang: v.ui.t(&format!("ui.doc.lang.{}", x.lang)),
                date: x.date.to_string(),
                version: x.engagement_version,
                issued: v.ui.targs(
                    "ui.doc.issued_by",
                    &[
                        (
                            "by",
                            x.issued_by_name
                                .clone()
                                .unwrap_or_else(|| x.issued_by.clone()),
                        ),
                        (
                            "at",
                            x.issued_at
                                .chars()
                                .take(16)
                                .collect::<String>()
                                .replace('T', " "),
                        ),
                    ],
                ),
                title: x.title,
                sha256: x.sha256,
                id: d.id,
            }
        })
        .collect()
}

pub async fn form(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<BTreeMap<String, String>>,
) -> Response {
    let done = q.get("done").cloned();
    show(&state, &v, &id, None, None, BTreeMap::new(), None, done).await
}

/// Reads the form into the service's input; each value that does not read is refused
/// beside its field.
fn read(
    state: &AppState,
    ui: &Ui,
    file: &EngagementFile,
    f: &BTreeMap<String, String>,
) -> Result<RecordsInput, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let value = |k: &str| f.get(k).map(|s| s.trim().to_owned()).unwrap_or_default();
    let mut input = RecordsInput::default();
    let reached = phases_reached(file.phase);
    for (i, ph) in state.content.guide.phases.iter().enumerate() {
        if i >= reached {
            // A phase the form does not show keeps what the file has of it.
            for a in &ph.activities {
                if file.lifecycle.activities.contains(&a.id) {
                    input.activities.push(a.id.clone());
                }
            }
            for o in &ph.outputs {
                if let Some(have) = file.lifecycle.outputs.get(&o.id) {
                    input.outputs.insert(o.id.clone(), have.clone());
                }
            }
            continue;
        }
        for a in &ph.activities {
            if f.contains_key(&format!("activity.{}", a.id)) {
                input.activities.push(a.id.clone());
            }
        }
        for o in &ph.outputs {
            let (rk, dk) = (
                format!("output.{}.reference", o.id),
                format!("output.{}.date", o.id),
            );
            let (reference, date) = (value(&rk), value(&dk));
            let date = if date.is_empty() {
                None
            } else {
                match NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.insert(
                            dk.clone(),
                            ui.targs(
                                "ui.value_not_taken",
                                &[
                                    ("value", date.clone()),
                                    ("expected", ui.t("ui.expect_date")),
                                ],
                            ),
                        );
                        None
                    }
                }
            };
            if reference.is_empty() {
                if date.is_some() {
                    errors.insert(rk, ui.t("api.output_reference_missing"));
                }
                continue;
            }
            input
                .outputs
                .insert(o.id.clone(), OutputRecord { reference, date });
        }
    }
    for b in &state.content.guide.basic_requirements {
        let present = f.contains_key(&format!("br.{}.present", b.id));
        let reference = value(&format!("br.{}.reference", b.id));
        if present || !reference.is_empty() {
            input.basic_requirements.insert(
                b.id.clone(),
                Commitment {
                    present,
                    reference: (!reference.is_empty()).then_some(reference),
                },
            );
        }
    }
    let mut sla = Sla {
        availability_percent: None,
        recovery_hours: None,
        incident_ack_hours: None,
        change_ack_hours: None,
    };
    for field in SLA_FIELDS {
        let k = format!("sla.{field}");
        let raw = value(&k);
        if raw.is_empty() {
            continue;
        }
        let whole = field.ends_with("ack_hours");
        let ok = if whole {
            raw.parse::<u32>().ok().map(|n| match field {
                "incident_ack_hours" => sla.incident_ack_hours = Some(n),
                _ => sla.change_ack_hours = Some(n),
            })
        } else {
            raw.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|n| match field {
                    "availability_percent" => sla.availability_percent = Some(n),
                    _ => sla.recovery_hours = Some(n),
                })
        };
        if ok.is_none() {
            let expected = if whole {
                ui.t("ui.expect_whole_number")
            } else {
                ui.t("ui.expect_number")
            };
            errors.insert(
                k,
                ui.targs(
                    "ui.value_not_taken",
                    &[("value", raw), ("expected", expected)],
                ),
            );
        }
    }
    let any_sla = sla.availability_percent.is_some()
        || sla.recovery_hours.is_some()
        || sla.incident_ack_hours.is_some()
        || sla.change_ack_hours.is_some();
    let cloud = value("provider.cloud");
    input.provider = Some(ProviderRecord {
        name: value("provider.name"),
        offering: value("provider.offering"),
        cloud: (!cloud.is_empty()).then_some(cloud),
        sla: any_sla.then_some(sla),
    });
    input.security_service_provider_org = f.get("ssp.org").map(|s| s.trim().to_owned());
    input.security_service_provider = Some(SecurityServiceProvider {
        name: value("ssp.name"),
        scope: Some(value("ssp.scope")),
    });
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
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
    let (_, file, _) = match crate::services::engagements::with_file(
        &state,
        &v.p,
        &id,
        crate::authz::Action::RecordsPut,
    )
    .await
    {
        Ok(x) => x,
        Err(err) => return super::refused(&v, &err),
    };
    let input = match read(&state, &v.ui, &file, &f) {
        Ok(i) => i,
        Err(errors) => return show(&state, &v, &id, Some(&f), None, errors, None, None).await,
    };
    let version = f.get("version").and_then(|s| s.parse().ok()).unwrap_or(0);
    match crate::services::records::put(&state, &v.p, &id, version, input, v.ui.lang).await {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::CONFLICT => {
            let echo = super::Echo::from_error(&v, "records", &[], &e);
            let (errors, problem): (BTreeMap<_, _>, _) = match echo.errors.get("") {
                Some(m) => (BTreeMap::new(), Some(m.clone())),
                None => (echo.errors, None),
            };
            show(&state, &v, &id, Some(&f), None, errors, problem, None).await
        }
        Err(e) => super::refused(&v, &e),
    }
}

/// A document attached as an output, from the output's own small form.
pub async fn attach(
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
    let output = up.field("output");
    let name = if up.file_name.is_empty() {
        "document".to_owned()
    } else {
        up.file_name.clone()
    };
    let date = NaiveDate::parse_from_str(&up.field("date"), "%Y-%m-%d").ok();
    match crate::services::records::attach(
        &state,
        &v.p,
        &id,
        &output,
        &name,
        date,
        up.bytes.to_vec(),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!(
            "/engagements/{id}/records?done={}#output-{output}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        Err(e) if super::is_form_problem(&e) => {
            let mut errors = BTreeMap::new();
            errors.insert(format!("output.{output}.file"), super::problem_text(&v, &e));
            let mut r = show(&state, &v, &id, None, None, errors, None, None).await;
            if r.status().is_client_error() {
                *r.status_mut() = e.status;
            }
            r
        }
        Err(e) => super::refused(&v, &e),
    }
}

/// "Generate" beside an output: the document cloudward makes for it, issued and recorded
/// as the output. The button says which kind and format (`generate=KIND:FORMAT`).
pub async fn generate(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.get("csrf_token")) {
        return r;
    }
    let asked = f.get("generate").cloned().unwrap_or_default();
    let (kind, format) = asked.split_once(':').unwrap_or((asked.as_str(), "pdf"));
    let output = cloudward_report::Kind::parse(kind)
        .and_then(|k| k.output())
        .unwrap_or_default()
        .to_owned();
    let sent_from = f
        .get("period_from")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let sent_to = f
        .get("period_to")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let period = (!sent_from.is_empty() || !sent_to.is_empty())
        .then(|| (sent_from.clone(), sent_to.clone()));
    // A day the form sent that is no date: refused beside its field, the form kept.
    let mut bad = BTreeMap::new();
    let mut day = |field: &str, text: &str| -> Option<chrono::NaiveDate> {
        if text.is_empty() {
            return None;
        }
        let parsed = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            bad.insert(
                format!("output.{output}.{field}"),
                v.ui.targs("api.bad_date", &[("value", text.to_owned())]),
            );
        }
        parsed
    };
    let from = day("period_from", &sent_from);
    let to = day("period_to", &sent_to);
    if !bad.is_empty() {
        let mut r = show(&state, &v, &id, None, period, bad, None, None).await;
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    let input = crate::services::documents::IssueInput {
        kind: kind.to_owned(),
        format: Some(format.to_owned()),
        lang: Some(v.ui.lang.code().to_owned()),
        date: None,
        from,
        to,
    };
    match crate::services::documents::issue(&state, &v.p, &id, input, v.ui.lang).await {
        Ok((d, _)) => Redirect::to(&format!(
            "/engagements/{id}/records?done={}#output-{output}",
            super::urlencode(
                &v.ui
                    .targs("ui.doc.generated", &[("title", d.document.title)])
            )
        ))
        .into_response(),
        Err(e) if super::is_form_problem(&e) || e.status == StatusCode::SERVICE_UNAVAILABLE => {
            // Beside the output, and at the top (an output of a phase not reached yet has
            // no row on the page).
            let text = super::problem_text(&v, &e);
            let mut errors = BTreeMap::new();
            errors.insert(format!("output.{output}.generate"), text.clone());
            let mut r = show(&state, &v, &id, None, period, errors, Some(text), None).await;
            *r.status_mut() = e.status;
            r
        }
        Err(e) => super::refused(&v, &e),
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
pub struct VerifyPage {
    ui: Ui,
    nav: Option<Nav>,
    /// The file asked about: its name and SHA-256.
    asked: Option<(String, String)>,
    /// What the server issued with that hash, in words: (field, value).
    found: Option<Vec<(String, String)>>,
    /// The document's id, for its download link.
    found_id: Option<String>,
    problem: Option<String>,
}

fn verify_page(page: VerifyPage) -> Response {
    render(&page)
}

/// "Is this file a document the server issued?": a form to pick the file.
pub async fn verify_form(v: Viewer) -> Response {
    verify_page(VerifyPage {
        nav: Some(nav(&v, "dashboard", "/documents/verify")),
        ui: v.ui.clone(),
        asked: None,
        found: None,
        found_id: None,
        problem: None,
    })
}

/// The answer: the file's hash looked up among the documents of engagements the viewer
/// sees. The file itself is not kept.
pub async fn verify(State(state): State<AppState>, v: Viewer, form: Multipart) -> Response {
    let up = match read_upload(&v, form, state.config.evidence_limit).await {
        Ok(up) => up,
        Err(r) => return r,
    };
    if let Some(r) = check_csrf(&v, up.fields.get("csrf_token")) {
        return r;
    }
    let mut page = VerifyPage {
        nav: Some(nav(&v, "dashboard", "/documents/verify")),
        ui: v.ui.clone(),
        asked: None,
        found: None,
        found_id: None,
        problem: None,
    };
    if up.bytes.is_empty() {
        page.problem = Some(v.ui.t("ui.doc.verify_no_file"));
        let mut r = verify_page(page);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    }
    let sha = cloudward_report::sha256(&up.bytes);
    page.asked = Some((up.file_name.clone(), sha.clone()));
    match crate::services::documents::verify(&state, &v.p, &sha).await {
        Ok(Some(d)) => {
            let x = &d.document;
            let ui = &v.ui;
            // What it was made from: an engagement (its version), or an assessment (the
            // offering assessed, the assessment's version).
            let of = if x.assessment_id.is_some() {
                "ui.doc.assessed_offering"
            } else {
                "ui.doc.engagement"
            };
            let mut rows = vec![
                (ui.t("ui.doc.document"), x.title.clone()),
                (ui.t(of), x.engagement_name.clone()),
                (ui.t("ui.doc.version"), x.engagement_version.to_string()),
                (ui.t("ui.doc.date"), x.date.to_string()),
            ];
            if let Some(o) = state.content.guide.output(&x.output) {
                rows.push((ui.t("ui.output"), ui.text(&o.name)));
            }
            rows.extend([
                (
                    ui.t("ui.doc.format"),
                    format!(
                        "{} · {}",
                        ui.t(&format!("ui.doc.format.{}", x.format)),
                        ui.t(&format!("ui.doc.lang.{}", x.lang))
                    ),
                ),
                (
                    ui.t("ui.doc.issued"),
                    ui.targs(
                        "ui.doc.issued_by",
                        &[
                            (
                                "by",
                                x.issued_by_name
                                    .clone()
                                    .unwrap_or_else(|| x.issued_by.clone()),
                            ),
                            (
                                "at",
                                x.issued_at
                                    .chars()
                                    .take(16)
                                    .collect::<String>()
                                    .replace('T', " "),
                            ),
                        ],
                    ),
                ),
            ]);
            page.found = Some(rows);
            page.found_id = Some(d.id.clone());
            verify_page(page)
        }
        Ok(None) => verify_page(page),
        Err(e) => super::refused(&v, &e),
    }
}
