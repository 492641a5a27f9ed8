//! Evidence files: stored by content in the database or on disk, typed by their bytes,
//! limited in size, and readable only through an engagement the caller can see.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common;

use crate::common::{TestServer, User};
use cloudward_server::blobs::EvidenceStorage;
use serde_json::Value;

fn upload(s: &TestServer, u: &User, target: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    u.client
        .post(format!(
            "{}/api/v1/engagements/{}/evidence?{target}&name=report.pdf",
            s.base, s.engagements["EA"]
        ))
        .header("x-csrf-token", &u.csrf)
        .body(body)
        .send()
        .unwrap()
}

#[test]
fn evidence_is_typed_limited_and_kept_within_the_engagement() {
    for storage in [EvidenceStorage::Database, EvidenceStorage::Disk] {
        let s = TestServer::start(&common::Db::Sqlite, |c| {
            c.evidence_storage = storage;
            c.evidence_limit = 64 * 1024;
        });
        let member = s.login("a-member");
        let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec();
        let r = upload(&s, &member, "target_kind=control&target=DP-04", pdf.clone());
        assert_eq!(r.status(), 201);
        let ev: Value = r.json().unwrap();
        assert_eq!(
            ev["evidence"]["media_type"], "application/pdf",
            "sniffed, not declared"
        );
        let sha = ev["evidence"]["sha256"].as_str().unwrap().to_owned();
        let on_disk = s
            .dir
            .path()
            .join("evidence")
            .join(&sha[..2])
            .join(&sha[2..]);
        assert_eq!(
            on_disk.exists(),
            storage == EvidenceStorage::Disk,
            "{storage:?}"
        );
        // The same bytes again are stored once, filed twice.
        assert_eq!(
            upload(
                &s,
                &member,
                "target_kind=clause&target=exit-deletion",
                pdf.clone()
            )
            .status(),
            201
        );
        let list: Value = member
            .get(&format!(
                "/api/v1/engagements/{}/evidence",
                s.engagements["EA"]
            ))
            .json()
            .unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        // Bad targets, unknown binary types and oversized files are refused.
        assert_eq!(
            upload(&s, &member, "target_kind=control&target=XX-99", pdf.clone()).status(),
            400
        );
        assert_eq!(
            upload(&s, &member, "target_kind=vendor&target=x", pdf.clone()).status(),
            400
        );
        let r = upload(
            &s,
            &member,
            "target_kind=risk&target=R1",
            vec![0x7f, b'E', b'L', b'F', 0, 1, 2, 0],
        );
        assert_eq!(r.status(), 415);
        let r = upload(
            &s,
            &member,
            "target_kind=risk&target=R1",
            vec![b'a'; 100 * 1024],
        );
        assert_eq!(r.status(), 413);
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "too_large");
        // Parties read it; a read-only user cannot file; other tenants see nothing.
        let id = ev["id"].as_str().unwrap();
        let r = s
            .login("pa-admin")
            .get(&format!("/api/v1/evidence/{id}/content"));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().unwrap().to_vec(), pdf);
        assert_eq!(
            upload(
                &s,
                &s.login("a-viewer"),
                "target_kind=risk&target=R1",
                b"x".to_vec()
            )
            .status(),
            403
        );
        let outsider = s.login("b-admin");
        assert_eq!(
            outsider
                .get(&format!("/api/v1/evidence/{id}/content"))
                .status(),
            404
        );
        assert_eq!(
            outsider
                .get(&format!(
                    "/api/v1/engagements/{}/evidence",
                    s.engagements["EA"]
                ))
                .status(),
            404
        );
        assert_eq!(
            upload(&s, &outsider, "target_kind=risk&target=R1", b"x".to_vec()).status(),
            404
        );
    }
}

/// The assessor attaches files to its results: only to a control with a result, only
/// until it concludes; the files stay with the result when it is saved again; the
/// provider reads them, another tenant does not.
#[test]
fn assessors_attach_files_to_their_results() {
    use serde_json::json;
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let outsider = s.login("b-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let aid = aid.as_str();
    let attach = |control: &str, body: &[u8]| {
        assessor.post_bytes(
            &format!("/api/v1/assessments/{aid}/evidence?control={control}&name=config-review.txt"),
            body.to_vec(),
        )
    };
    // Satisfied with neither a file nor a waiver: refused, naming the control.
    let r = assessor.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": 1, "results": { "AC-07": { "result": "satisfied", "notes": "seen" } } }),
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("AC-07"));
    assert_eq!(attach("ZZ-01", b"x").status(), 400);
    // The file first (the assessment does not change), then the result, which lists it.
    let r = attach("AC-07", b"lockout after 5 attempts, seen in the console");
    assert_eq!(r.status(), 201);
    let e: Value = r.json().unwrap();
    let eid = e["id"].as_str().unwrap();
    assert_eq!(e["evidence"]["control"], "AC-07");
    assert_eq!(e["assessment_version"], 1);
    let r = assessor.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": 1, "results": { "AC-07": { "result": "satisfied", "notes": "seen" } } }),
    );
    assert_eq!(r.status(), 200);
    let e: Value = json!({ "assessment_version": r.json::<Value>().unwrap()["version"] });
    assert_eq!(e["assessment_version"], 2);
    // Saving the result again without naming evidence keeps the file with it.
    let r = assessor.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": e["assessment_version"], "results": { "AC-07": { "result": "satisfied", "notes": "seen twice" } } }),
    );
    assert_eq!(r.status(), 200);
    let a: Value = r.json().unwrap();
    assert_eq!(a["results"]["AC-07"]["evidence"], json!([eid]), "{a}");
    // Naming a file that is not this assessment's is refused.
    assert_eq!(
        assessor
            .put(
                &format!("/api/v1/assessments/{aid}/results"),
                &json!({ "version": a["version"], "results": { "AC-07": { "result": "satisfied", "evidence": ["nope"] } } }),
            )
            .status(),
        400
    );
    // The provider lists and reads it; another tenant does not see it.
    let files: Value = provider
        .get(&format!("/api/v1/assessments/{aid}/evidence"))
        .json()
        .unwrap();
    assert_eq!(files[0]["id"], eid);
    let body = provider
        .get(&format!("/api/v1/assessment-evidence/{eid}/content"))
        .text()
        .unwrap();
    assert!(body.contains("lockout"));
    assert_eq!(
        outsider
            .get(&format!("/api/v1/assessment-evidence/{eid}/content"))
            .status(),
        404
    );
    assert_eq!(
        outsider
            .get(&format!("/api/v1/assessments/{aid}/evidence"))
            .status(),
        404
    );
    // The provider does not attach to the assessor's results.
    assert_eq!(
        provider
            .post_bytes(
                &format!("/api/v1/assessments/{aid}/evidence?control=AC-07&name=x.txt"),
                b"mine".to_vec()
            )
            .status(),
        403
    );
    // Once concluded, no more files.
    let concluded = assessor.post(
        &format!("/api/v1/assessments/{aid}/conclusion"),
        &json!({ "version": a["version"], "outcome": "fail" }),
    );
    assert_eq!(concluded.status(), 200, "{}", concluded.text().unwrap());
    assert_eq!(attach("AC-07", b"late").status(), 409);
    // And the conclusion is final.
    let again = assessor.post(
        &format!("/api/v1/assessments/{aid}/conclusion"),
        &json!({ "version": a["version"].as_i64().unwrap() + 1, "outcome": "pass" }),
    );
    assert_eq!(again.status(), 409);
}

/// Downloads are attachments under a name fit for a disk (RFC 6266, with the UTF-8 name),
/// and never in a type a browser would render or run.
#[test]
fn downloads_are_attachments_under_a_safe_name_in_a_type_that_does_not_run() {
    use cloudward_store::{Actor, NewRecord};
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let member = s.login("a-member");
    // (Bytes that look like HTML at the start are refused at upload: 415.)
    let html = b"text, then <script>alert(document.cookie)</script>".to_vec();
    let r = member
        .client
        .post(format!(
            "{}/api/v1/engagements/{}/evidence?target_kind=control&target=DP-04&name=..%2F..%2F%E6%8A%A5%E5%91%8A%20evil.html",
            s.base, s.engagements["EA"]
        ))
        .header("x-csrf-token", &member.csrf)
        .body(html.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let ev: Value = r.json().unwrap();
    let r = member.get(&format!(
        "/api/v1/evidence/{}/content",
        ev["id"].as_str().unwrap()
    ));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"__ evil.html\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20evil.html"
    );
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    // A file kept before names were checked, with direction marks in its name and typed
    // as HTML or SVG: still an attachment, as bytes, under a clean name.
    for (media_type, bytes) in [
        ("text/html", &b"<html><script>alert(1)</script></html>"[..]),
        (
            "image/svg+xml",
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"[..],
        ),
    ] {
        use sha2::Digest as _;
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        s.block_on(s.store.put_blob(
            &Actor::system(),
            Some(&s.engagements["EA"]),
            cloudward_store::Blob {
                sha256: sha.clone(),
                size: bytes.len() as i64,
                media_type: media_type.into(),
                content: Some(bytes.to_vec()),
            },
        ))
        .unwrap();
        let mut data = ev["evidence"].clone();
        data["name"] = "../../evil\u{202E}lmth.txt\r\n".into();
        data["media_type"] = media_type.into();
        data["sha256"] = sha.into();
        data["size"] = bytes.len().into();
        let rec = s
            .block_on(s.store.create_record(
                &Actor::system(),
                NewRecord {
                    id: None,
                    kind: "evidence".into(),
                    owner_org_id: s.orgs["A"].clone(),
                    party_org_id: None,
                    engagement_id: Some(s.engagements["EA"].clone()),
                    parent_id: None,
                    data,
                },
            ))
            .unwrap();
        let r = member.get(&format!("/api/v1/evidence/{}/content", rec.id));
        assert_eq!(r.status(), 200, "{media_type}");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"evillmth.txt\"; filename*=UTF-8''evillmth.txt"
        );
        assert_eq!(r.headers()["content-type"], "application/octet-stream");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(r.bytes().unwrap().to_vec(), bytes);
    }
}

/// Names with control characters or direction marks are refused at upload, for
/// engagement and assessment evidence alike, with a 400 that names the field.
#[test]
fn file_names_with_control_characters_are_refused() {
    use serde_json::json;
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let member = s.login("a-member");
    let bad_names = [
        "a%0D%0Ab.txt",
        "bell%07.txt",
        "evil%E2%80%AEtxt.html",
        "",
        "%20",
    ];
    let refused = |r: reqwest::blocking::Response| {
        assert_eq!(r.status(), 400);
        let v: Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "bad_request");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("name"), "{msg}");
    };
    for name in bad_names {
        let r = member
            .client
            .post(format!(
                "{}/api/v1/engagements/{}/evidence?target_kind=control&target=DP-04&name={name}&lang=en",
                s.base, s.engagements["EA"]
            ))
            .header("x-csrf-token", &member.csrf)
            .body("text")
            .send()
            .unwrap();
        refused(r);
    }
    let provider = s.login("pa-admin");
    let assessor = s.login("as-admin");
    let (_, aid) = common::offering_under_assessment(&s, &provider);
    let r = assessor.put(
        &format!("/api/v1/assessments/{aid}/results"),
        &json!({ "version": 1, "results": { "AC-07": { "result": "satisfied", "waiver": "seen on site" } } }),
    );
    assert_eq!(r.status(), 200);
    for name in bad_names {
        refused(assessor.post_bytes(
            &format!("/api/v1/assessments/{aid}/evidence?control=AC-07&name={name}&lang=en"),
            b"text".to_vec(),
        ));
    }
    // A proper name still goes in; nothing was filed before.
    let r = assessor.post_bytes(
        &format!("/api/v1/assessments/{aid}/evidence?control=AC-07&name=review%20notes.txt"),
        b"text".to_vec(),
    );
    assert_eq!(r.status(), 201);
    let files: Value = assessor
        .get(&format!("/api/v1/assessments/{aid}/evidence"))
        .json()
        .unwrap();
    assert_eq!(files.as_array().unwrap().len(), 1);
    // Every download works.
    let fid = files[0]["id"].as_str().unwrap();
    assert_eq!(
        provider
            .get(&format!("/api/v1/assessment-evidence/{fid}/content"))
            .status(),
        200
    );
}

/// The console's upload form refuses such a name too, and shows the form again with why.
#[test]
fn the_console_shows_the_upload_form_again_when_a_name_is_refused() {
    let s = TestServer::start(&common::Db::Sqlite, |_| {});
    let member = s.login("a-member");
    let boundary = "cloudwardboundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf_token", member.csrf.as_str()),
        ("target_kind", "control"),
        ("target", "DP-04"),
        ("effective_date", "2026-11-01"),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evil\u{202E}txt.html\"\r\nContent-Type: text/plain\r\n\r\nsome text\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let r = member
        .client
        .post(format!(
            "{}/engagements/{}/evidence?lang=en",
            s.base, s.engagements["EA"]
        ))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"problem\""), "{html}");
    assert!(html.contains("the file name is not valid"), "{html}");
    assert!(
        html.contains("multipart/form-data"),
        "the form again: {html}"
    );
    let list: Value = member
        .get(&format!(
            "/api/v1/engagements/{}/evidence",
            s.engagements["EA"]
        ))
        .json()
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing filed");
}
