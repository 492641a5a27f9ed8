//! End-to-end tests of the real `cloudward` binary.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::cw;

fn json(cmd: &mut Command) -> Value {
    let out = cmd.output().map(|o| o.stdout).unwrap_or_default();
    match serde_json::from_slice(&out) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out)),
    }
}

fn content_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

// ---------------------------------------------------------------- classify

#[test]
fn classify_every_combination() {
    let table = [
        ("public", "general", "general"),
        ("public", "important", "enhanced"),
        ("public", "critical", "enhanced"),
        ("sensitive", "general", "enhanced"),
        ("sensitive", "important", "enhanced"),
        ("sensitive", "critical", "advanced"),
    ];
    let mut counts = Vec::new();
    for (info, business, level) in table {
        let v = json(cw().args([
            "classify",
            "--info",
            info,
            "--business",
            business,
            "--format",
            "json",
        ]));
        assert_eq!(v["level"], level, "{info} × {business}");
        let models: Vec<&str> = v["deployment_models"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if level == "advanced" {
            assert_eq!(models, ["community", "private"]);
        } else {
            assert_eq!(models, ["public", "community", "private"]);
        }
        assert!(
            v["reason"].as_str().is_some_and(|r| r.contains("6.5")),
            "{v}"
        );
        counts.push((level, v["controls"].as_u64().unwrap_or(0)));
    }
    let count = |l: &str| {
        counts
            .iter()
            .find(|(x, _)| *x == l)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert!(
        count("general") > 0
            && count("general") < count("enhanced")
            && count("enhanced") < count("advanced")
    );
    // Classified, alone or with others, in every business type: refused with status 3.
    for business in ["general", "important", "critical"] {
        for info in ["classified", "public,classified", "sensitive,classified"] {
            cw().args(["classify", "--info", info, "--business", business])
                .assert()
                .code(3)
                .stdout(predicate::str::is_empty())
                .stderr(predicate::str::contains("State Secrets Law"));
        }
    }
}

#[test]
fn classify_json_is_one_object_and_takes_the_strictest() {
    let out = cw()
        .args([
            "classify",
            "--info",
            "public,sensitive",
            "--business",
            "critical",
            "--format",
            "json",
        ])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let first = stream.next().and_then(Result::ok);
    assert!(stream.next().is_none(), "more than one JSON value: {text}");
    let Some(v) = first else {
        panic!("no JSON: {text}")
    };
    assert_eq!(v["level"], "advanced");
    for key in ["level", "deployment_models", "controls", "reason"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
}

#[test]
fn classified_refusal_in_chinese() {
    cw().args([
        "classify",
        "--info",
        "classified",
        "--business",
        "general",
        "--lang",
        "zh",
    ])
    .assert()
    .code(3)
    .stderr(predicate::str::contains("保守国家秘密法"));
}

#[test]
fn unknown_values_list_what_is_accepted_in_the_chosen_language() {
    cw().args(["classify", "--info", "secret", "--business", "general"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'secret' for --info; accepted values: public, sensitive, classified",
        ));
    cw().args([
        "classify",
        "--info",
        "secret",
        "--business",
        "general",
        "--lang",
        "zh",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains(
        "--info 的取值“secret”无效；可接受的取值：public, sensitive, classified",
    ));
    cw().args(["classify", "--info", "public", "--business", "vital"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("general, important, critical"));
    cw().args(["catalog", "list", "--level", "medium"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("general, enhanced, advanced"));
    cw().args(["catalog", "list", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("table, json, csv, markdown"));
    cw().args(["--lang", "fr", "catalog", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("zh, en"));
}

#[test]
fn language_defaults_from_lang() {
    cw().env("LANG", "zh_CN.UTF-8")
        .args(["classify", "--info", "public", "--business", "general"])
        .assert()
        .success()
        .stdout(predicate::str::contains("一般保护"));
    cw().env("LANG", "en_US.UTF-8")
        .args(["classify", "--info", "public", "--business", "general"])
        .assert()
        .success()
        .stdout(predicate::str::contains("general protection"));
}

#[test]
fn help_documents_exit_statuses() {
    cw().arg("--help").assert().success().stdout(
        predicate::str::contains("0  ok")
            .and(predicate::str::contains("1  checks failed"))
            .and(predicate::str::contains("2  usage or input error"))
            .and(predicate::str::contains("3  refused")),
    );
}

// ---------------------------------------------------------------- catalog

#[test]
fn list_filters_by_family_and_level() {
    let all = json(cw().args(["catalog", "list", "--format", "json"]));
    let all = all.as_array().cloned().unwrap_or_default();
    assert!(all.len() >= 180);
    let ac_general = json(cw().args([
        "catalog", "list", "--family", "ac", "--level", "general", "--format", "json",
    ]));
    let ac_general = ac_general.as_array().cloned().unwrap_or_default();
    assert!(!ac_general.is_empty());
    assert!(
        ac_general
            .iter()
            .all(|c| c["family"] == "AC" && c["level"] == "general")
    );
    let enhanced = json(cw().args(["catalog", "list", "--level", "enhanced", "--format", "json"]));
    let enhanced = enhanced.as_array().cloned().unwrap_or_default();
    assert!(enhanced.iter().all(|c| c["level"] != "advanced"));
    assert!(
        enhanced.iter().any(|c| c["level"] == "general"),
        "enhanced includes general"
    );
    assert!(enhanced.len() < all.len());
    cw().args(["catalog", "list", "--family", "XX"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("AC"));
}

#[test]
fn list_by_service_and_party() {
    let saas_customer = json(cw().args([
        "catalog",
        "list",
        "--service",
        "saas",
        "--party",
        "customer",
        "--format",
        "json",
    ]));
    let rows = saas_customer.as_array().cloned().unwrap_or_default();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|c| c["parties"]["saas"] == "customer" || c["parties"]["saas"] == "shared")
    );
    // Physical security is never the customer's on SaaS.
    assert!(rows.iter().all(|c| c["family"] != "PE"));
    cw().args(["catalog", "list", "--service", "saas", "--lang", "en"])
        .assert()
        .success()
        .stdout(predicate::str::contains("SaaS").and(predicate::str::contains("IaaS").not()));
}

#[test]
fn show_a_control_in_both_languages() {
    let v = json(cw().args(["catalog", "show", "AC-01", "--format", "json"]));
    assert_eq!(v["id"], "AC-01");
    assert!(v["statement"]["zh"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(v["statement"]["en"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(v["refs"]["gbt31168"]["verified"], false);
    let en = cw()
        .args(["catalog", "show", "ac-01", "--lang", "en"])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let en = String::from_utf8_lossy(&en);
    assert!(
        en.contains(v["title"]["en"].as_str().unwrap_or("?")),
        "{en}"
    );
    assert!(en.contains("not checked against the text"), "{en}");
    let zh = cw()
        .args(["catalog", "show", "AC-01", "--lang", "zh"])
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    assert!(String::from_utf8_lossy(&zh).contains(v["title"]["zh"].as_str().unwrap_or("?")));
    cw().args(["catalog", "show", "ZZ-99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ZZ-99"));
}

#[test]
fn search_matches_chinese_and_english() {
    let zh = json(cw().args(["catalog", "search", "国密", "--format", "json"]));
    let en = json(cw().args(["catalog", "search", "SM4", "--format", "json"]));
    let zh = zh.as_array().cloned().unwrap_or_default();
    let en = en.as_array().cloned().unwrap_or_default();
    assert!(!en.is_empty(), "SM4 found");
    assert!(en.iter().all(|c| c.to_string().contains("SM4")));
    let backup = json(cw().args(["catalog", "search", "backup", "--format", "json"]));
    let beifen = json(cw().args(["catalog", "search", "备份", "--format", "json"]));
    assert!(backup.as_array().is_some_and(|a| a.len() >= 3));
    assert!(beifen.as_array().is_some_and(|a| a.len() >= 3));
    let _ = zh;
    cw().args(["catalog", "search", "qwertyuiop"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No matching"));
}

#[test]
fn csv_and_markdown_outputs() {
    let out = cw()
        .args([
            "catalog", "list", "--family", "PE", "--format", "csv", "--lang", "en",
        ])
        .output();
    let out = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default();
    assert_eq!(header.first().map(String::as_str), Some("ID"));
    let rows: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    assert!(rows.len() >= 14);
    assert!(
        rows.iter()
            .all(|r| r.get(0).is_some_and(|id| id.starts_with("PE-")))
    );
    cw().args(["catalog", "list", "--family", "PE", "--format", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("| ID |").and(predicate::str::contains("|---|")));
}

// ---------------------------------------------------------------- validate and --catalog

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            let _ = std::fs::create_dir_all(&target);
            copy_dir(&path, &target);
        } else {
            let _ = std::fs::copy(&path, &target);
        }
    }
}

#[test]
fn validate_built_in_and_a_copy() {
    cw().args(["catalog", "validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Content is valid"));
    let dir = tempfile::tempdir().map_err(|e| e.to_string());
    let Ok(dir) = dir else { panic!("no temp dir") };
    copy_dir(&content_dir(), dir.path());
    let v = json(
        cw().args(["catalog", "validate", "--format", "json"])
            .arg(dir.path()),
    );
    assert_eq!(v["valid"], true);
    assert!(v["controls"].as_u64().is_some_and(|n| n >= 180));
}

#[test]
fn broken_catalog_directory_is_rejected_with_file_line_and_entry() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temp dir")
    };
    copy_dir(&content_dir(), dir.path());
    let file = dir.path().join("catalog/controls/MA.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let line = text
        .lines()
        .position(|l| l.contains("id: MA-02"))
        .map(|i| i + 1)
        .unwrap_or(0);
    let broken =
        text.replacen("id: MA-02", "id: MA-01", 1)
            .replacen("level: enhanced", "level: extreme", 1);
    let _ = std::fs::write(&file, broken);

    let assert = cw()
        .args(["catalog", "validate", "--lang", "en"])
        .arg(dir.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&format!(
            "catalog/controls/MA.yaml:{line}: MA-01: duplicate id MA-01"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown level 'extreme'; accepted values: general, enhanced, advanced"),
        "{stderr}"
    );

    // Every command that reads the catalog refuses it the same way, and does not panic.
    cw().args(["catalog", "list", "--catalog"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MA.yaml"));
    cw().args([
        "classify",
        "--info",
        "public",
        "--business",
        "general",
        "--catalog",
    ])
    .arg(dir.path())
    .assert()
    .code(2);
    // A folder that does not exist.
    cw().args(["catalog", "validate", "/nonexistent/cloudward"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/cloudward"));
}

#[test]
fn a_catalog_directory_changes_the_answers() {
    let Ok(dir) = tempfile::tempdir() else {
        panic!("no temp dir")
    };
    copy_dir(&content_dir(), dir.path());
    let file = dir.path().join("catalog/controls/PE.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let _ = std::fs::write(
        &file,
        text.replacen("zh: 数据中心选址", "zh: 自定义数据中心选址", 1),
    );
    cw().args(["catalog", "show", "PE-01", "--lang", "zh", "--catalog"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("自定义"));
}

/// Every message key the CLI uses exists in both languages.
#[test]
fn every_message_key_used_exists() {
    let messages = cloudward_content::messages();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(&src).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for marker in ["t(\"", "tr(\"", "render(\n                    \""] {
            for piece in text.split(marker).skip(1) {
                if let Some(key) = piece.split('"').next()
                    && key.contains('.')
                    && !key.contains(' ')
                {
                    keys.push(key.to_owned());
                }
            }
        }
    }
    // Keys built at run time from value ids.
    for prefix_values in [
        ("level", &["general", "enhanced", "advanced"][..]),
        ("control_level", &["general", "enhanced", "advanced"][..]),
        ("info", &["public", "sensitive", "classified"][..]),
        ("business", &["general", "important", "critical"][..]),
        (
            "deployment",
            &["public", "community", "private", "hybrid"][..],
        ),
        ("party", &["provider", "customer", "shared"][..]),
        ("priority", &["high", "medium", "low"][..]),
        (
            "actor",
            &["customer", "provider", "security-service-provider"][..],
        ),
    ] {
        for v in prefix_values.1 {
            keys.push(format!("{}.{v}", prefix_values.0));
        }
    }
    // Findings and input errors of the domain's check.
    let check_rs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/src/check.rs"),
    )
    .unwrap_or_default();
    let mut codes = 0;
    for piece in check_rs.split("Finding::new(\"").skip(1) {
        if let Some(code) = piece.split('"').next() {
            keys.push(format!("finding.{code}"));
            codes += 1;
        }
    }
    for (_, code) in check_rs
        .split("EXIT_GATE")
        .nth(1)
        .unwrap_or("")
        .split("];")
        .next()
        .unwrap_or("")
        .split("(\"")
        .skip(1)
        .map(|p| ((), p.split('"').nth(2).unwrap_or("")))
    {
        if !code.is_empty() {
            keys.push(format!("finding.{code}"));
        }
    }
    for piece in check_rs.split("\"input.").skip(1) {
        if let Some(key) = piece.split('"').next() {
            keys.push(format!("input.{key}"));
        }
    }
    assert!(codes > 30, "the scan found the finding codes");
    assert!(keys.len() > 30, "the scan found the keys: {keys:?}");
    for key in keys {
        let text = messages.get(&key);
        assert!(
            text.is_some_and(|t| !t.zh.is_empty() && !t.en.is_empty()),
            "message {key} is missing"
        );
    }
}
