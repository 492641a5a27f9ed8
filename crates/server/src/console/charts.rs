//! Charts as SVG, drawn on the server: no chart library runs in the browser. Every chart
//! has a title and a text equivalent (`<title>`, `<desc>`) for screen readers.

use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal bars, one per label.
pub fn bars(title: &str, items: &[(String, u64)]) -> String {
    let row = 28;
    let label_w = 150;
    let bar_w = 260;
    let height = row * items.len().max(1) + 10;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let desc = items
        .iter()
        .map(|(l, v)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {height}" width="{w}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc>"#,
        w = label_w + bar_w + 50,
        t = escape(title),
        d = escape(&desc),
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = i * row + 5;
        let w = (*value as usize * bar_w) / max as usize;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{l}</text><rect x="{bx}" y="{y}" width="{w}" height="18" rx="2" class="chart-bar"/><text x="{vx}" y="{ty}" class="chart-value">{value}</text>"#,
            lx = label_w - 8,
            ty = y + 14,
            l = escape(label),
            bx = label_w,
            vx = label_w + w + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Per family: failed, passed and not evaluated controls, stacked.
pub fn stacked(title: &str, items: &[(String, [u64; 3])], legend: [&str; 3]) -> String {
    let row = 24;
    let label_w = 60;
    let bar_w = 300;
    let top = 26;
    let height = top + row * items.len().max(1) + 6;
    let max = items
        .iter()
        .map(|(_, v)| v.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let desc = items
        .iter()
        .map(|(l, v)| {
            format!(
                "{l}: {} {}, {} {}, {} {}",
                v[0], legend[0], v[1], legend[1], v[2], legend[2]
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {height}" width="{w}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc>"#,
        w = label_w + bar_w + 20,
        t = escape(title),
        d = escape(&desc),
    );
    for (k, name) in legend.iter().enumerate() {
        let x = label_w + k * 110;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="4" width="12" height="12" class="chart-s{k}"/><text x="{tx}" y="15" class="chart-label">{n}</text>"#,
            tx = x + 16,
            n = escape(name),
        );
    }
    for (i, (label, values)) in items.iter().enumerate() {
        let y = top + i * row;
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{l}</text>"#,
            lx = label_w - 6,
            ty = y + 13,
            l = escape(label),
        );
        let mut x = label_w;
        for (k, v) in values.iter().enumerate() {
            let w = (*v as usize * bar_w) / max as usize;
            if w > 0 {
                let _ = write!(
                    svg,
                    r#"<rect x="{x}" y="{y}" width="{w}" height="16" class="chart-s{k}"/>"#
                );
            }
            x += w;
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars("by phase", &[("a<b".into(), 2), ("c".into(), 4)]);
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains(r#"width="130""#), "{svg}");
        assert!(svg.contains(r#"width="260""#));
        assert!(svg.contains("<desc>a&lt;b: 2; c: 4</desc>"));
    }

    #[test]
    fn stacked_bars_add_up() {
        let svg = stacked(
            "f",
            &[("AC".into(), [1, 2, 0])],
            ["failed", "passed", "n/a"],
        );
        assert!(
            svg.contains(r#"width="100""#) && svg.contains(r#"width="200""#),
            "{svg}"
        );
    }
}
