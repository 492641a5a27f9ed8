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

/// The monorepo layout: root modules in nested folders
/// (`teams/<team>/<service>/envs/<env>/`), four environments per service and five
/// services per team, as real repositories hold them.
const ENVS: [&str; 4] = ["prod", "staging", "dev", "test"];
const SERVICES: [&str; 5] = ["api", "web", "data", "jobs", "auth"];
const REGIONS: [&str; 4] = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen"];
/// Resources in the shared `modules/net` module, counted once per root that calls it.
const NET_RESOURCES: usize = 3;
/// Resources in each `.tf` file left in a hidden folder (never to be scanned).
const HIDDEN_RESOURCES: usize = 2;

/// What a monorepo tree holds, by construction: what a scan of it must find.
#[derive(Debug, Default, PartialEq, Eq)]
struct Manifest {
    /// Root module folders, relative to the tree, `/`-separated, in the order written.
    roots: Vec<String>,
    resources_in_roots: usize,
    module_calls: usize,
    tfvars: usize,
    hidden_files: usize,
}

impl Manifest {
    fn expected_resources(&self) -> usize {
        self.resources_in_roots + self.module_calls * NET_RESOURCES
    }

    fn to_json(&self, seed: u64) -> Value {
        json!({
            "layout": "monorepo",
            "seed": seed,
            "roots": self.roots.len(),
            "resources_in_roots": self.resources_in_roots,
            "module_calls": self.module_calls,
            "resources_per_module_call": NET_RESOURCES,
            "expected_resources": self.expected_resources(),
            "tfvars_files": self.tfvars,
            "hidden_tf_files": self.hidden_files,
            "hidden_resources": self.hidden_files * HIDDEN_RESOURCES,
            "root_paths": self.roots,
        })
    }
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, text)
}

/// Two misconfigured buckets in a hidden folder: a scan that enters it reports them.
fn hidden_tf(tag: &str) -> String {
    (0..HIDDEN_RESOURCES)
        .map(|k| {
            format!(
                "resource \"alicloud_oss_bucket\" \"hidden_{k}\" {{\n  bucket = \"{tag}-{k}\"\n  acl    = \"public-read-write\"\n}}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const NET_MODULE: &str = r#"variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

resource "alicloud_vpc" "this" {
  vpc_name   = var.name
  cidr_block = var.cidr
}

resource "alicloud_vswitch" "this" {
  vswitch_name = "${var.name}-a"
  vpc_id       = alicloud_vpc.this.id
  cidr_block   = var.cidr
  zone_id      = "cn-hangzhou-h"
}

resource "alicloud_security_group" "this" {
  security_group_name = "${var.name}-sg"
  vpc_id              = alicloud_vpc.this.id
}
"#;

/// A monorepo of `roots` root modules holding the `n` resources of [`resource`] (the same
/// sequence as the default layout) spread evenly over them. Root `r` lives in
/// `teams/team-TT/<service>/envs/<env>/` with `providers.tf` (the Alibaba region from
/// `var.region`), `variables.tf` (defaults), resources in files of 100, and:
/// - `terraform.tfvars` (another region and CIDR) in `prod` and `staging`;
/// - `main.tf` calling `../../modules/net` (3 resources) in two services of three;
/// - in one root of five, `.terraform/modules/vendored/main.tf`, and at the top
///   `.git/stale/main.tf`: hidden folders whose resources must not be scanned.
///
/// The layout is fixed by the root's index, the regions by a second generator seeded from
/// `seed`, so the same arguments always give the same bytes. The manifest is written to
/// `.bench/manifest.json` (a hidden folder without `.tf` files) and returned.
fn generate_monorepo(roots: usize, n: usize, seed: u64, dir: &Path) -> std::io::Result<Manifest> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng(seed);
    let mut layout = Rng(seed ^ 0x6D6F_6E6F_7265_706F);
    let mut m = Manifest::default();
    let per_env = ENVS.len();
    let per_team = SERVICES.len() * per_env;
    let mut i = 0;
    for r in 0..roots {
        let (team, service, env) = (
            r / per_team,
            SERVICES[(r / per_env) % SERVICES.len()],
            r % per_env,
        );
        let service_dir = format!("teams/team-{team:02}/{service}");
        let rel = format!("{service_dir}/envs/{}", ENVS[env]);
        let root = dir.join(&rel);
        fs::create_dir_all(&root)?;
        let region_index = (layout.next() % REGIONS.len() as u64) as usize;
        let region = REGIONS[region_index];
        let providers = format!(
            "terraform {{\n  required_providers {{\n    alicloud = {{\n      source = \"aliyun/alicloud\"\n    }}\n  }}\n}}\n\nprovider \"alicloud\" {{\n  region = var.region\n}}\n\n{}",
            PROVIDERS
                .split_once("\n\n")
                .map(|(_, rest)| rest)
                .unwrap_or_default()
        );
        write_file(&root.join("providers.tf"), &providers)?;
        let cidr = format!("10.{}.0.0/16", r % 250);
        write_file(
            &root.join("variables.tf"),
            &format!(
                "variable \"region\" {{\n  type    = string\n  default = \"{region}\"\n}}\n\nvariable \"env\" {{\n  type    = string\n  default = \"{}\"\n}}\n\nvariable \"vpc_cidr\" {{\n  type    = string\n  default = \"{cidr}\"\n}}\n",
                ENVS[env]
            ),
        )?;
        if env < 2 {
            // Another region than the default: the scan must take the tfvars' one.
            let other = REGIONS[(region_index + 1 + (layout.next() % 3) as usize) % REGIONS.len()];
            write_file(
                &root.join("terraform.tfvars"),
                &format!(
                    "region   = \"{other}\"\nvpc_cidr = \"172.{}.0.0/16\"\n",
                    16 + r % 16
                ),
            )?;
            m.tfvars += 1;
        }
        // Two services of three share a network module beside their environments.
        if (r / per_env) % 3 != 2 {
            if env == 0 {
                write_file(
                    &dir.join(&service_dir).join("modules/net/main.tf"),
                    NET_MODULE,
                )?;
            }
            write_file(
                &root.join("main.tf"),
                &format!(
                    "module \"net\" {{\n  source = \"../../modules/net\"\n  name   = \"${{var.env}}-{service}\"\n  cidr   = var.vpc_cidr\n}}\n"
                ),
            )?;
            m.module_calls += 1;
        }
        if r % 5 == 0 {
            write_file(
                &root.join(".terraform/modules/vendored/main.tf"),
                &hidden_tf(&format!("vendored-{r}")),
            )?;
            m.hidden_files += 1;
        }
        let end = (r + 1) * n / roots;
        let mut f = 0;
        while i < end {
            let mut out = BufWriter::new(File::create(root.join(format!("r{f:03}.tf")))?);
            for _ in 0..PER_FILE.min(end - i) {
                write_hcl_resource(&mut out, &resource(&mut rng, i))?;
                i += 1;
            }
            out.flush()?;
            f += 1;
        }
        m.roots.push(rel);
    }
    m.resources_in_roots = i;
    write_file(&dir.join(".git/stale/main.tf"), &hidden_tf("git-stale"))?;
    m.hidden_files += 1;
    let manifest = serde_json::to_string_pretty(&m.to_json(seed)).map_err(std::io::Error::other)?;
    write_file(&dir.join(".bench/manifest.json"), &(manifest + "\n"))?;
    Ok(m)
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: cloudward-bench generate --resources N --format hcl|plan --out PATH [--seed S]\n       cloudward-bench generate --layout monorepo [--roots R] --resources N --out DIR [--seed S]"
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
    let layout = get("--layout").unwrap_or_else(|| "modules".into());
    let format = get("--format").or_else(|| (layout == "monorepo").then(|| "hcl".into()));
    let (Some(n), Some(format), Some(out)) = (get("--resources"), format, get("--out")) else {
        return usage();
    };
    let Ok(n) = n.parse::<usize>() else {
        return usage();
    };
    let Ok(roots) = get("--roots").as_deref().unwrap_or("500").parse::<usize>() else {
        return usage();
    };
    let seed = get("--seed").and_then(|s| s.parse().ok()).unwrap_or(31167);
    let out = PathBuf::from(out);
    let result = match (layout.as_str(), format.as_str()) {
        ("modules", "hcl") => generate_hcl(n, seed, &out),
        ("modules", "plan") => generate_plan(n, seed, &out),
        ("monorepo", "hcl") if roots > 0 => generate_monorepo(roots, n, seed, &out).map(|_| ()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every file below `dir` (hidden ones too) by relative path, with its bytes.
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    let rel = p
                        .strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.insert(rel, fs::read(&p).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    #[test]
    fn monorepo_is_deterministic() {
        let tmp = tempfile::Builder::new().prefix("bench-").tempdir().unwrap();
        let (a, b, c) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
        );
        let ma = generate_monorepo(50, 700, 7, &a).unwrap();
        let mb = generate_monorepo(50, 700, 7, &b).unwrap();
        generate_monorepo(50, 700, 8, &c).unwrap();
        assert_eq!(ma, mb);
        let (ta, tb, tc) = (tree(&a), tree(&b), tree(&c));
        assert_eq!(ta, tb, "same seed, same bytes");
        assert_ne!(ta, tc, "another seed, another tree");
        assert_eq!(ta.keys().collect::<Vec<_>>(), tc.keys().collect::<Vec<_>>());
    }

    /// The scanner's own discovery finds every root and nothing hidden, and reads exactly
    /// the resources the manifest counts.
    #[test]
    fn monorepo_has_the_roots_the_scanner_finds() {
        let tmp = tempfile::Builder::new().prefix("bench-").tempdir().unwrap();
        let dir = tmp.path().join("mono");
        let m = generate_monorepo(500, 2_000, 31167, &dir).unwrap();
        assert_eq!(m.roots.len(), 500);
        assert_eq!(m.resources_in_roots, 2_000);
        assert!(m.module_calls > 0 && m.module_calls < 500);
        assert!(m.tfvars > 0 && m.tfvars < 500);
        assert!(m.hidden_files > 1);

        let mut loaded = cloudward_scan::input::Loaded::default();
        let found: Vec<String> = cloudward_scan::input::hcl::root_modules(&dir, &mut loaded)
            .iter()
            .map(|p| {
                p.strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        let mut expected = m.roots.clone();
        expected.sort();
        assert_eq!(found, expected);

        let loaded = cloudward_scan::input::read(
            std::slice::from_ref(&dir),
            &cloudward_scan::input::ReadOptions::default(),
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.resources.len(), m.expected_resources());
        let base = dir.to_string_lossy().into_owned();
        assert!(
            loaded.resources.iter().all(|r| !r
                .file
                .strip_prefix(base.as_str())
                .unwrap_or(&r.file)
                .contains("/.")),
            "a resource was read from a hidden folder"
        );
        // A root's terraform.tfvars sets the region of its Alibaba Cloud provider.
        let prod = dir.join("teams/team-00/api/envs/prod");
        let tfvars = fs::read_to_string(prod.join("terraform.tfvars")).unwrap();
        let region = tfvars.lines().next().unwrap().split('"').nth(1).unwrap();
        let prod = prod.to_string_lossy().into_owned();
        let ali: Vec<_> = loaded
            .resources
            .iter()
            .filter(|r| r.file.starts_with(prod.as_str()) && &*r.provider == "alicloud")
            .collect();
        assert!(!ali.is_empty());
        assert!(ali.iter().all(|r| r.region.as_deref() == Some(region)));
        // The manifest on disk says the same.
        let on_disk: Value =
            serde_json::from_slice(&fs::read(dir.join(".bench/manifest.json")).unwrap()).unwrap();
        assert_eq!(on_disk["roots"], json!(500));
        assert_eq!(on_disk["expected_resources"], json!(m.expected_resources()));
    }
}
