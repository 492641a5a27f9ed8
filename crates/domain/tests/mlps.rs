//! The GB/T 22239-2019 framework shipped in `content/mlps/` loads with the rest of the
//! content, and its crosswalk is complete where the issue demands it.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

use std::path::Path;

use cloudward_domain::load::{self, Content, Source};
use cloudward_domain::mlps::{LEVELS, Part, chapter_of};

fn walk(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push(Source {
                path: rel,
                text: std::fs::read_to_string(&path).unwrap(),
            });
        }
    }
}

fn content() -> Content {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../content"));
    let mut sources = Vec::new();
    walk(root, root, &mut sources);
    match load::load(&sources) {
        Ok(c) => c,
        Err(problems) => {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("{}:{:?} {:?} {:?}", p.file, p.line, p.entry, p.kind))
                .collect();
            panic!("content is invalid:\n{}", lines.join("\n"));
        }
    }
}

#[test]
fn the_framework_loads_with_ten_areas() {
    let c = content();
    let f = &c.mlps;
    assert_eq!(f.standard, "GB/T 22239-2019");
    let ids: Vec<&str> = f.areas().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "PHY", "NET", "BND", "CMP", "SMC", "POL", "ORG", "PER", "BLD", "OPS"
        ]
    );
    assert!(f.area("cmp").is_some_and(|a| a.point("AUTH").is_some()));
}

#[test]
fn every_level_2_and_3_item_has_a_crosswalk() {
    let c = content();
    for level in [2, 3] {
        for item in c.mlps.items_at(level) {
            assert!(item.has_crosswalk(), "{} has no crosswalk", item.id);
        }
    }
}

#[test]
fn counts_per_level_are_plausible() {
    let c = content();
    let count = |level: u8, part: Part| c.mlps.items_at(level).filter(|i| i.part == part).count();
    // The standard's general requirements hold roughly 60, 135, 210 and 230 items at
    // levels 1 to 4; the cloud extension adds a few dozen from level 2 on.
    assert!(
        count(1, Part::General) > 40,
        "level 1: {}",
        count(1, Part::General)
    );
    assert!(
        count(2, Part::General) > 120,
        "level 2: {}",
        count(2, Part::General)
    );
    assert!(
        count(3, Part::General) > 200,
        "level 3: {}",
        count(3, Part::General)
    );
    assert!(count(4, Part::General) >= count(3, Part::General));
    assert!(count(2, Part::Cloud) > 20);
    assert!(count(3, Part::Cloud) > 40);
    assert!(c.mlps.items_at(3).count() > 100);
    // Levels nest for the count: each level asks at least as much as the one below.
    for w in LEVELS.windows(2) {
        assert!(c.mlps.items_at(w[0]).count() <= c.mlps.items_at(w[1]).count());
    }
}

#[test]
fn clauses_fit_their_levels_and_nothing_is_verified() {
    let c = content();
    for item in &c.mlps.items {
        assert_eq!(item.levels.len(), item.clauses.len(), "{}", item.id);
        for clause in &item.clauses {
            assert!(
                !clause.verified,
                "{}: nobody here holds the official text",
                item.id
            );
            if let Some(n) = &clause.number {
                let section = match item.part {
                    Part::General => 1,
                    Part::Cloud => 2,
                };
                let prefix = format!("{}.{section}.", chapter_of(clause.level));
                assert!(n.starts_with(&prefix), "{}: {n}", item.id);
            }
        }
        if item.part == Part::Cloud {
            assert!(item.party.is_some(), "{} names no party", item.id);
        }
    }
}

#[test]
fn accessors_find_items_and_controls() {
    let c = content();
    let f = &c.mlps;
    let auth = f.item("MLPS-CMP-AUTH-01").unwrap();
    assert_eq!(
        auth.clause_at(3).and_then(|c| c.cite()).as_deref(),
        Some("8.1.4.1 a)")
    );
    assert!(f.items_for_control("AU-02").count() >= 2);
    assert!(f.items_for_control("DP-13").any(|i| i.part == Part::Cloud));
    // Every mapped control exists in the catalog (the loader checks; this is the same
    // promise seen from the accessor side).
    for control in f.controls_at(3) {
        assert!(c.catalog.control(control).is_some(), "{control}");
    }
}
