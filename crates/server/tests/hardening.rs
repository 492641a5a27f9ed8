//! What a hostile client meets: bounded connections and header reads, security headers on
//! every response, local redirects only, a data directory for the server alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::{PASSWORD, TestServer};
use reqwest::blocking::Client;

fn addr(s: &TestServer) -> String {
    s.base.trim_start_matches("http://").to_owned()
}

/// A connection that sends half a request and stops.
fn stalled(s: &TestServer) -> TcpStream {
    let mut t = TcpStream::connect(addr(s)).unwrap();
    t.write_all(b"GET /healthz HTTP/1.1\r\nHost: cloudward\r\nX-Slow: ")
        .unwrap();
    // Generous: only a server that never closes the connection makes the test wait this long.
    t.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    t
}

/// Reads until the server closes the connection; fails if it does not within the bound.
fn wait_for_close(t: &mut TcpStream) {
    let mut sink = Vec::new();
    match t.read_to_end(&mut sink) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the server did not close a stalled connection: {e}"),
    }
}

#[test]
fn stalled_clients_are_cut_off_and_the_server_answers_again() {
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.max_connections = 4;
        c.header_read_timeout_seconds = 1;
    });
    // More stalled connections than the server will hold open: the first ones are taken,
    // the rest wait in the listen queue until those are closed.
    let mut conns: Vec<TcpStream> = (0..10).map(|_| stalled(&s)).collect();
    for t in &mut conns {
        wait_for_close(t);
    }
    let r = reqwest::blocking::get(format!("{}/healthz", s.base)).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().unwrap(), "ok");
}

#[test]
fn the_connection_limit_holds_until_a_connection_closes() {
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.max_connections = 2;
        c.header_read_timeout_seconds = 120;
    });
    let held: Vec<TcpStream> = (0..2).map(|_| stalled(&s)).collect();
    // Every place is taken: a third client is not served, however long it waits here.
    let quick = Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert!(quick.get(format!("{}/healthz", s.base)).send().is_err());
    // The clients go away: the server serves again.
    drop(held);
    let r = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
        .get(format!("{}/healthz", s.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

fn assert_security_headers(what: &str, r: &reqwest::blocking::Response, cacheable: bool) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    let pp = get("permissions-policy");
    for p in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(pp.contains(p), "{what}: {pp}");
    }
    let csp = get("content-security-policy");
    for d in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(d), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    let cache = get("cache-control");
    if cacheable {
        assert!(cache.contains("max-age"), "{what}: {cache}");
    } else {
        assert_eq!(cache, "no-store", "{what}");
    }
    assert!(
        h.get("strict-transport-security").is_none(),
        "{what}: HSTS is off"
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let u = s.login("a-member");
    let anon = s.anonymous();
    let get = |c: &Client, path: &str| c.get(format!("{}{path}", s.base)).send().unwrap();
    let r = get(&u.client, "/dashboard");
    assert_eq!(r.status(), 200);
    assert_security_headers("a console page", &r, false);
    let r = get(&anon, "/login");
    assert_eq!(r.status(), 200);
    assert_security_headers("the login page", &r, false);
    let r = u.get("/api/v1/engagements");
    assert_eq!(r.status(), 200);
    assert_security_headers("an API answer", &r, false);
    let r = get(&anon, "/no/such/page");
    assert_eq!(r.status(), 404);
    assert_security_headers("a 404", &r, false);
    let r = get(&anon, "/api/v1/auth/me");
    assert_eq!(r.status(), 401);
    assert_security_headers("an API error", &r, false);
    let r = anon
        .post(format!("{}/api/v1/auth/login", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_security_headers("a refused body", &r, false);
    let r = get(&u.client, "/engagements/nope");
    assert!(r.status().is_client_error());
    assert_security_headers("a console error page", &r, false);
    let r = get(&anon, "/static/console.css");
    assert_eq!(r.status(), 200);
    assert_security_headers("a static file", &r, true);
    let r = get(&anon, "/healthz");
    assert_security_headers("the health check", &r, false);
}

#[test]
fn hsts_is_sent_when_configured() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.hsts = true);
    for path in ["/login", "/healthz", "/nope"] {
        let r = reqwest::blocking::get(format!("{}{path}", s.base)).unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

/// The `Location` of a redirect that is not followed.
fn location(r: &reqwest::blocking::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

#[test]
fn next_and_back_accept_only_local_paths() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let c = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = |c: &Client| {
        let html = c
            .get(format!("{}/login", s.base))
            .send()
            .unwrap()
            .text()
            .unwrap();
        html.split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap()
            .to_owned()
    };
    for (next, expected) in [
        ("/engagements", "/engagements"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("/a\nb", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\u{7f}", "/"),
    ] {
        // The login page keeps a bad `next` out of its form.
        let r = c
            .get(format!(
                "{}/login?{}",
                s.base,
                common::form(&[("next", next)])
            ))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{next:?}");
        // The login form redirects only to a local path.
        let t = token(&c);
        let r = c
            .post(format!("{}/login", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(common::form(&[
                ("username", "a-member"),
                ("password", PASSWORD),
                ("csrf_token", t.as_str()),
                ("next", next),
            ]))
            .send()
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(location(&r), expected, "{next:?}");
        // So does the language switch (before login).
        let anon = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = anon
            .post(format!("{}/language", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(common::form(&[("lang", "en"), ("back", next)]))
            .send()
            .unwrap();
        assert!(r.status().is_redirection(), "{next:?}: {}", r.status());
        assert_eq!(location(&r), expected, "{next:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_data_directory_is_for_the_server_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = TestServer::start(&common::Db::Sqlite, |c| {
        c.evidence_storage = cloudward_server::blobs::EvidenceStorage::Disk;
        c.checkpoint_interval = 1;
    });
    // Something in the evidence folder and a checkpoint on file.
    let u = s.login("a-member");
    let r = u
        .client
        .post(format!(
            "{}/api/v1/engagements/{}/evidence?target_kind=control&target=DP-04&name=a.txt",
            s.base, s.engagements["EA"]
        ))
        .header("x-csrf-token", &u.csrf)
        .body("evidence")
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = s.dir.path();
    assert_eq!(mode(dir), 0o700);
    for f in [
        "cloudward.db",
        "cloudward.db-wal",
        "cloudward.db-shm",
        "audit-checkpoints.jsonl",
        "audit-signing.key",
    ] {
        let p = dir.join(f);
        assert!(p.exists(), "{f}");
        assert_eq!(mode(&p), 0o600, "{f}");
    }
    assert_eq!(mode(&dir.join("evidence")), 0o700);
    let blob = std::fs::read_dir(dir.join("evidence"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(mode(blob.parent().unwrap()), 0o700);
    assert_eq!(mode(&blob), 0o600);
}

#[cfg(unix)]
#[test]
fn an_existing_data_directory_is_tightened_at_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.path().join("cloudward.db"), b"").unwrap();
    std::fs::set_permissions(
        dir.path().join("cloudward.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    cloudward_store::secure_data_dir(dir.path(), true).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.path().join("cloudward.db")), 0o600);
}

#[test]
fn a_request_whose_body_never_ends_gets_a_timeout() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.request_timeout_seconds = 1);
    let mut t = TcpStream::connect(addr(&s)).unwrap();
    t.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: cloudward\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
    )
    .unwrap();
    t.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut answer = Vec::new();
    let _ = t.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"timeout\""), "{answer}");
}

#[test]
fn exports_are_attachments() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let u = s.login("a-member");
    let ea = &s.engagements["EA"];
    for (path, name) in [
        (
            format!("/api/v1/engagements/{ea}/export"),
            "engagement.yaml",
        ),
        (format!("/api/v1/engagements/{ea}/oscal/ssp"), "ssp.json"),
    ] {
        let r = u.get(&path);
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-disposition"],
            format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}").as_str(),
            "{path}"
        );
    }
}
