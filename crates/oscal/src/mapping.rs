//! The 等级保护 crosswalk as an OSCAL 1.2 mapping collection: GB/T 22239-2019 requirement
//! items (the source) mapped to the controls of cloudward's GB/T 31168 catalog, and —
//! through those controls' references — to NIST SP 800-53 rev. 5.

use std::collections::BTreeSet;

use cloudward_domain::catalog::Catalog;
use cloudward_domain::mlps::{Framework, Relation};
use serde_json::{Value, json};

use crate::export::{CATALOG_FILE, CATALOG_RESOURCE};
use crate::{OSCAL_VERSION, one_line, uuid_for};

const MLPS_RESOURCE: &str = "resource/gbt22239-2019";
const NIST_RESOURCE: &str = "resource/nist-sp800-53r5";

/// OSCAL's relationship token for a relation read "the item is a `<relation>` of the
/// control" (NIST IR 8477 set-theory relationships).
pub fn relationship(r: Relation) -> &'static str {
    match r {
        Relation::Equivalent => "equivalent-to",
        Relation::Subset => "subset-of",
        Relation::Superset => "superset-of",
        Relation::Intersects => "intersects-with",
    }
}

/// A NIST SP 800-53 id as OSCAL catalogs spell it: `AC-2(1)` → `ac-2.1`.
pub fn nist_control_id(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    match lower.split_once('(') {
        Some((base, rest)) => format!("{base}.{}", rest.trim_end_matches(')')),
        None => lower,
    }
}

fn resource(name: &str, title: &str, href: &str, media: &str) -> Value {
    json!({
        "uuid": uuid_for(name),
        "title": title,
        "rlinks": [{ "href": href, "media-type": media }],
    })
}

fn reference(name: &str) -> Value {
    json!({ "type": "catalog", "href": format!("#{}", uuid_for(name)) })
}

/// The mapping collection: one mapping to our catalog (each item's crosswalk with its
/// relation and note) and one to NIST SP 800-53 rev. 5 (each item to the NIST controls its
/// catalog controls reference, as `intersects-with`: derived, never closer). Items without
/// a counterpart are the source gap of the first mapping.
pub fn mlps(framework: &Framework, catalog: &Catalog, timestamp: &str, version: &str) -> Value {
    let mut to_catalog = Vec::new();
    let mut to_nist = Vec::new();
    let mut gaps = Vec::new();
    for item in &framework.items {
        let source = json!([{ "type": "control", "id-ref": item.id }]);
        if item.maps.is_empty() {
            gaps.push(json!({ "control-id": item.id }));
        }
        for m in &item.maps {
            let mut entry = json!({
                "uuid": uuid_for(&format!("mapping/mlps-31168/{}/{}", item.id, m.control)),
                "relationship": relationship(m.relation),
                "sources": source,
                "targets": [{ "type": "control", "id-ref": m.control }],
            });
            if let Some(note) = &m.note {
                entry["remarks"] =
                    json!(format!("{}\n\n{}", one_line(&note.en), one_line(&note.zh)));
            }
            to_catalog.push(entry);
        }
        let nist: BTreeSet<String> = item
            .maps
            .iter()
            .filter_map(|m| catalog.control(&m.control))
            .flat_map(|c| c.refs.nist.iter().map(|n| nist_control_id(n)))
            .collect();
        if !nist.is_empty() {
            to_nist.push(json!({
                "uuid": uuid_for(&format!("mapping/mlps-nist/{}", item.id)),
                "relationship": "intersects-with",
                "sources": source,
                "targets": nist.iter().map(|n| json!({ "type": "control", "id-ref": n })).collect::<Vec<_>>(),
            }));
        }
    }
    let mut catalog_mapping = json!({
        "uuid": uuid_for("mapping/mlps-31168"),
        "method": "human",
        "matching-rationale": "semantic",
        "status": "draft",
        "source-resource": reference(MLPS_RESOURCE),
        "target-resource": reference(CATALOG_RESOURCE),
        "maps": to_catalog,
        "remarks": "Each GB/T 22239-2019 requirement item (cloudward's paraphrase) against the controls of cloudward's GB/T 31168 catalog, chosen by reading both; clause numbers are not yet verified against the official text.",
    });
    if !gaps.is_empty() {
        catalog_mapping["source-gap-summary"] = json!({
            "uuid": uuid_for("mapping/mlps-31168/gaps"),
            "unmapped-controls": [{ "with-ids": gaps.iter().map(|g| g["control-id"].clone()).collect::<Vec<_>>() }],
        });
    }
    let mappings = vec![
        catalog_mapping,
        json!({
            "uuid": uuid_for("mapping/mlps-nist"),
            "method": "automation",
            "matching-rationale": "semantic",
            "status": "draft",
            "source-resource": reference(MLPS_RESOURCE),
            "target-resource": reference(NIST_RESOURCE),
            "maps": to_nist,
            "remarks": "Derived: each item to the NIST SP 800-53 rev. 5 controls that its catalog controls reference. A derived link says the two overlap, no more.",
        }),
    ];
    json!({
        "mapping-collection": {
            "uuid": uuid_for("mapping-collection/mlps"),
            "metadata": {
                "title": "GB/T 22239-2019 (MLPS 2.0) to cloudward's GB/T 31168 catalog and NIST SP 800-53 rev. 5",
                "last-modified": timestamp,
                "version": version,
                "oscal-version": OSCAL_VERSION,
            },
            "provenance": {
                "method": "hybrid",
                "matching-rationale": "semantic",
                "status": "draft",
                "mapping-description": "The crosswalk of docs/mlps.md: the catalog mapping was made by reading each requirement item and each control; the NIST mapping follows from the catalog controls' references.",
            },
            "mappings": mappings,
            "back-matter": {
                "resources": [
                    resource(MLPS_RESOURCE, &framework.standard, "urn:cloudward:mlps:gb-t-22239-2019", "application/yaml"),
                    resource(CATALOG_RESOURCE, "cloudward GB/T 31168 catalog", CATALOG_FILE, "application/oscal.catalog+json"),
                    resource(NIST_RESOURCE, "NIST SP 800-53 rev. 5", "https://doi.org/10.6028/NIST.SP.800-53r5", "text/html"),
                ],
            },
        }
    })
}
