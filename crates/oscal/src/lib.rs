//! OSCAL interchange: cloudward's catalog, profiles, offerings, engagements, assessments
//! and scans written as NIST OSCAL 1.x JSON documents, and OSCAL catalogs, profiles and
//! assessment results read back into cloudward's shapes.
//!
//! The serde types in [`model`] are the interchange layer and stay apart from the domain
//! model: [`export`] turns domain values into documents, [`framework`] turns a catalog (or
//! a profile resolved against one) into a [`framework::Framework`] the catalog commands can
//! browse, and [`results`] reads assessment results into the assessment shape of
//! `cloudward_domain::workflow`. Nothing here does IO or reads the clock: callers hand in
//! text and a timestamp, so the same input always gives the same bytes (UUIDs are v5,
//! derived from stable names).

pub mod export;
pub mod framework;
pub mod mapping;
pub mod model;
pub mod read;
pub mod results;
pub mod scan;

pub use read::{Error, read};

/// The OSCAL version cloudward writes (that of the schemas the tests validate against).
pub const OSCAL_VERSION: &str = "1.2.1";

/// The namespace of cloudward's own prop and part names.
pub const NS: &str = "urn:cloudward:oscal";

/// A deterministic UUID (v5) for a stable name such as `catalog/AC-01/statement`.
pub fn uuid_for(name: &str) -> String {
    let root = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, NS.as_bytes());
    uuid::Uuid::new_v5(&root, name.as_bytes()).to_string()
}

/// A prop in cloudward's namespace.
pub fn prop(name: &str, value: impl Into<String>) -> model::Prop {
    model::Prop {
        name: name.to_owned(),
        ns: Some(NS.to_owned()),
        value: value.into(),
        class: None,
    }
}

/// The value of cloudward's prop `name`, if any.
pub fn our_prop<'a>(props: &'a [model::Prop], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name == name && p.ns.as_deref() == Some(NS))
        .map(|p| p.value.as_str())
}

/// OSCAL string values have no leading or trailing white space and are not empty; a prop
/// value is also a single line.
pub fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        "-".into()
    } else {
        joined
    }
}
