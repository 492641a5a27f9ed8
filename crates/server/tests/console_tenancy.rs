//! Every console route that names an object, called by an organisation the object is not
//! for: the answer is a 403 or 404 page that shows nothing of the object, and a form
//! changes nothing (the audit log does not grow). The routes are read from the console's
//! router, so a new route fails here until it has a case; the object's own side gets the
//! page (so the refusal is not just a broken route).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeSet;

use crate::common::{Db, TestServer, User, databases, form, offering_under_assessment};
use serde_json::{Value, json};

const CATALOG: &[u8] = include_bytes!("../../oscal/tests/data/basic-catalog.json");

/// The console's routes as its router declares them: (method, path).
fn declared_routes() -> BTreeSet<(String, String)> {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console/mod.rs"),
    )
    .unwrap();
    let start = src.find("pub fn routes(").unwrap();
    let body = &src[start..];
    let mut out = BTreeSet::new();
    let mut rest = body;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let q1 = rest.find('"').unwrap();
        let q2 = rest[q1 + 1..].find('"').unwrap() + q1 + 1;
        let path = rest[q1 + 1..q2].to_owned();
        // The handlers up to the next route.
        let end = rest.find(".route(").unwrap_or(rest.len());
        let handlers = &rest[q2..end];
        for method in ["get", "post"] {
            let called = handlers.contains(&format!(" {method}("))
                || handlers.contains(&format!("({method}("))
                || handlers.contains(&format!(".{method}("))
                || handlers.contains(&format!("\n{method}("))
                || handlers
                    .trim_start_matches([',', ' ', '\n'])
                    .starts_with(&format!("{method}("));
            if called {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Whose objects the routes name.
struct Objects {
    engagement: String,
    offering: String,
    assessment: String,
    org: String,
    /// A user of that organisation.
    user: String,
    token: String,
    framework: String,
    channel: String,
    /// An evidence request of the assessment.
    request: String,
}

/// How to call a route with another organisation's object: the path with its ids, and
/// the user whose object it is (to see that the route works for them), for pages.
fn case(route: &(String, String), o: &Objects) -> Option<(String, Option<&'static str>)> {
    let (method, path) = (route.0.as_str(), route.1.as_str());
    let fill = |p: &str, id: &str| {
        p.replace("{id}", id)
            .replace("{finding}", "00000000-0000-0000-0000-000000000000")
            .replace("{notice}", "00000000-0000-0000-0000-000000000000")
            .replace("{control}", "s1.1.1")
            .replace("{user}", &o.user)
    };
    let owner = |who: &'static str| (method == "GET").then_some(who);
    Some(if path.starts_with("/engagements/{id}") {
        (fill(path, &o.engagement), owner("b-admin"))
    } else if path.starts_with("/assessments/{id}") {
        (fill(path, &o.assessment), owner("pb-admin"))
    } else if path.starts_with("/evidence-requests/{id}") {
        (fill(path, &o.request), None)
    } else if path.starts_with("/offerings/{id}") {
        (fill(path, &o.offering), owner("pb-admin"))
    } else if path.starts_with("/admin/orgs/{id}") {
        (fill(path, &o.org), owner("b-admin"))
    } else if path.starts_with("/admin/tokens/{id}") {
        (fill(path, &o.token), owner("b-admin"))
    } else if path.starts_with("/frameworks/{id}") {
        (fill(path, &o.framework), owner("b-admin"))
    } else if path.starts_with("/admin/notifications/{id}") {
        (fill(path, &o.channel), owner("b-admin"))
    } else {
        // The built-in catalog is everyone's; other routes name no object.
        assert!(
            !path.contains('{') || path == "/catalog/{id}",
            "no case for {method} {path}: add one"
        );
        return None;
    })
}

/// A form post (multipart for the upload routes) with the caller's CSRF token.
fn post_form(u: &User, path: &str) -> reqwest::blocking::Response {
    let url = format!("{}{path}", u.base);
    if path.ends_with("/evidence")
        || path.ends_with("/document")
        || path.ends_with("/answer")
        || path.ends_with("/workbook")
    {
        let boundary = "cloudward-test-boundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"control\"\r\n\r\nDP-04\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"target_kind\"\r\n\r\ncontrol\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nDP-04\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"output\"\r\n\r\nexit-plan\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nevidence\r\n--{boundary}--\r\n",
            u.csrf
        );
        u.client
            .post(url)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .unwrap()
    } else {
        let fields: Vec<(&str, &str)> = vec![
            ("csrf_token", u.csrf.as_str()),
            ("version", "1"),
            ("to", "exit"),
            ("element", "infrastructure/DP"),
            ("step", "plan"),
            ("plan", "x"),
            ("action", "fix"),
            ("kind", "change"),
            ("title", "x"),
            ("offering_id", "x"),
            ("assessor_org_id", "x"),
            ("level", "general"),
            ("outcome", "pass"),
            ("owner", "customer"),
            ("name", "x"),
            ("username", "x"),
            ("password", "correct horse battery staple"),
            ("role", "member"),
            ("result", "not_satisfied"),
            ("control", "AC-01"),
            ("text", "x"),
            ("note", "x"),
        ];
        u.client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&fields))
            .send()
            .unwrap()
    }
}

fn run(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let pb = s.login("pb-admin");
    let b = s.login("b-admin");
    let (offering, assessment) = offering_under_assessment(&s, &pb);
    let token: Value = b
        .post("/api/v1/tokens", &json!({ "name": "ci", "role": "member" }))
        .json()
        .unwrap();
    let framework: Value = b
        .post_bytes("/api/v1/frameworks?name=basic-b", CATALOG.to_vec())
        .json()
        .unwrap();
    let channel: Value = b
        .post(
            "/api/v1/notifications/channels",
            &json!({ "name": "b", "kind": "generic", "url": "http://127.0.0.1:9/b", "events": ["notice"] }),
        )
        .json()
        .unwrap();
    let request: Value = s
        .login("as-admin")
        .post(
            &format!("/api/v1/assessments/{assessment}/requests"),
            &json!({ "control": "AC-01", "text": "the account list" }),
        )
        .json()
        .unwrap();
    let o = Objects {
        request: request["id"].as_str().expect("request id").to_owned(),
        channel: channel["id"].as_str().expect("channel id").to_owned(),
        engagement: s.engagements["EB"].clone(),
        offering,
        assessment,
        org: s.orgs["B"].clone(),
        user: s
            .block_on(s.store.find_user("b-member"))
            .unwrap()
            .expect("b-member")
            .id,
        token: token["details"]["id"]
            .as_str()
            .expect("token id")
            .to_owned(),
        framework: framework["id"].as_str().expect("framework id").to_owned(),
    };
    let secrets = [&o.engagement, &o.assessment, &o.offering, &o.framework];
    let routes = declared_routes();
    assert!(routes.len() > 40, "the router was not read: {routes:?}");
    let mut checked = 0;
    let outsiders = ["a-admin", "pa-admin"];
    let owners: std::collections::BTreeMap<&str, User> = ["b-admin", "pb-admin"]
        .into_iter()
        .map(|n| (n, s.login(n)))
        .collect();
    for who in outsiders {
        let u = s.login(who);
        for route in &routes {
            let Some((path, owner)) = case(route, &o) else {
                continue;
            };
            let before = s.block_on(s.store.audit_head()).unwrap();
            let r = if route.0 == "GET" {
                u.client.get(format!("{}{path}", u.base)).send().unwrap()
            } else {
                post_form(&u, &path)
            };
            let status = r.status().as_u16();
            let page = r.text().unwrap();
            assert!(
                status == 403 || status == 404,
                "{who}: {} {path} answered {status}",
                route.0
            );
            for secret in secrets {
                assert!(
                    !page.contains(secret.as_str()),
                    "{who}: {} {path} shows {secret}",
                    route.0
                );
            }
            // A refusal writes nothing but its own login's entries (none here).
            let after = s.block_on(s.store.audit_head()).unwrap();
            assert_eq!(before, after, "{who}: {} {path} changed something", route.0);
            if let Some(owner) = owner
                && who == outsiders[0]
            {
                let mine = &owners[owner];
                let r = mine
                    .client
                    .get(format!("{}{path}", mine.base))
                    .send()
                    .unwrap();
                assert_eq!(r.status(), 200, "{owner}: GET {path}");
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} calls made");
}

#[test]
fn console_routes_show_and_change_nothing_of_other_organisations() {
    for db in databases() {
        run(&db);
    }
}
