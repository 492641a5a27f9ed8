//! Table-driven tests of every rule and gate of `check`, on the built-in content.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use chrono::NaiveDate;
use cloudward_content::embedded_content;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::check::{CheckError, Priority, Report, Severity, check};
use cloudward_domain::classify::{BusinessType, DeploymentModel, InfoType};
use cloudward_domain::engagement::{
    Commitment, EngagementFile, OutputRecord, Phase, ResponsibilityOverride, parse,
};
use cloudward_domain::load::Content;
use cloudward_domain::responsibility::Actor;

fn content() -> Content {
    embedded_content().unwrap_or_else(|p| panic!("built-in content invalid: {p:?}"))
}

const BASE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/saas-public-general.yaml"
);

fn base() -> (EngagementFile, String) {
    let text = std::fs::read_to_string(BASE_PATH).unwrap();
    (parse(&text).unwrap(), text)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn run(file: &EngagementFile, text: &str) -> Report {
    check(file, text, &content(), day("2026-11-28"))
        .unwrap_or_else(|e| panic!("check failed: {e:?}"))
}

fn codes(report: &Report, severity: Severity) -> Vec<&'static str> {
    let list = match severity {
        Severity::Blocker => &report.blockers,
        Severity::Warning => &report.warnings,
        Severity::Info => &report.recommendations,
    };
    list.iter().map(|f| f.code).collect()
}

/// Applies `change` to the base file and returns the report.
fn with(change: impl FnOnce(&mut EngagementFile)) -> Report {
    let (mut file, text) = base();
    change(&mut file);
    run(&file, &text)
}

fn absent() -> Commitment {
    Commitment {
        present: false,
        reference: None,
    }
}

#[test]
fn the_base_example_has_no_blockers() {
    let r = with(|_| {});
    assert_eq!(codes(&r, Severity::Blocker), Vec::<&str>::new());
    assert_eq!(r.level, ProtectionLevel::General);
    assert!(r.deployment_allowed);
    assert_eq!(r.next_phase, Some(Phase::Operation));
}

#[test]
fn deployment_model_against_the_level() {
    let cases = [
        (
            vec![InfoType::Sensitive],
            BusinessType::Critical,
            DeploymentModel::Public,
            true,
        ),
        (
            vec![InfoType::Sensitive],
            BusinessType::Critical,
            DeploymentModel::Hybrid,
            true,
        ),
        (
            vec![InfoType::Sensitive],
            BusinessType::Critical,
            DeploymentModel::Community,
            false,
        ),
        (
            vec![InfoType::Sensitive],
            BusinessType::Critical,
            DeploymentModel::Private,
            false,
        ),
        (
            vec![InfoType::Public, InfoType::Sensitive],
            BusinessType::Critical,
            DeploymentModel::Public,
            true,
        ),
        (
            vec![InfoType::Sensitive],
            BusinessType::Important,
            DeploymentModel::Public,
            false,
        ),
        (
            vec![InfoType::Public],
            BusinessType::General,
            DeploymentModel::Hybrid,
            false,
        ),
    ];
    for (info, business, model, blocked) in cases {
        let r = with(|f| {
            f.information = info.clone();
            f.business = business;
            f.deployment_model = model;
        });
        assert_eq!(
            codes(&r, Severity::Blocker).contains(&"deployment-not-allowed"),
            blocked,
            "{info:?} {business:?} {model:?}"
        );
        assert_eq!(r.deployment_allowed, !blocked);
    }
}

#[test]
fn classified_information_is_refused() {
    let (mut file, text) = base();
    file.information = vec![InfoType::Public, InfoType::Classified];
    assert_eq!(
        check(&file, &text, &content(), day("2026-11-28")).err(),
        Some(CheckError::Classified)
    );
}

#[test]
fn requirement_analysis_must_be_complete_before_selection() {
    let r = with(|f| {
        f.phase = Phase::Planning;
        f.requirements.latency = None;
    });
    let b = r
        .blockers
        .iter()
        .find(|b| b.code == "requirement-analysis-incomplete")
        .expect("blocker");
    assert_eq!(b.ids, vec!["latency"]);
    let r = with(|f| f.requirements.latency = None);
    assert!(codes(&r, Severity::Warning).contains(&"requirement-analysis-incomplete"));
    assert!(!codes(&r, Severity::Blocker).contains(&"requirement-analysis-incomplete"));
}

#[test]
fn responsibility_coverage_rule() {
    let (_, text) = base();
    let over = |element: &str,
                owner: Option<Actor>,
                parties: Option<Vec<Actor>>,
                split: &[(Actor, &str)]| {
        let yaml = format!("element: \"{element}\"\n");
        let mut o: ResponsibilityOverride = serde_saphyr::from_str(&yaml).unwrap();
        o.owner = owner;
        o.parties = parties;
        o.split = split.iter().map(|(a, s)| (*a, (*s).to_owned())).collect();
        o
    };
    let cases: Vec<(ResponsibilityOverride, &str, bool)> = vec![
        (
            over("application/AU", None, Some(vec![]), &[]),
            "responsibility-uncovered",
            true,
        ),
        (
            over(
                "application/AU",
                None,
                Some(vec![Actor::Customer, Actor::Provider]),
                &[],
            ),
            "responsibility-ambiguous",
            true,
        ),
        (
            over(
                "application/AU",
                None,
                Some(vec![Actor::Customer, Actor::Provider]),
                &[(Actor::Customer, "a"), (Actor::Provider, "b")],
            ),
            "responsibility-ambiguous",
            false,
        ),
        (
            over("*/AU", Some(Actor::SecurityServiceProvider), None, &[]),
            "ssp-unnamed",
            true,
        ),
        (
            over("data/*", Some(Actor::Customer), None, &[]),
            "responsibility-uncovered",
            false,
        ),
    ];
    for (o, code, expected) in cases {
        let (mut file, _) = base();
        let element = o.element.value.clone();
        file.responsibility = vec![o];
        let r = run(&file, &text);
        assert_eq!(
            codes(&r, Severity::Blocker).contains(&code),
            expected,
            "{element} → {code}"
        );
    }
    // A named security service provider may take elements over.
    let (mut file, _) = base();
    file.responsibility = vec![over(
        "*/AU",
        Some(Actor::SecurityServiceProvider),
        None,
        &[],
    )];
    file.security_service_provider = serde_saphyr::from_str("name: S").ok();
    let r = run(&file, &text);
    assert!(r.blockers.is_empty(), "{:?}", r.blockers);
    assert!(r.responsibility.security_service_provider.len() >= 3);
}

#[test]
fn contract_clauses_required_by_level_and_analysis() {
    // (level inputs, phase, clause removed, expected severity)
    let sensitive = vec![InfoType::Sensitive];
    let public = vec![InfoType::Public];
    let cases = [
        (
            &public,
            Phase::Selection,
            "data-location",
            Some(Severity::Blocker),
        ),
        (&public, Phase::Planning, "data-location", None),
        (
            &public,
            Phase::Operation,
            "exit-deletion",
            Some(Severity::Blocker),
        ),
        (
            &public,
            Phase::Selection,
            "change-notification",
            Some(Severity::Warning),
        ),
        (
            &sensitive,
            Phase::Selection,
            "change-notification",
            Some(Severity::Blocker),
        ),
        // log_query: true in the base file makes supervision interfaces necessary at any level.
        (
            &public,
            Phase::Selection,
            "supervision-interfaces",
            Some(Severity::Blocker),
        ),
    ];
    for (info, phase, clause, expected) in cases {
        let r = with(|f| {
            f.information = info.clone();
            f.phase = phase;
            f.contract.insert(clause.to_owned(), absent());
            f.lifecycle.outputs.insert(
                "exit-plan".into(),
                OutputRecord {
                    reference: "x".into(),
                    date: None,
                },
            );
        });
        let found = r
            .blockers
            .iter()
            .chain(&r.warnings)
            .find(|f| f.ids.contains(&clause.to_owned()) && f.code.starts_with("clause-"))
            .map(|f| f.severity);
        assert_eq!(found, expected, "{info:?} {phase:?} {clause}");
    }
    let r = with(|f| {
        f.contract.insert(
            "exit-return".into(),
            Commitment {
                present: true,
                reference: None,
            },
        );
    });
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == "no-reference" && w.ids == ["exit-return"])
    );
}

#[test]
fn basic_requirements_gate_the_contract() {
    let r = with(|f| {
        f.basic_requirements.remove("BR3");
    });
    assert!(
        r.blockers
            .iter()
            .any(|b| b.code == "basic-requirement-missing" && b.ids == ["BR3"])
    );
}

/// Check date, phase, change to the file, expected assessment blocker and warning.
type AssessmentCase<'a> = (
    &'a str,
    Phase,
    &'a dyn Fn(&mut EngagementFile),
    Option<&'a str>,
    Option<&'a str>,
);

#[test]
fn assess_first_use_after() {
    let (file, text) = base();
    let on = |date: &str, phase: Phase, change: &dyn Fn(&mut EngagementFile)| {
        let mut f = file.clone();
        f.phase = phase;
        change(&mut f);
        check(&f, &text, &content(), day(date)).unwrap()
    };
    let none = |_: &mut EngagementFile| {};
    let cases: Vec<AssessmentCase> = vec![
        ("2026-11-28", Phase::Selection, &none, None, None),
        (
            "2028-03-11",
            Phase::Operation,
            &none,
            Some("assessment-expired"),
            None,
        ),
        (
            "2025-03-01",
            Phase::Selection,
            &none,
            Some("assessment-not-yet-valid"),
            None,
        ),
        (
            "2028-01-01",
            Phase::Operation,
            &none,
            None,
            Some("assessment-expiring"),
        ),
        ("2028-03-11", Phase::Exit, &none, None, None),
        (
            "2028-03-11",
            Phase::Planning,
            &none,
            None,
            Some("assessment-expired"),
        ),
        (
            "2026-11-28",
            Phase::Selection,
            &|f: &mut EngagementFile| f.information = vec![InfoType::Sensitive],
            None,
            None,
        ),
        (
            "2026-11-28",
            Phase::Selection,
            &|f: &mut EngagementFile| {
                f.information = vec![InfoType::Sensitive];
                f.business = BusinessType::Critical;
                f.deployment_model = DeploymentModel::Private;
            },
            Some("assessment-level-too-low"),
            None,
        ),
        (
            "2026-11-28",
            Phase::Operation,
            &|f: &mut EngagementFile| {
                if let Some(p) = f.provider.as_mut() {
                    p.assessment = None;
                }
            },
            Some("assessment-missing"),
            None,
        ),
    ];
    for (date, phase, change, blocker, warning) in cases {
        let mut r = on(date, phase, change);
        r.blockers.retain(|b| b.code.starts_with("assessment"));
        r.warnings.retain(|w| w.code.starts_with("assessment"));
        assert_eq!(
            r.blockers.first().map(|b| b.code),
            blocker,
            "{date} {phase:?}"
        );
        assert_eq!(
            r.warnings.first().map(|w| w.code),
            warning,
            "{date} {phase:?}"
        );
    }
}

#[test]
fn data_location() {
    let (file, text) = base();
    let cases = [
        (
            "alicloud",
            "cn-hongkong",
            None,
            Some(Severity::Blocker),
            "data-outside-mainland",
        ),
        (
            "alicloud",
            "cn-hongkong",
            Some("批复 2026-1"),
            Some(Severity::Warning),
            "data-outside-approved",
        ),
        (
            "huaweicloud",
            "ap-southeast-1",
            None,
            Some(Severity::Blocker),
            "data-outside-mainland",
        ),
        (
            "alicloud",
            "ap-southeast-1",
            None,
            Some(Severity::Blocker),
            "data-outside-mainland",
        ),
        (
            "alicloud",
            "cn-mars-1",
            None,
            Some(Severity::Warning),
            "region-unknown",
        ),
        (
            "tencentcloud",
            "ap-guangzhou",
            None,
            None,
            "data-outside-mainland",
        ),
    ];
    for (cloud, region, approval, expected, code) in cases {
        let mut f = file.clone();
        if let Some(p) = f.provider.as_mut() {
            p.cloud = Some(cloud.into());
        }
        let yaml = format!("regions: [{region}]\n");
        let mut d: cloudward_domain::engagement::DataLocationAnswer =
            serde_saphyr::from_str(&yaml).unwrap();
        d.cross_border_approval = approval.map(str::to_owned);
        f.requirements.data_location = Some(d);
        let r = run(&f, &text);
        let found = r
            .blockers
            .iter()
            .chain(&r.warnings)
            .find(|x| x.code == code)
            .map(|x| x.severity);
        assert_eq!(found, expected, "{cloud} {region}");
    }
}

#[test]
fn risk_register_rules() {
    let (file, text) = base();
    let risks_yaml = |yaml: &str| {
        let mut f = file.clone();
        f.risks = serde_saphyr::from_str(yaml).unwrap();
        run(&f, &text)
    };
    let r = risks_yaml("- { id: R1, likelihood: 4, impact: 4 }\n");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == "risk-untreated-high" && w.ids == ["R1"])
    );
    // In selection an unassessed risk stops the move to operation; later it is a warning.
    assert_eq!(file.phase, Phase::Selection);
    assert_eq!(
        r.blockers
            .iter()
            .filter(|w| w.code == "risk-not-assessed")
            .count(),
        6,
        "R2…R7 seeded"
    );
    let mut later = file.clone();
    later.phase = Phase::Operation;
    later.risks = serde_saphyr::from_str("- { id: R1, likelihood: 4, impact: 4 }\n").unwrap();
    let r2 = run(&later, &text);
    assert!(!r2.blockers.iter().any(|w| w.code == "risk-not-assessed"));
    assert_eq!(
        r2.warnings
            .iter()
            .filter(|w| w.code == "risk-not-assessed")
            .count(),
        6
    );
    let r =
        risks_yaml("- { id: R1, likelihood: 4, impact: 4, treatment: { controls: [AC-01] } }\n");
    assert!(!r.warnings.iter().any(|w| w.code == "risk-untreated-high"));
    let r = risks_yaml(
        "- { id: R1, likelihood: 2, impact: 2, treatment: { clauses: [subcontracting] } }\n",
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == "risk-relies-on-missing-clause"
                && w.ids.contains(&"subcontracting".to_string()))
    );
    let r = risks_yaml(
        "- { id: R1, likelihood: 5, impact: 5, treatment: { controls: [AC-01] }, residual: { likelihood: 4, impact: 4 } }\n",
    );
    assert!(r.warnings.iter().any(|w| w.code == "risk-residual-high"));
    let r = risks_yaml("- { id: R9, name: 自定义, likelihood: 1, impact: 1 }\n");
    assert_eq!(r.risks.len(), 8);
    assert_eq!(
        r.risks.iter().find(|x| x.id == "R9").and_then(|x| x.score),
        Some(1)
    );
}

#[test]
fn lifecycle_gates() {
    let out = |s: &str| OutputRecord {
        reference: s.into(),
        date: None,
    };
    let (file, text) = base();
    // Planning: every planning output is needed before selection.
    let mut f = file.clone();
    f.phase = Phase::Planning;
    f.lifecycle.outputs.remove("decision-report");
    let r = run(&f, &text);
    assert!(
        r.blockers
            .iter()
            .any(|b| b.code == "output-missing" && b.ids == ["decision-report"])
    );
    // Operation: the exit plan is needed before exit; missing supervision records only warn.
    let mut f = file.clone();
    f.phase = Phase::Operation;
    f.lifecycle.outputs.remove("exit-plan");
    let r = run(&f, &text);
    assert!(codes(&r, Severity::Blocker).contains(&"exit-plan-missing"));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.code == "output-missing" && w.ids == ["supervision-records"])
    );
    // Exit: the three conditions for closing, one at a time.
    for (present, missing_code) in [
        (
            ["data-handover-record", "deletion-confirmation"],
            "exit-data-scope-missing",
        ),
        (
            ["data-scope-list", "deletion-confirmation"],
            "exit-integrity-unverified",
        ),
        (
            ["data-scope-list", "data-handover-record"],
            "exit-deletion-unconfirmed",
        ),
    ] {
        for phase in [Phase::Exit, Phase::Closed] {
            let mut f = file.clone();
            f.phase = phase;
            for p in present {
                f.lifecycle.outputs.insert(p.into(), out("ref"));
            }
            let r = run(&f, &text);
            assert_eq!(
                codes(&r, Severity::Blocker),
                vec![missing_code],
                "{phase:?}"
            );
        }
    }
    let mut f = file.clone();
    f.phase = Phase::Exit;
    for p in [
        "data-scope-list",
        "data-handover-record",
        "deletion-confirmation",
    ] {
        f.lifecycle.outputs.insert(p.into(), out("ref"));
    }
    let r = run(&f, &text);
    assert!(r.blockers.is_empty(), "{:?}", r.blockers);
    assert_eq!(r.next_phase, Some(Phase::Closed));
}

#[test]
fn analysis_findings() {
    let r = with(|_| {});
    assert_eq!(
        r.analysis.migration_priority,
        Some(Priority::High),
        "stable + periodic"
    );
    assert!(
        r.analysis.portability_plan_needed,
        "SaaS needs a portability plan"
    );
    assert!(codes(&r, Severity::Info).contains(&"cost-saving"));

    let r = with(|f| {
        if let Some(l) = f.requirements.latency.as_mut() {
            l.tolerance_ms = Some(50.0);
            l.expected_ms = Some(60.0);
        }
        if let Some(c) = f.requirements.continuity.as_mut() {
            c.availability_percent = Some(99.99);
            c.rto_hours = Some(1.0);
        }
        if let Some(p) = f.requirements.portability.as_mut() {
            p.exit_plan = Some(false);
        }
        if let Some(s) = f.requirements.functional_stability.as_mut() {
            s.stability = Some(cloudward_domain::engagement::Stability::Volatile);
            s.generality = Some(cloudward_domain::engagement::Generality::Specialised);
        }
        if let Some(b) = f.requirements.benefit_cost.as_mut() {
            b.cloud_annual_cost = Some(40.0);
        }
    });
    let w = codes(&r, Severity::Warning);
    for code in [
        "latency-exceeded",
        "continuity-availability-gap",
        "continuity-rto-gap",
        "portability-plan-missing",
        "fit-saas-specialised",
        "fit-volatile",
        "cost-higher",
    ] {
        assert!(w.contains(&code), "{code} in {w:?}");
    }
    assert_eq!(r.analysis.migration_priority, Some(Priority::Low));
}

#[test]
fn bad_ids_are_input_errors_with_lines_and_hints() {
    let (_, text) = base();
    let broken = text
        .replace(
            "data-location: { present: true",
            "data-locaton: { present: true",
        )
        .replace("- { id: R1, likelihood: 2,", "- { id: R1, likelihood: 7,")
        .replace("    - selection.contract\n", "    - selection.contrakt\n");
    let file = parse(&broken).unwrap();
    let Err(CheckError::Invalid(errors)) = check(&file, &broken, &content(), day("2026-11-28"))
    else {
        panic!("accepted");
    };
    let clause = errors
        .iter()
        .find(|e| e.field == "contract.data-locaton")
        .expect("clause error");
    assert_eq!(
        clause.line,
        broken
            .lines()
            .position(|l| l.contains("data-locaton"))
            .map(|i| i as u64 + 1)
    );
    assert!(
        clause
            .args
            .iter()
            .any(|(k, v)| *k == "hint" && v == "data-location")
    );
    assert!(
        errors
            .iter()
            .any(|e| e.field == "risks.R1.likelihood" && e.key == "input.score_range")
    );
    assert!(errors.iter().any(|e| {
        e.field == "lifecycle.activities"
            && e.args
                .iter()
                .any(|(k, v)| *k == "hint" && v == "selection.contract")
    }));
}

fn mlps_file(level: u8) -> cloudward_domain::engagement::Mlps {
    cloudward_domain::engagement::Mlps {
        level,
        filing: Some(cloudward_domain::engagement::MlpsFiling {
            number: "11010513001-20001".into(),
            date: day("2025-03-01"),
            organ: "海淀分局网安大队".into(),
        }),
        assessment: Some(cloudward_domain::engagement::MlpsAssessment {
            date: day("2026-06-01"),
            result: cloudward_domain::engagement::MlpsResult::Conforms,
            assessor: None,
            reference: None,
        }),
    }
}

fn mlps_codes(report: &Report) -> Vec<&'static str> {
    report
        .warnings
        .iter()
        .filter(|f| f.code.starts_with("mlps-"))
        .map(|f| {
            assert_eq!(f.origin, Some("cloudward"), "{} is our rule", f.code);
            f.code
        })
        .collect()
}

#[test]
fn mlps_grading_filing_and_assessment() {
    use cloudward_domain::engagement::MlpsResult;
    // The base example carries general information: a level-2 record in order is quiet.
    let (_, text) = base();
    let quiet = with(|f| {
        f.phase = Phase::Operation;
        f.mlps = Some(mlps_file(2));
    });
    assert_eq!(mlps_codes(&quiet), Vec::<&str>::new());
    assert_eq!(quiet.level, ProtectionLevel::General);
    // Level 3 on general protection asks for enhanced.
    let high = with(|f| f.mlps = Some(mlps_file(3)));
    assert_eq!(mlps_codes(&high), ["mlps-protection-too-low"]);
    let messages = cloudward_content::messages();
    let finding = high
        .warnings
        .iter()
        .find(|f| f.code == "mlps-protection-too-low")
        .unwrap();
    let zh = finding.message(&content(), &messages, cloudward_domain::lang::Lang::Zh);
    assert!(zh.contains("增强保护"), "{zh}");
    // Not filed; no assessment while in operation; an old one; a failed one.
    type Change = Box<dyn Fn(&mut cloudward_domain::engagement::Mlps)>;
    let cases: [(&str, Change); 4] = [
        ("mlps-not-filed", Box::new(|m| m.filing = None)),
        ("mlps-assessment-missing", Box::new(|m| m.assessment = None)),
        (
            "mlps-assessment-old",
            Box::new(|m| {
                if let Some(a) = m.assessment.as_mut() {
                    a.date = day("2025-10-01");
                }
            }),
        ),
        (
            "mlps-assessment-failed",
            Box::new(|m| {
                if let Some(a) = m.assessment.as_mut() {
                    a.result = MlpsResult::DoesNotConform;
                }
            }),
        ),
    ];
    for (code, change) in cases {
        let report = with(|f| {
            f.phase = Phase::Operation;
            f.information = vec![InfoType::Sensitive];
            let mut m = mlps_file(3);
            change(&mut m);
            f.mlps = Some(m);
        });
        assert_eq!(mlps_codes(&report), [code], "{code}");
    }
    // An old assessment matters from level 3 only.
    let level2_old = with(|f| {
        let mut m = mlps_file(2);
        if let Some(a) = m.assessment.as_mut() {
            a.date = day("2024-01-01");
        }
        f.mlps = Some(m);
    });
    assert_eq!(mlps_codes(&level2_old), Vec::<&str>::new());
    // A level outside 1–5 is bad input at its line.
    let bad = format!("{text}mlps:\n  level: 7\n");
    let file = parse(&bad).unwrap();
    match check(&file, &bad, &content(), day("2026-11-28")) {
        Err(CheckError::Invalid(errors)) => {
            assert_eq!(errors[0].field, "mlps.level");
            assert_eq!(errors[0].line, Some(bad.lines().count() as u64));
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}
