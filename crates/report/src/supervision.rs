//! The supervision report (运行监管报告) of an engagement for a period: the posture per
//! control family at the period's last scan, the trend of failing findings by severity,
//! the findings still open and those accepted with their expiry, the provider's notices
//! and whether they were acknowledged in time, and every scan of the period.
//!
//! Its data is [`SupervisionData`]: what the server holds of the engagement's supervision
//! over the period, the shape `GET /api/v1/engagements/{id}/supervision` answers and
//! `cloudward report supervision-report --supervision FILE` reads.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use cloudward_domain::Lang;
use serde::{Deserialize, Serialize};

use crate::build::{Words, facts, note, table};
use crate::model::{Bar, Block, Series};
use crate::subjects::RuleWords;

/// What the server holds of an engagement's supervision over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SupervisionData {
    /// The first and the last day of the period, both included.
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// The scans of the period, oldest first.
    #[serde(default)]
    pub scans: Vec<ScanPoint>,
    /// The tracked findings not closed when the data was taken: open, fixed (to be
    /// verified by the next scan) and accepted.
    #[serde(default)]
    pub findings: Vec<TrackedFinding>,
    /// The provider's notices made in the period, or due in it.
    #[serde(default)]
    pub notices: Vec<NoticeItem>,
}

/// One stored scan run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanPoint {
    pub id: String,
    /// When it was stored (RFC 3339, UTC).
    pub at: String,
    /// `upload` (a scan report pushed) or `server` (the server scanned an upload).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub resources: i64,
    #[serde(default)]
    pub failed: i64,
    #[serde(default)]
    pub passed: i64,
    /// Failing findings by severity (critical, high, medium, low).
    #[serde(default)]
    pub by_severity: BTreeMap<String, i64>,
    #[serde(default)]
    pub controls_failed: Vec<String>,
    #[serde(default)]
    pub controls_passed: Vec<String>,
    #[serde(default)]
    pub controls_not_evaluated: Vec<String>,
    /// What the run did to tracked findings.
    #[serde(default)]
    pub opened: usize,
    #[serde(default)]
    pub reopened: usize,
    #[serde(default)]
    pub closed: usize,
}

/// A tracked finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrackedFinding {
    pub rule_id: String,
    pub severity: String,
    pub address: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: u64,
    /// `open`, `fixed` or `accepted`.
    pub state: String,
    /// The scanner's message: shown when the rule is not one of the built-in rules.
    #[serde(default)]
    pub message: String,
    /// When a scan first saw it (RFC 3339).
    pub first_seen: String,
    #[serde(default)]
    pub accepted_reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub accepted_until: Option<NaiveDate>,
}

/// A change notice or incident report of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticeItem {
    /// `change` or `incident`.
    pub kind: String,
    pub title: String,
    /// RFC 3339 times: made, due to be acknowledged, acknowledged.
    pub created_at: String,
    pub ack_due: String,
    #[serde(default)]
    pub acknowledged_at: Option<String>,
}

/// How a notice stands at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Acknowledgement {
    InTime,
    Late,
    Overdue,
    Awaiting,
}

impl Acknowledgement {
    fn key(self) -> &'static str {
        match self {
            Acknowledgement::InTime => "doc.ack.in_time",
            Acknowledgement::Late => "doc.ack.late",
            Acknowledgement::Overdue => "doc.ack.overdue",
            Acknowledgement::Awaiting => "doc.ack.awaiting",
        }
    }
}

fn stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The day of a stored time (its first ten characters).
fn day_of(s: &str) -> Option<NaiveDate> {
    s.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A stored time as a reader reads it: date, hour and minute, in UTC.
fn time_of(s: &str) -> String {
    match stamp(s) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => s.to_owned(),
    }
}

/// A stored time in a table, whose section says the times are UTC.
fn cell_time(s: &str) -> String {
    match stamp(s) {
        Some(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        None => s.to_owned(),
    }
}

impl NoticeItem {
    /// How the notice stands at the end of `to` (UTC): acknowledged by its due time,
    /// after it, not yet and past due, or not yet and still within time.
    pub fn acknowledgement(&self, to: NaiveDate) -> Acknowledgement {
        let due = stamp(&self.ack_due);
        let end = to
            .and_hms_opt(23, 59, 59)
            .map(|t| t.and_utc())
            .unwrap_or_else(Utc::now);
        match (self.acknowledged_at.as_deref().and_then(stamp), due) {
            (Some(at), Some(due)) if at <= due => Acknowledgement::InTime,
            (Some(_), Some(_)) => Acknowledgement::Late,
            (Some(_), None) => Acknowledgement::InTime,
            (None, Some(due)) if due < end => Acknowledgement::Overdue,
            (None, _) => Acknowledgement::Awaiting,
        }
    }
}

const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

fn severity_rank(s: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|x| *x == s)
        .unwrap_or(SEVERITIES.len())
}

/// At most this many findings are listed one by one; the rest are counted.
pub const MAX_ROWS: usize = 1000;

/// At most this many scans are listed one by one, the latest; the rest are counted (the
/// trend shows them all). A year of daily scans fits.
pub const MAX_SCAN_ROWS: usize = 400;

/// What the supervision report's blocks read.
#[derive(Debug, Clone, Copy)]
pub struct Supervision<'a> {
    pub data: &'a SupervisionData,
    /// Rule id → its words, for the findings' titles.
    pub rules: &'a BTreeMap<String, RuleWords>,
}

/// The interval one column of the trend covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Scan,
    Day,
    Week,
    Month,
    Quarter,
}

/// The columns of the trend: their labels and, for each scan, its column. Each scan
/// its own column when there are few; else days, weeks, months or quarters, the finest
/// that gives at most 16 columns over the period.
fn columns(w: Words, data: &SupervisionData) -> (Vec<String>, Vec<usize>) {
    let days = (data.to - data.from).num_days().max(0) + 1;
    let step = if data.scans.len() <= 12 {
        Step::Scan
    } else if days <= 16 {
        Step::Day
    } else if days <= 16 * 7 {
        Step::Week
    } else if days <= 16 * 31 {
        Step::Month
    } else {
        Step::Quarter
    };
    let short = |d: NaiveDate| match w.lang {
        Lang::Zh => d.format("%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %b").to_string(),
    };
    if step == Step::Scan {
        let labels = data
            .scans
            .iter()
            .map(|s| day_of(&s.at).map(short).unwrap_or_else(|| s.at.clone()))
            .collect();
        return (labels, (0..data.scans.len()).collect());
    }
    // The start of the interval a day falls in.
    let start = |d: NaiveDate| -> NaiveDate {
        match step {
            Step::Scan | Step::Day => d,
            Step::Week => data.from + Duration::days((d - data.from).num_days() / 7 * 7),
            Step::Month => d.with_day(1).unwrap_or(d),
            Step::Quarter => {
                NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d)
            }
        }
    };
    let next = |d: NaiveDate| -> NaiveDate {
        match step {
            Step::Scan | Step::Day => d + Duration::days(1),
            Step::Week => d + Duration::days(7),
            Step::Month => d.checked_add_months(chrono::Months::new(1)).unwrap_or(d),
            Step::Quarter => d.checked_add_months(chrono::Months::new(3)).unwrap_or(d),
        }
    };
    let mut starts = Vec::new();
    let mut d = start(data.from);
    while d <= data.to && starts.len() < 64 {
        starts.push(d);
        d = next(d);
    }
    let labels = starts
        .iter()
        .map(|d| match (step, w.lang) {
            (Step::Month, Lang::Zh) => d.format("%Y年%-m月").to_string(),
            (Step::Month, Lang::En) => d.format("%b %Y").to_string(),
            (Step::Quarter, Lang::Zh) => format!("{}年第{}季度", d.year(), d.month0() / 3 + 1),
            (Step::Quarter, Lang::En) => format!("Q{} {}", d.month0() / 3 + 1, d.year()),
            _ => short(*d),
        })
        .collect();
    let index = data
        .scans
        .iter()
        .map(|s| {
            let d = day_of(&s.at).unwrap_or(data.from);
            let at = start(d.clamp(data.from, data.to));
            starts.iter().rposition(|s| *s <= at).unwrap_or(0)
        })
        .collect();
    (labels, index)
}

/// The controls of a scan by outcome, each once: failed wins over passed over not
/// evaluated, as on the posture page.
fn outcomes(s: &ScanPoint) -> BTreeMap<&str, &'static str> {
    let mut m = BTreeMap::new();
    for (list, what) in [
        (&s.controls_not_evaluated, "not_evaluated"),
        (&s.controls_passed, "passed"),
        (&s.controls_failed, "failed"),
    ] {
        for c in list {
            m.insert(c.as_str(), what);
        }
    }
    m
}

fn rule_title(w: Words, sv: Supervision, id: &str, message: &str) -> String {
    match sv.rules.get(id) {
        Some(r) => r.title.get(w.lang).to_owned(),
        None if !message.is_empty() => message.to_owned(),
        None => id.to_owned(),
    }
}

fn place(f: &TrackedFinding) -> String {
    match (f.file.is_empty(), f.line) {
        (true, _) => String::new(),
        (false, 0) => f.file.clone(),
        (false, l) => format!("{}:{l}", f.file),
    }
}

/// The family of a control as the catalog has it (its prefix for one it does not know).
fn family_of(w: Words, control: &str) -> String {
    w.content
        .catalog
        .control(control)
        .map(|c| c.family.clone())
        .unwrap_or_else(|| control.split('-').next().unwrap_or(control).to_owned())
}

/// The period in words: "2026年9月8日至2026年12月7日", "8 September 2026 to 7 December 2026".
pub(crate) fn period(w: Words, data: &SupervisionData) -> String {
    w.tr(
        "doc.period_value",
        &[("from", w.date(data.from)), ("to", w.date(data.to))],
    )
}

/// The blocks of the supervision report; `None` for a block name that is not one of them.
pub(crate) fn block(w: Words, sv: Option<Supervision>, name: &str) -> Option<Vec<Block>> {
    const NAMES: [&str; 8] = [
        "supervision-summary",
        "family-posture",
        "severity-trend",
        "open-findings",
        "accepted-findings",
        "notices",
        "scan-history",
        "supervision-period",
    ];
    if !NAMES.contains(&name) {
        return None;
    }
    let Some(sv) = sv else {
        return Some(vec![note(w.t("doc.no_supervision"))]);
    };
    let data = sv.data;
    let last = data.scans.last();
    let sev = |id: &str| w.t(&format!("severity.{id}"));
    let open: Vec<&TrackedFinding> = data
        .findings
        .iter()
        .filter(|f| f.state != "accepted")
        .collect();
    let accepted: Vec<&TrackedFinding> = data
        .findings
        .iter()
        .filter(|f| f.state == "accepted")
        .collect();
    Some(match name {
        "supervision-period" => vec![facts(vec![
            (w.t("doc.f.period"), period(w, data)),
            (w.t("doc.f.scans"), data.scans.len().to_string()),
        ])],
        "supervision-summary" => {
            let by_sev = |list: &[&TrackedFinding]| {
                SEVERITIES
                    .iter()
                    .map(|s| {
                        let n = list.iter().filter(|f| f.severity == *s).count();
                        format!("{} {n}", sev(s))
                    })
                    .collect::<Vec<_>>()
                    .join(&w.t("doc.sep"))
            };
            let expired = accepted
                .iter()
                .filter(|f| f.accepted_until.is_some_and(|u| u < data.to))
                .count();
            let mut acks: BTreeMap<Acknowledgement, usize> = BTreeMap::new();
            for n in &data.notices {
                *acks.entry(n.acknowledgement(data.to)).or_default() += 1;
            }
            let mut rows = vec![
                (w.t("doc.f.period"), period(w, data)),
                (w.t("doc.f.scans"), data.scans.len().to_string()),
                (
                    w.t("doc.f.last_scan"),
                    last.map(|s| time_of(&s.at))
                        .unwrap_or_else(|| w.t("doc.no_scan_in_period")),
                ),
            ];
            if let Some(s) = last {
                let o = outcomes(s);
                let count = |what: &str| o.values().filter(|v| **v == what).count();
                rows.push((w.t("doc.f.resources"), s.resources.to_string()));
                rows.push((w.t("doc.f.controls_failed"), count("failed").to_string()));
                rows.push((w.t("doc.f.controls_passed"), count("passed").to_string()));
            }
            rows.push((
                w.t("doc.f.open_findings"),
                w.tr(
                    "doc.open_summary",
                    &[("n", open.len().to_string()), ("detail", by_sev(&open))],
                ),
            ));
            rows.push((
                w.t("doc.f.accepted_findings"),
                w.tr(
                    "doc.accepted_summary",
                    &[
                        ("n", accepted.len().to_string()),
                        ("expired", expired.to_string()),
                    ],
                ),
            ));
            rows.push((
                w.t("doc.f.notices"),
                w.tr(
                    "doc.notices_summary",
                    &[
                        ("n", data.notices.len().to_string()),
                        (
                            "in_time",
                            acks.get(&Acknowledgement::InTime)
                                .copied()
                                .unwrap_or(0)
                                .to_string(),
                        ),
                        (
                            "late",
                            acks.get(&Acknowledgement::Late)
                                .copied()
                                .unwrap_or(0)
                                .to_string(),
                        ),
                        (
                            "overdue",
                            acks.get(&Acknowledgement::Overdue)
                                .copied()
                                .unwrap_or(0)
                                .to_string(),
                        ),
                        (
                            "awaiting",
                            acks.get(&Acknowledgement::Awaiting)
                                .copied()
                                .unwrap_or(0)
                                .to_string(),
                        ),
                    ],
                ),
            ));
            vec![facts(rows)]
        }
        "family-posture" => {
            let Some(s) = last else {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_scan_in_period"),
                }]);
            };
            let mut fam: BTreeMap<String, [usize; 3]> = BTreeMap::new();
            for (c, what) in outcomes(s) {
                let e = fam.entry(family_of(w, c)).or_default();
                match what {
                    "failed" => e[0] += 1,
                    "passed" => e[1] += 1,
                    _ => e[2] += 1,
                }
            }
            if fam.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_controls_evaluated"),
                }]);
            }
            let share = |c: &[usize; 3]| {
                let decided = c[0] + c[1];
                (decided > 0).then(|| c[1] as f64 / decided as f64 * 100.0)
            };
            let bars = fam
                .iter()
                .filter_map(|(f, c)| {
                    share(c).map(|p| Bar {
                        label: w.family(f),
                        value: p,
                        shown: format!("{p:.0} %"),
                        tone: if p >= 99.5 {
                            "good"
                        } else if p >= 60.0 {
                            "warn"
                        } else {
                            "bad"
                        },
                    })
                })
                .collect();
            let rows = fam
                .iter()
                .map(|(f, c)| {
                    vec![
                        w.family(f),
                        c[0].to_string(),
                        c[1].to_string(),
                        c[2].to_string(),
                        share(c)
                            .map(|p| format!("{p:.0} %"))
                            .unwrap_or_else(|| "—".into()),
                    ]
                })
                .collect();
            vec![
                Block::Bars {
                    title: w.t("doc.chart.family_passing"),
                    bars,
                },
                table(
                    vec![
                        w.t("doc.c.family"),
                        w.t("doc.c.controls_failed"),
                        w.t("doc.c.controls_passed"),
                        w.t("doc.c.not_evaluated"),
                        w.t("doc.c.share_passed"),
                    ],
                    &[5, 2, 2, 2, 2],
                    rows,
                ),
            ]
        }
        "severity-trend" => {
            if data.scans.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_scan_in_period"),
                }]);
            }
            let (labels, index) = columns(w, data);
            // Each column shows the last scan that falls in it.
            let mut at: Vec<Option<&ScanPoint>> = vec![None; labels.len()];
            for (s, i) in data.scans.iter().zip(&index) {
                if let Some(slot) = at.get_mut(*i) {
                    *slot = Some(s);
                }
            }
            let series = SEVERITIES
                .iter()
                .map(|id| Series {
                    name: sev(id),
                    tone: match *id {
                        "critical" => "critical",
                        "high" => "bad",
                        "medium" => "warn",
                        _ => "neutral",
                    },
                    values: at
                        .iter()
                        .map(|s| s.map(|s| s.by_severity.get(*id).copied().unwrap_or(0) as f64))
                        .collect(),
                })
                .collect();
            let mut out = vec![Block::Trend {
                title: w.t("doc.chart.trend"),
                labels,
                series,
                total: w.t("doc.c.total"),
            }];
            if data.scans.len() > 12 {
                out.push(note(w.t("doc.trend_last_of_interval")));
            }
            out
        }
        "open-findings" => {
            if open.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_open_findings"),
                }]);
            }
            let mut list = open.clone();
            list.sort_by(|a, b| {
                (
                    severity_rank(&a.severity),
                    &a.first_seen,
                    &a.rule_id,
                    &a.address,
                )
                    .cmp(&(
                        severity_rank(&b.severity),
                        &b.first_seen,
                        &b.rule_id,
                        &b.address,
                    ))
            });
            let rows = list
                .iter()
                .take(MAX_ROWS)
                .enumerate()
                .map(|(n, f)| {
                    let since = day_of(&f.first_seen);
                    let days = since
                        .map(|d| (data.to - d).num_days().max(0).to_string())
                        .unwrap_or_default();
                    let mut state = w.t(&format!("doc.finding_state.{}", f.state));
                    if state.starts_with("doc.") {
                        state = f.state.clone();
                    }
                    vec![
                        (n + 1).to_string(),
                        sev(&f.severity),
                        rule_title(w, sv, &f.rule_id, &f.message),
                        match place(f) {
                            p if p.is_empty() => f.address.clone(),
                            p => format!("{}\n{p}", f.address),
                        },
                        since.map(|d| w.date(d)).unwrap_or_default(),
                        days,
                        state,
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![
                    w.t("doc.c.no"),
                    w.t("doc.c.severity"),
                    w.t("doc.c.rule"),
                    w.t("doc.c.resource_place"),
                    w.t("doc.c.first_seen"),
                    w.t("doc.c.days_open"),
                    w.t("doc.c.state"),
                ],
                &[2, 3, 8, 9, 4, 3, 3],
                rows,
            )];
            if list.len() > MAX_ROWS {
                out.push(note(w.tr(
                    "doc.supervision_findings_cut",
                    &[
                        ("shown", MAX_ROWS.to_string()),
                        ("total", list.len().to_string()),
                    ],
                )));
            }
            out
        }
        "accepted-findings" => {
            if accepted.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_accepted_findings"),
                }]);
            }
            let mut list = accepted.clone();
            list.sort_by(|a, b| {
                (
                    a.accepted_until,
                    severity_rank(&a.severity),
                    &a.rule_id,
                    &a.address,
                )
                    .cmp(&(
                        b.accepted_until,
                        severity_rank(&b.severity),
                        &b.rule_id,
                        &b.address,
                    ))
            });
            let rows = list
                .iter()
                .take(MAX_ROWS)
                .map(|f| {
                    let until = match f.accepted_until {
                        None => w.t("doc.accepted.no_expiry"),
                        Some(u) if u < data.to => {
                            w.tr("doc.accepted.expired", &[("date", w.date(u))])
                        }
                        Some(u) if (u - data.to).num_days() <= 30 => w.tr(
                            "doc.accepted.expiring",
                            &[
                                ("date", w.date(u)),
                                ("days", (u - data.to).num_days().to_string()),
                            ],
                        ),
                        Some(u) => w.date(u),
                    };
                    vec![
                        sev(&f.severity),
                        rule_title(w, sv, &f.rule_id, &f.message),
                        f.address.clone(),
                        f.accepted_reason.clone().unwrap_or_default(),
                        until,
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![
                    w.t("doc.c.severity"),
                    w.t("doc.c.rule"),
                    w.t("doc.c.resource"),
                    w.t("doc.c.reason"),
                    w.t("doc.c.accepted_until"),
                ],
                &[2, 6, 5, 6, 4],
                rows,
            )];
            if list.len() > MAX_ROWS {
                out.push(note(w.tr(
                    "doc.supervision_findings_cut",
                    &[
                        ("shown", MAX_ROWS.to_string()),
                        ("total", list.len().to_string()),
                    ],
                )));
            }
            out
        }
        "notices" => {
            if data.notices.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_notices"),
                }]);
            }
            let mut list: Vec<&NoticeItem> = data.notices.iter().collect();
            list.sort_by(|a, b| a.created_at.cmp(&b.created_at));
            let rows = list
                .iter()
                .map(|n| {
                    vec![
                        w.t(&format!("doc.notice.{}", n.kind)),
                        n.title.clone(),
                        cell_time(&n.created_at),
                        cell_time(&n.ack_due),
                        n.acknowledged_at
                            .as_deref()
                            .map(cell_time)
                            .unwrap_or_else(|| "—".into()),
                        w.t(n.acknowledgement(data.to).key()),
                    ]
                })
                .collect();
            vec![table(
                vec![
                    w.t("doc.c.notice_kind"),
                    w.t("doc.c.notice_title"),
                    w.t("doc.c.sent"),
                    w.t("doc.c.ack_due"),
                    w.t("doc.c.acknowledged"),
                    w.t("doc.c.outcome"),
                ],
                &[3, 6, 4, 4, 4, 3],
                rows,
            )]
        }
        "scan-history" => {
            if data.scans.is_empty() {
                return Some(vec![Block::Paragraph {
                    text: w.t("doc.no_scan_in_period"),
                }]);
            }
            let n =
                |s: &ScanPoint, id: &str| s.by_severity.get(id).copied().unwrap_or(0).to_string();
            let rows = data
                .scans
                .iter()
                .rev()
                .take(MAX_SCAN_ROWS)
                .map(|s| {
                    let failed: BTreeSet<&String> = s.controls_failed.iter().collect();
                    vec![
                        cell_time(&s.at),
                        w.t(&format!("doc.scan_source.{}", s.source)),
                        s.resources.to_string(),
                        n(s, "critical"),
                        n(s, "high"),
                        n(s, "medium"),
                        n(s, "low"),
                        failed.len().to_string(),
                        s.opened.to_string(),
                        s.reopened.to_string(),
                        s.closed.to_string(),
                    ]
                })
                .collect();
            let mut out = vec![table(
                vec![
                    w.t("doc.c.time"),
                    w.t("doc.c.source"),
                    w.t("doc.c.resources"),
                    w.t("doc.c.sev.critical"),
                    w.t("doc.c.sev.high"),
                    w.t("doc.c.sev.medium"),
                    w.t("doc.c.sev.low"),
                    w.t("doc.c.controls_failed"),
                    w.t("doc.c.opened"),
                    w.t("doc.c.reopened"),
                    w.t("doc.c.closed"),
                ],
                &[5, 3, 4, 2, 2, 2, 2, 3, 2, 2, 3],
                rows,
            )];
            if data.scans.len() > MAX_SCAN_ROWS {
                out.push(note(w.tr(
                    "doc.scans_cut",
                    &[
                        ("shown", MAX_SCAN_ROWS.to_string()),
                        ("total", data.scans.len().to_string()),
                    ],
                )));
            }
            out
        }
        _ => return None,
    })
}
