//! Charts as SVG, drawn on the server: no chart library runs in the browser. Every chart
//! has a title and a text equivalent (`<title>`, `<desc>`) for screen readers.

use std::fmt::Write as _;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The width a 12 px label takes, estimated: a wide (CJK) character counts as a full em,
/// any other as a little over half of one. Charts size their label column by it, so that
/// no label is cut off at the edge of the drawing.
fn label_width(label: &str) -> usize {
    label
        .chars()
        .map(|c| if (c as u32) >= 0x2E80 { 12 } else { 7 })
        .sum()
}

/// Horizontal bars, one per label.
pub fn bars(title: &str, items: &[(String, u64)]) -> String {
    let row = 28;
    let label_w = items
        .iter()
        .map(|(l, _)| label_width(l) + 16)
        .max()
        .unwrap_or(0)
        .max(80);
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

/// A small line of values over time, (seconds since the epoch, value) oldest first, each
/// placed by its time: e.g. failing checks per scan run.
pub fn sparkline(title: &str, points: &[(i64, u64)]) -> String {
    let (w, h) = (120usize, 28usize);
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let t0 = points.first().map_or(0, |p| p.0);
    let span = points.last().map_or(0, |p| p.0) - t0;
    let values: Vec<u64> = points.iter().map(|p| p.1).collect();
    let points = points
        .iter()
        .enumerate()
        .map(|(i, (t, v))| {
            let x = if span > 0 {
                2.0 + (w - 4) as f64 * ((t - t0) as f64 / span as f64)
            } else if points.len() > 1 {
                2.0 + (w - 4) as f64 * (i as f64 / (points.len() - 1) as f64)
            } else {
                2.0
            };
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

/// One line of a [`timeline`]: its name, its CSS class (its colour) and its points as
/// (seconds since the epoch, value), oldest first.
pub struct Series {
    pub label: String,
    pub class: String,
    pub points: Vec<(i64, f64)>,
}

/// Lines over a time axis: each point placed by when it was, so that a month without a
/// scan is a month wide. Dates on the axis, the values' scale on the left, a legend on
/// top; the values in words for screen readers.
pub fn timeline(title: &str, series: &[Series], unit: &str) -> String {
    let (left, right, top, bottom) = (44.0, 16.0, 30.0, 26.0);
    let (w, h) = (420.0, 210.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let times = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (mut t0, mut t1) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    if t0 > t1 {
        (t0, t1) = (0, 1);
    }
    if t1 - t0 < 86_400 {
        // One moment (or one day): a day either side.
        t0 -= 86_400;
        t1 += 86_400;
    }
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    // A round top for the scale: 1, 2 or 5 times a power of ten.
    let top_value = {
        let raw = max.max(1.0);
        let mag = 10f64.powf(raw.log10().floor());
        [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|v| *v >= raw)
            .unwrap_or(10.0 * mag)
    };
    let x = |t: i64| left + pw * ((t - t0) as f64 / (t1 - t0) as f64);
    let y = |v: f64| top + ph * (1.0 - v / top_value);
    let day = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let num = |v: f64| {
        if v.fract().abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let desc = series
        .iter()
        .map(|s| {
            let pts = s
                .points
                .iter()
                .map(|(t, v)| format!("{} {}", day(*t), num(*v)))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{}: {pts}", s.label)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart timeline" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{d}</desc>"#,
        t = escape(title),
        d = escape(&desc),
    );
    // The scale: 0, half and the top, with a unit.
    for v in [0.0, top_value / 2.0, top_value] {
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" class="chart-grid"/><text x="{lx}" y="{ty:.1}" text-anchor="end" class="chart-axis">{v}</text>"#,
            yy = y(v),
            x2 = left + pw,
            lx = left - 6.0,
            ty = y(v) + 4.0,
            v = num(v),
        );
    }
    let _ = write!(
        svg,
        r#"<text x="4" y="{uy}" class="chart-axis">{u}</text>"#,
        uy = top - 10.0,
        u = escape(unit),
    );
    // Dates: the first, the last and up to two between.
    let ticks = 3;
    let mut shown = String::new();
    for i in 0..=ticks {
        let t = t0 + (t1 - t0) * i / ticks;
        // A short span has the same day at two ticks: the first one says it.
        if day(t) == shown {
            continue;
        }
        shown = day(t);
        let anchor = match i {
            0 => "start",
            i if i == ticks => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r#"<text x="{xx:.1}" y="{ty}" text-anchor="{anchor}" class="chart-axis">{d}</text>"#,
            xx = x(t),
            ty = h - 8.0,
            d = day(t),
        );
    }
    // The legend, then the lines with a dot per point.
    let mut lx = left;
    for s in series {
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="6" width="10" height="10" rx="2" class="legend {c}"/><text x="{tx:.1}" y="15" class="chart-label">{l}</text>"#,
            c = escape(&s.class),
            tx = lx + 14.0,
            l = escape(&s.label),
        );
        lx += 24.0
            + 8.0
                * s.label
                    .chars()
                    .map(|c| if c.is_ascii() { 1.0 } else { 1.9 })
                    .sum::<f64>();
    }
    for s in series {
        let pts = s
            .points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect::<Vec<_>>();
        let _ = write!(
            svg,
            r#"<polyline points="{p}" class="line {c}"/>"#,
            p = pts.join(" "),
            c = escape(&s.class),
        );
        for p in &pts {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                svg,
                r#"<circle cx="{px}" cy="{py}" r="3" class="dot {c}"/>"#,
                c = escape(&s.class),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_places_points_by_their_time() {
        let day = 86_400;
        let svg = timeline(
            "Failing <findings>",
            &[Series {
                label: "high".into(),
                class: "sev-high".into(),
                // Day 0, day 1 and day 10: the third point is far to the right.
                points: vec![(0, 4.0), (day, 2.0), (10 * day, 1.0)],
            }],
            "findings",
        );
        assert!(svg.contains("<title>Failing &lt;findings&gt;</title>"));
        assert!(
            svg.contains("<desc>high: 1970-01-01 4, 1970-01-02 2, 1970-01-11 1</desc>"),
            "{svg}"
        );
        // The plot spans x 44..404 over ten days: day 1 at 80, day 10 at 404.
        assert!(
            svg.contains(r#"points="44.0,60.8 80.0,122.4 404.0,153.2""#),
            "{svg}"
        );
        // A scale rounded up to 5 for a maximum of 4.
        assert!(svg.contains(">5</text>"), "{svg}");
    }

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
    fn a_long_label_widens_the_label_column_instead_of_being_cut() {
        let short = bars("t", &[("Exit".to_string(), 1)]);
        let long = bars("t", &[("Operation and supervision".to_string(), 1)]);
        let x_of = |svg: &str| -> usize {
            let at = svg.find(r#"<rect x=""#).unwrap() + 9;
            svg[at..].split('"').next().unwrap().parse().unwrap()
        };
        // 25 characters at about 7 px each, with the gap before the bar.
        assert!(x_of(&long) >= 25 * 7, "{long}");
        assert!(x_of(&short) < x_of(&long));
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
        // Three runs: days 0, 1 and 4; the second is a quarter of the way along.
        let day = 86_400;
        let svg = sparkline("Failing <checks>", &[(0, 12), (day, 9), (4 * day, 7)]);
        assert!(svg.contains("<title>Failing &lt;checks&gt;</title>"));
        assert!(svg.contains("<desc>12 → 9 → 7</desc>"));
        // The highest value is at the top, the last point carries the dot.
        assert!(svg.contains(r#"points="2.0,2.0 31.0,"#), "{svg}");
        assert!(svg.contains(r#"cx="118.0""#), "{svg}");
    }
}
