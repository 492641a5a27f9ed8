//! Auth flows, the engagements API and bad input, against a real server (SQLite, and
//! PostgreSQL when configured).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use crate::common::{PASSWORD, TestServer, databases};
use serde_json::{Value, json};

fn error_code(r: reqwest::blocking::Response) -> String {
    let v: Value = r.json().unwrap();
    v["error"]["code"].as_str().unwrap_or("").to_owned()
}

#[test]
fn login_sets_a_strict_http_only_cookie_and_logout_ends_the_session() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let client = s.anonymous();
        let r = s.try_login(&client, "a-member", PASSWORD);
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
        let u = s.login("a-member");
        assert_eq!(u.get("/api/v1/auth/me").status(), 200);
        assert_eq!(u.post("/api/v1/auth/logout", &json!({})).status(), 204);
        let r = u.get("/api/v1/auth/me");
        assert_eq!(r.status(), 401);
        assert_eq!(error_code(r), "unauthenticated");
        // Secure behind TLS.
        let s2 = TestServer::start(&db, |c| c.secure_cookies = true);
        let r = s2.try_login(&s2.anonymous(), "a-member", PASSWORD);
        assert!(
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("; Secure")
        );
    }
}

#[test]
fn logins_are_rate_limited_per_address() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.login_rate_per_minute = 3);
    let client = s.anonymous();
    for _ in 0..3 {
        assert_ne!(s.try_login(&client, "nobody", "x").status(), 429);
    }
    let r = s.try_login(&client, "a-member", PASSWORD);
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_code(r), "rate_limited");
}

#[test]
fn only_failed_logins_count_against_an_address() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.login_rate_per_minute = 3);
    // Many people behind one address log in correctly: none is refused.
    for _ in 0..6 {
        assert_eq!(
            s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
            200
        );
    }
}

#[test]
fn state_changes_with_a_cookie_need_the_csrf_token() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let u = s.login("a-member");
    let r = u
        .client
        .post(format!("{}/api/v1/engagements", s.base))
        .json(&json!({ "document": common::document("x") }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r), "csrf");
    let r = u
        .client
        .post(format!("{}/api/v1/engagements", s.base))
        .header("x-csrf-token", "forged")
        .json(&json!({ "document": common::document("x") }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        u.post(
            "/api/v1/engagements",
            &json!({ "document": common::document("x") })
        )
        .status(),
        201
    );
}

#[test]
fn an_expired_session_is_refused() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.session_minutes = 0);
    let r = s.try_login(&reqwest::blocking::Client::new(), "a-member", PASSWORD);
    assert_eq!(r.status(), 200);
    // A browser drops a cookie whose Max-Age has passed; a client that keeps sending it
    // is refused by the server all the same.
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/engagements", s.base))
        .header("cookie", cookie)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r), "session_expired");
}

#[test]
fn changing_the_password_ends_sessions_and_replaces_the_password() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let u = s.login("a-member");
    let other = s.login("a-member");
    let r = u.post(
        "/api/v1/auth/password",
        &json!({ "current_password": "wrong", "new_password": "a much longer password" }),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r), "bad_current_password");
    let r = u.post(
        "/api/v1/auth/password",
        &json!({ "current_password": PASSWORD, "new_password": "short" }),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r), "weak_password");
    let r = u.post(
        "/api/v1/auth/password",
        &json!({ "current_password": PASSWORD, "new_password": "a much longer password" }),
    );
    assert_eq!(r.status(), 204);
    assert_eq!(
        other.get("/api/v1/auth/me").status(),
        401,
        "other sessions end"
    );
    assert_eq!(u.get("/api/v1/auth/me").status(), 200, "this one goes on");
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
        401
    );
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", "a much longer password")
            .status(),
        200
    );
}

#[test]
fn tokens_are_shown_once_hashed_scoped_and_revocable() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let admin = s.login("a-admin");
    let member = s.login("a-member");
    assert_eq!(
        member
            .post("/api/v1/tokens", &json!({ "name": "x", "role": "member" }))
            .status(),
        403,
        "only organisation administrators create tokens"
    );
    let r = admin.post("/api/v1/tokens", &json!({ "name": "ci", "role": "member" }));
    assert_eq!(r.status(), 201);
    let created: Value = r.json().unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cwt_"));
    let listed = admin.get("/api/v1/tokens").text().unwrap();
    assert!(!listed.contains(&secret), "the list never shows the secret");
    assert!(listed.contains(&secret[..12]), "it shows the prefix");
    let stored = s.block_on(s.store.list_tokens(&s.orgs["A"])).unwrap();
    assert!(
        stored
            .iter()
            .all(|t| t.token_hash != secret && t.token_hash.len() == 64)
    );
    let bot = admin.token_user("bot", &secret);
    assert_eq!(bot.get("/api/v1/engagements").status(), 200);
    assert_eq!(
        bot.post(
            "/api/v1/engagements",
            &json!({ "document": common::document("by bot") })
        )
        .status(),
        201
    );
    let id = created["details"]["id"].as_str().unwrap();
    assert_eq!(admin.delete(&format!("/api/v1/tokens/{id}")).status(), 204);
    let r = bot.get("/api/v1/engagements");
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r), "token_revoked");
    assert_eq!(
        admin
            .token_user("guess", "cwt_guess")
            .get("/api/v1/engagements")
            .status(),
        401
    );
}

#[test]
fn engagements_can_be_created_updated_filtered_confirmed_and_deleted() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let member = s.login("a-member");
        let mut doc = common::document("New system");
        doc["phase"] = json!("planning");
        doc["information"] = json!(["public"]);
        doc["business"] = json!("general");
        let r = member.post(
            "/api/v1/engagements",
            &json!({ "document": doc, "parties": { "provider": s.orgs["PA"] } }),
        );
        assert_eq!(r.status(), 201);
        let e: Value = r.json().unwrap();
        let id = e["id"].as_str().unwrap().to_owned();
        assert_eq!(e["level"], "general");
        assert_eq!(e["version"], 1);
        // A provider seat must be a provider.
        let r = member.post(
            "/api/v1/engagements",
            &json!({ "document": doc, "parties": { "provider": s.orgs["AS"] } }),
        );
        assert_eq!(r.status(), 400);
        // Filters and pages.
        let page: Value = member
            .get("/api/v1/engagements?phase=planning")
            .json()
            .unwrap();
        assert_eq!(page["total"], 1);
        let page: Value = member
            .get("/api/v1/engagements?level=advanced")
            .json()
            .unwrap();
        assert_eq!(page["total"], 1, "the world's EA");
        let page: Value = member
            .get("/api/v1/engagements?limit=1&offset=1")
            .json()
            .unwrap();
        assert_eq!(
            (
                page["total"].as_i64(),
                page["items"].as_array().unwrap().len()
            ),
            (Some(2), 1)
        );
        let r = member.get("/api/v1/engagements?phase=nowhere");
        assert_eq!(r.status(), 400);
        // Update with optimistic versioning.
        doc["phase"] = json!("selection");
        let r = member.put(
            &format!("/api/v1/engagements/{id}"),
            &json!({ "version": 1, "document": doc }),
        );
        assert_eq!(r.status(), 200);
        let r = member.put(
            &format!("/api/v1/engagements/{id}"),
            &json!({ "version": 1, "document": doc }),
        );
        assert_eq!(r.status(), 409);
        assert_eq!(error_code(r), "conflict");
        let got: Value = member
            .get(&format!("/api/v1/engagements/{id}"))
            .json()
            .unwrap();
        assert_eq!(
            (got["version"].as_i64(), got["phase"].as_str()),
            (Some(2), Some("selection"))
        );
        assert_eq!(
            got["parties"]["provider"],
            s.orgs["PA"].as_str(),
            "parties kept"
        );
        // The provider confirms its own rows, not the customer's.
        let pa = s.login("pa-admin");
        let m: Value = pa
            .get(&format!("/api/v1/engagements/{id}/responsibility"))
            .json()
            .unwrap();
        let rows = m["rows"].as_array().unwrap();
        let provider_row = rows
            .iter()
            .find(|r| r["responsible"] == json!(["provider"]))
            .unwrap()["element"]
            .as_str()
            .unwrap()
            .to_owned();
        let customer_row = rows
            .iter()
            .find(|r| r["responsible"] == json!(["customer"]))
            .unwrap()["element"]
            .as_str()
            .unwrap()
            .to_owned();
        let confirm = format!("/api/v1/engagements/{id}/responsibility/confirm");
        let r = pa.post(&confirm, &json!({ "element": provider_row }));
        assert_eq!(r.status(), 200);
        let c: Value = r.json().unwrap();
        assert_eq!(c["party"], "provider");
        assert!(c["confirmed_at"].as_str().unwrap().starts_with("20"));
        assert_eq!(
            pa.post(&confirm, &json!({ "element": customer_row }))
                .status(),
            403
        );
        assert_eq!(
            member
                .post(&confirm, &json!({ "element": customer_row }))
                .status(),
            200
        );
        let m: Value = member
            .get(&format!("/api/v1/engagements/{id}/responsibility"))
            .json()
            .unwrap();
        let row = m["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["element"] == provider_row.as_str())
            .unwrap();
        assert_eq!(row["pending"], json!([]));
        assert_eq!(row["confirmations"][0]["org_id"], s.orgs["PA"].as_str());
        assert_eq!(m["confirmed"], 2);
        // The row changes (now shared): the provider's confirmation no longer counts.
        let e: Value = member
            .get(&format!("/api/v1/engagements/{id}"))
            .json()
            .unwrap();
        let mut document = e["document"].clone();
        let mut overrides = document["responsibility"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        overrides.push(
            json!({ "element": provider_row, "parties": ["customer", "provider"],
            "split": { "customer": "accounts of the application", "provider": "the platform" } }),
        );
        document["responsibility"] = Value::Array(overrides);
        let r = member.put(
            &format!("/api/v1/engagements/{id}"),
            &json!({ "version": e["version"], "document": document }),
        );
        assert_eq!(r.status(), 200, "{}", r.text().unwrap());
        let rows_of = |m: &Value| -> Value {
            m["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["element"] == provider_row.as_str())
                .unwrap()
                .clone()
        };
        let m: Value = member
            .get(&format!("/api/v1/engagements/{id}/responsibility"))
            .json()
            .unwrap();
        let row = rows_of(&m);
        assert_eq!(row["pending"], json!(["customer", "provider"]));
        assert_eq!(row["confirmations"], json!([]));
        assert_eq!(row["stale"][0]["party"], "provider");
        assert_eq!(m["confirmed"], 1);
        // Confirmed again, as it reads now.
        assert_eq!(
            pa.post(&confirm, &json!({ "element": provider_row }))
                .status(),
            200
        );
        let m: Value = member
            .get(&format!("/api/v1/engagements/{id}/responsibility"))
            .json()
            .unwrap();
        let row = rows_of(&m);
        assert_eq!(row["pending"], json!(["customer"]));
        assert_eq!(row["stale"], json!([]));
        assert!(
            row["confirmations"][0]["terms"]
                .as_str()
                .unwrap()
                .starts_with("customer+provider; customer: accounts"),
            "{row}"
        );
        // Classification.
        let c: Value = member
            .get(&format!("/api/v1/engagements/{id}/classification"))
            .json()
            .unwrap();
        assert_eq!(c["level"], "general");
        // Only an organisation administrator deletes.
        assert_eq!(
            member.delete(&format!("/api/v1/engagements/{id}")).status(),
            403
        );
        let admin = s.login("a-admin");
        assert_eq!(
            admin
                .delete(&format!("/api/v1/engagements/{id}?version=3"))
                .status(),
            204
        );
        assert_eq!(
            admin.get(&format!("/api/v1/engagements/{id}")).status(),
            404
        );
        // Every change above is in a chain that verifies.
        let v: Value = s
            .login("root")
            .get("/api/v1/admin/audit/verify")
            .json()
            .unwrap();
        assert!(v["broken"].is_null(), "{v}");
        assert!(v["entries"].as_i64().unwrap() > 20);
    }
}

#[test]
fn import_and_export_speak_the_engagement_file() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let member = s.login("a-member");
    let text = include_str!("../../../examples/saas-public-general.yaml");
    let r = member
        .client
        .post(format!(
            "{}/api/v1/engagements/import?provider={}",
            s.base, s.orgs["PA"]
        ))
        .header("x-csrf-token", &member.csrf)
        .header("content-type", "application/yaml")
        .body(text)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let e: Value = r.json().unwrap();
    let id = e["id"].as_str().unwrap();
    let exported = member
        .get(&format!("/api/v1/engagements/{id}/export"))
        .text()
        .unwrap();
    let original = cloudward_domain::engagement::parse(text).unwrap();
    let back = cloudward_domain::engagement::parse(&exported).unwrap();
    assert_eq!(
        serde_json::to_value(original).unwrap(),
        serde_json::to_value(back).unwrap()
    );
    // A malformed file names the place.
    let r = member
        .client
        .post(format!("{}/api/v1/engagements/import", s.base))
        .header("x-csrf-token", &member.csrf)
        .body("name: x\nphase: sometime\n")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "invalid_file");
    assert!(v["error"]["message"].as_str().unwrap().contains(':'), "{v}");
    // The check endpoint answers in the asked language.
    let en: Value = member
        .get(&format!(
            "/api/v1/engagements/{id}/check?date=2026-11-28&lang=en"
        ))
        .json()
        .unwrap();
    let zh: Value = member
        .get(&format!("/api/v1/engagements/{id}/check?date=2026-11-28"))
        .json()
        .unwrap();
    assert_eq!(en["level"], zh["level"]);
    let (a, b) = (
        en["warnings"][0]["message"].as_str().unwrap(),
        zh["warnings"][0]["message"].as_str().unwrap(),
    );
    assert_ne!(a, b, "the same finding in two languages");
}

#[test]
fn bad_input_gets_clear_json_errors() {
    let s = TestServer::start(&common::Db::Sqlite, |c| c.body_limit = 64 * 1024);
    let member = s.login("a-member");
    // Invalid JSON names the field.
    let mut doc = common::document("x");
    doc["phase"] = json!("someday");
    let r = member.post("/api/v1/engagements", &json!({ "document": doc }));
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "invalid_json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("$.document.phase"),
        "{v}"
    );
    let r = member.post("/api/v1/engagements", &json!({ "documnet": {} }));
    assert_eq!(r.status(), 400);
    // Not JSON at all.
    let r = member
        .client
        .post(format!("{}/api/v1/engagements", s.base))
        .header("x-csrf-token", &member.csrf)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = member
        .client
        .post(format!("{}/api/v1/engagements", s.base))
        .header("x-csrf-token", &member.csrf)
        .body("name=x")
        .send()
        .unwrap();
    assert_eq!(r.status(), 415);
    // Too large.
    let big = json!({ "document": { "name": "x".repeat(100 * 1024) } });
    let r = member.post("/api/v1/engagements", &big);
    assert_eq!(r.status(), 413);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["code"], "too_large");
    // Classified information is refused.
    let mut doc = common::document("secret");
    doc["information"] = json!(["classified"]);
    let r = member.post("/api/v1/engagements", &json!({ "document": doc }));
    assert_eq!(r.status(), 422);
    // Unknown paths and methods.
    let r = member.get("/api/v1/nothing-here");
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r), "not_found");
    let r = member
        .client
        .patch(format!("{}/api/v1/engagements", s.base))
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r), "method_not_allowed");
    // Messages follow Accept-Language.
    let r = s
        .anonymous()
        .get(format!("{}/api/v1/engagements", s.base))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["message"], "log in or send an API token");
}

#[test]
fn health_readiness_metrics_and_openapi() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let c = s.anonymous();
    assert_eq!(
        c.get(format!("{}/healthz", s.base))
            .send()
            .unwrap()
            .text()
            .unwrap(),
        "ok"
    );
    assert_eq!(
        c.get(format!("{}/readyz", s.base)).send().unwrap().status(),
        200
    );
    let m = c
        .get(format!("{}/metrics", s.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(m.contains("cloudward_http_requests_total{"), "{m}");
    assert!(m.contains("cloudward_audit_entries "), "{m}");
    let doc: Value = c
        .get(format!("{}/api/openapi.json", s.base))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/engagements",
        "/api/v1/engagements/{id}",
        "/api/v1/engagements/{id}/check",
        "/api/v1/engagements/{id}/responsibility/confirm",
        "/api/v1/auth/login",
        "/api/v1/tokens",
        "/api/v1/admin/audit/verify",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
}

#[test]
fn engagements_per_organisation_have_a_quota() {
    for db in common::databases() {
        let s = TestServer::start(&db, |c| c.max_engagements_per_org = 2);
        let a = s.login("a-member");
        // A holds one engagement already; one more fits, the next does not.
        let r = a.post(
            "/api/v1/engagements",
            &json!({ "document": common::document("second") }),
        );
        assert_eq!(r.status(), 201);
        let r = a.post(
            "/api/v1/engagements",
            &json!({ "document": common::document("third") }),
        );
        assert_eq!(r.status(), 409);
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "quota_exceeded");
        assert!(v["error"]["message"].as_str().unwrap().contains('2'), "{v}");
        // Nothing was stored, and another organisation's quota is its own.
        let list: Value = a.get("/api/v1/engagements").json().unwrap();
        assert_eq!(list["total"], 2);
        let b = s.login("b-member");
        let r = b.post(
            "/api/v1/engagements",
            &json!({ "document": common::document("b's second") }),
        );
        assert_eq!(r.status(), 201);
        let list: Value = b.get("/api/v1/engagements").json().unwrap();
        assert_eq!(list["total"], 2);
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["name"] != "second")
        );
    }
}
