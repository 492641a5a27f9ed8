//! Every export validates against NIST's schema for its model; exports read back to the
//! same content; NIST's examples import without losing what we model; bad documents are
//! refused with the JSON path.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::check;
use cloudward_domain::engagement;
use cloudward_domain::load::Content;
use cloudward_domain::workflow::{ControlResult, Offering};
use cloudward_oscal::framework::{self, Framework};
use cloudward_oscal::model::Document;
use cloudward_oscal::results::{self, AssessmentFile};
use cloudward_oscal::{Error, export, read, scan};
use serde_json::Value;

const TS: &str = "2026-11-28T00:00:00Z";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

fn content() -> &'static Content {
    static C: OnceLock<Content> = OnceLock::new();
    C.get_or_init(|| cloudward_content::embedded_content().unwrap())
}

/// Validates `doc` against the NIST schema of its model, and checks that it reads back
/// through our types unchanged; panics with every error.
fn validate(doc: &Document) {
    assert_eq!(
        &read(&doc.to_json()).unwrap(),
        doc,
        "{} reads back the same",
        doc.model()
    );
    let file = match doc.model() {
        "catalog" => "oscal_catalog_schema.json",
        "profile" => "oscal_profile_schema.json",
        "component-definition" => "oscal_component_schema.json",
        "system-security-plan" => "oscal_ssp_schema.json",
        "assessment-results" => "oscal_assessment-results_schema.json",
        _ => "oscal_poam_schema.json",
    };
    let schema: Value = serde_json::from_str(&text(file)).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
    let instance: Value = serde_json::from_str(&doc.to_json()).unwrap();
    // Every object's UUID is its own.
    fn uuids<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "uuid" {
                        out.extend(x.as_str());
                    }
                    uuids(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| uuids(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    uuids(&instance, &mut all);
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "{}: a UUID is used twice", doc.model());
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} is not valid against {file}:\n{}",
        doc.model(),
        errors.join("\n")
    );
}

fn engagement_example(name: &str) -> (engagement::EngagementFile, check::Report) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let src = std::fs::read_to_string(path).unwrap();
    let file = engagement::parse(&src).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let report = check::check(&file, &src, content(), day).unwrap();
    (file, report)
}

const EXAMPLES: [&str; 3] = [
    "saas-public-general.yaml",
    "community-sensitive-critical.yaml",
    "exit-phase.yaml",
];

// ---------------------------------------------------------------- schema validity

#[test]
fn the_schemas_do_reject_broken_documents() {
    // The \p{L} token patterns and date-time formats are enforced, so a pass means something.
    let schema: Value = serde_json::from_str(&text("oscal_catalog_schema.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let good: Value =
        serde_json::from_str(&export::catalog(&content().catalog, TS, "0.1.0").to_json()).unwrap();
    assert!(validator.is_valid(&good));
    for (pointer, bad) in [
        ("/catalog/uuid", Value::from("not-a-uuid")),
        ("/catalog/metadata/last-modified", Value::from("2026-11-28")),
        ("/catalog/groups/0/id", Value::from("9 bad id")),
        (
            "/catalog/groups/0/controls/0/props/0/value",
            Value::from(" padded "),
        ),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(pointer).unwrap() = bad;
        assert!(!validator.is_valid(&doc), "{pointer} should be refused");
    }
}

#[test]
fn catalog_and_profiles_are_valid() {
    validate(&export::catalog(&content().catalog, TS, "0.1.0"));
    for level in ProtectionLevel::ALL {
        validate(&export::profile(&content().catalog, level, TS, "0.1.0"));
    }
}

#[test]
fn component_definition_is_valid() {
    let offering: Offering = serde_saphyr::from_str(&text("offering.yaml")).unwrap();
    let doc = export::component(content(), &offering, TS, "0.1.0");
    validate(&doc);
    let Document::ComponentDefinition(cd) = &doc else {
        panic!()
    };
    let reqs = &cd.components[0].control_implementations[0].implemented_requirements;
    // Physical controls are the provider's alone in IaaS; the DP override leaves data to
    // the customer.
    assert!(reqs.iter().any(|r| r.control_id == "PE-01"));
    assert!(!reqs.iter().any(|r| r.control_id.starts_with("DP-")));
    assert!(
        reqs.iter()
            .all(|r| content().catalog.control(&r.control_id).unwrap().level
                <= ProtectionLevel::Enhanced)
    );
}

#[test]
fn system_security_plans_are_valid_and_carry_the_matrix() {
    for name in EXAMPLES {
        let (file, report) = engagement_example(name);
        let doc = export::ssp(content(), &file, &report, TS, "0.1.0");
        validate(&doc);
        let Document::SystemSecurityPlan(ssp) = &doc else {
            panic!()
        };
        let sc = &ssp.system_characteristics;
        assert_eq!(
            sc.security_sensitivity_level.as_deref(),
            Some(report.level.id())
        );
        assert_eq!(
            sc.system_information.information_types.len(),
            file.information.len()
        );
        let reqs = &ssp.control_implementation.implemented_requirements;
        assert_eq!(
            reqs.len(),
            content().catalog.applicable(report.level).count()
        );
        // A shared control: the provider exports provided + responsibility, the system
        // inherits and satisfies, pointing at them.
        let shared = reqs
            .iter()
            .find(|r| r.by_components.iter().any(|b| !b.satisfied.is_empty()))
            .expect("a shared control");
        let export = shared
            .by_components
            .iter()
            .find_map(|b| b.export.as_ref())
            .unwrap();
        let mine = shared
            .by_components
            .iter()
            .find(|b| !b.satisfied.is_empty())
            .unwrap();
        assert_eq!(
            mine.inherited[0].provided_uuid.as_ref(),
            Some(&export.provided[0].uuid)
        );
        assert_eq!(
            mine.satisfied[0].responsibility_uuid.as_ref(),
            Some(&export.responsibilities[0].uuid)
        );
    }
}

#[test]
fn assessment_results_are_valid_and_round_trip() {
    let a: AssessmentFile = serde_saphyr::from_str(&text("assessment.yaml")).unwrap();
    let doc = export::assessment_results(&a, TS, "0.1.0");
    validate(&doc);
    let back = results::from_document(&read(&doc.to_json()).unwrap()).unwrap();
    assert_eq!(back, a);
}

#[test]
fn scan_results_and_poam_are_valid() {
    let report = scan::parse(&text("scan-report.json")).unwrap();
    assert!(!report.findings.is_empty());
    let doc = scan::assessment_results(&report, "scan-report", TS);
    validate(&doc);
    let back = results::from_document(&read(&doc.to_json()).unwrap()).unwrap();
    for f in &report.findings {
        for c in &f.controls {
            assert_eq!(back.results[c].result, ControlResult::NotSatisfied, "{c}");
        }
    }
    let messages = cloudward_content::messages();
    for name in EXAMPLES {
        let (file, report_check) = engagement_example(name);
        let render =
            |f: &check::Finding| messages.render(&f.key(), cloudward_domain::Lang::En, &f.args);
        let doc = export::poam(&file, &report_check, &render, Some(&report), TS, "0.1.0");
        validate(&doc);
        let Document::PlanOfActionAndMilestones(p) = &doc else {
            panic!()
        };
        assert_eq!(
            p.risks.len(),
            report_check.blockers.len() + report_check.warnings.len()
        );
        assert_eq!(p.observations.len(), report.findings.len());
        let doc = export::poam(&file, &report_check, &render, None, TS, "0.1.0");
        validate(&doc);
    }
}

#[test]
fn exports_are_reproducible() {
    let a = export::catalog(&content().catalog, TS, "0.1.0").to_json();
    let b = export::catalog(&content().catalog, TS, "0.1.0").to_json();
    assert_eq!(a, b);
    let (file, report) = engagement_example(EXAMPLES[0]);
    let a = export::ssp(content(), &file, &report, TS, "0.1.0").to_json();
    let b = export::ssp(content(), &file, &report, TS, "0.1.0").to_json();
    assert_eq!(a, b);
    // Every UUID is v5.
    for u in a.split("\"uuid\": \"").skip(1) {
        assert_eq!(u.as_bytes().get(14), Some(&b'5'), "{}", &u[..36]);
    }
}

// ---------------------------------------------------------------- round trips

#[test]
fn catalog_round_trips_as_a_framework() {
    let cat = &content().catalog;
    let doc = export::catalog(cat, TS, "0.1.0");
    let fw = Framework::from_document(&read(&doc.to_json()).unwrap(), None).unwrap();
    assert_eq!(fw.groups.len(), cat.families.len());
    assert_eq!(fw.controls.len(), cat.controls.len());
    for (ours, theirs) in cat.controls.iter().zip(&fw.controls) {
        assert_eq!(ours.id, theirs.id);
        assert_eq!(ours.title.en, theirs.title);
        assert_eq!(Some(&ours.title.zh), theirs.title_zh.as_ref());
        assert_eq!(ours.statement.en, theirs.statement);
        assert_eq!(Some(&ours.statement.zh), theirs.statement_zh.as_ref());
        assert_eq!(ours.guidance.en, theirs.guidance);
        assert_eq!(Some(&ours.guidance.zh), theirs.guidance_zh.as_ref());
        assert_eq!(theirs.group.as_deref(), Some(ours.family.as_str()));
        assert_eq!(theirs.props["level"], ours.level.id());
        assert_eq!(theirs.props["topic"], ours.topic);
        assert_eq!(
            theirs
                .props
                .get("nist-sp800-53")
                .cloned()
                .unwrap_or_default(),
            ours.refs.nist.join(", ")
        );
    }
    // Stored and read again: the same framework.
    let stored = Document::Catalog(fw.to_catalog("cloudward", TS));
    validate(&stored);
    let again = Framework::from_document(&read(&stored.to_json()).unwrap(), None).unwrap();
    assert_eq!(again, fw);
}

#[test]
fn profiles_resolve_against_the_exported_catalog() {
    let cat = &content().catalog;
    let Document::Catalog(oscal_cat) = export::catalog(cat, TS, "0.1.0") else {
        panic!()
    };
    let mut sizes = Vec::new();
    for level in ProtectionLevel::ALL {
        let doc = export::profile(cat, level, TS, "0.1.0");
        let read_back = read(&doc.to_json()).unwrap();
        let fw = Framework::from_document(&read_back, Some(&oscal_cat)).unwrap();
        let ids: Vec<&str> = fw.controls.iter().map(|c| c.id.as_str()).collect();
        let expected: Vec<&str> = cat.applicable(level).map(|c| c.id.as_str()).collect();
        assert_eq!(ids, expected, "{level:?}");
        sizes.push(ids.len());
    }
    assert!(
        sizes[0] < sizes[1] && sizes[1] < sizes[2],
        "levels nest: {sizes:?}"
    );
    // Without the catalog the profile cannot be resolved, and the error says where.
    let doc = read(&export::profile(cat, ProtectionLevel::General, TS, "0.1.0").to_json()).unwrap();
    let err = Framework::from_document(&doc, None).unwrap_err();
    assert_eq!(err.path(), "$.profile.imports[0].href");
}

// ---------------------------------------------------------------- NIST examples

fn nist_catalog() -> cloudward_oscal::model::Catalog {
    cloudward_oscal::read::read_catalog(&text(
        "NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json",
    ))
    .unwrap()
}

/// Every control (with enhancements) of a JSON catalog, counted on the raw JSON.
fn raw_control_count(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            let here = m
                .get("controls")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            here + m.values().map(raw_control_count).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(raw_control_count).sum(),
        _ => 0,
    }
}

#[test]
fn nist_moderate_catalog_imports_whole() {
    let raw: Value = serde_json::from_str(&text(
        "NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json",
    ))
    .unwrap();
    let fw = Framework::from_catalog(&nist_catalog());
    assert_eq!(fw.controls.len(), raw_control_count(&raw));
    assert_eq!(fw.controls.len(), 287);
    assert_eq!(fw.groups.len(), 18);
    let ac2 = fw.control("AC-2").unwrap();
    assert_eq!(ac2.label, "AC-2");
    assert_eq!(ac2.title, "Account Management");
    assert_eq!(ac2.group.as_deref(), Some("ac"));
    assert!(
        ac2.statement
            .contains("a. Define and document the types of accounts")
    );
    assert!(!ac2.statement.contains("{{"), "parameters are rendered");
    assert!(!ac2.guidance.is_empty());
    let e = fw.control("ac-2.1").unwrap();
    assert_eq!(e.parent.as_deref(), Some("ac-2"));
    assert_eq!(fw.control("AC-2(1)").unwrap().id, "ac-2.1");
    // Stored as a catalog, it is valid and reads back the same.
    let stored = Document::Catalog(fw.to_catalog("nist-moderate", TS));
    validate(&stored);
    let again = Framework::from_document(&read(&stored.to_json()).unwrap(), None).unwrap();
    assert_eq!(again, fw);
}

#[test]
fn nist_moderate_profile_resolves_against_its_catalog() {
    let doc = read(&text("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json")).unwrap();
    let Document::Profile(p) = &doc else { panic!() };
    let wanted = p.imports[0].include_controls[0].with_ids.len();
    let fw = Framework::from_document(&doc, Some(&nist_catalog())).unwrap();
    assert_eq!(fw.source_model, "profile");
    assert_eq!(fw.controls.len(), wanted);
    assert!(fw.title.contains("MODERATE"));
    // Selection by pattern, and with the enhancements.
    let mut v: Value =
        serde_json::from_str(&text("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json")).unwrap();
    v["profile"]["imports"][0]["include-controls"] = serde_json::json!([
        { "matching": [{ "pattern": "ac-1?" }] },
        { "with-ids": ["au-6"], "with-child-controls": "yes" }
    ]);
    let fw =
        Framework::from_document(&read(&v.to_string()).unwrap(), Some(&nist_catalog())).unwrap();
    let ids: Vec<&str> = fw.controls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ac-11", "ac-12", "ac-14", "ac-17", "ac-18", "ac-19", "au-6", "au-6.1", "au-6.3"
        ]
    );
    let doc = read(&text("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json")).unwrap();
    let fw = Framework::from_document(&doc, Some(&nist_catalog())).unwrap();
    // Our catalog's NIST references against it.
    let m = framework::map(&content().catalog, &fw);
    assert!(
        m.rows
            .iter()
            .any(|r| r.framework_control.as_deref() == Some("ia-2"))
    );
    assert!(m.rows.len() > m.missing.len());
}

#[test]
fn nist_basic_catalog_and_assessment_results_import() {
    let raw: Value = serde_json::from_str(&text("basic-catalog.json")).unwrap();
    let fw = Framework::from_document(&read(&text("basic-catalog.json")).unwrap(), None).unwrap();
    assert_eq!(fw.controls.len(), raw_control_count(&raw));
    assert!(fw.controls.iter().all(|c| !c.title.is_empty()));

    let doc = read(&text("ifa_assessment-results-example.json")).unwrap();
    let a = results::from_document(&doc).unwrap();
    assert_eq!(a.results["ac-6.1"].result, ControlResult::NotSatisfied);
    assert!(!a.results["ac-6.1"].evidence.is_empty());
    assert!(a.results["ac-6.1"].notes.contains("System Engineer Role"));
}

// ---------------------------------------------------------------- errors

#[test]
fn malformed_and_wrong_version_documents_name_the_path() {
    let mut v: Value = serde_json::from_str(&text("basic-catalog.json")).unwrap();
    v["catalog"]["metadata"]["oscal-version"] = Value::String("2.0.0".into());
    let err = read(&v.to_string()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }));
    assert_eq!(err.path(), "$.catalog.metadata.oscal-version");

    let mut v: Value = serde_json::from_str(&text("basic-catalog.json")).unwrap();
    v["catalog"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("oscal-version");
    assert_eq!(
        read(&v.to_string()).unwrap_err(),
        Error::MissingVersion {
            path: "$.catalog.metadata.oscal-version".into()
        }
    );

    let mut v: Value = serde_json::from_str(&text("basic-catalog.json")).unwrap();
    v["catalog"]["groups"][1]["groups"][0]["controls"][1]["title"] = Value::Bool(true);
    let err = read(&v.to_string()).unwrap_err();
    assert_eq!(
        err.path(),
        "$.catalog.groups[1].groups[0].controls[1].title"
    );

    let err = read("{\"cat\": {}}").unwrap_err();
    assert!(err.to_string().contains("catalog, profile"), "{err}");
    let err = read("{\"catalog\": ").unwrap_err();
    assert!(matches!(err, Error::Syntax { line: 1, .. }), "{err:?}");

    let doc = read(&text("ifa_assessment-results-example.json")).unwrap();
    assert!(matches!(
        Framework::from_document(&doc, None),
        Err(Error::WrongModel { .. })
    ));

    // A profile naming a control its catalog lacks.
    let mut v: Value =
        serde_json::from_str(&text("NIST_SP-800-53_rev5_MODERATE-baseline_profile.json")).unwrap();
    v["profile"]["imports"][0]["include-controls"][0]["with-ids"][3] =
        Value::String("zz-99".into());
    let doc = read(&v.to_string()).unwrap();
    let err = Framework::from_document(&doc, Some(&nist_catalog())).unwrap_err();
    assert_eq!(
        err.path(),
        "$.profile.imports[0].include-controls[0].with-ids[3]"
    );
}

// ---------------------------------------------------------------- snapshots

/// Small exports, byte for byte: a change of UUIDs, order or shape shows in review.
#[test]
fn snapshots() {
    insta::assert_snapshot!(
        "profile-general.json",
        export::profile(&content().catalog, ProtectionLevel::General, TS, "0.1.0").to_json()
    );
    let messages = cloudward_content::messages();
    let (file, report) = engagement_example("exit-phase.yaml");
    let render =
        |f: &check::Finding| messages.render(&f.key(), cloudward_domain::Lang::En, &f.args);
    insta::assert_snapshot!(
        "poam-exit-phase.json",
        export::poam(&file, &report, &render, None, TS, "0.1.0").to_json()
    );
    let a: AssessmentFile = serde_saphyr::from_str(&text("assessment.yaml")).unwrap();
    insta::assert_snapshot!(
        "assessment-results.json",
        export::assessment_results(&a, TS, "0.1.0").to_json()
    );
}

// ---------------------------------------------------------------- 等级保护 crosswalk

#[test]
fn the_mlps_crosswalk_is_a_valid_mapping_collection() {
    let doc = cloudward_oscal::mapping::mlps(&content().mlps, &content().catalog, TS, "0.1.0");
    let schema: Value = serde_json::from_str(&text("oscal_mapping_schema.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // Every item with a crosswalk is a source, with our relation in OSCAL's words.
    let maps = doc["mapping-collection"]["mappings"][0]["maps"]
        .as_array()
        .unwrap();
    let item = content().mlps.item("MLPS-CMP-AUTH-01").unwrap();
    let of_item: Vec<&Value> = maps
        .iter()
        .filter(|m| m["sources"][0]["id-ref"] == item.id.as_str())
        .collect();
    assert_eq!(of_item.len(), item.maps.len());
    assert!(
        of_item
            .iter()
            .all(|m| m["relationship"] == "intersects-with")
    );
    // Items with no counterpart are the source gap, not silently absent.
    let gaps = &doc["mapping-collection"]["mappings"][0]["source-gap-summary"]["unmapped-controls"]
        [0]["with-ids"];
    let none: Vec<&str> = content()
        .mlps
        .items
        .iter()
        .filter(|i| i.maps.is_empty())
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(gaps.as_array().map_or(0, Vec::len), none.len());
    // The NIST mapping spells ids as NIST's catalogs do.
    let nist = doc["mapping-collection"]["mappings"][1]["maps"]
        .as_array()
        .unwrap();
    assert!(
        nist.iter().all(
            |m| m["targets"].as_array().unwrap().iter().all(|t| t["id-ref"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
        )
    );
    assert_eq!(
        cloudward_oscal::mapping::nist_control_id("PM-5(1)"),
        "pm-5.1"
    );
}

/// The control ids of a resolved baseline catalog (controls and their enhancements).
fn baseline_ids(name: &str) -> std::collections::BTreeSet<String> {
    fn walk(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let (Some(Value::String(id)), Some(_)) = (m.get("id"), m.get("title"))
                    && m.contains_key("class")
                {
                    out.insert(id.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let v: Value = serde_json::from_str(&text(name)).unwrap();
    let mut out = std::collections::BTreeSet::new();
    walk(&v["catalog"]["groups"], &mut out);
    out
}

#[test]
fn nist_references_against_the_rev5_baselines() {
    // Writes docs/nist-baselines.md (UPDATE_DOCS=1 rewrites it; otherwise it must be current).
    let high = baseline_ids("NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json");
    let moderate =
        baseline_ids("NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog-min.json");
    assert!(
        high.contains("ac-2.1") && moderate.contains("ac-2"),
        "baselines read"
    );
    let mut outside = Vec::new();
    let mut total = 0;
    for c in &content().catalog.controls {
        for n in &c.refs.nist {
            total += 1;
            let id = cloudward_oscal::mapping::nist_control_id(n);
            if !high.contains(&id) && !moderate.contains(&id) {
                outside.push((c.id.clone(), n.clone()));
            }
        }
    }
    let mut md = String::from(
        "# NIST SP 800-53 references outside the rev. 5 baselines\n\n\
         Generated by `crates/oscal/tests/oscal.rs` (`UPDATE_DOCS=1 cargo test -p cloudward-oscal nist_references`).\n\n\
         Every NIST SP 800-53 reference of the catalog is looked up in the rev. 5 HIGH and MODERATE\n\
         baselines (NIST's resolved-profile catalogs). A reference outside both is not wrong — the\n\
         baselines leave out program-management controls and many enhancements — but a reader who\n\
         maps our catalog to a FedRAMP-style baseline finds no counterpart for it there.\n\n",
    );
    md.push_str(&format!(
        "{} of {total} references are outside both baselines.\n\n| control | NIST reference |\n|---|---|\n",
        outside.len()
    ));
    for (c, n) in &outside {
        md.push_str(&format!("| {c} | {n} |\n"));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/nist-baselines.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &md).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        current, md,
        "docs/nist-baselines.md is stale: run with UPDATE_DOCS=1"
    );
}

#[test]
fn documents_of_oscal_1_1_and_1_2_releases_are_read() {
    // NIST publishes its content as 1.2.2 now; 1.1.x documents are still about.
    let original = text("basic-catalog.json");
    let v: Value = serde_json::from_str(&original).unwrap();
    let current = v["catalog"]["metadata"]["oscal-version"]
        .as_str()
        .unwrap()
        .to_owned();
    for version in ["1.1.3", "1.2.2", "1.2.9"] {
        let patched = original.replacen(
            &format!("\"oscal-version\": \"{current}\""),
            &format!("\"oscal-version\": \"{version}\""),
            1,
        );
        assert_ne!(patched, original, "the version is replaced");
        let doc = read(&patched).unwrap_or_else(|e| panic!("{version}: {e}"));
        assert_eq!(doc.model(), "catalog");
    }
}
