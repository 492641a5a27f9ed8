//! Reading an OSCAL JSON document: which model it is, whether its version is one we read,
//! and the modelled parts as typed values. Every error names the JSON path.

use serde::de::DeserializeOwned;

use crate::model::{self, Document};

/// The models [`read`] knows, as OSCAL names their root keys.
pub const MODELS: [&str; 6] = [
    "catalog",
    "profile",
    "component-definition",
    "system-security-plan",
    "assessment-results",
    "plan-of-action-and-milestones",
];

/// The OSCAL versions read: every 1.x release (1.0.0 to 1.2.x and later minor versions).
pub const ACCEPTED_VERSIONS: &str = "1.x (1.0.0 or later, below 2.0.0)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not JSON at all.
    #[error("{line}:{column}: not valid JSON: {detail}")]
    Syntax {
        line: usize,
        column: usize,
        detail: String,
    },
    /// JSON, but no root key names an OSCAL model.
    #[error("$: no OSCAL model at the root (found {found}); expected one of {}", MODELS.join(", "))]
    NotOscal { found: String },
    /// A model we read, but not one this operation accepts.
    #[error("$.{found}: a {found} document cannot be used here; expected {expected}")]
    WrongModel { found: String, expected: String },
    #[error("{path}: missing; every OSCAL document states its version")]
    MissingVersion { path: String },
    #[error(
        "{path}: OSCAL version '{found}' is not supported; accepted: {}",
        ACCEPTED_VERSIONS
    )]
    UnsupportedVersion { path: String, found: String },
    /// A modelled part has the wrong shape.
    #[error("{path}: {detail}")]
    Invalid { path: String, detail: String },
    /// A profile import that cannot be resolved.
    #[error("{path}: {detail}")]
    Resolve { path: String, detail: String },
}

impl Error {
    /// The JSON path the error is about (`$` for the whole document).
    pub fn path(&self) -> String {
        match self {
            Error::Syntax { line, column, .. } => format!("{line}:{column}"),
            Error::NotOscal { .. } => "$".into(),
            Error::WrongModel { found, .. } => format!("$.{found}"),
            Error::MissingVersion { path }
            | Error::UnsupportedVersion { path, .. }
            | Error::Invalid { path, .. }
            | Error::Resolve { path, .. } => path.clone(),
        }
    }
}

/// Whether `version` is an OSCAL 1.x release (`1.1.2`, `1.2.1`; no pre-releases).
pub fn version_supported(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts[0] == "1"
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `serde_path_to_error`'s path as a JSON path under `$.root`.
fn json_path(root: &str, path: &serde_path_to_error::Path) -> String {
    let mut out = format!("$.{root}");
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => out.push_str(&format!(".{key}")),
            serde_path_to_error::Segment::Enum { variant } => out.push_str(&format!(".{variant}")),
            serde_path_to_error::Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

fn typed<T: DeserializeOwned>(root: &str, value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = json_path(root, e.path());
        let detail = e.inner().to_string();
        // serde_json appends " at line 0 column 0" for values; it says nothing here.
        let detail = detail
            .split(" at line ")
            .next()
            .unwrap_or(&detail)
            .to_owned();
        Error::Invalid { path, detail }
    })
}

/// Reads an OSCAL JSON document: checks the syntax, the model and its version, then the
/// shape of the parts cloudward models.
pub fn read(text: &str) -> Result<Document, Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Syntax {
        line: e.line(),
        column: e.column(),
        detail: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned(),
    })?;
    let serde_json::Value::Object(mut root) = value else {
        return Err(Error::NotOscal {
            found: "a value that is not an object".into(),
        });
    };
    let Some(model) = MODELS.iter().find(|m| root.contains_key(**m)).copied() else {
        let keys: Vec<String> = root.keys().map(|k| format!("'{k}'")).collect();
        return Err(Error::NotOscal {
            found: if keys.is_empty() {
                "no key".into()
            } else {
                keys.join(", ")
            },
        });
    };
    let body = root.remove(model).unwrap_or_default();
    let version_path = format!("$.{model}.metadata.oscal-version");
    match body.pointer("/metadata/oscal-version") {
        None => {
            return Err(Error::MissingVersion { path: version_path });
        }
        Some(serde_json::Value::String(v)) if version_supported(v) => {}
        Some(other) => {
            return Err(Error::UnsupportedVersion {
                path: version_path,
                found: other
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| other.to_string()),
            });
        }
    }
    Ok(match model {
        "catalog" => Document::Catalog(typed(model, body)?),
        "profile" => Document::Profile(typed(model, body)?),
        "component-definition" => Document::ComponentDefinition(typed(model, body)?),
        "system-security-plan" => Document::SystemSecurityPlan(typed(model, body)?),
        "assessment-results" => Document::AssessmentResults(typed(model, body)?),
        _ => Document::PlanOfActionAndMilestones(typed(model, body)?),
    })
}

/// Reads a document that must be a catalog.
pub fn read_catalog(text: &str) -> Result<model::Catalog, Error> {
    match read(text)? {
        Document::Catalog(c) => Ok(c),
        other => Err(Error::WrongModel {
            found: other.model().into(),
            expected: "catalog".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_supported("1.1.2"));
        assert!(version_supported("1.2.1"));
        assert!(version_supported("1.0.0"));
        assert!(!version_supported("2.0.0"));
        assert!(!version_supported("1.0.0-rc2"));
        assert!(!version_supported("1.1"));
        assert!(!version_supported(""));
    }

    #[test]
    fn errors_name_the_path() {
        let e = read(
            "{\"catalog\": {\"uuid\": \"x\", \"metadata\": {\"title\": \"t\", \"last-modified\": \"x\", \"version\": \"1\", \"oscal-version\": \"0.9.0\"}}}",
        );
        assert!(
            matches!(&e, Err(Error::UnsupportedVersion { path, .. }) if path == "$.catalog.metadata.oscal-version"),
            "{e:?}"
        );
        let e = read(
            "{\"catalog\": {\"uuid\": \"x\", \"metadata\": {\"title\": \"t\", \"last-modified\": \"x\", \"version\": \"1\", \"oscal-version\": \"1.1.2\"}, \"groups\": [{\"title\": \"g\", \"controls\": [{\"id\": 3, \"title\": \"c\"}]}]}}",
        );
        assert!(
            matches!(&e, Err(Error::Invalid { path, .. }) if path == "$.catalog.groups[0].controls[0].id"),
            "{e:?}"
        );
        assert!(matches!(read("[1]"), Err(Error::NotOscal { .. })));
        assert!(matches!(read("{"), Err(Error::Syntax { .. })));
    }
}
