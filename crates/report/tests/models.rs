//! Snapshots of the document models — what each document says, in both languages — made
//! from the examples. A change of wording, order or data shows up here for review; the
//! bytes of the PDF and DOCX are checked by reading them back (crates/cli/tests/report.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::Path;

use chrono::NaiveDate;
use cloudward_domain::{Lang, check, engagement, workflow::ExitRecord};
use cloudward_report::{Inputs, Kind, build, kinds::Needs, templates};

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
    for kind in Kind::ALL {
        let name = match kind.needs() {
            Needs::Exit => "exit-phase.yaml",
            Needs::Engagement => "community-sensitive-critical.yaml",
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
            reference: None,
        };
        for lang in Lang::ALL {
            let doc = build(kind, &templates, &inputs, lang).unwrap();
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
