//! The document's tables for Excel users: XLSX (one sheet per table, named after its
//! section, header row frozen and filtered, an overview sheet first) and CSV (UTF-8 with
//! a byte-order mark, so that Excel on Chinese Windows reads it; every table of the
//! document in turn, each after a row with its section's heading).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook};

use crate::model::{Block, Document};

/// A table of the document with the heading it sits under.
struct Sheet<'a> {
    heading: String,
    columns: Vec<String>,
    widths: Vec<u16>,
    rows: Vec<&'a [String]>,
    owned: Vec<Vec<String>>,
}

fn sheets(doc: &Document) -> Vec<Sheet<'_>> {
    let mut out = Vec::new();
    let mut heading = doc.title.clone();
    for b in &doc.blocks {
        match b {
            Block::Heading { text, .. } => heading.clone_from(text),
            Block::Table {
                columns,
                widths,
                rows,
            } => out.push(Sheet {
                heading: heading.clone(),
                columns: columns.clone(),
                widths: widths.clone(),
                rows: rows.iter().map(Vec::as_slice).collect(),
                owned: Vec::new(),
            }),
            Block::Bars { title, bars } => out.push(Sheet {
                heading: title.clone(),
                columns: vec![title.clone(), String::new()],
                widths: vec![3, 1],
                rows: Vec::new(),
                owned: bars
                    .iter()
                    .map(|b| vec![b.label.clone(), b.shown.clone()])
                    .collect(),
            }),
            Block::Trend {
                title,
                labels,
                series,
                total,
            } => {
                let (mut columns, widths, owned) = crate::model::trend_table(labels, series, total);
                columns[0].clone_from(title);
                out.push(Sheet {
                    heading: title.clone(),
                    columns,
                    widths,
                    rows: Vec::new(),
                    owned,
                });
            }
            _ => {}
        }
    }
    out
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(heading: &str, taken: &mut Vec<String>) -> String {
    let clean: String = heading
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { ' ' } else { c })
        .collect();
    let base: String = clean.trim().chars().take(28).collect();
    let base = if base.is_empty() {
        "Sheet".to_owned()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

pub fn xlsx(doc: &Document) -> Result<Vec<u8>, String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let (y, m, d) = {
        let mut it = doc
            .meta
            .date
            .split('-')
            .map(|p| p.parse::<u16>().unwrap_or(1));
        (
            it.next().unwrap_or(1970),
            it.next().unwrap_or(1) as u8,
            it.next().unwrap_or(1) as u8,
        )
    };
    let when = ExcelDateTime::from_ymd(y, m, d).map_err(err)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&doc.title)
            .set_author(&doc.meta.customer)
            .set_keywords(format!(
                "cloudward, {}, {}",
                doc.meta.kind, doc.meta.version
            ))
            .set_creation_datetime(&when),
    );
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color("E8EDF3")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let mut taken = Vec::new();
    // The overview: what the workbook is.
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(&doc.title, &mut taken))
        .map_err(err)?;
    ws.write_string_with_format(0, 0, &doc.title, &bold)
        .map_err(err)?;
    ws.write_string(1, 0, &doc.subtitle).map_err(err)?;
    for (i, (k, v)) in doc.cover.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string_with_format(r, 0, k, &bold).map_err(err)?;
        ws.write_string(r, 1, v).map_err(err)?;
    }
    ws.set_column_width(0, 24).map_err(err)?;
    ws.set_column_width(1, 60).map_err(err)?;
    for s in sheets(doc) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&s.heading, &mut taken))
            .map_err(err)?;
        let total: u32 = s.widths.iter().map(|w| u32::from(*w)).sum::<u32>().max(1);
        for (c, name) in s.columns.iter().enumerate() {
            let col = c as u16;
            ws.write_string_with_format(0, col, name, &head)
                .map_err(err)?;
            let w = s.widths.get(c).copied().map_or(1, u32::from);
            ws.set_column_width(col, f64::from((w * 110 / total).clamp(8, 70)))
                .map_err(err)?;
        }
        let rows: Vec<&[String]> = s
            .rows
            .iter()
            .copied()
            .chain(s.owned.iter().map(Vec::as_slice))
            .collect();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string_with_format(r as u32 + 1, c as u16, cell, &wrap)
                    .map_err(err)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        if !s.columns.is_empty() {
            ws.autofilter(0, 0, rows.len() as u32, s.columns.len() as u16 - 1)
                .map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}

pub fn csv(doc: &Document) -> Result<Vec<u8>, String> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        for (i, s) in sheets(doc).iter().enumerate() {
            if i > 0 {
                w.write_record([""]).map_err(|e| e.to_string())?;
            }
            w.write_record([s.heading.as_str()])
                .map_err(|e| e.to_string())?;
            w.write_record(&s.columns).map_err(|e| e.to_string())?;
            for row in s
                .rows
                .iter()
                .copied()
                .chain(s.owned.iter().map(Vec::as_slice))
            {
                w.write_record(row).map_err(|e| e.to_string())?;
            }
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// One table as a file of its own (XLSX with an overview sheet, or CSV): for lists that
/// are not documents, such as an engagement's findings.
#[derive(Debug)]
pub struct Export<'a> {
    /// What the table is ("发现的问题"), and of what ("市医疗保障结算系统").
    pub title: &'a str,
    pub subject: &'a str,
    /// Lines of the overview: filters, counts.
    pub about: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub widths: Vec<u16>,
    pub rows: Vec<Vec<String>>,
    /// YYYY-MM-DD: the workbook's creation date.
    pub date: &'a str,
}

/// Writes an [`Export`] as XLSX or CSV (any other format is refused).
pub fn export(e: Export, format: crate::Format) -> Result<Vec<u8>, String> {
    use crate::model::Meta;
    let doc = Document {
        kind: "table".into(),
        lang: String::new(),
        title: e.title.to_owned(),
        subtitle: e.subject.to_owned(),
        cover: e.about,
        header: String::new(),
        footer: String::new(),
        logo: None,
        logo_name: None,
        contents_title: None,
        blocks: vec![
            Block::Heading {
                level: 1,
                text: e.title.to_owned(),
            },
            Block::Table {
                columns: e.columns,
                widths: e.widths,
                rows: e.rows,
            },
        ],
        meta: Meta {
            kind: "table".into(),
            engagement: e.subject.to_owned(),
            customer: String::new(),
            version: String::new(),
            date: e.date.to_owned(),
            output: None,
            reference: None,
        },
    };
    match format {
        crate::Format::Xlsx => xlsx(&doc),
        crate::Format::Csv => csv(&doc),
        other => Err(format!("{} is not a table format", other.extension())),
    }
}
