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
