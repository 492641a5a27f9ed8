//! The guide's documents — classification record, requirement analysis, decision report,
//! exit plan, capability requirement, contract annex, and the exit records — made from an
//! engagement and written as PDF, DOCX, HTML or Markdown.
//!
//! The flow is: [`templates`] (content: the wording and order of each kind) and the
//! engagement → [`build`] → a [`model::Document`] → one of the renderers ([`pdf`],
//! [`docx`], [`html`], [`markdown`]). The same inputs and date give the same bytes.

pub mod build;
pub mod docx;
pub mod html;
pub mod kinds;
pub mod markdown;
pub mod model;
pub mod pdf;
pub mod subjects;
pub mod supervision;
pub mod tables;
pub mod templates;
pub mod workbook;

use sha2::{Digest, Sha256};

pub use build::{Inputs, build};
pub use kinds::Kind;
pub use model::Document;
pub use pdf::{Fonts, PdfError};
pub use templates::Templates;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Html,
    Markdown,
    Xlsx,
    Csv,
}

impl Format {
    pub const IDS: [&'static str; 6] = ["pdf", "docx", "html", "markdown", "xlsx", "csv"];

    pub fn parse(value: &str) -> Option<Format> {
        match value {
            "pdf" => Some(Format::Pdf),
            "docx" => Some(Format::Docx),
            "html" => Some(Format::Html),
            "markdown" | "md" => Some(Format::Markdown),
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Markdown => "md",
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// DOCX, XLSX or CSV could not be written.
    #[error("{0}")]
    Docx(String),
}

/// Writes a document in `format`. A PDF needs the fonts (see [`Fonts::discover`]).
pub fn render(
    doc: &Document,
    format: Format,
    style: &templates::Style,
    fonts: Option<&Fonts>,
) -> Result<Vec<u8>, RenderError> {
    match format {
        Format::Markdown => Ok(markdown::render(doc).into_bytes()),
        Format::Html => Ok(html::render(doc).into_bytes()),
        Format::Docx => docx::render(doc, style).map_err(RenderError::Docx),
        Format::Xlsx => tables::xlsx(doc).map_err(RenderError::Docx),
        Format::Csv => tables::csv(doc).map_err(RenderError::Docx),
        Format::Pdf => {
            let fonts = match fonts {
                Some(f) => f.clone(),
                None => Fonts::discover(&[])?,
            };
            Ok(pdf::render(doc, style, &fonts)?)
        }
    }
}

/// The SHA-256 of a document's bytes, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file name a person can read, in the document's language: title, system, date.
pub fn file_name(doc: &Document, format: Format) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_control()
                    || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
                {
                    '_'
                } else {
                    c
                }
            })
            .collect::<String>()
            .trim()
            .to_owned()
    };
    format!(
        "{}-{}-{}.{}",
        clean(&doc.title),
        clean(&doc.meta.engagement),
        doc.meta.date,
        format.extension()
    )
}
