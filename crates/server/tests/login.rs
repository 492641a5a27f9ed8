//! Failed logins slow the next attempts for that user name — from the address that failed
//! and, after many more failures, from everywhere — instead of locking the account; the
//! answers are the same for names that exist and names that do not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::net::IpAddr;
use std::time::Duration;

use crate::common::{PASSWORD, TestServer};
use reqwest::blocking::Client;
use serde_json::Value;

/// A client whose connections come from `ip` (any 127.x.y.z address reaches the server).
fn from(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Status, body and whether `Retry-After` was sent.
fn attempt(s: &TestServer, c: &Client, name: &str, password: &str) -> (u16, String, bool) {
    let r = s.try_login(c, name, password);
    let status = r.status().as_u16();
    let retry = r.headers().contains_key("retry-after");
    (status, r.text().unwrap(), retry)
}

fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["error"]["code"].as_str().unwrap_or("").to_owned()
}

#[test]
fn known_and_unknown_names_get_the_same_answers_and_nothing_locks() {
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.lockout_after = 3;
        c.login_backoff_base_seconds = 600;
    });
    let c = s.anonymous();
    let known: Vec<_> = (0..6)
        .map(|_| attempt(&s, &c, "a-member", "wrong password!!"))
        .collect();
    let unknown: Vec<_> = (0..6)
        .map(|_| attempt(&s, &c, "no-such-user", "wrong password!!"))
        .collect();
    assert_eq!(known, unknown, "byte for byte the same answers");
    let statuses: Vec<u16> = known.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429]);
    assert_eq!(code(&known[0].1), "bad_credentials");
    assert_eq!(code(&known[3].1), "login_throttled");
    assert!(known[3].2, "Retry-After on a throttled attempt");
    // In the body nothing tells how long: the same text however long the wait.
    assert_eq!(known[3].1, known[5].1);
    // The name is matched without regard to case.
    assert_eq!(attempt(&s, &c, "A-Member", PASSWORD).0, 429);
    // The failures are audited; nothing is locked.
    s.state.throttle.advance_clock(Duration::from_secs(3600));
    assert_eq!(attempt(&s, &c, "a-member", PASSWORD).0, 200);
    let admin = s.login("a-admin");
    let audit: Value = admin.get("/api/v1/audit?limit=1000").json().unwrap();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auth.login_failed"), "{actions:?}");
    assert!(!actions.contains(&"auth.locked"), "{actions:?}");
}

#[test]
fn an_attackers_address_is_slowed_while_the_administrator_logs_in_from_another() {
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.lockout_after = 3;
        c.login_backoff_base_seconds = 60;
    });
    let attacker = from("127.0.0.2");
    let admin = from("127.0.0.1");
    for _ in 0..3 {
        assert_eq!(attempt(&s, &attacker, "root", "guess guess guess").0, 401);
    }
    // From the attacker's address even the right password waits.
    let r = s.try_login(&attacker, "root", PASSWORD);
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The administrator, from elsewhere, logs in.
    let (status, body, _) = attempt(&s, &admin, "root", PASSWORD);
    assert_eq!(status, 200, "{body}");
    // Refused attempts do not count: once the delay has passed the right password works
    // from the attacker's address too, and resets it.
    s.state.throttle.advance_clock(Duration::from_secs(61));
    assert_eq!(attempt(&s, &attacker, "root", PASSWORD).0, 200);
    assert_eq!(attempt(&s, &attacker, "root", "wrong again!!").0, 401);
    // The console's login form gives the same answers.
    assert_eq!(attempt(&s, &attacker, "root", "wrong again!!").0, 401);
    assert_eq!(attempt(&s, &attacker, "root", "wrong again!!").0, 401);
    let page = attacker.get(format!("{}/login", s.base)).send().unwrap();
    let html = page.text().unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned();
    let r = attacker
        .post(format!("{}/login", s.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(common::form(&[
            ("username", "root"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ]))
        .send()
        .unwrap();
    assert_eq!(r.status(), 429);
}

#[test]
fn failures_from_many_addresses_slow_the_name_for_everyone_for_a_while() {
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.lockout_after = 1;
        c.login_backoff_base_seconds = 60;
    });
    // Ten times the per-address threshold, from ten addresses.
    for i in 10..20 {
        let c = from(&format!("127.0.0.{i}"));
        assert_eq!(attempt(&s, &c, "a-admin", "guess guess guess").0, 401);
    }
    let elsewhere = from("127.0.0.1");
    assert_eq!(attempt(&s, &elsewhere, "a-admin", PASSWORD).0, 429);
    // Other names are not slowed.
    assert_eq!(attempt(&s, &elsewhere, "a-member", PASSWORD).0, 200);
    s.state.throttle.advance_clock(Duration::from_secs(61));
    assert_eq!(attempt(&s, &elsewhere, "a-admin", PASSWORD).0, 200);
}
