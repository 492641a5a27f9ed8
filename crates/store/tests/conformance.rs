//! The conformance suite: every store implementation must pass it. SQLite always runs;
//! PostgreSQL runs when `CLOUDWARD_TEST_POSTGRES_URL` names a server (scripts/test sets it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::sync::Arc;

use cloudward_store::*;
use serde_json::json;

struct Backend {
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
}

async fn open(kind: &str, interval: i64, hash: HashAlg) -> Option<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let database_url = match kind {
        "sqlite" => None,
        _ => {
            let admin = testing::postgres_admin_url()?;
            Some(testing::fresh_postgres_database(&admin).await.unwrap())
        }
    };
    let store = open_store(&Options {
        database_url,
        data_dir: dir.path().to_owned(),
        hash,
        checkpoint_interval: interval,
    })
    .await;
    Some(Backend { store, dir })
}

async fn open_store(o: &Options) -> Arc<dyn Store> {
    cloudward_store::open(o).await.unwrap()
}

fn admin() -> Actor {
    Actor::system()
}

fn data(name: &str, phase: &str, level: &str, parties: Vec<(Party, String)>) -> EngagementData {
    EngagementData {
        name: name.into(),
        phase: Phase::parse(phase).unwrap(),
        level: Some(ProtectionLevel::parse(level).unwrap()),
        document: json!({ "name": name }),
        parties,
    }
}

async fn orgs(s: &dyn Store) -> (Org, Org, Org) {
    let c1 = s
        .create_org(&admin(), "Customer One", OrgKind::Customer)
        .await
        .unwrap();
    let c2 = s
        .create_org(&admin(), "Customer Two", OrgKind::Customer)
        .await
        .unwrap();
    let p = s
        .create_org(&admin(), "Provider", OrgKind::Provider)
        .await
        .unwrap();
    (c1, c2, p)
}

async fn organisations_and_users(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    let dup = s
        .create_org(&admin(), "Customer One", OrgKind::Customer)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let u = s
        .create_user(
            &admin(),
            NewUser {
                org_id: Some(c1.id.clone()),
                username: "alice".into(),
                display_name: "Alice".into(),
                password_hash: "h1".into(),
                role: Role::Member,
                platform_admin: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(s.find_user("alice").await.unwrap().unwrap().id, u.id);
    assert_eq!(s.list_users(&c1.id).await.unwrap().len(), 1);
    let again = s
        .create_user(
            &admin(),
            NewUser {
                org_id: None,
                username: "alice".into(),
                display_name: "Other".into(),
                password_hash: "h".into(),
                role: Role::ReadOnly,
                platform_admin: false,
            },
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    // Sessions end when the password changes.
    let session = Session {
        token_hash: "t".repeat(64),
        user_id: u.id.clone(),
        csrf_token: "c".into(),
        created_at: now(),
        expires_at: now(),
    };
    s.login_failed(&u.id, 1, None).await.unwrap();
    assert_eq!(s.get_user(&u.id).await.unwrap().unwrap().failed_logins, 1);
    s.login_succeeded(&u.id, session.clone()).await.unwrap();
    assert_eq!(s.get_user(&u.id).await.unwrap().unwrap().failed_logins, 0);
    assert!(s.get_session(&session.token_hash).await.unwrap().is_some());
    s.set_password(&admin(), &u.id, "h2", None).await.unwrap();
    assert!(s.get_session(&session.token_hash).await.unwrap().is_none());
    assert_eq!(
        s.get_user(&u.id).await.unwrap().unwrap().password_hash,
        "h2"
    );
}

async fn tokens(b: Backend) {
    let s = &*b.store;
    let (c1, c2, _) = orgs(s).await;
    let t = s
        .create_token(
            &admin(),
            NewToken {
                org_id: c1.id.clone(),
                name: "ci".into(),
                role: Role::Member,
                token_hash: "a".repeat(64),
                prefix: "cwt_abcd".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.find_token(&"a".repeat(64)).await.unwrap().unwrap().id,
        t.id
    );
    // Another organisation cannot revoke it.
    assert!(!s.revoke_token(&admin(), &c2.id, &t.id).await.unwrap());
    assert!(s.revoke_token(&admin(), &c1.id, &t.id).await.unwrap());
    assert!(!s.revoke_token(&admin(), &c1.id, &t.id).await.unwrap());
    assert!(
        s.find_token(&"a".repeat(64))
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
}

async fn engagements_are_isolated(b: Backend) {
    let s = &*b.store;
    let (c1, c2, p) = orgs(s).await;
    let e1 = s
        .create_engagement(
            &admin(),
            &c1.id,
            data(
                "one",
                "planning",
                "general",
                vec![(Party::Provider, p.id.clone())],
            ),
        )
        .await
        .unwrap();
    let e2 = s
        .create_engagement(
            &admin(),
            &c2.id,
            data("two", "operation", "enhanced", vec![]),
        )
        .await
        .unwrap();
    assert!(
        s.visible_engagement(&e1.id, &c1.id)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.visible_engagement(&e1.id, &p.id).await.unwrap().is_some());
    assert!(
        s.visible_engagement(&e1.id, &c2.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.visible_engagement(&e2.id, &p.id).await.unwrap().is_none());
    let f = EngagementFilter {
        limit: 50,
        ..Default::default()
    };
    let (list, total) = s.list_engagements(&c2.id, &f).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
    assert_eq!(list[0].id, e2.id);
    let (list, _) = s.list_engagements(&p.id, &f).await.unwrap();
    assert_eq!(list.iter().map(|e| &e.id).collect::<Vec<_>>(), vec![&e1.id]);
    assert_eq!(list[0].parties, vec![(Party::Provider, p.id.clone())]);
    // The provider sees the customer's entries about the shared engagement only.
    let (entries, _) = s
        .audit_search(Some(&p.id), &AuditFilter::default(), 100, 0)
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .all(|e| e.engagement_id.as_deref() == Some(e1.id.as_str()))
    );
    assert!(!entries.is_empty());
}

async fn filters_and_pages(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    for i in 0..7 {
        let (phase, level) = if i % 2 == 0 {
            ("planning", "general")
        } else {
            ("operation", "enhanced")
        };
        s.create_engagement(
            &admin(),
            &c1.id,
            data(&format!("e{i}"), phase, level, vec![]),
        )
        .await
        .unwrap();
    }
    let page = |phase: Option<&str>, level: Option<&str>, limit, offset| EngagementFilter {
        phase: phase.map(|p| Phase::parse(p).unwrap()),
        level: level.map(|l| ProtectionLevel::parse(l).unwrap()),
        limit,
        offset,
    };
    let (l, t) = s
        .list_engagements(&c1.id, &page(None, None, 3, 0))
        .await
        .unwrap();
    assert_eq!((l.len(), t), (3, 7));
    let (l, _) = s
        .list_engagements(&c1.id, &page(None, None, 3, 6))
        .await
        .unwrap();
    assert_eq!(l.len(), 1);
    let (l, t) = s
        .list_engagements(&c1.id, &page(Some("planning"), None, 50, 0))
        .await
        .unwrap();
    assert_eq!((l.len(), t), (4, 4));
    let (_, t) = s
        .list_engagements(&c1.id, &page(Some("operation"), Some("enhanced"), 50, 0))
        .await
        .unwrap();
    assert_eq!(t, 3);
    let (_, t) = s
        .list_engagements(&c1.id, &page(None, Some("advanced"), 50, 0))
        .await
        .unwrap();
    assert_eq!(t, 0);
}

async fn versions_conflict(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    let e = s
        .create_engagement(&admin(), &c1.id, data("one", "planning", "general", vec![]))
        .await
        .unwrap();
    let e2 = s
        .update_engagement(
            &admin(),
            &e.id,
            1,
            data("one v2", "planning", "general", vec![]),
        )
        .await
        .unwrap();
    assert_eq!(e2.version, 2);
    let stale = s
        .update_engagement(
            &admin(),
            &e.id,
            1,
            data("lost", "planning", "general", vec![]),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let got = s.visible_engagement(&e.id, &c1.id).await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.version), ("one v2", 2));
    assert!(matches!(
        s.delete_engagement(&admin(), &e.id, Some(1)).await,
        Err(StoreError::Conflict(_))
    ));
    s.delete_engagement(&admin(), &e.id, Some(2)).await.unwrap();
    assert!(s.visible_engagement(&e.id, &c1.id).await.unwrap().is_none());
    assert!(matches!(
        s.delete_engagement(&admin(), &e.id, None).await,
        Err(StoreError::NotFound)
    ));
}

async fn confirmations(b: Backend) {
    let s = &*b.store;
    let (c1, _, p) = orgs(s).await;
    let e = s
        .create_engagement(
            &admin(),
            &c1.id,
            data(
                "one",
                "planning",
                "general",
                vec![(Party::Provider, p.id.clone())],
            ),
        )
        .await
        .unwrap();
    let c = Confirmation {
        engagement_id: e.id.clone(),
        element: "physical".into(),
        party: MatrixParty::Provider,
        org_id: p.id.clone(),
        user_id: "u".into(),
        confirmed_at: now(),
        terms: Some("provider".into()),
    };
    s.confirm(&admin(), c.clone()).await.unwrap();
    s.confirm(&admin(), c.clone()).await.unwrap();
    assert_eq!(s.confirmations(&e.id).await.unwrap(), vec![c.clone()]);
    // Confirmed again on other terms: the one confirmation now says those.
    let again = Confirmation {
        terms: Some("customer+provider".into()),
        ..c
    };
    s.confirm(&admin(), again.clone()).await.unwrap();
    assert_eq!(s.confirmations(&e.id).await.unwrap(), vec![again]);
}

async fn audit_chain_verifies_and_is_append_only(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    for i in 0..5 {
        s.create_engagement(
            &admin(),
            &c1.id,
            data(&format!("e{i}"), "planning", "general", vec![]),
        )
        .await
        .unwrap();
    }
    // 3 organisations + 5 engagements = 8 entries; a checkpoint every 3.
    let all = s.audit_entries(0, 100).await.unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(
        s.checkpoints()
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect::<Vec<_>>(),
        vec![3, 6]
    );
    let v = verify(s, b.dir.path()).await.unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(
        (v.head_seq, v.checkpoints),
        (8, 4),
        "database and file copies of 2 checkpoints"
    );
    assert!(s.checkpoint_now().await.unwrap().is_some());
    assert!(
        s.checkpoint_now().await.unwrap().is_none(),
        "nothing new to sign"
    );
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

async fn records_and_blobs(b: Backend) {
    let s = &*b.store;
    let (c1, c2, p) = orgs(s).await;
    let e = s
        .create_engagement(
            &admin(),
            &c1.id,
            data("one", "operation", "general", vec![]),
        )
        .await
        .unwrap();
    let offering = s
        .create_record(
            &admin(),
            NewRecord {
                id: None,
                kind: "offering".into(),
                owner_org_id: p.id.clone(),
                party_org_id: None,
                engagement_id: None,
                parent_id: None,
                data: json!({ "name": "ECS" }),
            },
        )
        .await
        .unwrap();
    let scan = s
        .create_record(
            &admin(),
            NewRecord {
                id: None,
                kind: "scan".into(),
                owner_org_id: c1.id.clone(),
                party_org_id: None,
                engagement_id: Some(e.id.clone()),
                parent_id: None,
                data: json!({ "failed": 3 }),
            },
        )
        .await
        .unwrap();
    let f = |owner: Option<&str>, eng: Option<&str>| RecordFilter {
        owner_org_id: owner.map(str::to_owned),
        engagement_id: eng.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(
        s.list_records("offering", &f(Some(&p.id), None))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.list_records("offering", &f(Some(&c1.id), None))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        s.list_records("scan", &f(None, Some(&e.id))).await.unwrap()[0].id,
        scan.id
    );
    let up = s
        .update_record(
            &admin(),
            RecordChange::of(&offering, json!({ "name": "ECS v2" })),
        )
        .await
        .unwrap();
    assert_eq!(up.version, 2);
    assert!(matches!(
        s.update_record(&admin(), RecordChange::of(&offering, json!({})))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.get_record("offering", &offering.id)
            .await
            .unwrap()
            .unwrap()
            .data["name"],
        "ECS v2"
    );
    // A batch is all or nothing: a stale update rolls back the creations with it.
    let before = s
        .list_records("note", &RecordFilter::default())
        .await
        .unwrap()
        .len();
    let new = |n: i64| NewRecord {
        id: None,
        kind: "note".into(),
        owner_org_id: c1.id.clone(),
        party_org_id: None,
        engagement_id: Some(e.id.clone()),
        parent_id: None,
        data: json!({ "n": n }),
    };
    let failed = s
        .apply_records(
            &admin(),
            vec![new(1), new(2)],
            vec![RecordChange::of(&offering, json!({}))],
        )
        .await;
    assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
    assert_eq!(
        s.list_records("note", &RecordFilter::default())
            .await
            .unwrap()
            .len(),
        before
    );
    let done = s
        .apply_records(
            &admin(),
            vec![new(1), new(2)],
            vec![RecordChange::at(
                "offering",
                &offering.id,
                2,
                json!({ "name": "ECS v3" }),
            )],
        )
        .await
        .unwrap();
    assert_eq!(done.len(), 3);
    assert_eq!(
        s.get_record("offering", &offering.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        3
    );
    // An id chosen beforehand is kept, so other writes of the batch can refer to it.
    let chosen = new_id();
    let r = s
        .create_record(
            &admin(),
            NewRecord {
                id: Some(chosen.clone()),
                ..new(3)
            },
        )
        .await
        .unwrap();
    assert_eq!(r.id, chosen);
    assert!(s.get_record("note", &chosen).await.unwrap().is_some());
    // A second organisation a record concerns lists it too.
    let shared = s
        .create_record(
            &admin(),
            NewRecord {
                party_org_id: Some(c2.id.clone()),
                ..new(4)
            },
        )
        .await
        .unwrap();
    let theirs = s
        .list_records(
            "note",
            &RecordFilter {
                party_org_id: Some(c2.id.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id, shared.id);
    assert_eq!(theirs[0].party_org_id.as_deref(), Some(c2.id.as_str()));
    // Records of an engagement go with it.
    s.delete_engagement(&admin(), &e.id, None).await.unwrap();
    assert!(s.get_record("scan", &scan.id).await.unwrap().is_none());
    // Blobs are stored once per content; each filing is audited with the hash.
    let blob = Blob {
        sha256: "ab".repeat(32),
        size: 3,
        media_type: "text/plain".into(),
        content: Some(b"abc".to_vec()),
    };
    s.put_blob(&admin(), None, blob.clone()).await.unwrap();
    s.put_blob(&admin(), None, blob.clone()).await.unwrap();
    assert_eq!(s.get_blob(&blob.sha256).await.unwrap(), Some(blob.clone()));
    let entries = s.audit_entries(0, 1000).await.unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.object_id == blob.sha256)
            .count(),
        2
    );
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

fn framework(owner: Option<&str>, name: &str, title: &str) -> NewFramework {
    NewFramework {
        owner_org_id: owner.map(str::to_owned),
        name: name.into(),
        title: title.into(),
        version: "1".into(),
        source_model: "catalog".into(),
        group_count: 1,
        control_count: 2,
        document: format!("{{\"catalog\":{{\"title\":\"{title}\"}}}}"),
    }
}

/// Frameworks: the platform's are everyone's, an organisation's its own; a name once per
/// owner unless replaced; imports and deletions are audited.
async fn frameworks(b: Backend) {
    let s = &*b.store;
    let (c1, c2, _) = orgs(s).await;
    let platform = s
        .create_framework(&admin(), framework(None, "nist", "NIST"), false)
        .await
        .unwrap();
    let own = s
        .create_framework(&admin(), framework(Some(&c1.id), "iso", "ISO"), false)
        .await
        .unwrap();
    // The same name under another owner is another framework.
    s.create_framework(&admin(), framework(Some(&c2.id), "nist", "Two's"), false)
        .await
        .unwrap();
    let names = |v: Vec<FrameworkInfo>| v.into_iter().map(|f| f.title).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_frameworks(Some(&c1.id)).await.unwrap()),
        ["ISO", "NIST"]
    );
    assert_eq!(names(s.list_frameworks(None).await.unwrap()), ["NIST"]);
    let err = s
        .create_framework(&admin(), framework(None, "nist", "again"), false)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let replaced = s
        .create_framework(&admin(), framework(None, "nist", "NIST v2"), true)
        .await
        .unwrap();
    assert!(s.get_framework(&platform.id).await.unwrap().is_none());
    let (info, doc) = s.get_framework(&replaced.id).await.unwrap().unwrap();
    assert_eq!(info.title, "NIST v2");
    assert!(doc.contains("NIST v2"));
    assert!(s.delete_framework(&admin(), &own.id).await.unwrap());
    assert!(!s.delete_framework(&admin(), &own.id).await.unwrap());
    let entries = s.audit_entries(0, 1000).await.unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .filter(|e| e.object_type == "framework")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "framework.import",
            "framework.import",
            "framework.import",
            "framework.delete",
            "framework.import",
            "framework.delete"
        ]
    );
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

/// An engagement and the records that go with its change are written together or not at
/// all: a stale record version undoes the engagement's update, and a stale engagement
/// version leaves the records unwritten.
async fn engagement_and_records_in_one_transaction(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    let e = s
        .create_engagement(&admin(), &c1.id, data("one", "planning", "general", vec![]))
        .await
        .unwrap();
    let note = |n: i64| NewRecord {
        id: None,
        kind: "transition".into(),
        owner_org_id: c1.id.clone(),
        party_org_id: None,
        engagement_id: Some(e.id.clone()),
        parent_id: None,
        data: json!({ "n": n }),
    };
    let existing = s.create_record(&admin(), note(0)).await.unwrap();
    let head = s.audit_head().await.unwrap();
    let count = || async {
        s.list_records("transition", &RecordFilter::engagement(&e.id))
            .await
            .unwrap()
            .len()
    };
    // A stale record version: nothing of the change is kept, not even its audit entries.
    let failed = s
        .update_engagement_with(
            &admin(),
            &e.id,
            1,
            data("one", "selection", "general", vec![]),
            vec![note(1)],
            vec![RecordChange::at(
                "transition",
                &existing.id,
                7,
                json!({ "n": 9 }),
            )],
        )
        .await;
    assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
    let got = s.visible_engagement(&e.id, &c1.id).await.unwrap().unwrap();
    assert_eq!((got.phase.id(), got.version), ("planning", 1));
    assert_eq!(count().await, 1);
    assert_eq!(s.audit_head().await.unwrap(), head);
    // A stale engagement version: the records are not written either.
    let failed = s
        .update_engagement_with(
            &admin(),
            &e.id,
            5,
            data("one", "selection", "general", vec![]),
            vec![note(1)],
            Vec::new(),
        )
        .await;
    assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
    assert_eq!(count().await, 1);
    // One offering in use and one exit record per engagement: a second is a conflict.
    for kind in ["offering_use", "exit"] {
        let one = NewRecord::new(kind, c1.id.clone(), json!({})).of_engagement(e.id.clone());
        s.create_record(&admin(), one.clone()).await.unwrap();
        let twin = s.create_record(&admin(), one).await;
        assert!(
            matches!(twin, Err(StoreError::Conflict(_))),
            "{kind}: {twin:?}"
        );
    }
    let head = s.audit_head().await.unwrap();
    // Both current: both written, each with its audit entry.
    let (after, records) = s
        .update_engagement_with(
            &admin(),
            &e.id,
            1,
            data("one", "selection", "general", vec![]),
            vec![note(1)],
            vec![RecordChange::of(&existing, json!({ "n": 2 }))],
        )
        .await
        .unwrap();
    assert_eq!((after.phase.id(), after.version), ("selection", 2));
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].version, 2);
    assert_eq!(count().await, 2);
    assert_eq!(s.audit_head().await.unwrap(), head + 3);
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

/// Tracked findings: written with their scan run in one transaction, filtered and paged in
/// SQL, counted per state, versioned, one per key and engagement.
async fn findings_are_filtered_and_paged(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    let e = s
        .create_engagement(
            &admin(),
            &c1.id,
            data("one", "operation", "general", vec![]),
        )
        .await
        .unwrap();
    let finding = |i: usize, state: &str, assignee: Option<&str>| {
        NewRecord::new(
            "finding",
            c1.id.clone(),
            json!({ "key": format!("R|b{i}"), "state": state, "assignee": assignee }),
        )
        .of_engagement(e.id.clone())
    };
    let run = NewRecord::new("scan_run", c1.id.clone(), run_data(3)).of_engagement(e.id.clone());
    let opened: Vec<NewRecord> = (0..10)
        .map(|i| {
            let state = if i % 5 == 0 { "accepted" } else { "open" };
            let who = if i % 3 == 0 { Some("ops") } else { None };
            finding(i, state, who)
        })
        .collect();
    let head = s.audit_head().await.unwrap();
    let r = s
        .record_scan(&admin(), run.clone(), opened, Vec::new())
        .await
        .unwrap();
    assert_eq!(r.kind, "scan_run");
    assert_eq!(s.audit_head().await.unwrap(), head + 11);
    let eid = e.id.clone();
    let all = |filter: FindingFilter| {
        let eid = eid.clone();
        async move {
            let (list, total) = s
                .list_findings(
                    &eid,
                    &FindingFilter {
                        count: true,
                        ..filter
                    },
                )
                .await
                .unwrap();
            (list, total.unwrap())
        }
    };
    let (list, total) = all(FindingFilter::default()).await;
    assert_eq!((list.len(), total), (10, 10));
    assert!(list.iter().all(|f| f.kind == "finding"));
    let (list, total) = all(FindingFilter {
        state: Some("open".into()),
        limit: Some(3),
        offset: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(total, 8);
    let keys: Vec<&str> = list
        .iter()
        .map(|f| f.data["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["R|b3", "R|b4", "R|b6"]);
    // The same page from a cursor: the findings after R|b2, the total still of all pages.
    let everything = all(FindingFilter::default()).await.0;
    let b2 = everything
        .iter()
        .find(|f| f.data["key"] == "R|b2")
        .unwrap()
        .id
        .clone();
    let (list, total) = all(FindingFilter {
        state: Some("open".into()),
        limit: Some(3),
        after: Some(b2),
        ..Default::default()
    })
    .await;
    assert_eq!(total, 8);
    let keys: Vec<&str> = list
        .iter()
        .map(|f| f.data["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["R|b3", "R|b4", "R|b6"]);
    let last = everything.last().unwrap().id.clone();
    let (list, _) = all(FindingFilter {
        after: Some(last),
        ..Default::default()
    })
    .await;
    assert!(list.is_empty(), "nothing after the last");
    let unknown = s
        .list_findings(
            &e.id,
            &FindingFilter {
                after: Some("no-such-finding".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    let (page, uncounted) = s
        .list_findings(&e.id, &FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (page.len(), uncounted),
        (10, None),
        "not counted unless asked"
    );
    let (_, total) = all(FindingFilter {
        assignee: AssigneeFilter::Nobody,
        ..Default::default()
    })
    .await;
    assert_eq!(total, 6);
    let (list, total) = all(FindingFilter {
        assignee: AssigneeFilter::Is("ops".into()),
        state: Some("open".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(total, 3, "{list:?}");
    let counts = s.count_findings(&e.id).await.unwrap();
    assert_eq!(counts, [("accepted".to_owned(), 2), ("open".to_owned(), 8)]);
    // Versioned updates; the state column follows the data.
    let first = &all(FindingFilter::default()).await.0[1];
    let fixed = s
        .update_record(
            &admin(),
            RecordChange::of(
                first,
                json!({ "key": "R|b1", "state": "fixed", "assignee": null }),
            ),
        )
        .await
        .unwrap();
    assert_eq!(fixed.version, 2);
    assert!(matches!(
        s.update_record(
            &admin(),
            RecordChange::of(first, json!({ "key": "R|b1", "state": "open" })),
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.get_record("finding", &first.id)
            .await
            .unwrap()
            .unwrap()
            .data["state"],
        "fixed"
    );
    // A key already tracked in the engagement: the whole scan is refused, its run too.
    let runs = s
        .list_records("scan_run", &RecordFilter::engagement(&e.id))
        .await
        .unwrap()
        .len();
    let twin = s
        .record_scan(&admin(), run, vec![finding(4, "open", None)], Vec::new())
        .await;
    assert!(matches!(twin, Err(StoreError::Conflict(_))), "{twin:?}");
    assert_eq!(
        s.list_records("scan_run", &RecordFilter::engagement(&e.id))
            .await
            .unwrap()
            .len(),
        runs
    );
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

/// The findings list by severity: the most severe first, then by recording; filtered by
/// severity, rule and open or closed; paged from a cursor in that order; and the facets
/// (rule, severity, state) the filters offer.
async fn findings_by_severity_and_rule(b: Backend) {
    let s = &*b.store;
    let (c1, _, _) = orgs(s).await;
    let e = s
        .create_engagement(
            &admin(),
            &c1.id,
            data("one", "operation", "general", vec![]),
        )
        .await
        .unwrap();
    // b0 low, b1 critical, b2 medium, b3 high, b4 low, b5 critical (closed), b6 "odd".
    let severities = [
        "low", "critical", "medium", "high", "low", "critical", "odd",
    ];
    let opened: Vec<NewRecord> = severities
        .iter()
        .enumerate()
        .map(|(i, sev)| {
            let rule = if i % 2 == 0 { "A" } else { "B" };
            let state = if i == 5 { "closed" } else { "open" };
            NewRecord::new(
                "finding",
                c1.id.clone(),
                json!({ "key": format!("{rule}|b{i}"), "rule_id": rule, "severity": sev, "state": state }),
            )
            .of_engagement(e.id.clone())
        })
        .collect();
    let run = NewRecord::new("scan_run", c1.id.clone(), run_data(7)).of_engagement(e.id.clone());
    s.record_scan(&admin(), run, opened, Vec::new())
        .await
        .unwrap();
    let keys = |list: &[Record]| -> Vec<String> {
        list.iter()
            .map(|f| f.data["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_severity = |filter: FindingFilter| {
        let id = e.id.clone();
        async move {
            let (list, total) = s
                .list_findings(
                    &id,
                    &FindingFilter {
                        order: FindingOrder::Severity,
                        count: true,
                        ..filter
                    },
                )
                .await
                .unwrap();
            (list, total.unwrap())
        }
    };
    let (list, total) = by_severity(FindingFilter::default()).await;
    assert_eq!(total, 7);
    assert_eq!(
        keys(&list),
        ["B|b1", "B|b5", "B|b3", "A|b2", "A|b0", "A|b4", "A|b6"]
    );
    // Not closed, two at a time from a cursor: the order holds across pages.
    let (first, total) = by_severity(FindingFilter {
        closed: Some(false),
        limit: Some(2),
        ..Default::default()
    })
    .await;
    assert_eq!(
        (keys(&first), total),
        (vec!["B|b1".to_owned(), "B|b3".to_owned()], 6)
    );
    let (second, _) = by_severity(FindingFilter {
        closed: Some(false),
        limit: Some(2),
        after: Some(first[1].id.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&second), ["A|b2", "A|b0"]);
    let (closed, _) = by_severity(FindingFilter {
        closed: Some(true),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&closed), ["B|b5"]);
    let (low_a, total) = by_severity(FindingFilter {
        severity: Some("low".into()),
        rule: Some("A".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        (keys(&low_a), total),
        (vec!["A|b0".to_owned(), "A|b4".to_owned()], 2)
    );
    let facets = s.finding_facets(&e.id).await.unwrap();
    let facet = |rule: &str, rank: i64, state: &str, count: i64| FindingFacet {
        rule_id: rule.into(),
        severity_rank: rank,
        state: state.into(),
        count,
    };
    assert_eq!(
        facets,
        [
            facet("B", 0, "closed", 1),
            facet("B", 0, "open", 1),
            facet("B", 1, "open", 1),
            facet("A", 2, "open", 1),
            facet("A", 3, "open", 2),
            facet("A", 9, "open", 1),
        ]
    );
    // The columns follow the document on an update.
    let odd = list.last().unwrap();
    let now_high = s
        .update_record(
            &admin(),
            RecordChange::of(
                odd,
                json!({ "key": "A|b6", "rule_id": "C", "severity": "high", "state": "open" }),
            ),
        )
        .await
        .unwrap();
    let (list, _) = by_severity(FindingFilter {
        rule: Some("C".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(list[0].id, now_high.id);
    assert_eq!(
        keys(&by_severity(FindingFilter::default()).await.0)[3],
        "A|b6"
    );
}

/// The audit log searched: by time, actor, verb, kind of object, the beginning of an id
/// and engagement, newest first, within what an organisation may see.
async fn audit_is_searched(b: Backend) {
    let s = &*b.store;
    let (c1, c2, _) = orgs(s).await;
    let by = Actor {
        id: "u-alice".into(),
        org_id: Some(c1.id.clone()),
    };
    let e = s
        .create_engagement(&by, &c1.id, data("one", "planning", "general", vec![]))
        .await
        .unwrap();
    let r = s
        .create_record(
            &by,
            NewRecord::new("note", c1.id.clone(), json!({ "n": 1 })).of_engagement(e.id.clone()),
        )
        .await
        .unwrap();
    s.update_record(&by, RecordChange::of(&r, json!({ "n": 2 })))
        .await
        .unwrap();
    let all = |filter: AuditFilter| {
        let org = c1.id.clone();
        async move { s.audit_search(Some(&org), &filter, 100, 0).await.unwrap() }
    };
    let (everything, total) = all(AuditFilter::default()).await;
    assert!(total >= 3, "{everything:?}");
    assert!(
        everything.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    let (mine, n) = all(AuditFilter {
        actor: Some("u-alice".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(n, 3);
    assert!(mine.iter().all(|x| x.actor == "u-alice"));
    let (updates, n) = all(AuditFilter {
        verb: Some("update".into()),
        actor: Some("u-alice".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(n, 1);
    assert_eq!(updates[0].object_id, r.id);
    let (engagements, _) = all(AuditFilter {
        object_type: Some("engagement".into()),
        ..Default::default()
    })
    .await;
    assert!(engagements.iter().all(|x| x.object_type == "engagement"));
    assert!(engagements.iter().any(|x| x.object_id == e.id));
    // The beginning of an id; LIKE's wildcards in it are taken as they are.
    let (prefix, _) = all(AuditFilter {
        object_id: Some(r.id[..8].to_owned()),
        ..Default::default()
    })
    .await;
    assert_eq!(prefix.len(), 2, "the note's create and update");
    let (none, n) = all(AuditFilter {
        object_id: Some("%".into()),
        ..Default::default()
    })
    .await;
    assert_eq!((none.len(), n), (0, 0));
    // By time: from the update's time on, and before it.
    let at = updates[0].at.clone();
    let (later, _) = all(AuditFilter {
        from: Some(at.clone()),
        ..Default::default()
    })
    .await;
    assert!(later.iter().all(|x| x.at >= at) && later.iter().any(|x| x.object_id == r.id));
    let (earlier, _) = all(AuditFilter {
        before: Some(at.clone()),
        actor: Some("u-alice".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(earlier.len(), 2);
    let day = at[..10].to_owned();
    let (today, _) = all(AuditFilter {
        from: Some(day),
        actor: Some("u-alice".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(today.len(), 3, "a day's date is its start");
    let (of_e, _) = all(AuditFilter {
        engagement_id: Some(e.id.clone()),
        ..Default::default()
    })
    .await;
    assert!(
        of_e.iter()
            .all(|x| x.engagement_id.as_deref() == Some(e.id.as_str()))
    );
    // Another organisation sees none of it; the platform sees it all.
    let (theirs, _) = s
        .audit_search(Some(&c2.id), &AuditFilter::default(), 100, 0)
        .await
        .unwrap();
    assert!(
        theirs
            .iter()
            .all(|x| x.engagement_id.is_none() || x.org_id.as_deref() == Some(c2.id.as_str()))
    );
    assert!(!theirs.iter().any(|x| x.actor == "u-alice"));
    let (_, platform) = s
        .audit_search(None, &AuditFilter::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!(platform, s.audit_head().await.unwrap());
}

/// A scan run's document, with the counts its table keeps.
fn run_data(failed: i64) -> serde_json::Value {
    json!({ "source": "upload", "failed": failed, "passed": 2, "unknown": 0, "resources": 5 })
}

/// Assessments and scan runs in their own tables: listed by offering, provider and
/// assessor; the published one, the grants and the result counts come from their columns
/// and child tables, which follow every write; the latest runs and the finding counts of
/// several engagements come in one query each.
async fn assessments_and_runs_have_their_tables(b: Backend) {
    let s = &*b.store;
    let (c1, c2, p) = orgs(s).await;
    let a_org = s
        .create_org(&admin(), "Assessor", OrgKind::Assessor)
        .await
        .unwrap();
    let offering = s
        .create_record(
            &admin(),
            NewRecord::new("offering", p.id.clone(), json!({ "name": "ECS" })),
        )
        .await
        .unwrap();
    let doc = |results: serde_json::Value,
               conclusion: serde_json::Value,
               published: bool,
               grants: Vec<&str>| {
        json!({
            "offering_id": offering.id, "assessor_org_id": a_org.id, "level": "general",
            "results": results, "conclusion": conclusion, "published": published, "grants": grants,
        })
    };
    let new = |d: serde_json::Value| {
        NewRecord::new("assessment", p.id.clone(), d)
            .under(offering.id.clone())
            .concerning(a_org.id.clone())
    };
    let first = s
        .create_record(&admin(), new(doc(json!({}), json!(null), false, vec![])))
        .await
        .unwrap();
    let second = s
        .create_record(&admin(), new(doc(json!({}), json!(null), false, vec![])))
        .await
        .unwrap();
    assert_eq!(first.kind, "assessment");
    assert_eq!(first.parent_id.as_deref(), Some(offering.id.as_str()));
    for filter in [
        RecordFilter {
            parent_id: Some(offering.id.clone()),
            ..Default::default()
        },
        RecordFilter {
            owner_org_id: Some(p.id.clone()),
            ..Default::default()
        },
        RecordFilter {
            party_org_id: Some(a_org.id.clone()),
            ..Default::default()
        },
    ] {
        let ids: Vec<String> = s
            .list_records("assessment", &filter)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [first.id.clone(), second.id.clone()], "{filter:?}");
    }
    assert!(
        s.list_records("assessment", &RecordFilter::engagement("x"))
            .await
            .unwrap()
            .is_empty()
    );
    // A record of another kind is not found under this one.
    assert!(s.get_record("offering", &first.id).await.unwrap().is_none());
    assert!(
        s.published_assessment(&offering.id)
            .await
            .unwrap()
            .is_none()
    );
    let e1 = s
        .create_engagement(
            &admin(),
            &c1.id,
            data("one", "selection", "general", vec![]),
        )
        .await
        .unwrap();
    let e2 = s
        .create_engagement(
            &admin(),
            &c2.id,
            data("two", "selection", "general", vec![]),
        )
        .await
        .unwrap();
    let results = json!({
        "A-1": { "result": "satisfied" }, "A-2": { "result": "satisfied" },
        "A-3": { "result": "not_satisfied" }
    });
    let pass = |date: &str| json!({ "outcome": "pass", "level": "general", "date": date, "valid_until": "2029-01-01" });
    let first = s
        .update_record(
            &admin(),
            RecordChange::of(
                &first,
                doc(results.clone(), pass("2026-03-01"), true, vec![&e1.id]),
            ),
        )
        .await
        .unwrap();
    s.update_record(
        &admin(),
        RecordChange::of(
            &second,
            doc(
                json!({ "A-1": { "result": "not_satisfied" } }),
                pass("2026-02-01"),
                true,
                vec![],
            ),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        s.published_assessment(&offering.id)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(first.id.clone())
    );
    assert!(s.assessment_granted_to(&first.id, &c1.id).await.unwrap());
    assert!(!s.assessment_granted_to(&first.id, &c2.id).await.unwrap());
    assert!(!s.assessment_granted_to(&second.id, &c1.id).await.unwrap());
    let counts = s
        .assessment_result_counts(&[first.id.clone(), second.id.clone()])
        .await
        .unwrap();
    let of = |id: &str| {
        counts
            .iter()
            .filter(|c| c.0 == id)
            .map(|c| (c.1.as_str(), c.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&first.id), [("not_satisfied", 1), ("satisfied", 2)]);
    assert_eq!(of(&second.id), [("not_satisfied", 1)]);
    // The child rows follow the document: results and grants taken out are gone.
    let first = s
        .update_record(
            &admin(),
            RecordChange::of(
                &first,
                doc(
                    json!({ "A-1": { "result": "satisfied" } }),
                    pass("2026-03-01"),
                    false,
                    vec![&e2.id],
                ),
            ),
        )
        .await
        .unwrap();
    assert_eq!(first.version, 3);
    let counts = s
        .assessment_result_counts(std::slice::from_ref(&first.id))
        .await
        .unwrap();
    assert_eq!(counts, [(first.id.clone(), "satisfied".to_owned(), 1)]);
    assert!(!s.assessment_granted_to(&first.id, &c1.id).await.unwrap());
    assert!(s.assessment_granted_to(&first.id, &c2.id).await.unwrap());
    assert_eq!(
        s.published_assessment(&offering.id)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(second.id.clone())
    );
    // A document without what the columns need is refused, and nothing is written.
    let head = s.audit_head().await.unwrap();
    let bad = s
        .update_record(&admin(), RecordChange::of(&first, json!({ "results": {} })))
        .await;
    assert!(matches!(bad, Err(StoreError::Other(_))), "{bad:?}");
    assert_eq!(s.audit_head().await.unwrap(), head);

    // Runs: the latest of each engagement in one query, oldest first within each.
    for (e, n) in [(&e1, 4), (&e2, 2)] {
        for i in 0..n {
            s.record_scan(
                &admin(),
                NewRecord::new("scan_run", e.customer_org_id.clone(), run_data(i)).of_engagement(e.id.clone()),
                vec![NewRecord::new("finding", e.customer_org_id.clone(), json!({ "key": format!("R|{i}"), "state": if i % 2 == 0 { "open" } else { "fixed" } })).of_engagement(e.id.clone())],
                Vec::new(),
            )
            .await
            .unwrap();
        }
    }
    let recent = s
        .recent_runs(&[e1.id.clone(), e2.id.clone()], 3)
        .await
        .unwrap();
    let failed = |e: &str| {
        recent
            .iter()
            .filter(|r| r.engagement_id.as_deref() == Some(e))
            .map(|r| r.data["failed"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(failed(&e1.id), [1, 2, 3]);
    assert_eq!(failed(&e2.id), [0, 1]);
    assert!(recent.iter().all(|r| r.kind == "scan_run"));
    assert!(s.recent_runs(&[], 3).await.unwrap().is_empty());
    let counts = s
        .count_findings_of(&[e1.id.clone(), e2.id.clone()])
        .await
        .unwrap();
    let of = |e: &str| {
        counts
            .iter()
            .filter(|c| c.0 == e)
            .map(|c| (c.1.as_str(), c.2))
            .collect::<Vec<_>>()
    };
    assert_eq!(of(&e1.id), [("fixed", 2), ("open", 2)]);
    assert_eq!(of(&e2.id), [("fixed", 1), ("open", 1)]);
    let incomplete = s
        .create_record(
            &admin(),
            NewRecord::new("scan_run", c1.id.clone(), json!({ "source": "upload" }))
                .of_engagement(e1.id.clone()),
        )
        .await;
    assert!(
        matches!(incomplete, Err(StoreError::Other(_))),
        "{incomplete:?}"
    );
    // An engagement's runs go with it.
    s.delete_engagement(&admin(), &e2.id, None).await.unwrap();
    assert!(
        s.list_records("scan_run", &RecordFilter::engagement(&e2.id))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(verify(s, b.dir.path()).await.unwrap().ok());
}

macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let b = super::open("sqlite", 3, cloudward_store::HashAlg::Sha256).await.unwrap();
                    super::$test(b).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(b) = super::open("postgres", 3, cloudward_store::HashAlg::Sm3).await else {
                        eprintln!("CLOUDWARD_TEST_POSTGRES_URL unset: PostgreSQL half skipped");
                        return;
                    };
                    super::$test(b).await;
                }
            )*
        }
    };
}

suite!(
    organisations_and_users,
    tokens,
    engagements_are_isolated,
    filters_and_pages,
    versions_conflict,
    engagement_and_records_in_one_transaction,
    findings_are_filtered_and_paged,
    findings_by_severity_and_rule,
    audit_is_searched,
    assessments_and_runs_have_their_tables,
    confirmations,
    audit_chain_verifies_and_is_append_only,
    records_and_blobs,
    frameworks,
);
