//! A data directory written by an earlier cloudward (`fixtures/main-672711d`, made by
//! `make.py` against `cloudward serve --demo` at commit 672711d) opens with today's code:
//! the migrations run, nothing is lost, the old audit chain still verifies and new entries
//! extend it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::path::Path;

use cloudward_store::*;

fn copy_fixture(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/main-672711d");
    for name in [
        "cloudward.db",
        "audit-signing.key",
        "audit-checkpoints.jsonl",
    ] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_the_previous_schema_upgrades_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let store = open(&Options {
        database_url: None,
        data_dir: dir.path().to_owned(),
        hash: HashAlg::Sha256,
        checkpoint_interval: 100,
    })
    .await
    .unwrap();

    // What the old server wrote is all there.
    let orgs = store.list_orgs().await.unwrap();
    assert_eq!(orgs.len(), 4, "{orgs:?}");
    let customer = orgs.iter().find(|o| o.kind == "customer").unwrap();
    let (engagements, total) = store
        .list_engagements(
            &customer.id,
            &EngagementFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((engagements.len(), total), (2, 2));

    // The findings moved to their own table, each with its state, and the old records of
    // them are gone.
    let with_findings = engagements
        .iter()
        .find(|e| e.id == "11f081ba-da9d-4e87-94f3-62dfbcc700d2")
        .unwrap();
    let counts = store.count_findings(&with_findings.id).await.unwrap();
    assert_eq!(
        counts,
        [
            ("accepted".to_owned(), 1),
            ("closed".to_owned(), 10),
            ("open".to_owned(), 14)
        ]
    );
    let (open_ones, total) = store
        .list_findings(
            &with_findings.id,
            &FindingFilter {
                state: Some("open".into()),
                limit: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((open_ones.len(), total), (5, 14));
    assert!(
        open_ones
            .iter()
            .all(|f| f.data["state"] == "open" && f.version >= 1)
    );
    assert!(
        store
            .list_records("finding", &RecordFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    // The old chain verifies, entry by entry and against the signed checkpoint.
    let before = verify(store.as_ref(), dir.path()).await.unwrap();
    assert!(before.ok(), "{before:?}");
    assert_eq!(before.head_seq, 62);
    let old = store.audit_entries(0, 1).await.unwrap();
    assert_eq!(old[0].encoding, "compact");

    // New entries are JCS and extend the same chain.
    store
        .create_org(&Actor::system(), "Upgraded customer", OrgKind::Customer)
        .await
        .unwrap();
    let new = store.audit_entries(62, 10).await.unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].encoding, "jcs");
    assert_eq!(new[0].prev_hash, before.head_hash);
    let after = verify(store.as_ref(), dir.path()).await.unwrap();
    assert!(after.ok(), "{after:?}");
    assert_eq!(after.head_seq, 63);

    // Changing an old entry is still found (by someone with the database file, who can
    // drop the append-only trigger).
    drop(store);
    let db = dir.path().join("cloudward.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'intruder' WHERE seq = 10")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = open(&Options {
        database_url: None,
        data_dir: dir.path().to_owned(),
        hash: HashAlg::Sha256,
        checkpoint_interval: 100,
    })
    .await
    .unwrap();
    let broken = verify(store.as_ref(), dir.path()).await.unwrap();
    assert_eq!(broken.broken.map(|b| b.seq), Some(10));
}

/// Two offering-use records of one engagement (which an earlier version could write when
/// two requests raced): after the upgrade the oldest is the engagement's, the other is
/// kept as `offering_use.superseded`, and a third is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twins_an_earlier_version_wrote_are_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let db = dir.path().join("cloudward.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let (engagement, customer): (String, String) =
        sqlx::query_as("SELECT id, customer_org_id FROM engagements ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    for (id, at) in [
        ("twin-new", "2026-11-02T10:00:00.000Z"),
        ("twin-old", "2026-11-01T10:00:00.000Z"),
    ] {
        sqlx::query(
            "INSERT INTO records (id, kind, owner_org_id, engagement_id, parent_id, data, version, created_by, created_at, updated_at) \
             VALUES ($1, 'offering_use', $2, $3, NULL, '{}', 1, 'system', $4, $4)",
        )
        .bind(id)
        .bind(&customer)
        .bind(&engagement)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let store = open(&Options {
        database_url: None,
        data_dir: dir.path().to_owned(),
        hash: HashAlg::Sha256,
        checkpoint_interval: 100,
    })
    .await
    .unwrap();
    let ids = |kind: &'static str| {
        let store = store.clone();
        let engagement = engagement.clone();
        async move {
            store
                .list_records(kind, &RecordFilter::engagement(&engagement))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .filter(|id| id.starts_with("twin-"))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("offering_use").await, ["twin-old"]);
    assert_eq!(ids("offering_use.superseded").await, ["twin-new"]);
    let third = store
        .create_record(
            &Actor::system(),
            NewRecord::new("offering_use", customer, serde_json::json!({}))
                .of_engagement(engagement.clone()),
        )
        .await;
    assert!(matches!(third, Err(StoreError::Conflict(_))), "{third:?}");
}
