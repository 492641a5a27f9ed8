//! `cloudward serve --demo`'s data, seeded on SQLite and PostgreSQL, as its users find it
//! through the API: one engagement per phase, the published and concluded offering, a
//! task for every role, a verifying audit chain; and a second start that keeps the data
//! and only changes the passwords.

use std::collections::{BTreeMap, BTreeSet};

use cloudward_server::{AppState, Config};
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::common::{Db, databases};

struct Demo {
    base: String,
    state: AppState,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Demo {
    fn start(db: &Db) -> Demo {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let database = match db {
            Db::Sqlite => None,
            Db::Postgres => {
                let admin = cloudward_store::testing::postgres_admin_url().unwrap();
                Some(
                    rt.block_on(cloudward_store::testing::fresh_postgres_database(&admin))
                        .unwrap(),
                )
            }
        };
        let config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_owned(),
            database,
            notify_interval_seconds: 0,
            ..Config::default()
        };
        let store = rt
            .block_on(cloudward_store::open(&config.store_options()))
            .unwrap();
        let listener = rt.block_on(cloudward_server::bind(&config)).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(store, config).unwrap();
        rt.spawn(cloudward_server::serve(listener, state.clone()));
        Demo {
            base: format!("http://{addr}"),
            state,
            rt,
            _dir: dir,
        }
    }

    /// Seeds the demo: user name → password.
    fn seed(&self) -> BTreeMap<String, String> {
        self.rt
            .block_on(cloudward_server::demo::seed(&self.state))
            .unwrap()
            .into_iter()
            .map(|l| (l.username, l.password))
            .collect()
    }

    fn login(&self, user: &str, password: &str) -> Result<Session, u16> {
        let client = Client::builder().cookie_store(true).build().unwrap();
        let r = client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "username": user, "password": password }))
            .send()
            .unwrap();
        if r.status() != 200 {
            return Err(r.status().as_u16());
        }
        let v: Value = r.json().unwrap();
        Ok(Session {
            client,
            base: self.base.clone(),
            csrf: v["csrf_token"].as_str().unwrap().to_owned(),
        })
    }
}

struct Session {
    client: Client,
    base: String,
    csrf: String,
}

impl Session {
    fn post(&self, path: &str, body: &Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "POST {path}: {}", r.status());
        r.json().unwrap()
    }

    /// POSTs and gives back the status and the answer, whatever they are.
    fn post_raw(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    fn get_bytes(&self, path: &str) -> Vec<u8> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.bytes().unwrap().to_vec()
    }

    fn get(&self, path: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().unwrap()
    }
}

/// What the demo holds, counted the way its users see it.
fn inventory(demo: &Demo, passwords: &BTreeMap<String, String>) -> Value {
    let customer = demo
        .login("customer-admin", &passwords["customer-admin"])
        .unwrap();
    let provider = demo
        .login("provider-admin", &passwords["provider-admin"])
        .unwrap();
    let assessor = demo
        .login("assessor-admin", &passwords["assessor-admin"])
        .unwrap();
    let engagements = customer.get("/api/v1/engagements?limit=200");
    let mut names: Vec<String> = engagements["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["phase"].as_str().unwrap(), e["name"]))
        .collect();
    names.sort();
    let offerings = provider.get("/api/v1/offerings");
    let assessments = assessor.get("/api/v1/assessments");
    json!({
        "engagements": names,
        "offerings": offerings.as_array().unwrap().len(),
        "assessments": assessments.as_array().unwrap().len(),
    })
}

#[test]
fn the_demo_tells_the_whole_story_once_and_a_restart_only_changes_the_passwords() {
    for db in databases() {
        let demo = Demo::start(&db);
        let passwords = demo.seed();
        assert_eq!(passwords.len(), 7, "{passwords:?}");

        // One engagement in each phase, each of the customer's.
        let customer = demo
            .login("customer-admin", &passwords["customer-admin"])
            .unwrap();
        let list = customer.get("/api/v1/engagements?limit=200");
        let phases: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["phase"].as_str().unwrap())
            .collect();
        let distinct: BTreeSet<&str> = phases.iter().copied().collect();
        assert_eq!(phases.len(), 5, "{phases:?}");
        assert_eq!(
            distinct,
            BTreeSet::from(["planning", "selection", "operation", "exit", "closed"]),
        );
        // Every engagement past planning uses the assessed offering on Alibaba Cloud.
        for e in list["items"].as_array().unwrap() {
            let id = e["id"].as_str().unwrap();
            let one = customer.get(&format!("/api/v1/engagements/{id}"));
            let file = &one["document"];
            assert_eq!(
                file["requirements"]["data_location"]["regions"][0],
                "cn-shanghai"
            );
            if e["phase"] != "planning" {
                assert_eq!(file["provider"]["cloud"], "alicloud", "{}", e["name"]);
                assert_eq!(file["provider"]["assessment"]["level"], "enhanced");
            }
        }
        // The planning engagement shows what blocks it.
        let planning = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["phase"] == "planning")
            .unwrap();
        let report = customer.get(&format!(
            "/api/v1/engagements/{}/check",
            planning["id"].as_str().unwrap()
        ));
        assert!(
            !report["blockers"].as_array().unwrap().is_empty(),
            "{report}"
        );

        // The offering: published, with a published pass of the third-party assessment,
        // every result backed by a file of evidence.
        let provider = demo
            .login("provider-admin", &passwords["provider-admin"])
            .unwrap();
        let offerings = provider.get("/api/v1/offerings");
        let assessed: Vec<&Value> = offerings
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["published"] == true && !o["assessment"].is_null())
            .collect();
        assert_eq!(assessed.len(), 1, "{offerings}");
        let conclusion = &assessed[0]["assessment"]["conclusion"];
        assert_eq!(conclusion["outcome"], "pass", "{conclusion}");
        assert_eq!(conclusion["level"], "enhanced");
        let valid_until = conclusion["valid_until"].as_str().unwrap();
        let today = chrono::Utc::now().date_naive().to_string();
        assert!(valid_until > today.as_str(), "valid today: {valid_until}");
        let a = provider.get(&format!(
            "/api/v1/assessments/{}",
            assessed[0]["assessment"]["id"].as_str().unwrap()
        ));
        assert_eq!(a["published"], true);
        for (control, result) in a["results"].as_object().unwrap() {
            if result["result"] == "satisfied" {
                assert!(
                    !result["evidence"].as_array().unwrap().is_empty(),
                    "{control} satisfied without evidence"
                );
            }
        }

        // Every role that acts has something to do.
        for user in [
            "customer-admin",
            "customer-member",
            "provider-admin",
            "assessor-admin",
            "ssp-admin",
        ] {
            let s = demo.login(user, &passwords[user]).unwrap();
            let tasks = s.get("/api/v1/tasks");
            assert!(!tasks.as_array().unwrap().is_empty(), "{user} has no tasks");
        }
        let member = demo
            .login("customer-member", &passwords["customer-member"])
            .unwrap();
        let kinds: Vec<Value> = member
            .get("/api/v1/tasks")
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].clone())
            .collect();
        assert!(kinds.contains(&json!("fix_finding")), "{kinds:?}");
        let tasks = customer.get("/api/v1/tasks");
        let kinds: Vec<Value> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].clone())
            .collect();
        assert!(kinds.contains(&json!("confirm_rows")), "{kinds:?}");
        // The provider's notice waits, its deadline still ahead.
        let notice = tasks
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == "acknowledge_change")
            .unwrap_or_else(|| panic!("{tasks}"));
        assert_eq!(notice["late"], false, "{notice}");
        let due = chrono::DateTime::parse_from_rfc3339(notice["due"].as_str().unwrap()).unwrap();
        assert!(due > chrono::Utc::now(), "{notice}");

        // Everything the seeding did is in a chain that verifies.
        let root = demo
            .login("platform-admin", &passwords["platform-admin"])
            .unwrap();
        let v = root.get("/api/v1/admin/audit/verify");
        assert!(v["broken"].is_null(), "{v}");
        assert!(v["entries"].as_u64().unwrap() > 100, "{v}");

        // A second start: the same data, new passwords.
        let before = inventory(&demo, &passwords);
        let again = demo.seed();
        assert_eq!(inventory(&demo, &again), before);
        for (user, old) in &passwords {
            assert_ne!(&again[user], old, "{user}'s password is new");
            assert_eq!(
                demo.login(user, old).err(),
                Some(401),
                "{user}'s old password"
            );
        }
        let root = demo
            .login("platform-admin", &again["platform-admin"])
            .unwrap();
        let v = root.get("/api/v1/admin/audit/verify");
        assert!(v["broken"].is_null(), "{v}");
    }
}

/// The sweep: an assessment in use that expires soon tells the customer and the provider,
/// once; when it has expired, once more.
#[test]
fn the_sweep_tells_of_an_assessment_expiring_and_expired_once_each() {
    let demo = Demo::start(&Db::Sqlite);
    let passwords = demo.seed();
    let customer = demo
        .login("customer-admin", &passwords["customer-admin"])
        .unwrap();
    let provider = demo
        .login("provider-admin", &passwords["provider-admin"])
        .unwrap();
    for who in [&customer, &provider] {
        who.post(
            "/api/v1/notifications/channels",
            &json!({ "name": "desk", "kind": "generic", "url": "http://127.0.0.1:9/hook",
                     "events": ["assessment_expiry"] }),
        );
    }
    let offerings = provider.get("/api/v1/offerings");
    let until = offerings
        .as_array()
        .unwrap()
        .iter()
        .find_map(|o| o["assessment"]["conclusion"]["valid_until"].as_str())
        .unwrap()
        .to_owned();
    let until = chrono::NaiveDate::parse_from_str(&until, "%Y-%m-%d").unwrap();
    let sweep = |day: chrono::NaiveDate| {
        demo.rt
            .block_on(cloudward_server::notify::sweep(&demo.state, day))
            .unwrap()
    };
    let expiry = |who: &Session| -> Vec<String> {
        who.get("/api/v1/notifications/deliveries")
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["event"] == "assessment_expiry")
            .map(|d| d["title"]["en"].as_str().unwrap().to_owned())
            .collect()
    };
    // A year before: nothing to say.
    assert_eq!(sweep(until - chrono::Duration::days(365)), 0);
    // Ten days before: both told, once however often the sweep runs.
    assert_eq!(sweep(until - chrono::Duration::days(10)), 2);
    assert_eq!(sweep(until - chrono::Duration::days(9)), 0);
    assert_eq!(expiry(&customer).len(), 1);
    assert_eq!(expiry(&provider).len(), 1);
    // The day after: expired, told once more.
    assert_eq!(sweep(until + chrono::Duration::days(1)), 2);
    assert_eq!(sweep(until + chrono::Duration::days(2)), 0);
    let told = expiry(&customer);
    assert_eq!(told.len(), 2, "{told:?}");
    assert_ne!(told[0], told[1], "expiring, then expired, in words");
}

/// Every document the server makes, from the demo's data as its users find it: each
/// engagement kind issued for the demo's engagements (the exit ones where there is an
/// exit record) in both languages, the assessment report of its assessment and the scan
/// report of its latest scan — each a Word file that opens as one.
#[test]
fn every_document_is_made_from_the_demo() {
    let demo = Demo::start(&Db::Sqlite);
    let passwords = demo.seed();
    let customer = demo
        .login("customer-admin", &passwords["customer-admin"])
        .unwrap();
    let list = customer.get("/api/v1/engagements?limit=200");
    let mut issued: BTreeSet<String> = BTreeSet::new();
    for e in list["items"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        for kind in cloudward_report::Kind::engagement_ids() {
            for lang in ["zh", "en"] {
                let (status, body) = customer.post_raw(
                    &format!("/api/v1/engagements/{id}/documents"),
                    &json!({ "kind": kind, "format": "docx", "lang": lang }),
                );
                match status {
                    200 | 201 => {
                        let doc = customer.get_bytes(&format!(
                            "/api/v1/documents/{}/content",
                            body["id"].as_str().unwrap()
                        ));
                        assert!(doc.starts_with(b"PK"), "{kind} of {}: a DOCX", e["name"]);
                        issued.insert(kind.to_owned());
                    }
                    // What the engagement cannot give yet: no exit record, or closed.
                    409 | 422 => {}
                    other => panic!("{kind} of {}: {other} {body}", e["name"]),
                }
            }
        }
    }
    let every: BTreeSet<String> = cloudward_report::Kind::engagement_ids()
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        issued, every,
        "every engagement kind from some demo engagement"
    );

    let assessor = demo
        .login("assessor-admin", &passwords["assessor-admin"])
        .unwrap();
    let assessments = assessor.get("/api/v1/assessments");
    let aid = assessments[0]["id"].as_str().unwrap();
    for lang in ["zh", "en"] {
        let doc = assessor.get_bytes(&format!(
            "/api/v1/assessments/{aid}/report?format=docx&lang={lang}"
        ));
        assert!(doc.starts_with(b"PK"));
    }
    let operation = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["phase"] == "operation")
        .unwrap();
    let posture = customer.get(&format!(
        "/api/v1/engagements/{}/posture",
        operation["id"].as_str().unwrap()
    ));
    let run = posture["latest_run"].as_str().unwrap();
    for lang in ["zh", "en"] {
        let doc = customer.get_bytes(&format!(
            "/api/v1/scans/{run}/document?format=docx&lang={lang}"
        ));
        assert!(doc.starts_with(b"PK"));
    }
}
