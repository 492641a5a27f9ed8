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

/// A 5×5 risk matrix: likelihood across, impact up; each risk id in its cell, the cell
/// shaded by its score (high from 15, medium from 8, as the register rates).
pub fn heatmap(title: &str, points: &[(String, u8, u8)], x_label: &str, y_label: &str) -> String {
    let cell = 64;
    let left = 40;
    let top = 10;
    let size = cell * 5;
    let w = left + size + 10;
    let h = top + size + 44;
    let desc = points
        .iter()
        .map(|(id, l, i)| format!("{id}: {l}×{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart heat" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc>"#,
        t = escape(title),
        d = escape(&desc),
    );
    for likelihood in 1..=5u32 {
        for impact in 1..=5u32 {
            let score = likelihood * impact;
            let class = if score >= 15 {
                "heat-high"
            } else if score >= 8 {
                "heat-medium"
            } else {
                "heat-low"
            };
            let x = left + (likelihood as usize - 1) * cell;
            let y = top + (5 - impact as usize) * cell;
            let _ = write!(
                svg,
                r#"<rect x="{x}" y="{y}" width="{cell}" height="{cell}" class="{class}"/>"#
            );
            let here: Vec<&str> = points
                .iter()
                .filter(|(_, l, i)| u32::from(*l) == likelihood && u32::from(*i) == impact)
                .map(|(id, _, _)| id.as_str())
                .collect();
            for (k, id) in here.iter().enumerate() {
                let _ = write!(
                    svg,
                    r#"<text x="{tx}" y="{ty}" text-anchor="middle" class="heat-id">{id}</text>"#,
                    tx = x + cell / 2,
                    ty = y + 18 + k * 15,
                    id = escape(id),
                );
            }
        }
    }
    for n in 1..=5usize {
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{y}" text-anchor="middle" class="chart-label">{n}</text><text x="{lx}" y="{ly}" text-anchor="end" class="chart-label">{n}</text>"#,
            x = left + (n - 1) * cell + cell / 2,
            y = top + size + 16,
            lx = left - 8,
            ly = top + (5 - n) * cell + cell / 2 + 4,
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{x}" y="{y}" text-anchor="middle" class="chart-label">{xl}</text><text x="12" y="{yy}" text-anchor="middle" class="chart-label" transform="rotate(-90 12 {yy})">{yl}</text></svg>"#,
        x = left + size / 2,
        y = top + size + 36,
        xl = escape(x_label),
        yy = top + size / 2,
        yl = escape(y_label),
    );
    svg
}

/// A small line of values over time (oldest first), e.g. failing checks per scan run.
pub fn sparkline(title: &str, values: &[u64]) -> String {
    let (w, h) = (120usize, 28usize);
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let step = if values.len() > 1 {
        (w - 4) as f64 / (values.len() - 1) as f64
    } else {
        0.0
    };
    let points = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = 2.0 + step * i as f64;
            let y = 2.0 + (h - 4) as f64 * (1.0 - *v as f64 / max as f64);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let desc = values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" → ");
    let last = points.rsplit(' ').next().unwrap_or("2,2").to_owned();
    let (lx, ly) = last.split_once(',').unwrap_or(("2", "2"));
    format!(
        r#"<svg class="sparkline" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc><polyline points="{points}" class="spark-line"/><circle cx="{lx}" cy="{ly}" r="2.5" class="spark-dot"/></svg>"#,
        t = escape(title),
        d = escape(&desc),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heat_map_places_risks_in_their_cells() {
        let svg = heatmap(
            "r",
            &[("R1".into(), 5, 5), ("R2".into(), 1, 1)],
            "likelihood",
            "impact",
        );
        // R1 at likelihood 5, impact 5: the top-right cell.
        assert!(
            svg.contains(r#"<text x="328" y="28" text-anchor="middle" class="heat-id">R1</text>"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<text x="72" y="284" text-anchor="middle" class="heat-id">R2</text>"#)
        );
        assert_eq!(svg.matches("heat-high").count(), 6, "scores of 15 and more");
    }

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

    #[test]
    fn sparkline_has_a_title_and_its_values_in_words() {
        let svg = sparkline("Failing <checks>", &[12, 9, 7]);
        assert!(svg.contains("<title>Failing &lt;checks&gt;</title>"));
        assert!(svg.contains("<desc>12 → 9 → 7</desc>"));
        // The highest value is at the top, the last point carries the dot.
        assert!(svg.contains(r#"points="2.0,2.0 60.0,"#), "{svg}");
        assert!(svg.contains(r#"cx="118.0""#), "{svg}");
    }
}
