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
        // A secret rule judges what the code holds: every resource and provider of the file.
        .filter(|r| rule.resources.iter().any(|t| **t == *r.rtype) || rule.provider == "terraform")
        .map(|r| r.address.to_string())
        .collect();
    let mut typed = typed;
    if rule.provider == "terraform" {
        typed.extend(
            std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    l.trim()
                        .strip_prefix("alias")
                        .and_then(|r| r.split('"').nth(1))
                })
                .map(|a| format!("provider.alicloud.{a}")),
        );
        typed.extend(
            std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("variable \"")
                        .and_then(|r| r.split('"').next())
                })
                .map(|v| format!("var.{v}")),
        );
        typed.sort();
        typed.dedup();
    }
    let estate = Estate::new(loaded.resources);
    let out = engine::run(rules, &[index], &estate, &content.regions, None);
    // A finding on a resource points at its block's first line in the fixture.
    let text = std::fs::read_to_string(file).unwrap();
    for f in &out.findings {
        if let Some(r) = f.resource(&estate)
            && &*r.provider == "terraform"
        {
            // A secret is reported at the line of the attribute that holds it.
            let attribute = r
                .attrs
                .get("attribute")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let key = attribute.rsplit('.').next().unwrap_or(attribute);
            // In a ROS template, a parameter's secret is its `Default`.
            let key = if attribute.starts_with("Parameters.") {
                "Default"
            } else {
                key
            };
            let at = text.lines().nth(r.line as usize - 1).unwrap_or("");
            assert!(
                at.trim_start().trim_start_matches("- ").starts_with(key)
                    && (at.contains('=') || at.contains(':')),
                "{}: {} is reported at line {} ({at:?}), not at {key}",
                rules[index].id,
                r.address,
                r.line
            );
        } else if let Some(r) = f.resource(&estate) {
            let name = r.base_address().rsplit('.').next().unwrap_or_default();
            // A Terraform block's header, or a ROS resource's logical id.
            let header = if &*r.provider == "ros" {
                format!("{name}:")
            } else {
                format!("resource \"{}\" \"{name}\"", r.rtype)
            };
            let line = text
                .lines()
                .position(|l| l.trim_start().starts_with(&header))
                .map(|i| i as u64 + 1);
            assert_eq!(
                line,
                Some(r.line),
                "{}: {} is reported at line {} of {}",
                rules[index].id,
                r.address,
                r.line,
                file.display()
            );
        }
    }
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
                let file = if rule.id.contains("-LOC-") && rule.provider == "ros" {
                    dir.join(format!("{}.yaml", rule.id))
                } else if rule.id.contains("-LOC-") {
                    fixtures().join("location/data-location.tf")
                } else if rule.provider == "ros" {
                    dir.join(format!("{}.yaml", rule.id))
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
                for addr in typed.iter().filter(|a| {
                    rule.provider == "terraform"
                        || a.starts_with(&rules::type_prefix(&rule.provider))
                }) {
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
                // A type that must not be declared has no passing resource.
                let never = matches!(rule.cond, rules::Cond::Never);
                if !saw_fail || !(saw_pass || never) {
                    problems.push(format!(
                        "{}: the fixture needs fail* and pass* resources of its types",
                        rule.id
                    ));
                }
            }
            Scope::Account => {
                // With none of the resources that carry the setting, the account fails (or,
                // for a rule whose condition only applies when something exists — "if API
                // groups exist, their calls are logged" — nothing fails).
                let scratch = tempfile::tempdir().unwrap();
                let absent = if rule.provider == "ros" {
                    let absent = scratch.path().join("absent.yaml");
                    std::fs::write(
                        &absent,
                        "ROSTemplateFormatVersion: '2015-09-01'\nResources:\n  x:\n    Type: ALIYUN::ROS::WaitConditionHandle\n",
                    )
                    .unwrap();
                    absent
                } else {
                    let absent = scratch.path().join("absent.tf");
                    std::fs::write(
                        &absent,
                        format!("resource \"{}_unrelated\" \"x\" {{}}\n", rule.provider),
                    )
                    .unwrap();
                    absent
                };
                let (fails, _, _) = run_one(&rules, i, &absent, &content);
                if !(fails.is_empty() || fails == [format!("{} (account)", rule.provider)]) {
                    problems.push(format!(
                        "{}: without {:?} the account should fail, gave {fails:?}",
                        rule.id, rule.resources
                    ));
                }
                // The fail fixture: each resource carrying the setting that is not named
                // pass* fails where it is written; the account fails only when the fixture
                // has no such resource. The pass fixture: nothing fails.
                for (suffix, should_fail) in [("fail", true), ("pass", false)] {
                    // A ROS account rule's fixtures are templates.
                    let ext = if rule.provider == "ros" { "yaml" } else { "tf" };
                    let file = dir.join(format!("{}.{suffix}.{ext}", rule.id));
                    if !file.exists() {
                        problems.push(format!("{}: no fixture {}", rule.id, file.display()));
                        continue;
                    }
                    let (fails, unknown, typed) = run_one(&rules, i, &file, &content);
                    let account = format!("{} (account)", rule.provider);
                    if !unknown.is_empty() {
                        problems.push(format!(
                            "{}: {suffix} fixture unknown on {unknown:?}",
                            rule.id
                        ));
                    }
                    if !should_fail {
                        if !fails.is_empty() {
                            problems.push(format!("{}: pass fixture fails on {fails:?}", rule.id));
                        }
                        continue;
                    }
                    if typed.is_empty() {
                        if fails != [account.clone()] {
                            problems.push(format!(
                                "{}: fail fixture without {:?} should fail on the account, gave {fails:?}",
                                rule.id, rule.resources
                            ));
                        }
                    } else {
                        let expected: Vec<&String> = typed
                            .iter()
                            .filter(|a| !name_of(a).starts_with("pass"))
                            .collect();
                        if expected.is_empty()
                            || fails.contains(&account)
                            || expected.iter().any(|a| !fails.contains(a))
                        {
                            problems.push(format!(
                                "{}: fail fixture should fail on {expected:?} (not the account), gave {fails:?}",
                                rule.id
                            ));
                        }
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
    assert!(count("ros") >= 50, "ros has {}", count("ros"));
    for p in ["alicloud", "tencentcloud", "huaweicloud", "aws", "ros"] {
        assert!(
            rules
                .iter()
                .any(|r| r.provider == p && r.id.contains("-LOC-")),
            "{p} has a data-location rule"
        );
    }
}

fn load_one(text: &str) -> Result<Vec<Rule>, Vec<cloudward_domain::problem::Problem>> {
    let content = content();
    let src = cloudward_domain::load::Source {
        path: "mine/r.yaml".into(),
        text: text.into(),
    };
    rules::load(&[&[src]], &content.catalog)
}

const HEAD: &str = "rules:\n  - id: MY-01\n    provider: alicloud\n    resources: [alicloud_oss_bucket]\n    severity: low\n    level: general\n    controls: [AC-07]\n    title: { zh: 标题, en: Title }\n    remediation: { zh: 修复, en: Fix }\n";

#[test]
fn a_condition_that_would_be_dropped_is_an_error_at_its_line_and_column() {
    // `not` beside `all` in one mapping: once, the loader kept `all` and dropped `not`.
    let two = format!(
        "{HEAD}    require:\n      all:\n        - {{ path: acl, equals: private }}\n        - path: versioning.status\n          equals: Enabled\n          not: {{ path: x, exists: true }}\n"
    );
    let p = load_one(&two).unwrap_err();
    let text = format!("{p:?}");
    assert!(
        text.contains("line 13 column 11") && text.contains("not and path"),
        "{text}"
    );
    assert_eq!(p[0].line, Some(13));
    let mixed = format!(
        "{HEAD}    require:\n      all: [{{ path: acl, equals: private }}]\n      not: {{ path: x, exists: true }}\n"
    );
    let text = format!("{:?}", load_one(&mixed).unwrap_err());
    assert!(
        text.contains("all and not") && text.contains("line 11"),
        "{text}"
    );
    // An unknown key (a typo of an operator) is refused where it is.
    let typo = format!("{HEAD}    require:\n      path: acl\n      equal: private\n");
    let p = load_one(&typo).unwrap_err();
    assert_eq!(p[0].line, Some(12), "{p:?}");
    assert!(format!("{p:?}").contains("equal"), "{p:?}");
    // Two operators in one test, an operator beside a combinator.
    let two_ops = format!("{HEAD}    require: {{ path: acl, equals: a, not_equals: b }}\n");
    assert!(format!("{:?}", load_one(&two_ops).unwrap_err()).contains("equals and not_equals"));
    let op_beside =
        format!("{HEAD}    require: {{ any: [{{ path: acl, exists: true }}], equals: a }}\n");
    assert!(
        format!("{:?}", load_one(&op_beside).unwrap_err())
            .contains("'equals' does not go with 'any'")
    );
    // `not:` with nothing after it (its block indented as a sibling) is refused, not read
    // as absent.
    let empty_not = format!(
        "{HEAD}    require:\n      all:\n        - not:\n          all:\n            - {{ path: acl, equals: private }}\n"
    );
    let p = load_one(&empty_not).unwrap_err();
    assert!(format!("{p:?}").contains("needs a condition"), "{p:?}");
    assert_eq!(p[0].line, Some(12), "{p:?}");
    // What is well-formed still loads.
    let good = format!(
        "{HEAD}    require:\n      all:\n        - {{ path: acl, equals: private, default: private }}\n        - not: {{ path: website, exists: true }}\n"
    );
    assert_eq!(load_one(&good).unwrap().len(), 1);
}

/// The console's Chinese pages show rule titles: a Latin word in lower case (an attribute
/// name, `root`) would be English left on them. Identifiers belong in the remediation.
#[test]
fn chinese_titles_hold_no_lower_case_latin_words() {
    let content = content();
    let rules = builtin_rules(&content);
    let word = regex::Regex::new(r"\b[a-z][a-z_]+\b").unwrap();
    let bad: Vec<String> = rules
        .iter()
        .filter(|r| word.is_match(&r.title.zh))
        .map(|r| format!("{}: {}", r.id, r.title.zh))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}
