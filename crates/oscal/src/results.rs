//! The assessment shape cloudward exchanges — an offering's per-control results and its
//! conclusion, as in `cloudward_domain::workflow` — and OSCAL assessment results read
//! back into it (from cloudward or from another tool).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::workflow::{Conclusion, ControlAssessment, ControlResult, Outcome};
use serde::{Deserialize, Serialize};

use crate::model::{AssessmentResults, Document, Finding, Observation};
use crate::read::Error;
use crate::{NS, our_prop};

/// An assessment as a file (YAML or JSON): what `oscal export results --assessment` reads
/// and what `oscal import` makes of assessment results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentFile {
    /// The offering assessed.
    pub offering: String,
    /// The provider of the offering, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<Conclusion>,
    /// Control id → the assessor's result.
    #[serde(default)]
    pub results: BTreeMap<String, ControlAssessment>,
}

/// The control a finding target is about: cloudward's `control-id` prop, else the target
/// id up to its first `_` (`ac-6.1_obj.a-1` → `ac-6.1`).
fn control_of(f: &Finding) -> String {
    if let Some(id) = our_prop(&f.props, "control-id") {
        return id.to_owned();
    }
    let t = &f.target.target_id;
    t.split('_').next().unwrap_or(t).to_owned()
}

fn result_of(f: &Finding) -> ControlResult {
    if let Some(r) = our_prop(&f.props, "result") {
        match r {
            "satisfied" => return ControlResult::Satisfied,
            "partially_satisfied" => return ControlResult::PartiallySatisfied,
            "not_satisfied" => return ControlResult::NotSatisfied,
            "not_applicable" => return ControlResult::NotApplicable,
            _ => {}
        }
    }
    let implementation = f
        .target
        .implementation_status
        .as_ref()
        .map(|s| s.state.as_str());
    match (f.target.status.state.as_str(), implementation) {
        (_, Some("not-applicable")) => ControlResult::NotApplicable,
        (_, Some("partial")) => ControlResult::PartiallySatisfied,
        ("satisfied", _) => ControlResult::Satisfied,
        _ => ControlResult::NotSatisfied,
    }
}

/// Worst first: several findings on one control keep the worst result.
fn rank(r: ControlResult) -> u8 {
    match r {
        ControlResult::NotSatisfied => 0,
        ControlResult::PartiallySatisfied => 1,
        ControlResult::Satisfied => 2,
        ControlResult::NotApplicable => 3,
    }
}

/// What an observation offers as evidence: its relevant evidence, or (from another tool)
/// the observation itself.
fn evidence_of(obs: &Observation, ours: bool) -> Vec<String> {
    if obs.relevant_evidence.is_empty() && !ours {
        return vec![format!("oscal-observation:{}", obs.uuid)];
    }
    obs.relevant_evidence
        .iter()
        .map(|e| e.href.clone().unwrap_or_else(|| e.description.clone()))
        .collect()
}

fn date_prop(
    props: &[crate::model::Prop],
    name: &str,
    path: &str,
) -> Result<Option<NaiveDate>, Error> {
    match our_prop(props, name) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::Invalid {
                path: path.to_owned(),
                detail: format!("prop '{name}' ({NS}) is '{v}'; expected a date YYYY-MM-DD"),
            }),
    }
}

/// Assessment results in cloudward's shape: one result per control targeted by a finding
/// (the worst when several), notes from the findings, evidence from their observations.
/// Results of every `results[]` entry are merged, later ones winning per control.
pub fn summarise(ar: &AssessmentResults) -> Result<AssessmentFile, Error> {
    let mut out = AssessmentFile {
        offering: ar.metadata.title.clone(),
        provider: None,
        assessor: None,
        conclusion: None,
        results: BTreeMap::new(),
    };
    for (i, result) in ar.results.iter().enumerate() {
        if let Some(o) = our_prop(&result.props, "offering") {
            o.clone_into(&mut out.offering);
        }
        if let Some(a) = our_prop(&result.props, "assessor") {
            out.assessor = Some(a.to_owned());
        }
        let path = format!("$.assessment-results.results[{i}].props");
        let outcome = match our_prop(&result.props, "outcome") {
            Some("pass") => Some(Outcome::Pass),
            Some("fail") => Some(Outcome::Fail),
            _ => None,
        };
        let level = our_prop(&result.props, "level").and_then(ProtectionLevel::parse);
        let date = date_prop(&result.props, "date", &path)?;
        let until = date_prop(&result.props, "valid-until", &path)?;
        if let (Some(outcome), Some(level), Some(date), Some(valid_until)) =
            (outcome, level, date, until)
        {
            out.conclusion = Some(Conclusion {
                outcome,
                level,
                date,
                valid_until,
            });
        }
        let observations: BTreeMap<&str, &Observation> = result
            .observations
            .iter()
            .map(|o| (o.uuid.as_str(), o))
            .collect();
        let mut this: BTreeMap<String, ControlAssessment> = BTreeMap::new();
        for f in &result.findings {
            let id = control_of(f);
            let r = result_of(f);
            let ours = our_prop(&f.props, "result").is_some();
            let evidence: Vec<String> = f
                .related_observations
                .iter()
                .filter_map(|o| observations.get(o.observation_uuid.as_str()))
                .flat_map(|o| evidence_of(o, ours))
                .collect();
            let notes = if ours {
                // cloudward writes the notes as the description, or a stock sentence.
                let stock = format!("{id} assessed: {}.", crate::export::result_id(r));
                if f.description == stock {
                    String::new()
                } else {
                    f.description.clone()
                }
            } else {
                format!("{}: {}", f.title, f.description)
            };
            let response = our_prop(&f.props, "provider-response").map(str::to_owned);
            match this.get_mut(&id) {
                Some(prev) => {
                    if rank(r) < rank(prev.result) {
                        prev.result = r;
                    }
                    if !notes.is_empty() {
                        if !prev.notes.is_empty() {
                            prev.notes.push('\n');
                        }
                        prev.notes.push_str(&notes);
                    }
                    prev.evidence.extend(evidence);
                }
                None => {
                    this.insert(
                        id,
                        ControlAssessment {
                            result: r,
                            notes,
                            evidence,
                            provider_response: response,
                            waiver: None,
                        },
                    );
                }
            }
        }
        out.results.extend(this);
    }
    Ok(out)
}

/// Reads assessment results from an OSCAL document.
pub fn from_document(doc: &Document) -> Result<AssessmentFile, Error> {
    match doc {
        Document::AssessmentResults(ar) => summarise(ar),
        other => Err(Error::WrongModel {
            found: other.model().into(),
            expected: "assessment-results".into(),
        }),
    }
}
