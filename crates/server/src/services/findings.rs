//! Findings tracked across scans: a page of an engagement's findings, and the actions on
//! one (assign, accept with a reason until a date, report fixed). The rules of a
//! finding's life are the domain's (`workflow::change_finding`).

use axum::http::StatusCode;
use chrono::NaiveDate;
use cloudward_domain::workflow::{self as rules, FindingChange, FindingRefusal, FindingState};
use cloudward_store::{
    AssigneeFilter, FindingFacet, FindingFilter, FindingOrder, Record, RecordChange, StoreError,
};
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
    /// How many match the filters, on all pages; not counted again on a cursor page.
    pub total: Option<usize>,
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
    page_as(state, p, id, q, Action::FindingList)
        .await
        .map(|(_, page)| page)
}

async fn page_as(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: &FindingQuery,
    action: Action,
) -> ApiResult<(cloudward_store::Engagement, FindingPage)> {
    let e = crate::services::engagements::engagement(state, p, id, action).await?;
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
    let closed = match q.view.as_deref() {
        None | Some("" | "all") => None,
        Some("current") => Some(false),
        Some("closed") => Some(true),
        Some(other) => {
            return Err(ApiError::bad_request("api.bad_filter")
                .arg("name", "view")
                .arg("value", other)
                .arg("accepted", "current, closed, all"));
        }
    };
    let severity = match q.severity.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if cloudward_store::SEVERITIES.contains(&s) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request("api.bad_filter")
                .arg("name", "severity")
                .arg("value", other)
                .arg("accepted", cloudward_store::SEVERITIES.join(", ")));
        }
    };
    let order = match q.sort.as_deref() {
        None | Some("" | "recorded") => FindingOrder::Recorded,
        Some("severity") => FindingOrder::Severity,
        Some(other) => {
            return Err(ApiError::bad_request("api.bad_filter")
                .arg("name", "sort")
                .arg("value", other)
                .arg("accepted", "severity, recorded"));
        }
    };
    let filter = FindingFilter {
        state: wanted.map(|s| s.id().to_owned()),
        closed,
        severity,
        rule: q.rule.clone().filter(|r| !r.is_empty()),
        order,
        assignee,
        limit: q.limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX)),
        offset: q.offset.map_or(0, |o| i64::try_from(o).unwrap_or(i64::MAX)),
        after: q.after.clone().filter(|a| !a.is_empty()),
        count: false,
    };
    // The first page and offset pages say how many match in all; a cursor page does not
    // count again (the client has the total from the first page).
    let filter = FindingFilter {
        count: filter.after.is_none(),
        ..filter
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
    Ok((
        e,
        FindingPage {
            items,
            total: total.map(|t| usize::try_from(t).unwrap_or(0)),
            next,
        },
    ))
}

/// The engagement's findings that match the query (all of them, not a page) as a table
/// for Excel users: XLSX or CSV (UTF-8 with a byte-order mark), every value in words in
/// the reader's language. Returns a readable file name, the format and the bytes.
pub async fn export(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: &FindingQuery,
    lang: cloudward_domain::Lang,
) -> ApiResult<(String, cloudward_report::Format, Vec<u8>)> {
    let format = crate::services::support::table_format(q.format.as_deref())?;
    let all = FindingQuery {
        limit: None,
        offset: None,
        after: None,
        ..q.clone()
    };
    let (e, page) = page_as(state, p, id, &all, Action::FindingExport).await?;
    let t = |k: &str| state.messages.text(k, lang);
    let rules = crate::scanning::builtin_rule_words();
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let f = &v.finding;
            let place = match (f.file.is_empty(), f.line) {
                (true, _) => String::new(),
                (false, 0) => f.file.clone(),
                (false, l) => format!("{}:{l}", f.file),
            };
            vec![
                (n + 1).to_string(),
                t(&format!("severity.{}", f.severity)),
                rules
                    .get(&f.rule_id)
                    .map(|r| r.title.get(lang).to_owned())
                    .unwrap_or_else(|| f.message.clone()),
                f.address.clone(),
                place,
                t(&format!("ui.finding_state.{}", f.state.id())),
                f.assignee.clone().unwrap_or_default(),
                f.first_seen.get(..10).unwrap_or(&f.first_seen).to_owned(),
                f.accepted_reason.clone().unwrap_or_default(),
                f.accepted_until.map(|d| d.to_string()).unwrap_or_default(),
                f.controls
                    .iter()
                    .map(|c| match state.content.catalog.control(c) {
                        Some(k) => format!("{} {}", k.id, k.title.get(lang)),
                        None => c.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]
        })
        .collect();
    let date = crate::services::support::today().to_string();
    let title = t("export.findings.title");
    let bytes = cloudward_report::tables::export(
        cloudward_report::tables::Export {
            title: &title,
            subject: &e.name,
            about: vec![
                (t("export.findings.count"), rows.len().to_string()),
                (t("export.date"), date.clone()),
            ],
            columns: [
                "doc.c.no",
                "doc.c.severity",
                "doc.c.rule",
                "doc.c.resource",
                "doc.c.place",
                "doc.c.state",
                "export.c.assignee",
                "doc.c.first_seen",
                "doc.c.reason",
                "doc.c.accepted_until",
                "export.c.controls",
            ]
            .iter()
            .map(|k| t(k))
            .collect(),
            widths: vec![1, 2, 6, 5, 4, 2, 2, 2, 4, 2, 5],
            rows,
            date: &date,
        },
        format,
    )
    .map_err(ApiError::internal_from)?;
    let clean: String = e
        .name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    Ok((
        format!("{title}-{clean}-{date}.{}", format.extension()),
        format,
        bytes,
    ))
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

/// What to do with several findings (each named with the version it was read at).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAction {
    pub findings: Vec<FindingAt>,
    pub change: BulkChange,
}

/// A finding and the version it was read at.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingAt {
    pub id: String,
    pub version: i64,
}

/// The change a bulk action makes to each finding.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case", tag = "action")]
pub enum BulkChange {
    Assign {
        assignee: String,
    },
    Accept {
        reason: String,
        #[schema(value_type = String)]
        until: NaiveDate,
    },
    Fix,
}

impl FindingAction {
    fn version(&self) -> i64 {
        match self {
            FindingAction::Assign { version, .. }
            | FindingAction::Accept { version, .. }
            | FindingAction::Fix { version } => *version,
        }
    }

    fn at(change: &BulkChange, version: i64) -> FindingAction {
        match change {
            BulkChange::Assign { assignee } => FindingAction::Assign {
                version,
                assignee: assignee.clone(),
            },
            BulkChange::Accept { reason, until } => FindingAction::Accept {
                version,
                reason: reason.clone(),
                until: *until,
            },
            BulkChange::Fix => FindingAction::Fix { version },
        }
    }
}

/// The most findings one bulk action changes.
pub const BULK_LIMIT: usize = 1000;

/// Applies `action` to a finding as the domain's rules allow; a refusal names the finding.
fn apply(f: &mut FindingData, action: &FindingAction, finding: &str) -> ApiResult<()> {
    let change = match action {
        FindingAction::Assign { .. } => FindingChange::Assign,
        FindingAction::Accept { reason, until, .. } => FindingChange::Accept {
            reason: reason.clone(),
            until: *until,
        },
        FindingAction::Fix { .. } => FindingChange::Fix,
    };
    f.state = rules::change_finding(f.state, &change, chrono::Utc::now().date_naive()).map_err(
        |refusal| {
            match refusal {
                FindingRefusal::Closed => {
                    ApiError::new(StatusCode::CONFLICT, "conflict", "api.finding_closed")
                }
                FindingRefusal::AcceptanceWithoutReason => {
                    ApiError::bad_request("api.accept_needs_reason").arg("field", "reason")
                }
                FindingRefusal::AcceptanceNotInFuture => {
                    ApiError::bad_request("api.accept_needs_future").arg("field", "until")
                }
            }
            .arg("finding", finding)
        },
    )?;
    match action {
        FindingAction::Assign { assignee, .. } => {
            if assignee.trim().is_empty() {
                return Err(ApiError::bad_request("api.assignee_required")
                    .arg("field", "assignee")
                    .arg("finding", finding));
            }
            f.assignee = Some(assignee.trim().to_owned());
        }
        FindingAction::Accept { reason, until, .. } => {
            f.accepted_reason = Some(reason.clone());
            f.accepted_until = Some(*until);
        }
        FindingAction::Fix { .. } => {}
    }
    Ok(())
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
    apply(&mut f, &action, &r.id)?;
    let r = state
        .store
        .update_record(
            &p.actor,
            RecordChange::at("finding", &r.id, action.version(), to_value(&f)?),
        )
        .await?;
    view(&r)
}

/// Acts on several findings of engagement `id` in one transaction (each audited): every
/// finding takes the change, or none does. The first that refuses it names itself in the
/// error (`finding`).
pub async fn act_all(
    state: &AppState,
    p: &Principal,
    id: &str,
    bulk: BulkAction,
) -> ApiResult<Vec<FindingView>> {
    let (e, _) = acting(state, p, id, Action::FindingBulk).await?;
    if bulk.findings.is_empty() {
        return Err(ApiError::bad_request("api.bulk_none"));
    }
    if bulk.findings.len() > BULK_LIMIT {
        return Err(ApiError::bad_request("api.bulk_too_many").arg("limit", BULK_LIMIT));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut changes = Vec::with_capacity(bulk.findings.len());
    for at in &bulk.findings {
        if !seen.insert(at.id.as_str()) {
            return Err(ApiError::bad_request("api.bulk_twice").arg("finding", &at.id));
        }
        let r = state
            .store
            .get_record("finding", &at.id)
            .await?
            .filter(|r| r.engagement_id.as_deref() == Some(e.id.as_str()))
            .ok_or_else(|| ApiError::not_found().arg("finding", &at.id))?;
        let mut f: FindingData = parse_data(&r)?;
        let action = FindingAction::at(&bulk.change, at.version);
        apply(&mut f, &action, &r.id)?;
        changes.push(RecordChange::at(
            "finding",
            &r.id,
            at.version,
            to_value(&f)?,
        ));
    }
    let records = state
        .store
        .apply_records(&p.actor, Vec::new(), changes)
        .await?;
    records.iter().map(view).collect()
}

/// What the filters of the findings list can offer: each rule with its severity and how
/// many of its findings are in each state.
pub async fn facets(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<FindingFacet>> {
    let e = crate::services::engagements::engagement(state, p, id, Action::FindingList).await?;
    Ok(state.store.finding_facets(&e.id).await?)
}
