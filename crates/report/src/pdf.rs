//! PDF: the document model written as Typst markup and typeset by the `typst` library,
//! with the fonts found on the machine (Debian's fonts-noto-cjk) or in `--font-dir`,
//! embedded and subset; A4; charts drawn as vectors; PDF/A-2b.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::html::{label_ems, tone_colour};
use crate::model::{Block, Document};
use crate::templates::Style;

/// The fonts a PDF may use, found once and shared by every document.
#[derive(Clone)]
pub struct Fonts {
    store: Arc<FontStore>,
    /// Families that cover Chinese, in the order they were found.
    cjk: Vec<String>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").field("cjk", &self.cjk).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no font with Chinese characters was found")]
    NoCjkFont { searched: Vec<PathBuf> },
    #[error("{0}")]
    Typeset(String),
}

impl Fonts {
    /// The machine's fonts and those under `dirs` (searched recursively). Fails when none
    /// of them has Chinese characters: a Chinese document cannot be set without one.
    pub fn discover(dirs: &[PathBuf]) -> Result<Fonts, PdfError> {
        let mut store = FontStore::new();
        for dir in dirs {
            store.extend(typst_kit::fonts::scan(dir));
        }
        store.extend(typst_kit::fonts::system());
        let book = store.book();
        let mut cjk = Vec::new();
        for (family, mut ids) in book.families() {
            let covers = ids.any(|i| {
                book.info(i)
                    .is_some_and(|f| f.coverage.contains(0x4E2D) && f.coverage.contains(0x41))
            });
            if covers && !cjk.iter().any(|f: &String| f == family) {
                cjk.push(family.to_owned());
            }
        }
        if cjk.is_empty() {
            return Err(PdfError::NoCjkFont {
                searched: dirs.to_vec(),
            });
        }
        Ok(Fonts {
            store: Arc::new(store),
            cjk,
        })
    }

    /// Whether a family is among the fonts.
    fn has(&self, family: &str) -> bool {
        self.store.book().contains_family(&family.to_lowercase())
    }

    /// The wanted families that are present, then the first Chinese family as a fallback.
    fn pick(&self, wanted: &[String]) -> Vec<String> {
        let mut out: Vec<String> = wanted.iter().filter(|f| self.has(f)).cloned().collect();
        if let Some(first) = self.cjk.first()
            && !out.contains(first)
        {
            out.push(first.clone());
        }
        out
    }
}

struct DocWorld {
    library: LazyHash<Library>,
    fonts: Fonts,
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Option<Datetime>,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.store.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(PathBuf::from("asset")))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.store.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

/// A Typst string literal.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' => {}
            '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A table cell's text with places to break the names too long for their column
/// (resource addresses, file paths) after `_ . / [ =`: Typst breaks lines only at spaces
/// and between CJK characters, so `module.storage.alicloud_ecs_disk.d["data"]` would run
/// into the next column. `fits` is about how many Latin characters the column holds; a
/// name that fits is left alone, so that it copies out of the PDF as written.
fn breakable(s: &str, fits: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().count() <= fits {
            out.push_str(word);
        } else {
            let mut run = 0;
            for c in word.chars() {
                out.push(c);
                run += 1;
                if run >= 6 && matches!(c, '_' | '.' | '/' | '[' | '=') {
                    out.push('\u{200b}');
                    run = 0;
                }
            }
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Content for a text that may hold line breaks.
fn content(s: &str) -> String {
    let parts: Vec<String> = s.split('\n').map(q).collect();
    format!(
        "[{}]",
        parts
            .iter()
            .map(|p| format!("#{p}"))
            .collect::<Vec<_>>()
            .join(" #linebreak() ")
    )
}

fn families(list: &[String]) -> String {
    format!(
        "({},)",
        list.iter().map(|f| q(f)).collect::<Vec<_>>().join(", ")
    )
}

/// The Typst markup of a document.
pub fn markup(doc: &Document, style: &Style, fonts: &Fonts) -> String {
    let body = fonts.pick(&style.body_fonts);
    let heads = fonts.pick(&style.heading_fonts);
    let (y, m, d) = split_date(&doc.meta.date);
    let mut o = String::new();
    o.push_str(&format!(
        "#set document(title: {}, author: ({},), keywords: (\"cloudward\", {}, {}), date: datetime(year: {y}, month: {m}, day: {d}))\n",
        q(&doc.title),
        q(&doc.meta.customer),
        q(&doc.meta.kind),
        q(&doc.meta.version),
    ));
    o.push_str(&format!(
        "#set page(paper: \"a4\", margin: (top: 25mm, bottom: 22mm, x: 20mm),\n  header: context {{ if counter(page).get().first() > 1 {{ set text(size: 8.5pt, fill: luma(90)); {} ; h(1fr); {} }} }},\n  footer: context {{ set text(size: 8.5pt, fill: luma(90)); {} ; h(1fr); counter(page).display(\"1 / 1\", both: true) }})\n",
        content(&doc.header),
        content(&doc.title),
        content(&doc.footer),
    ));
    let (lang, region) = if doc.lang == "zh" {
        ("zh", "\"cn\"")
    } else {
        ("en", "none")
    };
    o.push_str(&format!(
        "#set text(font: {}, size: 10.5pt, lang: \"{lang}\", region: {region}, hyphenate: false)\n#set par(justify: true, leading: 0.8em, spacing: 1.2em)\n#set heading(numbering: \"1.1\")\n#show heading: set text(font: {}, weight: \"bold\", fill: rgb(\"#1f3b63\"))\n#show heading.where(level: 1): set text(size: 14pt)\n#show heading.where(level: 2): set text(size: 12pt)\n#show heading: set block(above: 1.4em, below: 0.8em)\n#set table(stroke: 0.5pt + rgb(\"#9aa5b1\"), inset: (x: 5pt, y: 4pt))\n#set list(indent: 1em)\n#show table.cell: set par(justify: false)\n",
        families(&body),
        families(&heads),
    ));
    // Cover.
    if let Some((name, _)) = &doc.logo {
        o.push_str(&format!(
            "#image({}, height: 18mm)\n",
            q(&format!("/{name}"))
        ));
    }
    o.push_str(&format!(
        "#v(35mm)\n#align(center, text(font: {}, size: 24pt, weight: \"bold\", fill: rgb(\"#1f3b63\"), {}))\n#v(8mm)\n#align(center, text(size: 14pt, {}))\n#v(25mm)\n",
        families(&heads),
        q(&doc.title),
        q(&doc.subtitle),
    ));
    o.push_str("#align(center, table(columns: (45mm, 85mm), align: left,\n");
    for (k, v) in &doc.cover {
        o.push_str(&format!("  {}, {},\n", content(k), content(v)));
    }
    o.push_str("))\n#pagebreak()\n");
    if let Some(title) = &doc.contents_title {
        o.push_str(&format!(
            "#outline(title: {}, depth: 2)\n#pagebreak()\n",
            q(title)
        ));
    }
    for b in &doc.blocks {
        block(&mut o, b);
    }
    o
}

fn split_date(date: &str) -> (i32, u8, u8) {
    let mut it = date.split('-');
    let y = it.next().and_then(|v| v.parse().ok()).unwrap_or(1970);
    let m = it.next().and_then(|v| v.parse().ok()).unwrap_or(1);
    let d = it.next().and_then(|v| v.parse().ok()).unwrap_or(1);
    (y, m, d)
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Heading { level, text } => {
            o.push_str(&format!("#heading(level: {level}, {})\n", q(text)));
        }
        Block::Paragraph { text } => o.push_str(&format!("#par({})\n", content(text))),
        Block::Note { text } => o.push_str(&format!(
            "#par(text(size: 9pt, fill: luma(80), {}))\n",
            content(text)
        )),
        Block::List { items } => {
            o.push_str("#list(\n");
            for i in items {
                o.push_str(&format!("  {},\n", content(i)));
            }
            o.push_str(")\n");
        }
        Block::Facts { rows } => {
            o.push_str(
                "#table(columns: (32%, 1fr), fill: (x, y) => if x == 0 { rgb(\"#f4f6f8\") },\n",
            );
            for (k, v) in rows {
                o.push_str(&format!("  {}, {},\n", content(k), content(v)));
            }
            o.push_str(")\n");
        }
        Block::Table {
            columns,
            widths,
            rows,
        } => {
            let cols: Vec<String> = (0..columns.len())
                .map(|i| format!("{}fr", widths.get(i).copied().unwrap_or(1)))
                .collect();
            o.push_str(&format!(
                "#table(columns: ({},),\n  table.header(repeat: true,\n",
                cols.join(", ")
            ));
            for c in columns {
                o.push_str(&format!(
                    "    table.cell(fill: rgb(\"#e8edf3\"), strong({})),\n",
                    content(c)
                ));
            }
            o.push_str("  ),\n");
            // The text is about 90 Latin characters wide; a cell's padding takes two.
            let total: usize = (0..columns.len())
                .map(|i| usize::from(widths.get(i).copied().unwrap_or(1)))
                .sum::<usize>()
                .max(1);
            let fits: Vec<usize> = (0..columns.len())
                .map(|i| {
                    (usize::from(widths.get(i).copied().unwrap_or(1)) * 90 / total)
                        .saturating_sub(2)
                })
                .collect();
            for r in rows {
                o.push_str("  ");
                for (i, c) in r.iter().enumerate() {
                    o.push_str(&content(&breakable(c, fits.get(i).copied().unwrap_or(8))));
                    o.push_str(", ");
                }
                o.push('\n');
            }
            o.push_str(")\n");
        }
        Block::Bars { title, bars } => {
            let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
            let label = bars
                .iter()
                .map(|b| label_ems(&b.label))
                .fold(0.0_f64, f64::max)
                .clamp(3.0, 18.0);
            o.push_str(&format!(
                "#block(breakable: false, above: 1em, below: 1.2em)[#text(weight: \"bold\", size: 9.5pt, {})\n#grid(columns: ({label:.1}em, 1fr), column-gutter: 6pt, row-gutter: 5pt, align: (right + horizon, left + horizon),\n",
                q(title)
            ));
            for bar in bars {
                let pct = if max > 0.0 {
                    bar.value / max * 82.0
                } else {
                    0.0
                };
                o.push_str(&format!(
                    "  text(size: 9pt, {}), [#box(width: {pct:.1}%, height: 9pt, fill: rgb({})) #h(4pt) #text(size: 9pt, {})],\n",
                    q(&bar.label),
                    q(tone_colour(bar.tone)),
                    q(&bar.shown)
                ));
            }
            o.push_str(")]\n");
        }
        Block::Trend {
            title,
            labels,
            series,
            ..
        } => {
            let totals: Vec<f64> = (0..labels.len())
                .map(|i| {
                    series
                        .iter()
                        .filter_map(|s| s.values.get(i).copied().flatten())
                        .sum()
                })
                .collect();
            let max = totals.iter().copied().fold(0.0_f64, f64::max);
            let size = if labels.len() > 10 { 6.5 } else { 7.5 };
            o.push_str(&format!(
                "#block(breakable: false, above: 1em, below: 1.2em)[#text(weight: \"bold\", size: 9.5pt, {})\n#grid(columns: ({}), column-gutter: 3pt, row-gutter: 3pt, align: center + bottom,\n",
                q(title),
                vec!["1fr"; labels.len().max(1)].join(", ")
            ));
            for (i, total) in totals.iter().enumerate() {
                let empty = series
                    .iter()
                    .all(|s| s.values.get(i).copied().flatten().is_none());
                let shown = if empty {
                    "—".to_owned()
                } else {
                    crate::model::shown(*total)
                };
                // The most severe on top: the series are listed most severe first.
                let parts: Vec<String> = series
                    .iter()
                    .filter_map(|s| {
                        let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
                        (v > 0.0 && max > 0.0).then(|| {
                            format!(
                                "rect(width: 70%, height: {:.2}mm, fill: rgb({}), stroke: none)",
                                v / max * 38.0,
                                q(tone_colour(s.tone))
                            )
                        })
                    })
                    .collect();
                o.push_str(&format!(
                    "  [#text(size: {size}pt, {})#linebreak()#stack(dir: ttb, {})],\n",
                    q(&shown),
                    parts.join(", ")
                ));
            }
            for l in labels {
                o.push_str(&format!("  text(size: {size}pt, {}),\n", q(l)));
            }
            o.push_str(")\n#v(2pt)\n");
            let legend: Vec<String> = series
                .iter()
                .map(|s| {
                    format!(
                        "[#box(width: 7pt, height: 7pt, fill: rgb({})) #text(size: 8pt, {})]",
                        q(tone_colour(s.tone)),
                        q(&s.name)
                    )
                })
                .collect();
            o.push_str(&format!(
                "#stack(dir: ltr, spacing: 10pt, {})]\n",
                legend.join(", ")
            ));
        }
        Block::Signatures { seats } => {
            o.push_str(
                "#v(8mm)\n#grid(columns: (1fr, 1fr), column-gutter: 10mm, row-gutter: 8mm,\n",
            );
            for s in seats {
                o.push_str(&format!(
                    "  block(breakable: false, stroke: 0.5pt + rgb(\"#9aa5b1\"), inset: 8pt, width: 100%)[#strong({}) #linebreak() #{} #v(10mm) #{}：#box(width: 1fr, stroke: (bottom: 0.5pt), height: 0.9em) #v(8mm) #{}：#box(width: 1fr, stroke: (bottom: 0.5pt), height: 0.9em) #v(4mm) #{}：#box(width: 1fr, stroke: (bottom: 0.5pt), height: 0.9em)],\n",
                    q(&s.role),
                    q(&s.name),
                    q(&s.sign),
                    q(&s.seal),
                    q(&s.date)
                ));
            }
            o.push_str(")\n");
        }
    }
}

/// Typesets a document as PDF/A-2b. The same document gives the same bytes.
pub fn render(doc: &Document, style: &Style, fonts: &Fonts) -> Result<Vec<u8>, PdfError> {
    let text = markup(doc, style, fonts);
    let main_id = RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new("main.typ").map_err(|e| PdfError::Typeset(format!("{e:?}")))?,
    )
    .intern();
    let mut files = HashMap::new();
    if let Some((name, bytes)) = &doc.logo {
        let id = RootedPath::new(
            VirtualRoot::Project,
            VirtualPath::new(name).map_err(|e| PdfError::Typeset(format!("{e:?}")))?,
        )
        .intern();
        files.insert(id, Bytes::new(bytes.clone()));
    }
    let (y, m, d) = split_date(&doc.meta.date);
    let today = Datetime::from_ymd(y, m, d);
    let world = DocWorld {
        library: LazyHash::new(Library::default()),
        fonts: fonts.clone(),
        main: Source::new(main_id, text),
        files,
        today,
    };
    let compiled = typst::compile::<PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let standards = PdfStandards::new(&[PdfStandard::A_2b])
        .map_err(|e| PdfError::Typeset(e.message().to_string()))?;
    let options = PdfOptions {
        ident: Smart::Custom(format!(
            "cloudward/{}/{}/{}/{}/{}/{}",
            doc.meta.kind,
            doc.meta.engagement,
            doc.meta.reference.as_deref().unwrap_or(""),
            doc.meta.version,
            doc.meta.date,
            doc.lang
        )),
        creator: Smart::Custom(Some("cloudward".to_owned())),
        timestamp: Datetime::from_ymd_hms(y, m, d, 0, 0, 0).map(Timestamp::new_utc),
        standards,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| {
        PdfError::Typeset(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
