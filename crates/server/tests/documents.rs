//! Documents the server issues: made from the engagement it holds, recorded as the
//! lifecycle output with their hash, in the audit log, downloadable under a readable name
//! in the reader's language, and verifiable by hash — by those who see the engagement.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common::{self, TestServer};
use serde_json::{Value, json};
use sha2::Digest;

fn has_cjk_font() -> bool {
    let found = cloudward_report::Fonts::discover(&[]).is_ok();
    assert!(
        found || std::env::var_os("CLOUDWARD_TEST_DOCUMENTS").is_none(),
        "CLOUDWARD_TEST_DOCUMENTS is set but no CJK font is installed (Debian: fonts-noto-cjk)"
    );
    if !found {
        eprintln!("skipping the PDF: no CJK font installed (Debian: fonts-noto-cjk)");
    }
    found
}

fn issued(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    let path = format!("/api/v1/engagements/{ea}/documents");

    // A Word decision report, in Chinese.
    let r = member.post(
        &path,
        &json!({ "kind": "decision-report", "format": "docx", "lang": "zh" }),
    );
    assert_eq!(r.status(), 201);
    let doc: Value = r.json().unwrap();
    let d = &doc["document"];
    assert_eq!(d["kind"], "decision-report");
    assert_eq!(d["output"], "decision-report");
    assert_eq!(d["title"], "上云决策报告");
    let name = d["file_name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("上云决策报告-EA-") && name.ends_with(".docx"),
        "{name}"
    );
    let sha = d["sha256"].as_str().unwrap().to_owned();

    // The download is those bytes, under that name.
    let r = member.get(&format!(
        "/api/v1/documents/{}/content",
        doc["id"].as_str().unwrap()
    ));
    assert_eq!(r.status(), 200);
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.contains("filename*=UTF-8''%E4%B8%8A%E4%BA%91"), "{cd}");
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let bytes = r.bytes().unwrap().to_vec();
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);
    assert!(bytes.starts_with(b"PK"), "a DOCX is a zip");

    // It is the engagement's output now, held by the server.
    let e: Value = member
        .get(&format!("/api/v1/engagements/{ea}"))
        .json()
        .unwrap();
    let reference = e["document"]["lifecycle"]["outputs"]["decision-report"]["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reference.starts_with("cloudward:evidence/"), "{e}");
    // And the audit log has the document and its file.
    let audit: Value = member
        .get("/api/v1/audit?object_type=document&limit=100")
        .json()
        .unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["object_id"].as_str().unwrap_or("").contains(&sha)),
        "{audit}"
    );

    // Verified by hash: the issuer and every party of the engagement see what it is; the
    // other customer does not; a changed file is not a document.
    let v: Value = member
        .get(&format!("/api/v1/documents/verify/{sha}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], true);
    assert_eq!(v["document"]["document"]["engagement_name"], "EA");
    let provider = s.login("pa-admin");
    let v: Value = provider
        .get(&format!("/api/v1/documents/verify/{sha}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], true, "the provider of EA sees it");
    let other = s.login("b-member");
    let v: Value = other
        .get(&format!("/api/v1/documents/verify/{sha}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], false, "another customer learns nothing");
    assert!(v["document"].is_null());
    let mut changed = bytes.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let changed_sha = hex::encode(sha2::Sha256::digest(&changed));
    let v: Value = member
        .get(&format!("/api/v1/documents/verify/{changed_sha}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], false);
    assert_eq!(
        member.get("/api/v1/documents/verify/not-a-hash").status(),
        422
    );
    // The other customer cannot download it either.
    assert_eq!(
        other
            .get(&format!(
                "/api/v1/documents/{}/content",
                doc["id"].as_str().unwrap()
            ))
            .status(),
        404
    );

    // Refusals say what is wrong, in words.
    let r = member.post(&path, &json!({ "kind": "decision-reprot" }));
    assert_eq!(r.status(), 422);
    let err: Value = r.json().unwrap();
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("decision-reprot") && msg.contains("contract-annex"),
        "{msg}"
    );
    let r = member.post(
        &path,
        &json!({ "kind": "closure-record", "format": "docx" }),
    );
    assert_eq!(r.status(), 422, "no exit record yet");
    let r = member.post(&path, &json!({ "kind": "exit-plan", "format": "odt" }));
    assert_eq!(r.status(), 422);
    // Only the customer's members issue; a viewer or the provider may not.
    assert_eq!(
        s.login("a-viewer")
            .post(&path, &json!({ "kind": "exit-plan", "format": "docx" }))
            .status(),
        403
    );
    assert_eq!(
        provider
            .post(&path, &json!({ "kind": "exit-plan", "format": "docx" }))
            .status(),
        403
    );

    // A PDF in English, with the fonts embedded.
    if has_cjk_font() {
        let r = member.post(
            &path,
            &json!({ "kind": "contract-annex", "format": "pdf", "lang": "en", "date": "2026-12-07" }),
        );
        assert_eq!(r.status(), 201);
        let doc: Value = r.json().unwrap();
        assert_eq!(doc["document"]["media_type"], "application/pdf");
        assert_eq!(doc["document"]["date"], "2026-12-07");
        let name = doc["document"]["file_name"].as_str().unwrap();
        assert_eq!(
            name,
            "Contract annex_ security responsibility matrix-EA-2026-12-07.pdf"
        );
        let bytes = member
            .get(&format!(
                "/api/v1/documents/{}/content",
                doc["id"].as_str().unwrap()
            ))
            .bytes()
            .unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
    }
    let list: Value = member.get(&path).json().unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        if has_cjk_font() { 2 } else { 1 }
    );
}

#[test]
fn documents_are_issued_recorded_audited_and_verified_within_the_engagement() {
    for db in common::databases() {
        issued(&db);
    }
}

/// The official's way: "Generate" beside the output on the records page, the document
/// listed with its hash, a refusal shown beside the output in words, and the check page.
#[test]
fn the_console_generates_lists_and_checks_documents_in_the_readers_language() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    // The records page offers "generate" beside the outputs cloudward makes.
    let page = member
        .get(&format!("/engagements/{ea}/records?lang=zh"))
        .text()
        .unwrap();
    assert!(
        page.contains("generate-decision-report-pdf"),
        "no generate button"
    );
    assert!(
        page.contains("还没有生成过文档"),
        "the empty list says so in words"
    );
    let r = member.post_form(
        &format!("/engagements/{ea}/documents?lang=zh"),
        &[("generate", "decision-report:docx")],
    );
    assert_eq!(r.status(), 200, "followed the redirect to the records page");
    let page = r.text().unwrap();
    assert!(page.contains("已生成《上云决策报告》"), "{page}");
    assert!(
        page.contains("Word 文档 · 中文"),
        "format and language in words"
    );
    let list: Value = member
        .get(&format!("/api/v1/engagements/{ea}/documents"))
        .json()
        .unwrap();
    let doc = &list[0];
    let id = doc["id"].as_str().unwrap();
    // An exit document before there is an exit record: the page again, the reason beside
    // that output, in words.
    let r = member.post_form(
        &format!("/engagements/{ea}/documents?lang=en"),
        &[("generate", "closure-record:docx")],
    );
    assert_eq!(r.status(), 422);
    let page = r.text().unwrap();
    assert!(page.contains("record the exit first"), "{page}");
    // The check page: the original is recognised; a changed copy is not; another customer
    // is told nothing.
    let bytes = member
        .get(&format!("/api/v1/documents/{id}/content"))
        .bytes()
        .unwrap();
    let r = member.post_file("/documents/verify?lang=zh", &[], "决策报告.docx", &bytes);
    let page = r.text().unwrap();
    assert!(page.contains("是本系统生成的文档"), "{page}");
    assert!(
        page.contains("上云决策报告") && page.contains("EA"),
        "{page}"
    );
    let mut changed = bytes.to_vec();
    changed.push(b'\n');
    let page = member
        .post_file("/documents/verify?lang=zh", &[], "决策报告.docx", &changed)
        .text()
        .unwrap();
    assert!(
        page.contains("不是本系统为您可见的工作生成的文档"),
        "{page}"
    );
    let other = s.login("b-member");
    let page = other
        .post_file("/documents/verify?lang=en", &[], "report.docx", &bytes)
        .text()
        .unwrap();
    assert!(page.contains("is not a document made here"), "{page}");
    assert!(!page.contains("EA"), "{page}");
    // The supervision records are generated for a period: its days beside the button, a
    // day that is no date refused beside its field with what was typed kept.
    let page = member
        .get(&format!("/engagements/{ea}/records?lang=zh"))
        .text()
        .unwrap();
    assert!(
        page.contains("generate-supervision-records-docx")
            && page.contains("id=\"period-from-supervision-records\"")
            && page.contains("监管期间自"),
        "{page}"
    );
    let r = member.post_form(
        &format!("/engagements/{ea}/documents?lang=zh"),
        &[
            ("generate", "supervision-report:docx"),
            ("period_from", "2026-13-01"),
            ("period_to", "2026-12-07"),
        ],
    );
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    assert!(
        page.contains("“2026-13-01”不是有效日期") && page.contains("value=\"2026-13-01\""),
        "{page}"
    );
    let r = member.post_form(
        &format!("/engagements/{ea}/documents?lang=zh"),
        &[
            ("generate", "supervision-report:docx"),
            ("period_from", "2026-12-07"),
            ("period_to", "2026-09-08"),
        ],
    );
    assert_eq!(r.status(), 422);
    let page = r.text().unwrap();
    assert!(
        page.contains("起始日期晚于截止日期") && page.contains("value=\"2026-09-08\""),
        "{page}"
    );
    let r = member.post_form(
        &format!("/engagements/{ea}/documents?lang=zh"),
        &[
            ("generate", "supervision-report:docx"),
            ("period_from", "2026-09-08"),
            ("period_to", "2026-12-07"),
        ],
    );
    assert_eq!(r.status(), 200);
    assert!(
        r.text().unwrap().contains("已生成《云服务运行监管报告》"),
        "issued"
    );
    // A viewer sees the list but no generate button.
    let page = s
        .login("a-viewer")
        .get(&format!("/engagements/{ea}/records"))
        .text()
        .unwrap();
    assert!(!page.contains("generate-decision-report-pdf"));
    assert!(page.contains(id));
}

/// Whether poppler's pdftotext is there to read a PDF back; with
/// `CLOUDWARD_TEST_DOCUMENTS` set it must be.
fn has_pdftotext() -> bool {
    let found = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    assert!(
        found || std::env::var_os("CLOUDWARD_TEST_DOCUMENTS").is_none(),
        "CLOUDWARD_TEST_DOCUMENTS is set but pdftotext is missing (Debian: poppler-utils)"
    );
    found
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn assessment_report(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let file = assessor.post_bytes(
        &format!("/api/v1/assessments/{aid}/evidence?control=AC-07&name=lockout-test.txt"),
        b"lockout after five attempts".to_vec(),
    );
    assert_eq!(file.status(), 201);
    let sha = hex::encode(sha2::Sha256::digest(b"lockout after five attempts"));
    let a: Value = assessor
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    let r = assessor.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": a["version"], "results": {
            "AC-07": { "result": "satisfied" },
            "AC-01": { "result": "not_satisfied", "notes": "No access control policy for administrators." } } }),
    );
    assert_eq!(r.status(), 200);
    let a: Value = r.json().unwrap();
    let r = provider.post(
        &format!("/api/v1/assessments/{aid}/responses"),
        &json!({ "version": a["version"], "control": "AC-01",
                 "response": "The policy is being written and goes to the board in January." }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());

    let path = format!("/api/v1/assessments/{aid}/report");
    // The assessor's workspace offers it, in the reader's language.
    let page = assessor
        .get(&format!("/assessments/{aid}?lang=zh"))
        .text()
        .unwrap();
    assert!(page.contains("评估报告"), "{page}");
    assert!(
        page.contains(&format!("{path}?format=pdf&amp;lang=zh"))
            && page.contains(&format!("{path}?format=docx&amp;lang=zh")),
        "{page}"
    );
    // Word for both parties to it; a PDF when the server has a Chinese font.
    for u in [&assessor, &provider] {
        let r = u.get(&format!("{path}?format=docx&lang=en&date=2026-12-07"));
        assert_eq!(r.status(), 200);
        let cd = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            cd.contains(
                "Cloud%20service%20security%20assessment%20report-Gov%20IaaS-2026-12-07.docx"
            ),
            "{cd}"
        );
        assert!(r.bytes().unwrap().starts_with(b"PK"));
    }
    if has_cjk_font() && has_pdftotext() {
        let r = assessor.get(&format!("{path}?lang=en&date=2026-12-07"));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let text = pdf_text(&r.bytes().unwrap());
        let flat: String = text.split_whitespace().collect();
        for want in [
            "Cloud service security assessment report",
            "Gov IaaS",
            "Provider A",
            "Assessor",
            "lockout-test.txt",
            sha.as_str(),
            // Table cells wrap: a few words of each.
            "No access control policy",
            "The policy is being",
            "board in January.",
            "The assessment has not concluded yet.",
        ] {
            let w: String = want.split_whitespace().collect();
            assert!(flat.contains(&w), "lacks {want:?}:\n{text}");
        }
    }
    // Not the caller's to see: the customer of another engagement, not granted.
    let other = s.login("b-member");
    assert_eq!(other.get(&format!("{path}?format=docx")).status(), 404);
    // What the server made is kept: verified by its hash by the parties to the
    // assessment (and downloaded again), not by anyone else; the audit log has it.
    let bytes = assessor
        .get(&format!("{path}?format=docx&lang=zh&date=2026-12-07"))
        .bytes()
        .unwrap()
        .to_vec();
    let made = hex::encode(sha2::Sha256::digest(&bytes));
    for u in [&assessor, &provider] {
        let v: Value = u
            .get(&format!("/api/v1/documents/verify/{made}"))
            .json()
            .unwrap();
        assert_eq!(v["issued"], true, "{v}");
        assert_eq!(v["document"]["document"]["kind"], "assessment-report");
        assert_eq!(v["document"]["document"]["engagement_name"], "Gov IaaS");
        let again = u
            .get(&format!(
                "/api/v1/documents/{}/content",
                v["document"]["id"].as_str().unwrap()
            ))
            .bytes()
            .unwrap();
        assert_eq!(again.to_vec(), bytes);
    }
    let v: Value = other
        .get(&format!("/api/v1/documents/verify/{made}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], false, "another customer learns nothing");
    let audit: Value = assessor
        .get("/api/v1/audit?object_type=document&limit=100")
        .json()
        .unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["object_id"].as_str().unwrap_or("").contains(&made)),
        "{audit}"
    );
    // A format the server does not issue.
    let r = assessor.get(&format!("{path}?format=xlsx"));
    assert_eq!(r.status(), 422);
    let err: Value = r.json().unwrap();
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pdf, docx"),
        "{err}"
    );
}

/// The assessor's deliverable from the assessment the server holds: every result, the
/// provider's answers and each evidence file with the SHA-256 it was stored under — for the
/// parties to the assessment, and no one else.
#[test]
fn the_assessment_report_is_made_from_the_assessment_for_those_who_see_its_details() {
    for db in common::databases() {
        assessment_report(&db);
    }
}

/// A stored scan run as its report (配置检查报告), for those who see the engagement: the
/// checks in the reader's language whatever language the scan ran in.
#[test]
fn a_stored_scan_run_is_made_into_a_report_for_those_who_see_the_engagement() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../report/tests/fixtures/hcl-project.scan.json"
    ))
    .unwrap();
    let upload: Value = serde_json::from_str(&fixture).unwrap();
    let r = member.post(&format!("/api/v1/engagements/{ea}/scans"), &upload);
    assert_eq!(r.status(), 201);
    let run: Value = r.json().unwrap();
    let path = format!("/api/v1/scans/{}/document", run["id"].as_str().unwrap());
    // The engagement's page offers it beside the latest scan.
    let page = member
        .get(&format!("/engagements/{ea}?lang=zh"))
        .text()
        .unwrap();
    assert!(
        page.contains("最近一次扫描的配置检查报告")
            && page.contains(&format!("{path}?format=pdf&amp;lang=zh")),
        "{page}"
    );
    let r = member.get(&format!("{path}?format=docx&lang=zh"));
    assert_eq!(r.status(), 200);
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.contains(".docx"), "{cd}");
    assert!(r.bytes().unwrap().starts_with(b"PK"));
    if has_cjk_font() && has_pdftotext() {
        let r = member.get(&format!("{path}?lang=zh"));
        assert_eq!(r.status(), 200);
        let text = pdf_text(&r.bytes().unwrap());
        let flat: String = text.split_whitespace().collect();
        for want in [
            "云上配置安全检查报告",
            "EA",
            "SSH端口（22）",
            "main.tf:35",
            "复核人",
        ] {
            assert!(flat.contains(want), "lacks {want:?}:\n{text}");
        }
    }
    // Kept, verified by those who see the engagement, listed with its documents.
    let bytes = member
        .get(&format!("{path}?format=docx&lang=en"))
        .bytes()
        .unwrap()
        .to_vec();
    let made = hex::encode(sha2::Sha256::digest(&bytes));
    let v: Value = member
        .get(&format!("/api/v1/documents/verify/{made}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], true, "{v}");
    assert_eq!(v["document"]["document"]["kind"], "scan-report");
    assert_eq!(v["document"]["document"]["scan_run_id"], run["id"]);
    let list: Value = member
        .get(&format!("/api/v1/engagements/{ea}/documents"))
        .json()
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|d| d["document"]["sha256"] == made.as_str()),
        "{list}"
    );
    // Not the caller's engagement: as if there were no such run.
    let other = s.login("b-member");
    assert_eq!(other.get(&format!("{path}?format=docx")).status(), 404);
    let v: Value = other
        .get(&format!("/api/v1/documents/verify/{made}"))
        .json()
        .unwrap();
    assert_eq!(v["issued"], false);
    assert_eq!(member.get(&format!("{path}?format=csv")).status(), 422);
}

/// The supervision of a period as the server holds it — its scans, the findings still
/// open or accepted, the provider's notices — and the supervision report issued from it
/// as the engagement's supervision records, for the customer; the same data for the CLI.
fn supervision_report(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../report/tests/fixtures/hcl-project.scan.json"
    ))
    .unwrap();
    let upload: Value = serde_json::from_str(&fixture).unwrap();
    let r = member.post(&format!("/api/v1/engagements/{ea}/scans"), &upload);
    assert_eq!(r.status(), 201);
    let provider = s.login("pa-admin");
    let r = provider.post(
        &format!("/api/v1/engagements/{ea}/notices"),
        &json!({ "kind": "incident", "title": "机房电力中断", "description": "" }),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let findings: Vec<Value> = member
        .get(&format!("/api/v1/engagements/{ea}/findings"))
        .json()
        .unwrap();
    let first = &findings[0];
    let r = member.post(
        &format!(
            "/api/v1/engagements/{ea}/findings/{}",
            first["id"].as_str().unwrap()
        ),
        &json!({ "action": "accept", "version": first["version"], "reason": "静态站点按设计公开", "until": "2099-01-01" }),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());

    let path = format!("/api/v1/engagements/{ea}/supervision");
    let data: Value = member.get(&path).json().unwrap();
    assert_eq!(data["scans"].as_array().unwrap().len(), 1, "{data}");
    assert_eq!(
        data["findings"].as_array().unwrap().len(),
        findings.len(),
        "every finding is open or accepted"
    );
    assert!(
        data["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["state"] == "accepted" && f["accepted_until"] == "2099-01-01"),
        "{data}"
    );
    assert_eq!(data["notices"][0]["title"], "机房电力中断");
    assert_eq!(data["notices"][0]["kind"], "incident");
    // A period before anything happened holds no scan and no notice.
    let old: Value = member
        .get(&format!("{path}?from=2020-01-01&to=2020-03-31"))
        .json()
        .unwrap();
    assert_eq!(old["scans"].as_array().unwrap().len(), 0);
    assert_eq!(old["notices"].as_array().unwrap().len(), 0);
    let r = member.get(&format!("{path}?from=2026-12-07&to=2026-01-01"));
    assert_eq!(r.status(), 422);
    let err: Value = r.json().unwrap();
    assert_eq!(err["error"]["field"], "to", "{err}");
    // Not the caller's engagement: as if there were none.
    assert_eq!(s.login("b-member").get(&path).status(), 404);

    // Issued as the engagement's supervision records.
    let docs = format!("/api/v1/engagements/{ea}/documents");
    let r = member.post(
        &docs,
        &json!({ "kind": "supervision-report", "format": "docx", "lang": "en" }),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["document"]["output"], "supervision-records");
    assert_eq!(doc["document"]["title"], "Cloud service supervision report");
    let e: Value = member
        .get(&format!("/api/v1/engagements/{ea}"))
        .json()
        .unwrap();
    assert!(
        e["document"]["lifecycle"]["outputs"]["supervision-records"]["reference"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cloudward:evidence/"),
        "{e}"
    );
    let r = member.post(
        &docs,
        &json!({ "kind": "supervision-report", "from": "2026-12-07", "to": "2026-01-01" }),
    );
    assert_eq!(r.status(), 422);
    if has_cjk_font() && has_pdftotext() {
        let r = member.post(
            &docs,
            &json!({ "kind": "supervision-report", "format": "pdf", "lang": "zh" }),
        );
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        let doc: Value = r.json().unwrap();
        let bytes = member
            .get(&format!(
                "/api/v1/documents/{}/content",
                doc["id"].as_str().unwrap()
            ))
            .bytes()
            .unwrap();
        let text = pdf_text(&bytes);
        let flat: String = text.split_whitespace().collect();
        for want in [
            "云服务运行监管报告",
            "EA",
            "机房电力中断",
            "尚在时限内",
            "接受的风险",
        ] {
            assert!(flat.contains(want), "lacks {want:?}:\n{text}");
        }
    }
}

#[test]
fn the_supervision_of_a_period_is_exported_and_issued_as_its_report() {
    for db in common::databases() {
        supervision_report(&db);
    }
}

/// The headers of the results workbook, as `read_table` wants them.
fn result_columns() -> Vec<(Vec<String>, bool)> {
    let m = cloudward_content::messages();
    [
        "wb.c.control",
        "wb.c.requirement",
        "wb.c.family",
        "wb.c.result",
        "wb.c.notes",
        "wb.c.waiver",
        "wb.c.evidence",
    ]
    .iter()
    .map(|k| {
        (
            vec![
                m.text(k, cloudward_domain::Lang::Zh),
                m.text(k, cloudward_domain::Lang::En),
            ],
            true,
        )
    })
    .collect()
}

/// The downloaded workbook with some rows filled in, as a person would give it back:
/// the same sheet, header and rows, the given cells changed.
fn fill(downloaded: &[u8], cells: &[(&str, usize, &str)]) -> Vec<u8> {
    use cloudward_report::workbook::{FormColumn, FormSheet, read_table};
    let table = read_table(downloaded, &result_columns()).unwrap();
    let rows = table
        .rows
        .iter()
        .map(|(_, cells_of)| {
            let mut row = cells_of.clone();
            for (control, column, value) in cells {
                if row[0] == *control {
                    row[*column] = (*value).to_owned();
                }
            }
            row
        })
        .collect();
    cloudward_report::workbook::write_form(&FormSheet {
        title: "filled".into(),
        sheet: table.sheet.clone(),
        instructions: String::new(),
        columns: result_columns()
            .into_iter()
            .map(|(names, _)| FormColumn::shown(names[0].clone(), 10.0))
            .collect(),
        rows,
        cell_choices: Vec::new(),
        date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
    })
    .unwrap()
}

/// The assessor records results in Excel: the workbook lists every requirement of the
/// level with what is recorded and the evidence attached; given back, its rows with a
/// result are recorded (evidence kept), or nothing is and each problem is named by row
/// and column — through the API and on the assessment workspace.
fn results_workbook(db: &common::Db) {
    let s = TestServer::start(db, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let file = assessor.post_bytes(
        &format!("/api/v1/assessments/{aid}/evidence?control=AC-07&name=lockout-test.txt"),
        b"lockout after five attempts".to_vec(),
    );
    assert_eq!(file.status(), 201);
    let path = format!("/api/v1/assessments/{aid}/results/workbook");
    let r = assessor.get(&format!("{path}?lang=zh"));
    assert_eq!(r.status(), 200);
    let cd = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.contains(".xlsx"), "{cd}");
    let downloaded = r.bytes().unwrap().to_vec();
    let table = cloudward_report::workbook::read_table(&downloaded, &result_columns()).unwrap();
    // The same table as CSV, for those who want it so.
    let csv = assessor
        .get(&format!("{path}?format=csv&lang=zh"))
        .text()
        .unwrap();
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("控制编号") && csv.contains("lockout-test.txt"),
        "{csv}"
    );
    assert_eq!(assessor.get(&format!("{path}?format=pdf")).status(), 422);
    assert_eq!(table.sheet, "评估结果");
    assert!(table.rows.len() > 50, "every requirement of the level");
    let ac07 = table.rows.iter().find(|(_, c)| c[0] == "AC-07").unwrap();
    assert_eq!(
        ac07.1[6], "lockout-test.txt",
        "the evidence attached, by name"
    );
    // Four more requirements of the level.
    let others: Vec<String> = table
        .rows
        .iter()
        .map(|(_, c)| c[0].clone())
        .filter(|c| c != "AC-01" && c != "AC-07")
        .take(4)
        .collect();
    let (c2, c3, c4, c5) = (
        others[0].as_str(),
        others[1].as_str(),
        others[2].as_str(),
        others[3].as_str(),
    );

    // Filled in: recorded, the evidence of AC-07 kept.
    let filled = fill(
        &downloaded,
        &[
            ("AC-07", 3, "满足"),
            ("AC-01", 3, "不满足"),
            ("AC-01", 4, "管理员账号没有访问控制制度"),
            (c2, 3, "satisfied"),
            (c2, 5, "制度由集团统一发布"),
        ],
    );
    let r = assessor.post_bytes(&path, filled);
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let v: Value = r.json().unwrap();
    assert_eq!(v["recorded"], 3);
    let a: Value = assessor
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    let results = &a["results"];
    assert_eq!(results["AC-07"]["result"], "satisfied");
    assert_eq!(results["AC-07"]["evidence"].as_array().unwrap().len(), 1);
    assert_eq!(results["AC-01"]["notes"], "管理员账号没有访问控制制度");
    assert_eq!(results[c2]["waiver"]["reason"], "制度由集团统一发布");

    // A cell that does not read: nothing saved, the problem by row and column.
    let c3_row = table.rows.iter().find(|(_, c)| c[0] == c3).unwrap().0;
    let bad = fill(&downloaded, &[(c3, 3, "大致满足"), (c4, 3, "不适用")]);
    let r = assessor.post_bytes(&format!("{path}?lang=zh"), bad.clone());
    assert_eq!(r.status(), 422);
    let err: Value = r.json().unwrap();
    assert_eq!(err["error"]["details"][0]["row"], c3_row);
    assert_eq!(err["error"]["details"][0]["column"], "D");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(msg.contains("“大致满足”不是评估结果"), "{msg}");
    let a: Value = assessor
        .get(&format!("/api/v1/assessments/{aid}"))
        .json()
        .unwrap();
    assert!(a["results"][c4].is_null(), "nothing saved");
    // Satisfied without evidence or a waiver: refused as the results form refuses it.
    let r = assessor.post_bytes(&path, fill(&downloaded, &[(c5, 3, "满足")]));
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains(c5));
    // Not a workbook at all.
    let r = assessor.post_bytes(&format!("{path}?lang=en"), b"control,result".to_vec());
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("not an Excel workbook"));

    // Only the assessor gives results; the provider reads the workbook, others see nothing.
    assert_eq!(
        provider
            .post_bytes(&path, fill(&downloaded, &[(c4, 3, "不适用")]))
            .status(),
        403
    );
    assert_eq!(provider.get(&path).status(), 200);
    assert_eq!(s.login("b-member").get(&path).status(), 404);

    // On the workspace: the download, and the upload refused with every problem listed.
    let page = assessor
        .get(&format!("/assessments/{aid}?lang=zh"))
        .text()
        .unwrap();
    assert!(
        page.contains("id=\"results-workbook\"") && page.contains("下载评估结果登记表"),
        "{page}"
    );
    let r = assessor.post_file(
        &format!("/assessments/{aid}/workbook?lang=zh"),
        &[],
        "评估结果.xlsx",
        &bad,
    );
    assert_eq!(r.status(), 422);
    let page = r.text().unwrap();
    assert!(
        page.contains(&format!(
            "“评估结果”第 {c3_row} 行 D 列：“大致满足”不是评估结果"
        )),
        "{page}"
    );
    let good = fill(&downloaded, &[(c4, 3, "不适用")]);
    let r = assessor.post_file(
        &format!("/assessments/{aid}/workbook?lang=zh"),
        &[],
        "评估结果.xlsx",
        &good,
    );
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("已从登记表记录 1 项结果"));
}

#[test]
fn assessment_results_go_out_and_come_back_as_an_excel_workbook() {
    for db in common::databases() {
        results_workbook(&db);
    }
}

/// The requirement analysis in Excel: every question with its answer so far in words;
/// given back, its answers are saved by the form's rules (choices and yes/no by their
/// words, a sheet without the key column matched by the questions), or the form again
/// with each problem by row and column and the answers given kept.
#[test]
fn the_requirement_analysis_goes_out_and_comes_back_as_an_excel_workbook() {
    use cloudward_report::workbook::{FormColumn, FormSheet, read_table, write_form};
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    let m = cloudward_content::messages();
    let names = |k: &str| {
        vec![
            m.text(k, cloudward_domain::Lang::Zh),
            m.text(k, cloudward_domain::Lang::En),
        ]
    };
    let wanted = vec![
        (names("wb.c.key"), true),
        (names("wb.c.question"), true),
        (names("wb.c.answer"), true),
    ];
    let page = member
        .get(&format!("/engagements/{ea}/requirements?lang=zh"))
        .text()
        .unwrap();
    assert!(page.contains("下载需求分析登记表"), "{page}");
    let r = member.get(&format!("/engagements/{ea}/requirements/workbook?lang=zh"));
    assert_eq!(r.status(), 200);
    let downloaded = r.bytes().unwrap().to_vec();
    let table = read_table(&downloaded, &wanted).unwrap();
    assert_eq!(table.sheet, "需求分析");
    assert!(table.rows.len() >= 20, "every question");
    let row_of = |key: &str| table.rows.iter().find(|(_, c)| c[0] == key).unwrap();
    assert_eq!(
        row_of("continuity.rto_hours").1[1],
        "恢复时间目标 RTO（小时）",
        "the question in words"
    );
    let sheet = |rows: Vec<Vec<String>>, with_key: bool| {
        let mut columns = vec![
            FormColumn::shown(names("wb.c.question")[0].clone(), 30.0),
            FormColumn::shown(names("wb.c.answer")[0].clone(), 30.0),
        ];
        if with_key {
            columns.insert(0, FormColumn::shown(names("wb.c.key")[0].clone(), 10.0));
        }
        write_form(&FormSheet {
            title: "filled".into(),
            sheet: "需求分析".into(),
            instructions: String::new(),
            columns,
            rows,
            cell_choices: Vec::new(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        })
        .unwrap()
    };
    let with = |answers: &[(&str, &str)]| {
        table
            .rows
            .iter()
            .map(|(_, c)| {
                let mut row = c.clone();
                if let Some((_, a)) = answers.iter().find(|(k, _)| *k == c[0]) {
                    row[2] = (*a).to_owned();
                }
                row
            })
            .collect::<Vec<_>>()
    };
    // A problem: named by row and column, nothing saved, the answers given kept.
    let bad = sheet(
        with(&[
            ("continuity.rto_hours", "四小时"),
            ("portability.open_formats", "是"),
        ]),
        true,
    );
    let r = member.post_file(
        &format!("/engagements/{ea}/requirements/workbook?lang=zh"),
        &[],
        "需求分析.xlsx",
        &bad,
    );
    assert_eq!(r.status(), 400);
    let page = r.text().unwrap();
    let rto_row = row_of("continuity.rto_hours").0;
    assert!(
        page.contains(&format!("“需求分析”第 {rto_row} 行 C 列：“四小时”")),
        "{page}"
    );
    assert!(page.contains("value=\"四小时\""), "{page}");
    // Fixed: saved, choices and yes/no by their words.
    let good = sheet(
        with(&[
            ("continuity.rto_hours", "4"),
            ("portability.open_formats", "是"),
            ("deployment_model.management_capability", "高"),
        ]),
        true,
    );
    let r = member.post_file(
        &format!("/engagements/{ea}/requirements/workbook?lang=zh"),
        &[],
        "需求分析.xlsx",
        &good,
    );
    assert_eq!(r.status(), 200);
    assert!(r.text().unwrap().contains("已从登记表保存需求分析"));
    let e: Value = member
        .get(&format!("/api/v1/engagements/{ea}"))
        .json()
        .unwrap();
    let req = &e["document"]["requirements"];
    assert_eq!(req["continuity"]["rto_hours"], 4.0);
    assert_eq!(req["portability"]["open_formats"], true);
    assert_eq!(req["deployment_model"]["management_capability"], "high");
    // Without the key column, the questions say which answer is which.
    let rows = table
        .rows
        .iter()
        .filter(|(_, c)| c[0] == "continuity.rpo_hours")
        .map(|(_, c)| vec![c[1].clone(), "1".to_owned()])
        .collect();
    let r = member.post_file(
        &format!("/engagements/{ea}/requirements/workbook?lang=zh"),
        &[],
        "需求分析.xlsx",
        &sheet(rows, false),
    );
    assert_eq!(r.status(), 200);
    let e: Value = member
        .get(&format!("/api/v1/engagements/{ea}"))
        .json()
        .unwrap();
    assert_eq!(
        e["document"]["requirements"]["continuity"]["rpo_hours"],
        1.0
    );
    assert_eq!(
        e["document"]["requirements"]["continuity"]["rto_hours"], 4.0,
        "what the sheet lacks stays"
    );
    // A viewer may not.
    assert_eq!(
        s.login("a-viewer")
            .post_file(
                &format!("/engagements/{ea}/requirements/workbook"),
                &[],
                "x.xlsx",
                &good
            )
            .status(),
        403
    );
}

/// The findings for Excel users, as filtered on the supervision page: XLSX or CSV, every
/// value in words, for those who see the engagement.
#[test]
fn findings_are_exported_as_filtered_in_words() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let ea = s.engagements["EA"].clone();
    let member = s.login("a-member");
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../report/tests/fixtures/hcl-project.scan.json"
    ))
    .unwrap();
    let upload: Value = serde_json::from_str(&fixture).unwrap();
    let high = upload["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high")
        .count();
    assert!(high > 0);
    assert_eq!(
        member
            .post(&format!("/api/v1/engagements/{ea}/scans"), &upload)
            .status(),
        201
    );
    let page = member
        .get(&format!(
            "/engagements/{ea}/supervision?lang=zh&severity=high"
        ))
        .text()
        .unwrap();
    assert!(
        page.contains("id=\"export-findings-xlsx\"")
            && page.contains("findings/export?format=csv&amp;lang=zh")
            && page.contains("severity=high&#38;sort=severity"),
        "{page}"
    );
    let path = format!("/api/v1/engagements/{ea}/findings/export");
    let r = member.get(&format!("{path}?format=csv&lang=zh&severity=high"));
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = r.bytes().unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(
        text.contains("严重程度") && text.contains("检查项"),
        "{text}"
    );
    assert!(
        text.contains("安全组不得向互联网开放 SSH 端口（22）"),
        "{text}"
    );
    assert!(text.contains("未关闭"), "states in words: {text}");
    assert!(
        !text.contains(",medium,") && !text.contains("中,"),
        "only high: {text}"
    );

    let r = member.get(&format!("{path}?lang=en"));
    assert_eq!(r.status(), 200);
    let xlsx = r.bytes().unwrap().to_vec();
    let m = cloudward_content::messages();
    let t = |k: &str| vec![m.text(k, cloudward_domain::Lang::En)];
    let table = cloudward_report::workbook::read_table(
        &xlsx,
        &[(t("doc.c.severity"), true), (t("doc.c.resource"), true)],
    )
    .unwrap();
    assert_eq!(
        table.rows.len(),
        upload["findings"].as_array().unwrap().len(),
        "every finding, not a page"
    );
    assert!(
        table.rows.iter().any(|(_, c)| c[0] == "HIGH"),
        "{:?}",
        table.rows
    );

    assert_eq!(member.get(&format!("{path}?format=pdf")).status(), 422);
    assert_eq!(s.login("b-member").get(&path).status(), 404);
}

/// The tables of an engagement's documents for Excel users, linked from the pages that
/// show them: the matrix and checklist, the risk register, the requirement analysis.
#[test]
fn the_pages_tables_come_as_excel_and_csv() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let ea = s.engagements["EA"].clone();
    let viewer = s.login("a-viewer");
    for (page, kind) in [
        ("responsibility", "contract-annex"),
        ("contract", "contract-annex"),
        ("risks", "decision-report"),
    ] {
        let html = s
            .login("a-member")
            .get(&format!("/engagements/{ea}/{page}?lang=zh"))
            .text()
            .unwrap();
        assert!(
            html.contains(&format!(
                "/api/v1/engagements/{ea}/tables/{kind}?format=xlsx"
            )),
            "{page}"
        );
    }
    let path = format!("/api/v1/engagements/{ea}/tables");
    let r = viewer.get(&format!("{path}/contract-annex?format=csv&lang=zh"));
    assert_eq!(r.status(), 200);
    let csv = r.text().unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM");
    for want in ["安全责任矩阵", "云服务商", "负责"] {
        assert!(csv.contains(want), "lacks {want}: {csv}");
    }
    let r = viewer.get(&format!("{path}/decision-report?lang=en"));
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let xlsx = r.bytes().unwrap().to_vec();
    let m = cloudward_content::messages();
    let risk = vec![m.text("doc.c.risk", cloudward_domain::Lang::En)];
    let table =
        cloudward_report::workbook::read_table(&xlsx, &[(risk, true)]).expect("a risk sheet");
    assert!(!table.rows.is_empty());
    assert_eq!(
        viewer
            .get(&format!("{path}/decision-report?format=pdf"))
            .status(),
        422
    );
    assert_eq!(viewer.get(&format!("{path}/no-such-kind")).status(), 422);
    assert_eq!(
        s.login("b-member")
            .get(&format!("{path}/contract-annex"))
            .status(),
        404
    );
}
