//! One engagement from planning to closed, with all four parties, through the API: an
//! assessed offering ("assess first, use after"), gated transitions and their refusals,
//! supervision (scans, posture, findings, notices), evidence, and the exit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use crate::common::{TestServer, User, databases};
use serde_json::{Value, json};

fn ok(r: reqwest::blocking::Response, want: u16) -> Value {
    let status = r.status().as_u16();
    let body: Value = r.json().unwrap_or(Value::Null);
    assert_eq!(status, want, "{body}");
    body
}

fn codes(err: &Value) -> Vec<String> {
    err["error"]["details"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// An offering of provider PA, assessed by AS with the given conclusion (if any).
fn offering(
    s: &TestServer,
    provider: &User,
    assessor: &User,
    name: &str,
    conclusion: Option<(&str, &str)>,
) -> String {
    let o = ok(
        provider.post(
            "/api/v1/offerings",
            &json!({ "published": true, "offering": {
                "name": name, "service_category": "iaas", "deployment_model": "community",
                "regions": ["cn-north-4"], "cloud": "huaweicloud", "claimed_level": "advanced",
            }}),
        ),
        201,
    );
    let id = o["id"].as_str().unwrap().to_owned();
    let Some((date, valid_until)) = conclusion else {
        return id;
    };
    let a = ok(
        provider.post(
            &format!("/api/v1/offerings/{id}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "advanced" }),
        ),
        201,
    );
    let aid = a["id"].as_str().unwrap().to_owned();
    let mut results = common::all_satisfied();
    results.insert(
        "AC-07".into(),
        json!({ "result": "not_satisfied", "notes": "weak policy" }),
    );
    let a = ok(
        assessor.put(
            &format!("/api/v1/assessments/{aid}/results"),
            &json!({ "version": 1, "results": results }),
        ),
        200,
    );
    // A pass with a control not satisfied is refused.
    let r = assessor.post(
        &format!("/api/v1/assessments/{aid}/conclusion"),
        &json!({ "version": a["version"], "outcome": "pass", "date": date, "valid_until": valid_until }),
    );
    let err = ok(r, 422);
    assert!(
        err["error"]["details"][0]["controls"]
            .as_array()
            .unwrap()
            .contains(&json!("AC-07"))
    );
    // The provider answers, the assessor re-tests and concludes.
    let a = ok(
        provider.post(
            &format!("/api/v1/assessments/{aid}/responses"),
            &json!({ "version": a["version"], "control": "AC-07", "response": "policy raised to 14 characters" }),
        ),
        200,
    );
    let a = ok(
        assessor.put(
            &format!("/api/v1/assessments/{aid}/results"),
            &json!({ "version": a["version"], "results": { "AC-07": { "result": "partially_satisfied", "notes": "raised", "waiver": "the new policy seen in the console" } } }),
        ),
        200,
    );
    assert_eq!(
        a["results"]["AC-07"]["provider_response"],
        "policy raised to 14 characters"
    );
    let a = ok(
        assessor.post(
            &format!("/api/v1/assessments/{aid}/conclusion"),
            &json!({ "version": a["version"], "outcome": "pass", "date": date, "valid_until": valid_until }),
        ),
        200,
    );
    // A conclusion is final: the provider's answers stop with it.
    let r = provider.post(
        &format!("/api/v1/assessments/{aid}/responses"),
        &json!({ "version": a["version"], "control": "AC-07", "response": "changed afterwards" }),
    );
    assert_eq!(r.status(), 409);
    // Only the provider publishes.
    assert_eq!(
        assessor
            .post(
                &format!("/api/v1/assessments/{aid}/publish"),
                &json!({ "version": a["version"] })
            )
            .status(),
        403
    );
    ok(
        provider.post(
            &format!("/api/v1/assessments/{aid}/publish"),
            &json!({ "version": a["version"] }),
        ),
        200,
    );
    id
}

fn engagement_document() -> Value {
    let mut doc = common::document("Settlement system");
    doc["phase"] = json!("planning");
    doc.as_object_mut().unwrap().remove("provider");
    let outputs = doc["lifecycle"]["outputs"].as_object_mut().unwrap();
    for o in [
        "benefit-assessment",
        "classification-record",
        "protection-requirement",
        "requirement-analysis",
        "decision-report",
        "capability-requirement",
        "assessment-record",
        "contract",
        "responsibility-matrix",
        "migration-plan",
        "deployment-record",
    ] {
        outputs.insert(o.into(), json!({ "reference": format!("DOC-{o}") }));
    }
    doc
}

fn transition(u: &User, id: &str, to: &str) -> reqwest::blocking::Response {
    u.post(
        &format!("/api/v1/engagements/{id}/transition"),
        &json!({ "to": to }),
    )
}

fn use_offering(u: &User, id: &str, offering: &str) {
    ok(
        u.post(
            &format!("/api/v1/engagements/{id}/offering"),
            &json!({ "offering_id": offering }),
        ),
        200,
    );
}

fn run(db: common::Db) {
    let s = TestServer::start(&db, |_| {});
    let customer = s.login("a-member");
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let ssp = s.login("ss-admin");
    let outsider = s.login("b-admin");

    let assessed = offering(
        &s,
        &provider,
        &assessor,
        "Gov cloud IaaS",
        Some(("2026-01-10", "2029-01-10")),
    );
    let expired = offering(
        &s,
        &provider,
        &assessor,
        "Old IaaS",
        Some(("2020-01-10", "2023-01-10")),
    );
    let unassessed = offering(&s, &provider, &assessor, "New IaaS", None);
    let saas = ok(
        provider.post(
            "/api/v1/offerings",
            &json!({ "published": true, "offering": {
                "name": "Mail SaaS", "service_category": "saas", "deployment_model": "public",
                "claimed_level": "general",
            }}),
        ),
        201,
    );

    // Customers see the conclusion and summary of a published assessment, not its details.
    let offerings: Value = customer.get("/api/v1/offerings").json().unwrap();
    let o = offerings
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == assessed.as_str())
        .unwrap();
    assert_eq!(o["assessment"]["conclusion"]["outcome"], "pass");
    assert!(
        o["assessment"]["summary"]["total"]["satisfied"]
            .as_u64()
            .unwrap()
            > 200
    );
    let aid = o["assessment"]["id"].as_str().unwrap().to_owned();
    let summary_only: Value = customer
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    assert!(
        summary_only.get("results").is_none(),
        "details need a grant"
    );

    // Planning → selection.
    let e = ok(
        customer.post(
            "/api/v1/engagements",
            &json!({ "document": engagement_document(), "parties": {
                "assessor": s.orgs["AS"], "security_service_provider": s.orgs["SS"] } }),
        ),
        201,
    );
    let id = e["id"].as_str().unwrap().to_owned();
    assert_eq!(
        transition(&provider, &id, "selection").status(),
        404,
        "not the provider's engagement yet"
    );
    let err = ok(transition(&customer, &id, "operation"), 422);
    assert_eq!(
        err["error"]["code"], "invalid",
        "phases advance one at a time"
    );
    ok(transition(&customer, &id, "selection"), 200);

    // An offering of another category or deployment model does not fit the decision.
    let r = customer.post(
        &format!("/api/v1/engagements/{id}/offering"),
        &json!({ "offering_id": saas["id"] }),
    );
    assert_eq!(r.status(), 422);
    // Assess first, use after: an unassessed or expired offering blocks deployment.
    use_offering(&customer, &id, &unassessed);
    let err = ok(transition(&customer, &id, "operation"), 409);
    assert!(
        codes(&err).contains(&"assessment-missing".to_owned()),
        "{err}"
    );
    use_offering(&customer, &id, &expired);
    let err = ok(transition(&customer, &id, "operation"), 409);
    assert!(
        codes(&err).contains(&"assessment-expired".to_owned()),
        "{err}"
    );
    use_offering(&customer, &id, &assessed);
    assert_eq!(
        transition(&provider, &id, "operation").status(),
        403,
        "only the customer moves phases"
    );
    ok(transition(&customer, &id, "operation"), 200);
    let got: Value = customer
        .get(&format!("/api/v1/engagements/{id}"))
        .json()
        .unwrap();
    assert_eq!(got["phase"], "operation");
    assert_eq!(got["parties"]["provider"], s.orgs["PA"].as_str());
    assert_eq!(
        got["document"]["provider"]["assessment"]["expires"],
        "2029-01-10"
    );

    // With a grant for this engagement the customer reads the assessment's details.
    let a: Value = provider
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    ok(
        provider.post(
            &format!("/api/v1/assessments/{aid}/grants"),
            &json!({ "version": a["version"], "engagement_id": id }),
        ),
        200,
    );
    let details: Value = customer
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    assert_eq!(details["results"]["AC-07"]["result"], "partially_satisfied");
    let other: Value = outsider
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    assert!(
        other.get("results").is_none(),
        "another customer sees the summary only"
    );

    // The contract checklist and risk register are edited under the file's rules.
    let v = got["version"].as_i64().unwrap();
    let err = ok(
        customer.put(
            &format!("/api/v1/engagements/{id}/contract"),
            &json!({ "version": v, "contract": { "NO-SUCH": { "present": true } } }),
        ),
        422,
    );
    assert_eq!(err["error"]["code"], "invalid_engagement");
    let mut contract = got["document"]["contract"].clone();
    contract["change-notification"] = json!({ "present": true, "reference": "contract §3" });
    ok(
        customer.put(
            &format!("/api/v1/engagements/{id}/contract"),
            &json!({ "version": v, "contract": contract }),
        ),
        200,
    );

    // Supervision: the server scans a plan; findings are tracked across runs.
    let plan = include_str!("../../cli/tests/fixtures/scan/plan/plan.json");
    let run1 = ok(
        ssp.post(
            &format!("/api/v1/engagements/{id}/scans/run"),
            &json!({ "files": [{ "name": "plan.json", "content": plan }] }),
        ),
        201,
    );
    let opened = run1["run"]["opened"].as_u64().unwrap();
    assert!(opened > 5, "{run1}");
    assert_eq!(
        ssp.post(
            &format!("/api/v1/engagements/{id}/scans/run"),
            &json!({ "files": [{ "name": "../etc/passwd", "content": "x" }] })
        )
        .status(),
        400
    );
    // A pack the server does not have is refused with the ones it has.
    let r = ssp.post(
        &format!("/api/v1/engagements/{id}/scans/run?lang=en"),
        &json!({ "files": [{ "name": "plan.json", "content": plan }], "pack": "mlps-l9" }),
    );
    assert_eq!(r.status(), 400);
    let err: Value = r.json().unwrap();
    let message = err["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("mlps-l9") && message.contains("mlps-l3"),
        "{err}"
    );
    let findings: Value = customer
        .get(&format!("/api/v1/engagements/{id}/findings?state=open"))
        .json()
        .unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len() as u64, opened);
    // A page of them, with the total of every page.
    let r = customer.get(&format!(
        "/api/v1/engagements/{id}/findings?state=open&limit=1&offset=1"
    ));
    assert_eq!(r.headers()["x-total-count"], opened.to_string().as_str());
    let page: Value = r.json().unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], findings[1]["id"]);
    // Page by page with the cursor each full page hands on: every finding once, in order.
    let mut walked = Vec::new();
    let mut url = format!("/api/v1/engagements/{id}/findings?state=open&limit=2");
    loop {
        let r = customer.get(&url);
        assert_eq!(r.status(), 200);
        // The first page counts them all; the cursor pages after it do not count again.
        if url.contains("after=") {
            assert!(r.headers().get("x-total-count").is_none());
        } else {
            assert_eq!(r.headers()["x-total-count"], opened.to_string().as_str());
        }
        let next = r
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Value = r.json().unwrap();
        walked.extend(page.as_array().unwrap().iter().map(|f| f["id"].clone()));
        match next {
            Some(after) => {
                url = format!("/api/v1/engagements/{id}/findings?state=open&limit=2&after={after}")
            }
            None => break,
        }
    }
    let all_ids: Vec<Value> = findings.iter().map(|f| f["id"].clone()).collect();
    assert_eq!(walked, all_ids);
    for bad in [
        "after=nope&limit=2",
        &format!("after={}&offset=1", all_ids[0].as_str().unwrap()),
    ] {
        let r = customer.get(&format!("/api/v1/engagements/{id}/findings?{bad}&lang=en"));
        assert_eq!(r.status(), 400, "{bad}");
        let err: Value = r.json().unwrap();
        assert!(
            err["error"]["message"].as_str().unwrap().contains("after")
                || err["error"]["message"].as_str().unwrap().contains("cursor"),
            "{err}"
        );
    }
    assert_eq!(
        customer
            .get(&format!("/api/v1/engagements/{id}/findings?limit=0"))
            .status(),
        400
    );
    // A state that does not exist is refused, naming the states there are (not an empty list).
    let r = customer.get(&format!(
        "/api/v1/engagements/{id}/findings?state=opened&lang=en"
    ));
    assert_eq!(r.status(), 400);
    let err: Value = r.json().unwrap();
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'opened'") && message.contains("accepted"),
        "{message}"
    );
    let fixed = &findings[0];
    let accepted = &findings[1];
    ok(
        customer.post(
            &format!(
                "/api/v1/engagements/{id}/findings/{}",
                fixed["id"].as_str().unwrap()
            ),
            &json!({ "action": "fix", "version": fixed["version"] }),
        ),
        200,
    );
    ok(customer.post(
        &format!("/api/v1/engagements/{id}/findings/{}", accepted["id"].as_str().unwrap()),
        &json!({ "action": "accept", "version": accepted["version"], "reason": "compensating control", "until": "2099-01-01" }),
    ), 200);
    // A finding can be assigned; the assignee is kept with it.
    let third = &findings[2];
    let assigned = ok(
        customer.post(
            &format!(
                "/api/v1/engagements/{id}/findings/{}",
                third["id"].as_str().unwrap()
            ),
            &json!({ "action": "assign", "version": third["version"], "assignee": "ops-team" }),
        ),
        200,
    );
    assert_eq!(assigned["finding"]["assignee"], "ops-team");
    let theirs: Value = customer
        .get(&format!(
            "/api/v1/engagements/{id}/findings?assignee=ops-team"
        ))
        .json()
        .unwrap();
    assert_eq!(theirs.as_array().unwrap().len(), 1);
    assert_eq!(theirs[0]["id"], third["id"]);
    let nobody: Value = customer
        .get(&format!("/api/v1/engagements/{id}/findings?assignee=-"))
        .json()
        .unwrap();
    assert_eq!(nobody.as_array().unwrap().len() as u64, opened - 1);
    assert_eq!(assigned["finding"]["state"], "open");
    // A fixed finding that still fails reopens; the accepted one stays accepted.
    let run2 = ok(
        ssp.post(
            &format!("/api/v1/engagements/{id}/scans/run"),
            &json!({ "files": [{ "name": "plan.json", "content": plan }] }),
        ),
        201,
    );
    assert_eq!(
        (
            run2["run"]["reopened"].as_u64(),
            run2["run"]["opened"].as_u64()
        ),
        (Some(1), Some(0)),
        "{run2}"
    );
    // Fixed for real: the next scan (uploaded, as `cloudward push` does) closes it.
    let fixed_key = fixed["finding"]["key"].as_str().unwrap().to_owned();
    let (rule, address) = fixed_key.split_once('|').unwrap();
    let mut upload = cloudward_report(plan);
    upload["findings"] = Value::Array(
        upload["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !(f["rule_id"] == rule && f["resource"]["address"] == address))
            .cloned()
            .collect(),
    );
    let fixed_again = customer
        .get(&format!("/api/v1/engagements/{id}/findings"))
        .json::<Value>()
        .unwrap();
    let f = fixed_again
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == fixed["id"])
        .unwrap()
        .clone();
    ok(
        customer.post(
            &format!(
                "/api/v1/engagements/{id}/findings/{}",
                f["id"].as_str().unwrap()
            ),
            &json!({ "action": "fix", "version": f["version"] }),
        ),
        200,
    );
    let run3 = ok(
        customer.post(&format!("/api/v1/engagements/{id}/scans"), &upload),
        201,
    );
    assert_eq!(run3["run"]["closed"], 1, "{run3}");
    // A stored run keeps its whole report: as uploaded, and as OSCAL assessment results
    // with one observation per failing check (the fixed one gone).
    let run3_id = run3["id"].as_str().unwrap();
    let kept: Value = customer
        .get(&format!("/api/v1/scans/{run3_id}/report"))
        .json()
        .unwrap();
    assert_eq!(kept, upload);
    let ar: Value = customer
        .get(&format!(
            "/api/v1/scans/{run3_id}/oscal/results?timestamp=2026-11-28"
        ))
        .json()
        .unwrap();
    let result = &ar["assessment-results"]["results"][0];
    let observations = result["observations"].as_array().unwrap();
    assert_eq!(
        observations.len(),
        upload["findings"].as_array().unwrap().len()
    );
    assert!(
        observations
            .iter()
            .all(|o| o["title"] != format!("{rule} on {address}").as_str()),
        "the fixed resource is not observed failing"
    );
    assert!(result["findings"].as_array().unwrap().iter().any(|f| {
        f["target"]["target-id"] == "SC-11_smt" && f["target"]["status"]["state"] == "not-satisfied"
    }));
    for what in ["", "/report", "/oscal/results"] {
        assert_eq!(
            outsider
                .get(&format!("/api/v1/scans/{run3_id}{what}"))
                .status(),
            404,
            "{what}"
        );
    }
    let posture: Value = customer
        .get(&format!("/api/v1/engagements/{id}/posture"))
        .json()
        .unwrap();
    assert_eq!(posture["trend"].as_array().unwrap().len(), 3);
    assert_eq!(posture["controls"]["SC-11"], "failed");
    assert!(posture["by_family"]["DP"]["failed"].as_u64().unwrap() > 0);
    assert_eq!(posture["findings"]["accepted"], 1);
    assert_eq!(posture["findings"]["closed"], 1);
    assert_eq!(
        outsider
            .get(&format!("/api/v1/engagements/{id}/posture"))
            .status(),
        404
    );
    assert_eq!(
        provider
            .post(&format!("/api/v1/engagements/{id}/scans"), &upload)
            .status(),
        403
    );

    // Provider notices, acknowledged by the customer.
    let n = ok(provider.post(&format!("/api/v1/engagements/{id}/notices"), &json!({ "kind": "incident", "title": "DDoS on the region", "description": "mitigated" })), 201);
    let nid = n["id"].as_str().unwrap();
    assert_eq!(
        customer
            .post(
                &format!("/api/v1/engagements/{id}/notices"),
                &json!({ "kind": "change", "title": "x" })
            )
            .status(),
        403
    );
    let alerts: Value = customer
        .get(&format!("/api/v1/engagements/{id}/alerts?date=2099-01-01"))
        .json()
        .unwrap();
    let alert_codes: Vec<&str> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(alert_codes.contains(&"notice-overdue"), "{alerts}");
    assert!(
        alert_codes.contains(&"assessment-expired-in-use"),
        "{alerts}"
    );
    let acked = ok(
        customer.post(
            &format!("/api/v1/engagements/{id}/notices/{nid}/ack"),
            &json!({}),
        ),
        200,
    );
    assert_eq!(acked["late"], false);
    let alerts: Value = customer
        .get(&format!("/api/v1/engagements/{id}/alerts?date=2028-12-01"))
        .json()
        .unwrap();
    assert_eq!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["assessment-expiring"]
    );

    // Evidence, for the parties only.
    let r = ssp
        .client
        .post(format!("{}/api/v1/engagements/{id}/evidence?target_kind=control&target=AU-17&name=audit.txt&effective_date=2026-11-01", s.base))
        .header("x-csrf-token", &ssp.csrf)
        .body("audit log retention: 180 days")
        .send()
        .unwrap();
    let ev = ok(r, 201);
    let evid = ev["id"].as_str().unwrap();
    assert_eq!(ev["evidence"]["media_type"], "text/plain; charset=utf-8");
    assert_eq!(ev["evidence"]["effective_date"], "2026-11-01");
    let got = customer.get(&format!("/api/v1/evidence/{evid}/content"));
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().unwrap(), "audit log retention: 180 days");
    assert_eq!(
        outsider
            .get(&format!("/api/v1/evidence/{evid}/content"))
            .status(),
        404
    );
    let audit: Value = customer.get("/api/v1/audit?limit=1000").json().unwrap();
    let sha = ev["evidence"]["sha256"].as_str().unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["object_id"] == sha),
        "the file's hash is in the log"
    );

    // Exit: closing is refused until the data is back, verified, deleted and confirmed.
    ok(transition(&customer, &id, "exit"), 200);
    let err = ok(transition(&customer, &id, "closed"), 409);
    let c = codes(&err);
    assert!(
        c.contains(&"exit-no-deletion-attestation".to_owned()),
        "{c:?}"
    );
    let step = |u: &User, body: Value, want: u16| {
        ok(
            u.post(&format!("/api/v1/engagements/{id}/exit"), &body),
            want,
        )
    };
    step(
        &customer,
        json!({ "step": "plan", "plan": "EXIT-PLAN v3" }),
        200,
    );
    step(
        &customer,
        json!({ "step": "scope", "scope": [
        { "name": "settlement database", "kind": "data", "returned": true },
        { "name": "access logs", "kind": "metadata", "returned": true } ] }),
        200,
    );
    step(
        &provider,
        json!({ "step": "provider_manifest", "manifest": { "db.dump": "aa11", "logs.tar": "bb22" } }),
        200,
    );
    let x = step(
        &customer,
        json!({ "step": "customer_manifest", "manifest": { "db.dump": "aa11", "logs.tar": "ffff" } }),
        200,
    );
    assert_eq!(x["integrity"]["mismatched"], json!(["logs.tar"]));
    step(
        &customer,
        json!({ "step": "customer_manifest", "manifest": { "db.dump": "aa11", "logs.tar": "bb22" } }),
        200,
    );
    step(
        &customer,
        json!({ "step": "attestation", "attestation": {
        "statement": "x", "date": "2026-11-28", "covers": ["primary"] } }),
        403,
    );
    step(
        &provider,
        json!({ "step": "attestation", "attestation": {
        "statement": "all copies deleted", "date": "2026-11-28", "covers": ["primary", "replicas", "backups"] } }),
        200,
    );
    let err = ok(transition(&customer, &id, "closed"), 409);
    assert_eq!(
        codes(&err),
        vec!["exit-deletion-unconfirmed", "exit-deletion-not-confirmed"],
        "{err}"
    );
    let x = step(&customer, json!({ "step": "confirm" }), 200);
    assert_eq!(x["blockers"], json!([]));
    ok(transition(&customer, &id, "closed"), 200);
    let got: Value = customer
        .get(&format!("/api/v1/engagements/{id}"))
        .json()
        .unwrap();
    assert_eq!(got["phase"], "closed");

    // Every step is in a chain that verifies.
    let v: Value = s
        .login("root")
        .get("/api/v1/admin/audit/verify")
        .json()
        .unwrap();
    assert!(v["broken"].is_null(), "{v}");
}

/// The JSON report of a scan of `plan`, as `cloudward scan --format json` writes it.
fn cloudward_report(plan: &str) -> Value {
    let file = cloudward_server::supervision::ScanFile {
        name: "plan.json".into(),
        content: plan.into(),
    };
    cloudward_server::scanning::scan_trusted_files(&[file], Some("advanced")).unwrap()
}

#[test]
fn an_engagement_from_planning_to_closed() {
    for db in databases() {
        run(db);
    }
}

#[test]
fn a_server_scan_with_an_mlps_pack_reports_each_item() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plan.json"),
        include_str!("../../cli/tests/fixtures/scan/plan/plan.json"),
    )
    .unwrap();
    let report =
        cloudward_server::scanning::scan_dir(dir.path(), Some("enhanced"), Some("mlps-l2"))
            .unwrap();
    let block = &report["mlps"][0];
    assert_eq!(block["level"], 2);
    let items = block["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["status"] == "failing"), "{block}");
    assert!(items.iter().any(|i| i["status"] == "needs-evidence"));
    // Without a pack there is no such section, and an unknown pack is the input's fault.
    let plain = cloudward_server::scanning::scan_dir(dir.path(), Some("enhanced"), None).unwrap();
    assert!(plain.get("mlps").is_none());
    assert!(matches!(
        cloudward_server::scanning::scan_dir(dir.path(), None, Some("nope")),
        Err(cloudward_server::scanning::Refusal::Input(m)) if m.contains("mlps-l2")
    ));
}
