//! Running rules over an estate: which rules apply (level, provider, type), evaluation in
//! parallel, suppressions and the baseline, and the summary by severity and control.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use cloudward_domain::ProtectionLevel;
use cloudward_domain::regions::RegionTable;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::eval::{Ctx, Tri, UnknownReason, eval, explain};
use crate::model::{Estate, Resource};
use crate::rules::{Rule, Scope, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fail,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    pub address: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub provider: String,
    pub file: String,
    pub line: u64,
    pub region: Option<String>,
}

impl ResourceRef {
    fn of(r: &Resource) -> ResourceRef {
        ResourceRef {
            address: r.address.clone(),
            rtype: r.rtype.clone(),
            provider: r.provider.clone(),
            file: r.file.to_string(),
            line: r.line,
            region: r.region.clone(),
        }
    }

    fn account(provider: &str) -> ResourceRef {
        ResourceRef {
            address: format!("{provider} (account)"),
            rtype: "account".into(),
            provider: provider.to_owned(),
            file: String::new(),
            line: 0,
            region: None,
        }
    }
}

/// What an evaluation was about; turned into a [`ResourceRef`] only for results that are
/// reported, so that passing evaluations allocate nothing.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Resource(&'a Resource),
    Account(&'a str),
}

impl Target<'_> {
    fn reference(&self) -> ResourceRef {
        match self {
            Target::Resource(r) => ResourceRef::of(r),
            Target::Account(p) => ResourceRef::account(p),
        }
    }
}

/// A rule that failed (or could not be decided) on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Index of the rule in the rule list.
    #[serde(skip)]
    pub rule: usize,
    pub rule_id: String,
    pub severity: Severity,
    #[serde(skip)]
    pub controls: std::sync::Arc<[String]>,
    pub resource: ResourceRef,
    pub status: Status,
    /// Why it is suppressed, when an inline comment suppresses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Position of the evaluation (resources in input order), for a cheap stable sort.
    #[serde(skip)]
    pub seq: usize,
    /// For an unknown result: what could not be known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<UnknownReason>,
}

/// Findings accepted earlier, by rule id and resource address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule_id: String,
    pub address: String,
}

impl Baseline {
    pub fn of(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                rule_id: f.rule_id.clone(),
                address: f.resource.address.clone(),
            })
            .collect();
        entries.sort();
        entries.dedup();
        Baseline {
            version: 1,
            findings: entries,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ControlSummary {
    pub passed: Vec<String>,
    pub failed: Vec<String>,
    pub not_evaluated: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub resources: usize,
    pub rules: usize,
    pub evaluations: usize,
    pub passed: usize,
    pub failed: usize,
    pub unknown: usize,
    pub suppressed: usize,
    pub baselined: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_family: BTreeMap<String, usize>,
    pub controls: ControlSummary,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Failures that count: not suppressed, not in the baseline.
    pub findings: Vec<Finding>,
    pub unknown: Vec<Finding>,
    pub suppressed: Vec<Finding>,
    pub baselined: Vec<Finding>,
    pub summary: Summary,
}

/// Which rules run at `level`.
pub fn select(rules: &[Rule], level: ProtectionLevel) -> Vec<usize> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.level <= level)
        .map(|(i, _)| i)
        .collect()
}

/// Evaluates the selected rules over the estate.
pub fn run(
    rules: &[Rule],
    selected: &[usize],
    estate: &Estate,
    regions: &RegionTable,
    baseline: Option<&Baseline>,
) -> Outcome {
    let ctx = Ctx { estate, regions };
    let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut account = Vec::new();
    for &i in selected {
        let Some(rule) = rules.get(i) else { continue };
        match rule.scope {
            Scope::Resource => {
                for t in &rule.resources {
                    by_type.entry(t.as_str()).or_default().push(i);
                }
            }
            Scope::Account => account.push(i),
        }
    }
    // (rule, result, resource index or provider) for every evaluation, in parallel.
    let per_resource: Vec<(usize, Tri, usize)> = estate
        .resources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(ri, res)| {
            let ids = by_type
                .get(res.rtype.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let ctx = &ctx;
            ids.iter().filter_map(move |&i| {
                rules
                    .get(i)
                    .map(|rule| (i, eval(&rule.cond, res, &res.attrs, ctx), ri))
            })
        })
        .collect();
    let providers = estate.providers();
    let mut per_account: Vec<(usize, Tri, String)> = Vec::new();
    for &i in &account {
        let Some(rule) = rules.get(i) else { continue };
        if !providers.contains(&rule.provider) {
            continue;
        }
        // Account rules read other resources only; any resource of the provider anchors them.
        let anchor = estate
            .resources
            .iter()
            .find(|r| r.provider == rule.provider);
        if let Some(anchor) = anchor {
            per_account.push((
                i,
                eval(&rule.cond, anchor, &anchor.attrs, &ctx),
                rule.provider.clone(),
            ));
        }
    }

    let baseline: HashSet<(String, String)> = baseline
        .map(|b| {
            b.findings
                .iter()
                .map(|e| (e.rule_id.clone(), e.address.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Outcome::default();
    let mut evaluated: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new(); // control → (pass, fail, unknown)
    let mut record = |rule: &Rule,
                      tri: Tri,
                      target: Target<'_>,
                      ignored: Option<String>,
                      out: &mut Outcome,
                      idx: usize,
                      seq: usize| {
        for c in rule.controls.iter() {
            let e = evaluated.entry(c.clone()).or_default();
            match tri {
                Tri::True => e.0 += 1,
                Tri::False => e.1 += 1,
                Tri::Unknown => e.2 += 1,
            }
        }
        out.summary.evaluations += 1;
        let finding = |status| Finding {
            rule: idx,
            rule_id: rule.id.clone(),
            severity: rule.severity,
            controls: rule.controls.clone(),
            resource: target.reference(),
            status,
            suppressed: ignored.clone(),
            reason: None,
            seq,
        };
        match tri {
            Tri::True => out.summary.passed += 1,
            Tri::Unknown => out.unknown.push(finding(Status::Unknown)),
            Tri::False => {
                let f = finding(Status::Fail);
                if f.suppressed.is_some() {
                    out.suppressed.push(f);
                } else if baseline.contains(&(f.rule_id.clone(), f.resource.address.clone())) {
                    out.baselined.push(f);
                } else {
                    out.findings.push(f);
                }
            }
        }
    };
    for (i, tri, ri) in per_resource {
        let (Some(rule), Some(res)) = (rules.get(i), estate.resources.get(ri)) else {
            continue;
        };
        let ignored = res
            .ignored
            .iter()
            .find(|(id, _)| id == &rule.id || id == "*")
            .map(|(_, reason)| reason.clone());
        record(rule, tri, Target::Resource(res), ignored, &mut out, i, ri);
    }
    for (i, tri, provider) in per_account {
        let Some(rule) = rules.get(i) else { continue };
        record(
            rule,
            tri,
            Target::Account(&provider),
            None,
            &mut out,
            i,
            usize::MAX,
        );
    }
    // Rules by id once; then findings sort on integers: severity, rule, input order.
    let mut by_id: Vec<usize> = (0..rules.len()).collect();
    by_id.sort_by(|a, b| rules[*a].id.cmp(&rules[*b].id));
    let mut rank = vec![0usize; rules.len()];
    for (pos, i) in by_id.into_iter().enumerate() {
        rank[i] = pos;
    }
    out.findings.sort_by_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            rank.get(f.rule).copied().unwrap_or(0),
            f.seq,
        )
    });
    let by_address: HashMap<(&str, &str), &Resource> = if out.unknown.is_empty() {
        HashMap::new()
    } else {
        estate
            .resources
            .iter()
            .map(|r| ((r.address.as_str(), r.rtype.as_str()), r))
            .collect()
    };
    for f in &mut out.unknown {
        let Some(rule) = rules.get(f.rule) else {
            continue;
        };
        let res = by_address
            .get(&(f.resource.address.as_str(), f.resource.rtype.as_str()))
            .copied();
        f.reason = match res {
            Some(r) => explain(&rule.cond, r, &r.attrs, &ctx),
            None => estate
                .resources
                .iter()
                .find(|r| r.provider == f.resource.provider)
                .and_then(|r| explain(&rule.cond, r, &r.attrs, &ctx)),
        };
    }
    out.unknown.sort_by(|a, b| {
        a.rule_id
            .cmp(&b.rule_id)
            .then(a.resource.address.cmp(&b.resource.address))
    });

    let s = &mut out.summary;
    s.resources = estate.resources.len();
    s.rules = selected.len();
    s.failed = out.findings.len();
    s.unknown = out.unknown.len();
    s.suppressed = out.suppressed.len();
    s.baselined = out.baselined.len();
    for sev in Severity::IDS {
        s.by_severity.insert(sev.to_owned(), 0);
    }
    for f in &out.findings {
        *s.by_severity.entry(f.severity.id().to_owned()).or_default() += 1;
        let families: BTreeSet<&str> = f
            .controls
            .iter()
            .filter_map(|c| c.split('-').next())
            .collect();
        for fam in families {
            *s.by_family.entry(fam.to_owned()).or_default() += 1;
        }
    }
    // Suppressed and baselined failures are accepted, not fixed: the control still fails.
    let failed_controls: BTreeSet<&str> = out
        .findings
        .iter()
        .chain(&out.suppressed)
        .chain(&out.baselined)
        .flat_map(|f| f.controls.iter().map(String::as_str))
        .collect();
    let all_controls: BTreeSet<&str> = selected
        .iter()
        .filter_map(|i| rules.get(*i))
        .flat_map(|r| r.controls.iter().map(String::as_str))
        .collect();
    for c in all_controls {
        let (pass, fail, _) = evaluated.get(c).copied().unwrap_or_default();
        if failed_controls.contains(c) {
            s.controls.failed.push(c.to_owned());
        } else if pass > 0 || fail > 0 {
            s.controls.passed.push(c.to_owned());
        } else {
            s.controls.not_evaluated.push(c.to_owned());
        }
    }
    out
}
