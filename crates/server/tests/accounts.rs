//! Accounts: a user changes their own password; an organisation's administrator (or the
//! platform administrator) disables, enables, unlocks and resets a user and changes a
//! role, never leaving the organisation without an enabled administrator; tokens expire
//! and can be limited to one engagement. Each change is in the audit log. On SQLite and
//! PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common::{self, PASSWORD, TestServer, User, databases};
use cloudward_store::{Actor, NewToken, Role};
use serde_json::{Value, json};

const NEW: &str = "a much longer password";

fn error(r: reqwest::blocking::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let body: Value = r.json().unwrap_or(Value::Null);
    (status, body["error"].clone())
}

fn user_id(s: &TestServer, name: &str) -> String {
    s.block_on(s.store.find_user(name)).unwrap().unwrap().id
}

/// The audit actions recorded about `object_id`.
fn audited(s: &TestServer, object_id: &str) -> Vec<String> {
    s.block_on(s.store.audit_entries(0, 100_000))
        .unwrap()
        .into_iter()
        .filter(|e| e.object_id == object_id)
        .map(|e| e.action)
        .collect()
}

fn no_redirects() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in with a client that does not follow redirects (to see where the console sends).
fn console_login(s: &TestServer, name: &str, password: &str) -> User {
    let client = no_redirects();
    let r = s.try_login(&client, name, password);
    assert_eq!(r.status(), 200, "login {name}");
    let body: Value = r.json().unwrap();
    User {
        client,
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        base: s.base.clone(),
        name: name.to_owned(),
        token: None,
    }
}

fn own_password(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let u = s.login("a-member");
    let other = s.login("a-member");
    let change = |current: &str, new: &str| {
        u.post(
            "/api/v1/auth/password",
            &json!({ "current_password": current, "new_password": new }),
        )
    };
    let (status, e) = error(change("wrong", NEW));
    assert_eq!(
        (status, e["code"].as_str()),
        (400, Some("bad_current_password"))
    );
    assert_eq!(e["field"], "current_password");
    let (status, e) = error(change(PASSWORD, "short"));
    assert_eq!((status, e["code"].as_str()), (400, Some("weak_password")));
    assert_eq!(e["field"], "new_password");
    let (status, e) = error(change(PASSWORD, PASSWORD));
    assert_eq!((status, e["field"].as_str()), (400, Some("new_password")));
    assert_eq!(change(PASSWORD, NEW).status(), 204);
    assert_eq!(
        u.get("/api/v1/auth/me").status(),
        200,
        "this session goes on"
    );
    assert_eq!(u.get("/api/v1/engagements").status(), 200);
    assert_eq!(other.get("/api/v1/auth/me").status(), 401, "the others end");
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
        401
    );
    assert_eq!(s.try_login(&s.anonymous(), "a-member", NEW).status(), 200);
    assert!(audited(&s, &user_id(&s, "a-member")).contains(&"user.password_change".to_owned()));

    // The console's account page, reached from the header.
    let c = s.login("a-viewer");
    let dashboard = c.get("/dashboard?lang=en").text().unwrap();
    assert!(
        dashboard.contains("href=\"/account\""),
        "a link in the header"
    );
    let page = c.get("/account").text().unwrap();
    assert!(page.contains("id=\"account-user\">a-viewer<"), "{page}");
    let r = c.post_form(
        "/account",
        &[
            ("current_password", "wrong"),
            ("new_password", NEW),
            ("new_password_again", NEW),
        ],
    );
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(page.contains("id=\"pw-current-error\""), "{page}");
    assert!(!page.contains(NEW), "passwords are never given back");
    let r = c.post_form(
        "/account",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW),
            ("new_password_again", "something else entirely"),
        ],
    );
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("id=\"pw-again-error\""));
    let r = c.post_form(
        "/account",
        &[
            ("current_password", PASSWORD),
            ("new_password", NEW),
            ("new_password_again", NEW),
        ],
    );
    assert_eq!(r.status(), 200, "followed to the account page");
    assert_eq!(s.try_login(&s.anonymous(), "a-viewer", NEW).status(), 200);
}

fn administrators_manage_their_users(db: &common::Db) {
    let s = TestServer::start(db, |c| {
        c.lockout_after = 2;
    });
    let org = s.orgs["A"].clone();
    let admin = s.login("a-admin");
    let member_id = user_id(&s, "a-member");
    let path = |user: &str, what: &str| format!("/api/v1/orgs/{org}/users/{user}/{what}");

    // Disabling ends the sessions; logging in answers as a wrong password does.
    let session = s.login("a-member");
    let wrong = s.try_login(&s.anonymous(), "a-member", "not the password");
    let wrong_body: Value = wrong.json().unwrap();
    let r = admin.post(&path(&member_id, "disable"), &json!({}));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["disabled"], true);
    assert_eq!(session.get("/api/v1/auth/me").status(), 401);
    let r = s.try_login(&s.anonymous(), "a-member", PASSWORD);
    assert_eq!(r.status(), 401);
    let body: Value = r.json().unwrap();
    assert_eq!(body, wrong_body, "the same answer as a wrong password");
    let listed: Value = admin
        .get(&format!("/api/v1/orgs/{org}/users"))
        .json()
        .unwrap();
    let row = |v: &Value, name: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&listed, "a-member")["disabled"], true);
    assert_eq!(
        admin.post(&path(&member_id, "enable"), &json!({})).status(),
        200
    );
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
        200
    );

    // Unlocking lets a throttled name in at once.
    let c = s.anonymous();
    for _ in 0..2 {
        assert_eq!(s.try_login(&c, "a-member", "guess").status(), 401);
    }
    assert_eq!(s.try_login(&c, "a-member", PASSWORD).status(), 429);
    let listed: Value = admin
        .get(&format!("/api/v1/orgs/{org}/users"))
        .json()
        .unwrap();
    assert_eq!(row(&listed, "a-member")["locked"], true);
    let v: Value = admin
        .post(&path(&member_id, "unlock"), &json!({}))
        .json()
        .unwrap();
    assert_eq!(v["locked"], false);
    assert_eq!(s.try_login(&c, "a-member", PASSWORD).status(), 200);

    // A reset password: sessions end, and the new one must be changed before anything else.
    let session = s.login("a-member");
    let (status, e) = error(admin.post(
        &path(&member_id, "password"),
        &json!({ "password": "short" }),
    ));
    assert_eq!((status, e["field"].as_str()), (400, Some("password")));
    let r = admin.post(&path(&member_id, "password"), &json!({ "password": NEW }));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert!(
        v.get("password").is_none(),
        "a typed password is not answered"
    );
    assert_eq!(v["user"]["must_change_password"], true);
    assert_eq!(session.get("/api/v1/auth/me").status(), 401);
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
        401
    );
    let reset = console_login(&s, "a-member", NEW);
    let me: Value = reset.get("/api/v1/auth/me").json().unwrap();
    assert_eq!(me["must_change_password"], true);
    let (status, e) = error(reset.get("/api/v1/engagements"));
    assert_eq!(
        (status, e["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let r = reset.get("/dashboard");
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/account");
    assert!(
        reset
            .get("/account")
            .text()
            .unwrap()
            .contains("id=\"must-change\"")
    );
    assert_eq!(
        reset
            .post(
                "/api/v1/auth/password",
                &json!({ "current_password": NEW, "new_password": "yet another long password" }),
            )
            .status(),
        204
    );
    assert_eq!(reset.get("/api/v1/engagements").status(), 200);
    assert_eq!(reset.get("/dashboard").status(), 200);
    // Without a password, one is generated and answered once.
    let v: Value = admin
        .post(&path(&member_id, "password"), &json!({}))
        .json()
        .unwrap();
    let generated = v["password"].as_str().unwrap().to_owned();
    assert!(generated.chars().count() >= 20);
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", &generated).status(),
        200
    );

    // A role change takes effect with the next request.
    let m = s.login("a-viewer");
    let viewer_id = user_id(&s, "a-viewer");
    assert_eq!(m.get("/api/v1/tokens").status(), 403);
    let (status, e) = error(admin.put(&path(&viewer_id, "role"), &json!({ "role": "boss" })));
    assert_eq!((status, e["field"].as_str()), (400, Some("role")));
    let v: Value = admin
        .put(&path(&viewer_id, "role"), &json!({ "role": "org_admin" }))
        .json()
        .unwrap();
    assert_eq!(v["role"], "org_admin");
    assert_eq!(m.get("/api/v1/tokens").status(), 200);

    // The last enabled administrator stays: a-admin may step down now that a-viewer is
    // one, a-viewer then may not.
    let admin_id = user_id(&s, "a-admin");
    assert_eq!(
        admin
            .put(&path(&admin_id, "role"), &json!({ "role": "member" }))
            .status(),
        200
    );
    let (status, e) = error(m.put(&path(&viewer_id, "role"), &json!({ "role": "member" })));
    assert_eq!((status, e["code"].as_str()), (409, Some("last_admin")));
    let (status, e) = error(m.post(&path(&viewer_id, "disable"), &json!({})));
    assert_eq!((status, e["code"].as_str()), (409, Some("last_admin")));
    // A disabled administrator does not count.
    assert_eq!(
        m.put(&path(&admin_id, "role"), &json!({ "role": "org_admin" }))
            .status(),
        200
    );
    assert_eq!(
        m.post(&path(&admin_id, "disable"), &json!({})).status(),
        200
    );
    let (status, _) = error(m.post(&path(&viewer_id, "disable"), &json!({})));
    assert_eq!(status, 409);
    assert_eq!(m.post(&path(&admin_id, "enable"), &json!({})).status(), 200);

    // Members may do none of it; another organisation's administrator finds nothing; the
    // platform administrator may.
    // (a-admin's sessions ended when it was disabled: a-viewer adds the user.)
    assert_eq!(
        m.post(
            &format!("/api/v1/orgs/{org}/users"),
            &json!({ "username": "a-second", "password": PASSWORD, "role": "member" }),
        )
        .status(),
        201
    );
    let member = s.login("a-second");
    let b = s.login("b-admin");
    let b_member = user_id(&s, "b-member");
    for what in ["disable", "enable", "unlock", "password"] {
        assert_eq!(
            member.post(&path(&viewer_id, what), &json!({})).status(),
            403,
            "{what}"
        );
        assert_eq!(
            b.post(&path(&viewer_id, what), &json!({})).status(),
            404,
            "{what}"
        );
        // A's administrator, on B's user named under A.
        let a_admin = s.login("a-viewer");
        assert_eq!(
            a_admin.post(&path(&b_member, what), &json!({})).status(),
            404,
            "{what}"
        );
    }
    assert_eq!(
        member
            .put(&path(&viewer_id, "role"), &json!({ "role": "member" }))
            .status(),
        403
    );
    assert_eq!(
        b.put(&path(&viewer_id, "role"), &json!({ "role": "member" }))
            .status(),
        404
    );
    let root = s.login("root");
    let b_org = &s.orgs["B"];
    assert_eq!(
        root.post(
            &format!("/api/v1/orgs/{b_org}/users/{b_member}/disable"),
            &json!({})
        )
        .status(),
        200
    );
    assert_eq!(
        s.try_login(&s.anonymous(), "b-member", PASSWORD).status(),
        401
    );

    let member_log = audited(&s, &member_id);
    for action in [
        "user.disable",
        "user.enable",
        "user.unlock",
        "user.password_reset",
    ] {
        assert!(
            member_log.contains(&action.to_owned()),
            "{action}: {member_log:?}"
        );
    }
    assert!(audited(&s, &viewer_id).contains(&"user.role_change".to_owned()));
    assert!(audited(&s, &b_member).contains(&"user.disable".to_owned()));
}

fn the_console_manages_users(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let org = s.orgs["A"].clone();
    let admin = console_login(&s, "a-admin", PASSWORD);
    let member = user_id(&s, "a-member");
    let me = user_id(&s, "a-admin");
    let users = format!("/admin/orgs/{org}/users");
    let page = admin.get(&users).text().unwrap();
    assert!(page.contains(&format!("action=\"{users}/{member}/disable\"")));
    let r = admin.post_form(&format!("{users}/{member}/disable"), &[]);
    assert!(r.status().is_redirection());
    assert_eq!(
        s.try_login(&s.anonymous(), "a-member", PASSWORD).status(),
        401
    );
    let page = admin.get(&format!("{users}?lang=en")).text().unwrap();
    assert!(
        page.contains(&format!("action=\"{users}/{member}/enable\"")),
        "{page}"
    );
    // The last administrator: the page again, the reason in the user's row.
    let r = admin.post_form(&format!("{users}/{me}/disable"), &[]);
    assert_eq!(r.status(), 409);
    let page = r.text().unwrap();
    assert!(page.contains(&format!("id=\"u-{me}-error\"")), "{page}");
    let r = admin.post_form(&format!("{users}/{me}/role"), &[("role", "member")]);
    assert_eq!(r.status(), 409);
    assert!(
        r.text()
            .unwrap()
            .contains(&format!("id=\"role-{me}-error\""))
    );
    // A short password beside its field; an empty one is generated and shown once.
    let r = admin.post_form(
        &format!("{users}/{member}/password"),
        &[("password", "short")],
    );
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .unwrap()
            .contains(&format!("id=\"pw-{member}-error\""))
    );
    let r = admin.post_form(&format!("{users}/{member}/password"), &[("password", "")]);
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    let start =
        page.find("<code id=\"new-password\">").unwrap() + "<code id=\"new-password\">".len();
    let generated = &page[start..start + page[start..].find('<').unwrap()];
    assert!(
        admin
            .post_form(&format!("{users}/{member}/enable"), &[])
            .status()
            .is_redirection()
    );
    assert!(
        admin
            .post_form(&format!("{users}/{member}/role"), &[("role", "read_only")])
            .status()
            .is_redirection()
    );
    assert!(
        admin
            .post_form(&format!("{users}/{member}/unlock"), &[])
            .status()
            .is_redirection()
    );
    let r = s.try_login(&s.anonymous(), "a-member", generated);
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(
        (v["role"].as_str(), v["must_change_password"].as_bool()),
        (Some("read_only"), Some(true))
    );
}

fn tokens_expire_and_keep_to_their_engagement(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let admin = s.login("a-admin");
    let member = s.login("a-member");
    let ea = s.engagements["EA"].clone();
    let eb = s.engagements["EB"].clone();
    let created: Value = member
        .post(
            "/api/v1/engagements",
            &json!({ "document": common::document("EA2") }),
        )
        .json()
        .unwrap();
    let ea2 = created["id"].as_str().unwrap().to_owned();

    // Expiry: a date or a number of days; refused in the past, or both at once.
    let new = |body: Value| admin.post("/api/v1/tokens", &body);
    let (status, e) = error(new(
        json!({ "name": "x", "role": "member", "expires_on": "2001-01-01" }),
    ));
    assert_eq!((status, e["field"].as_str()), (400, Some("expires_on")));
    let (status, _) = error(new(
        json!({ "name": "x", "role": "member", "expires_on": "2999-01-01", "expires_in_days": 3 }),
    ));
    assert_eq!(status, 400);
    let (status, e) = error(new(
        json!({ "name": "x", "role": "member", "expires_in_days": 0 }),
    ));
    assert_eq!(
        (status, e["field"].as_str()),
        (400, Some("expires_in_days"))
    );
    let r = new(json!({ "name": "week", "role": "member", "expires_in_days": 7 }));
    assert_eq!(r.status(), 201);
    let week: Value = r.json().unwrap();
    assert!(week["details"]["expires_at"].is_string());
    let bot = admin.token_user("week", week["token"].as_str().unwrap());
    assert_eq!(bot.get("/api/v1/engagements").status(), 200);
    let secret = "cwt_test_expired";
    s.block_on(s.store.create_token(
        &Actor::system(),
        NewToken {
            org_id: s.orgs["A"].clone(),
            name: "old".into(),
            role: Role::Member,
            token_hash: cloudward_server::auth::sha256_hex(secret),
            prefix: "cwt_test_exp".into(),
            expires_at: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
            engagement_id: None,
        },
    ))
    .unwrap();
    let (status, e) = error(admin.token_user("old", secret).get("/api/v1/engagements"));
    assert_eq!((status, e["code"].as_str()), (401, Some("token_expired")));

    // Limited to one engagement the organisation sees (another's is refused on the field).
    let (status, e) = error(new(
        json!({ "name": "x", "role": "member", "engagement_id": eb }),
    ));
    assert_eq!((status, e["field"].as_str()), (400, Some("engagement_id")));
    let r = new(json!({ "name": "ea2 only", "role": "org_admin", "engagement_id": ea2 }));
    assert_eq!(r.status(), 201);
    let limited: Value = r.json().unwrap();
    assert_eq!(limited["details"]["engagement_name"], "EA2");
    let bot = admin.token_user("ea2 only", limited["token"].as_str().unwrap());
    let list: Value = bot.get("/api/v1/engagements").json().unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!((names, list["total"].as_i64()), (vec!["EA2"], Some(1)));
    // Unlimited, the organisation has both.
    let all: Value = admin.get("/api/v1/engagements").json().unwrap();
    assert_eq!(all["total"], 2);
    for suffix in [
        "",
        "/export",
        "/check",
        "/classification",
        "/responsibility",
        "/posture",
        "/findings",
        "/notices",
        "/evidence",
        "/exit",
        "/alerts",
        "/oscal/ssp",
    ] {
        let ok = bot
            .get(&format!("/api/v1/engagements/{ea2}{suffix}"))
            .status();
        assert!(ok.is_success(), "{suffix}: {ok}");
        for other in [&ea, &eb] {
            assert_eq!(
                bot.get(&format!("/api/v1/engagements/{other}{suffix}"))
                    .status(),
                404,
                "{suffix} of another engagement"
            );
        }
    }
    let version = created["version"].as_i64().unwrap();
    assert_eq!(
        bot.put(
            &format!("/api/v1/engagements/{ea}"),
            &json!({ "version": 1, "document": {} })
        )
        .status(),
        404
    );
    assert_eq!(
        bot.post(
            &format!("/api/v1/engagements/{ea}/scans/run"),
            &json!({ "files": [] })
        )
        .status(),
        404
    );
    let r = bot.put(
        &format!("/api/v1/engagements/{ea2}"),
        &json!({ "version": version, "document": common::document("EA2, renamed") }),
    );
    assert_eq!(r.status(), 200, "it acts on its own engagement");
    let org = &s.orgs["A"];
    for (method, path) in [
        ("GET", "/api/v1/tokens".to_owned()),
        ("POST", "/api/v1/tokens".to_owned()),
        ("GET", format!("/api/v1/orgs/{org}/users")),
        (
            "POST",
            format!(
                "/api/v1/orgs/{org}/users/{}/unlock",
                user_id(&s, "a-member")
            ),
        ),
        ("GET", "/api/v1/audit".to_owned()),
        ("GET", "/api/v1/tasks".to_owned()),
        ("GET", "/api/v1/offerings".to_owned()),
        ("GET", "/api/v1/assessments".to_owned()),
        ("POST", "/api/v1/engagements".to_owned()),
        ("POST", "/api/v1/offerings".to_owned()),
        ("GET", "/api/v1/notifications/channels".to_owned()),
        ("POST", "/api/v1/frameworks?name=x".to_owned()),
    ] {
        // Each body as the route reads it, so that only access control refuses it.
        let body = match path.as_str() {
            "/api/v1/engagements" => json!({ "document": {} }),
            "/api/v1/offerings" => json!({ "offering": {} }),
            p if p.ends_with("/unlock") => json!({}),
            _ => json!({ "name": "x", "role": "read_only" }),
        };
        let r = if method == "GET" {
            bot.get(&path)
        } else if path.starts_with("/api/v1/frameworks") {
            bot.post_bytes(&path, b"{}".to_vec())
        } else {
            bot.post(&path, &body)
        };
        assert_eq!(r.status(), 403, "{method} {path}");
    }
    assert_eq!(
        bot.get("/api/v1/oscal/catalog").status(),
        200,
        "content anyone may read"
    );

    // The console lists expiry and scope in words.
    let page = admin.get("/admin/tokens?lang=en").text().unwrap();
    assert!(page.contains("EA2"), "the engagement by name");
    assert!(page.contains("UTC"), "the expiry");
    assert!(page.contains("name=\"engagement_id\""));
    assert!(page.contains("name=\"expires_on\""));
    let r = admin.post_form(
        "/admin/tokens",
        &[
            ("name", "late"),
            ("role", "member"),
            ("expires_on", "2001-01-01"),
            ("engagement_id", ""),
        ],
    );
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(page.contains("id=\"t-expires-error\""), "{page}");
    assert!(page.contains("value=\"late\""), "the form as sent");
    let r = admin.post_form(
        "/admin/tokens",
        &[
            ("name", "scoped"),
            ("role", "member"),
            ("expires_on", ""),
            ("engagement_id", &ea2),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("id=\"new-token\""));
    let stored = s.block_on(s.store.list_tokens(org)).unwrap();
    assert!(
        stored
            .iter()
            .any(|t| t.name == "scoped" && t.engagement_id.as_deref() == Some(ea2.as_str()))
    );
    let log = s.block_on(s.store.audit_entries(0, 100_000)).unwrap();
    assert!(log.iter().filter(|e| e.action == "token.create").count() >= 4);
    // Tokens are the organisation's: disabling their creator does not stop them.
    let other_admin = user_id(&s, "a-viewer");
    admin.put(
        &format!("/api/v1/orgs/{org}/users/{other_admin}/role"),
        &json!({ "role": "org_admin" }),
    );
    let viewer = s.login("a-viewer");
    let made: Value = viewer
        .post(
            "/api/v1/tokens",
            &json!({ "name": "viewer's", "role": "member" }),
        )
        .json()
        .unwrap();
    assert_eq!(
        admin
            .post(
                &format!("/api/v1/orgs/{org}/users/{other_admin}/disable"),
                &json!({})
            )
            .status(),
        200
    );
    let theirs = admin.token_user("viewer's", made["token"].as_str().unwrap());
    assert_eq!(theirs.get("/api/v1/engagements").status(), 200);
}

#[test]
fn changing_ones_own_password() {
    for db in databases() {
        own_password(&db);
    }
}

#[test]
fn administrators_disable_enable_unlock_reset_and_change_roles() {
    for db in databases() {
        administrators_manage_their_users(&db);
    }
}

#[test]
fn the_console_offers_every_action_on_a_user() {
    for db in databases() {
        the_console_manages_users(&db);
    }
}

#[test]
fn tokens_expire_and_a_limited_token_reaches_its_engagement_alone() {
    for db in databases() {
        tokens_expire_and_keep_to_their_engagement(&db);
    }
}
