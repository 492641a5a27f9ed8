//! The field's coverage: every check the peer tools (InfraGuard, Checkov, KICS, Prowler,
//! Mondoo) make on the clouds we scan, listed in `coverage/peers/*.yaml` with the rule of
//! ours that makes it or the reason we have none. This test checks the lists against the
//! rules and writes `docs/rules-coverage.md` from them (`UPDATE_DOCS=1` to rewrite it).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerFile {
    provider: String,
    sources: BTreeMap<String, String>,
    checks: Vec<PeerCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerCheck {
    tool: String,
    id: String,
    about: String,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    none: Option<String>,
    note: Option<String>,
}

const TOOLS: [(&str, &str); 5] = [
    ("infraguard", "InfraGuard (aliyun/infraguard)"),
    ("checkov", "Checkov"),
    ("kics", "KICS"),
    ("prowler", "Prowler"),
    ("mondoo", "Mondoo cnspec"),
];

const REASONS: [(&str, &str); 8] = [
    ("not-yet", "no rule yet: to be written"),
    ("not-in-terraform", "not visible in Terraform"),
    ("cost", "cost only"),
    ("availability", "availability only"),
    ("not-security", "not a security setting"),
    ("retired", "retired resource or attribute"),
    ("not-in-china", "not offered in the AWS China regions"),
    ("engine", "needs a condition our rule language lacks"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[test]
fn every_peer_check_has_our_rule_or_a_reason_and_the_document_is_current() {
    let content = cloudward_content::embedded_content().unwrap();
    let sources: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    let rules = cloudward_scan::rules::load(&[&sources], &content.catalog).unwrap();
    let ours: BTreeMap<&str, &str> = rules
        .iter()
        .map(|r| (r.id.as_str(), r.provider.as_str()))
        .collect();

    let dir = root().join("coverage/peers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    let mut problems = Vec::new();
    // provider → tool → checks
    let mut by: BTreeMap<String, BTreeMap<String, Vec<PeerCheck>>> = BTreeMap::new();
    let mut read_from: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut seen = HashSet::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let file: PeerFile = match serde_saphyr::from_str(&std::fs::read_to_string(f).unwrap()) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        for (tool, source) in &file.sources {
            read_from
                .entry(tool.clone())
                .or_default()
                .insert(source.clone());
        }
        for c in file.checks {
            let at = format!("{name}: {} {}", c.tool, c.id);
            if !TOOLS.iter().any(|(t, _)| *t == c.tool) {
                problems.push(format!("{at}: unknown tool"));
            }
            if c.id.trim().is_empty() || c.about.trim().is_empty() {
                problems.push(format!("{at}: needs id and about"));
            }
            if !seen.insert((file.provider.clone(), c.tool.clone(), c.id.clone())) {
                problems.push(format!("{at}: listed twice"));
            }
            match (&c.rules[..], &c.none) {
                ([], None) => problems.push(format!("{at}: needs rules or none")),
                ([], Some(reason)) => {
                    if !REASONS.iter().any(|(r, _)| r == reason) {
                        problems.push(format!("{at}: unknown reason {reason}"));
                    }
                    if c.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                        problems.push(format!("{at}: a reason needs a note"));
                    }
                }
                (ids, None) => {
                    for id in ids {
                        match ours.get(id.as_str()) {
                            None => problems.push(format!("{at}: no rule {id}")),
                            // The Alibaba lists also name the ROS rules that make a check
                            // on templates (InfraGuard's ids are shared by both folders).
                            Some(p)
                                if *p != file.provider
                                    && !(file.provider == "alicloud" && *p == "ros") =>
                            {
                                problems.push(format!("{at}: {id} is a {p} rule"))
                            }
                            Some(_) => {}
                        }
                    }
                }
                (_, Some(_)) => problems.push(format!("{at}: both rules and none")),
            }
            by.entry(file.provider.clone())
                .or_default()
                .entry(c.tool.clone())
                .or_default()
                .push(c);
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) in coverage/peers:\n{}",
        problems.len(),
        problems.join("\n")
    );

    let mut out = String::new();
    out.push_str("# Coverage of the field's checks\n\n");
    out.push_str(
        "Generated from `coverage/peers/*.yaml` by `cargo test -p cloudward-scan --test coverage`\n\
         (run it with `UPDATE_DOCS=1` to rewrite this file); do not edit by hand.\n\n\
         Every security or compliance check the field's free tools make on Alibaba Cloud,\n\
         Tencent Cloud and Huawei Cloud Terraform (and the AWS checks of Checkov and KICS),\n\
         with the cloudward rule that makes the same check, or why there is none. The peers'\n\
         check ids are theirs; every description here is ours.\n\n",
    );
    out.push_str(
        "| provider | tool | checks | covered | without a rule |\n|---|---|---:|---:|---|\n",
    );
    for (provider, tools) in &by {
        for (tool, checks) in tools {
            let covered = checks.iter().filter(|c| !c.rules.is_empty()).count();
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for c in checks.iter().filter(|c| c.rules.is_empty()) {
                *reasons.entry(c.none.as_deref().unwrap_or("")).or_default() += 1;
            }
            let why: Vec<String> = reasons.iter().map(|(r, n)| format!("{r} {n}")).collect();
            let _ = writeln!(
                out,
                "| {provider} | {tool} | {} | {covered} | {} |",
                checks.len(),
                why.join(", ")
            );
        }
    }
    out.push_str("\nReasons: ");
    let reasons: Vec<String> = REASONS
        .iter()
        .map(|(r, t)| format!("`{r}` — {t}"))
        .collect();
    out.push_str(&reasons.join("; "));
    out.push_str(".\n\nRead from: ");
    let srcs: Vec<String> = read_from
        .values()
        .flat_map(|s| s.iter().map(|x| format!("`{x}`")))
        .collect();
    out.push_str(&srcs.join(", "));
    out.push_str(".\n");
    for (provider, tools) in &by {
        let _ = writeln!(out, "\n## {provider}");
        for (tool, checks) in tools {
            let title = TOOLS
                .iter()
                .find(|(t, _)| t == tool)
                .map_or(tool.as_str(), |(_, n)| n);
            let _ = writeln!(
                out,
                "\n### {title}\n\n| check | what it checks | resources | cloudward |\n|---|---|---|---|"
            );
            let mut sorted: Vec<&PeerCheck> = checks.iter().collect();
            sorted.sort_by(|a, b| a.id.cmp(&b.id));
            for c in sorted {
                let ours = if c.rules.is_empty() {
                    format!(
                        "— *{}*: {}",
                        c.none.as_deref().unwrap_or(""),
                        md(c.note.as_deref().unwrap_or(""))
                    )
                } else {
                    c.rules.join(", ")
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {ours} |",
                    md(&c.id),
                    md(&c.about),
                    c.resources.join(", ")
                );
            }
        }
    }
    let path = root().join("docs/rules-coverage.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == out,
        "docs/rules-coverage.md is out of date: run `UPDATE_DOCS=1 cargo test -p cloudward-scan --test coverage`"
    );
}
