//! Report writers: JSON, SARIF 2.1.0 and JUnit XML. Table and Markdown are the CLI's.

use cloudward_domain::{Lang, ProtectionLevel};
use serde_json::{Value as Json, json};

use crate::engine::{Finding, Outcome};
use crate::input::{InputError, InputType};
use crate::model::Estate;
use crate::rules::{Rule, Severity};

/// Everything a report needs besides the outcome.
#[derive(Debug)]
pub struct Meta<'a> {
    pub version: &'a str,
    pub level: ProtectionLevel,
    /// Whether the level was chosen (`--level`, `--engagement`) or all rules ran.
    pub level_given: bool,
    pub lang: Lang,
    pub inputs: &'a [(String, InputType)],
    pub errors: &'a [InputError],
    pub notes: &'a [InputError],
    /// What was scanned: findings refer to its resources by index.
    pub estate: &'a Estate,
    /// Further top-level sections of the JSON report, after `summary` (the 等保 items of
    /// an `mlps-lN` pack).
    pub extra: &'a [(&'a str, Json)],
}

/// A finding as the JSON report writes it, borrowing everything: no allocation per finding.
#[derive(serde::Serialize)]
struct FindingOut<'a> {
    rule_id: &'a str,
    severity: crate::rules::Severity,
    status: crate::engine::Status,
    controls: &'a [String],
    resource: crate::engine::ResourceRef<'a>,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a crate::eval::UnknownReason>,
}

fn finding_out<'a>(
    f: &'a Finding,
    rules: &'a [Rule],
    estate: &'a Estate,
    lang: Lang,
) -> FindingOut<'a> {
    FindingOut {
        rule_id: f.rule_id(rules),
        severity: f.severity,
        status: f.status,
        controls: f.controls(rules),
        resource: f.reference(rules, estate),
        message: rules
            .get(f.rule_index())
            .map(|r| r.title.get(lang))
            .unwrap_or_default(),
        suppressed: f.suppressed.as_deref().map(String::as_str),
        reason: f.reason.as_deref(),
    }
}

fn errors_json(errors: &[InputError]) -> Json {
    Json::Array(errors.iter().map(|e| json!({ "file": e.file, "line": e.line, "column": e.column, "message": e.message })).collect())
}

/// Writes array elements: batches are serialised in parallel into buffers, a bounded
/// window at a time, and written in order, each element on a line of its own after
/// `indent`.
fn write_batched<T: Sync>(
    out: &mut dyn std::io::Write,
    list: &[T],
    indent: &str,
    one: impl Fn(&mut Vec<u8>, &T) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    const BATCH: usize = 4096;
    const WINDOW: usize = 16 * BATCH;
    for (w, window) in list.chunks(WINDOW).enumerate() {
        let buffers: Vec<std::io::Result<Vec<u8>>> = window
            .par_chunks(BATCH)
            .enumerate()
            .map(|(b, batch)| {
                let mut buf = Vec::with_capacity(batch.len() * 256);
                for (i, item) in batch.iter().enumerate() {
                    let first = w == 0 && b == 0 && i == 0;
                    buf.extend_from_slice(if first { b"\n" } else { b",\n" });
                    buf.extend_from_slice(indent.as_bytes());
                    one(&mut buf, item)?;
                }
                Ok(buf)
            })
            .collect();
        for buf in buffers {
            out.write_all(&buf?)?;
        }
    }
    Ok(())
}

/// Writes findings as JSON array elements (see [`write_batched`]).
fn write_findings(
    out: &mut dyn std::io::Write,
    list: &[Finding],
    rules: &[Rule],
    meta: &Meta,
) -> std::io::Result<()> {
    write_batched(out, list, "    ", |buf, f| {
        serde_json::to_writer(buf, &finding_out(f, rules, meta.estate, meta.lang))
            .map_err(std::io::Error::other)
    })
}

/// Writes the JSON report, one finding at a time, so that a scan of a million resources
/// never holds the whole report in memory. Remediation is given once per rule, under
/// `rules`.
pub fn write_json(
    out: &mut dyn std::io::Write,
    outcome: &Outcome,
    rules: &[Rule],
    meta: &Meta,
) -> std::io::Result<()> {
    let w = |out: &mut dyn std::io::Write, v: &Json| {
        serde_json::to_writer(out, v).map_err(std::io::Error::other)
    };
    writeln!(out, "{{")?;
    write!(out, "  \"tool\": \"cloudward\",\n  \"version\": ")?;
    w(out, &json!(meta.version))?;
    write!(out, ",\n  \"level\": ")?;
    w(
        out,
        &if meta.level_given {
            json!(meta.level)
        } else {
            Json::Null
        },
    )?;
    write!(out, ",\n  \"inputs\": ")?;
    w(
        out,
        &Json::Array(
            meta.inputs
                .iter()
                .map(|(p, t)| json!({ "path": p, "type": t }))
                .collect(),
        ),
    )?;
    let mut used = std::collections::BTreeSet::new();
    for (name, list) in [
        ("findings", &outcome.findings),
        ("unknown", &outcome.unknown),
        ("suppressed", &outcome.suppressed),
        ("baselined", &outcome.baselined),
    ] {
        write!(out, ",\n  \"{name}\": [")?;
        used.extend(list.iter().map(Finding::rule_index));
        write_findings(out, list, rules, meta)?;
        write!(out, "{}]", if list.is_empty() { "" } else { "\n  " })?;
    }
    write!(out, ",\n  \"rules\": {{")?;
    for (i, idx) in used.iter().enumerate() {
        let Some(r) = rules.get(*idx) else { continue };
        write!(out, "{}\n    ", if i == 0 { "" } else { "," })?;
        w(out, &json!(r.id))?;
        write!(out, ": ")?;
        w(
            out,
            &json!({
                "title": r.title.get(meta.lang),
                "severity": r.severity,
                "level": r.level,
                "controls": &*r.controls,
                "remediation": r.remediation.text.get(meta.lang),
                "terraform": r.remediation.terraform,
            }),
        )?;
    }
    write!(out, "{}}}", if used.is_empty() { "" } else { "\n  " })?;
    write!(out, ",\n  \"errors\": ")?;
    w(out, &errors_json(meta.errors))?;
    write!(out, ",\n  \"notes\": ")?;
    w(out, &errors_json(meta.notes))?;
    write!(out, ",\n  \"summary\": ")?;
    w(
        out,
        &serde_json::to_value(&outcome.summary).map_err(std::io::Error::other)?,
    )?;
    for (key, value) in meta.extra {
        write!(out, ",\n  ")?;
        w(out, &json!(key))?;
        write!(out, ": ")?;
        w(out, value)?;
    }
    writeln!(out, "\n}}")
}

/// A relative URI reference for a path: `/` separators, everything outside the unreserved
/// set percent-encoded (spaces, Chinese names).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub code scanning reads this 0–10 score to rank security results.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn sarif_result(
    f: &Finding,
    rules: &[Rule],
    estate: &Estate,
    rule_index: Option<usize>,
    lang: Lang,
) -> Json {
    let rule = rules.get(f.rule_index());
    let resource = f.reference(rules, estate);
    let rule_id = f.rule_id(rules);
    let mut location = json!({
        "logicalLocations": [{ "fullyQualifiedName": resource.address, "kind": "resource" }]
    });
    if !resource.file.is_empty()
        && let Some(obj) = location.as_object_mut()
    {
        let mut physical =
            json!({ "artifactLocation": { "uri": resource.file.replace('\\', "/") } });
        if resource.line > 0
            && let Some(p) = physical.as_object_mut()
        {
            p.insert("region".into(), json!({ "startLine": resource.line }));
        }
        obj.insert("physicalLocation".into(), physical);
    }
    let text = format!(
        "{}: {}",
        resource.address,
        rule.map(|r| r.title.get(lang)).unwrap_or_default()
    );
    let mut result = json!({
        "ruleId": rule_id,
        "level": sarif_level(f.severity),
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": { "cloudward/v1": format!("{}|{}", rule_id, resource.address) },
        "properties": { "controls": f.controls(rules) },
    });
    if let Some(obj) = result.as_object_mut() {
        if let Some(i) = rule_index {
            obj.insert("ruleIndex".into(), json!(i));
        }
        if let Some(reason) = &f.suppressed {
            obj.insert(
                "suppressions".into(),
                json!([{ "kind": "inSource", "justification": reason }]),
            );
        }
    }
    result
}

/// Where the results go in the SARIF skeleton: a string no rule or message can produce.
const RESULTS_SLOT: &str = "\u{0}cloudward-results\u{0}";

/// Writes the SARIF log with its results streamed, a batch at a time, so that the log of
/// a large estate is never held in memory whole (the rest of the log is small).
pub fn write_sarif(
    out: &mut dyn std::io::Write,
    outcome: &Outcome,
    rules: &[Rule],
    selected: &[usize],
    meta: &Meta,
) -> std::io::Result<()> {
    let skeleton = sarif_document(
        outcome,
        rules,
        selected,
        meta,
        Json::String(RESULTS_SLOT.into()),
    );
    let text = serde_json::to_string_pretty(&skeleton).map_err(std::io::Error::other)?;
    let slot = serde_json::to_string(RESULTS_SLOT).map_err(std::io::Error::other)?;
    let (head, tail) = text
        .split_once(&slot)
        .ok_or_else(|| std::io::Error::other("SARIF skeleton without its results slot"))?;
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    let index: std::collections::HashMap<usize, usize> =
        selected.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    let all: Vec<&Finding> = outcome.findings.iter().chain(&outcome.suppressed).collect();
    write_batched(out, &all, "        ", |buf, f| {
        let r = sarif_result(
            f,
            rules,
            meta.estate,
            index.get(&f.rule_index()).copied(),
            meta.lang,
        );
        serde_json::to_writer(buf, &r).map_err(std::io::Error::other)
    })?;
    if !all.is_empty() {
        out.write_all(b"\n      ")?;
    }
    out.write_all(b"]")?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")
}

/// The SARIF log as one value (for small outcomes and tests; see [`write_sarif`]).
pub fn sarif(outcome: &Outcome, rules: &[Rule], selected: &[usize], meta: &Meta) -> Json {
    let index_of = |rule: usize| selected.iter().position(|i| *i == rule);
    let results: Vec<Json> = outcome
        .findings
        .iter()
        .chain(&outcome.suppressed)
        .map(|f| sarif_result(f, rules, meta.estate, index_of(f.rule_index()), meta.lang))
        .collect();
    sarif_document(outcome, rules, selected, meta, Json::Array(results))
}

fn sarif_document(
    _outcome: &Outcome,
    rules: &[Rule],
    selected: &[usize],
    meta: &Meta,
    results: Json,
) -> Json {
    let lang = meta.lang;
    let driver_rules: Vec<Json> = selected
        .iter()
        .filter_map(|i| rules.get(*i))
        .map(|r| {
            let mut help = r.remediation.text.get(lang).to_owned();
            if let Some(tf) = &r.remediation.terraform {
                help.push_str("\n\n");
                help.push_str(tf);
            }
            json!({
                "id": r.id,
                "name": r.id.replace('-', ""),
                "shortDescription": { "text": r.title.get(lang) },
                "help": { "text": help },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
                "properties": {
                    "tags": ["security", r.provider],
                    "controls": &*r.controls,
                    "level": r.level,
                    "security-severity": security_severity(r.severity),
                },
            })
        })
        .collect();
    let notifications: Vec<Json> = meta
        .errors
        .iter()
        .map(|e| {
            let mut n = json!({ "level": "error", "message": { "text": e.message } });
            if let Some(obj) = n.as_object_mut() {
                let mut phys = json!({ "artifactLocation": { "uri": uri(&e.file) } });
                if let (Some(p), Some(l)) = (phys.as_object_mut(), e.line.filter(|l| *l > 0)) {
                    let mut region = json!({ "startLine": l });
                    if let (Some(r), Some(c)) =
                        (region.as_object_mut(), e.column.filter(|c| *c > 0))
                    {
                        r.insert("startColumn".into(), json!(c));
                    }
                    p.insert("region".into(), region);
                }
                obj.insert("locations".into(), json!([{ "physicalLocation": phys }]));
            }
            n
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cloudward",
                "version": meta.version,
                "informationUri": "https://example.invalid/cloudward",
                "rules": driver_rules,
            }},
            "invocations": [{
                "executionSuccessful": meta.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// One test suite per rule: a failing test case per failing resource, a skipped one per
/// unknown result, and one passing case when the rule found nothing.
pub fn junit(outcome: &Outcome, rules: &[Rule], selected: &[usize], meta: &Meta) -> String {
    let lang = meta.lang;
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    for &i in selected {
        let Some(rule) = rules.get(i) else { continue };
        let fails: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.rule_index() == i)
            .collect();
        let unknown: Vec<&Finding> = outcome
            .unknown
            .iter()
            .filter(|f| f.rule_index() == i)
            .collect();
        let mut cases = String::new();
        for f in &fails {
            let resource = f.reference(rules, meta.estate);
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                xml(&rule.id),
                xml(&resource.address),
                xml(resource.file),
                resource.line,
                f.severity.id(),
                xml(rule.title.get(lang)),
                xml(rule.remediation.text.get(lang)),
            ));
        }
        for f in &unknown {
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n      <skipped message=\"unknown: a value could not be resolved\"/>\n    </testcase>\n",
                xml(&rule.id),
                xml(&f.address(rules, meta.estate)),
            ));
        }
        let mut n = fails.len() + unknown.len();
        if fails.is_empty() {
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"/>\n",
                xml(&rule.id),
                xml(rule.title.get(lang))
            ));
            n += 1;
        }
        tests += n;
        failures += fails.len();
        skipped += unknown.len();
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{}\" skipped=\"{}\">\n{cases}  </testsuite>\n",
            xml(&rule.id),
            fails.len(),
            unknown.len()
        ));
    }
    let errors = meta.errors.len();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cloudward scan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ACCOUNT, Status};
    use crate::model::Resource;
    use crate::value::{Value, intern};

    /// An estate of three resources on consecutive lines from `first_line`.
    fn three_resources(first_line: u64) -> Estate {
        Estate::new(
            (0..3)
                .map(|i| Resource {
                    address: format!("t.r{i}").into(),
                    rtype: intern("t"),
                    provider: intern("p"),
                    region: None,
                    file: intern("main.tf"),
                    line: first_line + i,
                    attrs: Value::Null,
                    refs: Box::new([]),
                    ignored: Box::new([]),
                })
                .collect(),
        )
    }

    #[test]
    fn findings_written_in_parallel_batches_keep_order_and_separators() {
        let estate = three_resources(0);
        let meta = Meta {
            version: "0",
            level: ProtectionLevel::General,
            level_given: false,
            lang: Lang::En,
            inputs: &[],
            errors: &[],
            notes: &[],
            estate: &estate,
            extra: &[],
        };
        // More than one window of batches, not a multiple of either.
        for n in [0, 1, 4097, 70_001] {
            let list: Vec<Finding> = (0..n)
                .map(|i| Finding {
                    rule: 0,
                    subject: if i % 7 == 6 { ACCOUNT } else { (i % 3) as u32 },
                    severity: Severity::High,
                    status: Status::Fail,
                    suppressed: None,
                    reason: None,
                })
                .collect();
            let mut expected = Vec::new();
            for (i, f) in list.iter().enumerate() {
                expected.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
                serde_json::to_writer(&mut expected, &finding_out(f, &[], &estate, Lang::En))
                    .unwrap();
            }
            let mut written = Vec::new();
            write_findings(&mut written, &list, &[], &meta).unwrap();
            assert_eq!(written, expected, "{n} findings");
        }
    }

    #[test]
    fn streamed_sarif_is_the_same_log_as_the_whole_value() {
        let estate = three_resources(1);
        let errors = [InputError {
            file: "bad.tf".into(),
            line: Some(3),
            column: Some(4),
            message: "broken".into(),
        }];
        let meta = Meta {
            version: "0",
            level: ProtectionLevel::General,
            level_given: false,
            lang: Lang::En,
            inputs: &[],
            errors: &errors,
            notes: &[],
            estate: &estate,
            extra: &[],
        };
        for n in [0, 1, 70_001] {
            let outcome = Outcome {
                findings: (0..n)
                    .map(|i| Finding {
                        rule: 0,
                        subject: if i % 7 == 6 { ACCOUNT } else { (i % 3) as u32 },
                        severity: Severity::High,
                        status: Status::Fail,
                        suppressed: None,
                        reason: None,
                    })
                    .collect(),
                ..Outcome::default()
            };
            let mut written = Vec::new();
            write_sarif(&mut written, &outcome, &[], &[], &meta).unwrap();
            let parsed: Json = serde_json::from_slice(&written).unwrap();
            assert_eq!(parsed, sarif(&outcome, &[], &[], &meta), "{n} results");
            assert_eq!(parsed["runs"][0]["results"].as_array().unwrap().len(), n);
        }
    }
}
