//! Output formats for tabular data: table (terminal), CSV and Markdown. JSON output is
//! written by each command from its own serialisable values.

use std::io::Write;

use comfy_table::{ContentArrangement, Table as Comfy, presets};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    Html,
    Sarif,
    Junit,
}

impl Format {
    pub const IDS: [&'static str; 7] =
        ["table", "json", "csv", "markdown", "html", "sarif", "junit"];

    pub fn id(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }

    pub fn parse(value: &str) -> Option<Format> {
        match value {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            "sarif" => Some(Format::Sarif),
            "junit" => Some(Format::Junit),
            _ => None,
        }
    }
}

/// Rows of text under a header, printable in every non-JSON format.
#[derive(Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<String>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn write(&self, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
        match format {
            Format::Table | Format::Json | Format::Sarif | Format::Junit => {
                let mut t = Comfy::new();
                t.load_preset(presets::UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_header(self.header.clone());
                // Off a terminal (a pipe, a file, CI logs) wrap at a readable width.
                if t.width().is_none() {
                    t.set_width(terminal_width());
                }
                for row in &self.rows {
                    t.add_row(row.clone());
                }
                writeln!(out, "{t}")
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&self.header)
                    .map_err(std::io::Error::other)?;
                for row in &self.rows {
                    // A cell a spreadsheet would run as a formula is quoted with a leading '.
                    let safe: Vec<String> = row
                        .iter()
                        .map(|c| {
                            if c.starts_with(['=', '+', '-', '@']) {
                                format!("'{c}")
                            } else {
                                c.clone()
                            }
                        })
                        .collect();
                    w.write_record(&safe).map_err(std::io::Error::other)?;
                }
                w.flush()
            }
            Format::Html => {
                writeln!(out, "<table>\n<thead><tr>")?;
                for h in &self.header {
                    writeln!(out, "<th scope=\"col\">{}</th>", html_escape(h))?;
                }
                writeln!(out, "</tr></thead>\n<tbody>")?;
                for row in &self.rows {
                    write!(out, "<tr>")?;
                    for c in row {
                        write!(out, "<td>{}</td>", html_escape(c))?;
                    }
                    writeln!(out, "</tr>")?;
                }
                writeln!(out, "</tbody>\n</table>")
            }
            Format::Markdown => {
                writeln!(
                    out,
                    "| {} |",
                    self.header
                        .iter()
                        .map(|h| md(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )?;
                writeln!(out, "|{}|", vec!["---"; self.header.len()].join("|"))?;
                for row in &self.rows {
                    writeln!(
                        out,
                        "| {} |",
                        row.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// A Markdown table cell: HTML escaped, pipes escaped, line breaks as `<br>`.
pub fn md(cell: &str) -> String {
    html_escape(cell).replace('|', "\\|").replace('\n', "<br>")
}

/// `COLUMNS` when set, else 120.
fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(120)
}

/// Text made safe for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
