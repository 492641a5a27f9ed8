//! Markdown: for a wiki, a pull request or a mail. Charts become tables of their values.

use crate::model::{Block, Document};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn cell(s: &str) -> String {
    esc(s).replace('\n', "<br>")
}

pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", esc(&doc.title)));
    out.push_str(&format!("**{}**\n\n", esc(&doc.subtitle)));
    for (k, v) in &doc.cover {
        out.push_str(&format!("- {}: {}\n", esc(k), esc(v)));
    }
    out.push('\n');
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                out.push_str(&format!(
                    "{} {}\n\n",
                    "#".repeat(usize::from(*level) + 1),
                    esc(text)
                ));
            }
            Block::Paragraph { text } => out.push_str(&format!("{}\n\n", esc(text))),
            Block::Note { text } => out.push_str(&format!("> {}\n\n", esc(text))),
            Block::List { items } => {
                for i in items {
                    out.push_str(&format!("- {}\n", esc(i)));
                }
                out.push('\n');
            }
            Block::Facts { rows } => {
                out.push_str("| | |\n|---|---|\n");
                for (k, v) in rows {
                    out.push_str(&format!("| {} | {} |\n", cell(k), cell(v)));
                }
                out.push('\n');
            }
            Block::Table { columns, rows, .. } => table(&mut out, columns, rows),
            Block::Trend {
                title,
                labels,
                series,
                total,
            } => {
                out.push_str(&format!("**{}**\n\n", esc(title)));
                let (columns, _, rows) = crate::model::trend_table(labels, series, total);
                table(&mut out, &columns, &rows);
            }
            Block::Bars { title, bars } => {
                out.push_str(&format!("**{}**\n\n| | |\n|---|---:|\n", esc(title)));
                for bar in bars {
                    out.push_str(&format!(
                        "| {} | {} |\n",
                        cell(&bar.label),
                        cell(&bar.shown)
                    ));
                }
                out.push('\n');
            }
            Block::Signatures { seats } => {
                for s in seats {
                    out.push_str(&format!(
                        "**{}**: {}\n\n{}: ____________　{}: ____________　{}: ____________\n\n",
                        esc(&s.role),
                        esc(&s.name),
                        esc(&s.sign),
                        esc(&s.seal),
                        esc(&s.date)
                    ));
                }
            }
        }
    }
    out.push_str(&format!("---\n\n{}\n", esc(&doc.footer)));
    out
}

fn table(out: &mut String, columns: &[String], rows: &[Vec<String>]) {
    out.push_str(&format!(
        "| {} |\n|{}\n",
        columns
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join(" | "),
        "---|".repeat(columns.len())
    ));
    for r in rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out.push('\n');
}
