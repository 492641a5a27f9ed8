//! The rules against the providers' own documentation (`../shared/providers`, not part of
//! the repository: skipped with a message when absent): every attribute path a built-in
//! rule reads is documented for its resource type, and every example in the pages is read
//! by the HCL reader — without an input error, except the examples listed in
//! `tests/fixtures/corpus-exceptions.txt` (not valid HCL: placeholders such as `...`),
//! which must get an error naming file, line and column.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cloudward_scan::docs::{self, ProviderDocs};
use cloudward_scan::input::{self, ReadOptions};

const PROVIDERS: [&str; 3] = ["alicloud", "tencentcloud", "huaweicloud"];

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/providers");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: ../shared/providers is absent");
        None
    }
}

#[test]
fn every_path_a_rule_reads_is_documented_for_its_resource() {
    let Some(root) = shared() else { return };
    let content = cloudward_content::embedded_content().unwrap();
    let sources: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    let rules = cloudward_scan::rules::load(&[&sources], &content.catalog).unwrap();
    let mut problems = Vec::new();
    let mut judged = 0;
    for p in PROVIDERS {
        let docs = ProviderDocs::read(&root.join(p).join("resources"), p).unwrap();
        assert!(docs.types.len() > 500, "{p}: {} pages", docs.types.len());
        for r in rules.iter().filter(|r| r.provider == p) {
            judged += 1;
            for u in docs::undocumented(r, &docs) {
                problems.push(format!("{}: {u}", r.id));
            }
            for t in docs::without_page(r, &docs) {
                eprintln!("{}: {t} has no page (not judged)", r.id);
            }
        }
    }
    assert!(judged > 50);
    assert!(
        problems.is_empty(),
        "{} path(s) the provider does not document:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_example_in_the_provider_docs_is_read() {
    let Some(root) = shared() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut why: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut unplaced = Vec::new();
    let mut read = 0usize;
    for p in PROVIDERS {
        let dir = root.join(p).join("resources");
        let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        pages.sort();
        for page in pages {
            let text = std::fs::read_to_string(&page).unwrap();
            let name = page.file_name().unwrap().to_string_lossy().into_owned();
            for (line, example) in docs::examples(&text) {
                read += 1;
                let file = scratch.path().join(format!("{p}-{read}.tf"));
                std::fs::write(&file, &example).unwrap();
                let loaded = input::read(std::slice::from_ref(&file), &ReadOptions::default());
                std::fs::remove_file(&file).unwrap();
                if let Some(e) = loaded.errors.first() {
                    failed.insert(format!("{p}/{name}:{line}"));
                    why.insert(
                        format!("{p}/{name}:{line}"),
                        format!(
                            "line {} column {}: {}",
                            e.line.unwrap_or(0),
                            e.column.unwrap_or(0),
                            e.message.lines().next().unwrap_or("")
                        ),
                    );
                    if e.line.is_none() || e.column.is_none() || !e.file.ends_with(".tf") {
                        unplaced.push(format!("{p}/{name}:{line}: {e}"));
                    }
                }
            }
        }
    }
    assert!(read > 3000, "only {read} examples");
    let listed_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus-exceptions.txt");
    if std::env::var_os("UPDATE_CORPUS").is_some() {
        let mut text = String::from(
            "# Examples in ../shared/providers that are not valid HCL (placeholders, fragments).\n# Regenerate: UPDATE_CORPUS=1 cargo test -p cloudward-scan --test provider_docs\n",
        );
        for f in &failed {
            text.push_str(f);
            text.push_str("  # ");
            text.push_str(why.get(f).map_or("", String::as_str));
            text.push('\n');
        }
        std::fs::write(&listed_path, text).unwrap();
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(&listed_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split("  # ").next().unwrap_or(l).trim().to_owned())
        .collect();
    let new: Vec<&String> = failed.difference(&listed).collect();
    let fixed: Vec<&String> = listed.difference(&failed).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "{read} examples read. Newly refused: {new:#?}\nNo longer refused (remove from the list): {fixed:#?}"
    );
    assert!(unplaced.is_empty(), "errors without a place: {unplaced:#?}");
    // The exceptions are few (the pages' `...` placeholders and a few typos): the reader
    // reads real-world Terraform.
    assert!(
        failed.len() * 10 < read,
        "{} of {read} refused",
        failed.len()
    );
}
