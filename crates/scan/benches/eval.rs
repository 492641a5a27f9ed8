//! Micro-benchmarks of rule evaluation: one resource against the rules of its type, and
//! the engine over a thousand resources. Run with `cargo bench -p cloudward-scan`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark setup"
)]

use std::hint::black_box;

use cloudward_domain::ProtectionLevel;
use cloudward_scan::engine;
use cloudward_scan::eval::{Ctx, eval};
use cloudward_scan::model::{Estate, Resource};
use cloudward_scan::rules::{self, Rule};
use cloudward_scan::value::Value;
use criterion::{Criterion, criterion_group, criterion_main};

fn resource(i: usize, rtype: &str, attrs: serde_json::Value) -> Resource {
    Resource {
        address: format!("{rtype}.r{i}").into(),
        rtype: rtype.into(),
        provider: rtype.split('_').next().unwrap_or("").into(),
        region: Some("cn-hangzhou".into()),
        file: "main.tf".into(),
        line: 1,
        attrs: Value::from_json(&attrs),
        refs: Box::new([]),
        ignored: Box::new([]),
    }
}

fn sample(i: usize) -> Resource {
    match i % 3 {
        0 => resource(
            i,
            "alicloud_oss_bucket",
            serde_json::json!({
                "bucket": format!("b{i}"), "acl": if i.is_multiple_of(5) { "public-read" } else { "private" },
                "server_side_encryption_rule": [{ "sse_algorithm": "AES256" }],
                "versioning": [{ "status": "Enabled" }], "logging": [{ "target_bucket": "logs" }]
            }),
        ),
        1 => resource(
            i,
            "alicloud_security_group_rule",
            serde_json::json!({
                "type": "ingress", "ip_protocol": "tcp", "policy": "accept",
                "port_range": if i.is_multiple_of(5) { "22/22" } else { "443/443" }, "cidr_ip": "0.0.0.0/0"
            }),
        ),
        _ => resource(
            i,
            "alicloud_db_instance",
            serde_json::json!({
                "engine": "MySQL", "security_ips": ["10.0.0.0/8"], "ssl_action": "Open", "tde_status": "Enabled"
            }),
        ),
    }
}

fn setup() -> (Vec<Rule>, cloudward_domain::load::Content) {
    let content = cloudward_content::embedded_content().unwrap();
    let sources: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    let rules = rules::load(&[&sources], &content.catalog).unwrap();
    (rules, content)
}

fn benches(c: &mut Criterion) {
    let (rules, content) = setup();
    let selected = engine::select(&rules, ProtectionLevel::Advanced);

    let one = Estate::new(vec![sample(0)]);
    let res = &one.resources[0];
    let ctx = Ctx::new(&one, &content.regions);
    let bucket_rules: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.resources.iter().any(|t| **t == *res.rtype))
        .collect();
    c.bench_function("eval: one OSS bucket against every OSS rule", |b| {
        b.iter(|| {
            for r in &bucket_rules {
                black_box(eval(&r.cond, res, &res.attrs, &ctx));
            }
        })
    });

    let estate = Estate::new((0..1000).map(sample).collect());
    c.bench_function("engine: 1000 resources, all rules", |b| {
        b.iter(|| {
            black_box(engine::run(
                &rules,
                &selected,
                &estate,
                &content.regions,
                None,
            ))
        })
    });
}

criterion_group!(scan, benches);
criterion_main!(scan);
