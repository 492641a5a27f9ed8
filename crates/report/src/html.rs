//! HTML: one self-contained page (styles inline, charts as inline SVG) that prints on A4.

use crate::model::{Bar, Block, Document};

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn lines(s: &str) -> String {
    esc(s).replace('\n', "<br>")
}

const STYLE: &str = "
@page { size: A4; margin: 22mm 20mm; }
body { font-family: 'Noto Serif CJK SC', 'Source Han Serif SC', 'SimSun', serif; font-size: 10.5pt; line-height: 1.6; color: #1a1a1a; max-width: 180mm; margin: 2em auto; padding: 0 1em; }
h1, h2, h3, h4, .title { font-family: 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif; }
.cover { border-bottom: 2px solid #1f3b63; margin-bottom: 2em; padding-bottom: 1em; }
.cover .title { font-size: 22pt; font-weight: bold; color: #1f3b63; margin: 0.2em 0; }
.cover .subtitle { font-size: 13pt; margin-bottom: 1em; }
.cover img { max-height: 18mm; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; }
th, td { border: 1px solid #9aa5b1; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
thead th { background: #e8edf3; }
table.facts th { width: 32%; background: #f4f6f8; font-weight: normal; }
.note { color: #555; font-size: 9pt; }
figure { margin: 0.8em 0 1.2em; }
figcaption { font-weight: bold; font-size: 9.5pt; margin-bottom: 0.3em; }
.seats { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5em; margin-top: 1.5em; }
.seat { border: 1px solid #9aa5b1; padding: 0.8em; min-height: 32mm; }
.seat .line { margin-top: 1.2em; border-bottom: 1px solid #333; }
footer { margin-top: 3em; font-size: 9pt; color: #555; border-top: 1px solid #ccc; padding-top: 0.5em; }
@media print { thead { display: table-header-group; } tr { break-inside: avoid; } }
";

pub fn render(doc: &Document) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<meta name=\"generator\" content=\"cloudward\">\n<meta name=\"cloudward:kind\" content=\"{}\">\n<meta name=\"cloudward:version\" content=\"{}\">\n<meta name=\"cloudward:date\" content=\"{}\">\n<style>{STYLE}</style>\n</head>\n<body>\n",
        if doc.lang == "zh" { "zh-CN" } else { "en" },
        esc(&doc.title),
        esc(&doc.meta.kind),
        esc(&doc.meta.version),
        esc(&doc.meta.date),
    ));
    o.push_str("<header class=\"cover\">\n");
    if let Some((name, bytes)) = &doc.logo {
        let mime = if name.ends_with(".svg") {
            "image/svg+xml"
        } else if name.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        o.push_str(&format!(
            "<img alt=\"\" src=\"data:{mime};base64,{}\">\n",
            base64(bytes)
        ));
    }
    o.push_str(&format!(
        "<div class=\"title\">{}</div>\n<div class=\"subtitle\">{}</div>\n<table class=\"facts\">\n",
        esc(&doc.title),
        esc(&doc.subtitle)
    ));
    for (k, v) in &doc.cover {
        o.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    o.push_str("</table>\n</header>\n<main>\n");
    for b in &doc.blocks {
        block(&mut o, b);
    }
    o.push_str(&format!(
        "</main>\n<footer>{} · {}</footer>\n</body>\n</html>\n",
        esc(&doc.header),
        esc(&doc.footer)
    ));
    o
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Heading { level, text } => {
            let h = level + 1;
            o.push_str(&format!("<h{h}>{}</h{h}>\n", esc(text)));
        }
        Block::Paragraph { text } => o.push_str(&format!("<p>{}</p>\n", lines(text))),
        Block::Note { text } => o.push_str(&format!("<p class=\"note\">{}</p>\n", lines(text))),
        Block::List { items } => {
            o.push_str("<ul>\n");
            for i in items {
                o.push_str(&format!("<li>{}</li>\n", lines(i)));
            }
            o.push_str("</ul>\n");
        }
        Block::Facts { rows } => {
            o.push_str("<table class=\"facts\">\n");
            for (k, v) in rows {
                o.push_str(&format!(
                    "<tr><th>{}</th><td>{}</td></tr>\n",
                    esc(k),
                    lines(v)
                ));
            }
            o.push_str("</table>\n");
        }
        Block::Table {
            columns,
            widths,
            rows,
        } => {
            let total: u32 = widths.iter().map(|w| u32::from(*w)).sum::<u32>().max(1);
            o.push_str("<table>\n<colgroup>");
            for w in widths {
                o.push_str(&format!(
                    "<col style=\"width:{}%\">",
                    u32::from(*w) * 100 / total
                ));
            }
            o.push_str("</colgroup>\n<thead><tr>");
            for c in columns {
                o.push_str(&format!("<th scope=\"col\">{}</th>", esc(c)));
            }
            o.push_str("</tr></thead>\n<tbody>\n");
            for r in rows {
                o.push_str("<tr>");
                for c in r {
                    o.push_str(&format!("<td>{}</td>", lines(c)));
                }
                o.push_str("</tr>\n");
            }
            o.push_str("</tbody>\n</table>\n");
        }
        Block::Bars { title, bars } => {
            o.push_str(&format!(
                "<figure>\n<figcaption>{}</figcaption>\n{}</figure>\n",
                esc(title),
                svg(bars)
            ));
        }
        Block::Trend {
            title,
            labels,
            series,
            total,
        } => {
            o.push_str(&format!(
                "<figure>\n<figcaption>{}</figcaption>\n{}",
                esc(title),
                columns_svg(labels, series)
            ));
            let (columns, widths, rows) = crate::model::trend_table(labels, series, total);
            o.push_str("<details><summary>");
            o.push_str(&esc(title));
            o.push_str("</summary>\n");
            block(
                o,
                &Block::Table {
                    columns,
                    widths,
                    rows,
                },
            );
            o.push_str("</details>\n</figure>\n");
        }
        Block::Signatures { seats } => {
            o.push_str("<div class=\"seats\">\n");
            for s in seats {
                o.push_str(&format!(
                    "<div class=\"seat\"><strong>{}</strong><br>{}<div class=\"line\">{}：</div><div class=\"line\">{}：</div><div class=\"line\">{}：</div></div>\n",
                    esc(&s.role),
                    esc(&s.name),
                    esc(&s.sign),
                    esc(&s.seal),
                    esc(&s.date)
                ));
            }
            o.push_str("</div>\n");
        }
    }
}

/// The fill colour of a bar's tone, shared by every renderer.
pub fn tone_colour(tone: &str) -> &'static str {
    match tone {
        "good" => "#2f855a",
        "critical" => "#742a2a",
        "bad" => "#c53030",
        "warn" => "#b7791f",
        _ => "#2b6cb0",
    }
}

/// Width of a label in ems: a CJK character counts as one, anything else as a half.
pub fn label_ems(label: &str) -> f64 {
    label
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.55 })
        .sum()
}

fn svg(bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).fold(0.0_f64, f64::max);
    let label_w = (bars
        .iter()
        .map(|b| label_ems(&b.label))
        .fold(0.0_f64, f64::max)
        * 12.0
        + 12.0)
        .clamp(60.0, 320.0);
    let width = 640.0;
    let bar_area = width - label_w - 60.0;
    let row = 22.0;
    let height = row * bars.len() as f64 + 8.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" font-size=\"12\">\n"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row + 4.0;
        let w = if max > 0.0 {
            (b.value / max * bar_area).max(if b.value > 0.0 { 1.0 } else { 0.0 })
        } else {
            0.0
        };
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label_w:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"14\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            label_w - 6.0,
            y + 12.0,
            esc(&b.label),
            y + 1.0,
            tone_colour(b.tone),
            label_w + w + 4.0,
            y + 12.0,
            esc(&b.shown)
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// Stacked columns, a legend under them.
fn columns_svg(labels: &[String], series: &[crate::model::Series]) -> String {
    let totals: Vec<f64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .filter_map(|s| s.values.get(i).copied().flatten())
                .sum()
        })
        .collect();
    let max = totals.iter().copied().fold(0.0_f64, f64::max);
    let (width, plot, top, left) = (640.0, 160.0, 14.0, 8.0);
    let slot = (width - 2.0 * left) / labels.len().max(1) as f64;
    let bar = (slot * 0.6).min(36.0);
    let height = top + plot + 40.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"100%\" role=\"img\" font-size=\"11\">\n"
    );
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = top + plot;
        for se in series {
            let v = se.values.get(i).copied().flatten().unwrap_or(0.0);
            if v <= 0.0 || max <= 0.0 {
                continue;
            }
            let h = v / max * plot;
            y -= h;
            s.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{}\"/>\n",
                tone_colour(se.tone)
            ));
        }
        let shown = if series
            .iter()
            .all(|se| se.values.get(i).copied().flatten().is_none())
        {
            "—".to_owned()
        } else {
            crate::model::shown(totals[i])
        };
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            x + bar / 2.0,
            y - 3.0,
            esc(&shown),
            x + bar / 2.0,
            top + plot + 14.0,
            esc(label)
        ));
    }
    let mut x = left;
    for se in series {
        s.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            top + plot + 24.0,
            tone_colour(se.tone),
            x + 14.0,
            top + plot + 33.0,
            esc(&se.name)
        ));
        x += 14.0 + label_ems(&se.name) * 11.0 + 16.0;
    }
    s.push_str("</svg>\n");
    s
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
