//! The OpenAPI document describes what operations take and return. Every request and
//! answer has a schema, but for documents in a format defined elsewhere (OSCAL, a scan
//! report), which are listed here and say what they are: a new operation without a schema
//! fails.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::collections::BTreeSet;

use serde_json::Value;
use utoipa::OpenApi as _;

/// Operations whose success answer is still `{"type": "object"}` (or a list of them): the
/// service layer has not given them a view type yet (issue: server redesign). Empty now;
/// it stays so that a new untyped operation fails here.
const UNTYPED: &[&str] = &[];

/// Operations that answer a document in a format defined elsewhere (OSCAL, whose schemas
/// are NIST's and against which the OSCAL tests validate every export; the scan report of
/// `cloudward scan`). Their answer says so in its description.
const DOCUMENTS: &[&str] = &[
    "GET /api/v1/assessments/{id}/oscal/results",
    "GET /api/v1/engagements/{id}/oscal/poam",
    "GET /api/v1/engagements/{id}/oscal/ssp",
    "GET /api/v1/frameworks/{id}",
    "GET /api/v1/oscal/catalog",
    "GET /api/v1/oscal/profiles/{level}",
    "GET /api/v1/offerings/{id}/oscal/component",
    "GET /api/v1/scans/{id}/oscal/results",
    "GET /api/v1/scans/{id}/report",
];

/// An inline schema that says nothing but "an object" (or a list of such).
fn untyped(schema: &Value) -> bool {
    let bare = |s: &Value| {
        s.get("$ref").is_none()
            && s.get("type") == Some(&Value::from("object"))
            && s.get("properties").is_none()
            && s.get("additionalProperties").is_none()
    };
    bare(schema) || (schema.get("type") == Some(&Value::from("array")) && bare(&schema["items"]))
}

#[test]
fn operations_have_schemas_and_the_untyped_list_only_shrinks() {
    let doc = serde_json::to_value(cloudward_server::ApiDoc::openapi()).unwrap();
    let mut found = BTreeSet::new();
    let mut documents = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            let name = format!("{} {path}", method.to_uppercase());
            for (_, r) in responses.iter().filter(|(code, _)| code.starts_with('2')) {
                let bare = r["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .any(|(media, c)| media.contains("json") && untyped(&c["schema"]));
                if !bare {
                    continue;
                }
                let said = r["description"].as_str().unwrap_or("");
                if DOCUMENTS.contains(&name.as_str()) {
                    assert!(
                        said.contains("OSCAL") || said.contains("cloudward scan"),
                        "{name}: a document's answer names its format, not {said:?}"
                    );
                    documents.insert(name.clone());
                } else {
                    found.insert(name.clone());
                }
            }
        }
    }
    let listed: BTreeSet<String> = UNTYPED.iter().map(|s| (*s).to_owned()).collect();
    let new: Vec<&String> = found.difference(&listed).collect();
    let done: Vec<&String> = listed.difference(&found).collect();
    assert!(
        new.is_empty(),
        "these operations answer an untyped object: give them a view type: {new:?}"
    );
    assert!(
        done.is_empty(),
        "these operations have a schema now: remove them from UNTYPED: {done:?}"
    );
    let all: BTreeSet<String> = DOCUMENTS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        documents, all,
        "DOCUMENTS lists exactly the document operations"
    );
}

/// Operations that take a document in a format defined elsewhere (OSCAL; the report of
/// `cloudward scan --format json`): every other request body has a schema.
const DOCUMENT_BODIES: &[&str] = &[
    "POST /api/v1/assessments/{id}/oscal/import",
    "POST /api/v1/engagements/{id}/scans",
    "POST /api/v1/frameworks",
];

#[test]
fn request_bodies_have_schemas_but_for_documents() {
    let doc = serde_json::to_value(cloudward_server::ApiDoc::openapi()).unwrap();
    let mut documents = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(body) = op.get("requestBody") else {
                continue;
            };
            let name = format!("{} {path}", method.to_uppercase());
            let bare = body["content"]
                .as_object()
                .into_iter()
                .flatten()
                .any(|(media, c)| media.contains("json") && untyped(&c["schema"]));
            if bare {
                let said = body["description"].as_str().unwrap_or("");
                assert!(
                    DOCUMENT_BODIES.contains(&name.as_str())
                        && (said.contains("OSCAL") || said.contains("cloudward scan")),
                    "{name} takes an untyped object ({said:?}): give its body a type"
                );
                documents.insert(name);
            }
        }
    }
    let all: BTreeSet<String> = DOCUMENT_BODIES.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        documents, all,
        "DOCUMENT_BODIES lists exactly the document bodies"
    );
}
