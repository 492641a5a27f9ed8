//! The assessment results workbook: what is written is read back, and what a person got
//! wrong is named by its row and column, in the reader's language.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use cloudward_domain::workflow::{ControlAssessment, ControlResult};
use cloudward_domain::{Lang, ProtectionLevel};
use cloudward_report::workbook::{self, FormColumn, FormSheet};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

#[test]
fn the_results_written_are_read_back_and_the_same_data_give_the_same_bytes() {
    let content = cloudward_content::embedded_content().unwrap();
    let messages = cloudward_content::messages();
    let mut results = BTreeMap::new();
    let first = content
        .catalog
        .applicable(ProtectionLevel::General)
        .next()
        .unwrap()
        .id
        .clone();
    results.insert(
        first.clone(),
        ControlAssessment {
            result: ControlResult::PartiallySatisfied,
            notes: "两台主机未加固".into(),
            evidence: vec!["ev-1".into()],
            provider_response: None,
            waiver: None,
        },
    );
    let names = BTreeMap::from([(first.clone(), vec!["基线核查.xlsx".to_owned()])]);
    for lang in Lang::ALL {
        let form = workbook::results_form(
            &content,
            &messages,
            lang,
            &workbook::Assessed {
                level: ProtectionLevel::General,
                results: &results,
                evidence_of: &names,
                offering: "政务云",
            },
            date(),
        );
        assert_eq!(
            form.rows.len(),
            content.catalog.applicable(ProtectionLevel::General).count()
        );
        let bytes = workbook::write_form(&form).unwrap();
        assert_eq!(bytes, workbook::write_form(&form).unwrap(), "deterministic");
        // Read back in the other language too: the headers and the words of either do.
        for reader in Lang::ALL {
            let read = workbook::read_results(&bytes, &content, &messages, reader).unwrap();
            assert_eq!(read.len(), 1, "only the row with a result");
            let r = &read[&first];
            assert_eq!(r.result, ControlResult::PartiallySatisfied);
            assert_eq!(r.notes, "两台主机未加固");
            assert_eq!(r.waiver.as_deref(), Some(""), "the column is there, empty");
        }
    }
}

/// A sheet as a person might fill it: the form's header, then `rows`.
fn filled(rows: &[[&str; 6]]) -> Vec<u8> {
    let messages = cloudward_content::messages();
    let t = |k: &str| messages.text(k, Lang::Zh);
    let form = FormSheet {
        title: "t".into(),
        sheet: "评估结果".into(),
        instructions: "填写".into(),
        columns: [
            "wb.c.control",
            "wb.c.requirement",
            "wb.c.family",
            "wb.c.result",
            "wb.c.notes",
            "wb.c.waiver",
        ]
        .iter()
        .map(|k| FormColumn::shown(t(k), 10.0))
        .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect(),
        cell_choices: Vec::new(),
        date: date(),
    };
    workbook::write_form(&form).unwrap()
}

#[test]
fn what_a_person_got_wrong_is_named_by_row_and_column() {
    let content = cloudward_content::embedded_content().unwrap();
    let messages = cloudward_content::messages();
    let bytes = filled(&[
        ["AC-01", "", "", "满足", "", "制度已发布"],
        ["AC-99", "", "", "满足", "", ""],
        ["AC-02", "", "", "大致满足", "", ""],
        ["AC-01", "", "", "不满足", "", ""],
        ["AC-03", "", "", "", "只写了说明", ""],
        ["AC-04", "", "", "", "", ""],
        ["AC-05", "", "", "Not Applicable", "", ""],
    ]);
    let problems = workbook::read_results(&bytes, &content, &messages, Lang::En).unwrap_err();
    let lines: Vec<String> = problems
        .iter()
        .map(|p| workbook::problem_line(&messages, Lang::En, p))
        .collect();
    assert_eq!(
        lines,
        [
            "评估结果, row 4, column A: “AC-99” is not a control of the catalog",
            "评估结果, row 5, column D: “大致满足” is not a result; give one of: satisfied, partially satisfied, not satisfied, not applicable",
            "评估结果, row 6, column A: “AC-01” is given already in row 3",
            "评估结果, row 7, column D: notes or a waiver without a result; give one of: satisfied, partially satisfied, not satisfied, not applicable",
        ],
        "{lines:#?}"
    );
    // Fixed, the same sheet reads: words of either language, any case; a row left empty
    // stays as it is.
    let bytes = filled(&[
        ["AC-01", "", "", "满足", "", "制度已发布"],
        ["AC-04", "", "", "", "", ""],
        ["AC-05", "", "", "Not Applicable", "", ""],
    ]);
    let read = workbook::read_results(&bytes, &content, &messages, Lang::Zh).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read["AC-01"].waiver.as_deref(), Some("制度已发布"));
    assert_eq!(read["AC-05"].result, ControlResult::NotApplicable);

    // Not a workbook, or one without the columns: one problem that says so.
    let p = workbook::read_results(b"control,result\n", &content, &messages, Lang::Zh).unwrap_err();
    assert!(p[0].message.contains("不是可读取的 Excel 工作簿"), "{p:?}");
    let form = FormSheet {
        title: "t".into(),
        sheet: "其他".into(),
        instructions: String::new(),
        columns: vec![FormColumn::shown("编号".into(), 10.0)],
        rows: vec![vec!["AC-01".into()]],
        cell_choices: Vec::new(),
        date: date(),
    };
    let p = workbook::read_results(
        &workbook::write_form(&form).unwrap(),
        &content,
        &messages,
        Lang::Zh,
    )
    .unwrap_err();
    assert!(p[0].message.contains("缺少“控制编号”列"), "{p:?}");
}
