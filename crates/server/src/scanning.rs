//! The server runs a scan on uploaded files, exactly as `cloudward scan --format json`
//! would on the same files: same readers, same built-in rules, same report.
//!
//! An upload is hostile until scanned. When the server is given a worker program
//! (`Config::scan_worker`, which `cloudward serve` sets to itself), each scan runs in a
//! child process (`cloudward scan-worker`) that limits its own address space and CPU
//! time, and the server kills it after a wall-clock limit: an upload that explodes costs
//! one scan, not the service, and whatever the scan interned dies with it. Without a
//! worker (the server library embedded in tests), the scan runs on a blocking thread
//! under the scanner's own evaluation budget. Each organisation may run a bounded number
//! of scans at once.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::StatusCode;
use cloudward_domain::{Lang, ProtectionLevel};
use cloudward_scan::engine;
use cloudward_scan::input::{self, InputType, ReadOptions};
use cloudward_scan::model::Estate;
use cloudward_scan::packs::{self, Packs};
use cloudward_scan::report::{self, Meta};
use cloudward_scan::rules::{self, Rule};
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::supervision::ScanFile;

/// Most files one scan upload may hold.
pub const MAX_SCAN_FILES: usize = 1000;

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("api.bad_scan").arg("detail", detail.into())
}

/// A relative path without `..`: where the file goes under the scan's folder.
fn safe_name(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if name.is_empty() || p.is_absolute() {
        return None;
    }
    p.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| p.to_owned())
}

type Builtin = (Vec<Rule>, cloudward_domain::load::Content, Packs);

/// The built-in rules and packs (the 等保 packs among them), compiled once for the process.
fn builtin() -> Result<&'static Builtin, String> {
    static RULES: OnceLock<Result<Builtin, String>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let content = cloudward_content::embedded_content()
                .map_err(|_| "the embedded content does not load".to_owned())?;
            let builtin: Vec<_> = cloudward_content::embedded()
                .into_iter()
                .filter(|s| s.path.starts_with("rules/"))
                .collect();
            let rules = rules::load(&[&builtin], &content.catalog)
                .map_err(|_| "the built-in rules do not load".to_owned())?;
            let mut packs = packs::load(&[&builtin], &rules)
                .map_err(|_| "the built-in packs do not load".to_owned())?;
            cloudward_scan::mlps::add_packs(&mut packs, &content.mlps);
            Ok((rules, content, packs))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The built-in rules, compiled once for the process.
fn builtin_rules() -> Result<(&'static Vec<Rule>, &'static cloudward_domain::load::Content), String>
{
    builtin().map(|(r, c, _)| (r, c))
}

/// The packs a server scan may be limited to: `default` and the built-in ones.
pub fn pack_names() -> Vec<&'static str> {
    builtin().map(|(_, _, p)| p.names()).unwrap_or_default()
}

/// A built-in rule by its id: its title and remediation in both languages, for showing a
/// stored finding in the reader's language.
pub fn builtin_rule(id: &str) -> Option<&'static Rule> {
    builtin_rules().ok()?.0.iter().find(|r| r.id == id)
}

/// Every built-in rule's title and remediation in both languages, by id: for documents
/// made from a stored report.
pub fn builtin_rule_words()
-> std::collections::BTreeMap<String, cloudward_report::subjects::RuleWords> {
    builtin_rules()
        .map(|(rules, _)| {
            rules
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        cloudward_report::subjects::RuleWords {
                            title: r.title.clone(),
                            remediation: r.remediation.text.clone(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Why a scan of a folder gave no report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The input is not acceptable: the readers' errors, paths relative to the folder.
    Input(String),
    /// Something on the server side failed.
    Internal(String),
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Scans the files of a folder as the server does: a Terraform tree as one root module,
/// other inputs file by file; the report's paths are relative to the folder.
pub fn scan_dir(dir: &Path, level: Option<&str>, pack: Option<&str>) -> Result<Value, Refusal> {
    let (_, _, packs) = builtin().map_err(Refusal::Internal)?;
    if let Some(p) = pack
        && !packs.names().contains(&p)
    {
        return Err(Refusal::Input(format!(
            "unknown pack '{p}'; accepted: {}",
            packs.names().join(", ")
        )));
    }
    let paths = files_under(dir);
    let all_terraform = paths
        .iter()
        .all(|p| p.extension().is_some_and(|e| e == "tf" || e == "tfvars"));
    let inputs = if all_terraform {
        vec![dir.to_owned()]
    } else {
        paths
    };
    let (rules, content) = builtin_rules().map_err(Refusal::Internal)?;
    let loaded = input::read(
        &inputs,
        &ReadOptions {
            input_type: None::<InputType>,
            var_files: Vec::new(),
        },
    );
    let base = format!("{}/", dir.display());
    if !loaded.errors.is_empty() {
        let detail = loaded
            .errors
            .iter()
            .map(|e| e.to_string().replace(&base, ""))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Refusal::Input(detail));
    }
    let level_given = level.is_some();
    let level = level
        .and_then(ProtectionLevel::parse)
        .unwrap_or(ProtectionLevel::Advanced);
    let estate = Estate::new(loaded.resources);
    let selected: Vec<usize> = engine::select(rules, level)
        .into_iter()
        .filter(|i| match pack {
            Some(p) => packs.holds(p, &rules[*i]),
            None => !packs.opt_in(&rules[*i]),
        })
        .collect();
    let outcome = engine::run(rules, &selected, &estate, &content.regions, None);
    // A 等保 pack's per-item results, as the CLI reports them.
    let extra: Vec<(&str, Value)> = match pack.and_then(cloudward_scan::mlps::level_of) {
        Some(l) => {
            let items = cloudward_scan::mlps::results(
                &content.mlps,
                l,
                &outcome.summary.controls,
                Lang::En,
            );
            vec![(
                "mlps",
                Value::Array(vec![cloudward_scan::mlps::json(l, &items)]),
            )]
        }
        None => Vec::new(),
    };
    let shown: Vec<(String, InputType)> = loaded
        .inputs
        .iter()
        .map(|(p, t)| {
            let rel = Path::new(p)
                .strip_prefix(dir)
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            (if rel.is_empty() { ".".into() } else { rel }, *t)
        })
        .collect();
    let meta = Meta {
        version: env!("CARGO_PKG_VERSION"),
        level,
        level_given,
        lang: Lang::En,
        inputs: &shown,
        errors: &loaded.errors,
        notes: &loaded.notes,
        estate: &estate,
        extra: &extra,
    };
    let mut buf = Vec::new();
    report::write_json(&mut buf, &outcome, rules, &meta)
        .map_err(|e| Refusal::Internal(e.to_string()))?;
    let text = String::from_utf8_lossy(&buf).replace(&base, "");
    serde_json::from_str(&text).map_err(|e| Refusal::Internal(e.to_string()))
}

/// Writes the uploaded files into a new folder.
fn write_files(files: &[ScanFile]) -> ApiResult<tempfile::TempDir> {
    if files.len() > MAX_SCAN_FILES {
        return Err(bad(format!(
            "$.files: {} files; the limit is {MAX_SCAN_FILES}",
            files.len()
        )));
    }
    let dir = tempfile::tempdir().map_err(|e| internal(&e))?;
    for f in files {
        let rel = safe_name(&f.name)
            .ok_or_else(|| bad(format!("$.files: {:?} is not a relative path", f.name)))?;
        let path = dir.path().join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| internal(&e))?;
        }
        std::fs::write(&path, &f.content).map_err(|e| internal(&e))?;
    }
    Ok(dir)
}

fn internal(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "server scan failed");
    ApiError::internal()
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Input(detail) => bad(detail),
        Refusal::Internal(detail) => {
            tracing::error!(%detail, "server scan failed");
            ApiError::internal()
        }
    }
}

/// What the worker prints on its standard output: one JSON object.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerAnswer {
    Report(Value),
    Refused(Refusal),
}

/// How many scans each organisation is running.
#[derive(Debug, Default)]
pub struct ScanSlots {
    running: Mutex<HashMap<String, usize>>,
}

/// A running scan's place; given back when dropped.
#[derive(Debug)]
pub struct ScanSlot {
    slots: Arc<ScanSlots>,
    org: String,
}

impl Drop for ScanSlot {
    fn drop(&mut self) {
        if let Ok(mut running) = self.slots.running.lock()
            && let Some(n) = running.get_mut(&self.org)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.org);
            }
        }
    }
}

impl ScanSlots {
    /// A place for one more scan of `org`, or `None` when it already runs `limit`.
    pub fn take(slots: &Arc<ScanSlots>, org: &str, limit: usize) -> Option<ScanSlot> {
        let mut running = slots.running.lock().ok()?;
        let n = running.entry(org.to_owned()).or_insert(0);
        if *n >= limit.max(1) {
            return None;
        }
        *n += 1;
        Some(ScanSlot {
            slots: slots.clone(),
            org: org.to_owned(),
        })
    }
}

/// Scans files of our own (the demo estate) in this process, on this thread.
pub fn scan_trusted_files(files: &[ScanFile], level: Option<&str>) -> ApiResult<Value> {
    let dir = write_files(files)?;
    scan_dir(dir.path(), level, None).map_err(refused)
}

/// Scans uploaded files for `org`, within the organisation's share of concurrent scans,
/// in a limited child process when a worker is configured.
pub async fn scan_files(
    state: &AppState,
    org: &str,
    files: &[ScanFile],
    level: Option<&str>,
    pack: Option<&str>,
) -> ApiResult<Value> {
    let Some(_slot) = ScanSlots::take(&state.scans, org, state.config.scans_per_org) else {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "scans_busy",
            "api.scans_busy",
        )
        .arg("limit", state.config.scans_per_org)
        .arg("seconds", 10));
    };
    let dir = write_files(files)?;
    let level = level.map(str::to_owned);
    let pack = pack.map(str::to_owned);
    match &state.config.scan_worker {
        None => {
            let path = dir.path().to_owned();
            tokio::task::spawn_blocking(move || scan_dir(&path, level.as_deref(), pack.as_deref()))
                .await
                .map_err(|e| internal(&e))?
                .map_err(refused)
        }
        Some(worker) => {
            run_worker(state, worker, dir.path(), level.as_deref(), pack.as_deref()).await
        }
    }
}

async fn run_worker(
    state: &AppState,
    worker: &Path,
    dir: &Path,
    level: Option<&str>,
    pack: Option<&str>,
) -> ApiResult<Value> {
    let config = &state.config;
    let mut cmd = tokio::process::Command::new(worker);
    cmd.arg("scan-worker")
        .arg(dir)
        .arg("--memory-mb")
        .arg(config.scan_memory_mb.to_string())
        .arg("--cpu-seconds")
        .arg(config.scan_timeout_seconds.to_string())
        .env_clear()
        .env("LANG", "C")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some(l) = level {
        cmd.arg("--level").arg(l);
    }
    if let Some(p) = pack {
        cmd.arg("--pack").arg(p);
    }
    let child = cmd.spawn().map_err(|e| internal(&e))?;
    let limit = std::time::Duration::from_secs(config.scan_timeout_seconds.max(1));
    let too_costly = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "scan_too_costly",
            "api.scan_too_costly",
        )
        .arg("seconds", config.scan_timeout_seconds)
        .arg("megabytes", config.scan_memory_mb)
    };
    // On the time limit the future is dropped, and with it the child (kill_on_drop).
    let out = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| internal(&e))?,
        Err(_) => {
            tracing::warn!(
                seconds = config.scan_timeout_seconds,
                "server scan killed at its time limit"
            );
            return Err(too_costly());
        }
    };
    match serde_json::from_slice::<WorkerAnswer>(&out.stdout) {
        Ok(WorkerAnswer::Report(v)) if out.status.success() => Ok(v),
        Ok(WorkerAnswer::Refused(r)) => Err(refused(r)),
        _ => {
            // Killed by its limits (a signal, or an allocation that failed and aborted).
            tracing::warn!(
                status = %out.status,
                stderr = %String::from_utf8_lossy(&out.stderr).chars().take(500).collect::<String>(),
                "server scan ended without a report"
            );
            Err(too_costly())
        }
    }
}

/// The worker's side: limits itself, scans the folder, prints one [`WorkerAnswer`].
///
/// `limit_memory` caps what the process may allocate from now on, in bytes: the binary's
/// global allocator counts every allocation and refuses the one that crosses the cap
/// (which aborts the worker, and the server answers `scan_too_costly`). The operating
/// system's data limit cannot do this: the allocator reserves its arena before `main`,
/// and that reservation alone is over any limit worth setting, so a later page-sized
/// mapping would fail at random while a large scan inside the arena went unchecked.
pub fn worker_main(
    dir: &Path,
    level: Option<&str>,
    pack: Option<&str>,
    memory_mb: u64,
    cpu_seconds: u64,
    limit_memory: &dyn Fn(usize) -> std::io::Result<()>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let bytes = usize::try_from(memory_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
    limit_memory(bytes)?;
    #[cfg(unix)]
    {
        let cpu = cpu_seconds.max(1);
        rlimit::setrlimit(rlimit::Resource::CPU, cpu, cpu.saturating_add(1))
            .map_err(std::io::Error::other)?;
    }
    #[cfg(not(unix))]
    let _ = cpu_seconds;
    let answer = match scan_dir(dir, level, pack) {
        Ok(v) => WorkerAnswer::Report(v),
        Err(r) => WorkerAnswer::Refused(r),
    };
    serde_json::to_writer(&mut *out, &answer).map_err(std::io::Error::other)?;
    out.flush()
}
