//! The `content/` folder — catalog, guide data, messages — embedded in the binary at
//! build time, and the same shape read from a folder on disk (`--catalog DIR`).
//!
//! This crate only moves bytes; parsing and validation live in `cloudward-domain`.

use std::path::Path;

use cloudward_domain::i18n::Messages;
use cloudward_domain::load::{self, Content, Source};
use cloudward_domain::problem::{Problem, ProblemKind};
use include_dir::{Dir, include_dir};

static CONTENT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../content");

/// The message table's path inside the content folder.
pub const MESSAGES_FILE: &str = "i18n/messages.yaml";

fn collect(dir: &'static Dir<'static>, out: &mut Vec<Source>) {
    for file in dir.files() {
        if let Some(text) = file.contents_utf8() {
            out.push(Source {
                path: file.path().to_string_lossy().replace('\\', "/"),
                text: text.to_owned(),
            });
        }
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}

/// Every text file of the embedded content folder.
pub fn embedded() -> Vec<Source> {
    let mut out = Vec::new();
    collect(&CONTENT, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The embedded catalog and guide, validated.
pub fn embedded_content() -> Result<Content, Vec<Problem>> {
    load::load(&embedded())
}

/// The embedded message table. An unreadable table is a build defect that the tests
/// catch; at run time it degrades to showing message keys (the server refuses to start
/// instead: see [`messages_checked`]).
pub fn messages() -> Messages {
    messages_checked().unwrap_or_default()
}

/// The embedded message table, or why it does not read.
pub fn messages_checked() -> Result<Messages, String> {
    let text = CONTENT
        .get_file(MESSAGES_FILE)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| format!("{MESSAGES_FILE} is not embedded"))?;
    Messages::parse(text).map_err(|e| format!("{MESSAGES_FILE}: {e}"))
}

/// The raw text of an embedded file, by its path inside the content folder.
pub fn embedded_file(path: &str) -> Option<&'static str> {
    CONTENT.get_file(path).and_then(|f| f.contents_utf8())
}

/// Reads every `.yaml` file under `dir` (recursively) as content sources, with paths
/// relative to `dir`.
pub fn from_dir(dir: &Path) -> Result<Vec<Source>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    walk(dir, dir, &mut out, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn unreadable(path: &Path, err: &dyn std::fmt::Display) -> Problem {
    Problem {
        file: path.display().to_string(),
        line: None,
        entry: None,
        kind: ProblemKind::Unreadable {
            detail: err.to_string(),
        },
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Source>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(unreadable(dir, &err));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(err) => {
                problems.push(unreadable(dir, &err));
                continue;
            }
        };
        if path.is_dir() {
            walk(root, &path, out, problems);
            continue;
        }
        if path.extension().is_none_or(|e| e != "yaml" && e != "yml") {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => out.push(Source { path: rel, text }),
                Err(err) => problems.push(unreadable(Path::new(&rel), &err)),
            },
            Err(err) => problems.push(unreadable(Path::new(&rel), &err)),
        }
    }
}

/// Loads and validates a content folder from disk.
pub fn load_dir(dir: &Path) -> Result<Content, Vec<Problem>> {
    load::load(&from_dir(dir)?)
}
