//! End-to-end tests of `check`, `responsibility`, `schema` and `init` on the real binary.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::cw;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

const DATE: &str = "2026-11-28";

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

// ---------------------------------------------------------------- the examples

#[test]
fn example_reports() {
    for (name, code) in [
        ("saas-public-general.yaml", 0),
        ("community-sensitive-critical.yaml", 0),
        ("exit-phase.yaml", 1),
    ] {
        let path = example(name);
        cw().args(["check", "--date", DATE, "--lang", "en"])
            .arg(&path)
            .assert()
            .code(code);
        let md = stdout(
            cw().args([
                "check", "--date", DATE, "--format", "markdown", "--lang", "en",
            ])
            .arg(&path),
        );
        insta::assert_snapshot!(format!("{name}.en.md"), md);
        let md = stdout(
            cw().args([
                "check", "--date", DATE, "--format", "markdown", "--lang", "zh",
            ])
            .arg(&path),
        );
        insta::assert_snapshot!(format!("{name}.zh.md"), md);
    }
}

#[test]
fn json_report_shape() {
    let out = stdout(
        cw().args(["check", "--date", DATE, "--format", "json"])
            .arg(example("exit-phase.yaml")),
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["level"], "enhanced");
    assert_eq!(v["phase"], "exit");
    let blockers = v["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1);
    assert_eq!(blockers[0]["code"], "exit-deletion-unconfirmed");
    assert!(blockers[0]["message"].as_str().unwrap().contains("deleted"));
    assert_eq!(blockers[0]["ids"][0], "deletion-confirmation");
    assert!(v["warnings"].is_array());
    assert!(
        v["responsibility"]["uncovered"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        v["responsibility"]["ambiguous"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    insta::assert_json_snapshot!(
        "community-sensitive-critical.json",
        serde_json::from_str::<Value>(&stdout(
            cw().args(["check", "--date", DATE, "--format", "json", "--lang", "en"])
                .arg(example("community-sensitive-critical.yaml"))
        ))
        .unwrap()
    );
}

#[test]
fn the_minimal_file_of_the_issue_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.yaml");
    let minimal = r#"name: 市政务服务平台
customer: 某市大数据局
phase: planning            # planning | selection | operation | exit | closed
information: [sensitive, public]
business: important
service_category: iaas     # iaas | paas | saas
deployment_model: public   # public | community | private | hybrid
provider:
  name: 示例云
  offering: 政务云 IaaS
  assessment:
    level: enhanced        # the level at which the offering passed assessment
    passed: 2024-05-01
    expires: 2027-05-01
"#;
    std::fs::write(&path, minimal).unwrap();
    // Accepted (not an input error): planning work is missing, so there are blockers.
    let out = cw()
        .args(["check", "--date", DATE, "--format", "json"])
        .arg(&path)
        .assert()
        .code(1);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["level"], "enhanced");
    assert_eq!(v["phase"], "planning");
    assert!(
        v["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["code"] == "requirement-analysis-incomplete")
    );
}

// ---------------------------------------------------------------- bad input

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn base_text() -> String {
    std::fs::read_to_string(example("saas-public-general.yaml")).unwrap()
}

#[test]
fn malformed_files_point_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let unknown_key = write(
        dir.path(),
        "a.yaml",
        &base_text().replace("business: general", "busines: general"),
    );
    let line = base_text()
        .lines()
        .position(|l| l.starts_with("business:"))
        .unwrap()
        + 1;
    cw().args(["check", "--lang", "en"])
        .arg(&unknown_key)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(format!("a.yaml:{line}:1"))
                .and(predicate::str::contains("unknown field `busines`"))
                .and(predicate::str::contains("did you mean 'business'?")),
        );
    let bad_date = write(
        dir.path(),
        "b.yaml",
        &base_text().replace("passed: 2025-03-10", "passed: 2025-02-30"),
    );
    cw().args(["check"])
        .arg(&bad_date)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'2025-02-30' is not a valid date; expected YYYY-MM-DD",
        ));
    let bad_enum = write(
        dir.path(),
        "c.yaml",
        &base_text().replace("phase: selection", "phase: deployment"),
    );
    cw().args(["check"])
        .arg(&bad_enum)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("deployment").and(predicate::str::contains("planning")));
    let star = write(
        dir.path(),
        "d.yaml",
        &format!(
            "{}\nresponsibility:\n  - element: */AU\n    owner: customer\n",
            base_text()
        ),
    );
    cw().args(["check"])
        .arg(&star)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("\"*/AU\""));
    let order = write(
        dir.path(),
        "e.yaml",
        &base_text().replace("expires: 2028-03-10", "expires: 2024-03-10"),
    );
    cw().args(["check"])
        .arg(&order)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("provider.assessment.expires"));
    cw().args(["check", "/nonexistent/e.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/e.yaml"));
    cw().args(["check", "--date", "2026-13-01"])
        .arg(example("exit-phase.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("YYYY-MM-DD"));
}

#[test]
fn classified_file_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "c.yaml",
        &base_text().replace("information: [public]", "information: [public, classified]"),
    );
    cw().args(["check"])
        .arg(&p)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("State Secrets Law"));
    cw().args(["check", "--lang", "zh"])
        .arg(&p)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("保守国家秘密法"));
}

#[test]
fn check_date_changes_the_verdict() {
    let p = example("community-sensitive-critical.yaml");
    cw().args(["check", "--date", "2026-11-28"])
        .arg(&p)
        .assert()
        .code(0);
    cw().args(["check", "--date", "2028-02-01"])
        .arg(&p)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("assessment-expired"));
}

// ---------------------------------------------------------------- responsibility

#[test]
fn responsibility_annex_in_every_format() {
    let p = example("community-sensitive-critical.yaml");
    let md = stdout(
        cw().args(["responsibility", "--format", "markdown", "--lang", "zh"])
            .arg(&p),
    );
    assert!(md.contains("| 层 Layer | 控制族 Family | 客户 Customer | 云服务商 Provider | 云服务安全提供商 Security service provider | 分工说明 Split |"));
    assert!(
        md.contains("集中采集和分析应用审计日志"),
        "the file's split is shown"
    );
    let csv_out = stdout(cw().args(["responsibility", "--format", "csv"]).arg(&p));
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 6);
    let rows = reader.records().count();
    let json: Value = serde_json::from_str(&stdout(
        cw().args(["responsibility", "--format", "json"]).arg(&p),
    ))
    .unwrap();
    assert_eq!(json["elements"].as_array().unwrap().len(), rows);
    assert!(json["uncovered"].as_array().unwrap().is_empty());
    let html = stdout(cw().args(["responsibility", "--format", "html"]).arg(&p));
    assert!(
        html.starts_with("<!DOCTYPE html>")
            && html.contains("<th scope=\"col\">客户 Customer</th>")
            && html.trim_end().ends_with("</html>")
    );
    assert!(!html.contains("<script"));
}

// ---------------------------------------------------------------- schema and init

#[test]
fn shipped_schema_is_the_generated_one() {
    let generated = stdout(cw().args(["schema", "engagement"]));
    let shipped = std::fs::read_to_string(root().join("schemas/engagement.schema.json")).unwrap();
    assert_eq!(
        generated, shipped,
        "run `cloudward schema engagement > schemas/engagement.schema.json`"
    );
    let v: Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(
        v["additionalProperties"], false,
        "unknown keys are rejected"
    );
    cw().args(["schema", "nothing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("engagement"));
}

#[test]
fn init_writes_a_file_that_check_accepts() {
    let dir = tempfile::tempdir().unwrap();
    for (service, info, business, level) in [
        ("iaas", "public", "general", "general"),
        ("saas", "sensitive", "important", "enhanced"),
        ("paas", "sensitive,public", "critical", "advanced"),
    ] {
        let path = dir.path().join(format!("{service}.yaml"));
        cw().args([
            "init",
            "--service",
            service,
            "--info",
            info,
            "--business",
            business,
            "--output",
        ])
        .arg(&path)
        .assert()
        .success();
        let out = cw()
            .args(["check", "--date", DATE, "--format", "json"])
            .arg(&path)
            .assert()
            .code(1);
        let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(v["level"], level);
        assert_eq!(v["service_category"], service);
        assert_eq!(v["deployment_allowed"], true, "init picks an allowed model");
        // Nothing is answered yet: init writes no made-up answers.
        assert!(
            v["analysis"]["aspects"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["answered"] == false)
        );
    }
    // It does not overwrite without --force.
    let path = dir.path().join("iaas.yaml");
    cw().args(["init", "--output"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    cw().args(["init", "--force", "--output"])
        .arg(&path)
        .assert()
        .success();
    cw().args(["init", "--info", "classified", "--output", "-"])
        .assert()
        .code(3);
    cw().args(["init", "--service", "xaas", "--output", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("iaas, paas, saas"));
}
