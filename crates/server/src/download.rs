//! Files sent as downloads: one `Content-Disposition` for all of them (RFC 6266, with an
//! ASCII fallback and the UTF-8 name), and only media types a browser will not run.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 8187 `attr-char`: everything else is percent-encoded in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// Marks that change the direction of text (and so how a name reads).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name fit for the disk of whoever downloads it: its last path component, without
/// control characters, direction marks or leading dots; `fallback` when nothing is left.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let last = name
        .split(['/', '\\'])
        .map(str::trim)
        .rfind(|s| !s.is_empty() && *s != "." && *s != "..")
        .unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && *c != '\u{FEFF}')
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

/// `attachment; filename="<ASCII>"; filename*=UTF-8''<UTF-8, percent-encoded>`.
pub fn content_disposition(name: &str, fallback: &str) -> HeaderValue {
    let safe = safe_file_name(name, fallback);
    let ascii: String = safe
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(&safe, ATTR_CHAR);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The binary formats evidence may come in (recognised by their bytes).
pub const BINARY_TYPES: [&str; 9] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/gzip",
];

/// The media types a download keeps: [`BINARY_TYPES`] and these text types; anything
/// else (HTML, SVG, XML, scripts, …) is sent as `application/octet-stream`, so that no
/// browser renders or runs it.
const KEPT_TEXT: [&str; 4] = [
    "application/json",
    "application/yaml",
    "text/plain",
    "text/csv",
];

pub fn safe_media_type(media_type: &str) -> String {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if BINARY_TYPES.contains(&essence.as_str()) || KEPT_TEXT.contains(&essence.as_str()) {
        media_type.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Bytes as a download under `name`.
pub fn attachment(
    name: &str,
    fallback: &str,
    media_type: &str,
    body: impl IntoResponse,
) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&safe_media_type(media_type)) {
        h.insert(header::CONTENT_TYPE, v);
    } else {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(name, fallback),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_direction_marks_and_leading_dots() {
        assert_eq!(
            safe_file_name("../../evil\u{202E}txt.html", "x"),
            "eviltxt.html"
        );
        assert_eq!(safe_file_name("C:\\temp\\a.pdf", "x"), "a.pdf");
        assert_eq!(safe_file_name("..", "evidence"), "evidence");
        assert_eq!(safe_file_name("  .bashrc", "x"), "bashrc");
        assert_eq!(
            safe_file_name("a\r\nb\u{2066}c\u{200F}.txt", "x"),
            "abc.txt"
        );
        assert_eq!(safe_file_name("/", "evidence"), "evidence");
        assert_eq!(safe_file_name("报告 2026.pdf", "x"), "报告 2026.pdf");
    }

    #[test]
    fn the_header_has_an_ascii_fallback_and_the_utf8_name() {
        let v = content_disposition("../报告\"x\u{202E}.pdf", "evidence");
        assert_eq!(
            v.to_str().unwrap_or(""),
            "attachment; filename=\"___x.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%22x.pdf"
        );
    }

    #[test]
    fn active_types_are_never_kept() {
        for t in [
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/javascript",
            "TEXT/HTML; charset=utf-8",
        ] {
            assert_eq!(safe_media_type(t), "application/octet-stream", "{t}");
        }
        assert_eq!(
            safe_media_type("text/plain; charset=utf-8"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(safe_media_type("application/pdf"), "application/pdf");
    }
}
