//! Every integration test of the crate in one test binary: one link instead of
//! 12, which keeps a clean build's target folder small (CI's disk is not
//! large). A file in `tests/` that is not declared here would not be compiled, so
//! `every_test_file_is_declared` below fails for it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod accounts;
mod api;
mod assessments;
mod audit_page;
mod authorisation;
mod common;
mod console_pages;
mod console_tenancy;
mod demo;
mod documents;
mod evidence;
mod findings;
mod hardening;
mod lifecycle;
mod login;
mod notifications;
mod openapi;
mod oscal;
mod rules;
mod server_errors;
mod tenancy;

#[test]
fn every_test_file_is_declared() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let root = std::fs::read_to_string(dir.join("suite.rs")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let is_module = (path.extension().is_some_and(|e| e == "rs") && stem != "suite")
            || path.join("mod.rs").is_file();
        if is_module {
            assert!(
                root.contains(&format!("mod {stem};")),
                "tests/{stem} is not declared in tests/suite.rs"
            );
        }
    }
}
