//! Fuzzing of every parser on stable Rust: the scanner's readers (Terraform, plan and
//! state JSON, inventory JSON/JSONL) and rule files, engagement files and content folders,
//! OSCAL imports and scan reports for `push`. Inputs are mutations of the shipped fixtures
//! (and of the provider documentation's examples, when `../shared` is there) and
//! Terraform generated to stress evaluation (growing locals, nested `for`, `dynamic`,
//! `count`). A parser may refuse an input, never panic; whatever is read is evaluated
//! (scanned, checked, converted) as the CLI would.
//!
//! `FUZZ_CASES` sets the number of inputs per reader (CI's default keeps the suite short;
//! `bench/fuzz/README.md` has a longer run). A failing input is printed by proptest,
//! shrunk, and belongs in `regressions` below once fixed.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};

use cloudward_scan::engine;
use cloudward_scan::input::{self, InputType, ReadOptions};
use cloudward_scan::model::Estate;
use cloudward_scan::rules;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(192)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Files of the corpus with one of the extensions, below `dir`.
fn corpus(dir: &Path, exts: &[&str], out: &mut Vec<Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            corpus(&p, exts, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
            && let Ok(b) = std::fs::read(&p)
        {
            out.push(b);
        }
    }
}

/// The HCL examples of the providers' documentation (```terraform / ```hcl blocks).
fn provider_examples(limit: usize) -> Vec<Vec<u8>> {
    let dir = root().join("../shared/providers");
    if !dir.exists() {
        eprintln!("../shared/providers is absent: fuzzing without the provider examples");
        return Vec::new();
    }
    let mut docs = Vec::new();
    corpus(&dir, &["md", "markdown"], &mut docs);
    let mut out = Vec::new();
    for d in docs {
        let text = String::from_utf8_lossy(&d);
        let mut block: Option<String> = None;
        for line in text.lines() {
            match &mut block {
                None if line.starts_with("```terraform") || line.starts_with("```hcl") => {
                    block = Some(String::new())
                }
                Some(b) if line.starts_with("```") => {
                    out.push(std::mem::take(b).into_bytes());
                    block = None;
                }
                Some(b) => {
                    b.push_str(line);
                    b.push('\n');
                }
                None => {}
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    out.truncate(limit);
    out
}

/// A mutation of a seed: byte flips, insertions of structural bytes, deletions,
/// duplications of a slice, truncation.
fn mutate(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len().max(1);
    let seeds = std::sync::Arc::new(seeds);
    (
        0..n,
        prop::collection::vec((0usize..1 << 20, 0u8..8, any::<u8>()), 1..12),
    )
        .prop_map(move |(i, edits)| {
            let mut b = seeds.get(i).cloned().unwrap_or_default();
            const STRUCTURAL: &[u8] = b"{}[]()\"=:,.$%<>#\n\\*?0123456789";
            for (at, op, byte) in edits {
                let at = if b.is_empty() { 0 } else { at % (b.len() + 1) };
                match op {
                    0 if at < b.len() => b[at] = byte,
                    1 => b.insert(at, STRUCTURAL[byte as usize % STRUCTURAL.len()]),
                    2 if at < b.len() => {
                        b.remove(at);
                    }
                    3 if at < b.len() => {
                        let end = (at + byte as usize + 1).min(b.len());
                        let slice = b[at..end].to_vec();
                        for (k, c) in slice.into_iter().enumerate() {
                            b.insert(end + k, c);
                        }
                    }
                    4 => b.truncate(at),
                    5 if at < b.len() => b[at] = STRUCTURAL[byte as usize % STRUCTURAL.len()],
                    _ => b.insert(at, byte),
                }
            }
            b
        })
}

/// Terraform that stresses evaluation: chains of locals that grow, `for` inside `for`,
/// nested `dynamic` blocks over locals, `count` and `for_each` over them.
fn generated_hcl() -> impl Strategy<Value = Vec<u8>> {
    let expr = |i: usize| -> BoxedStrategy<String> {
        let p = i.saturating_sub(1);
        prop_oneof![
            Just(format!("concat(local.l{p}, local.l{p})")),
            Just(format!("[local.l{p}, local.l{p}]")),
            Just(format!("{{ a = local.l{p}, b = local.l{p} }}")),
            Just(format!("merge({{ x = local.l{p} }}, {{ y = local.l{p} }})")),
            Just(format!("\"${{jsonencode(local.l{p})}}${{local.l{p}}}\"")),
            Just(format!("[for x in local.l{p} : [for y in local.l{p} : x]]")),
            Just(format!("{{ for k, v in local.l{p} : k => [v, v] }}")),
            Just(format!("join(\",\", [for x in local.l{p} : tostring(x)])")),
            Just(format!("length(local.l{p}) > 3 ? local.l{p} : [1, 2]")),
            Just(format!("\"%{{ for v in local.l{p} }}${{v}}%{{ endfor }}\"")),
            Just(format!("lookup(local.l{p}, \"a\", local.l{p})")),
            Just("[1, 2, 3, 4, 5, 6, 7, 8]".to_owned()),
        ]
        .boxed()
    };
    (
        1usize..24,
        prop::collection::vec(0usize..1000, 24),
        0usize..6,
        0u32..200,
    )
        .prop_flat_map(move |(n, _, depth, count)| {
            let steps: Vec<BoxedStrategy<String>> = (1..=n).map(expr).collect();
            (steps, Just(depth), Just(count), Just(n))
        })
        .prop_map(|(steps, depth, count, n)| {
            let mut s = String::from("locals {\n  l0 = [\"a\", \"b\", \"c\"]\n");
            for (i, e) in steps.iter().enumerate() {
                s.push_str(&format!("  l{} = {e}\n", i + 1));
            }
            s.push_str("}\n");
            let mut block = "      v = 1\n".to_owned();
            for d in 0..depth {
                block = format!(
                    "dynamic \"d{d}\" {{\n  for_each = local.l{}\n  content {{\n{block}  }}\n}}\n",
                    d % (n + 1)
                );
            }
            s.push_str(&format!(
                "resource \"alicloud_security_group\" \"g\" {{\n  count = {count}\n  name = \"g-${{count.index}}\"\n  tags = {{ x = local.l{n} }}\n{block}}}\n"
            ));
            s.push_str(&format!(
                "resource \"alicloud_oss_bucket\" \"b\" {{\n  for_each = local.l{}\n  bucket = \"b\"\n}}\n",
                n / 2
            ));
            s.into_bytes()
        })
}

/// Reads an input of the given type from a file, then scans what was read with the
/// built-in rules: neither may panic.
fn read_and_scan(bytes: &[u8], file: &str, kind: Option<InputType>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    let loaded = input::read(
        &[path],
        &ReadOptions {
            input_type: kind,
            var_files: Vec::new(),
        },
    );
    let (rules, content) = builtin();
    let estate = Estate::new(loaded.resources);
    let selected = engine::select(rules, cloudward_domain::ProtectionLevel::Advanced);
    let _ = engine::run(rules, &selected, &estate, &content.regions, None);
}

fn builtin() -> &'static (Vec<rules::Rule>, cloudward_domain::load::Content) {
    static RULES: std::sync::OnceLock<(Vec<rules::Rule>, cloudward_domain::load::Content)> =
        std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let content = cloudward_content::embedded_content().unwrap();
        let sources: Vec<_> = cloudward_content::embedded()
            .into_iter()
            .filter(|s| s.path.starts_with("rules/"))
            .collect();
        (rules::load(&[&sources], &content.catalog).unwrap(), content)
    })
}

fn run(name: &str, strategy: impl Strategy<Value = Vec<u8>>, check: impl Fn(&[u8])) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |bytes| {
        check(&bytes);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!("fuzz {name}: {} inputs, no failure", cases());
}

fn seeds(exts: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    corpus(
        &root().join("crates/cli/tests/fixtures/scan"),
        exts,
        &mut out,
    );
    corpus(&root().join("crates/scan/tests/fixtures"), exts, &mut out);
    corpus(&root().join("crates/server/src"), exts, &mut out);
    assert!(!out.is_empty(), "no seeds for {exts:?}");
    out
}

#[test]
fn fuzz_hcl_mutations() {
    let mut s = seeds(&["tf", "tfvars"]);
    s.extend(provider_examples(400));
    run(
        "hcl (mutated fixtures and provider examples)",
        mutate(s),
        |b| read_and_scan(b, "main.tf", None),
    );
}

#[test]
fn fuzz_hcl_generated_evaluation() {
    run(
        "hcl (generated, growing evaluation)",
        generated_hcl(),
        |b| read_and_scan(b, "main.tf", None),
    );
}

#[test]
fn fuzz_plan_and_state_json() {
    let s = seeds(&["json"])
        .into_iter()
        .filter(|b| String::from_utf8_lossy(b).contains("format_version"))
        .collect();
    run("plan/state JSON", mutate(s), |b| {
        read_and_scan(b, "plan.json", Some(InputType::Plan))
    });
}

#[test]
fn fuzz_inventory_json_and_jsonl() {
    let s = seeds(&["json", "jsonl"]);
    run("inventory JSON/JSONL", mutate(s), |b| {
        read_and_scan(b, "inventory.json", Some(InputType::Inventory))
    });
}

#[test]
fn fuzz_rule_yaml() {
    let sources: Vec<Vec<u8>> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .map(|s| s.text.into_bytes())
        .collect();
    let (_, content) = builtin();
    run("rule YAML", mutate(sources), |b| {
        let source = cloudward_domain::load::Source {
            path: "rules/fuzzed.yaml".into(),
            text: String::from_utf8_lossy(b).into_owned(),
        };
        let _ = rules::load(&[&[source]], &content.catalog);
    });
}

fn nested_dynamic(depth: usize) -> String {
    let block = (0..depth).fold("      v = 1\n".to_owned(), |b, d| {
        format!("dynamic \"d{d}\" {{\n  for_each = local.items\n  content {{\n{b}  }}\n}}\n")
    });
    format!(
        "locals {{\n  items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n}}\nresource \"alicloud_security_group\" \"g\" {{\n{block}}}\n"
    )
}

/// Inputs that once failed, kept so they stay fixed.
#[test]
fn regressions() {
    for (file, text) in [
        // A 1 KB chain of doubling locals took the process past 2 GB.
        (
            "double.tf",
            (1..40).fold("locals {\n  l0 = [\"a\"]\n".to_owned(), |s, i| {
                s + &format!("  l{i} = concat(local.l{}, local.l{})\n", i - 1, i - 1)
            }) + "}\n",
        ),
        // Eight nested dynamic blocks (567 bytes) ran past 30 s.
        ("dynamic.tf", nested_dynamic(8)),
    ] {
        read_and_scan(text.as_bytes(), file, None);
    }
}

/// Every file of a folder, as text.
fn texts(dir: &Path, exts: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    corpus(dir, exts, &mut out);
    out
}

#[test]
fn fuzz_engagement_yaml() {
    let seeds = texts(&root().join("examples"), &["yaml", "yml"]);
    assert!(!seeds.is_empty());
    let content = cloudward_content::embedded_content().unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    run("engagement YAML (and check)", mutate(seeds), |b| {
        let text = String::from_utf8_lossy(b);
        if let Ok(file) = cloudward_domain::engagement::parse(&text) {
            let _ = cloudward_domain::check::check(&file, &text, &content, date);
        }
    });
}

#[test]
fn fuzz_content_folder() {
    let sources = cloudward_content::embedded();
    // One file of the content replaced by a mutation of itself; the rest as shipped.
    let strategy = (
        0..sources.len(),
        mutate(
            sources
                .iter()
                .map(|s| s.text.clone().into_bytes())
                .collect(),
        ),
    )
        .prop_map(|(i, b)| {
            let mut v = i.to_le_bytes().to_vec();
            v.extend(b);
            v
        });
    run("content folder", strategy, |b| {
        let (i, rest) = b.split_at(8);
        let i = usize::from_le_bytes(i.try_into().unwrap()) % sources.len();
        let mut all = sources.clone();
        all[i].text = String::from_utf8_lossy(rest).into_owned();
        let _ = cloudward_domain::load::load(&all);
    });
}

#[test]
fn fuzz_oscal_imports() {
    let dir = root().join("../shared/oscal/examples");
    let mut seeds = texts(&dir, &["json"]);
    if seeds.is_empty() {
        eprintln!("../shared/oscal is absent: fuzzing OSCAL on our own exports only");
    }
    // Keep the seeds small enough that a mutation is not mostly copying.
    seeds.retain(|s| s.len() < 2 << 20);
    seeds.push(include_bytes!("fixtures/scan/plan/plan.json").to_vec());
    run("OSCAL documents", mutate(seeds), |b| {
        let text = String::from_utf8_lossy(b);
        match cloudward_oscal::read(&text) {
            Ok(cloudward_oscal::model::Document::Catalog(c)) => {
                let _ = cloudward_oscal::framework::Framework::from_catalog(&c);
            }
            Ok(doc @ cloudward_oscal::model::Document::AssessmentResults(_)) => {
                let _ = cloudward_oscal::results::from_document(&doc);
            }
            _ => {}
        }
        let _ = cloudward_oscal::read::read_catalog(&text);
    });
}

#[test]
fn fuzz_scan_reports_for_push() {
    // Reports the scanner writes, mutated: what `push` and the server's upload parse.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("scan.json");
    common::cw()
        .args([
            "scan",
            "tests/fixtures/scan/plan/plan.json",
            "--format",
            "json",
            "-q",
            "-o",
        ])
        .arg(&report)
        .assert()
        .code(1);
    let seeds = vec![std::fs::read(&report).unwrap()];
    run("scan reports", mutate(seeds), |b| {
        let _ = cloudward_oscal::scan::parse(&String::from_utf8_lossy(b));
    });
}
