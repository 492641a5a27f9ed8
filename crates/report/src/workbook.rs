//! Workbooks people fill in and give back: a sheet with a line of instructions, a header
//! row, one row per item, the columns to fill marked and, where the answer is one of a
//! list, a drop-down of the words in the reader's language ([`write_form`]); and reading
//! such a sheet back ([`read_table`]), each problem named by its row and column as Excel
//! shows them ([`CellProblem`]).
//!
//! The assessment results ([`results_form`], [`read_results`]) are one such workbook; the
//! server's requirement analysis is another.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use cloudward_domain::i18n::Messages;
use cloudward_domain::load::Content;
use cloudward_domain::workflow::{ControlAssessment, ControlResult};
use cloudward_domain::{Lang, ProtectionLevel};
use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook,
};

/// A column of a form sheet.
#[derive(Debug, Clone)]
pub struct FormColumn {
    pub header: String,
    /// In Excel's units (about one character).
    pub width: f64,
    /// The person fills it in (shaded otherwise).
    pub editable: bool,
    /// The answers it takes, as a drop-down.
    pub choices: Vec<String>,
    /// Kept but not shown (what identifies the row to the program).
    pub hidden: bool,
}

impl FormColumn {
    pub fn shown(header: String, width: f64) -> FormColumn {
        FormColumn {
            header,
            width,
            editable: false,
            choices: Vec::new(),
            hidden: false,
        }
    }

    pub fn to_fill(header: String, width: f64, choices: Vec<String>) -> FormColumn {
        FormColumn {
            editable: true,
            choices,
            ..FormColumn::shown(header, width)
        }
    }

    pub fn hidden(header: String) -> FormColumn {
        FormColumn {
            hidden: true,
            ..FormColumn::shown(header, 8.0)
        }
    }
}

/// A sheet to fill in.
#[derive(Debug, Clone)]
pub struct FormSheet {
    /// The workbook's title (its properties) and the sheet's name.
    pub title: String,
    pub sheet: String,
    /// The first row: what to do.
    pub instructions: String,
    pub columns: Vec<FormColumn>,
    pub rows: Vec<Vec<String>>,
    /// Drop-downs of single cells: (row, column, answers), rows counted from the first
    /// row of data.
    pub cell_choices: Vec<(usize, usize, Vec<String>)>,
    /// The date the workbook is made for: its creation date, so the same data give the
    /// same bytes.
    pub date: NaiveDate,
}

/// The row (1-based) of the header in a form sheet.
pub const HEADER_ROW: u32 = 2;

fn err(e: rust_xlsxwriter::XlsxError) -> String {
    e.to_string()
}

/// Writes a form sheet as XLSX.
pub fn write_form(form: &FormSheet) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_ymd(
        u16::try_from(chrono::Datelike::year(&form.date)).unwrap_or(1970),
        chrono::Datelike::month(&form.date) as u8,
        chrono::Datelike::day(&form.date) as u8,
    )
    .map_err(err)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&form.title)
            .set_keywords("cloudward")
            .set_creation_datetime(&when),
    );
    let head = Format::new()
        .set_bold()
        .set_background_color("E8EDF3")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let fixed = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color("F4F6F8");
    let fill = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_unlocked();
    let ws = wb.add_worksheet();
    let name: String = form
        .sheet
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .take(31)
        .collect();
    ws.set_name(name.trim()).map_err(err)?;
    ws.write_string_with_format(0, 0, &form.instructions, &Format::new().set_italic())
        .map_err(err)?;
    let last_row = HEADER_ROW + form.rows.len() as u32 - 1;
    for (c, col) in form.columns.iter().enumerate() {
        let c16 = c as u16;
        ws.write_string_with_format(HEADER_ROW - 1, c16, &col.header, &head)
            .map_err(err)?;
        ws.set_column_width(c16, col.width).map_err(err)?;
        if col.hidden {
            ws.set_column_hidden(c16).map_err(err)?;
        }
        if !col.choices.is_empty() && !form.rows.is_empty() {
            let v = DataValidation::new()
                .allow_list_strings(&col.choices)
                .map_err(err)?;
            ws.add_data_validation(HEADER_ROW, c16, last_row, c16, &v)
                .map_err(err)?;
        }
    }
    for (r, c, choices) in &form.cell_choices {
        let v = DataValidation::new()
            .allow_list_strings(choices)
            .map_err(err)?;
        let (r32, c16) = (HEADER_ROW + *r as u32, *c as u16);
        ws.add_data_validation(r32, c16, r32, c16, &v)
            .map_err(err)?;
    }
    for (r, row) in form.rows.iter().enumerate() {
        let r32 = HEADER_ROW + r as u32;
        for (c, cell) in row.iter().enumerate() {
            let editable = form.columns.get(c).is_some_and(|col| col.editable);
            ws.write_string_with_format(r32, c as u16, cell, if editable { &fill } else { &fixed })
                .map_err(err)?;
        }
    }
    ws.set_freeze_panes(HEADER_ROW, 0).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// What could not be read from a workbook at one cell (or one row: `column` empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellProblem {
    pub sheet: String,
    /// As Excel numbers rows (1-based).
    pub row: u32,
    /// As Excel names columns (`A`, `B`, …, `AA`); empty for the whole row.
    pub column: String,
    pub message: String,
}

/// Why a file is not a workbook to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkbookError {
    /// Not an XLSX file, or a damaged one.
    Unreadable(String),
    /// No sheet has a header row with the columns asked for: the first one missing.
    NoHeader { missing: String },
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A cell as text: numbers without a needless `.0`, dates as YYYY-MM-DD.
fn text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => t
            .as_datetime()
            .map(|t| t.date().to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.get(..10).unwrap_or(s).to_owned(),
    }
}

/// The rows of a sheet read back: each wanted column's cell (empty when the sheet lacks
/// an optional column), by the row's number as Excel shows it.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheet: String,
    /// The letter of each wanted column (empty when absent).
    pub letters: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
}

impl Table {
    /// A problem at a row and a wanted column.
    pub fn problem(&self, row: u32, column: usize, message: String) -> CellProblem {
        CellProblem {
            sheet: self.sheet.clone(),
            row,
            column: self.letters.get(column).cloned().unwrap_or_default(),
            message,
        }
    }
}

/// Whether a header cell names a column: equal to one of its names, ignoring case, white
/// space and a trailing note in brackets ("结果（必填）").
fn names(cell: &str, accepted: &[String]) -> bool {
    let clean = |s: &str| -> String {
        let s = s.split(['（', '(']).next().unwrap_or(s);
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let c = clean(cell);
    !c.is_empty() && accepted.iter().any(|a| clean(a) == c)
}

/// Reads the first sheet that has, in one of its first ten rows, a header naming every
/// required column. `wanted`: for each column, the names it may have and whether it is
/// required. Rows wholly empty are left out.
pub fn read_table(bytes: &[u8], wanted: &[(Vec<String>, bool)]) -> Result<Table, WorkbookError> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec()))
        .map_err(|e| WorkbookError::Unreadable(e.to_string()))?;
    let mut missing = wanted
        .iter()
        .find(|(_, required)| *required)
        .and_then(|(n, _)| n.first().cloned())
        .unwrap_or_default();
    for name in wb.sheet_names() {
        let range = match wb.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => return Err(WorkbookError::Unreadable(e.to_string())),
        };
        let (top, left) = range.start().unwrap_or((0, 0));
        let rows: Vec<&[Data]> = range.rows().collect();
        for (i, row) in rows.iter().enumerate().take(10) {
            let cells: Vec<String> = row.iter().map(text).collect();
            let found: Vec<Option<usize>> = wanted
                .iter()
                .map(|(accepted, _)| cells.iter().position(|c| names(c, accepted)))
                .collect();
            if let Some(((n, _), _)) = wanted
                .iter()
                .zip(&found)
                .find(|((_, required), f)| *required && f.is_none())
            {
                if found.iter().any(Option::is_some) {
                    missing = n.first().cloned().unwrap_or_default();
                }
                continue;
            }
            let letters = found
                .iter()
                .map(|f| {
                    f.map(|c| column_letter(c + left as usize))
                        .unwrap_or_default()
                })
                .collect();
            let data = rows[i + 1..]
                .iter()
                .enumerate()
                .filter_map(|(k, row)| {
                    let cells: Vec<String> = found
                        .iter()
                        .map(|f| f.and_then(|c| row.get(c)).map(text).unwrap_or_default())
                        .collect();
                    let number = top + (i + 1 + k) as u32 + 1;
                    (!cells.iter().all(String::is_empty)).then_some((number, cells))
                })
                .collect();
            return Ok(Table {
                sheet: name.clone(),
                letters,
                rows: data,
            });
        }
    }
    Err(WorkbookError::NoHeader { missing })
}

/// The words of a header in both languages and its id: any of them names the column.
fn header_names(messages: &Messages, key: &str, id: &str) -> Vec<String> {
    vec![
        messages.text(key, Lang::Zh),
        messages.text(key, Lang::En),
        id.to_owned(),
    ]
}

const RESULT_COLUMNS: [(&str, &str); 7] = [
    ("wb.c.control", "control"),
    ("wb.c.requirement", "requirement"),
    ("wb.c.family", "family"),
    ("wb.c.result", "result"),
    ("wb.c.notes", "notes"),
    ("wb.c.waiver", "waiver"),
    ("wb.c.evidence", "evidence"),
];

/// What the results workbook is made of: the level assessed, the results so far, the
/// names of each control's evidence, the offering's name.
#[derive(Debug, Clone, Copy)]
pub struct Assessed<'a> {
    pub level: ProtectionLevel,
    pub results: &'a BTreeMap<String, ControlAssessment>,
    pub evidence_of: &'a BTreeMap<String, Vec<String>>,
    pub offering: &'a str,
}

/// The assessment results as a sheet to fill in: every requirement of the level, the
/// result recorded so far (in words, with a drop-down of the results), the notes, the
/// waiver; the names of each control's evidence (`evidence_of`) for reference. Control numbers are the catalog's, as the
/// assessor cites them.
pub fn results_form(
    content: &Content,
    messages: &Messages,
    lang: Lang,
    a: &Assessed,
    date: NaiveDate,
) -> FormSheet {
    let Assessed {
        level,
        results,
        evidence_of,
        offering,
    } = *a;
    let t = |k: &str| messages.text(k, lang);
    let word = |r: ControlResult| t(&format!("ui.result.{}", r.id()));
    let rows = content
        .catalog
        .applicable(level)
        .map(|c| {
            let r = results.get(&c.id);
            vec![
                c.id.clone(),
                c.title.get(lang).to_owned(),
                content
                    .catalog
                    .family(&c.family)
                    .map(|f| f.name.get(lang).to_owned())
                    .unwrap_or_else(|| c.family.clone()),
                r.map(|r| word(r.result)).unwrap_or_default(),
                r.map(|r| r.notes.clone()).unwrap_or_default(),
                r.and_then(|r| r.waiver.as_ref().map(|w| w.reason.clone()))
                    .unwrap_or_default(),
                evidence_of
                    .get(&c.id)
                    .map(|names| names.join("\n"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let widths = [10.0, 40.0, 14.0, 14.0, 40.0, 30.0, 30.0];
    let columns = RESULT_COLUMNS
        .iter()
        .zip(widths)
        .map(|((key, id), w)| match *id {
            "result" => FormColumn::to_fill(t(key), w, ControlResult::ALL.map(word).to_vec()),
            "notes" | "waiver" => FormColumn::to_fill(t(key), w, Vec::new()),
            _ => FormColumn::shown(t(key), w),
        })
        .collect();
    FormSheet {
        title: format!("{} · {offering}", t("wb.results.title")),
        sheet: t("wb.results.sheet"),
        instructions: t("wb.results.instructions"),
        columns,
        rows,
        cell_choices: Vec::new(),
        date,
    }
}

/// A result read back from the workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedResult {
    pub result: ControlResult,
    pub notes: String,
    /// The waiver's reason as the sheet gives it (empty: no waiver); `None` when the sheet
    /// has no waiver column (the waiver stays as it is).
    pub waiver: Option<String>,
}

/// A result as a person writes it: its words in either language, or its id.
fn read_result(messages: &Messages, raw: &str) -> Option<ControlResult> {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .flat_map(char::to_lowercase)
            .collect()
    };
    let raw = clean(raw);
    ControlResult::ALL.into_iter().find(|r| {
        let key = format!("ui.result.{}", r.id());
        clean(r.id()) == raw
            || clean(&messages.text(&key, Lang::Zh)) == raw
            || clean(&messages.text(&key, Lang::En)) == raw
    })
}

/// Reads the assessment results from a workbook of [`results_form`]'s shape (or any
/// sheet with a control and a result column): a row without a result is left as it is;
/// an unknown control, a result that is none of the four, a control given twice, notes
/// or a waiver without a result are problems at their cell, in the reader's language.
/// Nothing is returned unless every row reads.
pub fn read_results(
    bytes: &[u8],
    content: &Content,
    messages: &Messages,
    lang: Lang,
) -> Result<BTreeMap<String, ImportedResult>, Vec<CellProblem>> {
    let t = |k: &str, args: &[(&str, String)]| messages.render(k, lang, args);
    let wanted: Vec<(Vec<String>, bool)> = RESULT_COLUMNS
        .iter()
        .map(|(key, id)| {
            (
                header_names(messages, key, id),
                matches!(*id, "control" | "result"),
            )
        })
        .collect();
    let table = read_table(bytes, &wanted).map_err(|e| {
        vec![CellProblem {
            sheet: String::new(),
            row: 0,
            column: String::new(),
            message: match e {
                WorkbookError::Unreadable(detail) => t("wb.unreadable", &[("detail", detail)]),
                WorkbookError::NoHeader { missing } => t("wb.no_header", &[("column", missing)]),
            },
        }]
    })?;
    let accepted = ControlResult::ALL
        .map(|r| messages.text(&format!("ui.result.{}", r.id()), lang))
        .join(", ");
    let mut out = BTreeMap::new();
    let mut first_row: BTreeMap<String, u32> = BTreeMap::new();
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let control = cells[0].trim().to_owned();
        let (result, notes, waiver) = (&cells[3], &cells[4], &cells[5]);
        if control.is_empty() {
            problems.push(table.problem(*row, 0, t("wb.no_control", &[])));
            continue;
        }
        if content.catalog.control(&control).is_none() {
            problems.push(table.problem(
                *row,
                0,
                t("wb.unknown_control", &[("value", control.clone())]),
            ));
            continue;
        }
        if let Some(before) = first_row.get(&control) {
            problems.push(table.problem(
                *row,
                0,
                t(
                    "wb.duplicate_control",
                    &[("value", control.clone()), ("row", before.to_string())],
                ),
            ));
            continue;
        }
        first_row.insert(control.clone(), *row);
        if result.is_empty() {
            if !notes.is_empty() || !waiver.is_empty() {
                problems.push(table.problem(
                    *row,
                    3,
                    t("wb.no_result", &[("accepted", accepted.clone())]),
                ));
            }
            continue;
        }
        match read_result(messages, result) {
            Some(r) => {
                out.insert(
                    control,
                    ImportedResult {
                        result: r,
                        notes: notes.clone(),
                        waiver: (!table.letters[5].is_empty()).then(|| waiver.clone()),
                    },
                );
            }
            None => problems.push(table.problem(
                *row,
                3,
                t(
                    "wb.unknown_result",
                    &[("value", result.clone()), ("accepted", accepted.clone())],
                ),
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A problem as one line: "评估结果 第 7 行 D 列：…".
pub fn problem_line(messages: &Messages, lang: Lang, p: &CellProblem) -> String {
    if p.row == 0 {
        return p.message.clone();
    }
    let key = if p.column.is_empty() {
        "wb.at_row"
    } else {
        "wb.at_cell"
    };
    messages.render(
        key,
        lang,
        &[
            ("sheet", p.sheet.clone()),
            ("row", p.row.to_string()),
            ("column", p.column.clone()),
            ("message", p.message.clone()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn columns_are_lettered_as_excel_does() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(3), "D");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
