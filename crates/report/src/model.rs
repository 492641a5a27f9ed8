//! The document model: what a document says, before it is laid out as PDF, DOCX, HTML or
//! Markdown. Builders fill it from the engagement; renderers only lay it out. Snapshot
//! tests look at this model, not at bytes.

use serde::Serialize;

/// A whole document, in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// The kind's id (`decision-report`, …).
    pub kind: String,
    /// `zh` or `en`.
    pub lang: String,
    pub title: String,
    /// The system and the customer, under the title.
    pub subtitle: String,
    /// The lines of the cover under the subtitle: the guide's clause, engagement version,
    /// date, document number.
    pub cover: Vec<(String, String)>,
    /// Running header text, footer text (the page number is added by the renderer).
    pub header: String,
    pub footer: String,
    /// A logo for the cover, from the templates folder: file name and bytes.
    #[serde(skip)]
    pub logo: Option<(String, Vec<u8>)>,
    pub logo_name: Option<String>,
    /// The title of the table of contents, or none for a document without one.
    pub contents_title: Option<String>,
    pub blocks: Vec<Block>,
    /// Facts for the file's metadata and for `report verify`.
    pub meta: Meta,
}

/// What identifies a document: written into its metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    pub kind: String,
    pub engagement: String,
    pub customer: String,
    /// The engagement's version: the server's revision, or the first 12 hex digits of the
    /// file's SHA-256 for an engagement file.
    pub version: String,
    /// The date the document speaks for (YYYY-MM-DD).
    pub date: String,
    /// The lifecycle output the document is (`decision-report`, …), if it is one.
    pub output: Option<String>,
    /// The server's id of the engagement, for a document the server issues: kept in the
    /// file's metadata (not on the page), so that two engagements never give the same bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Block {
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        text: String,
    },
    /// A short note in a smaller, muted type (what a table leaves out, a caveat).
    Note {
        text: String,
    },
    /// A bulleted list.
    List {
        items: Vec<String>,
    },
    /// Field and value pairs, as a two-column table without a header.
    Facts {
        rows: Vec<(String, String)>,
    },
    /// A table whose header repeats on every page. `widths` are relative column widths.
    Table {
        columns: Vec<String>,
        widths: Vec<u16>,
        rows: Vec<Vec<String>>,
    },
    /// A horizontal bar chart.
    Bars {
        title: String,
        bars: Vec<Bar>,
    },
    /// Stacked columns over time: one column per label, one stacked part per series
    /// (a column with no value had no scan in its interval).
    Trend {
        title: String,
        labels: Vec<String>,
        series: Vec<Series>,
        /// The word for the sum of the parts ("合计", "Total").
        total: String,
    },
    /// Places for signatures and seals.
    Signatures {
        seats: Vec<Seat>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as the reader sees it ("12", "83 %").
    pub shown: String,
    /// `good`, `bad`, `warn` or `neutral`: the colour of the bar.
    pub tone: &'static str,
}

/// One stacked part of a [`Block::Trend`]: its name, colour and a value per column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    /// As [`Bar::tone`].
    pub tone: &'static str,
    pub values: Vec<Option<f64>>,
}

/// A trend as a table, for the formats without drawings: a row per column of the chart
/// (its label, each series' value, the total), "—" where the column has no value.
pub fn trend_rows(labels: &[String], series: &[Series]) -> Vec<Vec<String>> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let values: Vec<Option<f64>> = series
                .iter()
                .map(|s| s.values.get(i).copied().flatten())
                .collect();
            let mut row = vec![label.clone()];
            if values.iter().all(Option::is_none) {
                row.extend(std::iter::repeat_n("—".to_owned(), series.len() + 1));
                return row;
            }
            row.extend(values.iter().map(|v| shown(v.unwrap_or(0.0))));
            row.push(shown(values.iter().flatten().sum()));
            row
        })
        .collect()
}

/// A trend's numbers as a table: its columns (none for the label, each series, the
/// total), their relative widths and its rows.
pub fn trend_table(
    labels: &[String],
    series: &[Series],
    total: &str,
) -> (Vec<String>, Vec<u16>, Vec<Vec<String>>) {
    let mut columns = vec![String::new()];
    columns.extend(series.iter().map(|s| s.name.clone()));
    columns.push(total.to_owned());
    let mut widths = vec![3];
    widths.extend(std::iter::repeat_n(2, series.len() + 1));
    (columns, widths, trend_rows(labels, series))
}

/// A count as a reader writes it: no decimals for whole numbers.
pub fn shown(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// One party's place to sign: its role ("甲方（云服务客户）"), its name, and the words
/// beside the lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Seat {
    pub role: String,
    pub name: String,
    pub sign: String,
    pub seal: String,
    pub date: String,
}

impl Document {
    /// Every text of the document in reading order: what a reader would find by searching
    /// the PDF. Used by the Markdown renderer and by tests.
    pub fn headings(&self) -> impl Iterator<Item = (u8, &str)> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Heading { level, text } => Some((*level, text.as_str())),
            _ => None,
        })
    }
}
