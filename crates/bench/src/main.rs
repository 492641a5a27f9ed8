//! `cloudward-bench generate`: deterministic synthetic estates for the scanner benchmark —
//! N resources across Alibaba, Tencent, Huawei and AWS, with realistic attribute shapes
//! and about one resource in five misconfigured, written as a Terraform tree (many
//! modules and files) or as `terraform show -json` plan output.
//!
//! The same seed and N always give the same bytes, so runs on different machines and
//! tools scan the same corpus.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

/// splitmix64: small, fast and deterministic; statistical quality is ample here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True with probability `p` percent.
    fn chance(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// One synthetic resource: type, name and attributes (nested blocks as lists of objects).
struct Res {
    rtype: &'static str,
    name: String,
    attrs: Value,
}

const BAD: u64 = 20;

fn resource(rng: &mut Rng, i: usize) -> Res {
    let name = format!("r{i:07}");
    let roll = rng.next() % 100;
    let (rtype, attrs) = if roll < 50 {
        match rng.next() % 6 {
            0 => (
                "alicloud_oss_bucket",
                json!({
                    "bucket": format!("gov-{i}"),
                    "acl": if rng.chance(BAD) { "public-read" } else { "private" },
                    "server_side_encryption_rule": if rng.chance(BAD) { json!([]) } else { json!([{ "sse_algorithm": rng.pick(&["AES256", "KMS", "SM4"]) }]) },
                    "versioning": [{ "status": if rng.chance(BAD) { "Suspended" } else { "Enabled" } }],
                    "logging": [{ "target_bucket": "gov-logs", "target_prefix": format!("{i}/") }],
                    "tags": { "env": rng.pick(&["prod", "test"]), "owner": "bigdata-bureau" },
                }),
            ),
            1 => (
                "alicloud_ecs_disk",
                json!({
                    "zone_id": rng.pick(&["cn-hangzhou-h", "cn-beijing-g", "cn-shanghai-b"]),
                    "size": 20 + (rng.next() % 500),
                    "category": "cloud_essd",
                    "encrypted": !rng.chance(BAD),
                    "kms_key_id": "kms-key-0001",
                }),
            ),
            2 => (
                "alicloud_security_group_rule",
                json!({
                    "type": "ingress",
                    "ip_protocol": "tcp",
                    "policy": "accept",
                    "port_range": if rng.chance(BAD) { rng.pick(&["22/22", "3389/3389", "3306/3306"]) } else { "443/443" },
                    "cidr_ip": if rng.chance(BAD) { "0.0.0.0/0" } else { "10.0.0.0/8" },
                    "security_group_id": format!("sg-{i:08}"),
                    "priority": 1,
                }),
            ),
            3 => (
                "alicloud_db_instance",
                json!({
                    "engine": "MySQL",
                    "engine_version": "8.0",
                    "instance_type": "mysql.n2.medium.1",
                    "instance_storage": 100,
                    "security_ips": if rng.chance(BAD) { json!(["0.0.0.0/0"]) } else { json!(["10.0.0.0/8", "172.16.0.0/12"]) },
                    "ssl_action": if rng.chance(BAD) { "Close" } else { "Open" },
                    "tde_status": "Enabled",
                    "sql_collector_status": "Enabled",
                    "sql_collector_config_value": 180,
                }),
            ),
            4 => (
                "alicloud_kms_key",
                json!({
                    "description": format!("key {i}"),
                    "automatic_rotation": if rng.chance(BAD) { "Disabled" } else { "Enabled" },
                    "rotation_interval": "365d",
                    "pending_window_in_days": 30,
                    "status": "Enabled",
                }),
            ),
            _ => (
                "alicloud_log_store",
                json!({
                    "project_name": "gov-audit",
                    "logstore_name": format!("store-{i}"),
                    "retention_period": if rng.chance(BAD) { 30 } else { 180 },
                    "shard_count": 2,
                }),
            ),
        }
    } else if roll < 65 {
        match rng.next() % 3 {
            0 => (
                "tencentcloud_cos_bucket",
                json!({
                    "bucket": format!("web-{i}-1250000000"),
                    "acl": if rng.chance(BAD) { "public-read" } else { "private" },
                    "encryption_algorithm": "AES256",
                    "versioning_enable": !rng.chance(BAD),
                }),
            ),
            1 => (
                "tencentcloud_cbs_storage",
                json!({
                    "storage_name": format!("disk-{i}"),
                    "storage_type": "CLOUD_PREMIUM",
                    "storage_size": 100,
                    "availability_zone": "ap-guangzhou-3",
                    "encrypt": !rng.chance(BAD),
                }),
            ),
            _ => (
                "tencentcloud_security_group_rule",
                json!({
                    "security_group_id": format!("sg-{i}"),
                    "type": "ingress",
                    "cidr_ip": if rng.chance(BAD) { "0.0.0.0/0" } else { "10.0.0.0/8" },
                    "ip_protocol": "tcp",
                    "port_range": if rng.chance(BAD) { "22" } else { "443" },
                    "policy": "accept",
                }),
            ),
        }
    } else if roll < 80 {
        match rng.next() % 3 {
            0 => (
                "huaweicloud_obs_bucket",
                json!({
                    "bucket": format!("obs-{i}"),
                    "acl": if rng.chance(BAD) { "public-read" } else { "private" },
                    "encryption": !rng.chance(BAD),
                    "versioning": true,
                }),
            ),
            1 => (
                "huaweicloud_evs_volume",
                json!({
                    "name": format!("vol-{i}"),
                    "availability_zone": "cn-north-4a",
                    "volume_type": "SSD",
                    "size": 100,
                    "kms_id": if rng.chance(BAD) { Value::Null } else { json!("kms-0001") },
                }),
            ),
            _ => (
                "huaweicloud_networking_secgroup_rule",
                json!({
                    "security_group_id": format!("sg-{i}"),
                    "direction": "ingress",
                    "ethertype": "IPv4",
                    "protocol": "tcp",
                    "port_range_min": if rng.chance(BAD) { 22 } else { 443 },
                    "port_range_max": if rng.chance(BAD) { 22 } else { 443 },
                    "remote_ip_prefix": if rng.chance(BAD) { "0.0.0.0/0" } else { "10.0.0.0/8" },
                }),
            ),
        }
    } else {
        match rng.next() % 3 {
            0 => (
                "aws_ebs_volume",
                json!({
                    "availability_zone": "cn-north-1a",
                    "size": 100,
                    "type": "gp3",
                    "encrypted": !rng.chance(BAD),
                }),
            ),
            1 => (
                "aws_db_instance",
                json!({
                    "engine": "mysql",
                    "instance_class": "db.t3.medium",
                    "allocated_storage": 100,
                    "publicly_accessible": rng.chance(BAD),
                    "storage_encrypted": !rng.chance(BAD),
                    "backup_retention_period": if rng.chance(BAD) { 1 } else { 7 },
                    "deletion_protection": true,
                }),
            ),
            _ => (
                "aws_security_group",
                json!({
                    "name": format!("sg-{i}"),
                    "vpc_id": "vpc-0001",
                    "ingress": [{
                        "from_port": if rng.chance(BAD) { 22 } else { 443 },
                        "to_port": if rng.chance(BAD) { 22 } else { 443 },
                        "protocol": "tcp",
                        "cidr_blocks": if rng.chance(BAD) { json!(["0.0.0.0/0"]) } else { json!(["10.0.0.0/8"]) },
                    }],
                }),
            ),
        }
    };
    Res { rtype, name, attrs }
}

const PROVIDERS: &str = r#"provider "alicloud" {
  region = "cn-hangzhou"
}

provider "tencentcloud" {
  region = "ap-guangzhou"
}

provider "huaweicloud" {
  region = "cn-north-4"
}

provider "aws" {
  region = "cn-north-1"
}
"#;

/// HCL for a value: objects in lists become nested blocks at the top level of a resource.
fn hcl_value(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(hcl_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{ {} }}",
            o.iter()
                .map(|(k, v)| format!("{k} = {}", hcl_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn write_hcl_resource(out: &mut impl Write, r: &Res) -> std::io::Result<()> {
    writeln!(out, "resource \"{}\" \"{}\" {{", r.rtype, r.name)?;
    if let Value::Object(o) = &r.attrs {
        for (k, v) in o {
            match v {
                Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
                    for item in items {
                        writeln!(out, "  {k} {{")?;
                        if let Value::Object(b) = item {
                            for (bk, bv) in b {
                                writeln!(out, "    {bk} = {}", hcl_value(bv))?;
                            }
                        }
                        writeln!(out, "  }}")?;
                    }
                }
                Value::Array(items) if items.is_empty() && k.ends_with("_rule") => {}
                Value::Null => {}
                _ => writeln!(out, "  {k} = {}", hcl_value(v))?,
            }
        }
    }
    writeln!(out, "}}\n")
}

const PER_FILE: usize = 100;
const PER_MODULE: usize = 1000;

fn generate_hcl(n: usize, seed: u64, dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng(seed);
    let modules = n.div_ceil(PER_MODULE);
    let mut root = BufWriter::new(File::create(dir.join("main.tf"))?);
    root.write_all(PROVIDERS.as_bytes())?;
    for m in 0..modules {
        writeln!(
            root,
            "\nmodule \"m{m:04}\" {{\n  source = \"./modules/m{m:04}\"\n}}"
        )?;
    }
    root.flush()?;
    let mut i = 0;
    for m in 0..modules {
        let mdir = dir.join(format!("modules/m{m:04}"));
        fs::create_dir_all(&mdir)?;
        let in_module = PER_MODULE.min(n - i);
        for f in 0..in_module.div_ceil(PER_FILE) {
            let mut out = BufWriter::new(File::create(mdir.join(format!("r{f:03}.tf")))?);
            for _ in 0..PER_FILE.min(n - i) {
                write_hcl_resource(&mut out, &resource(&mut rng, i))?;
                i += 1;
            }
            out.flush()?;
        }
    }
    Ok(())
}

fn generate_plan(n: usize, seed: u64, file: &Path) -> std::io::Result<()> {
    if let Some(parent) = file.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut rng = Rng(seed);
    let mut out = BufWriter::new(File::create(file)?);
    write!(
        out,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.8\",\"planned_values\":{{\"root_module\":{{\"resources\":[],\"child_modules\":["
    )?;
    let modules = n.div_ceil(PER_MODULE);
    let mut i = 0;
    for m in 0..modules {
        if m > 0 {
            write!(out, ",")?;
        }
        write!(out, "\n{{\"address\":\"module.m{m:04}\",\"resources\":[")?;
        for k in 0..PER_MODULE.min(n - i) {
            let r = resource(&mut rng, i);
            if k > 0 {
                write!(out, ",")?;
            }
            let provider = r.rtype.split('_').next().unwrap_or("");
            let doc = json!({
                "address": format!("module.m{m:04}.{}.{}", r.rtype, r.name),
                "mode": "managed",
                "type": r.rtype,
                "name": r.name,
                "provider_name": format!("registry.terraform.io/x/{provider}"),
                "schema_version": 0,
                "values": r.attrs,
                "sensitive_values": {},
            });
            write!(out, "\n{}", serde_json::to_string(&doc).unwrap_or_default())?;
            i += 1;
        }
        write!(out, "]}}")?;
    }
    write!(out, "]}}}},\"configuration\":{{\"provider_config\":{{")?;
    write!(
        out,
        "\"alicloud\":{{\"name\":\"alicloud\",\"expressions\":{{\"region\":{{\"constant_value\":\"cn-hangzhou\"}}}}}},"
    )?;
    write!(
        out,
        "\"tencentcloud\":{{\"name\":\"tencentcloud\",\"expressions\":{{\"region\":{{\"constant_value\":\"ap-guangzhou\"}}}}}},"
    )?;
    write!(
        out,
        "\"huaweicloud\":{{\"name\":\"huaweicloud\",\"expressions\":{{\"region\":{{\"constant_value\":\"cn-north-4\"}}}}}},"
    )?;
    write!(
        out,
        "\"aws\":{{\"name\":\"aws\",\"expressions\":{{\"region\":{{\"constant_value\":\"cn-north-1\"}}}}}}"
    )?;
    writeln!(out, "}}}}}}")?;
    out.flush()
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cloudward-bench generate --resources N --format hcl|plan --out PATH [--seed S]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("generate") {
        return usage();
    }
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(n), Some(format), Some(out)) = (get("--resources"), get("--format"), get("--out"))
    else {
        return usage();
    };
    let Ok(n) = n.parse::<usize>() else {
        return usage();
    };
    let seed = get("--seed").and_then(|s| s.parse().ok()).unwrap_or(31167);
    let out = PathBuf::from(out);
    let result = match format.as_str() {
        "hcl" => generate_hcl(n, seed, &out),
        "plan" => generate_plan(n, seed, &out),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cloudward-bench: {e}");
            ExitCode::from(2)
        }
    }
}
