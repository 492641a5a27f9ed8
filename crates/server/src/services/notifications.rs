//! An organisation's notification settings — its channels (mail recipients, or a webhook of
//! a kind, with the events each one gets) — their test, and the delivery log. Only the
//! organisation's administrators see or change them; another organisation's channel is not
//! found. The delivery itself is `crate::notify`'s.

use cloudward_store::{NewRecord, Record, RecordChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::{self, Action, Rel};
use crate::error::{ApiError, ApiResult};
use crate::notify::{
    self, Channel, ChannelData, ChannelKind, DeliveryData, EventKind, MessageLang, bad,
};
use crate::services::support::{parse_data, to_value};

/// A channel to make, or its new settings.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    pub name: String,
    /// email, generic, wecom, dingtalk or feishu
    pub kind: String,
    /// Mail addresses (email channels).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// The webhook's URL (webhook channels); on a change, unset keeps the one stored.
    #[serde(default)]
    pub url: Option<String>,
    /// The signing secret (generic, DingTalk, Feishu); on a change, unset keeps the one
    /// stored and `""` removes it.
    #[serde(default)]
    pub secret: Option<String>,
    /// notice, finding, assessment_expiry, matrix_row, exit_step, transition
    pub events: Vec<String>,
    /// zh, en or both (the default)
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// On a change: the version read.
    #[serde(default)]
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

/// A channel as its organisation's administrators see it: never its secret, and its URL
/// with the query values hidden (robot URLs carry their token there).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: String,
    pub version: i64,
    pub name: String,
    /// email, generic, wecom, dingtalk or feishu
    pub kind: String,
    pub recipients: Vec<String>,
    pub url: Option<String>,
    /// `set` or `not set`.
    pub secret: String,
    pub events: Vec<String>,
    /// zh, en or both
    pub lang: String,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl ChannelView {
    fn of((r, c): &Channel) -> ChannelView {
        ChannelView {
            id: r.id.clone(),
            version: r.version,
            name: c.name.clone(),
            kind: c.kind.id().to_owned(),
            recipients: c.recipients.clone(),
            url: c.url_shown.clone(),
            secret: if c.secret_sealed.is_some() {
                "set"
            } else {
                "not set"
            }
            .to_owned(),
            events: c.events.iter().map(|e| e.id().to_owned()).collect(),
            lang: c.lang.id().to_owned(),
            enabled: c.enabled,
            created_at: r.created_at,
        }
    }
}

/// One notification of the delivery log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub channel_id: Option<String>,
    pub channel_name: String,
    pub channel_kind: String,
    /// notice, finding, assessment_expiry, matrix_row, exit_step, transition or test
    pub event: String,
    pub engagement_id: Option<String>,
    #[schema(value_type = Object)]
    pub title: notify::Bilingual,
    /// pending, delivered or failed
    pub state: String,
    pub attempts: i64,
    /// When a pending notification is tried next.
    pub next_attempt_at: Option<String>,
    /// The last attempt's error, cleaned of secrets.
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub history: Vec<notify::Attempt>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl DeliveryView {
    fn of(r: &Record) -> ApiResult<DeliveryView> {
        let d: DeliveryData = parse_data(r)?;
        Ok(DeliveryView {
            id: r.id.clone(),
            channel_id: r.parent_id.clone(),
            channel_name: d.channel_name,
            channel_kind: d.channel_kind.id().to_owned(),
            event: d.event.id().to_owned(),
            engagement_id: r.engagement_id.clone(),
            title: d.message.title,
            state: d.state.id().to_owned(),
            attempts: d.attempts,
            next_attempt_at: (d.state == notify::DeliveryState::Pending)
                .then_some(d.next_attempt_at),
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            history: d.history,
            created_at: r.created_at,
        })
    }
}

/// The caller's channel `id` (another organisation's is not found).
async fn channel_for(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<Channel> {
    let r = state
        .store
        .get_record("notification_channel", id)
        .await?
        .filter(|r| !r.data.get("removed").is_some_and(|v| v == true));
    let org = p.org.as_ref().map(|o| o.id.as_str());
    let rel = match &r {
        Some(r) => authz::organisation_rel(org, &r.owner_org_id),
        None => Rel::OtherOrganisation,
    };
    p.may(action, rel)?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let c = parse_data(&r)?;
    Ok((r, c))
}

/// The caller's organisation's channels.
pub async fn channels(state: &AppState, p: &Principal) -> ApiResult<Vec<ChannelView>> {
    p.may(Action::NotifyChannelList, Rel::Unscoped)?;
    let org = p.org()?;
    Ok(notify::channels_of(state, &org.id)
        .await?
        .iter()
        .map(ChannelView::of)
        .collect())
}

fn valid_url(url: &str) -> ApiResult<String> {
    let url = url.trim();
    let parsed: axum::http::Uri = url.parse().map_err(|_| bad("url", "api.bad_webhook_url"))?;
    let authority = parsed.authority().map(|a| a.as_str()).unwrap_or("");
    if !matches!(parsed.scheme_str(), Some("https" | "http"))
        || parsed.host().is_none_or(str::is_empty)
        || authority.contains('@')
        || url.chars().count() > 2000
    {
        return Err(bad("url", "api.bad_webhook_url"));
    }
    Ok(url.to_owned())
}

/// The settings of `input` checked, as stored: the URL and the secret sealed for `org`.
/// `before` is the channel changed (its URL and secret are kept unless replaced).
fn settings(
    state: &AppState,
    org: &str,
    input: &ChannelInput,
    before: Option<&ChannelData>,
) -> ApiResult<ChannelData> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("name", "api.bad_name"));
    }
    let kind = ChannelKind::parse(input.kind.trim()).ok_or_else(|| {
        bad("kind", "api.bad_channel_kind")
            .arg("value", &input.kind)
            .arg("accepted", ChannelKind::ALL.map(ChannelKind::id).join(", "))
    })?;
    let mut events = Vec::new();
    for e in &input.events {
        let e = EventKind::parse(e.trim()).ok_or_else(|| {
            bad("events", "api.bad_event")
                .arg("value", e)
                .arg("accepted", EventKind::ALL.map(EventKind::id).join(", "))
        })?;
        if !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err(bad("events", "api.no_events"));
    }
    events.sort();
    let lang = match input
        .lang
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        None => MessageLang::Both,
        Some(l) => MessageLang::parse(l).ok_or_else(|| {
            bad("lang", "api.bad_message_lang")
                .arg("value", l)
                .arg("accepted", "zh, en, both")
        })?,
    };
    let keyring = state.keyring().map_err(ApiError::internal_from)?;
    let seal = |v: &str| keyring.seal(org, v).map_err(ApiError::internal_from);
    let same_kind = before.filter(|b| b.kind == kind);
    let mut data = ChannelData {
        name: name.to_owned(),
        kind,
        recipients: Vec::new(),
        url_sealed: None,
        url_shown: None,
        secret_sealed: None,
        events,
        lang,
        enabled: input.enabled,
    };
    if kind == ChannelKind::Email {
        let mut recipients = Vec::new();
        for to in input
            .recipients
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if to.parse::<lettre::Address>().is_err() {
                return Err(bad("recipients", "api.bad_recipient").arg("value", to));
            }
            if !recipients.iter().any(|r: &String| r == to) {
                recipients.push(to.to_owned());
            }
        }
        if recipients.is_empty() || recipients.len() > 50 {
            return Err(bad("recipients", "api.no_recipients"));
        }
        data.recipients = recipients;
        if input.url.as_deref().is_some_and(|u| !u.trim().is_empty()) {
            return Err(bad("url", "api.email_has_no_url"));
        }
        return Ok(data);
    }
    match input.url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(url) => {
            let url = valid_url(url)?;
            data.url_shown = Some(notify::shown_url(&url));
            data.url_sealed = Some(seal(&url)?);
        }
        None => match before {
            Some(b) if b.url_sealed.is_some() => {
                data.url_sealed = b.url_sealed.clone();
                data.url_shown = b.url_shown.clone();
            }
            _ => return Err(bad("url", "api.bad_webhook_url")),
        },
    }
    match input.secret.as_deref() {
        Some("") => {}
        Some(secret) => {
            if !kind.signs() {
                return Err(bad("secret", "api.kind_does_not_sign").arg("kind", kind.id()));
            }
            if secret.chars().count() > 500 {
                return Err(bad("secret", "api.bad_secret"));
            }
            data.secret_sealed = Some(seal(secret)?);
        }
        None => {
            data.secret_sealed = same_kind
                .filter(|_| kind.signs())
                .and_then(|b| b.secret_sealed.clone());
        }
    }
    Ok(data)
}

/// A new channel of the caller's organisation.
pub async fn create_channel(
    state: &AppState,
    p: &Principal,
    input: ChannelInput,
) -> ApiResult<ChannelView> {
    p.may(Action::NotifyChannelCreate, Rel::Unscoped)?;
    let org = p.org()?;
    let data = settings(state, &org.id, &input, None)?;
    let r = state
        .store
        .create_record(
            &p.actor,
            NewRecord::new("notification_channel", org.id.clone(), to_value(&data)?),
        )
        .await?;
    Ok(ChannelView::of(&(r, data)))
}

/// New settings of channel `id`, if `version` is still its version.
pub async fn update_channel(
    state: &AppState,
    p: &Principal,
    id: &str,
    input: ChannelInput,
) -> ApiResult<ChannelView> {
    let (r, before) = channel_for(state, p, id, Action::NotifyChannelUpdate).await?;
    let data = settings(state, &r.owner_org_id, &input, Some(&before))?;
    let version = input.version.unwrap_or(r.version);
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at(&r.kind, &r.id, version, to_value(&data)?),
        )
        .await?;
    Ok(ChannelView::of(&(r, data)))
}

/// Removes channel `id`: it gets nothing more; its log stays.
pub async fn delete_channel(state: &AppState, p: &Principal, id: &str) -> ApiResult<()> {
    let (r, mut data) = channel_for(state, p, id, Action::NotifyChannelDelete).await?;
    data.enabled = false;
    let mut value = to_value(&data)?;
    value["removed"] = serde_json::Value::Bool(true);
    // The sealed URL and secret go with it.
    value["url_sealed"] = serde_json::Value::Null;
    value["secret_sealed"] = serde_json::Value::Null;
    state
        .store
        .update_record(&p.actor, RecordChange::of(&r, value))
        .await?;
    Ok(())
}

/// Sends a test message to channel `id` at once (one attempt) and answers how it went; the
/// test is in the delivery log too.
pub async fn test_channel(state: &AppState, p: &Principal, id: &str) -> ApiResult<DeliveryView> {
    let channel = channel_for(state, p, id, Action::NotifyChannelTest).await?;
    let new = notify::test_delivery(state, &channel)?;
    let r = state.store.create_record(&p.actor, new).await?;
    notify::attempt(state, &r, chrono::Utc::now()).await?;
    let r = state
        .store
        .get_record("notification", &r.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    DeliveryView::of(&r)
}

/// The caller's organisation's notifications, newest first (at most `limit`, 1–500).
pub async fn deliveries(
    state: &AppState,
    p: &Principal,
    limit: Option<i64>,
) -> ApiResult<Vec<DeliveryView>> {
    p.may(Action::NotifyDeliveryList, Rel::Unscoped)?;
    let org = p.org()?;
    let limit = limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit", "api.bad_notification_limit"));
    }
    state
        .store
        .notification_log(&org.id, limit)
        .await?
        .iter()
        .map(DeliveryView::of)
        .collect()
}
