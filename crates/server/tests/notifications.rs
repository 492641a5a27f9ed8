//! Notifications as their receivers see them: a real SMTP server (Python's aiosmtpd,
//! started by the test) gets the mail, a local HTTP receiver gets the webhooks of each kind
//! and checks their signatures itself; the delivery log shows what was delivered, retried
//! and failed; secrets never come back; only the organisation's administrators see the
//! settings. The delivery worker is driven by the test (`notify::deliver_due` at a time it
//! chooses), never by waiting.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

use crate::common::{self, TestServer, databases};

/// A request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    path: String,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<Got>>,
    flaky_calls: Mutex<u32>,
}

fn query(uri: &Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

/// Starts the receiver on the server's runtime; its base URL.
fn receiver(s: &TestServer) -> (String, Arc<Receiver>) {
    let rec = Arc::new(Receiver::default());
    let r = rec.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let r = r.clone();
        async move {
            let path = uri.path().to_owned();
            r.got.lock().unwrap().push(Got {
                path: path.clone(),
                query: query(&uri),
                headers,
                body: body.to_vec(),
            });
            let (status, answer) = match path.as_str() {
                "/down" => (StatusCode::INTERNAL_SERVER_ERROR, json!({})),
                "/flaky" => {
                    let mut n = r.flaky_calls.lock().unwrap();
                    *n += 1;
                    if *n == 1 {
                        (StatusCode::INTERNAL_SERVER_ERROR, json!({}))
                    } else {
                        (StatusCode::OK, json!({}))
                    }
                }
                p if p.starts_with("/feishu") => {
                    (StatusCode::OK, json!({ "code": 0, "msg": "success" }))
                }
                _ => (StatusCode::OK, json!({ "errcode": 0, "errmsg": "ok" })),
            };
            (status, axum::Json(answer))
        }
    });
    let listener = s
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    s.block_on(async move {
        tokio::spawn(async move { axum::serve(listener, app).await });
    });
    (format!("http://{addr}"), rec)
}

/// The SMTP server: its port and the folder it writes messages to.
struct Smtp {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// Every message received, as text, in order.
    fn messages(&self) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

/// Python with aiosmtpd: `CLOUDWARD_TEST_PYTHON` (scripts/test sets it, and then it must
/// work), else the virtualenv scripts/test makes; `None` (the test skips) without either.
fn smtp_server() -> Option<Smtp> {
    smtp_server_with(&[])
}

/// As [`smtp_server`], with the sink's further arguments (`CERT KEY USER:PASSWORD` for
/// STARTTLS and AUTH).
fn smtp_server_with(extra: &[&std::ffi::OsStr]) -> Option<Smtp> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (python, required) = match std::env::var("CLOUDWARD_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => (std::path::PathBuf::from(p), true),
        _ => (root.join("target/test-venv/bin/python"), false),
    };
    let works = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        assert!(
            !required,
            "CLOUDWARD_TEST_PYTHON={} cannot import aiosmtpd",
            python.display()
        );
        eprintln!(
            "SKIPPED: mail notifications: no Python with aiosmtpd (set CLOUDWARD_TEST_PYTHON, or run scripts/test, which installs it)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(dir.path())
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap();
    Some(Smtp { child, port, dir })
}

fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn deliver(s: &TestServer, at: chrono::DateTime<chrono::Utc>) -> cloudward_server::notify::Round {
    s.block_on(cloudward_server::notify::deliver_due(&s.state, at))
        .unwrap()
}

fn ok(r: reqwest::blocking::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Makes the channel `body` as `admin` and presses its test button: the test's delivery.
fn made_and_tested(admin: &common::User, body: &Value) -> Value {
    let channel = ok(admin.post("/api/v1/notifications/channels", body), 201);
    ok(
        admin.post(
            &format!(
                "/api/v1/notifications/channels/{}/test",
                channel["id"].as_str().unwrap()
            ),
            &json!({}),
        ),
        200,
    )
}

const ALL_EVENTS: [&str; 6] = [
    "notice",
    "finding",
    "assessment_expiry",
    "matrix_row",
    "exit_step",
    "transition",
];

fn run(db: &common::Db) {
    let smtp = smtp_server();
    let smtp_port = smtp.as_ref().map_or(1, |m| m.port);
    let s = TestServer::start(db, |c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = smtp_port;
        c.smtp_tls = cloudward_server::SmtpTls::None;
        c.smtp_from = Some("cloudward <noreply@cloudward.test>".into());
        c.public_url = Some("https://cw.example".into());
        c.notify_max_attempts = 3;
        c.notify_retry_seconds = 60;
        // The receiver is on this machine.
        c.webhook_private_addresses = true;
    });
    let (base, rec) = receiver(&s);
    let admin = s.login("a-admin");
    let ea = s.engagements["EA"].clone();

    // Channels of customer A, one of each kind; secrets are shown as "set", URLs without
    // their tokens.
    let mut ids = HashMap::new();
    let channels = [
        (
            "mail",
            json!({ "kind": "email", "recipients": ["ops@a.test", "ciso@a.test"], "lang": "both" }),
        ),
        (
            "generic",
            json!({ "kind": "generic", "url": format!("{base}/generic"), "secret": "GENERIC-SECRET-1" }),
        ),
        (
            "wecom",
            json!({ "kind": "wecom", "url": format!("{base}/wecom?key=WECOMKEY0001"), "lang": "zh" }),
        ),
        (
            "dingtalk",
            json!({ "kind": "dingtalk", "url": format!("{base}/dingtalk?access_token=DINGTOKEN001"), "secret": "SECdingtalk0001", "lang": "en" }),
        ),
        (
            "feishu",
            json!({ "kind": "feishu", "url": format!("{base}/feishu/hook-0001"), "secret": "FEISHUSECRET01" }),
        ),
    ];
    for (name, mut body) in channels.clone() {
        if name == "mail" && smtp.is_none() {
            continue;
        }
        body["name"] = json!(name);
        body["events"] = json!(ALL_EVENTS);
        let c = ok(admin.post("/api/v1/notifications/channels", &body), 201);
        ids.insert(name, c["id"].as_str().unwrap().to_owned());
    }
    let listed = admin.get("/api/v1/notifications/channels").text().unwrap();
    for secret in [
        "GENERIC-SECRET-1",
        "WECOMKEY0001",
        "DINGTOKEN001",
        "SECdingtalk0001",
        "FEISHUSECRET01",
    ] {
        assert!(!listed.contains(secret), "{secret} shown: {listed}");
    }
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let ding = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "dingtalk")
        .unwrap();
    assert_eq!(ding["secret"], "set");
    assert!(
        ding["url"]
            .as_str()
            .unwrap()
            .ends_with("/dingtalk?access_token=***"),
        "{ding}"
    );
    let wecom = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "wecom")
        .unwrap();
    assert_eq!(wecom["secret"], "not set");

    // Refusals name the field; WeCom's robot takes no secret.
    for (body, field) in [
        (
            json!({ "name": "x", "kind": "sms", "events": ["notice"] }),
            "kind",
        ),
        (
            json!({ "name": "x", "kind": "email", "recipients": ["not an address"], "events": ["notice"] }),
            "recipients",
        ),
        (
            json!({ "name": "x", "kind": "generic", "url": "ftp://h/x", "events": ["notice"] }),
            "url",
        ),
        (
            json!({ "name": "x", "kind": "wecom", "url": format!("{base}/w"), "secret": "s", "events": ["notice"] }),
            "secret",
        ),
        (
            json!({ "name": "x", "kind": "generic", "url": format!("{base}/g"), "events": ["nothing"] }),
            "events",
        ),
    ] {
        let r = admin.post("/api/v1/notifications/channels", &body);
        assert_eq!(r.status(), 400, "{field}");
        let e: Value = r.json().unwrap();
        assert_eq!(e["error"]["code"], "bad_request", "{field}: {e}");
    }

    // Only A's administrators see and change A's settings; another tenant's channel is not
    // found.
    let member = s.login("a-member");
    assert_eq!(member.get("/api/v1/notifications/channels").status(), 403);
    assert_eq!(member.get("/api/v1/notifications/deliveries").status(), 403);
    let generic_id = ids["generic"].clone();
    assert_eq!(
        member
            .post(
                &format!("/api/v1/notifications/channels/{generic_id}/test"),
                &json!({})
            )
            .status(),
        403
    );
    let other = s.login("b-admin");
    let theirs: Value = other.get("/api/v1/notifications/channels").json().unwrap();
    assert_eq!(theirs, json!([]));
    assert_eq!(
        other
            .post(
                &format!("/api/v1/notifications/channels/{generic_id}/test"),
                &json!({})
            )
            .status(),
        404
    );
    assert_eq!(
        other
            .put(&format!("/api/v1/notifications/channels/{generic_id}"), &json!({ "name": "mine", "kind": "generic", "url": "http://x/", "events": ["notice"] }))
            .status(),
        404
    );
    assert_eq!(
        other
            .delete(&format!("/api/v1/notifications/channels/{generic_id}"))
            .status(),
        404
    );
    let theirs: Value = other
        .get("/api/v1/notifications/deliveries")
        .json()
        .unwrap();
    assert_eq!(theirs, json!([]));

    // The provider raises a notice on EA: customer A's channels get it.
    let provider = s.login("pa-admin");
    let n = ok(
        provider.post(
            &format!("/api/v1/engagements/{ea}/notices"),
            &json!({ "kind": "incident", "title": "Storage outage in zone b" }),
        ),
        201,
    );
    let deadline = n["notice"]["ack_due"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now();
    let round = deliver(&s, now);
    assert_eq!(round.delivered, ids.len(), "{round:?}");
    assert_eq!(
        deliver(&s, now),
        Default::default(),
        "nothing is sent twice"
    );

    let got = rec.got.lock().unwrap().clone();
    let at = |prefix: &str| {
        got.iter()
            .find(|g| g.path.starts_with(prefix))
            .unwrap()
            .clone()
    };
    // Generic: the JSON body, signed over "{timestamp}.{body}".
    let g = at("/generic");
    let ts = g.headers["x-cloudward-timestamp"].to_str().unwrap();
    let expected = format!(
        "sha256={}",
        hex::encode(hmac256(
            b"GENERIC-SECRET-1",
            &[ts.as_bytes(), b".", &g.body].concat()
        ))
    );
    assert_eq!(
        g.headers["x-cloudward-signature"].to_str().unwrap(),
        expected
    );
    let body = g.json();
    assert_eq!(body["event"], "notice");
    assert_eq!(body["engagement_id"], ea.as_str());
    assert_eq!(body["org_id"], s.orgs["A"].as_str());
    assert!(
        body["i18n"]["en"]["title"]
            .as_str()
            .unwrap()
            .contains("Storage outage in zone b")
    );
    assert!(
        body["i18n"]["zh"]["text"]
            .as_str()
            .unwrap()
            .contains("安全事件报告")
    );
    assert!(
        body["i18n"]["en"]["text"]
            .as_str()
            .unwrap()
            .contains(&deadline),
        "{body}"
    );
    assert_eq!(
        body["link"],
        format!("https://cw.example/engagements/{ea}/supervision")
    );
    // WeCom: markdown, in Chinese, no signature.
    let w = at("/wecom");
    assert_eq!(w.query["key"], "WECOMKEY0001");
    let body = w.json();
    assert_eq!(body["msgtype"], "markdown");
    assert!(
        body["markdown"]["content"]
            .as_str()
            .unwrap()
            .contains("服务商安全事件报告"),
        "{body}"
    );
    // DingTalk: timestamp (ms) and sign in the query.
    let d = at("/dingtalk");
    let ts = &d.query["timestamp"];
    assert_eq!(ts.len(), 13, "milliseconds: {ts}");
    let sign = base64::engine::general_purpose::STANDARD.encode(hmac256(
        b"SECdingtalk0001",
        format!("{ts}\nSECdingtalk0001").as_bytes(),
    ));
    assert_eq!(d.query["sign"], sign);
    assert_eq!(d.query["access_token"], "DINGTOKEN001");
    let body = d.json();
    assert_eq!(body["msgtype"], "markdown");
    assert!(
        body["markdown"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Provider incident report"),
        "{body}"
    );
    // Feishu: timestamp (s) and sign in the body, the key being "{timestamp}\n{secret}".
    let f = at("/feishu");
    let body = f.json();
    let ts = body["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 10, "seconds: {ts}");
    let sign = base64::engine::general_purpose::STANDARD
        .encode(hmac256(format!("{ts}\nFEISHUSECRET01").as_bytes(), b""));
    assert_eq!(body["sign"], sign);
    assert_eq!(body["msg_type"], "text");
    assert!(
        body["content"]["text"]
            .as_str()
            .unwrap()
            .contains("Storage outage in zone b")
    );
    // Mail: both recipients, the subject in both languages, the link.
    if let Some(smtp) = &smtp {
        let mails = smtp.messages();
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert!(m.contains("X-Envelope-To: ops@a.test, ciso@a.test"), "{m}");
        assert!(
            m.contains("From: cloudward <noreply@cloudward.test>"),
            "{m}"
        );
        let subject = m.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(
            subject.contains("=?utf-8?") || subject.contains("Storage outage"),
            "{subject}"
        );
        let decoded = decode_mail(m);
        assert!(
            decoded.contains("Provider incident report: Storage outage in zone b"),
            "{decoded}"
        );
        assert!(decoded.contains("服务商安全事件报告"), "{decoded}");
        assert!(decoded.contains(&format!("https://cw.example/engagements/{ea}/supervision")));
    }

    // The delivery log: each delivered at the first attempt.
    let log: Value = admin
        .get("/api/v1/notifications/deliveries")
        .json()
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), ids.len());
    for d in log {
        assert_eq!(d["state"], "delivered", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["event"], "notice");
    }

    // A receiver that answers 500, then 200: retried after the backoff, not before.
    ok(
        admin.post(
            "/api/v1/notifications/channels",
            &json!({ "name": "flaky", "kind": "generic", "url": format!("{base}/flaky"), "events": ["transition", "notice"] }),
        ),
        201,
    );
    let down = ok(
        admin.post(
            "/api/v1/notifications/channels",
            &json!({ "name": "down", "kind": "dingtalk", "url": format!("{base}/down?access_token=DOWNTOKEN999"), "events": ["notice"] }),
        ),
        201,
    );
    ok(
        provider.post(
            &format!("/api/v1/engagements/{ea}/notices"),
            &json!({ "kind": "change", "title": "New region" }),
        ),
        201,
    );
    let now = chrono::Utc::now();
    let round = deliver(&s, now);
    assert_eq!(
        (round.delivered, round.retried),
        (ids.len(), 2),
        "{round:?}"
    );
    let state_of = |name: &str| -> Value {
        let log: Value = admin
            .get("/api/v1/notifications/deliveries")
            .json()
            .unwrap();
        log.as_array()
            .unwrap()
            .iter()
            .find(|d| d["channel_name"] == name)
            .unwrap()
            .clone()
    };
    let flaky = state_of("flaky");
    assert_eq!(flaky["state"], "pending");
    assert_eq!(flaky["attempts"], 1);
    assert_eq!(flaky["last_error"], "the receiver answered HTTP 500");
    assert!(flaky["next_attempt_at"].is_string());
    assert_eq!(
        deliver(&s, now + chrono::Duration::seconds(30)),
        Default::default(),
        "not yet due"
    );
    let round = deliver(&s, now + chrono::Duration::seconds(61));
    assert_eq!((round.delivered, round.retried), (1, 1), "{round:?}");
    let flaky = state_of("flaky");
    assert_eq!(flaky["state"], "delivered");
    assert_eq!(flaky["attempts"], 2);
    assert_eq!(flaky["history"].as_array().unwrap().len(), 2);
    // The one that never answers 2xx fails after its third attempt (60 s, then 120 s).
    let round = deliver(&s, now + chrono::Duration::seconds(61 + 121));
    assert_eq!(round.failed, 1, "{round:?}");
    let failed = state_of("down");
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"], 3);

    // The test button: one attempt, its outcome answered at once; an unreachable URL's
    // error carries no token.
    let t = ok(
        admin.post(
            &format!("/api/v1/notifications/channels/{generic_id}/test"),
            &json!({}),
        ),
        200,
    );
    assert_eq!(t["state"], "delivered", "{t}");
    assert_eq!(t["event"], "test");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = ok(
        admin.post(
            "/api/v1/notifications/channels",
            &json!({ "name": "nowhere", "kind": "dingtalk", "url": format!("http://127.0.0.1:{closed_port}/robot/send?access_token=NOWHERETOKEN77"), "secret": "SECnowhere77", "events": ["notice"] }),
        ),
        201,
    );
    let logs = capture(|| {
        let t = ok(
            admin.post(
                &format!(
                    "/api/v1/notifications/channels/{}/test",
                    unreachable["id"].as_str().unwrap()
                ),
                &json!({}),
            ),
            200,
        );
        assert_eq!(t["state"], "failed", "{t}");
        assert_eq!(t["attempts"], 1);
        assert!(t["last_error"].is_string());
        // The worker's log line of a failure, captured here.
        let _ = down;
    });
    let _ = logs;
    let everything = format!(
        "{}{}",
        admin
            .get("/api/v1/notifications/deliveries?limit=500")
            .text()
            .unwrap(),
        admin.get("/api/v1/notifications/channels").text().unwrap()
    );
    for secret in [
        "GENERIC-SECRET-1",
        "WECOMKEY0001",
        "DINGTOKEN001",
        "SECdingtalk0001",
        "FEISHUSECRET01",
        "DOWNTOKEN999",
        "NOWHERETOKEN77",
        "SECnowhere77",
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} in the API's answers"
        );
    }
    // Nor in the database in the clear (sealed at rest).
    let dump = s
        .block_on(
            s.store
                .list_records("notification_channel", &Default::default()),
        )
        .unwrap();
    let dump = serde_json::to_string(&dump).unwrap();
    for secret in [
        "GENERIC-SECRET-1",
        "DINGTOKEN001",
        "SECdingtalk0001",
        "NOWHERETOKEN77",
    ] {
        assert!(!dump.contains(secret), "{secret} stored in the clear");
    }

    // A log line of a failed delivery (the worker's) names no secret either.
    ok(
        provider.post(
            &format!("/api/v1/engagements/{ea}/notices"),
            &json!({ "kind": "change", "title": "Maintenance" }),
        ),
        201,
    );
    let later = now + chrono::Duration::hours(1);
    let lines = capture(|| {
        deliver(&s, later);
    });
    assert!(lines.contains("notification not delivered"), "{lines}");
    for secret in [
        "NOWHERETOKEN77",
        "SECnowhere77",
        "DOWNTOKEN999",
        "DINGTOKEN001",
    ] {
        assert!(!lines.contains(secret), "{secret} logged: {lines}");
    }

    // Removing a channel: it gets nothing more, its log stays.
    assert_eq!(
        admin
            .delete(&format!(
                "/api/v1/notifications/channels/{}",
                down["id"].as_str().unwrap()
            ))
            .status(),
        204
    );
    let listed: Value = admin.get("/api/v1/notifications/channels").json().unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "down")
    );
    assert!(state_of("down")["state"].is_string());

    // Changing a channel keeps its URL and secret unless new ones are given.
    let c = ok(
        admin.put(
            &format!("/api/v1/notifications/channels/{generic_id}"),
            &json!({ "name": "generic", "kind": "generic", "events": ["finding"], "enabled": true }),
        ),
        200,
    );
    assert_eq!(c["secret"], "set");
    assert_eq!(c["events"], json!(["finding"]));
    assert!(c["url"].as_str().unwrap().ends_with("/generic"));

    // The console page: the channels, the log, a refused channel shown again with what was
    // typed (never the secret) and the reason beside its field; the test button's outcome.
    let page = admin
        .client
        .get(format!("{}/admin/notifications?lang=en", s.base))
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(
        html.contains("Delivery log")
            && html.contains("flaky")
            && html.contains("DingTalk custom robot"),
        "{html}"
    );
    for secret in ["GENERIC-SECRET-1", "DINGTOKEN001", "SECdingtalk0001"] {
        assert!(!html.contains(secret));
    }
    let post_form = |path: &str, pairs: &[(&str, &str)]| {
        admin
            .client
            .post(format!("{}{path}", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(common::form(pairs))
            .send()
            .unwrap()
    };
    let refused = post_form(
        "/admin/notifications",
        &[
            ("csrf_token", &admin.csrf),
            ("name", "ops robot"),
            ("kind", "wecom"),
            ("url", "ftp://nowhere"),
            ("secret", "TYPED-SECRET-9"),
            ("lang", "en"),
            ("enabled", "on"),
            ("event_notice", "on"),
        ],
    );
    assert_eq!(refused.status(), 400);
    let html = refused.text().unwrap();
    assert!(
        html.contains("value=\"ops robot\"") && html.contains("c-url-error"),
        "{html}"
    );
    assert!(!html.contains("TYPED-SECRET-9"));
    let created = post_form(
        "/admin/notifications",
        &[
            ("csrf_token", &admin.csrf),
            ("name", "ops robot"),
            ("kind", "wecom"),
            ("url", &format!("{base}/wecom?key=CONSOLEKEY1")),
            ("lang", "en"),
            ("enabled", "on"),
            ("event_notice", "on"),
        ],
    );
    assert!(
        created.status().is_success() || created.status().is_redirection(),
        "{}",
        created.status()
    );
    let listed: Value = admin.get("/api/v1/notifications/channels").json().unwrap();
    let robot = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ops robot")
        .unwrap()
        .clone();
    assert_eq!(robot["events"], json!(["notice"]));
    let tested = post_form(
        &format!(
            "/admin/notifications/{}/test?lang=en",
            robot["id"].as_str().unwrap()
        ),
        &[("csrf_token", &admin.csrf)],
    );
    assert_eq!(tested.status(), 200);
    assert!(
        tested
            .text()
            .unwrap()
            .contains("The test notification reached")
    );
    // Edited in the console: the form filled with the channel (not its URL or secret), a
    // refusal shown again, a change saved with the URL kept; a stale form comes back.
    let rid = robot["id"].as_str().unwrap().to_owned();
    let edit = admin
        .client
        .get(format!("{}/admin/notifications?edit={rid}&lang=en", s.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(edit.contains("Change the channel") && edit.contains("value=\"ops robot\""));
    assert!(edit.contains(&format!("action=\"/admin/notifications/{rid}\"")));
    assert!(!edit.contains("CONSOLEKEY1"), "the URL's key is not shown");
    let version = robot["version"].as_i64().unwrap().to_string();
    let change = |name: &str, version: &str| {
        post_form(
            &format!("/admin/notifications/{rid}?lang=en"),
            &[
                ("csrf_token", &admin.csrf),
                ("version", version),
                ("name", name),
                ("kind", "wecom"),
                ("url", ""),
                ("lang", "zh"),
                ("enabled", "on"),
                ("event_notice", "on"),
                ("event_transition", "on"),
            ],
        )
    };
    let refused = change("", &version);
    assert_eq!(refused.status(), 400);
    let html = refused.text().unwrap();
    assert!(
        html.contains("Change the channel") && html.contains("c-name-error"),
        "{html}"
    );
    let saved = change("ops robot (zh)", &version);
    assert!(saved.status().is_success(), "{}", saved.status());
    let listed: Value = admin.get("/api/v1/notifications/channels").json().unwrap();
    let robot = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == rid.as_str())
        .unwrap()
        .clone();
    assert_eq!(robot["name"], "ops robot (zh)");
    assert_eq!(robot["lang"], "zh");
    assert_eq!(robot["events"], json!(["notice", "transition"]));
    assert!(
        robot["url"].as_str().unwrap().contains("/wecom"),
        "the URL kept"
    );
    let stale = change("again", &version);
    assert_eq!(stale.status(), 409);
    assert!(stale.text().unwrap().contains("value=\"again\""));
    let member_page = member
        .client
        .get(format!("{}/admin/notifications", s.base))
        .send()
        .unwrap();
    assert_eq!(member_page.status(), 403);

    // Every message the notifications use exists in both languages.
    let messages = cloudward_content::messages();
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/notify/mod.rs"))
        .unwrap()
        + &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/notify/events.rs"))
            .unwrap()
        + &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/admin_notifications.html"
        ))
        .unwrap();
    let mut keys: Vec<String> = src
        .split('"')
        .filter(|k| {
            (k.starts_with("notify.") || k.starts_with("ui.notify") || k.starts_with("api."))
                && !k.contains(' ')
                && !k.contains('{')
                && !k.ends_with('.')
        })
        .map(str::to_owned)
        .collect();
    for step in [
        "plan",
        "scope",
        "customer_manifest",
        "confirm",
        "provider_manifest",
        "attestation",
    ] {
        keys.push(format!("notify.step.{step}"));
    }
    for e in ALL_EVENTS.iter().chain(&["test"]) {
        keys.push(format!("ui.notify_event.{e}"));
    }
    for k in ["email", "generic", "wecom", "dingtalk", "feishu"] {
        keys.push(format!("ui.notify_kind.{k}"));
    }
    for k in ["pending", "delivered", "failed"] {
        keys.push(format!("ui.notify_state.{k}"));
    }
    for k in &keys {
        for lang in cloudward_domain::Lang::ALL {
            assert_ne!(
                messages.render(k, lang, &[]),
                *k,
                "{k} has no {lang:?} text"
            );
        }
    }
}

/// The log lines written (at info and above) on this thread while `f` runs.
fn capture(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
}

/// A mail's text with its quoted-printable or Base64 body and encoded words decoded.
fn decode_mail(m: &str) -> String {
    let (head, body) = m.split_once("\r\n\r\n").unwrap_or((m, ""));
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = if head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: base64")
    {
        String::from_utf8(b64.decode(body.replace(['\r', '\n'], "")).unwrap()).unwrap()
    } else if head.to_ascii_lowercase().contains("quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    };
    format!("{head}\n\n{body}")
}

#[test]
fn notifications_reach_mail_and_every_webhook_kind_signed_with_retries_and_no_secret_shown() {
    for db in databases() {
        run(&db);
    }
}

/// Unless the server is told otherwise, a webhook does not go to an address inside the
/// network (where a cloud's metadata service or an internal admin page answers): neither
/// to one written as such nor to a name that resolves to one. The delivery log says why,
/// and the receiver gets nothing.
#[test]
fn webhooks_to_internal_addresses_are_refused_unless_allowed() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let (base, rec) = receiver(&s);
    let port = base.rsplit(':').next().unwrap().to_owned();
    let admin = s.login("a-admin");
    for (name, url) in [
        ("by address", format!("{base}/hook")),
        ("by name", format!("http://localhost:{port}/hook")),
        (
            "metadata",
            "http://169.254.169.254/latest/meta-data".to_owned(),
        ),
        ("mapped", format!("http://[::ffff:127.0.0.1]:{port}/hook")),
    ] {
        let tested = made_and_tested(
            &admin,
            &json!({ "name": name, "kind": "generic", "url": url, "events": ["notice"] }),
        );
        assert_eq!(tested["state"], "failed", "{name}: {tested}");
        let why = tested["last_error"].as_str().unwrap();
        assert!(why.contains("not on the public internet"), "{name}: {why}");
        assert!(why.contains("--webhook-private-addresses"), "{name}: {why}");
    }
    assert!(
        rec.got.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
}

#[test]
fn public_addresses_are_told_apart_from_internal_ones() {
    use cloudward_server::notify::is_public;
    for internal in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "2001:db8::1",
    ] {
        assert!(!is_public(internal.parse().unwrap()), "{internal}");
    }
    for public in [
        "8.8.8.8",
        "114.114.114.114",
        "100.128.0.1",
        "2400:3200::1",
        "::ffff:1.2.4.8",
    ] {
        assert!(is_public(public.parse().unwrap()), "{public}");
    }
}

/// A row of the matrix that changes waits for the other parties, and an exit step of one
/// side leaves the other side's steps waiting: each party's organisation is told, in the
/// transaction of the change, and the one that made it is not.
#[test]
fn matrix_rows_and_exit_steps_tell_the_other_side() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let a = s.login("a-admin");
    let pa = s.login("pa-admin");
    let ea = s.engagements["EA"].clone();
    for (u, name) in [(&pa, "provider desk"), (&a, "customer desk")] {
        let r = u.post(
            "/api/v1/notifications/channels",
            &json!({ "name": name, "kind": "generic", "url": "http://127.0.0.1:9/hook",
                     "events": ["matrix_row", "exit_step"] }),
        );
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    }
    let events = |u: &common::User| -> Vec<String> {
        let log: Value = u.get("/api/v1/notifications/deliveries").json().unwrap();
        log.as_array()
            .unwrap()
            .iter()
            .filter(|d| d["engagement_id"] == ea.as_str())
            .map(|d| d["event"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(events(&pa).is_empty() && events(&a).is_empty());
    // The customer shares the application's audit with the provider.
    let e: Value = a.get(&format!("/api/v1/engagements/{ea}")).json().unwrap();
    let mut doc = e["document"].clone();
    doc["responsibility"] = json!([{ "element": "application/AU", "parties": ["customer", "provider"],
        "split": { "customer": "reviews the logs", "provider": "keeps the logs" } }]);
    let r = a.put(
        &format!("/api/v1/engagements/{ea}"),
        &json!({ "version": e["version"], "document": doc }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    assert_eq!(
        events(&pa),
        ["matrix_row"],
        "the provider is told of its row"
    );
    assert!(
        events(&a).is_empty(),
        "not the customer, who made the change"
    );
    // Exit: the customer's plan leaves the provider's steps waiting.
    let r = a.post(
        &format!("/api/v1/engagements/{ea}/transition"),
        &json!({ "to": "exit" }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let r = a.post(
        &format!("/api/v1/engagements/{ea}/exit"),
        &json!({ "step": "plan", "plan": "EXIT-PLAN v1" }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let theirs = events(&pa);
    assert!(theirs.contains(&"exit_step".to_owned()), "{theirs:?}");
    let log: Value = pa.get("/api/v1/notifications/deliveries").json().unwrap();
    let exit = log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"] == "exit_step")
        .unwrap();
    let title = format!("{} {}", exit["title"]["zh"], exit["title"]["en"]);
    assert!(!title.contains("notify."), "in words: {title}");
    // The provider's manifest leaves the customer's steps waiting.
    let r = pa.post(
        &format!("/api/v1/engagements/{ea}/exit"),
        &json!({ "step": "provider_manifest", "manifest": { "db.dump": "aa11" } }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    assert!(events(&a).contains(&"exit_step".to_owned()));
}

/// A certificate authority of the test's own.
fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

/// Mail to an agency's relay as it is set up: STARTTLS with a certificate of the agency's
/// own CA, AUTH required. With that CA trusted (the CA file) the mail arrives; with a
/// CA file of another authority it does not, and the delivery log says it was the
/// certificate; the password is shown nowhere.
#[test]
fn mail_goes_over_starttls_with_the_agencys_ca_and_a_login() {
    let ca = test_ca("Agency test CA");
    let other_ca = test_ca("Some other CA");
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca_file) = (
        dir.path().join("relay.pem"),
        dir.path().join("relay.key"),
        dir.path().join("ca.pem"),
    );
    std::fs::write(&cert, leaf.pem()).unwrap();
    std::fs::write(&key, leaf_key.serialize_pem()).unwrap();
    // The CA file names the wrong authority first.
    std::fs::write(&ca_file, other_ca.pem()).unwrap();
    let Some(smtp) = smtp_server_with(&[
        cert.as_os_str(),
        key.as_os_str(),
        std::ffi::OsStr::new("relay-user:Relay-Pass-7731"),
    ]) else {
        return;
    };
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = smtp.port;
        c.smtp_tls = cloudward_server::SmtpTls::Starttls;
        c.smtp_ca_file = Some(ca_file.clone());
        c.smtp_username = Some("relay-user".into());
        c.smtp_password = Some(cloudward_server::Secret::new("Relay-Pass-7731"));
        c.smtp_from = Some("cloudward <noreply@cloudward.test>".into());
    });
    let admin = s.login("a-admin");
    let channel = ok(
        admin.post(
            "/api/v1/notifications/channels",
            &json!({ "name": "duty desk", "kind": "email", "recipients": ["duty@a.test"], "events": ["notice"] }),
        ),
        201,
    );
    let test = format!(
        "/api/v1/notifications/channels/{}/test",
        channel["id"].as_str().unwrap()
    );

    // An authority the relay's certificate does not come from: refused, nothing sent.
    let refused = ok(admin.post(&test, &json!({})), 200);
    assert_eq!(refused["state"], "failed", "{refused}");
    let why = refused["last_error"].as_str().unwrap().to_lowercase();
    assert!(why.contains("certificate"), "{why}");
    assert!(smtp.messages().is_empty());

    // The agency's CA: the mail arrives, sent after STARTTLS and AUTH (the relay takes
    // nothing before both).
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let sent = ok(admin.post(&test, &json!({})), 200);
    assert_eq!(sent["state"], "delivered", "{sent}");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("X-Envelope-To: duty@a.test"),
        "{}",
        mails[0]
    );

    // A wrong password is the relay's refusal, in words, without the password.
    drop(s);
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = smtp.port;
        c.smtp_ca_file = Some(ca_file.clone());
        c.smtp_username = Some("relay-user".into());
        c.smtp_password = Some(cloudward_server::Secret::new("Wrong-Pass-0000"));
        c.smtp_from = Some("cloudward <noreply@cloudward.test>".into());
    });
    let admin = s.login("a-admin");
    let denied = made_and_tested(
        &admin,
        &json!({ "name": "duty desk", "kind": "email", "recipients": ["duty@a.test"], "events": ["notice"] }),
    );
    assert_eq!(denied["state"], "failed", "{denied}");
    let why = denied["last_error"].as_str().unwrap().to_lowercase();
    assert!(why.contains("authentication"), "{why}");
    assert_eq!(smtp.messages().len(), 1, "nothing more arrived");
    let everything = format!(
        "{denied}{}{}",
        admin
            .get("/api/v1/notifications/deliveries")
            .text()
            .unwrap(),
        admin.get("/api/v1/notifications/channels").text().unwrap()
    );
    for secret in ["Relay-Pass-7731", "Wrong-Pass-0000"] {
        assert!(!everything.contains(secret), "{secret} shown: {everything}");
    }
}
