//! The console's audit page checks the chain on every view from the last signed checkpoint
//! (cheap), and the whole chain when asked; either finds an entry edited after the
//! checkpoint, only the full check one edited before it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use crate::common::{Db, TestServer, User};

fn page(s: &TestServer, u: &User, query: &str) -> String {
    let html = u
        .client
        .get(format!("{}/audit{query}", s.base))
        .header("accept-language", "en")
        .send()
        .unwrap()
        .text()
        .unwrap();
    let start = html
        .find("id=\"verification\"")
        .expect("a verification line");
    html[start..]
        .split("</p>")
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn tamper(s: &TestServer, seq: i64) {
    let db = s.dir.path().join("cloudward.db");
    s.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER IF EXISTS audit_log_no_update")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET actor = 'intruder' WHERE seq = $1")
            .bind(seq)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
}

#[test]
fn the_audit_page_verifies_from_the_last_signed_checkpoint_and_all_on_demand() {
    // Checkpoints every 10 entries (the test server's setting); the world has more.
    let s = TestServer::start(&Db::Sqlite, |_| {});
    let root = s.login("root");
    let head = s.block_on(s.store.audit_head()).unwrap();
    let last_cp = head / 10 * 10;
    assert!(last_cp >= 10, "{head} entries");

    let quick = page(&s, &root, "");
    assert!(
        quick.contains(&format!("after the signed checkpoint at entry {last_cp}")),
        "{quick}"
    );
    let full = page(&s, &root, "?verify=full");
    assert!(full.contains("The audit chain is intact"), "{full}");
    assert!(!full.contains("checkpoint at entry"), "{full}");

    // Before the checkpoint: only the full check reads that far.
    tamper(&s, 3);
    assert!(page(&s, &root, "").contains("intact"));
    let full = page(&s, &root, "?verify=full");
    assert!(full.contains("broken at entry 3"), "{full}");

    // After it: every view finds it.
    let head = s.block_on(s.store.audit_head()).unwrap();
    tamper(&s, head);
    let quick = page(&s, &root, "");
    assert!(
        quick.contains(&format!("broken at entry {head}")),
        "{quick}"
    );

    // Other users see their organisation's entries, and no verification of the whole log.
    let a = s.login("a-admin");
    let html = a
        .client
        .get(format!("{}/audit", s.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(!html.contains("id=\"verification\""));
}

/// The rows of the audit table: (action code, link of the object).
fn rows(html: &str) -> Vec<(String, Option<String>)> {
    let Some(start) = html.find("id=\"audit-log\"") else {
        return Vec::new();
    };
    html[start..]
        .split("<tr><td class=\"num\">")
        .skip(1)
        .map(|row| {
            let code = row
                .split("<small><code>")
                .nth(1)
                .and_then(|c| c.split("</code>").next())
                .unwrap_or_default()
                .to_owned();
            let object = row.split("</td><td>").nth(4).unwrap_or_default();
            let link = object
                .strip_prefix("<a href=\"")
                .and_then(|l| l.split('"').next())
                .map(|l| l.replace("&#35;", "#"));
            (code, link)
        })
        .collect()
}

/// An organisation's log found by who, what was done and to what, and by days; each entry
/// linked to the object it changed; the same entries as a CSV file in the reader's words;
/// days that are not dates said beside the field.
fn filters_links_and_export(db: &Db) {
    let s = TestServer::start(db, |_| {});
    let a = s.login("a-admin");
    let ea = s.engagements["EA"].clone();
    // Something to find: a notice raised by the provider, acknowledged by the customer.
    let pa = s.login("pa-admin");
    let r = pa.post(
        &format!("/api/v1/engagements/{ea}/notices"),
        &serde_json::json!({ "kind": "change", "title": "maintenance window", "description": "" }),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());

    let all = a.get("/audit?lang=en").text().unwrap();
    let everything = rows(&all);
    assert!(!everything.is_empty());
    // By what was done to what: the notice, linked to the engagement's notices.
    let html = a
        .get("/audit?kind=notice&verb=create&lang=en")
        .text()
        .unwrap();
    let found = rows(&html);
    assert_eq!(found.len(), 1, "{html}");
    assert_eq!(found[0].0, "notice.create");
    assert_eq!(
        found[0].1.as_deref(),
        Some(format!("/engagements/{ea}/supervision#notices").as_str())
    );
    assert!(
        html.contains("<option value=\"notice\" selected>"),
        "the filter is kept"
    );
    // By who: the provider's administrator, by user name.
    let theirs = rows(&a.get("/audit?actor=pa-admin").text().unwrap());
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|(code, _)| code == "notice.create"),
        "{theirs:?}"
    );
    // By days: today has them all, tomorrow none.
    let today = chrono::Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let html = a
        .get(&format!("/audit?from={today}&to={today}"))
        .text()
        .unwrap();
    assert_eq!(rows(&html).len(), everything.len().min(50));
    let html = a.get(&format!("/audit?from={tomorrow}")).text().unwrap();
    assert!(rows(&html).is_empty() && html.contains("id=\"audit-none\""));
    // A day that is not a date: said beside the field, the value kept.
    let r = a.get("/audit?from=2026-13-40&lang=en");
    assert_eq!(r.status(), 400);
    let html = r.text().unwrap();
    assert!(html.contains("id=\"a-from-error\""), "{html}");
    assert!(html.contains("value=\"2026-13-40\""));
    assert!(html.contains("is not a valid date"));
    let r = a.get(&format!("/audit?from={tomorrow}&to={today}"));
    assert_eq!(r.status(), 400);

    // The export: an attachment, a CSV in the reader's words, the filters applied.
    let r = a.get("/audit/export?kind=notice&lang=zh");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = r.bytes().unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark for spreadsheets"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[1], "时间");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(&records[0][2], "pa-admin");
    assert_eq!(&records[0][4], "notice.create");
    assert_eq!(&records[0][7], ea.as_str());
    assert!(!records[0][3].contains("notice."), "the action in words");

    // Another organisation's entries are not found, whatever the filter.
    let b = s.login("b-admin");
    let html = b.get(&format!("/audit?engagement={ea}")).text().unwrap();
    assert!(rows(&html).is_empty());
    let r = b.get(&format!("/audit/export?engagement={ea}"));
    let text = r.text().unwrap();
    assert_eq!(text.lines().count(), 1, "the header only: {text}");
    // The API takes the same filters.
    let list: serde_json::Value = a
        .get("/api/v1/audit?object_type=notice&verb=create")
        .json()
        .unwrap();
    assert_eq!(list["total"], 1);
    let r = a.get("/api/v1/audit?from=yesterday");
    assert_eq!(r.status(), 400);
}

#[test]
fn the_audit_log_is_searched_linked_and_exported() {
    for db in crate::common::databases() {
        filters_links_and_export(&db);
    }
}
