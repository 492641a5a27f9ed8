//! The server runs a scan on uploaded files, exactly as `cloudward scan --format json`
//! would on the same files: same readers, same built-in rules, same report.

use std::path::{Component, Path, PathBuf};

use cloudward_domain::{Lang, ProtectionLevel};
use cloudward_scan::engine;
use cloudward_scan::input::{self, InputType, ReadOptions};
use cloudward_scan::model::Estate;
use cloudward_scan::report::{self, Meta};
use cloudward_scan::rules;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::supervision::ScanFile;

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

pub fn scan_files(files: &[ScanFile], level: Option<&str>) -> ApiResult<Value> {
    let dir = tempfile::tempdir().map_err(|_| ApiError::internal())?;
    let mut paths = Vec::new();
    let mut all_terraform = true;
    for f in files {
        let rel = safe_name(&f.name)
            .ok_or_else(|| bad(format!("$.files: {:?} is not a relative path", f.name)))?;
        let path = dir.path().join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|_| ApiError::internal())?;
        }
        std::fs::write(&path, &f.content).map_err(|_| ApiError::internal())?;
        all_terraform &= rel.extension().is_some_and(|e| e == "tf" || e == "tfvars");
        paths.push(path);
    }
    // A Terraform tree is read as one root module; other inputs file by file.
    let inputs = if all_terraform {
        vec![dir.path().to_owned()]
    } else {
        paths
    };
    let content = cloudward_content::embedded_content().map_err(|_| ApiError::internal())?;
    let builtin: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    let rules = rules::load(&[&builtin], &content.catalog).map_err(|_| ApiError::internal())?;
    let loaded = input::read(
        &inputs,
        &ReadOptions {
            input_type: None::<InputType>,
            var_files: Vec::new(),
        },
    );
    if !loaded.errors.is_empty() {
        let base = format!("{}/", dir.path().display());
        let detail = loaded
            .errors
            .iter()
            .map(|e| e.to_string().replace(&base, ""))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(bad(detail));
    }
    let level_given = level.is_some();
    let level = level
        .and_then(ProtectionLevel::parse)
        .unwrap_or(ProtectionLevel::Advanced);
    let estate = Estate::new(loaded.resources);
    let selected = engine::select(&rules, level);
    let outcome = engine::run(&rules, &selected, &estate, &content.regions, None);
    let shown: Vec<(String, InputType)> = loaded
        .inputs
        .iter()
        .map(|(p, t)| {
            let rel = Path::new(p)
                .strip_prefix(dir.path())
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
    };
    let mut buf = Vec::new();
    report::write_json(&mut buf, &outcome, &rules, &meta).map_err(|_| ApiError::internal())?;
    let text = String::from_utf8_lossy(&buf).replace(&format!("{}/", dir.path().display()), "");
    serde_json::from_str(&text).map_err(|_| ApiError::internal())
}
