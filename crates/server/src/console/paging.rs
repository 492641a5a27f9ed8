//! Long lists a page at a time: which page is shown, of how many, and the links to the
//! others with the list's filters kept (the findings, the catalog, the offerings).

use super::Ui;

/// Where the pages of a list are.
pub struct Pager {
    pub pages: usize,
    pub total: usize,
    /// The first item shown (0-based), for slicing a list held in memory.
    pub skip: usize,
    /// "51–100 of 1,234 · page 2 of 25"
    pub summary: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `page` (from 1; one past the last is the last) of `per_page` items of `total`,
    /// linked as `base?filters&page=n` followed by `anchor`.
    pub fn new(
        ui: &Ui,
        base: &str,
        filters: &[(&str, &str)],
        (page, per_page): (usize, usize),
        total: usize,
        anchor: &str,
    ) -> Pager {
        let per_page = per_page.max(1);
        let pages = total.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let link = |n: usize| {
            let mut q = query_of(filters);
            if !q.is_empty() {
                q.push('&');
            }
            format!("{base}?{q}page={n}{anchor}")
        };
        let first = ((page - 1) * per_page + 1).min(total);
        let last = (page * per_page).min(total);
        let summary = format!(
            "{} · {}",
            ui.targs(
                "ui.showing_of",
                &[
                    ("first", first.to_string()),
                    ("last", last.to_string()),
                    ("total", total.to_string()),
                ],
            ),
            ui.targs(
                "ui.page_of",
                &[("page", page.to_string()), ("pages", pages.to_string())],
            )
        );
        Pager {
            pages,
            total,
            skip: (page - 1) * per_page,
            summary,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// The page number a query asked for: from 1; not a number is 1.
pub fn page_number(asked: Option<&str>) -> usize {
    asked
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
}

/// `k=v&…` of the filters that have a value, each value percent-encoded.
pub fn query_of(filters: &[(&str, &str)]) -> String {
    filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let v = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC);
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}
