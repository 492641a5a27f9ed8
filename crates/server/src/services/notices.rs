//! Notices: the provider's change notifications and incident reports on an engagement, and
//! the customer's acknowledgements (deadlines are the domain's rule).

use cloudward_domain::workflow::{self, NoticeKind};
use cloudward_store::{NewRecord, RecordChange, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::export_text;
use crate::services::support::{acting, parse_data, to_value};

/// A notice to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNotice {
    /// change or incident
    #[schema(value_type = String)]
    pub kind: NoticeKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// A notice as stored, with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub version: i64,
    pub notice: NoticeData,
}

/// An acknowledged notice, and whether the acknowledgement came after the deadline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AckView {
    pub id: String,
    pub version: i64,
    pub notice: NoticeData,
    pub late: bool,
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A time the server stored (RFC 3339).
pub(crate) fn stored_time(t: &str) -> ApiResult<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(ApiError::internal_from)
}

/// The provider records a notice; the customer has the contract's hours (or the server's
/// default) to acknowledge it.
pub async fn raise(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
    new: NewNotice,
) -> ApiResult<NoticeView> {
    let (e, _) = acting(state, p, engagement_id, Action::NoticeCreate).await?;
    // A title says what happened in a line: 1–200 characters.
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::bad_request("api.bad_name").arg("field", "title"));
    }
    let now = chrono::Utc::now();
    let (file, _) = export_text(&e)?;
    let sla = file.provider.as_ref().and_then(|p| p.sla.as_ref());
    let hours = workflow::ack_hours(new.kind, sla, state.config.ack_hours(new.kind));
    let data = NoticeData {
        kind: new.kind,
        title: new.title,
        description: new.description,
        created_at: time(now),
        ack_due: time(workflow::ack_deadline(now, hours)),
        acknowledged_at: None,
        acknowledged_by: None,
    };
    // The customer is told in the same transaction.
    let id = cloudward_store::new_id();
    let event =
        crate::notify::events::notice(state, &e, &id, data.kind, &data.title, &data.ack_due);
    let mut creates = vec![
        NewRecord::new("notice", p.org()?.id.clone(), to_value(&data)?)
            .with_id(id)
            .of_engagement(e.id.clone()),
    ];
    creates.extend(crate::notify::outbox(state, &event, false).await?);
    let r = state
        .store
        .apply_records(&p.actor, creates, Vec::new())
        .await?
        .into_iter()
        .next()
        .ok_or_else(ApiError::internal)?;
    // In operation, the provider's notices are the change notices and incident reports.
    let output = match data.kind {
        workflow::NoticeKind::Change => "change-notices",
        workflow::NoticeKind::Incident => "incident-reports",
    };
    crate::services::records::record_held(
        state,
        p,
        &e.id,
        Some(cloudward_domain::engagement::Phase::Operation),
        output,
        format!("cloudward:notices/{}", e.id),
    )
    .await?;
    Ok(NoticeView {
        id: r.id,
        version: r.version,
        notice: data,
    })
}

/// The notices of an engagement, oldest first.
pub async fn list(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
) -> ApiResult<Vec<NoticeView>> {
    let e = crate::services::engagements::engagement(state, p, engagement_id, Action::NoticeList)
        .await?;
    state
        .store
        .list_records("notice", &RecordFilter::engagement(&e.id))
        .await?
        .iter()
        .map(|r| {
            Ok(NoticeView {
                id: r.id.clone(),
                version: r.version,
                notice: parse_data(r)?,
            })
        })
        .collect()
}

/// The customer acknowledges a notice (once: 409 after); an acknowledgement after the
/// deadline is kept as late.
pub async fn acknowledge(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
    notice_id: &str,
) -> ApiResult<AckView> {
    let (e, _) = acting(state, p, engagement_id, Action::NoticeAck).await?;
    let r = state
        .store
        .get_record("notice", notice_id)
        .await?
        .filter(|r| r.engagement_id.as_deref() == Some(e.id.as_str()))
        .ok_or_else(ApiError::not_found)?;
    let mut n: NoticeData = parse_data(&r)?;
    if n.acknowledged_at.is_some() {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "conflict",
            "api.already_acknowledged",
        ));
    }
    let at = chrono::Utc::now();
    let late = workflow::acknowledged_late(stored_time(&n.ack_due)?, at);
    n.acknowledged_at = Some(time(at));
    n.acknowledged_by = Some(p.actor.id.clone());
    let r = state
        .store
        .update_record(&p.actor, RecordChange::of(&r, to_value(&n)?))
        .await?;
    // An acknowledged notice is a record of supervising the provider.
    crate::services::records::record_held(
        state,
        p,
        &e.id,
        Some(cloudward_domain::engagement::Phase::Operation),
        "supervision-records",
        format!("cloudward:notices/{}", e.id),
    )
    .await?;
    Ok(AckView {
        id: r.id,
        version: r.version,
        notice: n,
        late,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeData {
    /// change or incident
    #[schema(value_type = String)]
    pub kind: NoticeKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub created_at: String,
    /// The customer acknowledges by then.
    pub ack_due: String,
    #[serde(default)]
    pub acknowledged_at: Option<String>,
    #[serde(default)]
    pub acknowledged_by: Option<String>,
}
