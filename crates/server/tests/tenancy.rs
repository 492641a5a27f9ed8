//! Every engagement endpoint × every role × own tenant versus another tenant. A
//! cross-tenant read or write that succeeds fails the test; so does one that answers
//! anything but 404.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use std::collections::BTreeSet;

use crate::common::{TestServer, User, databases};
use serde_json::{Value, json};

/// What a caller is to an engagement.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seat {
    CustomerAdmin,
    CustomerMember,
    CustomerViewer,
    /// Provider or security service provider: has rows in the matrix.
    RowParty,
    Assessor,
    Outsider,
    PlatformAdmin,
}

fn expected(seat: Seat, endpoint: &str, is_ssp: bool) -> u16 {
    use Seat::*;
    match (seat, endpoint) {
        (Outsider, _) => 404,
        (PlatformAdmin, _) => 403,
        (
            _,
            "get" | "export" | "check" | "classification" | "responsibility" | "alerts" | "posture"
            | "findings" | "notices" | "exit" | "evidence",
        ) => 200,
        // Not the next phase: past access control, refused as invalid.
        (CustomerAdmin | CustomerMember, "transition") => 422,
        (_, "transition") => 403,
        // An empty title, from the provider: past access control, refused as bad input.
        (RowParty, "notice") if !is_ssp => 400,
        (_, "notice") => 403,
        // Not a scan report, from the customer or its security service provider.
        (CustomerAdmin | CustomerMember, "scan") => 400,
        (RowParty, "scan") if is_ssp => 400,
        (_, "scan") => 403,
        // Exit steps are for the exit phase; the engagements here are in operation.
        (CustomerAdmin | CustomerMember, "exit_step") => 422,
        (RowParty, "exit_step") if !is_ssp => 422,
        (_, "exit_step") => 403,
        // A stale version: the caller got past access control into the version check.
        (CustomerAdmin | CustomerMember, "put") => 409,
        (_, "put") => 403,
        (CustomerAdmin, "delete") => 409,
        (_, "delete") => 403,
        // An unknown row: past access control, refused as bad input.
        (CustomerAdmin | CustomerMember | RowParty, "confirm") => 400,
        (_, "confirm") => 403,
        _ => unreachable!("{endpoint}"),
    }
}

fn call(u: &User, endpoint: &str, id: &str) -> u16 {
    let base = format!("/api/v1/engagements/{id}");
    let r = match endpoint {
        "get" => u.get(&base),
        "export" => u.get(&format!("{base}/export")),
        "check" => u.get(&format!("{base}/check?date=2026-11-28")),
        "classification" => u.get(&format!("{base}/classification")),
        "responsibility" => u.get(&format!("{base}/responsibility")),
        "put" => u.put(
            &base,
            &json!({ "version": 0, "document": common::document("changed") }),
        ),
        "delete" => u.delete(&format!("{base}?version=0")),
        "confirm" => u.post(
            &format!("{base}/responsibility/confirm"),
            &json!({ "element": "nowhere/XX" }),
        ),
        _ => unreachable!(),
    };
    let status = r.status().as_u16();
    if status >= 400 {
        let body: Value = r.json().unwrap();
        assert!(
            body["error"]["code"].is_string(),
            "{endpoint}: JSON error body, got {body}"
        );
    }
    status
}

const ENDPOINTS: [&str; 8] = [
    "get",
    "export",
    "check",
    "classification",
    "responsibility",
    "put",
    "delete",
    "confirm",
];

fn run(db: common::Db) {
    let s = TestServer::start(&db, |_| {});
    let a_admin = s.login("a-admin");
    let pb_admin = s.login("pb-admin");
    // Tokens act with their own role.
    let t: Value = a_admin
        .post(
            "/api/v1/tokens",
            &json!({ "name": "ro", "role": "read_only" }),
        )
        .json()
        .unwrap();
    let tok_a_ro = a_admin.token_user("token a read-only", t["token"].as_str().unwrap());
    let t: Value = pb_admin
        .post("/api/v1/tokens", &json!({ "name": "ci", "role": "member" }))
        .json()
        .unwrap();
    let tok_pb = pb_admin.token_user("token pb member", t["token"].as_str().unwrap());

    use Seat::*;
    let callers: Vec<(User, Seat, Seat)> = vec![
        // (caller, seat on EA, seat on EB)
        (s.login("a-admin"), CustomerAdmin, Outsider),
        (s.login("a-member"), CustomerMember, Outsider),
        (s.login("a-viewer"), CustomerViewer, Outsider),
        (s.login("b-admin"), Outsider, CustomerAdmin),
        (s.login("b-member"), Outsider, CustomerMember),
        (s.login("pa-admin"), RowParty, Outsider),
        (s.login("pb-admin"), Outsider, RowParty),
        (s.login("as-admin"), Assessor, Outsider),
        (s.login("ss-admin"), RowParty, Outsider),
        (s.login("root"), PlatformAdmin, PlatformAdmin),
        (tok_a_ro, CustomerViewer, Outsider),
        (tok_pb, Outsider, RowParty),
    ];
    let mut failures = Vec::new();
    for (u, on_a, on_b) in &callers {
        for (eng, seat) in [("EA", *on_a), ("EB", *on_b)] {
            for ep in ENDPOINTS {
                let got = call(u, ep, &s.engagements[eng]);
                let is_ssp = u.name == "ss-admin";
                let want = expected(seat, ep, is_ssp);
                if got != want {
                    failures.push(format!("{} {ep} {eng}: got {got}, want {want}", u.name));
                }
            }
        }
        // The list shows exactly the visible engagements.
        let r = u.get("/api/v1/engagements");
        if *on_a == PlatformAdmin {
            assert_eq!(r.status(), 403);
            continue;
        }
        let page: Value = r.json().unwrap();
        let got: BTreeSet<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect();
        let mut want = BTreeSet::new();
        if *on_a != Outsider {
            want.insert("EA".to_owned());
        }
        if *on_b != Outsider {
            want.insert("EB".to_owned());
        }
        assert_eq!(got, want, "{} lists", u.name);
        // The audit log shows nothing of engagements the caller cannot see.
        let audit: Value = u.get("/api/v1/audit?limit=1000").json().unwrap();
        for e in audit["items"].as_array().unwrap() {
            let eng = e["engagement_id"].as_str();
            let hidden = [("EA", *on_a), ("EB", *on_b)]
                .iter()
                .any(|(k, seat)| *seat == Outsider && eng == Some(s.engagements[k].as_str()));
            assert!(!hidden, "{} sees audit entry {e}", u.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Organisation administration stays inside the organisation.
    let a_admin = s.login("a-admin");
    let b_org = &s.orgs["B"];
    assert_eq!(
        a_admin.get(&format!("/api/v1/orgs/{b_org}/users")).status(),
        404
    );
    let r = a_admin.post(
        &format!("/api/v1/orgs/{b_org}/users"),
        &json!({ "username": "mole", "password": "long enough password", "role": "org_admin" }),
    );
    assert_eq!(r.status(), 404);
    let b_admin = s.login("b-admin");
    let t: Value = b_admin
        .post("/api/v1/tokens", &json!({ "name": "b", "role": "member" }))
        .json()
        .unwrap();
    let b_token_id = t["details"]["id"].as_str().unwrap();
    assert_eq!(
        a_admin
            .delete(&format!("/api/v1/tokens/{b_token_id}"))
            .status(),
        404
    );
    let tokens: Value = a_admin.get("/api/v1/tokens").json().unwrap();
    assert!(
        tokens
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != b_token_id)
    );
    // Nobody but the platform administrator verifies the chain.
    assert_eq!(a_admin.get("/api/v1/admin/audit/verify").status(), 403);
    let v: Value = s
        .login("root")
        .get("/api/v1/admin/audit/verify")
        .json()
        .unwrap();
    assert!(v["broken"].is_null(), "{v}");
}

#[test]
fn no_cross_tenant_access() {
    for db in databases() {
        run(db);
    }
}
