//! The console's notification settings (organisation administrators): the channels, a new
//! one, a test per channel with its outcome, removal, and the delivery log. The same
//! services as the API; a refused channel is shown again with what was typed (never the
//! secret) and the reason beside its field.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ConsoleForm;
use super::pages::{Nav, nav};
use super::{Echo, Ui, Viewer, check_csrf, is_form_problem, refused, render};
use crate::AppState;
use crate::notify::EventKind;
use crate::services::notifications::{self as service, ChannelInput, ChannelView, DeliveryView};

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
    /// A channel to change: the form is filled with it.
    edit: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_notifications.html")]
pub struct NotificationsPage {
    ui: Ui,
    nav: Option<Nav>,
    channels: Vec<ChannelView>,
    log: Vec<DeliveryView>,
    kinds: Vec<&'static str>,
    events: Vec<&'static str>,
    langs: Vec<&'static str>,
    done: Option<String>,
    problem: Option<String>,
    echo: Echo,
    /// The channel the form changes (id, version); none for a new one.
    editing: Option<(String, i64)>,
}

impl NotificationsPage {
    /// Why a delivery failed, in the reader's words (the technical detail follows in
    /// small print).
    fn error_words(&self, e: &str) -> String {
        if let Some(rest) = e.strip_prefix("the receiver answered HTTP ") {
            return self.ui.t1("ui.notify_err.http", "status", rest);
        }
        let key = if e.contains("not on the public internet") {
            "ui.notify_err.not_public"
        } else if e.starts_with("cannot reach the receiver") {
            "ui.notify_err.unreachable"
        } else if e.starts_with("the channel was removed") {
            "ui.notify_err.removed"
        } else if e.starts_with("the channel is turned off") {
            "ui.notify_err.off"
        } else if e.starts_with("SMTP") || e.starts_with("STARTTLS") || e.contains("mail address") {
            "ui.notify_err.mail"
        } else {
            "ui.notify_err.other"
        };
        self.ui.t(key)
    }

    /// The event is checked in the form (all of them on a fresh form).
    fn event_checked(&self, event: &str) -> bool {
        if self.echo.is("channel", "") {
            self.echo.value("events").split(',').any(|e| e == event)
        } else {
            true
        }
    }
}

/// The form filled with a channel as stored (the URL and secret are not shown: left empty,
/// they stay as they are).
fn echo_of(c: &ChannelView) -> Echo {
    let mut echo = Echo {
        form: "channel".into(),
        ..Echo::default()
    };
    for (k, val) in [
        ("name", c.name.clone()),
        ("kind", c.kind.clone()),
        ("recipients", c.recipients.join("\n")),
        ("lang", c.lang.clone()),
        ("enabled", if c.enabled { "on" } else { "" }.to_owned()),
        ("events", c.events.join(",")),
    ] {
        echo.values.insert(k.to_owned(), val);
    }
    echo
}

async fn page(
    state: &AppState,
    v: &Viewer,
    done: Option<String>,
    echo: Echo,
    editing: Option<(String, i64)>,
) -> Response {
    let loaded = async {
        let channels = service::channels(state, &v.p).await?;
        let log = service::deliveries(state, &v.p, Some(50)).await?;
        Ok::<_, crate::error::ApiError>((channels, log))
    };
    match loaded.await {
        Ok((channels, log)) => {
            let problem = match echo.error("") {
                Some(m) => Some(m.to_owned()),
                None if !echo.errors.is_empty() => Some(v.ui.t("ui.form_not_taken")),
                None => None,
            };
            render(&NotificationsPage {
                nav: Some(nav(v, "admin", "/admin/notifications")),
                ui: v.ui.clone(),
                channels,
                log,
                kinds: crate::notify::ChannelKind::ALL.map(|k| k.id()).to_vec(),
                events: EventKind::ALL.map(EventKind::id).to_vec(),
                langs: crate::notify::MessageLang::ALL.map(|l| l.id()).to_vec(),
                done,
                problem,
                echo,
                editing,
            })
        }
        Err(e) => refused(v, &e),
    }
}

pub async fn show(State(state): State<AppState>, v: Viewer, Query(d): Query<Done>) -> Response {
    if let Some(id) = d.edit.as_deref() {
        let channels = match service::channels(&state, &v.p).await {
            Ok(c) => c,
            Err(e) => return refused(&v, &e),
        };
        // Another organisation's channel, or none: not found, as the API says.
        let Some(c) = channels.iter().find(|c| c.id == id) else {
            return refused(&v, &crate::error::ApiError::not_found());
        };
        return page(
            &state,
            &v,
            d.done,
            echo_of(c),
            Some((c.id.clone(), c.version)),
        )
        .await;
    }
    page(&state, &v, d.done, Echo::default(), None).await
}

/// The new-channel form: one checkbox per event (`event_<id>`).
#[derive(Debug, Deserialize)]
pub struct ChannelForm {
    csrf_token: Option<String>,
    name: String,
    kind: String,
    #[serde(default)]
    recipients: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    enabled: Option<String>,
    /// On a change: the version read.
    #[serde(default)]
    version: Option<i64>,
    event_notice: Option<String>,
    event_finding: Option<String>,
    event_assessment_expiry: Option<String>,
    event_matrix_row: Option<String>,
    event_exit_step: Option<String>,
    event_transition: Option<String>,
}

impl ChannelForm {
    fn events(&self) -> Vec<String> {
        [
            ("notice", &self.event_notice),
            ("finding", &self.event_finding),
            ("assessment_expiry", &self.event_assessment_expiry),
            ("matrix_row", &self.event_matrix_row),
            ("exit_step", &self.event_exit_step),
            ("transition", &self.event_transition),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k.to_owned())
        .collect()
    }
}

pub async fn create(
    State(state): State<AppState>,
    v: Viewer,
    ConsoleForm(f): ConsoleForm<ChannelForm>,
) -> Response {
    save(state, v, None, f).await
}

/// Changes a channel: what the form gives; an empty URL or secret keeps the one stored.
pub async fn update(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<ChannelForm>,
) -> Response {
    save(state, v, Some(id), f).await
}

async fn save(state: AppState, v: Viewer, id: Option<String>, f: ChannelForm) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    let events = f.events();
    let input = ChannelInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        recipients: f.recipients.lines().map(str::to_owned).collect(),
        url: Some(f.url.clone()).filter(|u| !u.trim().is_empty()),
        secret: Some(f.secret.clone()).filter(|s| !s.is_empty()),
        events: events.clone(),
        lang: Some(f.lang.clone()),
        enabled: f.enabled.is_some(),
        version: if id.is_some() { f.version } else { None },
    };
    let saved = match &id {
        None => service::create_channel(&state, &v.p, input).await,
        Some(id) => service::update_channel(&state, &v.p, id, input).await,
    };
    match saved {
        Ok(_) => Redirect::to(&format!(
            "/admin/notifications?done={}",
            super::urlencode(&v.ui.t("ui.saved"))
        ))
        .into_response(),
        // The secret is not given back: it is typed again. A change someone else made
        // first comes back the same way, with why.
        Err(e) if is_form_problem(&e) || (id.is_some() && e.status.as_u16() == 409) => {
            let events = events.join(",");
            let enabled = if f.enabled.is_some() { "on" } else { "" };
            let echo = Echo::from_error(
                &v,
                "channel",
                &[
                    ("name", &f.name),
                    ("kind", &f.kind),
                    ("recipients", &f.recipients),
                    ("url", &f.url),
                    ("lang", &f.lang),
                    ("enabled", enabled),
                    ("events", &events),
                ],
                &e,
            );
            let editing = id.map(|id| (id, f.version.unwrap_or(0)));
            let mut res = page(&state, &v, None, echo, editing).await;
            if res.status().is_success() {
                *res.status_mut() = e.status;
            }
            res
        }
        Err(e) => refused(&v, &e),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf_token: Option<String>,
}

pub async fn test(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match service::test_channel(&state, &v.p, &id).await {
        Ok(d) => {
            let done = if d.state == "delivered" {
                v.ui.t1("ui.notify_test_delivered", "channel", &d.channel_name)
            } else {
                v.ui.targs(
                    "ui.notify_test_failed",
                    &[
                        ("channel", d.channel_name.clone()),
                        ("error", d.last_error.clone().unwrap_or_default()),
                    ],
                )
            };
            page(&state, &v, Some(done), Echo::default(), None).await
        }
        Err(e) => refused(&v, &e),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    ConsoleForm(f): ConsoleForm<CsrfOnly>,
) -> Response {
    if let Some(r) = check_csrf(&v, f.csrf_token.as_ref()) {
        return r;
    }
    match service::delete_channel(&state, &v.p, &id).await {
        Ok(()) => Redirect::to(&format!(
            "/admin/notifications?done={}",
            super::urlencode(&v.ui.t("ui.notify_removed"))
        ))
        .into_response(),
        Err(e) => refused(&v, &e),
    }
}
