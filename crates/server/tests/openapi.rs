//! The OpenAPI document describes what operations take and return. Operations still
//! answering an untyped object are listed here, and the list may only shrink: a new
//! operation without a schema fails, and so does one that got its schema but is still
//! listed (remove it).
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
/// service layer has not given them a view type yet (issue: server redesign).
const UNTYPED: &[&str] = &[
    "GET /api/v1/assessments/{id}/oscal/results",
    "GET /api/v1/engagements/{id}/oscal/poam",
    "GET /api/v1/engagements/{id}/oscal/ssp",
    "GET /api/v1/frameworks",
    "GET /api/v1/frameworks/{id}",
    "GET /api/v1/frameworks/{id}/controls",
    "GET /api/v1/frameworks/{id}/controls/{control}",
    "GET /api/v1/frameworks/{id}/mapping",
    "GET /api/v1/oscal/catalog",
    "GET /api/v1/oscal/profiles/{level}",
    "GET /api/v1/offerings/{id}/oscal/component",
    "GET /api/v1/scans/{id}/oscal/results",
    "GET /api/v1/scans/{id}/report",
    "POST /api/v1/frameworks",
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
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            let success = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .flat_map(|(_, r)| r["content"].as_object().into_iter().flatten())
                .any(|(media, c)| media.contains("json") && untyped(&c["schema"]));
            if success {
                found.insert(format!("{} {path}", method.to_uppercase()));
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
}
