//! Snapshots of the document models — what each document says, in both languages — made
//! from the examples. A change of wording, order or data shows up here for review; the
//! bytes of the PDF and DOCX are checked by reading them back (crates/cli/tests/report.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use cloudward_domain::{Lang, check, engagement, workflow::ExitRecord};
use cloudward_report::{Inputs, Kind, build, kinds::Needs, subjects, templates};

fn example(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name),
    )
    .unwrap()
}

#[test]
fn every_kind_in_both_languages() {
    let content = cloudward_content::embedded_content().unwrap();
    let messages = cloudward_content::messages();
    let templates = templates::embedded().unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let exit: ExitRecord = serde_saphyr::from_str(&example("exit-phase.exit-record.yaml")).unwrap();
    let assessment: cloudward_oscal::results::AssessmentFile =
        serde_saphyr::from_str(&example("offering.assessment.yaml")).unwrap();
    let scan: subjects::ScanFile = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hcl-project.scan.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let sources: Vec<_> = cloudward_content::embedded()
        .into_iter()
        .filter(|s| s.path.starts_with("rules/"))
        .collect();
    let rules: BTreeMap<String, subjects::RuleWords> =
        cloudward_scan::rules::load(&[&sources], &content.catalog)
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.id.clone(),
                    subjects::RuleWords {
                        title: r.title.clone(),
                        remediation: r.remediation.text.clone(),
                    },
                )
            })
            .collect();
    let supervision: cloudward_report::supervision::SupervisionData =
        serde_json::from_str(&example("community-sensitive-critical.supervision.json")).unwrap();
    for kind in Kind::ALL {
        let name = match kind.needs() {
            Needs::Exit => "exit-phase.yaml",
            Needs::Engagement | Needs::Assessment | Needs::Scan | Needs::Supervision => {
                "community-sensitive-critical.yaml"
            }
        };
        let text = example(name);
        let file = engagement::parse(&text).unwrap();
        let report = check::check(&file, &text, &content, date).unwrap();
        let inputs = Inputs {
            file: &file,
            report: &report,
            content: &content,
            messages: &messages,
            version: "example".into(),
            date,
            exit: Some(&exit),
            supervision: Some(cloudward_report::supervision::Supervision {
                data: &supervision,
                rules: &rules,
            }),
            reference: None,
        };
        let evidence = vec![subjects::EvidenceItem {
            id: "audit-log-sampling.xlsx".into(),
            name: "audit-log-sampling.xlsx".into(),
            sha256: Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into()),
        }];
        let assessment_inputs = subjects::AssessmentInputs {
            offering: assessment.offering.clone(),
            provider: assessment.provider.clone(),
            claimed: None,
            assessed: None,
            assessor: assessment.assessor.clone(),
            conclusion: assessment.conclusion.as_ref(),
            results: &assessment.results,
            evidence,
            content: &content,
            messages: &messages,
            version: "example".into(),
            date,
            reference: None,
        };
        let scan_inputs = subjects::ScanInputs {
            scan: &scan,
            rules: &rules,
            subject: "市医疗保障结算系统".into(),
            content: &content,
            messages: &messages,
            version: "example".into(),
            date,
            reference: None,
        };
        for lang in Lang::ALL {
            let doc = match kind.needs() {
                Needs::Assessment => subjects::assessment(&templates, &assessment_inputs, lang),
                Needs::Scan => subjects::scan(&templates, &scan_inputs, lang),
                Needs::Engagement | Needs::Exit | Needs::Supervision => {
                    build(kind, &templates, &inputs, lang)
                }
            }
            .unwrap();
            // No message key left unrendered on the page.
            let json = serde_json::to_string(&doc).unwrap();
            for prefix in ["\"doc.", "\"ui.", "\"actor.", "\"level.", "\"party."] {
                assert!(
                    !json.contains(prefix),
                    "{} {lang:?}: key {prefix}… shown",
                    kind.id()
                );
            }
            insta::assert_json_snapshot!(format!("{}.{}", kind.id(), lang.code()), doc);
        }
    }
}
