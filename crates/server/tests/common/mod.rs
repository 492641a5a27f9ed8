//! A real server on a random port per test, on SQLite or (when CLOUDWARD_TEST_POSTGRES_URL
//! is set) PostgreSQL, with a small world of organisations, users and engagements.
#![allow(dead_code, reason = "each test file uses a part")]

use std::collections::HashMap;
use std::sync::Arc;

use cloudward_server::{AppState, Config};
use cloudward_store::{Actor, EngagementData, NewUser, OrgKind, Party, Role, Store};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub dir: tempfile::TempDir,
    pub orgs: HashMap<&'static str, String>,
    pub engagements: HashMap<&'static str, String>,
    /// The server's state (its login throttle's clock can be moved forward).
    pub state: AppState,
    rt: tokio::runtime::Runtime,
}

/// A logged-in client.
pub struct User {
    pub client: Client,
    pub csrf: String,
    pub base: String,
    pub name: String,
    /// An API token instead of the session.
    pub token: Option<String>,
}

impl User {
    fn auth(&self, r: reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder {
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r.header("x-csrf-token", &self.csrf),
        }
    }
    pub fn get(&self, path: &str) -> Response {
        self.auth(self.client.get(format!("{}{path}", self.base)))
            .send()
            .unwrap()
    }
    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.auth(self.client.post(format!("{}{path}", self.base)))
            .json(body)
            .send()
            .unwrap()
    }
    pub fn put(&self, path: &str, body: &Value) -> Response {
        self.auth(self.client.put(format!("{}{path}", self.base)))
            .json(body)
            .send()
            .unwrap()
    }
    /// POSTs raw bytes (a file) as JSON.
    pub fn post_bytes(&self, path: &str, body: Vec<u8>) -> Response {
        self.auth(self.client.post(format!("{}{path}", self.base)))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .unwrap()
    }
    /// POSTs a console form (urlencoded), with the session's CSRF token.
    pub fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&all))
            .send()
            .unwrap()
    }
    /// POSTs a console form with a file (multipart), with the session's CSRF token.
    pub fn post_file(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> Response {
        let boundary = "cloudward-test-boundary";
        let mut body = Vec::new();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        for (name, value) in all {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .unwrap()
    }
    pub fn delete(&self, path: &str) -> Response {
        self.auth(self.client.delete(format!("{}{path}", self.base)))
            .send()
            .unwrap()
    }
    /// A client that authenticates with `token` and has no session.
    pub fn token_user(&self, name: &str, token: &str) -> User {
        User {
            client: Client::new(),
            csrf: String::new(),
            base: self.base.clone(),
            name: name.to_owned(),
            token: Some(token.to_owned()),
        }
    }
}

pub enum Db {
    Sqlite,
    Postgres,
}

/// Which databases to run on: SQLite always, PostgreSQL when configured.
pub fn databases() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    if cloudward_store::testing::postgres_admin_url().is_some() {
        v.push(Db::Postgres);
    }
    v
}

pub fn document(name: &str) -> Value {
    let text = include_str!("../../../../examples/community-sensitive-critical.yaml");
    let file = cloudward_domain::engagement::parse(text).unwrap();
    let mut v = serde_json::to_value(file).unwrap();
    v["name"] = json!(name);
    v
}

impl TestServer {
    pub fn start(db: &Db, tweak: impl FnOnce(&mut Config)) -> TestServer {
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
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_owned(),
            database,
            checkpoint_interval: 10,
            // Tests deliver notifications themselves (`notify::deliver_due`).
            notify_interval_seconds: 0,
            ..Config::default()
        };
        tweak(&mut config);
        let store = rt
            .block_on(cloudward_store::open(&config.store_options()))
            .unwrap();
        let (orgs, engagements) = rt.block_on(world(store.as_ref()));
        let listener = rt.block_on(cloudward_server::bind(&config)).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(store.clone(), config).unwrap();
        rt.spawn(cloudward_server::serve(listener, state.clone()));
        TestServer {
            base: format!("http://{addr}"),
            store,
            dir,
            orgs,
            engagements,
            state,
            rt,
        }
    }

    pub fn anonymous(&self) -> Client {
        Client::builder().cookie_store(true).build().unwrap()
    }

    pub fn try_login(&self, client: &Client, name: &str, password: &str) -> Response {
        client
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({ "username": name, "password": password }))
            .send()
            .unwrap()
    }

    pub fn login(&self, name: &str) -> User {
        let client = self.anonymous();
        let r = self.try_login(&client, name, PASSWORD);
        assert_eq!(r.status(), 200, "login {name}");
        let body: Value = r.json().unwrap();
        User {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
            name: name.to_owned(),
            token: None,
        }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// Customers A and B; A's engagement EA names provider PA, assessor AS and security service
/// provider SS; B's engagement EB names provider PB. One user per organisation and role.
async fn world(
    store: &dyn Store,
) -> (HashMap<&'static str, String>, HashMap<&'static str, String>) {
    let sys = Actor::system();
    let mut orgs = HashMap::new();
    for (key, name, kind) in [
        ("A", "Customer A", OrgKind::Customer),
        ("B", "Customer B", OrgKind::Customer),
        ("PA", "Provider A", OrgKind::Provider),
        ("PB", "Provider B", OrgKind::Provider),
        ("AS", "Assessor", OrgKind::Assessor),
        ("SS", "Security services", OrgKind::SecurityServiceProvider),
    ] {
        orgs.insert(key, store.create_org(&sys, name, kind).await.unwrap().id);
    }
    let hash = cloudward_server::auth::hash_password(PASSWORD).unwrap();
    let users: [(&str, Option<&str>, Role, bool); 10] = [
        ("a-admin", Some("A"), Role::OrgAdmin, false),
        ("a-member", Some("A"), Role::Member, false),
        ("a-viewer", Some("A"), Role::ReadOnly, false),
        ("b-admin", Some("B"), Role::OrgAdmin, false),
        ("b-member", Some("B"), Role::Member, false),
        ("pa-admin", Some("PA"), Role::OrgAdmin, false),
        ("pb-admin", Some("PB"), Role::OrgAdmin, false),
        ("as-admin", Some("AS"), Role::OrgAdmin, false),
        ("ss-admin", Some("SS"), Role::OrgAdmin, false),
        ("root", None, Role::OrgAdmin, true),
    ];
    for (name, org, role, platform_admin) in users {
        store
            .create_user(
                &sys,
                NewUser {
                    org_id: org.map(|o| orgs[o].clone()),
                    username: name.into(),
                    display_name: name.into(),
                    password_hash: hash.clone(),
                    role,
                    platform_admin,
                },
            )
            .await
            .unwrap();
    }
    let mut engagements = HashMap::new();
    let ea = store
        .create_engagement(
            &sys,
            &orgs["A"],
            EngagementData {
                name: "EA".into(),
                phase: cloudward_store::Phase::Operation,
                level: Some(cloudward_store::ProtectionLevel::Advanced),
                document: document("EA"),
                parties: vec![
                    (Party::Provider, orgs["PA"].clone()),
                    (Party::Assessor, orgs["AS"].clone()),
                    (Party::SecurityServiceProvider, orgs["SS"].clone()),
                ],
            },
        )
        .await
        .unwrap();
    let eb = store
        .create_engagement(
            &sys,
            &orgs["B"],
            EngagementData {
                name: "EB".into(),
                phase: cloudward_store::Phase::Operation,
                level: Some(cloudward_store::ProtectionLevel::Advanced),
                document: document("EB"),
                parties: vec![(Party::Provider, orgs["PB"].clone())],
            },
        )
        .await
        .unwrap();
    engagements.insert("EA", ea.id);
    engagements.insert("EB", eb.id);
    (orgs, engagements)
}

/// A draft IaaS offering of `provider` with an assessment at the general level invited to
/// the assessor organisation `AS`: (offering id, assessment id).
pub fn offering_under_assessment(s: &TestServer, provider: &User) -> (String, String) {
    let o: Value = provider
        .post(
            "/api/v1/offerings",
            &json!({ "published": false, "offering": {
                "name": "Gov IaaS", "service_category": "iaas", "deployment_model": "community",
                "claimed_level": "general" } }),
        )
        .json()
        .unwrap();
    let oid = o["id"].as_str().unwrap().to_owned();
    let a: Value = provider
        .post(
            &format!("/api/v1/offerings/{oid}/assessments"),
            &json!({ "assessor_org_id": s.orgs["AS"], "level": "general" }),
        )
        .json()
        .unwrap();
    (oid, a["id"].as_str().unwrap().to_owned())
}

/// Results for every control applicable at the advanced level, each satisfied: what an
/// assessment needs before it can pass.
pub fn all_satisfied() -> serde_json::Map<String, Value> {
    let catalog = cloudward_content::embedded_content().unwrap().catalog;
    catalog
        .applicable(cloudward_domain::ProtectionLevel::Advanced)
        .map(|c| {
            (
                c.id.clone(),
                json!({ "result": "satisfied", "notes": "seen", "waiver": "seen on site" }),
            )
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body (a console form).
pub fn form(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
