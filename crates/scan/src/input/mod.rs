//! Input readers: Terraform HCL directories, `terraform show -json` plans and states, and
//! inventory snapshots. Each turns its input into [`Resource`]s; errors name the file,
//! line and column, and never stop the other files from being read.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::model::Resource;

pub mod budget;
pub mod hcl;
pub mod inventory;
pub mod plan;
pub mod ros;
pub mod secrets;

/// Limits that keep a hostile or broken input from exhausting the machine.
pub const MAX_FILE_BYTES: u64 = 4 << 30;
/// Deepest nesting of brackets accepted in an HCL file (JSON has serde_json's own limit).
pub const MAX_NESTING: usize = 200;
/// Most entries of one map or block in an HCL file: the HCL parser's cost grows with the
/// square of a map's keys.
pub const MAX_OBJECT_ENTRIES: usize = 10_000;
/// Most parser work (Σ entries² over a file's maps and blocks) accepted for one HCL file.
pub const MAX_OBJECT_WORK: u64 = 200_000_000;
/// Deepest chain of local modules.
pub const MAX_MODULE_DEPTH: usize = 16;
/// Most instances one `count` / `for_each` may expand to.
pub const MAX_INSTANCES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputType {
    /// A Terraform configuration directory (or a single `.tf` file).
    Hcl,
    /// `terraform show -json` of a plan or a state.
    Plan,
    /// An inventory snapshot (JSON array or JSON Lines).
    Inventory,
    /// An Alibaba Cloud ROS template (YAML or JSON).
    Ros,
}

impl InputType {
    pub const IDS: [&'static str; 4] = ["hcl", "plan", "inventory", "ros"];

    pub fn parse(v: &str) -> Option<InputType> {
        match v {
            "hcl" | "terraform" => Some(InputType::Hcl),
            "plan" | "state" => Some(InputType::Plan),
            "inventory" => Some(InputType::Inventory),
            "ros" => Some(InputType::Ros),
            _ => None,
        }
    }
}

/// A problem with an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// What the readers produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub errors: Vec<InputError>,
    /// Things read but not understood (a remote module, an unresolved `count`): reported, not fatal.
    pub notes: Vec<InputError>,
    pub inputs: Vec<(String, InputType)>,
    /// Rule ids named in `# cloudward:ignore` comments, with where they are, for checking.
    pub ignore_ids: Vec<(String, String, u64)>,
}

/// Options the readers share.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub input_type: Option<InputType>,
    /// Extra `.tfvars` files for the root module.
    pub var_files: Vec<PathBuf>,
}

/// Guesses the input type of a path: a directory or `.tf` is HCL; a `.yaml`, `.yml`,
/// `.json`, `.template` or `.ros` file that begins with `ROSTemplateFormatVersion` is a
/// ROS template; JSON with
/// `format_version` and `planned_values` / `values` is a plan or state; other JSON is an
/// inventory.
pub fn detect(path: &Path) -> InputType {
    if path.is_dir() || path.extension().is_some_and(|e| e == "tf" || e == "tfvars") {
        return InputType::Hcl;
    }
    let head = read_head(path);
    if ros::template_name(path) && ros::is_template(&head) {
        return InputType::Ros;
    }
    if head.contains("\"format_version\"")
        && (head.contains("\"planned_values\"")
            || head.contains("\"values\"")
            || head.contains("\"terraform_version\""))
    {
        InputType::Plan
    } else {
        InputType::Inventory
    }
}

fn read_head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    buf.truncate(n);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads a file as text, within the size limit.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let err = |message: String| InputError {
        file: path.display().to_string(),
        line: None,
        column: None,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(format!(
            "the file is {} bytes; the limit is {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| err(format!("not UTF-8 text: {e}")))
}

/// Reads every path with its (given or detected) input type.
pub fn read(paths: &[PathBuf], options: &ReadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    for path in paths {
        let kind = options.input_type.unwrap_or_else(|| detect(path));
        loaded.inputs.push((path.display().to_string(), kind));
        if !path.exists() {
            loaded.errors.push(InputError {
                file: path.display().to_string(),
                line: None,
                column: None,
                message: "no such file or directory".into(),
            });
            continue;
        }
        match kind {
            InputType::Hcl => {
                hcl::read(path, &options.var_files, &mut loaded);
                // A folder's ROS templates are read with its Terraform.
                if options.input_type.is_none() && path.is_dir() {
                    for t in ros::templates_in(path) {
                        loaded
                            .inputs
                            .push((t.display().to_string(), InputType::Ros));
                        ros::read(&t, &mut loaded);
                    }
                }
            }
            InputType::Ros => ros::read(path, &mut loaded),
            InputType::Plan => plan::read(path, &mut loaded),
            InputType::Inventory => inventory::read(path, &mut loaded),
        }
    }
    loaded
}

/// Byte offsets of line starts, to turn positions into 1-based lines in O(log n).
#[derive(Debug)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    pub fn line(&self, pos: usize) -> u64 {
        match self.starts.binary_search(&pos) {
            Ok(i) => i as u64 + 1,
            Err(i) => i as u64,
        }
    }
}

/// The line of the first occurrence of `needle` at or after byte `from`, and its position.
pub fn line_of(text: &str, lines: &Lines, needle: &str, from: usize) -> Option<(u64, usize)> {
    let start = from.min(text.len());
    let pos = text.get(start..)?.find(needle)? + start;
    Some((lines.line(pos), pos))
}

/// The region of a zone id: `cn-north-1a` (AWS, Huawei) → `cn-north-1`;
/// `cn-hangzhou-h` (Alibaba) → `cn-hangzhou`; `ap-guangzhou-3` (Tencent) → `ap-guangzhou`.
pub fn region_from_zone(provider: &str, zone: &str) -> Option<String> {
    let zone = zone.trim();
    let bytes = zone.as_bytes();
    if let [.., d, l] = bytes
        && d.is_ascii_digit()
        && l.is_ascii_lowercase()
    {
        return Some(zone[..zone.len() - 1].to_owned());
    }
    let (head, last) = zone.rsplit_once('-')?;
    let strip = match provider {
        "alicloud" => last.len() == 1 && last.chars().all(|c| c.is_ascii_lowercase()),
        "tencentcloud" => !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    strip.then(|| head.to_owned())
}

/// The region a resource's zone attribute implies, when it has one.
pub fn region_from_attrs(provider: &str, attrs: &crate::value::Value) -> Option<String> {
    use crate::value::Value;
    ["availability_zone", "zone_id", "zone", "availability_zones"]
        .iter()
        .filter_map(|k| attrs.get(k))
        .find_map(|v| match v {
            Value::String(s) => region_from_zone(provider, s),
            Value::List(l) => l
                .first()
                .and_then(Value::as_str)
                .and_then(|s| region_from_zone(provider, s)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_to_regions() {
        assert_eq!(
            region_from_zone("aws", "cn-north-1a").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(
            region_from_zone("huaweicloud", "cn-north-4a").as_deref(),
            Some("cn-north-4")
        );
        assert_eq!(
            region_from_zone("alicloud", "cn-hangzhou-h").as_deref(),
            Some("cn-hangzhou")
        );
        assert_eq!(
            region_from_zone("tencentcloud", "ap-guangzhou-3").as_deref(),
            Some("ap-guangzhou")
        );
        assert_eq!(region_from_zone("aws", "cn-north-1"), None);
    }
}
