//! Rules that live once, in `domain`, give the same answer wherever they are asked: the
//! check, the alerts and the dashboard agree on when an expired assessment matters, and the
//! console refuses a form value it does not know instead of reading it as a weaker one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use crate::common::{TestServer, User, databases, form};
use serde_json::{Value, json};

fn ok(r: reqwest::blocking::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A published IaaS offering of `provider` whose assessment passed for 2025 only (expired
/// by now).
fn expired_offering(s: &TestServer, provider: &User, assessor: &User) -> String {
    let o = ok(
        provider.post(
            "/api/v1/offerings",
            &json!({ "published": true, "offering": {
                "name": "Old IaaS", "service_category": "iaas", "deployment_model": "community",
                "regions": ["cn-north-4"], "cloud": "huaweicloud", "claimed_level": "advanced" } }),
        ),
        201,
    );
    let oid = o["id"].as_str().unwrap().to_owned();
    let a = ok(
        provider.post(
            &format!("/api/v1/offerings/{oid}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "advanced" }),
        ),
        201,
    );
    let aid = a["id"].as_str().unwrap();
    let results = common::all_satisfied();
    let a = ok(
        assessor.put(
            &format!("/api/v1/assessments/{aid}/results"),
            &json!({ "version": a["version"], "results": results }),
        ),
        200,
    );
    let a = ok(
        assessor.post(
            &format!("/api/v1/assessments/{aid}/conclusion"),
            &json!({ "version": a["version"], "outcome": "pass",
                "date": "2025-01-01", "valid_until": "2025-12-31" }),
        ),
        200,
    );
    ok(
        provider.post(
            &format!("/api/v1/assessments/{aid}/publish"),
            &json!({ "version": a["version"] }),
        ),
        200,
    );
    oid
}

/// In every phase, the check (a blocker), the alerts (a blocker) and the dashboard (the
/// expiring list) say the same thing about an assessment that has run out: it matters while
/// the service is chosen and used, and not before or after.
#[test]
fn check_alerts_and_dashboard_agree_on_an_expired_assessment() {
    for db in databases() {
        let s = TestServer::start(&db, |_| {});
        let customer = s.login("a-admin");
        let (provider, assessor) = (s.login("pa-admin"), s.login("as-admin"));
        let offering = expired_offering(&s, &provider, &assessor);
        let id = &s.engagements["EA"];
        ok(
            customer.post(
                &format!("/api/v1/engagements/{id}/offering"),
                &json!({ "offering_id": offering }),
            ),
            200,
        );
        let today = chrono::Utc::now().date_naive().to_string();
        for phase in ["planning", "selection", "operation", "exit", "closed"] {
            // Put the engagement in the phase (the file says which).
            let e = ok(customer.get(&format!("/api/v1/engagements/{id}")), 200);
            let mut doc = e["document"].clone();
            doc["phase"] = json!(phase);
            ok(
                customer.put(
                    &format!("/api/v1/engagements/{id}"),
                    &json!({ "version": e["version"], "document": doc }),
                ),
                200,
            );
            let relied_on = matches!(phase, "selection" | "operation");

            let report = ok(
                customer.get(&format!("/api/v1/engagements/{id}/check?date={today}")),
                200,
            );
            let check_blocks = report["blockers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "assessment-expired");

            let alerts = ok(
                customer.get(&format!("/api/v1/engagements/{id}/alerts?date={today}")),
                200,
            );
            let alert_blocks =
                alerts.as_array().unwrap().iter().any(|a| {
                    a["code"] == "assessment-expired-in-use" && a["severity"] == "blocker"
                });

            let dashboard = customer
                .client
                .get(format!("{}/dashboard", s.base))
                .send()
                .unwrap()
                .text()
                .unwrap();
            let expiring_section = dashboard
                .split("id=\"expiring\"")
                .nth(1)
                .unwrap_or_default();
            let dashboard_lists = expiring_section
                .split("</section>")
                .next()
                .unwrap_or_default()
                .contains(&format!("/engagements/{id}"));

            assert_eq!(
                (check_blocks, alert_blocks, dashboard_lists),
                (relied_on, relied_on, relied_on),
                "{phase}: check, alerts and dashboard disagree ({report})"
            );
        }
    }
}

/// A form value the console does not know is refused and the form shown again with the
/// error, never read as the weakest choice.
#[test]
fn the_wizard_refuses_a_value_it_does_not_know() {
    let db = databases().remove(0);
    let s = TestServer::start(&db, |_| {});
    let u = s.login("a-admin");
    let post = |pairs: &[(&str, &str)]| {
        u.client
            .post(format!("{}/engagements/wizard", s.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", "en")
            .body(form(pairs))
            .send()
            .unwrap()
    };
    let base = [
        ("csrf_token", u.csrf.as_str()),
        ("name", "Benefits portal"),
        ("customer", "Civil affairs bureau"),
        ("information", "sensitive"),
        ("service_category", "iaas"),
        ("deployment_model", "community"),
        ("action", "create"),
    ];
    for (field, bad, label) in [
        ("business", "criticall", "Business type"),
        ("information", "secret", "Information types"),
    ] {
        let mut pairs = base.to_vec();
        pairs.push((field, bad));
        if field != "business" {
            pairs.push(("business", "critical"));
        }
        let r = post(&pairs);
        assert_eq!(r.status(), 422, "{field}={bad}");
        let html = r.text().unwrap();
        assert!(html.contains("id=\"wizard-error\""), "{html}");
        assert!(html.contains(label), "the error names the field: {html}");
        // What the official typed is still there.
        assert!(html.contains("Benefits portal") && html.contains("Civil affairs bureau"));
    }
    // Nothing was created.
    let page: Value = u.get("/api/v1/engagements").json().unwrap();
    assert_eq!(page["total"], 1);
    // The known values still create the engagement.
    let mut pairs = base.to_vec();
    pairs.push(("business", "critical"));
    let r = post(&pairs);
    // The redirect is followed to the requirement analysis of the new engagement.
    assert!(r.url().path().ends_with("/requirements"), "{}", r.url());
    let page: Value = u.get("/api/v1/engagements").json().unwrap();
    assert_eq!(page["total"], 2);
}
