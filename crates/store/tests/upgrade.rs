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
    let customer = orgs.iter().find(|o| o.kind == OrgKind::Customer).unwrap();
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
                count: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((open_ones.len(), total), (5, Some(14)));
    assert!(
        open_ones
            .iter()
            .all(|f| f.data["state"] == "open" && f.version >= 1)
    );

    // The assessment and the scan runs moved to their tables, with their columns and the
    // assessment's results.
    let assessments = store
        .list_records("assessment", &RecordFilter::default())
        .await
        .unwrap();
    assert_eq!(assessments.len(), 1);
    let a = &assessments[0];
    assert_eq!(a.id, "893cc427-f8df-43d2-b89b-60879fbd598b");
    assert_eq!(
        a.parent_id.as_deref(),
        Some("30e2aaaa-534b-4b06-8d68-6c2ae0b9f47b")
    );
    assert_eq!(
        a.party_org_id.as_deref(),
        Some("47db19cd-ab33-44b2-8280-6f20fa0a3d70")
    );
    assert_eq!(a.data["conclusion"]["outcome"], "fail");
    assert_eq!(
        store
            .assessment_result_counts(std::slice::from_ref(&a.id))
            .await
            .unwrap(),
        [
            (a.id.clone(), "not_satisfied".to_owned(), 1),
            (a.id.clone(), "satisfied".to_owned(), 1)
        ]
    );
    // Failed, and never published: not what an offering shows.
    assert!(
        store
            .published_assessment("30e2aaaa-534b-4b06-8d68-6c2ae0b9f47b")
            .await
            .unwrap()
            .is_none()
    );
    let runs = store
        .recent_runs(std::slice::from_ref(&with_findings.id), 10)
        .await
        .unwrap();
    let failed: Vec<i64> = runs
        .iter()
        .map(|r| r.data["failed"].as_i64().unwrap())
        .collect();
    assert_eq!(failed, [25, 15]);
    assert_eq!(
        store
            .list_records("scan_run", &RecordFilter::engagement(&with_findings.id))
            .await
            .unwrap()
            .len(),
        2
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
    // The moved rows are no longer in `records`.
    let (left,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM records WHERE kind IN ('finding', 'assessment', 'scan_run')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
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

/// The PostgreSQL half of the data copies of migrations 0009 (findings) and 0010
/// (assessments, scan runs): a database at schema 0008 with such records, written as the
/// code of that time wrote them, opens with today's code and keeps them all, with their
/// columns. (The SQLite half is the fixture above.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_rows_of_schema_0008_move_to_their_tables() {
    let Some(admin) = testing::postgres_admin_url() else {
        eprintln!("skipped: CLOUDWARD_TEST_POSTGRES_URL is not set");
        return;
    };
    let url = testing::fresh_postgres_database(&admin).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut old = sqlx::migrate!("./migrations/postgres");
    old.migrations = old
        .migrations
        .iter()
        .filter(|m| m.version <= 8)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    old.run(&pool).await.unwrap();
    let at = "2026-11-01T10:00:00.000Z";
    for (id, kind) in [("c", "customer"), ("p", "provider"), ("a", "assessor")] {
        sqlx::query(
            "INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(format!("org {id}"))
        .bind(kind)
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO engagements (id, customer_org_id, name, phase, level, document, version, created_at, updated_at) VALUES ('e', 'c', 'E', 'operation', 'general', '{}', 1, $1, $1)")
        .bind(at)
        .execute(&pool)
        .await
        .unwrap();
    let record = |id: &str,
                  kind: &str,
                  owner: &str,
                  engagement: Option<&str>,
                  parent: Option<&str>,
                  party: Option<&str>,
                  data: serde_json::Value,
                  created: &str| {
        sqlx::query("INSERT INTO records (id, kind, owner_org_id, engagement_id, parent_id, party_org_id, data, version, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 2, 'u', $8, $8)")
            .bind(id.to_owned())
            .bind(kind.to_owned())
            .bind(owner.to_owned())
            .bind(engagement.map(str::to_owned))
            .bind(parent.map(str::to_owned))
            .bind(party.map(str::to_owned))
            .bind(data.to_string())
            .bind(created.to_owned())
    };
    let rows = [
        record(
            "o",
            "offering",
            "p",
            None,
            None,
            None,
            serde_json::json!({ "name": "ECS" }),
            at,
        ),
        record(
            "f1",
            "finding",
            "c",
            Some("e"),
            None,
            None,
            serde_json::json!({ "key": "R|x", "state": "open", "assignee": "ops" }),
            "2026-11-01T10:00:01.000Z",
        ),
        record(
            "f2",
            "finding",
            "c",
            Some("e"),
            None,
            None,
            serde_json::json!({ "key": "R|x", "state": "closed", "assignee": null }),
            "2026-11-01T10:00:02.000Z",
        ),
        record(
            "f3",
            "finding",
            "c",
            Some("e"),
            None,
            None,
            serde_json::json!({ "key": "R|y", "state": "accepted" }),
            "2026-11-01T10:00:03.000Z",
        ),
        record(
            "as",
            "assessment",
            "p",
            None,
            Some("o"),
            Some("a"),
            serde_json::json!({
                "offering_id": "o", "assessor_org_id": "a", "level": "enhanced",
                "results": { "AC-01": { "result": "satisfied", "notes": "", "evidence": [] }, "AC-07": { "result": "not_satisfied", "notes": "", "evidence": [] } },
                "conclusion": { "outcome": "pass", "level": "enhanced", "date": "2026-10-01", "valid_until": "2029-10-01" },
                "published": true, "grants": ["e"]
            }),
            at,
        ),
        record(
            "r1",
            "scan_run",
            "c",
            Some("e"),
            None,
            None,
            serde_json::json!({ "source": "upload", "failed": 3, "passed": 4, "unknown": 1, "resources": 9 }),
            at,
        ),
    ];
    for q in rows {
        q.execute(&pool).await.unwrap();
    }
    pool.close().await;

    let dir = tempfile::tempdir().unwrap();
    let store = open(&Options {
        database_url: Some(url),
        data_dir: dir.path().to_owned(),
        hash: HashAlg::Sha256,
        checkpoint_interval: 100,
    })
    .await
    .unwrap();
    let counts = store.count_findings("e").await.unwrap();
    assert_eq!(
        counts,
        [
            ("accepted".to_owned(), 1),
            ("closed".to_owned(), 1),
            ("open".to_owned(), 1)
        ]
    );
    let (mine, _) = store
        .list_findings(
            "e",
            &FindingFilter {
                assignee: AssigneeFilter::Is("ops".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].id.as_str(), mine[0].version), ("f1", 2));
    // The later twin of a key is kept under a key of its own.
    let twin = store.get_record("finding", "f2").await.unwrap().unwrap();
    assert_eq!(twin.data["state"], "closed");
    let published = store.published_assessment("o").await.unwrap().unwrap();
    assert_eq!(
        (published.id.as_str(), published.party_org_id.as_deref()),
        ("as", Some("a"))
    );
    assert!(store.assessment_granted_to("as", "c").await.unwrap());
    assert_eq!(
        store
            .assessment_result_counts(&["as".to_owned()])
            .await
            .unwrap(),
        [
            ("as".to_owned(), "not_satisfied".to_owned(), 1),
            ("as".to_owned(), "satisfied".to_owned(), 1)
        ]
    );
    let runs = store.recent_runs(&["e".to_owned()], 5).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].data["failed"], 3);
    assert!(store.get_record("offering", "o").await.unwrap().is_some());
}

/// Columns are read into their types: a value that is none of its type's (written by hand
/// into the database) is a clear error naming the value, not a guess or a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_value_of_no_known_kind_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let db = dir.path().join("cloudward.db");
    let options = Options {
        database_url: None,
        data_dir: dir.path().to_owned(),
        hash: HashAlg::Sha256,
        checkpoint_interval: 100,
    };
    let store = open(&options).await.unwrap();
    let orgs = store.list_orgs().await.unwrap();
    assert!(orgs.iter().all(|o| OrgKind::ALL.contains(&o.kind)));
    drop(store);
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE organisations SET kind = 'landlord' WHERE id = $1")
        .bind(&orgs[0].id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let store = open(&options).await.unwrap();
    let err = store.list_orgs().await.unwrap_err().to_string();
    assert!(
        err.contains("\"landlord\"") && err.contains("kind of organisation"),
        "{err}"
    );
}
