//! Posture: what the scan runs of an engagement say, per control and per family, and how
//! it went over time.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cloudward_domain::workflow::{self as rules, NoticeKind, Validity};
use cloudward_store::{Engagement, RecordFilter};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::ApiResult;
use crate::services::assessments::AssessmentData;
use crate::services::lifecycle::UseData;
use crate::services::notices::NoticeData;
use crate::services::notices::stored_time;
use crate::services::scans::visible_run;
use crate::services::support::{parse_data, today};
use crate::supervision::RunData;

/// A stored scan run: its summary and what it did to tracked findings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    pub engagement_id: Option<String>,
    pub run: RunData,
}

/// One run on the trend.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    pub id: String,
    pub at: String,
    /// upload or server
    pub source: String,
    pub failed: i64,
    pub passed: i64,
    /// How many controls failed, and passed.
    pub controls_failed: usize,
    pub controls_passed: usize,
    pub opened: usize,
    pub reopened: usize,
    pub closed: usize,
    /// Failing findings of the run by severity (critical, high, medium, low).
    pub by_severity: BTreeMap<String, i64>,
}

/// How long findings took to be fixed: from first seen to the scan that closed them.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TimeToFix {
    /// How many findings were closed, and the median of their days to fix.
    pub closed: usize,
    pub median_days: Option<f64>,
    /// Per month of closing (YYYY-MM), oldest first.
    pub by_month: Vec<MonthToFix>,
    /// Per severity: (closed, median days).
    pub by_severity: BTreeMap<String, (usize, f64)>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthToFix {
    pub month: String,
    pub closed: usize,
    pub median_days: f64,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    })
}

/// The time to fix of an engagement's closed findings. A finding is closed by a scan in
/// which it no longer fails; its history names that scan by its time (`run@<time>`).
pub async fn time_to_fix(state: &AppState, e: &Engagement) -> ApiResult<TimeToFix> {
    let (closed, _) = state
        .store
        .list_findings(
            &e.id,
            &cloudward_store::FindingFilter {
                closed: Some(true),
                ..Default::default()
            },
        )
        .await?;
    let mut days: Vec<(String, String, f64)> = Vec::new();
    for r in closed {
        let Ok(f) = serde_json::from_value::<crate::supervision::FindingData>(r.data) else {
            continue;
        };
        let Some(first) = cloudward_store::parse_stamp(&f.first_seen) else {
            continue;
        };
        let at = f
            .history
            .iter()
            .rev()
            .find(|(_, what)| what == "closed")
            .and_then(|(run, _)| run.strip_prefix("run@"))
            .and_then(cloudward_store::parse_stamp);
        let Some(at) = at else { continue };
        let d = (at - first).num_seconds().max(0) as f64 / 86_400.0;
        days.push((at.format("%Y-%m").to_string(), f.severity, d));
    }
    let mut by_month: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut by_severity: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (month, severity, d) in &days {
        by_month.entry(month.clone()).or_default().push(*d);
        by_severity.entry(severity.clone()).or_default().push(*d);
    }
    Ok(TimeToFix {
        closed: days.len(),
        median_days: median(days.iter().map(|(_, _, d)| *d).collect()),
        by_month: by_month
            .into_iter()
            .filter_map(|(month, v)| {
                let closed = v.len();
                median(v).map(|median_days| MonthToFix {
                    month,
                    closed,
                    median_days,
                })
            })
            .collect(),
        by_severity: by_severity
            .into_iter()
            .filter_map(|(s, v)| {
                let n = v.len();
                median(v).map(|m| (s, (n, m)))
            })
            .collect(),
    })
}

/// The posture of an engagement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostureView {
    /// The latest run, if any.
    pub latest_run: Option<String>,
    /// control id → failed, passed or not_evaluated, in the latest run.
    pub controls: Option<BTreeMap<String, String>>,
    /// family → {failed, passed, not_evaluated} → controls, in the latest run.
    pub by_family: Option<BTreeMap<String, BTreeMap<String, usize>>>,
    /// Tracked findings per state (open, accepted, fixed, closed).
    pub findings: BTreeMap<String, usize>,
    pub trend: Vec<TrendPoint>,
    pub time_to_fix: TimeToFix,
}

/// The runs of an engagement the caller has loaded, oldest first.
pub async fn runs_of(state: &AppState, e: &Engagement) -> ApiResult<Vec<RunView>> {
    state
        .store
        .list_records("scan_run", &RecordFilter::engagement(&e.id))
        .await?
        .iter()
        .map(|r| {
            Ok(RunView {
                id: r.id.clone(),
                engagement_id: r.engagement_id.clone(),
                run: parse_data(r)?,
            })
        })
        .collect()
}

/// How many tracked findings an engagement the caller has loaded has in each state.
pub async fn finding_counts(
    state: &AppState,
    e: &Engagement,
) -> ApiResult<BTreeMap<String, usize>> {
    Ok(state
        .store
        .count_findings(&e.id)
        .await?
        .into_iter()
        .map(|(s, n)| (s, usize::try_from(n).unwrap_or(0)))
        .collect())
}

/// What an overview shows of one engagement: its tracked findings per state and its
/// latest runs, oldest first.
#[derive(Debug, Clone, Default)]
pub struct EngagementPosture {
    pub findings: BTreeMap<String, usize>,
    pub runs: Vec<RunView>,
}

/// The findings per state and the last `runs` runs of engagements the caller has loaded
/// (a list it may see), in two queries whatever their number: the dashboard's source.
pub async fn portfolio(
    state: &AppState,
    engagements: &[Engagement],
    runs: i64,
) -> ApiResult<BTreeMap<String, EngagementPosture>> {
    let ids: Vec<String> = engagements.iter().map(|e| e.id.clone()).collect();
    let mut out: BTreeMap<String, EngagementPosture> = ids
        .iter()
        .map(|id| (id.clone(), EngagementPosture::default()))
        .collect();
    for (e, s, n) in state.store.count_findings_of(&ids).await? {
        if let Some(p) = out.get_mut(&e) {
            p.findings.insert(s, usize::try_from(n).unwrap_or(0));
        }
    }
    for r in state.store.recent_runs(&ids, runs).await? {
        let Some(p) = r.engagement_id.as_ref().and_then(|e| out.get_mut(e)) else {
            continue;
        };
        p.runs.push(RunView {
            id: r.id.clone(),
            engagement_id: r.engagement_id.clone(),
            run: parse_data(&r)?,
        });
    }
    Ok(out)
}

/// One scan run, if the caller sees its engagement.
pub async fn run(state: &AppState, p: &Principal, id: &str) -> ApiResult<RunView> {
    let (r, run) = visible_run(state, p, id, Action::ScanRunRead).await?;
    Ok(RunView {
        id: r.id,
        engagement_id: r.engagement_id,
        run,
    })
}

/// The catalog family of a control (its prefix, for one the catalog does not know).
fn family(state: &AppState, control: &str) -> String {
    state
        .content
        .catalog
        .control(control)
        .map(|c| c.family.clone())
        .unwrap_or_else(|| control.split('-').next().unwrap_or(control).to_owned())
}

/// The posture of engagement `id`.
pub async fn posture(state: &AppState, p: &Principal, id: &str) -> ApiResult<PostureView> {
    let e = crate::services::engagements::engagement(state, p, id, Action::Posture).await?;
    let runs = runs_of(state, &e).await?;
    let trend = runs
        .iter()
        .map(|r| TrendPoint {
            id: r.id.clone(),
            at: r.run.at.clone(),
            source: r.run.source.clone(),
            failed: r.run.failed,
            passed: r.run.passed,
            controls_failed: r.run.controls_failed.len(),
            controls_passed: r.run.controls_passed.len(),
            opened: r.run.opened,
            reopened: r.run.reopened,
            closed: r.run.closed,
            by_severity: r.run.by_severity.clone(),
        })
        .collect();
    let findings = finding_counts(state, &e).await?;
    let time_to_fix = time_to_fix(state, &e).await?;
    let latest = runs.last();
    let lists = |run: &RunData| {
        [
            (run.controls_not_evaluated.clone(), "not_evaluated"),
            (run.controls_passed.clone(), "passed"),
            (run.controls_failed.clone(), "failed"),
        ]
    };
    let controls = latest.map(|r| {
        // Failed wins over passed over not evaluated, for a control listed twice.
        let mut m = BTreeMap::new();
        for (list, what) in lists(&r.run) {
            for c in list {
                m.insert(c, what.to_owned());
            }
        }
        m
    });
    let by_family = latest.map(|r| {
        let mut fam: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for (list, what) in lists(&r.run) {
            for c in list {
                *fam.entry(family(state, &c))
                    .or_default()
                    .entry(what.to_owned())
                    .or_default() += 1;
            }
        }
        fam
    });
    Ok(PostureView {
        latest_run: latest.map(|r| r.id.clone()),
        controls,
        by_family,
        findings,
        trend,
        time_to_fix,
    })
}

/// A supervision alert.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Alert {
    /// assessment-expired-in-use, assessment-not-yet-valid, assessment-expiring,
    /// offering-unassessed or notice-overdue
    pub code: String,
    /// blocker or warning
    pub severity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub valid_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_due: Option<String>,
    /// change or incident
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<NoticeKind>,
}

/// The alerts of engagement `id` as of `date` (today by default): its assessment expired,
/// expiring or not yet valid while the engagement relies on it (the same rule as `check`
/// and the dashboard), an offering in use without an assessment, and notices not
/// acknowledged in time (as of the end of `date`, else now).
pub async fn alerts(
    state: &AppState,
    p: &Principal,
    id: &str,
    date: Option<NaiveDate>,
) -> ApiResult<Vec<Alert>> {
    let e = crate::services::engagements::engagement(state, p, id, Action::Alerts).await?;
    let day = date.unwrap_or_else(today);
    let mut out = Vec::new();
    let in_use = rules::relies_on_assessment(e.phase);
    let uses = state
        .store
        .list_records("offering_use", &RecordFilter::engagement(&e.id))
        .await?;
    if let Some(u) = uses.first() {
        let u: UseData = parse_data(u)?;
        let conclusion = match &u.assessment_id {
            Some(aid) => match state.store.get_record("assessment", aid).await? {
                Some(r) => parse_data::<AssessmentData>(&r)?.conclusion,
                None => None,
            },
            None => None,
        };
        let alert = |code: &str, severity: &str| Alert {
            code: code.to_owned(),
            severity: severity.to_owned(),
            assessment_id: u.assessment_id.clone(),
            ..Alert::default()
        };
        match conclusion {
            Some(c) if in_use => match rules::validity(c.date, c.valid_until, day) {
                Validity::Expired => out.push(Alert {
                    valid_until: Some(c.valid_until),
                    ..alert("assessment-expired-in-use", "blocker")
                }),
                Validity::NotYetValid => out.push(Alert {
                    valid_from: Some(c.date),
                    ..alert("assessment-not-yet-valid", "blocker")
                }),
                Validity::Expiring { days_left } => out.push(Alert {
                    valid_until: Some(c.valid_until),
                    days_left: Some(days_left),
                    ..alert("assessment-expiring", "warning")
                }),
                Validity::Valid { .. } => {}
            },
            None if in_use => out.push(Alert {
                assessment_id: None,
                ..alert("offering-unassessed", "blocker")
            }),
            _ => {}
        }
    }
    let now = match date {
        Some(_) => day
            .and_hms_milli_opt(23, 59, 59, 999)
            .map_or_else(chrono::Utc::now, |t| t.and_utc()),
        None => chrono::Utc::now(),
    };
    for r in state
        .store
        .list_records("notice", &RecordFilter::engagement(&e.id))
        .await?
    {
        let n: NoticeData = parse_data(&r)?;
        if rules::notice_overdue(stored_time(&n.ack_due)?, n.acknowledged_at.is_some(), now) {
            out.push(Alert {
                code: "notice-overdue".into(),
                severity: "warning".into(),
                notice_id: Some(r.id.clone()),
                ack_due: Some(n.ack_due.clone()),
                kind: Some(n.kind),
                ..Alert::default()
            });
        }
    }
    Ok(out)
}

/// The period of a supervision report: `to` (the date by default), `from` (89 days
/// before `to` by default, so a quarter); a period that ends before it begins is refused.
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    date: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(date);
    let from = from.unwrap_or(to - chrono::Duration::days(89));
    if to < from {
        return Err(crate::services::support::invalid("api.dates_reversed").arg("field", "to"));
    }
    Ok((from, to))
}

/// What the server holds of the supervision of engagement `e` (loaded by the caller)
/// from `from` to `to`, both days included: the runs of the period, the findings not
/// closed, and the provider's notices made or due in the period.
pub async fn supervision_data(
    state: &AppState,
    e: &Engagement,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<cloudward_report::supervision::SupervisionData> {
    use cloudward_report::supervision::{NoticeItem, ScanPoint, SupervisionData, TrackedFinding};
    let in_period = |at: &str| {
        at.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .is_some_and(|d| from <= d && d <= to)
    };
    let scans = runs_of(state, e)
        .await?
        .into_iter()
        .filter(|r| in_period(&r.run.at))
        .map(|r| ScanPoint {
            id: r.id,
            at: r.run.at,
            source: r.run.source,
            resources: r.run.resources,
            failed: r.run.failed,
            passed: r.run.passed,
            by_severity: r.run.by_severity,
            controls_failed: r.run.controls_failed,
            controls_passed: r.run.controls_passed,
            controls_not_evaluated: r.run.controls_not_evaluated,
            opened: r.run.opened,
            reopened: r.run.reopened,
            closed: r.run.closed,
        })
        .collect();
    let (open, _) = state
        .store
        .list_findings(
            &e.id,
            &cloudward_store::FindingFilter {
                closed: Some(false),
                ..Default::default()
            },
        )
        .await?;
    let mut findings = Vec::new();
    for r in open {
        let f: crate::supervision::FindingData = parse_data(&r)?;
        findings.push(TrackedFinding {
            rule_id: f.rule_id,
            severity: f.severity,
            address: f.address,
            file: f.file,
            line: f.line,
            state: f.state.id().to_owned(),
            message: f.message,
            first_seen: f.first_seen,
            accepted_reason: f.accepted_reason,
            accepted_until: f.accepted_until,
        });
    }
    let mut notices = Vec::new();
    for r in state
        .store
        .list_records("notice", &RecordFilter::engagement(&e.id))
        .await?
    {
        let n: NoticeData = parse_data(&r)?;
        if in_period(&n.created_at) || in_period(&n.ack_due) {
            notices.push(NoticeItem {
                kind: match n.kind {
                    NoticeKind::Change => "change".into(),
                    NoticeKind::Incident => "incident".into(),
                },
                title: n.title,
                created_at: n.created_at,
                ack_due: n.ack_due,
                acknowledged_at: n.acknowledged_at,
            });
        }
    }
    Ok(SupervisionData {
        from,
        to,
        scans,
        findings,
        notices,
    })
}

/// The supervision of engagement `id` over a period, as the supervision report and
/// `cloudward report supervision-report --supervision` read it.
pub async fn supervision(
    state: &AppState,
    p: &Principal,
    id: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<cloudward_report::supervision::SupervisionData> {
    let e = crate::services::engagements::engagement(state, p, id, Action::Supervision).await?;
    let (from, to) = period(from, to, today())?;
    supervision_data(state, &e, from, to).await
}
