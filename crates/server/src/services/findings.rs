//! Findings tracked across scans: a page of an engagement's findings, and the actions on
//! one (assign, accept with a reason until a date, report fixed). The rules of a
//! finding's life are the domain's (`workflow::change_finding`).

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::workflow::{self as rules, FindingChange, FindingRefusal, FindingState};
use cloudward_store::{AssigneeFilter, FindingFilter, Record, RecordChange, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::support::{acting, parse_data, to_value};
use crate::supervision::{FindingData, FindingQuery};

/// A finding as tracked, with its version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    pub id: String,
    pub version: i64,
    pub finding: FindingData,
}

fn view(r: &Record) -> ApiResult<FindingView> {
    Ok(FindingView {
        id: r.id.clone(),
        version: r.version,
        finding: parse_data(r)?,
    })
}

/// A page of findings.
#[derive(Debug, Clone)]
pub struct FindingPage {
    pub items: Vec<FindingView>,
    /// How many match the filters, on all pages.
    pub total: usize,
    /// When the page is full: the cursor (`after`) of the next one.
    pub next: Option<String>,
}

/// A page of the engagement's findings that match the query, and how many match in all.
/// An unknown state is 400; so is a page size outside 1–1000, a cursor that is no finding
/// of the engagement, and a cursor given with an offset.
pub async fn page(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: &FindingQuery,
) -> ApiResult<FindingPage> {
    let e = crate::services::engagements::engagement(state, p, id, Action::FindingList).await?;
    if q.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
        return Err(ApiError::bad_request("api.bad_limit"));
    }
    let wanted = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            FindingState::parse(s)
                .ok_or_else(|| ApiError::bad_request("api.bad_finding_state").arg("state", s))?,
        ),
    };
    let assignee = match q.assignee.as_deref() {
        None | Some("") => AssigneeFilter::Any,
        Some("-") => AssigneeFilter::Nobody,
        Some(a) => AssigneeFilter::Is(a.to_owned()),
    };
    let filter = FindingFilter {
        state: wanted.map(|s| s.id().to_owned()),
        assignee,
        limit: q.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
        offset: q.offset.map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX)),
        after: q.after.clone().filter(|a| !a.is_empty()),
    };
    if filter.after.is_some() && filter.offset > 0 {
        return Err(ApiError::bad_request("api.cursor_and_offset"));
    }
    let (list, total) = match state.store.list_findings(&e.id, &filter).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::bad_request("api.bad_cursor")
                .arg("value", filter.after.unwrap_or_default()));
        }
        other => other?,
    };
    let items = list.iter().map(view).collect::<ApiResult<Vec<_>>>()?;
    let full = filter
        .limit
        .is_some_and(|l| usize::try_from(l).is_ok_and(|l| l == items.len()));
    let next = if full {
        items.last().map(|f| f.id.clone())
    } else {
        None
    };
    Ok(FindingPage {
        items,
        total: usize::try_from(total).unwrap_or(0),
        next,
    })
}

/// What to do with a finding.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "action")]
pub enum FindingAction {
    Assign {
        version: i64,
        assignee: String,
    },
    Accept {
        version: i64,
        reason: String,
        #[schema(value_type = String)]
        until: NaiveDate,
    },
    Fix {
        version: i64,
    },
}

/// Acts on finding `finding` of engagement `id`. A closed finding is final (409);
/// accepting needs a reason and a date after today (400).
pub async fn act(
    state: &AppState,
    p: &Principal,
    id: &str,
    finding: &str,
    action: FindingAction,
) -> ApiResult<FindingView> {
    let (e, _) = acting(state, p, id, Action::FindingAct).await?;
    let r = state
        .store
        .get_record("finding", finding)
        .await?
        .filter(|r| r.engagement_id.as_deref() == Some(e.id.as_str()))
        .ok_or_else(ApiError::not_found)?;
    let mut f: FindingData = parse_data(&r)?;
    let change = match &action {
        FindingAction::Assign { .. } => FindingChange::Assign,
        FindingAction::Accept { reason, until, .. } => FindingChange::Accept {
            reason: reason.clone(),
            until: *until,
        },
        FindingAction::Fix { .. } => FindingChange::Fix,
    };
    f.state = rules::change_finding(f.state, &change, chrono::Utc::now().date_naive()).map_err(
        |refusal| match refusal {
            FindingRefusal::Closed => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "api.finding_closed")
            }
            FindingRefusal::AcceptanceWithoutReason => {
                ApiError::bad_request("api.accept_needs_reason").arg("field", "reason")
            }
            FindingRefusal::AcceptanceNotInFuture => {
                ApiError::bad_request("api.accept_needs_future").arg("field", "until")
            }
        },
    )?;
    let version = match action {
        FindingAction::Assign { version, assignee } => {
            f.assignee = Some(assignee);
            version
        }
        FindingAction::Accept {
            version,
            reason,
            until,
        } => {
            f.accepted_reason = Some(reason);
            f.accepted_until = Some(until);
            version
        }
        FindingAction::Fix { version } => version,
    };
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at("finding", &r.id, version, to_value(&f)?),
        )
        .await?;
    view(&r)
}
