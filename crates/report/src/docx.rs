//! DOCX: for Word and WPS, to edit, sign and seal. Real heading styles (so the navigation
//! pane and the table of contents work), a table of contents that Word refreshes on
//! opening, tables whose header row repeats on every page, page numbers in the footer,
//! A4.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, Docx, FieldCharType, Footer, Header, InstrPAGE, InstrPAGEREF,
    InstrText, InstrToC, PageMargin, Paragraph, Run, RunFonts, Shading, Style, StyleType, Tab,
    TabLeaderType, TabValueType, Table, TableCell, TableRow, WidthType,
};

use crate::html::tone_colour;
use crate::model::{Block, Document};
use crate::templates::Style as DocStyle;

/// A4 in twentieths of a point.
const A4: (u32, u32) = (11906, 16838);
/// The text width inside the margins, in twentieths of a point.
const TEXT_WIDTH: usize = 11906 - 2 * 1134;

fn run(text: &str) -> Run {
    let mut r = Run::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            r = r.add_break(BreakType::TextWrapping);
        }
        r = r.add_text(line);
    }
    r
}

fn para(text: &str) -> Paragraph {
    Paragraph::new().add_run(run(text))
}

fn cell(p: Paragraph, width: usize) -> TableCell {
    TableCell::new()
        .add_paragraph(p)
        .width(width, WidthType::Dxa)
}

fn widths(relative: &[u16], n: usize) -> Vec<usize> {
    let rel: Vec<usize> = (0..n)
        .map(|i| usize::from(relative.get(i).copied().unwrap_or(1)))
        .collect();
    let total: usize = rel.iter().sum::<usize>().max(1);
    rel.iter().map(|r| TEXT_WIDTH * r / total).collect()
}

/// The marker that says "this row is a header row": docx-rs writes `cantSplit` for it,
/// and [`render`] adds the `tblHeader` property beside it, which docx-rs lacks.
const HEADER_ROW_MARK: &str = "<w:cantSplit />";

pub fn render(doc: &Document, style: &DocStyle) -> Result<Vec<u8>, String> {
    let body_font = style
        .body_fonts
        .first()
        .cloned()
        .unwrap_or_else(|| "Noto Serif CJK SC".into());
    let head_font = style
        .heading_fonts
        .first()
        .cloned()
        .unwrap_or_else(|| "Noto Sans CJK SC".into());
    let fonts = |f: &str| RunFonts::new().ascii(f).hi_ansi(f).east_asia(f).cs(f);
    let mut d = Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(
            PageMargin::new()
                .top(1417)
                .bottom(1247)
                .left(1134)
                .right(1134)
                .header(709)
                .footer(709),
        )
        .default_fonts(fonts(&body_font))
        .default_size(21)
        .created_at(&format!("{}T00:00:00Z", doc.meta.date))
        .updated_at(&format!("{}T00:00:00Z", doc.meta.date))
        // One property: docx-rs keeps several in a hash map, in no fixed order, and the same
        // document must give the same bytes.
        .custom_property(
            "cloudward",
            serde_json::to_string(&doc.meta).unwrap_or_default(),
        );
    d = d
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(48)
                .bold()
                .color("1F3B63")
                .fonts(fonts(&head_font))
                .align(AlignmentType::Center),
        )
        .add_style(
            Style::new("Subtitle", StyleType::Paragraph)
                .name("Subtitle")
                .size(28)
                .align(AlignmentType::Center),
        );
    for (level, size) in [(1usize, 28usize), (2, 24), (3, 22)] {
        d = d.add_style(
            Style::new(format!("Heading{level}"), StyleType::Paragraph)
                .name(format!("heading {level}"))
                .based_on("Normal")
                .next("Normal")
                .size(size)
                .bold()
                .color("1F3B63")
                .fonts(fonts(&head_font))
                .outline_lvl(level - 1),
        );
    }
    d = d.add_style(
        Style::new("TOCHeading", StyleType::Paragraph)
            .name("TOC Heading")
            .size(28)
            .bold()
            .color("1F3B63")
            .fonts(fonts(&head_font)),
    );
    for level in 1..=CONTENTS_DEPTH {
        d = d.add_style(
            Style::new(format!("TOC{level}"), StyleType::Paragraph)
                .name(format!("toc {level}"))
                .based_on("Normal")
                .indent(Some(i32::from(level - 1) * 420), None, None, None),
        );
    }
    d = d.add_style(
        Style::new("Note", StyleType::Paragraph)
            .name("Note")
            .size(18)
            .color("555555"),
    );
    d = d.header(
        Header::new().add_paragraph(
            Paragraph::new()
                .add_run(run(&doc.header).size(17).color("5A5A5A"))
                .align(AlignmentType::Right),
        ),
    );
    d = d.footer(
        Footer::new().add_paragraph(
            Paragraph::new()
                .add_run(run(&format!("{}    ", doc.footer)).size(17).color("5A5A5A"))
                .add_run(Run::new().add_field_char(FieldCharType::Begin, false))
                .add_run(Run::new().add_instr_text(InstrText::PAGE(InstrPAGE::new())))
                .add_run(Run::new().add_field_char(FieldCharType::Separate, false))
                .add_run(Run::new().add_text("1"))
                .add_run(Run::new().add_field_char(FieldCharType::End, false))
                .align(AlignmentType::Center),
        ),
    );
    // Cover.
    for _ in 0..6 {
        d = d.add_paragraph(Paragraph::new());
    }
    d = d
        .add_paragraph(para(&doc.title).style("Title"))
        .add_paragraph(para(&doc.subtitle).style("Subtitle"));
    for _ in 0..4 {
        d = d.add_paragraph(Paragraph::new());
    }
    d = d.add_table(facts(&doc.cover));
    d = d.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)));
    if let Some(title) = &doc.contents_title {
        d = contents(d, doc, title);
    }
    let mut bookmark = 0usize;
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                let mut p = para(text).style(&format!("Heading{level}"));
                if *level <= CONTENTS_DEPTH {
                    bookmark += 1;
                    p = Paragraph::new()
                        .add_bookmark_start(bookmark, toc_key(bookmark))
                        .add_run(run(text))
                        .add_bookmark_end(bookmark)
                        .style(&format!("Heading{level}"));
                }
                d = d.add_paragraph(p);
            }
            Block::Paragraph { text } => d = d.add_paragraph(para(text)),
            Block::Note { text } => d = d.add_paragraph(para(text).style("Note")),
            Block::List { items } => {
                for i in items {
                    d = d.add_paragraph(para(&format!("•  {i}")));
                }
            }
            Block::Facts { rows } => {
                d = d.add_table(facts(rows)).add_paragraph(Paragraph::new());
            }
            Block::Table {
                columns,
                widths: rel,
                rows,
            } => d = data_table(d, columns, rel, rows),
            Block::Trend {
                title,
                labels,
                series,
                total,
            } => {
                d = d.add_paragraph(Paragraph::new().add_run(run(title).bold()));
                let (columns, rel, rows) = crate::model::trend_table(labels, series, total);
                d = data_table(d, &columns, &rel, &rows);
            }
            Block::Bars { title, bars } => {
                d = d.add_paragraph(Paragraph::new().add_run(run(title).bold()));
                let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
                let w = widths(&[3, 6, 1], 3);
                let rows = bars
                    .iter()
                    .map(|b| {
                        let n = if max > 0.0 {
                            ((b.value / max) * 24.0).round() as usize
                        } else {
                            0
                        };
                        let colour = tone_colour(b.tone).trim_start_matches('#');
                        TableRow::new(vec![
                            cell(para(&b.label).align(AlignmentType::Right), w[0]),
                            cell(
                                Paragraph::new()
                                    .add_run(Run::new().add_text("█".repeat(n)).color(colour)),
                                w[1],
                            ),
                            cell(para(&b.shown), w[2]),
                        ])
                    })
                    .collect();
                d = d
                    .add_table(Table::without_borders(rows).set_grid(w))
                    .add_paragraph(Paragraph::new());
            }
            Block::Signatures { seats } => {
                let w = widths(&[1, 1], 2);
                let mut cells: Vec<TableCell> = seats
                    .iter()
                    .map(|s| {
                        TableCell::new()
                            .add_paragraph(Paragraph::new().add_run(run(&s.role).bold()))
                            .add_paragraph(para(&s.name))
                            .add_paragraph(Paragraph::new())
                            .add_paragraph(para(&format!("{}：__________________", s.sign)))
                            .add_paragraph(Paragraph::new())
                            .add_paragraph(para(&format!("{}：__________________", s.seal)))
                            .add_paragraph(Paragraph::new())
                            .add_paragraph(para(&format!("{}：__________________", s.date)))
                            .width(w[0], WidthType::Dxa)
                    })
                    .collect();
                if cells.len() % 2 == 1 {
                    cells.push(cell(Paragraph::new(), w[1]));
                }
                let mut rows = Vec::new();
                let mut it = cells.into_iter();
                while let (Some(a), Some(b)) = (it.next(), it.next()) {
                    rows.push(TableRow::new(vec![a, b]));
                }
                d = d.add_paragraph(Paragraph::new()).add_table(
                    Table::new(rows)
                        .set_grid(w)
                        .width(TEXT_WIDTH, WidthType::Dxa),
                );
            }
        }
    }
    let mut xml = d.build();
    let document =
        String::from_utf8(std::mem::take(&mut xml.document)).map_err(|e| e.to_string())?;
    xml.document = document
        .replace(HEADER_ROW_MARK, "<w:cantSplit /><w:tblHeader />")
        .into_bytes();
    let settings =
        String::from_utf8(std::mem::take(&mut xml.settings)).map_err(|e| e.to_string())?;
    xml.settings = match settings
        .find("<w:settings")
        .and_then(|i| settings[i..].find('>').map(|j| i + j + 1))
    {
        Some(at) => format!(
            "{}<w:updateFields w:val=\"true\" />{}",
            &settings[..at],
            &settings[at..]
        ),
        None => settings,
    }
    .into_bytes();
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// Headings down to this level are in the table of contents.
const CONTENTS_DEPTH: u8 = 2;

fn toc_key(n: usize) -> String {
    format!("_Toc{n:08}")
}

/// The table of contents as a TOC field whose result is already filled in: an entry per
/// heading with a PAGEREF to the heading's bookmark. Page numbers depend on the fonts
/// the reader's machine has, so none is written here: the field is marked dirty and the
/// settings ask Word and WPS to update fields on opening, which fills them in. (A
/// LibreOffice reader updates it with Tools → Update → Update All.)
fn contents(mut d: Docx, doc: &Document, title: &str) -> Docx {
    d = d.add_paragraph(para(title).style("TOCHeading"));
    let headings: Vec<(u8, &str)> = doc
        .headings()
        .filter(|(l, _)| *l <= CONTENTS_DEPTH)
        .collect();
    let last = headings.len().saturating_sub(1);
    for (i, (level, text)) in headings.iter().enumerate() {
        let mut p = Paragraph::new().style(&format!("TOC{level}")).add_tab(
            Tab::new()
                .val(TabValueType::Right)
                .leader(TabLeaderType::Dot)
                .pos(TEXT_WIDTH),
        );
        if i == 0 {
            p = p.add_run(
                Run::new()
                    .add_field_char(FieldCharType::Begin, true)
                    .add_instr_text(InstrText::TOC(
                        InstrToC::new()
                            .heading_styles_range(1, usize::from(CONTENTS_DEPTH))
                            .hyperlink(),
                    ))
                    .add_field_char(FieldCharType::Separate, false),
            );
        }
        p = p.add_run(run(text)).add_run(Run::new().add_tab()).add_run(
            Run::new()
                .add_field_char(FieldCharType::Begin, false)
                .add_instr_text(InstrText::PAGEREF(
                    InstrPAGEREF::new(toc_key(i + 1)).hyperlink(),
                ))
                .add_field_char(FieldCharType::Separate, false)
                .add_field_char(FieldCharType::End, false),
        );
        if i == last {
            p = p.add_run(Run::new().add_field_char(FieldCharType::End, false));
        }
        d = d.add_paragraph(p);
    }
    d.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)))
}

fn facts(rows: &[(String, String)]) -> Table {
    let w = widths(&[3, 7], 2);
    Table::new(
        rows.iter()
            .map(|(k, v)| {
                TableRow::new(vec![
                    cell(para(k), w[0]).shading(Shading::new().fill("F4F6F8")),
                    cell(para(v), w[1]),
                ])
            })
            .collect(),
    )
    .set_grid(w)
    .width(TEXT_WIDTH, WidthType::Dxa)
}

/// A table whose header row repeats on every page, followed by an empty paragraph.
fn data_table(d: Docx, columns: &[String], rel: &[u16], rows: &[Vec<String>]) -> Docx {
    let w = widths(rel, columns.len());
    let mut trs = vec![
        TableRow::new(
            columns
                .iter()
                .zip(&w)
                .map(|(c, w)| {
                    cell(Paragraph::new().add_run(run(c).bold()), *w)
                        .shading(Shading::new().fill("E8EDF3"))
                })
                .collect(),
        )
        .cant_split(),
    ];
    for r in rows {
        trs.push(TableRow::new(
            r.iter().zip(&w).map(|(c, w)| cell(para(c), *w)).collect(),
        ));
    }
    d.add_table(
        Table::new(trs)
            .set_grid(w.clone())
            .width(TEXT_WIDTH, WidthType::Dxa),
    )
    .add_paragraph(Paragraph::new())
}
