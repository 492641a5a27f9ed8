//! Scan runs: a report uploaded (`cloudward scan --format json`, or `cloudward push` in CI)
//! or a scan the server runs on uploaded files, stored as a run with the engagement's
//! tracked findings reconciled against it — opened, reopened, closed — in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use cloudward_domain::workflow::{self, FindingState, Transition};
use cloudward_store::{NewRecord, Record};
use serde_json::Value;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::engagement;
use crate::services::posture::RunView;
use crate::services::support::acting;
use crate::supervision::{FindingData, RunData, ScanFile};

fn bad_scan(detail: &str) -> ApiError {
    ApiError::bad_request("api.bad_scan").arg("detail", detail)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn counts(v: &Value) -> BTreeMap<String, i64> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, n)| n.as_i64().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default()
}

/// One failing finding of a report.
struct Failing {
    key: String,
    rule_id: String,
    severity: String,
    controls: Vec<String>,
    address: String,
    resource_type: String,
    message: String,
    file: String,
    line: u64,
}

/// Reads a `cloudward scan --format json` report.
fn parse_report(report: &Value) -> ApiResult<(Value, Vec<Failing>)> {
    if report.get("tool").and_then(Value::as_str) != Some("cloudward") {
        return Err(bad_scan(
            "$.tool must be \"cloudward\": upload the output of `cloudward scan --format json`",
        ));
    }
    let summary = report
        .get("summary")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad_scan("$.summary is missing"))?;
    let findings = report
        .get("findings")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_scan("$.findings is missing"))?;
    let mut out = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        let field = |name: &str| {
            f.pointer(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    bad_scan(&format!(
                        "$.findings[{i}]{} is missing",
                        name.replace('/', ".")
                    ))
                })
        };
        let rule_id = field("/rule_id")?;
        let address = field("/resource/address")?;
        out.push(Failing {
            key: format!("{rule_id}|{address}"),
            severity: field("/severity")?,
            resource_type: field("/resource/type")?,
            message: field("/message").unwrap_or_default(),
            controls: strings(f.get("controls").unwrap_or(&Value::Null)),
            file: f
                .pointer("/resource/file")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            line: f
                .pointer("/resource/line")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            rule_id,
            address,
        });
    }
    Ok((summary.clone(), out))
}

/// Stores a run and reconciles the engagement's tracked findings, in one transaction.
pub(crate) async fn ingest(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
    owner_org_id: &str,
    report: &Value,
    source: &str,
) -> ApiResult<(Record, RunData)> {
    ingest_dated(
        state,
        p,
        engagement_id,
        owner_org_id,
        report,
        source,
        cloudward_store::now(),
    )
    .await
}

/// [`ingest`], for a scan made at `at`: the demo's history of scans, which took place
/// before the demo started (the audit entries are dated when they are written).
pub(crate) async fn ingest_dated(
    state: &AppState,
    p: &Principal,
    engagement_id: &str,
    owner_org_id: &str,
    report: &Value,
    source: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<(Record, RunData)> {
    let (summary, failing) = parse_report(report)?;
    let today = at.date_naive();
    let now = cloudward_store::stamp(at);
    let run_id_hint = format!("run@{now}");
    let (existing, _) = state
        .store
        .list_findings(engagement_id, &cloudward_store::FindingFilter::default())
        .await?;
    let mut by_key: BTreeMap<String, (Record, FindingData)> = BTreeMap::new();
    for r in existing {
        let f: FindingData =
            serde::Deserialize::deserialize(&r.data).map_err(|_| ApiError::internal())?;
        by_key.insert(f.key.clone(), (r, f));
    }
    // Where each failing resource is now, by key.
    let present: BTreeMap<&str, (&str, u64)> = failing
        .iter()
        .map(|f| (f.key.as_str(), (f.file.as_str(), f.line)))
        .collect();
    let (mut opened, mut reopened, mut closed) = (0, 0, 0);
    let mut updates = Vec::new();
    for (key, (r, f)) in &by_key {
        let at = present.get(key.as_str()).copied();
        let (next, t) = workflow::reconcile(f.state, at.is_some(), f.accepted_until, today);
        // A resource that moved in its file (or to another) is shown where it now is.
        let moved = at.is_some_and(|(file, line)| file != f.file || line != f.line);
        if t == Transition::Unchanged && !moved {
            continue;
        }
        let mut f = f.clone();
        f.state = next;
        if let Some((file, line)) = at {
            file.clone_into(&mut f.file);
            f.line = line;
        }
        match t {
            Transition::Unchanged => {}
            Transition::Reopened | Transition::AcceptanceExpired => {
                reopened += 1;
                f.history
                    .push((run_id_hint.clone(), format!("{t:?}").to_lowercase()));
            }
            Transition::Closed => {
                closed += 1;
                f.history.push((run_id_hint.clone(), "closed".into()));
            }
        }
        updates.push(cloudward_store::RecordChange::of(
            r,
            serde_json::to_value(&f).map_err(|_| ApiError::internal())?,
        ));
    }
    let mut creates = Vec::new();
    let mut new_findings = Vec::new();
    let mut seen = BTreeSet::new();
    for f in &failing {
        if by_key.contains_key(&f.key) || !seen.insert(f.key.clone()) {
            continue;
        }
        opened += 1;
        new_findings.push((f.rule_id.clone(), f.severity.clone(), f.address.clone()));
        let data = FindingData {
            key: f.key.clone(),
            rule_id: f.rule_id.clone(),
            severity: f.severity.clone(),
            controls: f.controls.clone(),
            address: f.address.clone(),
            resource_type: f.resource_type.clone(),
            message: f.message.clone(),
            file: f.file.clone(),
            line: f.line,
            state: FindingState::Open,
            assignee: None,
            accepted_reason: None,
            accepted_until: None,
            first_seen: now.clone(),
            history: vec![(run_id_hint.clone(), "opened".into())],
        };
        creates.push(
            NewRecord::new(
                "finding",
                owner_org_id.to_owned(),
                serde_json::to_value(&data).map_err(|_| ApiError::internal())?,
            )
            .of_engagement(engagement_id.to_owned()),
        );
    }
    let controls = summary.get("controls").cloned().unwrap_or(Value::Null);
    let bytes = serde_json::to_vec(report).map_err(|_| ApiError::internal())?;
    let (report_sha256, _) =
        crate::blobs::keep_blob(state, p, Some(engagement_id), bytes, "application/json").await?;
    let run = RunData {
        at: now.clone(),
        uploaded_by: p.actor.id.clone(),
        source: source.to_owned(),
        inputs: report.get("inputs").cloned().unwrap_or(Value::Null),
        level: report
            .get("level")
            .and_then(Value::as_str)
            .map(str::to_owned),
        failed: summary.get("failed").and_then(Value::as_i64).unwrap_or(0),
        passed: summary.get("passed").and_then(Value::as_i64).unwrap_or(0),
        unknown: summary.get("unknown").and_then(Value::as_i64).unwrap_or(0),
        resources: summary
            .get("resources")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        controls_failed: strings(&controls["failed"]),
        controls_passed: strings(&controls["passed"]),
        controls_not_evaluated: strings(&controls["not_evaluated"]),
        by_family: counts(&summary["by_family"]),
        by_severity: counts(&summary["by_severity"]),
        opened,
        reopened,
        closed,
        report_sha256: Some(report_sha256),
    };
    let record = NewRecord::new(
        "scan_run",
        owner_org_id.to_owned(),
        serde_json::to_value(&run).map_err(|_| ApiError::internal())?,
    )
    .of_engagement(engagement_id.to_owned());
    // New high and critical findings are told in the same transaction.
    if let Some(e) = state
        .store
        .visible_engagement(engagement_id, owner_org_id)
        .await?
        && let Some(event) = crate::notify::events::findings(&e, &run_id_hint, &new_findings)
    {
        creates.extend(crate::notify::outbox(state, &event, false).await?);
    }
    let written = state
        .store
        .record_scan(&p.actor, record, creates, updates)
        .await?;
    // In operation, scan runs are the supervision records the guide asks for.
    crate::services::records::record_held(
        state,
        p,
        engagement_id,
        Some(cloudward_domain::engagement::Phase::Operation),
        "supervision-records",
        format!("cloudward:scans/{engagement_id}"),
    )
    .await?;
    Ok((written, run))
}

/// Stores an uploaded report as a run of engagement `id`.
pub async fn upload(
    state: &AppState,
    p: &Principal,
    id: &str,
    report: &Value,
) -> ApiResult<RunView> {
    let (e, _) = acting(state, p, id, Action::ScanUpload).await?;
    let (r, run) = ingest(state, p, &e.id, &e.customer_org_id, report, "upload").await?;
    Ok(RunView {
        id: r.id,
        engagement_id: r.engagement_id,
        run,
    })
}

/// Scans uploaded files at the engagement's level (in a worker process with limits) and
/// stores the result as a run.
pub async fn run(
    state: &AppState,
    p: &Principal,
    id: &str,
    files: &[ScanFile],
    pack: Option<&str>,
) -> ApiResult<RunView> {
    let (e, _) = acting(state, p, id, Action::ScanRun).await?;
    if files.is_empty() {
        return Err(bad_scan("$.files is empty"));
    }
    let org = p.org.as_ref().map_or("", |o| o.id.as_str());
    let report =
        crate::scanning::scan_files(state, org, files, e.level.map(|l| l.id()), pack).await?;
    let (r, run) = ingest(state, p, &e.id, &e.customer_org_id, &report, "server").await?;
    Ok(RunView {
        id: r.id,
        engagement_id: r.engagement_id,
        run,
    })
}

/// The full report a run kept (as uploaded, or as the server's scan wrote it).
pub async fn report(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<u8>> {
    let (_, run) = visible_run(state, p, id, Action::ScanRunReport).await?;
    run_report(state, &run).await
}

/// A stored scan run, if the caller sees its engagement.
pub(crate) async fn visible_run(
    state: &AppState,
    p: &Principal,
    id: &str,
    action: Action,
) -> ApiResult<(Record, RunData)> {
    let r = crate::services::engagements::record_of(state, "scan_run", id).await?;
    // No run, no engagement to see.
    let of = r
        .as_ref()
        .and_then(|r| r.engagement_id.clone())
        .unwrap_or_default();
    engagement(state, p, &of, action).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let run: RunData =
        serde::Deserialize::deserialize(&r.data).map_err(|_| ApiError::internal())?;
    Ok((r, run))
}

/// The report a run kept, as uploaded (or as the server's scan wrote it).
pub(crate) async fn run_report(state: &AppState, run: &RunData) -> ApiResult<Vec<u8>> {
    let Some(sha) = &run.report_sha256 else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "api.run_without_report",
        ));
    };
    let (_, bytes) = crate::blobs::read_blob(state, sha).await?;
    Ok(bytes)
}
