//! The engagement file survives its JSON form (how the server stores it) and its YAML
//! export (what `cloudward check` reads back) unchanged.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

use cloudward_domain::engagement::{self, EngagementFile};

#[test]
fn every_example_round_trips_through_json_and_yaml() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // The folder also holds an exit record, an assessment and supervision data, named
        // for what they are.
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".exit-record.yaml")
            || name.ends_with(".assessment.yaml")
            || name.ends_with(".supervision.json")
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file = engagement::parse(&text).unwrap();
        let json = serde_json::to_value(&file).unwrap();
        let back: EngagementFile = serde_path_to_error::deserialize(&json)
            .unwrap_or_else(|e| panic!("{}: {} {}", path.display(), e.path(), e.inner()));
        let yaml = serde_saphyr::to_string(&back).unwrap();
        assert!(
            !yaml.contains(": null"),
            "{}: the export writes no nulls",
            path.display()
        );
        let again =
            engagement::parse(&yaml).unwrap_or_else(|e| panic!("{}: {e}\n{yaml}", path.display()));
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            json,
            "{}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 3);
}
