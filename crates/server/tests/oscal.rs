//! The OSCAL endpoints: the same documents as `cloudward oscal export`, and an engagement's
//! plan only for those who may see the engagement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use crate::common::{TestServer, databases};
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
                "AC-07": { "result": "satisfied", "notes": "policy seen", "waiver": "seen on site" },
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

fn example(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../oscal/tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Frameworks imported through the server: the platform's for everyone, an organisation's
/// for itself only; a profile resolved against an imported framework; browsing, search,
/// the mapping of our references, and deletion by the owner only.
#[test]
fn frameworks_over_http() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let root = s.login("root");
        let a_admin = s.login("a-admin");
        let a_member = s.login("a-member");
        let b_admin = s.login("b-admin");
        let catalog =
            example("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json");
        let r = root.post_bytes("/api/v1/frameworks?name=sp800-53-moderate", catalog.clone());
        assert_eq!(r.status(), 201);
        let platform: Value = r.json().unwrap();
        assert_eq!(platform["owner_org_id"], Value::Null);
        assert_eq!(platform["control_count"], 287);
        let pid = platform["id"].as_str().unwrap();
        // The same name again is a conflict, unless replacing.
        assert_eq!(
            root.post_bytes("/api/v1/frameworks?name=sp800-53-moderate", catalog.clone())
                .status(),
            409
        );
        // Members do not import; a malformed document names its JSON path.
        assert_eq!(
            a_member
                .post_bytes("/api/v1/frameworks?name=x", catalog.clone())
                .status(),
            403
        );
        let r = a_admin.post_bytes(
            "/api/v1/frameworks?name=broken",
            br#"{"catalog": {"uuid": "x", "metadata": {"title": 5}}}"#.to_vec(),
        );
        assert_eq!(r.status(), 400);
        let e: Value = r.json().unwrap();
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("$.catalog"),
            "{e}"
        );
        assert_eq!(
            a_admin
                .post_bytes("/api/v1/frameworks?name=../x", catalog.clone())
                .status(),
            400
        );
        // A profile needs the framework it selects from; resolved against it.
        let profile = example("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json");
        assert_eq!(
            a_admin
                .post_bytes("/api/v1/frameworks?name=moderate", profile.clone())
                .status(),
            400
        );
        let r = a_admin.post_bytes(
            &format!("/api/v1/frameworks?name=moderate&catalog={pid}"),
            profile,
        );
        assert_eq!(r.status(), 201);
        let own: Value = r.json().unwrap();
        assert_eq!(own["source_model"], "profile");
        assert_eq!(own["control_count"], 287);
        let oid = own["id"].as_str().unwrap();
        // A's framework is A's; the platform's is everyone's.
        let names = |u: &common::User| -> Vec<String> {
            let v: Value = u.get("/api/v1/frameworks").json().unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(&a_member), ["moderate", "sp800-53-moderate"]);
        assert_eq!(names(&b_admin), ["sp800-53-moderate"]);
        for what in ["", "/controls", "/controls/ac-2", "/mapping"] {
            assert_eq!(
                b_admin
                    .get(&format!("/api/v1/frameworks/{oid}{what}"))
                    .status(),
                404,
                "{what}"
            );
        }
        // Search in a group; one control with its enhancements and our controls naming it.
        let found: Value = a_member
            .get(&format!(
                "/api/v1/frameworks/{oid}/controls?q=account%20management&group=ac"
            ))
            .json()
            .unwrap();
        let ids: Vec<&str> = found["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"ac-2"), "{ids:?}");
        assert!(ids.iter().all(|i| i.starts_with("ac-")), "{ids:?}");
        assert_eq!(
            a_member
                .get(&format!("/api/v1/frameworks/{oid}/controls?group=zz"))
                .status(),
            400
        );
        let cm2: Value = a_member
            .get(&format!("/api/v1/frameworks/{oid}/controls/CM-2"))
            .json()
            .unwrap();
        assert_eq!(cm2["control"]["id"], "cm-2");
        assert!(
            cm2["enhancements"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["id"] == "cm-2.2"),
            "{cm2}"
        );
        assert!(
            cm2["referenced_by"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["family"] == "CM"),
            "{cm2}"
        );
        let mapping: Value = a_member
            .get(&format!("/api/v1/frameworks/{pid}/mapping"))
            .json()
            .unwrap();
        assert!(
            mapping["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["reference"] == "CM-2" && r["framework_control"] == "cm-2"),
            "{mapping}"
        );
        // The stored document is an OSCAL catalog that reads back to the same controls.
        let doc: Value = a_member
            .get(&format!("/api/v1/frameworks/{oid}"))
            .json()
            .unwrap();
        assert_eq!(doc["catalog"]["metadata"]["title"], own["title"]);
        // Deleting: the owner's administrator; the platform's only by the platform.
        assert_eq!(
            a_member
                .delete(&format!("/api/v1/frameworks/{oid}"))
                .status(),
            403
        );
        assert_eq!(
            b_admin
                .delete(&format!("/api/v1/frameworks/{oid}"))
                .status(),
            404
        );
        assert_eq!(
            a_admin
                .delete(&format!("/api/v1/frameworks/{pid}"))
                .status(),
            403
        );
        assert_eq!(
            a_admin
                .delete(&format!("/api/v1/frameworks/{oid}"))
                .status(),
            204
        );
        assert_eq!(names(&a_member), ["sp800-53-moderate"]);
        let r = root.post_bytes(
            "/api/v1/frameworks?name=sp800-53-moderate&replace=true",
            catalog,
        );
        assert_eq!(r.status(), 201);
        assert_eq!(
            root.get(&format!("/api/v1/frameworks/{pid}")).status(),
            404,
            "replaced"
        );
    }
}
