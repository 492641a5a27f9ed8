//! End-to-end tests of `cloudward oscal …` and `catalog … --framework`.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use serde_json::Value;

use crate::common::cw;

fn oscal_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oscal/tests/data")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn stdout_json(args: &[&str], dir: &Path) -> Value {
    let out = cw()
        .args(args)
        .arg("--frameworks-dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exports_are_oscal_and_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cat = stdout_json(
        &["oscal", "export", "catalog", "--timestamp", "2026-11-28"],
        d,
    );
    assert_eq!(cat["catalog"]["metadata"]["oscal-version"], "1.2.1");
    assert_eq!(
        cat["catalog"]["metadata"]["last-modified"],
        "2026-11-28T00:00:00Z"
    );
    let again = stdout_json(
        &["oscal", "export", "catalog", "--timestamp", "2026-11-28"],
        d,
    );
    assert_eq!(cat, again);
    let p = stdout_json(
        &[
            "oscal",
            "export",
            "profile",
            "--level",
            "general",
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert!(
        p["profile"]["imports"][0]["include-controls"][0]["with-ids"]
            .as_array()
            .unwrap()
            .len()
            > 10
    );
    let ssp = example("saas-public-general.yaml");
    let s = stdout_json(
        &[
            "oscal",
            "export",
            "ssp",
            ssp.to_str().unwrap(),
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert_eq!(
        s["system-security-plan"]["system-characteristics"]["security-sensitivity-level"],
        "general"
    );
    let poam = stdout_json(
        &[
            "oscal",
            "export",
            "poam",
            example("exit-phase.yaml").to_str().unwrap(),
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert!(
        !poam["plan-of-action-and-milestones"]["poam-items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let c = stdout_json(
        &[
            "oscal",
            "export",
            "component",
            oscal_data("offering.yaml").to_str().unwrap(),
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert_eq!(
        c["component-definition"]["components"][0]["type"],
        "service"
    );
    let r = stdout_json(
        &[
            "oscal",
            "export",
            "results",
            "--assessment",
            oscal_data("assessment.yaml").to_str().unwrap(),
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert_eq!(
        r["assessment-results"]["results"][0]["findings"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let r = stdout_json(
        &[
            "oscal",
            "export",
            "results",
            "--scan",
            oscal_data("scan-report.json").to_str().unwrap(),
            "--timestamp",
            "2026-11-28",
        ],
        d,
    );
    assert!(
        !r["assessment-results"]["results"][0]["observations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Classified information is refused as `check` refuses it.
    let classified = d.join("classified.yaml");
    let text = std::fs::read_to_string(example("saas-public-general.yaml")).unwrap();
    std::fs::write(
        &classified,
        text.replace("information: [public]", "information: [classified]"),
    )
    .unwrap();
    cw().args(["oscal", "export", "ssp"])
        .arg(&classified)
        .assert()
        .code(3);
    cw().args(["oscal", "export", "catalog", "--timestamp", "yesterday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timestamp"));
}

#[test]
fn catalog_round_trips_through_a_framework() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = work.path().join("cloudward-catalog.json");
    cw().args([
        "oscal",
        "export",
        "catalog",
        "--timestamp",
        "2026-11-28",
        "-o",
    ])
    .arg(&file)
    .assert()
    .success();
    cw().args(["oscal", "import"])
        .arg(&file)
        .args(["--name", "ours", "--frameworks-dir"])
        .arg(d)
        .assert()
        .success()
        .stdout(predicate::str::contains("imported framework ours"));
    // The same name again needs --force.
    cw().args(["oscal", "import"])
        .arg(&file)
        .args(["--name", "ours", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    let listed = stdout_json(
        &["catalog", "list", "--framework", "ours", "--format", "json"],
        d,
    );
    let ours = stdout_json(&["catalog", "list", "--format", "json"], d);
    assert_eq!(
        listed.as_array().unwrap().len(),
        ours.as_array().unwrap().len()
    );
    let shown = stdout_json(
        &[
            "catalog",
            "show",
            "AC-01",
            "--framework",
            "ours",
            "--format",
            "json",
        ],
        d,
    );
    let mine = stdout_json(&["catalog", "show", "AC-01", "--format", "json"], d);
    assert_eq!(shown["title"], mine["title"]["en"]);
    assert_eq!(shown["statement_zh"], mine["statement"]["zh"]);
    cw().args([
        "catalog",
        "show",
        "AC-01",
        "--framework",
        "ours",
        "--lang",
        "zh",
        "--frameworks-dir",
    ])
    .arg(d)
    .assert()
    .success()
    .stdout(predicate::str::contains("用户唯一标识与鉴别"));
    // A profile finds the catalog beside it without --catalog-file.
    let profile = work.path().join("enhanced.json");
    cw().args(["oscal", "export", "profile", "--level", "enhanced", "-o"])
        .arg(&profile)
        .assert()
        .success();
    let v = stdout_json(
        &[
            "oscal",
            "import",
            profile.to_str().unwrap(),
            "--name",
            "enhanced",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(v["model"], "profile");
    let enhanced = stdout_json(
        &["catalog", "list", "--level", "enhanced", "--format", "json"],
        d,
    );
    assert_eq!(v["controls"], enhanced.as_array().unwrap().len());
    let fws = stdout_json(&["oscal", "frameworks", "--format", "json"], d);
    assert_eq!(fws.as_array().unwrap().len(), 2);
}

#[test]
fn nist_moderate_imports_and_maps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    cw().args(["oscal", "import"])
        .arg(oscal_data(
            "NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        ))
        .arg("--catalog-file")
        .arg(oscal_data(
            "NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json",
        ))
        .args(["--name", "nist-moderate", "--frameworks-dir"])
        .arg(d)
        .assert()
        .success()
        .stdout(predicate::str::contains("287 controls in 18 groups"));
    cw().args([
        "catalog",
        "show",
        "AC-2(1)",
        "--framework",
        "nist-moderate",
        "--frameworks-dir",
    ])
    .arg(d)
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "Automated System Account Management",
    ));
    let ac = stdout_json(
        &[
            "catalog",
            "list",
            "--framework",
            "nist-moderate",
            "--family",
            "ac",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(ac.as_array().unwrap().len(), 39);
    let m = stdout_json(
        &[
            "oscal",
            "map",
            "--framework",
            "nist-moderate",
            "--format",
            "json",
        ],
        d,
    );
    assert!(
        m["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["framework_control"] == "ia-2")
    );
    let rev = stdout_json(
        &[
            "oscal",
            "map",
            "--framework",
            "nist-moderate",
            "--reverse",
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(rev.as_array().unwrap().len(), 287);
    let ia2 = rev
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["framework_control"] == "ia-2")
        .unwrap();
    assert!(
        ia2["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "AC-01")
    );
    cw().args([
        "oscal",
        "map",
        "--framework",
        "nist-moderate",
        "--frameworks-dir",
    ])
    .arg(d)
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "NIST references are in nist-moderate",
    ));
    // Without the catalog the profile cannot be resolved.
    cw().args(["oscal", "import"])
        .arg(oscal_data(
            "NIST_SP-800-53_rev5_MODERATE-baseline_profile.json",
        ))
        .args(["--name", "x", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("$.profile.imports[0].href"));
    cw().args(["catalog", "list", "--framework", "nope", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nist-moderate"));
}

#[test]
fn assessment_results_import_into_our_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let v = stdout_json(
        &[
            "oscal",
            "import",
            oscal_data("ifa_assessment-results-example.json")
                .to_str()
                .unwrap(),
            "--format",
            "json",
        ],
        d,
    );
    assert_eq!(v["results"]["ac-6.1"]["result"], "not_satisfied");
    cw().args(["oscal", "import"])
        .arg(oscal_data("ifa_assessment-results-example.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("ac-6.1").and(predicate::str::contains("not satisfied")));
    // Our own export reads back to the assessment file, which exports again identically.
    let ar = d.join("ar.json");
    cw().args([
        "oscal",
        "export",
        "results",
        "--timestamp",
        "2026-11-28",
        "--assessment",
    ])
    .arg(oscal_data("assessment.yaml"))
    .arg("-o")
    .arg(&ar)
    .assert()
    .success();
    let back = d.join("assessment.json");
    cw().args(["oscal", "import"])
        .arg(&ar)
        .arg("-o")
        .arg(&back)
        .assert()
        .success();
    let first = std::fs::read_to_string(&ar).unwrap();
    let out = cw()
        .args([
            "oscal",
            "export",
            "results",
            "--timestamp",
            "2026-11-28",
            "--assessment",
        ])
        .arg(&back)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), first);
}

#[test]
fn bad_documents_name_the_file_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(oscal_data("basic-catalog.json")).unwrap();
    let old = d.join("old.json");
    std::fs::write(
        &old,
        text.replace(
            "\"oscal-version\": \"1.1.2\"",
            "\"oscal-version\": \"0.9.3\"",
        ),
    )
    .unwrap();
    cw().args(["oscal", "import"])
        .arg(&old)
        .args(["--name", "old", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("old.json")
                .and(predicate::str::contains("$.catalog.metadata.oscal-version"))
                .and(predicate::str::contains("accepted: 1.x")),
        );
    let broken = d.join("broken.json");
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["catalog"]["groups"][0]["groups"][0]["controls"][0]["id"] = Value::from(7);
    std::fs::write(&broken, v.to_string()).unwrap();
    cw().args(["oscal", "import", "--lang", "zh"])
        .arg(&broken)
        .args(["--name", "b", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("$.catalog.groups[0].groups[0].controls[0].id")
                .and(predicate::str::contains("结构不符合")),
        );
    let ssp = d.join("ssp.json");
    cw().args(["oscal", "export", "ssp"])
        .arg(example("saas-public-general.yaml"))
        .arg("-o")
        .arg(&ssp)
        .assert()
        .success();
    cw().args(["oscal", "import"])
        .arg(&ssp)
        .args(["--name", "s", "--frameworks-dir"])
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "catalog, profile, assessment-results",
        ));
    // A scan report that is not one.
    cw().args(["oscal", "export", "results", "--scan"])
        .arg(&ssp)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ssp.json: $: not a cloudward scan report",
        ));
    let not_json = d.join("x.json");
    std::fs::write(&not_json, "{ \"catalog\": [").unwrap();
    cw().args(["oscal", "import"])
        .arg(&not_json)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("x.json:1:"));
}

#[test]
fn the_mlps_crosswalk_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    // To our controls, with the relation and the control's name, in JSON.
    let rows = stdout_json(
        &[
            "catalog", "map", "--to", "31168", "--level", "3", "--format", "json",
        ],
        dir.path(),
    );
    let rows = rows.as_array().unwrap();
    let auth: Vec<&Value> = rows
        .iter()
        .filter(|r| r["item"] == "MLPS-CMP-AUTH-01")
        .collect();
    assert!(
        auth.iter()
            .any(|r| r["target"] == "AC-07" && r["relation"] == "intersects")
    );
    assert!(
        auth.iter()
            .all(|r| r["clause"].as_str().unwrap().starts_with("8.1.4.1 a)"))
    );
    // Every level-3 item appears: with targets or as "no counterpart".
    let content = cloudward_content::embedded_content().unwrap();
    let items: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["item"].as_str().unwrap()).collect();
    assert_eq!(items.len(), content.mlps.items_at(3).count());
    // To the scan rules on those controls.
    let rules = stdout_json(
        &[
            "catalog",
            "map",
            "--to",
            "rules",
            "--item",
            "MLPS-CMP-AUTH-01",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let ids: Vec<&str> = rules[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ids.contains(&"ALI-RAM-01"), "{ids:?}");
    // To NIST, in Chinese words in the table.
    cw().args([
        "catalog",
        "map",
        "--to",
        "nist",
        "--item",
        "MLPS-CMP-AUTH-01",
        "--lang",
        "zh",
    ])
    .assert()
    .code(0)
    .stdout(predicate::str::contains("IA-5"))
    .stdout(predicate::str::contains("经目录控制项推得"))
    .stdout(predicate::str::contains("（未核实）"));
    // Bad values are input errors that list what is accepted.
    cw().args(["catalog", "map", "--to", "iso"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("31168, rules, nist"));
    cw().args(["catalog", "map", "--to", "31168", "--item", "MLPS-NOPE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MLPS-NOPE"));
    // The OSCAL mapping collection, reproducible and valid against NIST's schema.
    let a = stdout_json(
        &["oscal", "export", "mapping", "--timestamp", "2026-11-28"],
        dir.path(),
    );
    let b = stdout_json(
        &["oscal", "export", "mapping", "--timestamp", "2026-11-28"],
        dir.path(),
    );
    assert_eq!(a, b);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(oscal_data("oscal_mapping_schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    assert!(validator.is_valid(&a));
    assert_eq!(
        a["mapping-collection"]["metadata"]["oscal-version"],
        "1.2.1"
    );
}
