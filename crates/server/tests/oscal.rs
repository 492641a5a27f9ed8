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
