//! A server error answers `internal` and writes one log line at error level with the
//! request and the cause.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::sync::{Arc, Mutex};

use crate::common::TestServer;
use cloudward_store::{Actor, NewRecord};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_server_error_is_logged_with_its_request_and_cause() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::ERROR)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    // An evidence record whose data is not evidence: reading it fails on the server.
    let rec = s
        .block_on(s.store.create_record(
            &Actor::system(),
            NewRecord {
                id: None,
                kind: "evidence".into(),
                owner_org_id: s.orgs["A"].clone(),
                party_org_id: None,
                engagement_id: Some(s.engagements["EA"].clone()),
                parent_id: None,
                data: json!({ "not": "evidence" }),
            },
        ))
        .unwrap();
    let u = s.login("a-member");
    let path = format!("/api/v1/evidence/{}/content", rec.id);
    let r = u.get(&path);
    assert_eq!(r.status(), 500);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "internal");
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("server error"))
        .unwrap_or_else(|| panic!("no log line: {text}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains(&format!("path={path}")), "{line}");
    assert!(line.contains("status=500"), "{line}");
    assert!(line.contains("missing field"), "the cause: {line}");
    assert!(!line.contains(common::PASSWORD), "{line}");
}
