//! Server benchmark: requests per second and latency percentiles of a few endpoints under
//! a bounded number of concurrent clients, against a server started in this process on a
//! fresh SQLite database (and PostgreSQL, when `CLOUDWARD_TEST_POSTGRES_URL` names an
//! administrative connection). Each endpoint's cost is reported relative to `/healthz`
//! measured in the same run. Not part of the test suite: `bench/server` runs it (release
//! build) and writes bench/results/server-*.{json,md}.
//!
//!     serve-bench [--findings N] [--requests N] [--out PREFIX]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cloudward_server::{AppState, Config};
use cloudward_store::{Actor, EngagementData, NewRecord, NewToken, OrgKind, Role, Store};
use serde_json::{Value, json};

struct Args {
    findings: usize,
    requests: usize,
    out: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        findings: 10_000,
        requests: 4_000,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--findings" => a.findings = value.parse().unwrap_or(a.findings),
            "--requests" => a.requests = value.parse().unwrap_or(a.requests),
            "--out" => a.out = Some(value),
            other => {
                eprintln!(
                    "unknown flag {other}; accepted: --findings N, --requests N, --out PREFIX"
                );
                std::process::exit(2);
            }
        }
    }
    a
}

/// A customer with one engagement holding `findings` open findings, and a read-only token.
async fn seed(store: &dyn Store, findings: usize) -> Result<(String, String), String> {
    let err = |e: cloudward_store::StoreError| e.to_string();
    let sys = Actor::system();
    let org = store
        .create_org(&sys, "Bench customer", OrgKind::Customer)
        .await
        .map_err(err)?;
    let text = include_str!("../../../../examples/community-sensitive-critical.yaml");
    let file = cloudward_domain::engagement::parse(text).map_err(|e| e.to_string())?;
    let e = store
        .create_engagement(
            &sys,
            &org.id,
            EngagementData {
                name: file.name.clone(),
                phase: file.phase,
                level: Some(cloudward_store::ProtectionLevel::Advanced),
                document: serde_json::to_value(&file).map_err(|e| e.to_string())?,
                parties: Vec::new(),
            },
        )
        .await
        .map_err(err)?;
    let now = cloudward_store::stamp(cloudward_store::now());
    let mut creates = Vec::with_capacity(findings);
    for i in 0..findings {
        let address = format!("alicloud_oss_bucket.b{i}");
        creates.push(
            NewRecord::new(
                "finding",
                org.id.clone(),
                json!({
                "key": format!("ALI-OSS-001|{address}"), "rule_id": "ALI-OSS-001",
                "severity": "high", "controls": ["SC-11"], "address": address,
                "resource_type": "alicloud_oss_bucket", "message": "bucket is public",
                "state": if i % 5 == 0 { "accepted" } else { "open" },
                "assignee": if i % 3 == 0 { Value::from("ops-team") } else { Value::Null },
                "accepted_reason": null, "accepted_until": null,
                "first_seen": now, "history": [["run@bench", "opened"]],
                }),
            )
            .of_engagement(e.id.clone()),
        );
    }
    // The findings as a scan that opened them writes them.
    let run = cloudward_server::supervision::RunData {
        at: now.clone(),
        uploaded_by: sys.id.clone(),
        source: "upload".into(),
        inputs: Value::Null,
        level: Some("advanced".into()),
        failed: i64::try_from(findings).unwrap_or(i64::MAX),
        passed: 0,
        unknown: 0,
        resources: i64::try_from(findings).unwrap_or(i64::MAX),
        controls_failed: vec!["SC-11".into()],
        controls_passed: Vec::new(),
        controls_not_evaluated: Vec::new(),
        by_family: Default::default(),
        by_severity: Default::default(),
        opened: findings,
        reopened: 0,
        closed: 0,
        report_sha256: None,
    };
    let run = NewRecord::new(
        "scan_run",
        org.id.clone(),
        serde_json::to_value(&run).map_err(|e| e.to_string())?,
    )
    .of_engagement(e.id.clone());
    store
        .record_scan(&sys, run, creates, Vec::new())
        .await
        .map_err(err)?;
    let secret = "cwt_bench_token_not_secret".to_owned();
    store
        .create_token(
            &sys,
            NewToken {
                org_id: org.id,
                name: "bench".into(),
                role: Role::ReadOnly,
                token_hash: cloudward_server::auth::sha256_hex(&secret),
                prefix: secret.chars().take(12).collect(),
                ..Default::default()
            },
        )
        .await
        .map_err(err)?;
    Ok((e.id, secret))
}

struct Measured {
    endpoint: &'static str,
    concurrency: usize,
    requests: usize,
    errors: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Measured {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

async fn load(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    concurrency: usize,
    requests: usize,
) -> (Vec<Duration>, usize, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        let (next, errors) = (next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let ok = match client.get(&url).bearer_auth(&token).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                times.push(t.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            times
        }));
    }
    let mut all = Vec::with_capacity(requests);
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let seconds = start.elapsed().as_secs_f64();
    all.sort();
    (all, errors.load(Ordering::Relaxed), seconds)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn bench_database(
    name: &str,
    database: Option<String>,
    a: &Args,
) -> Result<Vec<Measured>, String> {
    let dir = std::env::temp_dir().join(format!(
        "cloudward-serve-bench-{}-{name}",
        std::process::id()
    ));
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        database,
        // The load client is one address: do not let the login limits get in the way.
        max_connections: 1024,
        ..Config::default()
    };
    let store = cloudward_store::open(&config.store_options())
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("{name}: seeding {} findings", a.findings);
    let (engagement, token) = seed(store.as_ref(), a.findings).await?;
    let listener = cloudward_server::bind(&config)
        .await
        .map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let state = AppState::new(store, config)?;
    tokio::spawn(cloudward_server::serve(listener, state));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|e| e.to_string())?;
    // The cursor of the same deep page: the 5,000th open finding.
    let cursor = client
        .get(format!(
            "{base}/api/v1/engagements/{engagement}/findings?state=open&limit=1&offset=4999"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json::<serde_json::Value>()
        .await
        .map_err(|e| e.to_string())?
        .get(0)
        .and_then(|f| f["id"].as_str().map(str::to_owned))
        .ok_or("no 5,000th open finding to start the cursor page from")?;
    let endpoints: [(&'static str, String); 5] = [
        ("GET /healthz", format!("{base}/healthz")),
        (
            "read: GET /api/v1/engagements/{id}",
            format!("{base}/api/v1/engagements/{engagement}"),
        ),
        (
            "list: GET …/findings?state=open&limit=50&offset=5000",
            format!(
                "{base}/api/v1/engagements/{engagement}/findings?state=open&limit=50&offset=5000"
            ),
        ),
        (
            "list: GET …/findings?state=open&limit=50&after={5000th}",
            format!(
                "{base}/api/v1/engagements/{engagement}/findings?state=open&limit=50&after={cursor}"
            ),
        ),
        (
            "check: GET …/check",
            format!("{base}/api/v1/engagements/{engagement}/check?date=2026-11-28"),
        ),
    ];
    let mut out = Vec::new();
    for concurrency in [16, 64] {
        for (endpoint, url) in &endpoints {
            // Warm up the connections and caches.
            load(&client, url, &token, concurrency, concurrency * 2).await;
            let (times, errors, seconds) =
                load(&client, url, &token, concurrency, a.requests).await;
            let m = Measured {
                endpoint,
                concurrency,
                requests: times.len(),
                errors,
                seconds,
                p50_ms: percentile(&times, 0.50),
                p99_ms: percentile(&times, 0.99),
            };
            eprintln!(
                "{name} c{concurrency} {endpoint}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                m.rps(),
                m.p50_ms,
                m.p99_ms,
                m.errors
            );
            out.push(m);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let a = args();
    let mut runs: Vec<(&str, Vec<Measured>)> = Vec::new();
    match bench_database("sqlite", None, &a).await {
        Ok(m) => runs.push(("sqlite", m)),
        Err(e) => {
            eprintln!("sqlite: {e}");
            std::process::exit(1);
        }
    }
    if let Some(admin) = cloudward_store::testing::postgres_admin_url() {
        let url = match cloudward_store::testing::fresh_postgres_database(&admin).await {
            Ok(u) => u,
            Err(e) => {
                eprintln!("postgres: {e}");
                std::process::exit(1);
            }
        };
        match bench_database("postgres", Some(url), &a).await {
            Ok(m) => runs.push(("postgres", m)),
            Err(e) => {
                eprintln!("postgres: {e}");
                std::process::exit(1);
            }
        }
    } else {
        eprintln!("postgres: skipped (CLOUDWARD_TEST_POSTGRES_URL is not set)");
    }
    let mut md = format!(
        "# Server benchmark\n\n{} findings in the engagement; {} requests per measurement after a warm-up; \
         cost = requests per second of `/healthz` ÷ those of the endpoint, same database and concurrency. \
         Target: a page of findings within 3× `/healthz`, no errors.\n\n\
         | database | concurrency | endpoint | req/s | p50 ms | p99 ms | errors | cost × healthz |\n|---|---|---|---|---|---|---|---|\n",
        a.findings, a.requests
    );
    let mut json_runs = Vec::new();
    for (db, ms) in &runs {
        for m in ms {
            let healthz = ms
                .iter()
                .find(|h| h.endpoint == "GET /healthz" && h.concurrency == m.concurrency)
                .map_or(1.0, Measured::rps);
            let cost = healthz / m.rps();
            md.push_str(&format!(
                "| {db} | {} | `{}` | {:.0} | {:.2} | {:.2} | {} | {:.1} |\n",
                m.concurrency,
                m.endpoint,
                m.rps(),
                m.p50_ms,
                m.p99_ms,
                m.errors,
                cost
            ));
            json_runs.push(json!({
                "database": db, "concurrency": m.concurrency, "endpoint": m.endpoint,
                "requests": m.requests, "errors": m.errors, "seconds": m.seconds,
                "rps": m.rps(), "p50_ms": m.p50_ms, "p99_ms": m.p99_ms, "cost_vs_healthz": cost,
            }));
        }
    }
    print!("{md}");
    if let Some(prefix) = &a.out {
        let doc = json!({ "findings": a.findings, "requests": a.requests, "runs": json_runs });
        let written = std::fs::write(format!("{prefix}.md"), &md).and_then(|()| {
            std::fs::write(
                format!("{prefix}.json"),
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            )
        });
        if let Err(e) = written {
            eprintln!("{prefix}: {e}");
            std::process::exit(1);
        }
    }
}
