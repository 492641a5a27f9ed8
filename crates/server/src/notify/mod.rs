//! Notifications: telling an organisation's people of what happened on its engagements,
//! by mail (SMTP) and by webhook (generic JSON, or the group robots of WeCom, DingTalk and
//! Feishu).
//!
//! An event (a provider notice, a scan's new high or critical findings, an assessment in use
//! expiring or expired, matrix rows waiting for a party, exit steps waiting, a transition)
//! becomes one `notification` record per channel that asked for it — the outbox — written
//! by the command that made the event in its own transaction ([`outbox`] gives the records,
//! the command passes them to the store with its own). The delivery worker
//! ([`deliver_due`], run every few seconds by `cloudward serve`) sends what is due and
//! keeps, on the same record, each attempt's outcome: delivered, or retried later with an
//! exponential backoff, or failed after the last attempt. The records are the delivery log.
//!
//! Secrets (webhook URLs, which carry the robots' access tokens, and signing secrets) are
//! sealed at rest ([`secrets`]), never put in a view, a log line or an error: an error is
//! cleaned of them ([`redact`]) before it is kept.

pub mod events;
pub mod formats;
pub mod secrets;
mod send;
pub use send::{is_public, smtp_roots};

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use cloudward_domain::Lang;
use cloudward_store::{Actor, Engagement, NewRecord, Record, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::services::support::{parse_data, to_value};
pub use formats::{Bilingual, Message};

/// The kinds of channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Generic,
    Wecom,
    Dingtalk,
    Feishu,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Email,
        ChannelKind::Generic,
        ChannelKind::Wecom,
        ChannelKind::Dingtalk,
        ChannelKind::Feishu,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Generic => "generic",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
        }
    }

    pub fn parse(v: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.id() == v)
    }

    /// Whether the platform signs with a secret (WeCom's group robot does not).
    pub fn signs(self) -> bool {
        matches!(
            self,
            ChannelKind::Generic | ChannelKind::Dingtalk | ChannelKind::Feishu
        )
    }
}

/// The language of a channel's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageLang {
    Zh,
    En,
    #[default]
    Both,
}

impl MessageLang {
    pub const ALL: [MessageLang; 3] = [MessageLang::Zh, MessageLang::En, MessageLang::Both];

    pub fn id(self) -> &'static str {
        match self {
            MessageLang::Zh => "zh",
            MessageLang::En => "en",
            MessageLang::Both => "both",
        }
    }

    pub fn parse(v: &str) -> Option<MessageLang> {
        MessageLang::ALL.into_iter().find(|k| k.id() == v)
    }
}

/// What a channel can be told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A provider's change notice or incident report, with its deadline.
    Notice,
    /// A scan opened high or critical findings.
    Finding,
    /// The assessment of the offering in use expires soon, or has expired.
    AssessmentExpiry,
    /// Rows of the responsibility matrix wait for the organisation's confirmation.
    MatrixRow,
    /// Steps of the exit checklist wait for the organisation.
    ExitStep,
    /// The engagement moved to its next phase.
    Transition,
    /// A test sent from the settings.
    Test,
}

impl EventKind {
    /// The events a channel can ask for (the test goes to any channel).
    pub const ALL: [EventKind; 6] = [
        EventKind::Notice,
        EventKind::Finding,
        EventKind::AssessmentExpiry,
        EventKind::MatrixRow,
        EventKind::ExitStep,
        EventKind::Transition,
    ];

    pub fn id(self) -> &'static str {
        match self {
            EventKind::Notice => "notice",
            EventKind::Finding => "finding",
            EventKind::AssessmentExpiry => "assessment_expiry",
            EventKind::MatrixRow => "matrix_row",
            EventKind::ExitStep => "exit_step",
            EventKind::Transition => "transition",
            EventKind::Test => "test",
        }
    }

    pub fn parse(v: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.id() == v)
    }
}

/// A channel as stored (a record of kind `notification_channel`, owned by its
/// organisation). The URL and the secret are sealed ([`secrets::Keyring`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelData {
    pub name: String,
    pub kind: ChannelKind,
    /// Mail addresses (email channels).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// The webhook's URL, sealed.
    #[serde(default)]
    pub url_sealed: Option<String>,
    /// The URL as it may be shown: scheme, host and path, each query value `***`.
    #[serde(default)]
    pub url_shown: Option<String>,
    /// The signing secret, sealed.
    #[serde(default)]
    pub secret_sealed: Option<String>,
    pub events: Vec<EventKind>,
    #[serde(default)]
    pub lang: MessageLang,
    pub enabled: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub fn id(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// One attempt, as the log keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub at: String,
    /// The error, cleaned of secrets; none when it was delivered.
    pub error: Option<String>,
}

/// A notification as stored (a record of kind `notification`, owned by the organisation it
/// is for, under its channel).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryData {
    pub event: EventKind,
    /// What it tells of (a sweep tells each thing once per channel).
    pub event_key: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub message: Message,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub delivered_at: Option<String>,
    #[serde(default)]
    pub history: Vec<Attempt>,
}

/// Something that happened, to tell the organisations it concerns.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    /// What it is about, to tell it once (`notice:<id>`, `transition:<engagement>:<phase>` …).
    pub key: String,
    pub engagement: Option<(String, String)>,
    /// The organisations to tell (duplicates are told once).
    pub recipients: Vec<String>,
    pub title_key: &'static str,
    pub text_key: &'static str,
    pub args: Vec<(&'static str, Bilingual)>,
    /// The console page it is about (a path).
    pub link: Option<String>,
}

impl Event {
    /// An event about engagement `e`, linking to its page.
    pub fn on(kind: EventKind, key: String, e: &Engagement) -> Event {
        let (title_key, text_key) = keys(kind);
        Event {
            kind,
            key,
            engagement: Some((e.id.clone(), e.name.clone())),
            recipients: Vec::new(),
            title_key,
            text_key,
            args: vec![("engagement", Bilingual::same(&e.name))],
            link: Some(format!("/engagements/{}", e.id)),
        }
    }

    pub fn to(mut self, orgs: impl IntoIterator<Item = String>) -> Event {
        self.recipients.extend(orgs);
        self
    }

    pub fn arg(mut self, name: &'static str, value: Bilingual) -> Event {
        self.args.push((name, value));
        self
    }

    pub fn link(mut self, path: String) -> Event {
        self.link = Some(path);
        self
    }

    pub fn keys(mut self, title: &'static str, text: &'static str) -> Event {
        self.title_key = title;
        self.text_key = text;
        self
    }
}

fn keys(kind: EventKind) -> (&'static str, &'static str) {
    match kind {
        EventKind::Notice => ("notify.notice.title", "notify.notice.text"),
        EventKind::Finding => ("notify.finding.title", "notify.finding.text"),
        EventKind::AssessmentExpiry => ("notify.expiring.title", "notify.expiring.text"),
        EventKind::MatrixRow => ("notify.matrix_row.title", "notify.matrix_row.text"),
        EventKind::ExitStep => ("notify.exit_step.title", "notify.exit_step.text"),
        EventKind::Transition => ("notify.transition.title", "notify.transition.text"),
        EventKind::Test => ("notify.test.title", "notify.test.text"),
    }
}

impl Bilingual {
    /// The same text in both languages (a name).
    pub fn same(text: &str) -> Bilingual {
        Bilingual {
            zh: text.to_owned(),
            en: text.to_owned(),
        }
    }

    /// A message of the table in both languages.
    pub fn message(state: &AppState, key: &str, args: &[(&str, Bilingual)]) -> Bilingual {
        let of = |lang: Lang| {
            let args: Vec<(&str, String)> = args
                .iter()
                .map(|(k, v)| {
                    (
                        *k,
                        match lang {
                            Lang::Zh => v.zh.clone(),
                            Lang::En => v.en.clone(),
                        },
                    )
                })
                .collect();
            state.messages.render(key, lang, &args)
        };
        Bilingual {
            zh: of(Lang::Zh),
            en: of(Lang::En),
        }
    }
}

/// The notifications of several events.
pub async fn outbox_all(state: &AppState, events: &[Event]) -> ApiResult<Vec<NewRecord>> {
    let mut out = Vec::new();
    for e in events {
        out.extend(outbox(state, e, false).await?);
    }
    Ok(out)
}

/// A channel record and its data.
pub type Channel = (Record, ChannelData);

/// The channels of an organisation, oldest first.
pub async fn channels_of(state: &AppState, org_id: &str) -> ApiResult<Vec<Channel>> {
    let records = state
        .store
        .list_records(
            "notification_channel",
            &RecordFilter {
                owner_org_id: Some(org_id.to_owned()),
                ..Default::default()
            },
        )
        .await?;
    records
        .into_iter()
        // A removed channel keeps its record (its log refers to it).
        .filter(|r| !r.data.get("removed").is_some_and(|v| v == true))
        .map(|r| {
            let d = parse_data(&r)?;
            Ok((r, d))
        })
        .collect()
}

/// The URL of a console page, absolute when the server knows where it is served.
fn absolute(state: &AppState, path: &str) -> String {
    match &state.config.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

/// The notification of `message` for `channel`, due at once.
fn delivery(
    channel: &Channel,
    event: EventKind,
    key: &str,
    engagement_id: Option<String>,
    message: Message,
) -> ApiResult<NewRecord> {
    let (r, c) = channel;
    let data = DeliveryData {
        event,
        event_key: key.to_owned(),
        state: DeliveryState::Pending,
        attempts: 0,
        next_attempt_at: cloudward_store::stamp(cloudward_store::now()),
        channel_name: c.name.clone(),
        channel_kind: c.kind,
        message,
        last_error: None,
        delivered_at: None,
        history: Vec::new(),
    };
    let mut new = NewRecord::new("notification", r.owner_org_id.clone(), to_value(&data)?)
        .with_id(data.message.id.clone())
        .under(r.id.clone());
    if let Some(e) = engagement_id {
        new = new.of_engagement(e);
    }
    Ok(new)
}

/// The notifications of `event`: one per enabled channel of each recipient that asked for
/// its kind, rendered now in both languages. With `once`, a channel already told of the
/// event's key is left out (the periodic sweep). The caller writes them with its change.
pub async fn outbox(state: &AppState, event: &Event, once: bool) -> ApiResult<Vec<NewRecord>> {
    let mut orgs = event.recipients.clone();
    orgs.sort();
    orgs.dedup();
    let mut out = Vec::new();
    if orgs.is_empty() {
        return Ok(out);
    }
    let title = Bilingual::message(state, event.title_key, &event.args);
    let text = Bilingual::message(state, event.text_key, &event.args);
    let at = cloudward_store::stamp(cloudward_store::now());
    for org in &orgs {
        for channel in channels_of(state, org).await? {
            let (r, c) = &channel;
            if !c.enabled || !c.events.contains(&event.kind) {
                continue;
            }
            if once && state.store.notifications_of(&event.key, &r.id).await? > 0 {
                continue;
            }
            let message = Message {
                id: cloudward_store::new_id(),
                event: event.kind.id().to_owned(),
                org_id: org.clone(),
                engagement_id: event.engagement.as_ref().map(|(id, _)| id.clone()),
                engagement_name: event.engagement.as_ref().map(|(_, n)| n.clone()),
                title: title.clone(),
                text: text.clone(),
                link: event.link.as_deref().map(|l| absolute(state, l)),
                at: at.clone(),
            };
            out.push(delivery(
                &channel,
                event.kind,
                &event.key,
                message.engagement_id.clone(),
                message,
            )?);
        }
    }
    Ok(out)
}

/// A test message for `channel`, due at once (one attempt, no retries).
pub fn test_delivery(state: &AppState, channel: &Channel) -> ApiResult<NewRecord> {
    let (r, c) = channel;
    let args = [("channel", Bilingual::same(&c.name))];
    let message = Message {
        id: cloudward_store::new_id(),
        event: EventKind::Test.id().to_owned(),
        org_id: r.owner_org_id.clone(),
        engagement_id: None,
        engagement_name: None,
        title: Bilingual::message(state, "notify.test.title", &args),
        text: Bilingual::message(state, "notify.test.text", &args),
        link: Some(absolute(state, "/admin/notifications")),
        at: cloudward_store::stamp(cloudward_store::now()),
    };
    let key = format!("test:{}", message.id);
    delivery(channel, EventKind::Test, &key, None, message)
}

/// `text` with every secret in `secrets` (and each query value of a URL among them)
/// replaced by `***`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    let mut all: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        all.push((*s).to_owned());
        if let Some((_, query)) = s.split_once('?') {
            for pair in query.split('&') {
                if let Some((_, v)) = pair.split_once('=')
                    && v.len() >= 4
                {
                    all.push(v.to_owned());
                }
            }
        }
    }
    // The longest first, so that a URL goes before the token inside it.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in all {
        out = out.replace(&s, "***");
    }
    out
}

/// A URL as it may be shown: its query values hidden (robot URLs carry their access token
/// there) and no user information.
pub fn shown_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***@{}", &base[..s + 3], &base[at + 1..]),
        _ => base.to_owned(),
    };
    match query {
        None => base,
        Some(q) => {
            let hidden: Vec<String> = q
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) => format!("{k}=***"),
                    None => "***".to_owned(),
                })
                .collect();
            format!("{base}?{}", hidden.join("&"))
        }
    }
}

/// How a round of deliveries went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Round {
    pub delivered: usize,
    /// Failed this time, tried again later.
    pub retried: usize,
    /// Failed for good (the last attempt, or a test).
    pub failed: usize,
}

/// The wait after the `attempts`-th failed attempt: the base, doubled for each earlier
/// failure, at most a day.
pub fn backoff(base_seconds: u64, attempts: i64) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let seconds = base_seconds
        .max(1)
        .saturating_mul(1u64 << doublings)
        .min(86_400);
    chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(86_400))
}

/// Sends every notification due by `now` (the worker calls it with the clock; tests with a
/// time of their choosing), and records each attempt.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> ApiResult<Round> {
    let mut round = Round::default();
    loop {
        let due = state.store.due_notifications(now, 50).await?;
        if due.is_empty() {
            break;
        }
        let n = due.len();
        for r in due {
            match attempt(state, &r, now).await? {
                Some(DeliveryState::Delivered) => round.delivered += 1,
                Some(DeliveryState::Pending) => round.retried += 1,
                Some(DeliveryState::Failed) => round.failed += 1,
                None => {}
            }
        }
        if n < 50 {
            break;
        }
    }
    Ok(round)
}

/// One attempt of notification `r` at `now`: its new state, or `None` when another writer
/// came first.
pub async fn attempt(
    state: &AppState,
    r: &Record,
    now: DateTime<Utc>,
) -> ApiResult<Option<DeliveryState>> {
    let mut d: DeliveryData = parse_data(r)?;
    if d.state != DeliveryState::Pending {
        return Ok(Some(d.state));
    }
    let channel = match &r.parent_id {
        Some(id) => state.store.get_record("notification_channel", id).await?,
        None => None,
    };
    let outcome = match channel {
        None => Err("the channel was removed".to_owned()),
        Some(c) => {
            let data: ChannelData = parse_data(&c)?;
            if data.enabled || d.event == EventKind::Test {
                send::send(state, &c, &data, &d.message, now).await
            } else {
                Err("the channel is turned off".to_owned())
            }
        }
    };
    d.attempts += 1;
    let at = cloudward_store::stamp(now);
    match outcome {
        Ok(()) => {
            d.state = DeliveryState::Delivered;
            d.delivered_at = Some(at.clone());
            d.last_error = None;
            d.history.push(Attempt { at, error: None });
        }
        Err(e) => {
            let last = d.event == EventKind::Test || d.attempts >= state.config.notify_max_attempts;
            if last {
                d.state = DeliveryState::Failed;
            } else {
                d.next_attempt_at = cloudward_store::stamp(
                    now + backoff(state.config.notify_retry_seconds, d.attempts),
                );
            }
            tracing::info!(
                notification = %r.id,
                channel = %d.channel_name,
                attempt = d.attempts,
                error = %e,
                "notification not delivered"
            );
            d.last_error = Some(e.clone());
            d.history.push(Attempt { at, error: Some(e) });
        }
    }
    match state
        .store
        .update_record(&Actor::system(), RecordChange::of(r, to_value(&d)?))
        .await
    {
        Ok(_) => Ok(Some(d.state)),
        Err(cloudward_store::StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The periodic sweep: for each engagement in operation whose offering's assessment
/// expires within `notify_expiry_days` of `today`, or has expired, tells its customer and
/// provider — once per channel for each (expiring, then expired). Returns how many
/// notifications it queued.
pub async fn sweep(state: &AppState, today: NaiveDate) -> ApiResult<usize> {
    let uses = state
        .store
        .list_records("offering_use", &RecordFilter::default())
        .await?;
    let mut creates = Vec::new();
    for u in uses {
        let (Some(eid), Some(aid)) = (
            u.engagement_id.as_deref(),
            u.data
                .get("assessment_id")
                .and_then(serde_json::Value::as_str),
        ) else {
            continue;
        };
        let Some(e) = state.store.visible_engagement(eid, &u.owner_org_id).await? else {
            continue;
        };
        if e.phase != cloudward_store::Phase::Operation {
            continue;
        }
        let Some(a) = state.store.get_record("assessment", aid).await? else {
            continue;
        };
        let Some(until) = a
            .data
            .pointer("/conclusion/valid_until")
            .and_then(serde_json::Value::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        let days = (until - today).num_days();
        let (which, title, text) = if days < 0 {
            ("expired", "notify.expired.title", "notify.expired.text")
        } else if days <= state.config.notify_expiry_days {
            ("expiring", "notify.expiring.title", "notify.expiring.text")
        } else {
            continue;
        };
        let provider = e
            .parties
            .iter()
            .filter(|(p, _)| *p == cloudward_store::Party::Provider)
            .map(|(_, o)| o.clone());
        let event = Event::on(
            EventKind::AssessmentExpiry,
            format!("assessment_expiry:{}:{aid}:{which}:{until}", e.id),
            &e,
        )
        .keys(title, text)
        .to(std::iter::once(e.customer_org_id.clone()).chain(provider))
        .arg("until", Bilingual::same(&until.to_string()))
        .arg("days", Bilingual::same(&days.max(0).to_string()));
        creates.extend(outbox(state, &event, true).await?);
    }
    let n = creates.len();
    if n > 0 {
        state
            .store
            .apply_records(&Actor::system(), creates, Vec::new())
            .await?;
    }
    Ok(n)
}

/// Runs [`deliver_due`] every `notify_interval_seconds` and [`sweep`] every hour, until the
/// task is aborted; none when the interval is 0 (the tests drive both themselves).
pub fn spawn_worker(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.config.notify_interval_seconds;
    if every == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            if last_sweep.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                last_sweep = Some(std::time::Instant::now());
                if let Err(e) = sweep(&state, Utc::now().date_naive()).await {
                    tracing::warn!(error = %e.detail.as_deref().unwrap_or(e.key), "notification sweep failed");
                }
            }
            if let Err(e) = deliver_due(&state, Utc::now()).await {
                tracing::warn!(error = %e.detail.as_deref().unwrap_or(e.key), "notification delivery failed");
            }
        }
    }))
}

/// An engagement's organisations: its customer and every party.
pub fn everyone(e: &Engagement) -> Vec<String> {
    std::iter::once(e.customer_org_id.clone())
        .chain(e.parties.iter().map(|(_, o)| o.clone()))
        .collect()
}

/// The error of a refused channel setting (400, naming the field).
pub(crate) fn bad(field: &'static str, key: &'static str) -> ApiError {
    ApiError::bad_request(key).arg("field", field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_tokens_and_errors_lose_their_secrets() {
        assert_eq!(
            shown_url("https://oapi.dingtalk.com/robot/send?access_token=abc123"),
            "https://oapi.dingtalk.com/robot/send?access_token=***"
        );
        assert_eq!(shown_url("https://u:p@h/x"), "https://***@h/x");
        let url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETKEY";
        assert_eq!(
            redact(
                &format!("error sending to {url}: refused (SECRETKEY)"),
                &[url, "sig"]
            ),
            "error sending to ***: refused (***)"
        );
    }

    #[test]
    fn the_backoff_doubles_up_to_a_day() {
        assert_eq!(backoff(60, 1).num_seconds(), 60);
        assert_eq!(backoff(60, 2).num_seconds(), 120);
        assert_eq!(backoff(60, 4).num_seconds(), 480);
        assert_eq!(backoff(60, 40).num_seconds(), 86_400);
    }
}
