//! Every built-in rule against its fixture: it fails on each `fail*` resource and passes
//! on each `pass*` resource, asserted by address.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};

use cloudward_domain::load::Content;
use cloudward_scan::engine::{self, Status};
use cloudward_scan::input::{self, ReadOptions};
use cloudward_scan::model::Estate;
use cloudward_scan::rules::{self, Rule, Scope};

fn content() -> Content {
    cloudward_content::embedded_content().unwrap()
}

fn builtin_rules(content: &Content) -> Vec<Rule> {
    let sources: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    rules::load(&[&sources], &content.catalog)
        .unwrap_or_else(|p| panic!("built-in rules invalid: {p:#?}"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// Runs one rule over one fixture file: (failing addresses, unknown addresses, all addresses of its types).
fn run_one(
    rules: &[Rule],
    index: usize,
    file: &Path,
    content: &Content,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let loaded = input::read(&[file.to_path_buf()], &ReadOptions::default());
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        file.display(),
        loaded.errors
    );
    let rule = &rules[index];
    let typed: Vec<String> = loaded
        .resources
        .iter()
        .filter(|r| rule.resources.iter().any(|t| **t == *r.rtype))
        .map(|r| r.address.to_string())
        .collect();
    let estate = Estate::new(loaded.resources);
    let out = engine::run(rules, &[index], &estate, &content.regions, None);
    let fails = out
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.address(rules, &estate).into_owned())
        .collect();
    let unknown = out
        .unknown
        .iter()
        .map(|f| f.address(rules, &estate).into_owned())
        .collect();
    (fails, unknown, typed)
}

fn name_of(address: &str) -> &str {
    address.rsplit('.').next().unwrap_or(address)
}

#[test]
fn every_rule_fails_and_passes_on_its_fixture() {
    let content = content();
    let rules = builtin_rules(&content);
    let mut problems = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let dir = fixtures().join(&rule.provider);
        match rule.scope {
            Scope::Resource => {
                let file = if rule.id.contains("-LOC-") {
                    fixtures().join("location/data-location.tf")
                } else {
                    dir.join(format!("{}.tf", rule.id))
                };
                if !file.exists() {
                    problems.push(format!("{}: no fixture {}", rule.id, file.display()));
                    continue;
                }
                let (fails, unknown, typed) = run_one(&rules, i, &file, &content);
                let mut saw_fail = false;
                let mut saw_pass = false;
                for addr in typed
                    .iter()
                    .filter(|a| a.starts_with(&format!("{}_", rule.provider)))
                {
                    let name = name_of(addr);
                    if name.starts_with("fail") {
                        saw_fail = true;
                        if !fails.contains(addr) {
                            problems.push(format!(
                                "{}: expected to fail on {addr} (unknown: {})",
                                rule.id,
                                unknown.contains(addr)
                            ));
                        }
                    } else if name.starts_with("pass") {
                        saw_pass = true;
                        if fails.contains(addr) || unknown.contains(addr) {
                            problems.push(format!(
                                "{}: expected to pass on {addr} (unknown: {})",
                                rule.id,
                                unknown.contains(addr)
                            ));
                        }
                    }
                }
                if !saw_fail || !saw_pass {
                    problems.push(format!(
                        "{}: the fixture needs fail* and pass* resources of its types",
                        rule.id
                    ));
                }
            }
            Scope::Account => {
                for (suffix, should_fail) in [("fail", true), ("pass", false)] {
                    let file = dir.join(format!("{}.{suffix}.tf", rule.id));
                    if !file.exists() {
                        problems.push(format!("{}: no fixture {}", rule.id, file.display()));
                        continue;
                    }
                    let (fails, unknown, _) = run_one(&rules, i, &file, &content);
                    let account = format!("{} (account)", rule.provider);
                    if fails.contains(&account) != should_fail || unknown.contains(&account) {
                        problems.push(format!(
                            "{}: {suffix} fixture gave fail={} unknown={}",
                            rule.id,
                            fails.contains(&account),
                            unknown.contains(&account)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn coverage_per_provider() {
    let content = content();
    let rules = builtin_rules(&content);
    let count = |p: &str| rules.iter().filter(|r| r.provider == p).count();
    assert!(
        count("alicloud") >= 60,
        "alicloud has {}",
        count("alicloud")
    );
    for p in ["tencentcloud", "huaweicloud", "aws"] {
        assert!(count(p) >= 15, "{p} has {}", count(p));
    }
    for p in ["alicloud", "tencentcloud", "huaweicloud", "aws"] {
        assert!(
            rules
                .iter()
                .any(|r| r.provider == p && r.id.contains("-LOC-")),
            "{p} has a data-location rule"
        );
    }
}
