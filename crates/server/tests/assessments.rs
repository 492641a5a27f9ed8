//! The assessment workspace as its users meet it: a result said to be met needs evidence
//! or a waiver (API and console, the bulk choice included), a pass needs every control,
//! the page groups the controls by family with their progress and statements in the
//! reader's language and names the offering and the parties, the invitation takes the
//! level the offering claims, and the evidence requests go round (ask → answer → retest),
//! within the tenants that take part. On SQLite and, when configured, PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common::{self, Db, TestServer, User, databases};
use cloudward_domain::{Lang, ProtectionLevel};
use serde_json::{Value, json};

fn catalog() -> cloudward_domain::catalog::Catalog {
    cloudward_content::embedded_content().unwrap().catalog
}

/// The ids of the controls in scope at the general level.
fn general_controls() -> Vec<String> {
    catalog()
        .applicable(ProtectionLevel::General)
        .map(|c| c.id.clone())
        .collect()
}

/// Text as the page writes it.
fn escaped(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn assessment(u: &User, aid: &str) -> Value {
    let r = u.get(&format!("/api/v1/assessments/{aid}"));
    assert_eq!(r.status(), 200);
    r.json().unwrap()
}

fn put_results(u: &User, aid: &str, results: Value) -> reqwest::blocking::Response {
    let version = assessment(u, aid)["version"].clone();
    u.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": version, "results": results }),
    )
}

fn attach(u: &User, aid: &str, control: &str, text: &str) -> Value {
    let r = u.post_bytes(
        &format!("/api/v1/assessments/{aid}/evidence?control={control}&name=review.txt"),
        text.as_bytes().to_vec(),
    );
    assert_eq!(r.status(), 201);
    r.json().unwrap()
}

fn pass_needs_evidence_or_waiver(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    // Satisfied and partially satisfied with nothing behind them: refused, nothing saved.
    for result in ["satisfied", "partially_satisfied"] {
        let r = put_results(
            &assessor,
            &aid,
            json!({ "AC-01": { "result": result, "notes": "looked fine" },
                    "AC-07": { "result": "not_satisfied" } }),
        );
        assert_eq!(r.status(), 422, "{result}");
        let err: Value = r.json().unwrap();
        assert_eq!(err["error"]["details"], json!(["AC-01"]), "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("AC-01"));
    }
    assert_eq!(assessment(&assessor, &aid)["results"], json!({}));
    // An empty reason is no waiver.
    let r = put_results(
        &assessor,
        &aid,
        json!({ "AC-01": { "result": "satisfied", "waiver": "  " } }),
    );
    assert_eq!(r.status(), 422);
    // A waiver with its reason: recorded with who gave it; not satisfied needs nothing.
    let r = put_results(
        &assessor,
        &aid,
        json!({ "AC-01": { "result": "satisfied", "waiver": "seen on site, no copy allowed" },
                "AC-07": { "result": "not_satisfied" } }),
    );
    assert_eq!(r.status(), 200);
    let a: Value = r.json().unwrap();
    let waiver = &a["results"]["AC-01"]["waiver"];
    assert_eq!(waiver["reason"], "seen on site, no copy allowed");
    let me: Value = assessor.get("/api/v1/auth/me").json().unwrap();
    assert_eq!(waiver["by"], me["user_id"], "{me}");
    // Withdrawing the waiver of a satisfied control without evidence is refused.
    let r = put_results(
        &assessor,
        &aid,
        json!({ "AC-01": { "result": "satisfied", "waiver": "" } }),
    );
    assert_eq!(r.status(), 422);
    // A file attached before the result is what lets it stand.
    let file = attach(&assessor, &aid, "AC-07", "lockout after five attempts");
    let r = put_results(
        &assessor,
        &aid,
        json!({ "AC-07": { "result": "satisfied" } }),
    );
    assert_eq!(r.status(), 200);
    let a: Value = r.json().unwrap();
    assert_eq!(a["results"]["AC-07"]["evidence"], json!([file["id"]]));
    // Each change is in the audit trail, by the assessor.
    let audit = s.block_on(s.store.audit_entries(0, 10_000)).unwrap();
    let changes = audit
        .iter()
        .filter(|e| e.object_id == aid && e.actor == me["user_id"].as_str().unwrap())
        .count();
    assert_eq!(
        changes, 3,
        "two saves and the file listed with a result; no refusal"
    );
    // A pass while controls in scope have no result: refused, naming them.
    let r = assessor.post(
        &format!("/api/v1/assessments/{aid}/conclusion"),
        &json!({ "version": a["version"], "outcome": "pass" }),
    );
    assert_eq!(r.status(), 422);
    let err: Value = r.json().unwrap();
    let missing = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "not_assessed")
        .expect("not_assessed");
    assert_eq!(
        missing["controls"].as_array().unwrap().len(),
        general_controls().len() - 2
    );
}

#[test]
fn a_result_said_to_be_met_needs_evidence_or_a_waiver() {
    for db in databases() {
        pass_needs_evidence_or_waiver(&db);
    }
}

fn grouped_page(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    assert_eq!(
        put_results(
            &assessor,
            &aid,
            json!({ "AC-07": { "result": "not_satisfied", "notes": "weak" } })
        )
        .status(),
        200
    );
    let catalog = catalog();
    let ac = catalog.family("AC").unwrap();
    let in_ac = catalog
        .applicable(ProtectionLevel::General)
        .filter(|c| c.family == "AC")
        .count();
    let ac01 = catalog.control("AC-01").unwrap();
    for (lang, l) in [("zh", Lang::Zh), ("en", Lang::En)] {
        for u in [&assessor, &provider] {
            let html = u
                .get(&format!("/assessments/{aid}?lang={lang}"))
                .text()
                .unwrap();
            // The offering and the parties by name, never a bare id.
            assert!(
                html.contains("<dd id=\"offering-name\">Gov IaaS</dd>"),
                "{html}"
            );
            assert!(html.contains("<dd id=\"provider-name\">Provider A</dd>"));
            assert!(html.contains("<dd id=\"assessor-name\">Assessor</dd>"));
            // One collapsible section per family, in the reader's language, with its
            // progress; each control's title and statement beside its result.
            let families = catalog
                .families
                .iter()
                .filter(|f| {
                    catalog
                        .applicable(ProtectionLevel::General)
                        .any(|c| c.family == f.id)
                })
                .count();
            assert_eq!(html.matches("<details class=\"family\"").count(), families);
            assert!(
                html.contains(&format!("<h2>{}</h2>", ac.name.get(l))),
                "{lang}"
            );
            let progress = match l {
                Lang::Zh => format!("已记录 1/{in_ac} 项，不满足 1 项"),
                Lang::En => format!("1 of {in_ac} recorded, 1 not satisfied"),
            };
            assert!(
                html.contains(&format!(
                    "<span class=\"progress\" id=\"progress-AC\">{progress}</span>"
                )),
                "{lang}: {progress}"
            );
            assert!(html.contains(&format!("<progress value=\"1\" max=\"{in_ac}\"")));
            assert!(
                html.contains(&escaped(ac01.statement.get(l))),
                "{lang}: statement"
            );
            assert!(html.contains("<a href=\"/catalog/AC-01\">AC-01</a>"));
        }
    }
    // The assessor edits; the provider reads.
    let html = assessor.get(&format!("/assessments/{aid}")).text().unwrap();
    assert!(html.contains("name=\"waiver.AC-01\""));
    let html = provider.get(&format!("/assessments/{aid}")).text().unwrap();
    assert!(!html.contains("name=\"result.AC-01\""));
    // Another tenant's provider does not see it at all.
    let other = s.login("pb-admin");
    assert_eq!(other.get(&format!("/assessments/{aid}")).status(), 404);
}

#[test]
fn the_workspace_groups_controls_by_family_with_progress_and_statements() {
    for db in databases() {
        grouped_page(&db);
    }
}

fn refused_form_kept(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let version = assessment(&assessor, &aid)["version"].to_string();
    let r = assessor.post_form(
        &format!("/assessments/{aid}/results?lang=en"),
        &[
            ("version", &version),
            ("result.AC-01", "satisfied"),
            ("notes.AC-01", "accounts sampled"),
            ("waiver.AC-01", ""),
            ("result.AC-07", "not_satisfied"),
            ("notes.AC-07", "five attempts, no lockout"),
            ("result.AC-02", ""),
        ],
    );
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    let title = catalog()
        .control("AC-01")
        .unwrap()
        .title
        .get(Lang::En)
        .to_owned();
    // Beside the refused row, named by its title; the form as it was sent.
    assert!(
        html.contains(&format!(
            "<span class=\"field-error\" id=\"error-AC-01\">“{title}” is recorded as met"
        )),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"error-AC-01\""));
    assert!(html.contains("value=\"accounts sampled\""));
    assert!(html.contains("value=\"five attempts, no lockout\""));
    assert!(html.contains("<option value=\"not_satisfied\" selected>"));
    assert!(html.contains("Not saved: 1 rows need evidence"));
    assert!(!html.contains("AC-01.result"), "no field paths");
    // Nothing was saved.
    assert_eq!(assessment(&assessor, &aid)["results"], json!({}));
}

#[test]
fn a_refused_results_form_comes_back_as_sent_with_the_row_named() {
    for db in databases() {
        refused_form_kept(&db);
    }
}

fn bulk_where_allowed(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    attach(&assessor, &aid, "AC-01", "account list reviewed");
    let controls = general_controls();
    let keys: Vec<String> = controls.iter().map(|c| format!("result.{c}")).collect();
    let send = |extra: &[(&str, &str)]| {
        let version = assessment(&assessor, &aid)["version"].to_string();
        let mut pairs: Vec<(&str, &str)> = vec![("version", &version), ("all", "satisfied")];
        pairs.extend(keys.iter().map(|k| (k.as_str(), "")));
        pairs.extend_from_slice(extra);
        let r = assessor.post_form(&format!("/assessments/{aid}/results?lang=en"), &pairs);
        assert_eq!(r.status(), 200);
        r.text().unwrap()
    };
    // Only the control with a file is filled; the others are counted as skipped.
    let html = send(&[]);
    assert!(
        html.contains(&format!("Saved; {} rows left unset", controls.len() - 1)),
        "{html}"
    );
    let a = assessment(&assessor, &aid);
    assert_eq!(a["results"].as_object().unwrap().len(), 1);
    assert_eq!(a["results"]["AC-01"]["result"], "satisfied");
    // With a waiver's reason for the rows without evidence, all of them.
    let html = send(&[("all_waiver", "sampled on site")]);
    assert!(!html.contains("rows left unset"));
    let a = assessment(&assessor, &aid);
    assert_eq!(a["results"].as_object().unwrap().len(), controls.len());
    assert_eq!(a["results"]["AC-07"]["waiver"]["reason"], "sampled on site");
    assert!(a["results"]["AC-01"].get("waiver").is_none());
    // Now the pass holds.
    let r = assessor.post(
        &format!("/api/v1/assessments/{aid}/conclusion"),
        &json!({ "version": a["version"], "outcome": "pass" }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

#[test]
fn the_bulk_choice_fills_only_the_rows_it_may() {
    for db in databases() {
        bulk_where_allowed(&db);
    }
}

fn invitation_level(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let o: Value = provider
        .post(
            "/api/v1/offerings",
            &json!({ "published": true, "offering": {
                "name": "Gov PaaS", "service_category": "paas", "deployment_model": "community",
                "claimed_level": "enhanced" } }),
        )
        .json()
        .unwrap();
    let oid = o["id"].as_str().unwrap();
    // The console's invitation selects the claimed level.
    let html = provider.get("/offerings?lang=en").text().unwrap();
    let select = html
        .split(&format!("<select id=\"level-{oid}\""))
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap()
        .to_owned();
    assert!(
        select.contains("<option value=\"enhanced\" selected>"),
        "{select}"
    );
    assert_eq!(select.matches(" selected").count(), 1);
    // The API's too, when no level is given.
    let r = provider.post(
        &format!("/api/v1/offerings/{oid}/assessments"),
        &json!({ "assessor_org_id": s.orgs["AS"] }),
    );
    assert_eq!(r.status(), 201);
    let a: Value = r.json().unwrap();
    assert_eq!(a["level"], "enhanced");
    assert_eq!(a["offering_name"], "Gov PaaS");
    assert_eq!(a["provider_name"], "Provider A");
    assert_eq!(a["assessor_name"], "Assessor");
    let list: Value = s
        .login("as-admin")
        .get("/api/v1/assessments")
        .json()
        .unwrap();
    assert_eq!(list[0]["offering_name"], "Gov PaaS");
    assert_eq!(list[0]["provider_name"], "Provider A");
}

#[test]
fn the_invitation_takes_the_level_the_offering_claims() {
    for db in databases() {
        invitation_level(&db);
    }
}

fn tasks_of(u: &User, kind: &str) -> Vec<Value> {
    let t: Value = u.get("/api/v1/tasks").json().unwrap();
    t.as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == kind)
        .cloned()
        .collect()
}

fn request_loop(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let r = assessor.post(
        &format!("/api/v1/assessments/{aid}/requests"),
        &json!({ "control": "AC-07", "text": "the lockout settings", "due": "2026-01-15" }),
    );
    assert_eq!(r.status(), 201);
    let q: Value = r.json().unwrap();
    let rid = q["id"].as_str().unwrap().to_owned();
    assert_eq!(q["state"], "open");
    // The provider is asked to answer; the assessor has nothing to retest yet.
    let t = tasks_of(&provider, "answer_requests");
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["count"], 1);
    assert_eq!(t[0]["about"], "Gov IaaS");
    assert!(tasks_of(&assessor, "retest_answers").is_empty());
    let post = |u: &User, step: &str, body: Value| {
        u.post(&format!("/api/v1/evidence-requests/{rid}/{step}"), &body)
    };
    // An empty answer, a retest before any answer: refused.
    assert_eq!(
        post(&provider, "answer", json!({ "version": q["version"] })).status(),
        400
    );
    assert_eq!(
        post(
            &assessor,
            "close",
            json!({ "version": q["version"], "result": "satisfied" })
        )
        .status(),
        409
    );
    // The provider gives a file and says it has rectified.
    let r = provider.post_bytes(
        &format!("/api/v1/evidence-requests/{rid}/evidence?name=lockout.txt"),
        b"lockout after five attempts for 15 minutes".to_vec(),
    );
    assert_eq!(r.status(), 201);
    let q: Value = r.json().unwrap();
    let file = q["files"][0].as_str().unwrap().to_owned();
    let q: Value = post(
        &provider,
        "answer",
        json!({ "version": q["version"], "text": "lockout set to five", "rectified": true }),
    )
    .json()
    .unwrap();
    assert_eq!(q["state"], "answered");
    assert_eq!(q["rectified"], true);
    assert_eq!(tasks_of(&assessor, "retest_answers")[0]["count"], 1);
    assert!(tasks_of(&provider, "answer_requests").is_empty());
    // Sent back with a note (a note is needed), answered again through the console.
    assert_eq!(
        post(
            &assessor,
            "reopen",
            json!({ "version": q["version"], "note": " " })
        )
        .status(),
        400
    );
    let q: Value = post(
        &assessor,
        "reopen",
        json!({ "version": q["version"], "note": "the duration is missing" }),
    )
    .json()
    .unwrap();
    assert_eq!(q["state"], "open");
    let r = provider.post_file(
        &format!("/evidence-requests/{rid}/answer"),
        &[
            ("version", &q["version"].to_string()),
            ("text", "15 minutes, see the file"),
        ],
        "duration.txt",
        b"lockout lasts 15 minutes",
    );
    assert_eq!(r.status(), 200);
    assert!(r.url().path().ends_with(&format!("/assessments/{aid}")));
    let list: Value = provider
        .get(&format!("/api/v1/assessments/{aid}/requests"))
        .json()
        .unwrap();
    let q = &list[0];
    assert_eq!(q["state"], "answered");
    assert_eq!(q["files"].as_array().unwrap().len(), 2);
    // The retest closes it with the new result, the provider's files as its evidence.
    let r = post(
        &assessor,
        "close",
        json!({ "version": q["version"], "result": "satisfied", "notes": "retested" }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let q: Value = r.json().unwrap();
    assert_eq!(q["state"], "closed");
    let history: Vec<&str> = q["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["asked", "answered", "reopened", "answered", "closed"]
    );
    let a = assessment(&assessor, &aid);
    assert_eq!(a["results"]["AC-07"]["result"], "satisfied");
    assert!(
        a["results"]["AC-07"]["evidence"]
            .as_array()
            .unwrap()
            .contains(&json!(file))
    );
    assert!(tasks_of(&assessor, "retest_answers").is_empty());
    // Every change audited: asked, file, answered, reopened, answered (file and words),
    // closed.
    let audit = s.block_on(s.store.audit_entries(0, 10_000)).unwrap();
    assert_eq!(audit.iter().filter(|e| e.object_id == rid).count(), 7);
    // Beside the control and listed on the page, in words, in each language.
    let html = provider
        .get(&format!("/assessments/{aid}?lang=zh"))
        .text()
        .unwrap();
    assert!(
        html.contains(&format!(
            "<a href=\"#request-{rid}\" class=\"request-link\">证据请求 · 已关闭</a>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"request-{rid}\"")));
    let html = assessor
        .get(&format!("/assessments/{aid}?lang=en"))
        .text()
        .unwrap();
    assert!(html.contains("Evidence request · closed"));
    assert!(html.contains("sent back: the duration is missing"));
    // Other tenants see none of it.
    let other = s.login("pb-admin");
    assert_eq!(
        other
            .get(&format!("/api/v1/assessments/{aid}/requests"))
            .status(),
        404
    );
    assert_eq!(
        other
            .post(
                &format!("/api/v1/evidence-requests/{rid}/answer"),
                &json!({ "version": 1, "text": "x" })
            )
            .status(),
        404
    );
    let customer = s.login("a-admin");
    assert_eq!(
        customer
            .get(&format!("/api/v1/assessments/{aid}/requests"))
            .status(),
        404
    );
}

#[test]
fn an_evidence_request_goes_from_ask_to_answer_to_retest() {
    for db in databases() {
        request_loop(&db);
    }
}

/// The workspace filtered: the rows without a result, those not met, those met without
/// support, or one family; the other rows are hidden, not left out of the form.
#[test]
fn the_workspace_filters_hide_rows_but_keep_them_in_the_form() {
    let s = TestServer::start(&Db::Sqlite, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    assert_eq!(
        put_results(
            &assessor,
            &aid,
            json!({ "AC-07": { "result": "not_satisfied", "notes": "weak" } })
        )
        .status(),
        200
    );
    let hidden = |html: &str, id: &str| {
        let at = html.find(&format!("<tr id=\"row-{id}\"")).expect(id);
        html[at..at + 80]
            .split('>')
            .next()
            .unwrap()
            .contains(" hidden")
    };
    let page = |q: &str| {
        assessor
            .get(&format!("/assessments/{aid}?{q}"))
            .text()
            .unwrap()
    };
    let not_met = page("show=not_met");
    assert!(!hidden(&not_met, "AC-07"));
    assert!(
        hidden(&not_met, "AC-01"),
        "a control without a result is hidden"
    );
    assert!(
        not_met.contains("name=\"result.AC-01\""),
        "but still in the form"
    );
    assert!(not_met.contains("<option value=\"not_met\" selected>"));
    let unset = page("show=unset");
    assert!(hidden(&unset, "AC-07") && !hidden(&unset, "AC-01"));
    let other = catalog()
        .applicable(ProtectionLevel::General)
        .find(|c| c.family != "AC")
        .unwrap()
        .clone();
    let ac_only = page("family=AC");
    assert!(!hidden(&ac_only, "AC-01") && hidden(&ac_only, &other.id));
    assert!(ac_only.contains(&format!("id=\"family-{}\"", other.family)));
    let all = page("");
    assert!(!hidden(&all, "AC-01") && !hidden(&all, &other.id));
}

/// The offering, invitation and evidence-request forms, refused: each comes back with what
/// was typed and the reason beside its field, in the user's language, and nothing is
/// written.
fn refused_forms(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let offering = |name: &str, model: &str| {
        provider.post_form(
            "/offerings?lang=zh",
            &[
                ("name", name),
                ("service_category", "paas"),
                ("deployment_model", model),
                ("regions", "cn-beijing, cn-shanghai"),
                ("claimed_level", "enhanced"),
            ],
        )
    };
    // A name of spaces: beside the name, the rest as typed (publish left unticked).
    let r = offering("   ", "community");
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains("<span class=\"field-error\" id=\"o-name-error\">名称为空或过长</span>"),
        "{html}"
    );
    assert!(html.contains("value=\"cn-beijing, cn-shanghai\""));
    assert!(html.contains("<option value=\"paas\" selected>"));
    assert!(html.contains("<option value=\"community\" selected>"));
    assert!(html.contains("<option value=\"enhanced\" selected>"));
    assert!(
        !html.contains("id=\"o-pub\" name=\"published\" type=\"checkbox\" value=\"1\" checked")
    );
    assert!(html.contains("id=\"offering-problem\""));
    // A choice not on the list: beside that list.
    let html = offering("Gov PaaS", "orbital").text().unwrap();
    assert!(
        html.contains("<span class=\"field-error\" id=\"o-model-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"Gov PaaS\""));
    let list: Value = provider.get("/api/v1/offerings").json().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing written");

    // An invitation to an organisation that is not an assessor: beside the assessor, in
    // words, the level as chosen.
    let (oid, aid) = common::offering_under_assessment(&s, &provider);
    let r = provider.post_form(
        &format!("/offerings/{oid}/invite?lang=zh"),
        &[("assessor_org_id", &s.orgs["A"]), ("level", "advanced")],
    );
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains(&format!(
            "<span class=\"field-error\" id=\"assessor-{oid}-error\">评估机构须为已登记的第三方评估机构</span>"
        )),
        "{html}"
    );
    let level = html
        .split(&format!("<select id=\"level-{oid}\""))
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap()
        .to_owned();
    assert!(
        level.contains("<option value=\"advanced\" selected>"),
        "{level}"
    );

    // The assessor's request with a date that is no date, then with no words.
    let ask = |text: &str, due: &str| {
        assessor.post_form(
            &format!("/assessments/{aid}/requests?lang=en"),
            &[("control", "AC-07"), ("text", text), ("due", due)],
        )
    };
    let r = ask("the lockout settings", "2026-13-40");
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains("<span class=\"field-error\" id=\"rq-due-error\">write a date as YYYY-MM-DD"),
        "{html}"
    );
    assert!(html.contains(">the lockout settings</textarea>"));
    assert!(html.contains("<option value=\"AC-07\" selected>"));
    let html = ask("  ", "").text().unwrap();
    assert!(
        html.contains("<span class=\"field-error\" id=\"rq-text-error\">"),
        "{html}"
    );
    let rid = {
        let r = ask("the lockout settings", "2026-01-15");
        assert_eq!(r.status(), 200);
        let list: Value = assessor
            .get(&format!("/api/v1/assessments/{aid}/requests"))
            .json()
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "one request, not three");
        list[0]["id"].as_str().unwrap().to_owned()
    };
    let version = |u: &User| -> String {
        let list: Value = u
            .get(&format!("/api/v1/assessments/{aid}/requests"))
            .json()
            .unwrap();
        list[0]["version"].to_string()
    };

    // The provider's answer without words or a file: beside the answer. With a file of a
    // kind not taken: beside the file, the words and "rectified" kept.
    let answer = |text: &str, rectified: bool, file: &str, bytes: &[u8]| {
        let version = version(&provider);
        let mut fields = vec![
            ("version", version.as_str()),
            ("assessment", aid.as_str()),
            ("text", text),
        ];
        if rectified {
            fields.push(("rectified", "1"));
        }
        provider.post_file(
            &format!("/evidence-requests/{rid}/answer?lang=zh"),
            &fields,
            file,
            bytes,
        )
    };
    let r = answer(" ", false, "", b"");
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(
        html.contains(&format!(
            "<span class=\"field-error\" id=\"answer-{rid}-error\">必填内容不能为空"
        )),
        "{html}"
    );
    let r = answer(
        "see the file",
        true,
        "dump.bin",
        b"\x00\x01\x02\xff\xfe\x00",
    );
    assert_eq!(r.status(), 415);
    let html = r.text().unwrap();
    assert!(
        html.contains(&format!(
            "<span class=\"field-error\" id=\"answer-file-{rid}-error\">"
        )),
        "{html}"
    );
    assert!(html.contains(">see the file</textarea>"));
    assert!(html.contains(&format!(
        "id=\"rectified-{rid}\" name=\"rectified\" type=\"checkbox\" value=\"1\" checked"
    )));
    let r = provider.post(
        &format!("/api/v1/evidence-requests/{rid}/answer"),
        &json!({ "version": version(&provider).parse::<i64>().unwrap(), "text": "set to five" }),
    );
    assert_eq!(r.status(), 200);

    // Closed as met with no file and no waiver: beside the result, the notes kept; with a
    // waiver it closes.
    let close = |waiver: &str| {
        assessor.post_form(
            &format!("/evidence-requests/{rid}/retest?lang=en"),
            &[
                ("version", &version(&assessor)),
                ("assessment", &aid),
                ("step", "close"),
                ("result", "satisfied"),
                ("notes", "seen in the console"),
                ("waiver", waiver),
            ],
        )
    };
    let r = close("");
    assert_eq!(r.status(), 422);
    let html = r.text().unwrap();
    let title = catalog()
        .control("AC-07")
        .unwrap()
        .title
        .get(Lang::En)
        .to_owned();
    assert!(
        html.contains(&format!(
            "<span class=\"field-error\" id=\"retest-{rid}-error\">“{}” is recorded as met",
            escaped(&title)
        )),
        "{html}"
    );
    assert!(html.contains("value=\"seen in the console\""));
    assert!(!html.contains("(`waiver`)"), "no API field names");
    let r = close("shown on screen by the provider");
    assert_eq!(r.status(), 200);
    let a = assessment(&assessor, &aid);
    assert_eq!(a["results"]["AC-07"]["result"], "satisfied");
    assert_eq!(
        a["results"]["AC-07"]["waiver"]["reason"],
        "shown on screen by the provider"
    );
}

#[test]
fn refused_offering_invitation_and_request_forms_come_back_as_typed() {
    for db in databases() {
        refused_forms(&db);
    }
}
