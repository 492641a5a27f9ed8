//! The real `cloudward serve` binary: the export round trip with `cloudward check`, a crash
//! during writes, graceful shutdown, audit tampering, and the first platform administrator.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use reqwest::blocking::Client;
use serde_json::{Value, json};

struct Server {
    child: Child,
    base: String,
    /// The first line the server printed.
    first: String,
    passwords: HashMap<String, String>,
}

/// A test that fails before `terminate` leaves no server behind.
impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn serve(data_dir: &Path, database: Option<&str>, demo: bool) -> Server {
    serve_logging(data_dir, database, demo, None)
}

/// The demo server on SQLite, with extra flags.
fn serve_with(data_dir: &Path, extra: &mut Vec<&str>) -> Server {
    serve_full(data_dir, None, true, None, extra)
}

fn serve_logging(
    data_dir: &Path,
    database: Option<&str>,
    demo: bool,
    log: Option<&Path>,
) -> Server {
    serve_full(data_dir, database, demo, log, &mut Vec::new())
}

fn serve_full(
    data_dir: &Path,
    database: Option<&str>,
    demo: bool,
    log: Option<&Path>,
    extra: &mut Vec<&str>,
) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudward"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--checkpoint-interval",
        "7",
    ])
    .arg("--data-dir")
    .arg(data_dir)
    .env_remove("CLOUDWARD_DATABASE")
    .env(
        "CLOUDWARD_LOG",
        if log.is_some() { "debug" } else { "warn" },
    )
    .stdout(Stdio::piped())
    .stderr(match log {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    });
    if demo {
        cmd.arg("--demo");
    }
    cmd.args(extra.drain(..));
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    let first = next();
    let first_line = first.clone();
    let mut passwords = HashMap::new();
    let base = if demo {
        // "open http://ADDR/ and log in as USER / PASSWORD  (…)", then where it listens,
        // then the other logins, one a line.
        let login = first
            .strip_prefix("open ")
            .and_then(|rest| rest.split_once(" and log in as "))
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        let mut who = login.1.split_whitespace();
        let user = who.next().unwrap().to_owned();
        assert_eq!(who.next(), Some("/"), "{first}");
        passwords.insert(user, who.next().unwrap().to_owned());
        let listening = next();
        let base = listening
            .strip_prefix("cloudward listening on ")
            .unwrap_or_else(|| panic!("unexpected second line {listening:?}"))
            .to_owned();
        assert_eq!(login.0, format!("{base}/"), "{first}");
        while !next().starts_with("the other demo logins") {}
        for _ in 0..6 {
            let line = next();
            let mut parts = line.split_whitespace();
            passwords.insert(
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            );
        }
        base
    } else {
        first
            .strip_prefix("cloudward listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_owned()
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base,
        first: first_line,
        passwords,
    }
}

struct Session {
    client: Client,
    csrf: String,
    base: String,
}

impl Server {
    fn login(&self, user: &str) -> Session {
        let client = Client::builder().cookie_store(true).build().unwrap();
        let r = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "username": user, "password": self.passwords[user] }))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        Session {
            client,
            csrf: v["csrf_token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
        }
    }

    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    }
}

impl Session {
    fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap()
    }

    fn create(&self, name: &str) -> Result<String, String> {
        let text = include_str!("../../../examples/saas-public-general.yaml");
        let mut doc = serde_json::to_value(cloudward_domain_file(text)).unwrap();
        doc["name"] = json!(name);
        let r = self
            .client
            .post(format!("{}/api/v1/engagements", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&json!({ "document": doc }))
            .send()
            .map_err(|e| e.to_string())?;
        if r.status() != 201 {
            return Err(format!("status {}", r.status()));
        }
        let v: Value = r.json().map_err(|e| e.to_string())?;
        Ok(v["id"].as_str().unwrap().to_owned())
    }
}

fn cloudward_domain_file(text: &str) -> Value {
    // The YAML file as JSON, without depending on the domain crate here.
    let v: serde_json::Value = serde_saphyr::from_str(text).unwrap();
    v
}

fn verify(data_dir: &Path, database: Option<&str>) -> (bool, String) {
    let mut cmd = common::cw();
    cmd.args(["audit", "verify", "--data-dir"]).arg(data_dir);
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn postgres() -> Option<String> {
    let admin = std::env::var("CLOUDWARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let rt = tokio::runtime::Runtime::new().unwrap();
    Some(
        rt.block_on(cloudward_store::testing::fresh_postgres_database(&admin))
            .unwrap(),
    )
}

fn databases() -> Vec<Option<String>> {
    let mut v = vec![None];
    if let Some(pg) = postgres() {
        v.push(Some(pg));
    }
    v
}

#[test]
fn serve_demo_says_first_where_to_go_and_as_whom() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None, true);
    let expected = format!("open {}/ and log in as customer-admin / ", server.base);
    assert!(server.first.starts_with(&expected), "{}", server.first);
    assert_eq!(server.passwords.len(), 7, "every demo login is printed");
    // The login it names works, and has things to do.
    let s = server.login("customer-admin");
    let tasks: Value = s.get("/api/v1/tasks").json().unwrap();
    assert!(!tasks.as_array().unwrap().is_empty(), "{tasks}");
    let before = server.passwords.clone();
    server.terminate();
    // Started again: the same engagements, new passwords.
    let again = serve(dir.path(), None, true);
    for (user, old) in &before {
        assert_ne!(&again.passwords[user], old, "{user}");
    }
    let list: Value = again
        .login("customer-admin")
        .get("/api/v1/engagements")
        .json()
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 5, "{list}");
    again.terminate();
}

#[test]
fn an_exported_engagement_checks_the_same_in_the_cli_as_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None, true);
    let s = server.login("customer-member");
    let list: Value = s.get("/api/v1/engagements").json().unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "the demo has an engagement in each phase");
    for e in items {
        let id = e["id"].as_str().unwrap();
        let text = s
            .get(&format!("/api/v1/engagements/{id}/export"))
            .text()
            .unwrap();
        let file = dir.path().join(format!("{id}.yaml"));
        std::fs::write(&file, &text).unwrap();
        let out = common::cw()
            .args([
                "check",
                "--format",
                "json",
                "--lang",
                "en",
                "--date",
                "2026-11-28",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let cli: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        let server_report: Value = s
            .get(&format!(
                "/api/v1/engagements/{id}/check?date=2026-11-28&lang=en"
            ))
            .json()
            .unwrap();
        assert_eq!(cli, server_report, "{}", e["name"]);
    }
    server.terminate();
}

#[test]
fn a_killed_server_keeps_every_acknowledged_write_and_a_verifying_chain() {
    for db in databases() {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(dir.path(), db.as_deref(), true);
        let acked = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let s = server.login("customer-member");
                let acked = acked.clone();
                std::thread::spawn(move || {
                    for i in 0.. {
                        match s.create(&format!("w{w}-{i}")) {
                            Ok(id) => acked.lock().unwrap().push(id),
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        // Kill while both writers are still writing.
        while acked.lock().unwrap().len() < 40 {
            std::thread::yield_now();
        }
        let mut server = server;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for w in writers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= 40);

        let (ok, report) = verify(dir.path(), db.as_deref());
        assert!(ok, "chain after the crash: {report}");
        let server = serve(dir.path(), db.as_deref(), true);
        let s = server.login("customer-member");
        let mut present = std::collections::HashSet::new();
        let mut offset = 0;
        loop {
            let page: Value = s
                .get(&format!("/api/v1/engagements?limit=200&offset={offset}"))
                .json()
                .unwrap();
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            offset += items.len();
            present.extend(items.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        }
        let missing: Vec<_> = acked.iter().filter(|id| !present.contains(*id)).collect();
        assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
        server.terminate();
        let (ok, report) = verify(dir.path(), db.as_deref());
        assert!(ok, "{report}");
    }
}

#[test]
fn an_edited_or_truncated_audit_log_is_detected() {
    for db in databases() {
        let dir = tempfile::tempdir().unwrap();
        let server = serve(dir.path(), db.as_deref(), true);
        let s = server.login("customer-member");
        for i in 0..5 {
            s.create(&format!("e{i}")).unwrap();
        }
        // SIGTERM: the server signs a final checkpoint at the head.
        server.terminate();
        let (ok, report) = verify(dir.path(), db.as_deref());
        assert!(ok, "{report}");
        assert!(report.contains("intact"), "{report}");

        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sqlx::Connection as _;

            match &db {
                None => {
                    let url = format!("sqlite://{}", dir.path().join("cloudward.db").display());
                    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    let refused =
                        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
                            .execute(&mut c)
                            .await;
                    assert!(refused.is_err(), "the schema refuses edits");
                    sqlx::query("DROP TRIGGER audit_log_no_update")
                        .execute(&mut c)
                        .await
                        .unwrap();
                    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    let refused =
                        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
                            .execute(&mut c)
                            .await;
                    assert!(refused.is_err(), "the schema refuses edits");
                    sqlx::query("DROP TRIGGER audit_log_no_change ON audit_log")
                        .execute(&mut c)
                        .await
                        .unwrap();
                    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
            }
        });
        let (ok, report) = verify(dir.path(), db.as_deref());
        assert!(!ok, "tampering goes unnoticed: {report}");
        assert!(report.contains("entry 5"), "{report}");

        // Cut off the tail, edited row and all, with the checkpoints in the database: the
        // signed copy outside the database notices.
        rt.block_on(async {
            use sqlx::Connection as _;

            match &db {
                None => {
                    let url = format!("sqlite://{}", dir.path().join("cloudward.db").display());
                    let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                    sqlx::query("DROP TRIGGER audit_log_no_delete")
                        .execute(&mut c)
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM audit_log WHERE seq >= 5")
                        .execute(&mut c)
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM audit_checkpoints")
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                Some(url) => {
                    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                    sqlx::query("DELETE FROM audit_log WHERE seq >= 5")
                        .execute(&mut c)
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM audit_checkpoints")
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
            }
        });
        let (ok, report) = verify(dir.path(), db.as_deref());
        assert!(!ok, "truncation goes unnoticed: {report}");
        assert!(report.contains("truncated"), "{report}");
    }
}

#[test]
fn the_first_platform_administrator_comes_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    common::cw()
        .args([
            "admin",
            "create-user",
            "--username",
            "root",
            "--platform-admin",
            "--password-stdin",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .write_stdin("short\n")
        .assert()
        .code(2);
    let out = common::cw()
        .args([
            "admin",
            "create-user",
            "--username",
            "root",
            "--platform-admin",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .unwrap()
        .to_owned();
    let mut server = serve(dir.path(), None, false);
    server.passwords.insert("root".into(), password);
    let root = server.login("root");
    let r = root
        .client
        .post(format!("{}/api/v1/orgs", root.base))
        .header("x-csrf-token", &root.csrf)
        .json(&json!({ "name": "Bureau", "kind": "customer" }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = root.get("/api/v1/admin/audit/verify").json().unwrap();
    assert!(v["broken"].is_null());
    server.terminate();
    // The user exists once.
    common::cw()
        .args([
            "admin",
            "create-user",
            "--username",
            "root",
            "--platform-admin",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn secrets_never_reach_the_log() {
    for db in databases() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let server = serve_logging(dir.path(), db.as_deref(), true, Some(&log));
        let s = server.login("customer-admin");
        let r = s
            .client
            .post(format!("{}/api/v1/tokens", s.base))
            .header("x-csrf-token", &s.csrf)
            .json(&json!({ "name": "ci", "role": "member" }))
            .send()
            .unwrap();
        let token: Value = r.json().unwrap();
        let token = token["token"].as_str().unwrap().to_owned();
        let passwords: Vec<String> = server.passwords.values().cloned().collect();
        server.terminate();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("login"), "debug logging was on: {text}");
        for secret in passwords.iter().chain([&token, &s.csrf]) {
            assert!(!text.contains(secret.as_str()), "a secret is in the log");
        }
        if let Some(url) = &db {
            assert!(
                !text.contains("cloudward_test:cloudward_test"),
                "{url}: password in the log"
            );
        }
    }
}

#[test]
fn push_uploads_a_scan_from_ci_with_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None, true);
    let admin = server.login("customer-admin");
    let r = admin
        .client
        .post(format!("{}/api/v1/tokens", admin.base))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({ "name": "ci", "role": "member" }))
        .send()
        .unwrap();
    let token: Value = r.json().unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let list: Value = admin.get("/api/v1/engagements").json().unwrap();
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["phase"] == "operation")
        .unwrap_or_else(|| panic!("no engagement in operation: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let runs = |admin: &Session| -> usize {
        let posture: Value = admin
            .get(&format!("/api/v1/engagements/{id}/posture"))
            .json()
            .unwrap();
        posture["trend"].as_array().unwrap().len()
    };
    let before = runs(&admin);
    let report = dir.path().join("scan.json");
    common::cw()
        .args([
            "scan",
            "tests/fixtures/scan/plan/plan.json",
            "--format",
            "json",
            "-o",
        ])
        .arg(&report)
        .assert()
        .code(1);
    let out = common::cw()
        .arg("push")
        .arg(&report)
        .args(["--server", &server.base, "--engagement", &id])
        .env("CLOUDWARD_TOKEN", &token)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("run "), "{text}");
    assert!(text.contains("findings opened"), "{text}");
    assert_eq!(runs(&admin), before + 1, "the push is one more run");
    // A wrong token or a file that is not a report is refused with exit 2.
    common::cw()
        .arg("push")
        .arg(&report)
        .args([
            "--server",
            &server.base,
            "--engagement",
            &id,
            "--token",
            "cwt_wrong",
        ])
        .assert()
        .code(2);
    let not_a_report = dir.path().join("x.json");
    std::fs::write(&not_a_report, "{\"tool\": \"other\"}").unwrap();
    let out = common::cw()
        .arg("push")
        .arg(&not_a_report)
        .args([
            "--server",
            &server.base,
            "--engagement",
            &id,
            "--token",
            &token,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cloudward"),
        "names what was expected"
    );
    server.terminate();
}

#[test]
fn a_hostile_upload_costs_one_scan_not_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd_args = vec!["--scan-memory-mb", "128", "--scan-timeout", "300"];
    let server = serve_with(dir.path(), &mut cmd_args);
    let admin = server.login("customer-admin");
    let list: Value = admin.get("/api/v1/engagements").json().unwrap();
    let id = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["phase"] == "operation")
        .unwrap_or_else(|| panic!("no engagement in operation: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let scan = |name: &str, content: &str| {
        admin
            .client
            .post(format!("{}/api/v1/engagements/{id}/scans/run", admin.base))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({ "files": [{ "name": name, "content": content }] }))
            .timeout(std::time::Duration::from_secs(600))
            .send()
            .unwrap()
    };
    // A 1 KB chain of locals, each doubling the last: refused by the line that crosses
    // the evaluation limit, within the scan's memory limit (its values take some 60 MiB
    // by then: the evaluation budget counts less than they hold).
    let mut doubling = String::from("locals {\n  l0 = [\"aaaaaaaaaaaaaaaa\"]\n");
    for i in 1..40 {
        doubling.push_str(&format!(
            "  l{i} = concat(local.l{}, local.l{})\n",
            i - 1,
            i - 1
        ));
    }
    doubling.push_str("}\n");
    let r = scan("main.tf", &doubling);
    let status = r.status();
    let v: Value = r.json().unwrap();
    assert_eq!(status, 400, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("main.tf:") && message.contains("local.l"),
        "{message}"
    );
    // Within every evaluation limit, but more than the scan's memory: the child process
    // that runs it dies at its limit, and the answer says so.
    let heavy = format!(
        "resource \"alicloud_oss_bucket\" \"b\" {{\n  count = 30000\n  bucket = \"b-${{count.index}}\"\n  tags = {{ note = \"{}\" }}\n}}\n",
        "x".repeat(5000)
    );
    let r = scan("heavy.tf", &heavy);
    let status = r.status();
    let v: Value = r.json().unwrap();
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["code"], "scan_too_costly", "{v}");
    // The service is still there for everyone, and the next scan runs.
    assert_eq!(admin.get("/healthz").status(), 200);
    let r = scan(
        "ok.tf",
        "resource \"alicloud_oss_bucket\" \"b\" {\n  bucket = \"b\"\n  acl = \"private\"\n}\n",
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    server.terminate();
}

/// A CA file that is missing or holds no certificate stops the server at start, with the
/// file named, not at the first mail.
#[test]
fn a_bad_smtp_ca_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.txt");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    for (file, says) in [
        (dir.path().join("missing.pem"), "does not read"),
        (not_pem, "holds no certificate"),
    ] {
        let out = common::cw()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--smtp-host",
                "127.0.0.1",
            ])
            .arg("--smtp-ca-file")
            .arg(&file)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(says), "{err}");
        assert!(err.contains(&file.display().to_string()), "{err}");
    }
}

#[test]
fn report_verify_asks_the_server_that_issued_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), None, true);
    let admin = server.login("customer-admin");
    let r = admin
        .client
        .post(format!("{}/api/v1/tokens", admin.base))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({ "name": "verify", "role": "read_only" }))
        .send()
        .unwrap();
    let token: Value = r.json().unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let list: Value = admin.get("/api/v1/engagements").json().unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let r = admin
        .client
        .post(format!("{}/api/v1/engagements/{id}/documents", admin.base))
        .header("x-csrf-token", &admin.csrf)
        .json(&json!({ "kind": "exit-plan", "format": "docx", "lang": "en" }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let doc: Value = r.json().unwrap();
    let bytes = admin
        .get(&format!(
            "/api/v1/documents/{}/content",
            doc["id"].as_str().unwrap()
        ))
        .bytes()
        .unwrap();
    let file = dir.path().join("exit-plan.docx");
    std::fs::write(&file, &bytes).unwrap();
    let out = common::cw()
        .args(["report", "verify"])
        .arg(&file)
        .args(["--server", &server.base])
        .env("CLOUDWARD_TOKEN", &token)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("is a document the server issued") && text.contains("Exit plan"),
        "{text}"
    );
    // One byte changed: not a document it issued, exit 1.
    let mut changed = bytes.to_vec();
    changed.push(0);
    std::fs::write(&file, &changed).unwrap();
    let out = common::cw()
        .args(["report", "verify"])
        .arg(&file)
        .args(["--server", &server.base, "--token", &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not a document the server issued"));
    // Without a server to ask: exit 2, saying what to give.
    let out = common::cw()
        .args(["report", "verify"])
        .arg(&file)
        .env_remove("CLOUDWARD_SERVER")
        .env_remove("CLOUDWARD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server URL"));
}
