//! A scan report (`cloudward scan --format json`) as OSCAL: each failing finding is an
//! observation about a resource; each control the scan looked at is a finding, not
//! satisfied when a rule mapped to it failed, satisfied when its rules passed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::model::*;
use crate::read::Error;
use crate::{one_line, prop, uuid_for};

/// The parts of the scan report this module reads; other keys are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanReport {
    pub tool: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub inputs: Vec<ScanInput>,
    pub findings: Vec<ScanFinding>,
    #[serde(default)]
    pub summary: ScanSummary,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanInput {
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanFinding {
    pub rule_id: String,
    pub severity: String,
    #[serde(default)]
    pub controls: Vec<String>,
    pub resource: ScanResource,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ScanResource {
    pub address: String,
    #[serde(rename = "type", default)]
    pub rtype: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub file: String,
    #[serde(default)]
    pub line: u64,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScanSummary {
    #[serde(default)]
    pub controls: ScanControls,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScanControls {
    #[serde(default)]
    pub passed: Vec<String>,
    #[serde(default)]
    pub failed: Vec<String>,
}

/// Parses a scan report, naming the JSON path of what is wrong.
pub fn parse(text: &str) -> Result<ScanReport, Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let report: ScanReport = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Error::Syntax {
                line: inner.line(),
                column: inner.column(),
                detail: inner.to_string(),
            }
        } else {
            Error::Invalid {
                path: if path == "." {
                    "$".to_owned()
                } else {
                    format!("$.{path}")
                },
                detail: inner
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            }
        }
    })?;
    if report.tool != "cloudward" {
        return Err(Error::Invalid {
            path: "$.tool".into(),
            detail: format!("the tool is '{}', not cloudward", report.tool),
        });
    }
    Ok(report)
}

fn observation(base: &str, n: usize, f: &ScanFinding, timestamp: &str) -> Observation {
    let r = &f.resource;
    let mut props = vec![
        prop("rule-id", f.rule_id.clone()),
        prop("severity", f.severity.clone()),
        prop("resource", one_line(&r.address)),
    ];
    if !r.file.is_empty() {
        props.push(prop(
            "location",
            one_line(&format!("{}:{}", r.file, r.line)),
        ));
    }
    for c in &f.controls {
        props.push(prop("control-id", c.clone()));
    }
    let mut subject_props = Vec::new();
    if !r.rtype.is_empty() {
        subject_props.push(prop("resource-type", r.rtype.clone()));
    }
    if let Some(region) = &r.region {
        subject_props.push(prop("region", region.clone()));
    }
    Observation {
        uuid: uuid_for(&format!(
            "{base}/observation/{n}/{}/{}",
            f.rule_id, r.address
        )),
        title: Some(format!("{} on {}", f.rule_id, r.address)),
        description: if f.message.is_empty() {
            format!("Rule {} failed on {}.", f.rule_id, r.address)
        } else {
            f.message.clone()
        },
        props,
        methods: vec!["TEST".into()],
        types: vec!["finding".into()],
        subjects: vec![SubjectReference {
            subject_uuid: uuid_for(&format!("resource/{}", r.address)),
            kind: "resource".into(),
            title: Some(r.address.clone()),
            props: subject_props,
        }],
        relevant_evidence: vec![],
        collected: timestamp.to_owned(),
    }
}

/// A failing scan finding as an observation and a POA&M item pointing at it.
pub fn finding_observation(
    base: &str,
    n: usize,
    f: &ScanFinding,
    timestamp: &str,
) -> (Observation, PoamItem) {
    let obs = observation(base, n, f, timestamp);
    let item = PoamItem {
        uuid: Some(uuid_for(&format!(
            "{base}/scan-item/{n}/{}/{}",
            f.rule_id, f.resource.address
        ))),
        title: format!("{}: {}", f.rule_id, f.resource.address),
        description: obs.description.clone(),
        props: obs.props.clone(),
        related_observations: vec![RelatedObservation {
            observation_uuid: obs.uuid.clone(),
        }],
        related_risks: vec![],
    };
    (obs, item)
}

/// The scan as assessment results.
pub fn assessment_results(report: &ScanReport, name: &str, timestamp: &str) -> Document {
    let base = format!("scan/{name}");
    let observations: Vec<Observation> = report
        .findings
        .iter()
        .enumerate()
        .map(|(n, f)| observation(&base, n, f, timestamp))
        .collect();
    let mut by_control: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for (f, o) in report.findings.iter().zip(&observations) {
        for c in &f.controls {
            by_control.entry(c.as_str()).or_default().push(o);
        }
    }
    let failed: BTreeSet<&str> = report
        .summary
        .controls
        .failed
        .iter()
        .map(String::as_str)
        .chain(by_control.keys().copied())
        .collect();
    let passed: BTreeSet<&str> = report
        .summary
        .controls
        .passed
        .iter()
        .map(String::as_str)
        .filter(|c| !failed.contains(c))
        .collect();
    let mut findings = Vec::new();
    for c in &failed {
        let obs = by_control.get(c).cloned().unwrap_or_default();
        findings.push(Finding {
            uuid: uuid_for(&format!("{base}/finding/{c}")),
            title: format!("{c}: not satisfied"),
            description: format!(
                "{} failing check(s) of the configuration scan map to {c}.",
                obs.len()
            ),
            props: vec![
                prop("control-id", (*c).to_owned()),
                prop("result", "not_satisfied"),
            ],
            target: FindingTarget {
                kind: "statement-id".into(),
                target_id: format!("{c}_smt"),
                status: ObjectiveStatus {
                    state: "not-satisfied".into(),
                    reason: Some("fail".into()),
                    remarks: None,
                },
                implementation_status: None,
            },
            related_observations: obs
                .iter()
                .map(|o| RelatedObservation {
                    observation_uuid: o.uuid.clone(),
                })
                .collect(),
            related_risks: vec![],
            remarks: None,
        });
    }
    for c in &passed {
        findings.push(Finding {
            uuid: uuid_for(&format!("{base}/finding/{c}")),
            title: format!("{c}: satisfied"),
            description: format!("Every rule of the configuration scan mapped to {c} passed."),
            props: vec![
                prop("control-id", (*c).to_owned()),
                prop("result", "satisfied"),
            ],
            target: FindingTarget {
                kind: "statement-id".into(),
                target_id: format!("{c}_smt"),
                status: ObjectiveStatus {
                    state: "satisfied".into(),
                    reason: Some("pass".into()),
                    remarks: None,
                },
                implementation_status: None,
            },
            related_observations: vec![],
            related_risks: vec![],
            remarks: None,
        });
    }
    let reviewed: Vec<SelectControl> = failed
        .iter()
        .chain(passed.iter())
        .map(|c| SelectControl {
            control_id: (*c).to_owned(),
        })
        .collect();
    let selection = if reviewed.is_empty() {
        ControlSelection {
            description: Some("The scan evaluated no rule mapped to a control.".into()),
            include_all: Some(serde_json::Map::new()),
            include_controls: vec![],
        }
    } else {
        ControlSelection {
            description: None,
            include_all: None,
            include_controls: reviewed,
        }
    };
    let mut props = vec![prop("tool", "cloudward")];
    if !report.version.is_empty() {
        props.push(prop("tool-version", report.version.clone()));
    }
    if let Some(l) = &report.level {
        props.push(prop("level", l.clone()));
    }
    for i in &report.inputs {
        props.push(prop("input", one_line(&i.path)));
    }
    Document::AssessmentResults(AssessmentResults {
        uuid: uuid_for(&base),
        metadata: Metadata {
            title: format!("Configuration scan: {name}"),
            last_modified: timestamp.to_owned(),
            version: if report.version.is_empty() {
                "1".into()
            } else {
                report.version.clone()
            },
            oscal_version: crate::OSCAL_VERSION.into(),
            ..Default::default()
        },
        import_ap: Href {
            href: format!("#{}", uuid_for(&format!("{base}/plan"))),
        },
        results: vec![AssessmentResult {
            uuid: uuid_for(&format!("{base}/result")),
            title: format!("Configuration scan: {name}"),
            description: "Results of cloudward's configuration scan: failing rules as observations, controls as findings.".into(),
            start: timestamp.to_owned(),
            end: None,
            props,
            reviewed_controls: ReviewedControls {
                control_selections: vec![selection],
            },
            observations,
            risks: vec![],
            findings,
        }],
        back_matter: Some(BackMatter {
            resources: vec![Resource {
                uuid: uuid_for(&format!("{base}/plan")),
                title: Some("No assessment plan: an automated configuration scan".into()),
                ..Default::default()
            }],
        }),
    })
}
