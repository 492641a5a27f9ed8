//! Running rules over an estate: which rules apply (level, provider, type), evaluation in
//! parallel, suppressions and the baseline, and the summary by severity and control.

use std::borrow::Cow;
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

/// What a finding is about, as reports write it: borrowed from the estate and the rules
/// when the report is written, never stored per finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRef<'a> {
    pub address: Cow<'a, str>,
    #[serde(rename = "type")]
    pub rtype: &'a str,
    pub provider: &'a str,
    pub file: &'a str,
    pub line: u64,
    pub region: Option<&'a str>,
}

impl<'a> ResourceRef<'a> {
    fn of(r: &'a Resource) -> ResourceRef<'a> {
        ResourceRef {
            address: Cow::Borrowed(&r.address),
            rtype: &r.rtype,
            provider: &r.provider,
            file: &r.file,
            line: r.line,
            region: r.region.as_deref(),
        }
    }

    fn account(provider: &'a str) -> ResourceRef<'a> {
        ResourceRef {
            address: Cow::Owned(format!("{provider} (account)")),
            rtype: "account",
            provider,
            file: "",
            line: 0,
            region: None,
        }
    }
}

/// The subject of a finding about a provider's account rather than one resource.
pub const ACCOUNT: u32 = u32::MAX;

/// A rule that failed (or could not be decided) on a resource. The rule and the resource
/// are indices into the rule list and the estate: a million findings copy no strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index of the rule in the rule list.
    pub rule: u32,
    /// Index of the resource in the estate, or [`ACCOUNT`] for an account-wide rule (the
    /// account is the rule's provider's).
    pub subject: u32,
    pub severity: Severity,
    pub status: Status,
    /// Why it is suppressed, when an inline comment suppresses it (boxed: rare, and a
    /// finding stays 32 bytes).
    #[allow(clippy::box_collection)]
    pub suppressed: Option<Box<String>>,
    /// For an unknown result: what could not be known.
    pub reason: Option<Box<UnknownReason>>,
}

impl Finding {
    /// Index of the rule in the rule list.
    pub fn rule_index(&self) -> usize {
        self.rule as usize
    }

    /// The resource, unless the finding is about an account.
    pub fn resource<'a>(&self, estate: &'a Estate) -> Option<&'a Resource> {
        if self.subject == ACCOUNT {
            None
        } else {
            estate.resources.get(self.subject as usize)
        }
    }

    /// The id of the rule.
    pub fn rule_id<'a>(&self, rules: &'a [Rule]) -> &'a str {
        rules
            .get(self.rule_index())
            .map(|r| r.id.as_str())
            .unwrap_or_default()
    }

    /// The controls of the rule.
    pub fn controls<'a>(&self, rules: &'a [Rule]) -> &'a [String] {
        rules
            .get(self.rule_index())
            .map(|r| &*r.controls)
            .unwrap_or_default()
    }

    /// What the finding is about, as reports write it.
    pub fn reference<'a>(&self, rules: &'a [Rule], estate: &'a Estate) -> ResourceRef<'a> {
        match self.resource(estate) {
            Some(r) => ResourceRef::of(r),
            None => ResourceRef::account(
                rules
                    .get(self.rule_index())
                    .map(|r| r.provider.as_str())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The address of what the finding is about.
    pub fn address<'a>(&self, rules: &'a [Rule], estate: &'a Estate) -> Cow<'a, str> {
        match self.resource(estate) {
            Some(r) => Cow::Borrowed(&r.address),
            None => self.reference(rules, estate).address,
        }
    }
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
    pub fn of(findings: &[Finding], rules: &[Rule], estate: &Estate) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                rule_id: f.rule_id(rules).to_owned(),
                address: f.address(rules, estate).into_owned(),
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
    /// Controls with a failing evaluation, accepted ones included.
    pub failed: Vec<String>,
    /// Of `failed`, those failed only by accepted findings (suppressed or in the baseline):
    /// no new finding counts against them.
    pub accepted: Vec<String>,
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
    let ctx = Ctx::new(estate, regions);
    let mut by_type: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut account = Vec::new();
    // Evaluations per rule: every resource of each of its types (passes are only counted).
    let mut evaluations = vec![0usize; rules.len()];
    for &i in selected {
        let Some(rule) = rules.get(i) else { continue };
        match rule.scope {
            Scope::Resource => {
                for t in &rule.resources {
                    by_type.entry(t.as_str()).or_default().push(i as u32);
                    evaluations[i] += estate.count_of_type(t);
                }
            }
            Scope::Account => account.push(i),
        }
    }
    // (rule, result, resource index) of every evaluation that did not pass, in parallel,
    // in input order.
    let per_resource: Vec<(u32, Tri, u32)> = estate
        .resources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(ri, res)| {
            let ids = by_type.get(&*res.rtype).map(Vec::as_slice).unwrap_or(&[]);
            let ctx = &ctx;
            ids.iter().filter_map(move |&i| {
                let rule = rules.get(i as usize)?;
                match eval(&rule.cond, res, &res.attrs, ctx) {
                    Tri::True => None,
                    tri => Some((i, tri, ri as u32)),
                }
            })
        })
        .collect();
    let providers = estate.providers();
    // (rule, result, subject): an account-wide rule that does not hold is reported on each
    // resource carrying its setting that fails it (where the fix is), and on the account
    // only when no such resource exists.
    let mut per_account: Vec<(usize, Tri, u32)> = Vec::new();
    for &i in &account {
        let Some(rule) = rules.get(i) else { continue };
        if !providers.contains(&rule.provider.as_str()) {
            continue;
        }
        // Account rules read other resources only; any resource of the provider anchors them.
        let Some(anchor) = estate
            .resources
            .iter()
            .find(|r| *r.provider == *rule.provider)
        else {
            continue;
        };
        let overall = eval(&rule.cond, anchor, &anchor.attrs, &ctx);
        if overall == Tri::True {
            evaluations[i] += 1;
            continue;
        }
        let carriers: Vec<(usize, &Resource)> = estate
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| rule.resources.iter().any(|t| **t == *r.rtype))
            .collect();
        let mut reported = false;
        for &(ri, r) in &carriers {
            let one = Ctx {
                only: Some((&rule.resources, r)),
                ..Ctx::new(estate, regions)
            };
            evaluations[i] += 1;
            let tri = eval(&rule.cond, r, &r.attrs, &one);
            if tri != Tri::True {
                reported = true;
                per_account.push((i, tri, ri as u32));
            }
        }
        if !reported {
            evaluations[i] += 1;
            per_account.push((i, overall, ACCOUNT));
        }
    }

    let baseline: HashSet<(&str, &str)> = baseline
        .map(|b| {
            b.findings
                .iter()
                .map(|e| (e.rule_id.as_str(), e.address.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Outcome::default();
    // Room for every failure up front: a million findings must not grow by doubling.
    let fails = per_resource
        .iter()
        .filter(|(_, tri, _)| *tri == Tri::False)
        .count();
    out.findings.reserve_exact(fails + per_account.len());
    // Per rule: (failed, unknown) evaluations, and findings that count.
    let mut failed = vec![0usize; rules.len()];
    let mut unknown = vec![0usize; rules.len()];
    let mut counted = vec![0usize; rules.len()];
    let all = per_resource.into_iter().chain(
        per_account
            .into_iter()
            .map(|(i, tri, subject)| (i as u32, tri, subject)),
    );
    for (i, tri, subject) in all {
        let idx = i as usize;
        let Some(rule) = rules.get(idx) else { continue };
        let res = if subject == ACCOUNT {
            None
        } else {
            estate.resources.get(subject as usize)
        };
        let finding = |status, suppressed| Finding {
            rule: i,
            subject,
            severity: rule.severity,
            status,
            suppressed,
            reason: None,
        };
        match tri {
            Tri::True => {}
            Tri::Unknown => {
                unknown[idx] += 1;
                let ignored = suppression(res, rule);
                out.unknown.push(finding(Status::Unknown, ignored));
            }
            Tri::False => {
                failed[idx] += 1;
                let ignored = suppression(res, rule);
                let f = finding(Status::Fail, ignored);
                if f.suppressed.is_some() {
                    out.suppressed.push(f);
                } else if !baseline.is_empty()
                    && baseline.contains(&(rule.id.as_str(), &*f.address(rules, estate)))
                {
                    out.baselined.push(f);
                } else {
                    counted[idx] += 1;
                    out.findings.push(f);
                }
            }
        }
    }
    // Rules by id once; then findings sort on integers: severity, rule, input order.
    let mut by_id: Vec<usize> = (0..rules.len()).collect();
    by_id.sort_by(|a, b| rules[*a].id.cmp(&rules[*b].id));
    let mut rank = vec![0usize; rules.len()];
    for (pos, i) in by_id.into_iter().enumerate() {
        rank[i] = pos;
    }
    // Rule and resource make the key unique: an unstable sort needs no scratch memory.
    out.findings.sort_unstable_by_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            rank.get(f.rule_index()).copied().unwrap_or(0),
            f.subject,
        )
    });
    for f in &mut out.unknown {
        let Some(rule) = rules.get(f.rule_index()) else {
            continue;
        };
        let res = f.resource(estate).or_else(|| {
            estate
                .resources
                .iter()
                .find(|r| *r.provider == *rule.provider)
        });
        f.reason = res
            .and_then(|r| explain(&rule.cond, r, &r.attrs, &ctx))
            .map(Box::new);
    }
    out.unknown.sort_by(|a, b| {
        a.rule_id(rules)
            .cmp(b.rule_id(rules))
            .then_with(|| a.address(rules, estate).cmp(&b.address(rules, estate)))
    });

    let s = &mut out.summary;
    // Secrets found in the code are records of the scan, not resources of the cloud.
    s.resources = estate
        .resources
        .iter()
        .filter(|r| *r.provider != *crate::input::secrets::PSEUDO_PROVIDER)
        .count();
    s.rules = selected.len();
    s.evaluations = evaluations.iter().sum();
    s.passed = s.evaluations - failed.iter().sum::<usize>() - unknown.iter().sum::<usize>();
    s.failed = out.findings.len();
    s.unknown = out.unknown.len();
    s.suppressed = out.suppressed.len();
    s.baselined = out.baselined.len();
    for sev in Severity::IDS {
        s.by_severity.insert(sev.to_owned(), 0);
    }
    for (i, rule) in rules.iter().enumerate() {
        let n = counted[i];
        if n == 0 {
            continue;
        }
        *s.by_severity
            .entry(rule.severity.id().to_owned())
            .or_default() += n;
        let families: BTreeSet<&str> = rule
            .controls
            .iter()
            .filter_map(|c| c.split('-').next())
            .collect();
        for fam in families {
            *s.by_family.entry(fam.to_owned()).or_default() += n;
        }
    }
    // control → (pass, fail) evaluations. Suppressed and baselined failures are accepted,
    // not fixed: the control still fails.
    let mut evaluated: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failed_controls: BTreeSet<&str> = BTreeSet::new();
    let mut newly_failed: BTreeSet<&str> = BTreeSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let (fail, unk) = (failed[i], unknown[i]);
        if counted[i] > 0 {
            newly_failed.extend(rule.controls.iter().map(String::as_str));
        }
        let pass = evaluations[i] - fail - unk;
        for c in rule.controls.iter() {
            if evaluations[i] > 0 {
                let e = evaluated.entry(c.as_str()).or_default();
                e.0 += pass;
                e.1 += fail;
            }
            if fail > 0 {
                failed_controls.insert(c.as_str());
            }
        }
    }
    let all_controls: BTreeSet<&str> = selected
        .iter()
        .filter_map(|i| rules.get(*i))
        .flat_map(|r| r.controls.iter().map(String::as_str))
        .collect();
    for c in all_controls {
        let (pass, fail) = evaluated.get(c).copied().unwrap_or_default();
        if failed_controls.contains(c) {
            s.controls.failed.push(c.to_owned());
            if !newly_failed.contains(c) {
                s.controls.accepted.push(c.to_owned());
            }
        } else if pass > 0 || fail > 0 {
            s.controls.passed.push(c.to_owned());
        } else {
            s.controls.not_evaluated.push(c.to_owned());
        }
    }
    out
}

/// The reason of an inline suppression of `rule` on `res`.
#[allow(clippy::box_collection)] // one word in the finding, not three
fn suppression(res: Option<&Resource>, rule: &Rule) -> Option<Box<String>> {
    res?.ignored
        .iter()
        .find(|(id, _)| **id == *rule.id || &**id == "*")
        .map(|(_, reason)| Box::new(reason.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn findings_stay_small() {
        // A million resources can fail a million times.
        assert_eq!(std::mem::size_of::<super::Finding>(), 32);
    }
}
