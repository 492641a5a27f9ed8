//! The server's workflow rules, pure: third-party assessments of offerings ("assess first,
//! use after"), the reconciliation of scan findings between runs, provider notices and
//! their deadlines, and the exit checklist (guide §9: hand back, verify, delete).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ProtectionLevel;
use crate::catalog::{Catalog, ServiceCategory};
use crate::classify::DeploymentModel;
use crate::engagement::{Phase, ResponsibilityOverride, Sla};

/// What a provider offers, as it publishes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offering {
    pub name: String,
    pub service_category: ServiceCategory,
    pub deployment_model: DeploymentModel,
    /// Regions, as the cloud names them.
    #[serde(default)]
    pub regions: Vec<String>,
    /// The cloud, as named in the region table.
    #[serde(default)]
    pub cloud: Option<String>,
    /// The capability level the provider claims.
    pub claimed_level: ProtectionLevel,
    /// The provider's share of the responsibility matrix, as changes to the category's
    /// default.
    #[serde(default)]
    pub responsibility: Vec<ResponsibilityOverride>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResult {
    Satisfied,
    PartiallySatisfied,
    NotSatisfied,
    NotApplicable,
}

impl ControlResult {
    pub const ALL: [ControlResult; 4] = [
        Self::Satisfied,
        Self::PartiallySatisfied,
        Self::NotSatisfied,
        Self::NotApplicable,
    ];

    /// The id, as serialised.
    pub fn id(self) -> &'static str {
        match self {
            Self::Satisfied => "satisfied",
            Self::PartiallySatisfied => "partially_satisfied",
            Self::NotSatisfied => "not_satisfied",
            Self::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == value)
    }
}

/// The assessor's result for one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlAssessment {
    pub result: ControlResult,
    #[serde(default)]
    pub notes: String,
    /// Evidence record ids.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The provider's answer to a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_response: Option<String>,
    /// Why the assessor accepts this result without evidence, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
}

/// The assessor's recorded decision to accept a result without evidence: why, who, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub reason: String,
    /// The user who recorded it.
    pub by: String,
    pub at: DateTime<Utc>,
}

impl ControlResult {
    /// Whether the result says the control is met, wholly or in part: such a result
    /// stands only on evidence or on a waiver.
    pub fn claims_met(self) -> bool {
        matches!(self, Self::Satisfied | Self::PartiallySatisfied)
    }
}

impl ControlAssessment {
    /// Whether the result stands: a control said to be met has evidence or a waiver.
    pub fn supported(&self) -> bool {
        !self.result.claims_met() || !self.evidence.is_empty() || self.waiver.is_some()
    }
}

/// The controls whose result says they are met with neither evidence nor a waiver.
pub fn unsupported(results: &BTreeMap<String, ControlAssessment>) -> Vec<String> {
    results
        .iter()
        .filter(|(_, r)| !r.supported())
        .map(|(id, _)| id.clone())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
}

impl Outcome {
    pub const ALL: [Outcome; 2] = [Self::Pass, Self::Fail];

    pub fn id(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.id() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conclusion {
    pub outcome: Outcome,
    pub level: ProtectionLevel,
    pub date: NaiveDate,
    pub valid_until: NaiveDate,
}

/// Default validity of a passed assessment.
pub const VALIDITY_YEARS: i32 = 3;

pub fn default_validity(date: NaiveDate) -> NaiveDate {
    use chrono::Datelike as _;
    let year = date.year() + VALIDITY_YEARS;
    // 29 February becomes 28 February in a year that has none.
    date.with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
        .unwrap_or(date)
}

/// Why an assessment cannot conclude as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConclusionProblem {
    /// `unknown_control`, `not_assessed`, `not_satisfied`, `without_evidence`,
    /// `level_above_claim`, `bad_validity`
    pub code: &'static str,
    pub controls: Vec<String>,
}

/// Checks a pass at `level`: every control of the catalog that applies at that level has a
/// result, none is "not satisfied" and every one said to be met has evidence or a waiver.
/// Partially satisfied controls are allowed and reported in the summary. A fail needs no
/// completeness.
pub fn check_conclusion(
    catalog: &Catalog,
    results: &BTreeMap<String, ControlAssessment>,
    conclusion: &Conclusion,
) -> Vec<ConclusionProblem> {
    let mut problems = Vec::new();
    let unknown: Vec<String> = results
        .keys()
        .filter(|id| catalog.control(id).is_none())
        .cloned()
        .collect();
    if !unknown.is_empty() {
        problems.push(ConclusionProblem {
            code: "unknown_control",
            controls: unknown,
        });
    }
    if conclusion.valid_until <= conclusion.date {
        problems.push(ConclusionProblem {
            code: "bad_validity",
            controls: vec![],
        });
    }
    if conclusion.outcome == Outcome::Pass {
        let applicable: Vec<&str> = catalog
            .applicable(conclusion.level)
            .map(|c| c.id.as_str())
            .collect();
        let missing: Vec<String> = applicable
            .iter()
            .filter(|id| !results.contains_key(**id))
            .map(|id| (*id).to_owned())
            .collect();
        if !missing.is_empty() {
            problems.push(ConclusionProblem {
                code: "not_assessed",
                controls: missing,
            });
        }
        let failed: Vec<String> = applicable
            .iter()
            .filter(|id| {
                results
                    .get(**id)
                    .is_some_and(|r| r.result == ControlResult::NotSatisfied)
            })
            .map(|id| (*id).to_owned())
            .collect();
        if !failed.is_empty() {
            problems.push(ConclusionProblem {
                code: "not_satisfied",
                controls: failed,
            });
        }
        let bare: Vec<String> = applicable
            .iter()
            .filter(|id| results.get(**id).is_some_and(|r| !r.supported()))
            .map(|id| (*id).to_owned())
            .collect();
        if !bare.is_empty() {
            problems.push(ConclusionProblem {
                code: "without_evidence",
                controls: bare,
            });
        }
    }
    problems
}

/// Counts per result, overall and per family: what customers see of a published assessment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AssessmentSummary {
    pub total: BTreeMap<ControlResult, usize>,
    pub by_family: BTreeMap<String, BTreeMap<ControlResult, usize>>,
}

pub fn summarise(
    catalog: &Catalog,
    results: &BTreeMap<String, ControlAssessment>,
) -> AssessmentSummary {
    let mut s = AssessmentSummary::default();
    for (id, r) in results {
        *s.total.entry(r.result).or_default() += 1;
        if let Some(c) = catalog.control(id) {
            *s.by_family
                .entry(c.family.clone())
                .or_default()
                .entry(r.result)
                .or_default() += 1;
        }
    }
    s
}

/// Days before the end of its validity that an assessment is reported as expiring.
pub const EXPIRY_NOTICE_DAYS: i64 = 90;

/// Whether an engagement in `phase` relies on its offering's assessment ("assess first, use
/// after"): while the service is chosen and while it is used. Planning has not chosen yet;
/// exit and closed no longer use it. `check`, the alerts and the dashboard all ask this.
pub fn relies_on_assessment(phase: Phase) -> bool {
    matches!(phase, Phase::Selection | Phase::Operation)
}

/// Where a date falls in an assessment's validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Validity {
    /// Before the assessment's date.
    NotYetValid,
    Valid {
        days_left: i64,
    },
    /// Valid, ending within [`EXPIRY_NOTICE_DAYS`].
    Expiring {
        days_left: i64,
    },
    /// After its last valid day.
    Expired,
}

/// Where `on` falls in an assessment valid from `from` to `until` (both days included).
pub fn validity(from: NaiveDate, until: NaiveDate, on: NaiveDate) -> Validity {
    let days_left = (until - on).num_days();
    if on < from {
        Validity::NotYetValid
    } else if on > until {
        Validity::Expired
    } else if days_left <= EXPIRY_NOTICE_DAYS {
        Validity::Expiring { days_left }
    } else {
        Validity::Valid { days_left }
    }
}

/// Whether an assessment at `level`, valid from `from` to `until`, allows use at `needed`
/// on `on`.
pub fn allows_use(
    level: ProtectionLevel,
    from: NaiveDate,
    until: NaiveDate,
    needed: ProtectionLevel,
    on: NaiveDate,
) -> bool {
    level >= needed
        && !matches!(
            validity(from, until, on),
            Validity::NotYetValid | Validity::Expired
        )
}

/// Whether a conclusion allows use at `needed` on `date` ("assess first, use after").
pub fn usable(conclusion: Option<&Conclusion>, needed: ProtectionLevel, date: NaiveDate) -> bool {
    conclusion.is_some_and(|c| {
        c.outcome == Outcome::Pass && allows_use(c.level, c.date, c.valid_until, needed, date)
    })
}

/// The lifecycle of a finding across scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingState {
    Open,
    /// Accepted with a reason until an expiry date.
    Accepted,
    /// Reported fixed; the next scan closes it or reopens it.
    Fixed,
    Closed,
}

impl FindingState {
    pub const ALL: [FindingState; 4] = [Self::Open, Self::Accepted, Self::Fixed, Self::Closed];

    /// The id, as serialised.
    pub fn id(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Fixed => "fixed",
            Self::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == value)
    }
}

/// What a scan does to a tracked finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Unchanged,
    Reopened,
    Closed,
    /// An acceptance past its expiry: open again.
    AcceptanceExpired,
}

/// The state after a scan in which the finding is (`present`) or is not failing.
pub fn reconcile(
    state: FindingState,
    present: bool,
    accepted_until: Option<NaiveDate>,
    today: NaiveDate,
) -> (FindingState, Transition) {
    match (state, present) {
        (FindingState::Accepted, true) => {
            if accepted_until.is_some_and(|d| d < today) {
                (FindingState::Open, Transition::AcceptanceExpired)
            } else {
                (FindingState::Accepted, Transition::Unchanged)
            }
        }
        (FindingState::Open, true) => (FindingState::Open, Transition::Unchanged),
        (FindingState::Fixed | FindingState::Closed, true) => {
            (FindingState::Open, Transition::Reopened)
        }
        (FindingState::Closed, false) => (FindingState::Closed, Transition::Unchanged),
        (_, false) => (FindingState::Closed, Transition::Closed),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A change that affects the customer (guide: change notification).
    Change,
    /// A security incident.
    Incident,
}

/// Hours the customer has to acknowledge a notice, unless the contract says otherwise.
pub fn default_ack_hours(kind: NoticeKind) -> i64 {
    match kind {
        NoticeKind::Change => 5 * 24,
        NoticeKind::Incident => 24,
    }
}

/// Hours the customer has for a notice of `kind`: what the contract's SLA says for that
/// kind, else `default` (the server's configuration, [`default_ack_hours`] unless changed).
pub fn ack_hours(kind: NoticeKind, sla: Option<&Sla>, default: i64) -> i64 {
    let agreed = sla.and_then(|s| match kind {
        NoticeKind::Incident => s.incident_ack_hours,
        NoticeKind::Change => s.change_ack_hours,
    });
    agreed.map_or(default, i64::from)
}

/// When a notice raised at `raised` must be acknowledged by.
pub fn ack_deadline(raised: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    raised + chrono::Duration::hours(hours)
}

/// An acknowledgement at `at` of a notice due at `due` is late when it comes after it.
pub fn acknowledged_late(due: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    at > due
}

/// A notice not acknowledged by its deadline is overdue (an alert until acknowledged).
pub fn notice_overdue(due: DateTime<Utc>, acknowledged: bool, now: DateTime<Utc>) -> bool {
    !acknowledged && now > due
}

/// What a person does to a tracked finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingChange {
    Assign,
    /// Accept the risk for a reason, until a date.
    Accept {
        reason: String,
        until: NaiveDate,
    },
    /// Report it fixed (the next scan closes or reopens it).
    Fix,
}

/// Why a change to a finding is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingRefusal {
    /// A closed finding is final: a new failure opens a new one.
    Closed,
    /// An acceptance needs a reason…
    AcceptanceWithoutReason,
    /// …and an end after today.
    AcceptanceNotInFuture,
}

/// The finding's state after `change` on `today`, or why not.
pub fn change_finding(
    state: FindingState,
    change: &FindingChange,
    today: NaiveDate,
) -> Result<FindingState, FindingRefusal> {
    if state == FindingState::Closed {
        return Err(FindingRefusal::Closed);
    }
    match change {
        FindingChange::Assign => Ok(state),
        FindingChange::Accept { reason, until } => {
            if reason.trim().is_empty() {
                Err(FindingRefusal::AcceptanceWithoutReason)
            } else if *until <= today {
                Err(FindingRefusal::AcceptanceNotInFuture)
            } else {
                Ok(FindingState::Accepted)
            }
        }
        FindingChange::Fix => Ok(FindingState::Fixed),
    }
}

/// A file listing in a hash manifest: path → SHA-256.
pub type Manifest = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestComparison {
    pub matched: usize,
    /// In the provider's manifest, not received.
    pub missing: Vec<String>,
    /// Received with another hash.
    pub mismatched: Vec<String>,
    /// Received, not in the provider's manifest.
    pub unexpected: Vec<String>,
}

impl ManifestComparison {
    pub fn verified(&self) -> bool {
        self.missing.is_empty() && self.mismatched.is_empty() && self.matched > 0
    }
}

/// Compares what the provider handed over with what the customer received (§9.3).
pub fn compare_manifests(sent: &Manifest, received: &Manifest) -> ManifestComparison {
    let mut c = ManifestComparison::default();
    for (path, hash) in sent {
        match received.get(path) {
            None => c.missing.push(path.clone()),
            Some(h) if !h.eq_ignore_ascii_case(hash) => c.mismatched.push(path.clone()),
            Some(_) => c.matched += 1,
        }
    }
    c.unexpected = received
        .keys()
        .filter(|p| !sent.contains_key(*p))
        .cloned()
        .collect();
    c
}

/// An item of data or metadata to hand back (§9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeItem {
    pub name: String,
    /// `data` or `metadata` (logs, configurations, access records …).
    pub kind: String,
    #[serde(default)]
    pub returned: bool,
}

/// The provider's statement that every copy is gone (§9.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionAttestation {
    pub statement: String,
    pub date: NaiveDate,
    /// Primary storage, replicas, backups, snapshots, logs …: what the deletion covered.
    pub covers: BTreeSet<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// What a deletion attestation must cover.
pub const DELETION_MUST_COVER: [&str; 3] = ["primary", "replicas", "backups"];

/// The exit record of an engagement.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitRecord {
    /// Reference or summary of the exit plan.
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub scope: Vec<ScopeItem>,
    #[serde(default)]
    pub provider_manifest: Option<Manifest>,
    #[serde(default)]
    pub customer_manifest: Option<Manifest>,
    #[serde(default)]
    pub attestation: Option<DeletionAttestation>,
    /// When and by whom the customer confirmed the attestation.
    #[serde(default)]
    pub confirmed_by: Option<String>,
    #[serde(default)]
    pub confirmed_at: Option<String>,
}

/// What still stops the engagement from closing, as stable codes.
pub fn exit_blockers(exit: &ExitRecord) -> Vec<&'static str> {
    let mut b = Vec::new();
    if exit.plan.as_deref().is_none_or(|p| p.trim().is_empty()) {
        b.push("exit-no-plan");
    }
    if exit.scope.is_empty() {
        b.push("exit-no-scope");
    } else if exit.scope.iter().any(|i| !i.returned) {
        b.push("exit-data-not-returned");
    }
    match (&exit.provider_manifest, &exit.customer_manifest) {
        (Some(sent), Some(received)) => {
            if !compare_manifests(sent, received).verified() {
                b.push("exit-integrity-failed");
            }
        }
        _ => b.push("exit-integrity-not-verified"),
    }
    match &exit.attestation {
        None => b.push("exit-no-deletion-attestation"),
        Some(a) => {
            if DELETION_MUST_COVER.iter().any(|c| !a.covers.contains(*c)) {
                b.push("exit-deletion-incomplete");
            }
        }
    }
    if exit.confirmed_at.is_none() {
        b.push("exit-deletion-not-confirmed");
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn ids_are_what_serde_writes_and_parse_back() {
        for o in Outcome::ALL {
            assert_eq!(serde_json::to_value(o).ok(), Some(o.id().into()));
            assert_eq!(Outcome::parse(o.id()), Some(o));
        }
        for r in ControlResult::ALL {
            assert_eq!(serde_json::to_value(r).ok(), Some(r.id().into()));
            assert_eq!(ControlResult::parse(r.id()), Some(r));
        }
        assert_eq!(ControlResult::parse("passed"), None);
        for s in FindingState::ALL {
            assert_eq!(serde_json::to_value(s).ok(), Some(s.id().into()));
            assert_eq!(FindingState::parse(s.id()), Some(s));
        }
    }

    #[test]
    fn a_result_said_to_be_met_stands_on_evidence_or_a_waiver() {
        let r = |result, evidence: &[&str], waived: bool| ControlAssessment {
            result,
            notes: String::new(),
            evidence: evidence.iter().map(|e| (*e).to_owned()).collect(),
            provider_response: None,
            waiver: waived.then(|| Waiver {
                reason: "seen on site".into(),
                by: "u".into(),
                at: DateTime::<Utc>::default(),
            }),
        };
        let results = BTreeMap::from([
            ("A".to_owned(), r(ControlResult::Satisfied, &[], false)),
            ("B".to_owned(), r(ControlResult::Satisfied, &["f"], false)),
            (
                "C".to_owned(),
                r(ControlResult::PartiallySatisfied, &[], true),
            ),
            (
                "D".to_owned(),
                r(ControlResult::PartiallySatisfied, &[], false),
            ),
            ("E".to_owned(), r(ControlResult::NotSatisfied, &[], false)),
            ("F".to_owned(), r(ControlResult::NotApplicable, &[], false)),
        ]);
        assert_eq!(unsupported(&results), vec!["A".to_owned(), "D".to_owned()]);
    }

    #[test]
    fn validity_is_three_years() {
        assert_eq!(default_validity(d("2026-03-01")), d("2029-03-01"));
        assert_eq!(default_validity(d("2028-02-29")), d("2031-02-28"));
    }

    #[test]
    fn use_needs_a_valid_pass_at_or_above_the_level() {
        let c = Conclusion {
            outcome: Outcome::Pass,
            level: ProtectionLevel::Enhanced,
            date: d("2026-01-01"),
            valid_until: d("2029-01-01"),
        };
        assert!(usable(Some(&c), ProtectionLevel::General, d("2026-06-01")));
        assert!(usable(Some(&c), ProtectionLevel::Enhanced, d("2029-01-01")));
        assert!(!usable(
            Some(&c),
            ProtectionLevel::Advanced,
            d("2026-06-01")
        ));
        assert!(
            !usable(Some(&c), ProtectionLevel::General, d("2029-01-02")),
            "expired"
        );
        let failed = Conclusion {
            outcome: Outcome::Fail,
            ..c
        };
        assert!(!usable(
            Some(&failed),
            ProtectionLevel::General,
            d("2026-06-01")
        ));
        assert!(!usable(None, ProtectionLevel::General, d("2026-06-01")));
        // The validity's edges: both days count, the notice starts 90 days before the end.
        let (from, until) = (d("2026-01-01"), d("2026-12-31"));
        assert_eq!(
            validity(from, until, d("2025-12-31")),
            Validity::NotYetValid
        );
        assert_eq!(
            validity(from, until, d("2026-01-01")),
            Validity::Valid { days_left: 364 }
        );
        assert_eq!(
            validity(from, until, d("2026-10-02")),
            Validity::Expiring { days_left: 90 }
        );
        assert_eq!(
            validity(from, until, d("2026-12-31")),
            Validity::Expiring { days_left: 0 }
        );
        assert_eq!(validity(from, until, d("2027-01-01")), Validity::Expired);
        assert!(!relies_on_assessment(Phase::Planning));
        assert!(relies_on_assessment(Phase::Selection) && relies_on_assessment(Phase::Operation));
        assert!(!relies_on_assessment(Phase::Exit) && !relies_on_assessment(Phase::Closed));
    }

    #[test]
    fn finding_changes_and_notice_deadlines() {
        let today = d("2026-11-28");
        let accept = |reason: &str, until: &str| FindingChange::Accept {
            reason: reason.into(),
            until: d(until),
        };
        assert_eq!(
            change_finding(
                FindingState::Open,
                &accept("compensating control", "2026-11-29"),
                today
            ),
            Ok(FindingState::Accepted)
        );
        assert_eq!(
            change_finding(FindingState::Open, &accept("  ", "2027-01-01"), today),
            Err(FindingRefusal::AcceptanceWithoutReason)
        );
        assert_eq!(
            change_finding(FindingState::Open, &accept("r", "2026-11-28"), today),
            Err(FindingRefusal::AcceptanceNotInFuture)
        );
        for change in [
            FindingChange::Assign,
            FindingChange::Fix,
            accept("r", "2027-01-01"),
        ] {
            assert_eq!(
                change_finding(FindingState::Closed, &change, today),
                Err(FindingRefusal::Closed)
            );
        }
        assert_eq!(
            change_finding(FindingState::Accepted, &FindingChange::Assign, today),
            Ok(FindingState::Accepted)
        );
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        let due = ack_deadline(
            t("2026-11-28T10:00:00Z"),
            ack_hours(NoticeKind::Incident, None, 24),
        );
        assert_eq!(due, t("2026-11-29T10:00:00Z"));
        let sla = Sla {
            availability_percent: None,
            recovery_hours: None,
            incident_ack_hours: None,
            change_ack_hours: Some(48),
        };
        assert_eq!(ack_hours(NoticeKind::Change, Some(&sla), 120), 48);
        assert_eq!(ack_hours(NoticeKind::Incident, Some(&sla), 24), 24);
        assert!(!acknowledged_late(due, due) && acknowledged_late(due, t("2026-11-29T10:00:01Z")));
        assert!(notice_overdue(due, false, t("2026-11-30T00:00:00Z")));
        assert!(!notice_overdue(due, true, t("2026-11-30T00:00:00Z")));
        assert!(!notice_overdue(due, false, due));
    }

    #[test]
    fn findings_close_reopen_and_acceptances_expire() {
        let today = d("2026-11-28");
        use FindingState::*;
        assert_eq!(
            reconcile(Fixed, false, None, today),
            (Closed, Transition::Closed)
        );
        assert_eq!(
            reconcile(Fixed, true, None, today),
            (Open, Transition::Reopened)
        );
        assert_eq!(
            reconcile(Open, false, None, today),
            (Closed, Transition::Closed)
        );
        assert_eq!(
            reconcile(Accepted, true, Some(d("2026-12-31")), today),
            (Accepted, Transition::Unchanged)
        );
        assert_eq!(
            reconcile(Accepted, true, Some(d("2026-11-27")), today),
            (Open, Transition::AcceptanceExpired)
        );
        assert_eq!(
            reconcile(Closed, true, None, today),
            (Open, Transition::Reopened)
        );
    }

    #[test]
    fn manifests_compare_by_path_and_hash() {
        let sent: Manifest = [("a", "11"), ("b", "22"), ("c", "33")]
            .map(|(p, h)| (p.to_owned(), h.to_owned()))
            .into();
        let received: Manifest = [("a", "11"), ("b", "99"), ("d", "44")]
            .map(|(p, h)| (p.to_owned(), h.to_owned()))
            .into();
        let c = compare_manifests(&sent, &received);
        assert_eq!(c.matched, 1);
        assert_eq!(c.missing, vec!["c"]);
        assert_eq!(c.mismatched, vec!["b"]);
        assert_eq!(c.unexpected, vec!["d"]);
        assert!(!c.verified());
        assert!(compare_manifests(&sent, &sent).verified());
    }

    #[test]
    fn an_exit_closes_only_when_everything_is_done() {
        let mut e = ExitRecord::default();
        assert_eq!(exit_blockers(&e).len(), 5);
        e.plan = Some("EXIT-PLAN-1".into());
        e.scope = vec![ScopeItem {
            name: "database".into(),
            kind: "data".into(),
            returned: true,
        }];
        let m: Manifest = [("db.dump".to_owned(), "ab".to_owned())].into();
        e.provider_manifest = Some(m.clone());
        e.customer_manifest = Some(m);
        e.attestation = Some(DeletionAttestation {
            statement: "all deleted".into(),
            date: d("2026-11-28"),
            covers: ["primary", "replicas"].map(str::to_owned).into(),
            evidence: vec![],
        });
        assert_eq!(
            exit_blockers(&e),
            vec!["exit-deletion-incomplete", "exit-deletion-not-confirmed"]
        );
        if let Some(a) = e.attestation.as_mut() {
            a.covers.insert("backups".into());
        }
        e.confirmed_at = Some("2026-11-28T10:00:00Z".into());
        assert!(exit_blockers(&e).is_empty());
    }
}
