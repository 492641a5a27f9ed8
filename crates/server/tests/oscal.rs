//! The OSCAL endpoints: the same documents as `cloudward oscal export`, and an engagement's
//! plan only for those who may see the engagement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use common::{TestServer, databases};
use serde_json::Value;

#[test]
fn oscal_documents_over_http() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let a = s.login("a-member");
        let r = a.get("/api/v1/oscal/catalog?timestamp=2026-11-28");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        assert_eq!(
            v["catalog"]["metadata"]["last-modified"],
            "2026-11-28T00:00:00Z"
        );
        let v: Value = a.get("/api/v1/oscal/profiles/enhanced").json().unwrap();
        assert!(v["profile"]["imports"][0]["include-controls"][0]["with-ids"].is_array());
        assert_eq!(a.get("/api/v1/oscal/profiles/top").status(), 404);

        let ea = &s.engagements["EA"];
        let eb = &s.engagements["EB"];
        let r = a.get(&format!(
            "/api/v1/engagements/{ea}/oscal/ssp?timestamp=2026-11-28"
        ));
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        assert_eq!(
            v["system-security-plan"]["system-characteristics"]["security-sensitivity-level"],
            "advanced"
        );
        let r = a.get(&format!(
            "/api/v1/engagements/{ea}/oscal/poam?timestamp=2026-11-28&lang=zh"
        ));
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        assert!(v["plan-of-action-and-milestones"]["poam-items"].is_array());
        // Another tenant's engagement does not exist for this caller.
        for what in ["ssp", "poam"] {
            assert_eq!(
                a.get(&format!("/api/v1/engagements/{eb}/oscal/{what}"))
                    .status(),
                404
            );
        }
        assert_eq!(
            s.anonymous()
                .get(format!("{}/api/v1/oscal/catalog", s.base))
                .send()
                .unwrap()
                .status(),
            401
        );
    }
}

/// An offering as a component definition, an assessment as assessment results, and another
/// tool's assessment results imported into an assessment as evidence.
#[test]
fn offerings_and_assessments_in_oscal() {
    use serde_json::json;
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let outsider = s.login("b-admin");
    let o: Value = provider
        .post(
            "/api/v1/offerings",
            &json!({ "published": false, "offering": {
                "name": "Gov IaaS", "service_category": "iaas", "deployment_model": "community",
                "claimed_level": "general" } }),
        )
        .json()
        .unwrap();
    let oid = o["id"].as_str().unwrap();
    let r = provider.get(&format!(
        "/api/v1/offerings/{oid}/oscal/component?timestamp=2026-11-28"
    ));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert!(v["component-definition"]["components"][0]["control-implementations"].is_array());
    // A draft is the provider's own.
    assert_eq!(
        outsider
            .get(&format!("/api/v1/offerings/{oid}/oscal/component"))
            .status(),
        404
    );

    let a: Value = provider
        .post(
            &format!("/api/v1/offerings/{oid}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "general" }),
        )
        .json()
        .unwrap();
    let aid = a["id"].as_str().unwrap();
    // Another tool's results: the document cloudward itself writes for an assessment with
    // two of our controls and one of NIST's.
    let a: Value = assessor
        .put(
            &format!("/api/v1/assessments/{aid}/results"),
            &json!({ "version": 1, "results": {
                "AC-07": { "result": "satisfied", "notes": "policy seen" },
                "DP-04": { "result": "not_satisfied", "notes": "plain text backups" } } }),
        )
        .json()
        .unwrap();
    let exported: Value = assessor
        .get(&format!(
            "/api/v1/assessments/{aid}/oscal/results?timestamp=2026-11-28"
        ))
        .json()
        .unwrap();
    assert!(
        exported["assessment-results"]["results"][0]["findings"].is_array(),
        "{exported}"
    );
    assert_eq!(a["version"], 2);
    // Import it into a fresh assessment: results recorded, file kept as evidence.
    let b: Value = provider
        .post(
            &format!("/api/v1/offerings/{oid}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "general" }),
        )
        .json()
        .unwrap();
    let bid = b["id"].as_str().unwrap();
    let r = assessor
        .client
        .post(format!("{}/api/v1/assessments/{bid}/oscal/import", s.base))
        .header("x-csrf-token", &assessor.csrf)
        .body(exported.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(v["recorded"], 2, "{v}");
    let results = &v["assessment"]["results"];
    assert_eq!(results["DP-04"]["result"], "not_satisfied");
    assert_eq!(results["AC-07"]["evidence"][0], v["evidence_id"]);
    let audit: Value = assessor.get("/api/v1/audit?limit=1000").json().unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["object_id"] == v["sha256"]),
        "the file's hash is in the log"
    );
    // Only the assessor imports; a malformed document names what is wrong.
    let r = provider
        .client
        .post(format!("{}/api/v1/assessments/{bid}/oscal/import", s.base))
        .header("x-csrf-token", &provider.csrf)
        .body(exported.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = assessor
        .client
        .post(format!("{}/api/v1/assessments/{bid}/oscal/import", s.base))
        .header("x-csrf-token", &assessor.csrf)
        .body(r#"{"assessment-results": {"metadata": {"oscal-version": "0.9"}}}"#)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("oscal-version"),
        "{v}"
    );
}
