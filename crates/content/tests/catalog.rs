//! The built-in catalog: valid, complete enough for the guide, and its validation
//! rejects broken content with file, line and entry.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use cloudward_content::{embedded, embedded_content, messages};
use cloudward_domain::Lang;
use cloudward_domain::ProtectionLevel;
use cloudward_domain::catalog::Origin;
use cloudward_domain::load::{Source, load};
use cloudward_domain::problem::{Problem, ProblemKind, samples};

fn content() -> cloudward_domain::load::Content {
    match embedded_content() {
        Ok(c) => c,
        Err(problems) => {
            let m = messages();
            let text: Vec<String> = problems.iter().map(|p| p.render(&m, Lang::En)).collect();
            panic!("built-in content is invalid:\n{}", text.join("\n"));
        }
    }
}

#[test]
fn built_in_catalog_is_valid_and_large_enough() {
    let c = content();
    assert_eq!(c.catalog.families.len(), 11);
    assert!(
        c.catalog.controls.len() >= 180,
        "only {} controls",
        c.catalog.controls.len()
    );
    let ids: Vec<&str> = c.catalog.families.iter().map(|f| f.id.as_str()).collect();
    for want in [
        "SA", "SC", "AC", "DP", "CM", "MA", "IR", "AU", "RA", "PS", "PE",
    ] {
        assert!(ids.contains(&want), "family {want} missing");
    }
    for family in &c.catalog.families {
        assert!(
            c.catalog
                .controls
                .iter()
                .any(|x| x.family == family.id && x.level == ProtectionLevel::Enhanced),
            "{} has no enhanced control",
            family.id
        );
    }
    let g = &c.guide;
    assert_eq!(g.risks.len(), 7);
    assert_eq!(g.roles.len(), 4);
    assert_eq!(g.basic_requirements.len(), 5);
    assert_eq!(g.phases.len(), 4);
    assert_eq!(g.aspects.len(), 10);
    assert_eq!(g.aspects.iter().filter(|a| a.product_addition).count(), 1);
    assert!(g.contract_clauses.len() >= 12);
}

#[test]
fn levels_nest() {
    let c = content();
    let general = c.catalog.applicable(ProtectionLevel::General).count();
    let enhanced = c.catalog.applicable(ProtectionLevel::Enhanced).count();
    let advanced = c.catalog.applicable(ProtectionLevel::Advanced).count();
    assert!(0 < general && general < enhanced && enhanced < advanced);
    assert_eq!(advanced, c.catalog.controls.len());
    for control in &c.catalog.controls {
        assert_eq!(
            control.level == ProtectionLevel::Advanced,
            control.origin == Origin::Cloudward
        );
    }
}

/// The advanced set covers what the product promises for advanced protection.
#[test]
fn advanced_set_covers_the_promised_measures() {
    let c = content();
    let advanced: Vec<String> = c
        .catalog
        .controls
        .iter()
        .filter(|x| x.level == ProtectionLevel::Advanced)
        .map(|x| format!("{} {} {}", x.title.en, x.statement.en, x.statement.zh).to_lowercase())
        .collect();
    let covered = |needles: &[&str]| {
        advanced
            .iter()
            .any(|t| needles.iter().all(|n| t.contains(n)))
    };
    assert!(covered(&["dedicated"]), "dedicated resources");
    assert!(
        covered(&["sm2"]) && covered(&["sm3"]) && covered(&["sm4"]),
        "national algorithms"
    );
    assert!(covered(&["24"]) && covered(&["monitor"]), "24x7 monitoring");
    assert!(covered(&["screen"]), "staff screening");
    assert!(
        covered(&["disaster", "mainland"]),
        "in-country disaster recovery"
    );
}

/// Every topic that CATALOG-NOTES.md lists for a family is in families.yaml.
#[test]
fn topics_follow_catalog_notes() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/CATALOG-NOTES.md");
    let Ok(notes) = std::fs::read_to_string(&path) else {
        eprintln!(
            "skipped: {} is absent (a user's clone has no ../shared)",
            path.display()
        );
        return;
    };
    let c = content();
    let mut checked = 0;
    for line in notes.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 {
            continue;
        }
        let Some(family) = c.catalog.families.iter().find(|f| f.name.zh == cells[2]) else {
            continue;
        };
        let listed = cells[3].split("; ").count();
        assert_eq!(family.topics.len(), listed, "topics of {}", family.id);
        checked += 1;
    }
    assert_eq!(
        checked, 11,
        "every family row of CATALOG-NOTES.md was compared"
    );
}

#[test]
fn every_problem_kind_has_a_message_in_both_languages() {
    let m = messages();
    for kind in samples() {
        let text = m.get(kind.key());
        assert!(
            text.is_some_and(|t| !t.zh.is_empty() && !t.en.is_empty()),
            "{}",
            kind.key()
        );
    }
}

// ---------------------------------------------------------------- broken content

fn with_change(path: &str, change: impl Fn(&str) -> String) -> Vec<Source> {
    let mut sources = embedded();
    let src = sources.iter_mut().find(|s| s.path == path);
    match src {
        Some(src) => src.text = change(&src.text),
        None => panic!("no {path} in the embedded content"),
    }
    sources
}

fn problems(sources: &[Source]) -> Vec<Problem> {
    match load(sources) {
        Ok(_) => panic!("broken content was accepted"),
        Err(p) => p,
    }
}

fn line_of(path: &str, needle: &str) -> u64 {
    let text = embedded()
        .into_iter()
        .find(|s| s.path == path)
        .map(|s| s.text)
        .unwrap_or_default();
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or(0)
}

#[test]
fn duplicate_id_is_named_with_both_places() {
    let sources = with_change("catalog/controls/AC.yaml", |t| {
        t.replacen("id: AC-02", "id: AC-01", 1)
    });
    let p = problems(&sources);
    let dup = p
        .iter()
        .find(|p| matches!(p.kind, ProblemKind::DuplicateId { .. }));
    let Some(dup) = dup else {
        panic!("no duplicate reported: {p:?}")
    };
    assert_eq!(dup.file, "catalog/controls/AC.yaml");
    assert_eq!(dup.entry.as_deref(), Some("AC-01"));
    assert_eq!(
        dup.line,
        Some(line_of("catalog/controls/AC.yaml", "id: AC-02"))
    );
    let text = dup.render(&messages(), Lang::En);
    assert!(text.contains("catalog/controls/AC.yaml:"), "{text}");
    assert!(text.contains("duplicate id AC-01"), "{text}");
}

#[test]
fn unknown_level_topic_and_party_are_reported() {
    let sources = with_change("catalog/controls/PE.yaml", |t| {
        t.replacen("level: general", "level: medium", 1)
            .replacen("topic: siting", "topic: nowhere", 1)
            .replacen("iaas: provider", "iaas: vendor", 1)
    });
    let p = problems(&sources);
    let m = messages();
    let all: Vec<String> = p.iter().map(|x| x.render(&m, Lang::En)).collect();
    let joined = all.join("\n");
    assert!(
        joined.contains("unknown level 'medium'; accepted values: general, enhanced, advanced"),
        "{joined}"
    );
    assert!(joined.contains("unknown topic 'nowhere'"), "{joined}");
    assert!(
        joined
            .contains("unknown parties.iaas 'vendor'; accepted values: provider, customer, shared"),
        "{joined}"
    );
    assert!(
        all.iter()
            .all(|l| l.starts_with("catalog/controls/PE.yaml:")),
        "{joined}"
    );
}

#[test]
fn unknown_family_is_reported() {
    let mut sources = embedded();
    sources.push(Source {
        path: "catalog/controls/ZZ.yaml".into(),
        text: "family: ZZ\ncontrols: []\n".into(),
    });
    let p = problems(&sources);
    let text = p
        .iter()
        .map(|x| x.render(&messages(), Lang::Zh))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("catalog/controls/ZZ.yaml:1: ZZ: 字段 family 的取值“ZZ”未知"),
        "{text}"
    );
}

#[test]
fn missing_translation_and_dangling_reference() {
    let sources = with_change("guide/risks.yaml", |t| {
        t.replacen("DP.deletion", "DP.shredding", 1)
    });
    let p = problems(&sources);
    assert!(
        p.iter().any(|x| x.file == "guide/risks.yaml"
            && matches!(&x.kind, ProblemKind::DanglingReference { value, .. } if value == "DP.shredding")),
        "{p:?}"
    );
    // Remove the English statement of the first SC control.
    let sources = with_change("catalog/controls/SC.yaml", |t| {
        let mut out = String::new();
        let mut dropped = false;
        let mut in_statement = false;
        for line in t.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("statement:") {
                in_statement = true;
            } else if !trimmed.starts_with("zh:") && !trimmed.starts_with("en:") {
                in_statement = false;
            }
            if in_statement && !dropped && trimmed.starts_with("en:") {
                dropped = true;
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
        out
    });
    let p = problems(&sources);
    assert!(
        p.iter().any(|x| x.entry.as_deref() == Some("SC-01")
            && matches!(&x.kind, ProblemKind::MissingTranslation { field, lang } if field == "statement" && lang == "en")),
        "{p:?}"
    );
}

#[test]
fn malformed_yaml_names_the_line() {
    let sources = with_change("catalog/families.yaml", |t| {
        t.replacen("kind: physical", "kind: [physical", 1)
    });
    let p = problems(&sources);
    assert_eq!(
        p.len(),
        1,
        "a broken family file stops further checks: {p:?}"
    );
    assert_eq!(p[0].file, "catalog/families.yaml");
    assert!(p[0].line.is_some_and(|l| l > 0));
    assert!(matches!(p[0].kind, ProblemKind::Syntax { .. }));
}

#[test]
fn uncovered_topic_is_reported() {
    // Move every control of one topic away: the topic is left without a control.
    let sources = with_change("catalog/controls/RA.yaml", |t| {
        t.replace("topic: spam", "topic: assessment")
    });
    let p = problems(&sources);
    assert!(
        p.iter().any(
            |x| matches!(&x.kind, ProblemKind::TopicWithoutControl { topic } if topic == "RA.spam")
        ),
        "{p:?}"
    );
}

/// The message table reads as a whole (a value with ", " left unquoted breaks all of it,
/// and the server then refuses to start).
#[test]
fn the_message_table_reads() {
    let m = cloudward_content::messages_checked().unwrap_or_else(|e| panic!("{e}"));
    assert!(m.get("ui.login").is_some());
    assert!(m.get("api.not_found").is_some());
}

// ---------------------------------------------------------------- GB/T 22239 (等保 2.0)

#[test]
fn built_in_mlps_framework_is_embedded_and_crosswalked() {
    let c = content();
    let f = &c.mlps;
    assert_eq!(f.areas().len(), 10);
    assert!(f.items_at(3).count() > 100);
    for level in [2, 3] {
        for item in f.items_at(level) {
            assert!(item.has_crosswalk(), "{} has no crosswalk", item.id);
            for m in &item.maps {
                assert!(c.catalog.control(&m.control).is_some(), "{}", item.id);
            }
        }
    }
    // The data-location scan rules hang on DP-13; the cloud extension's in-China items
    // reach them through it.
    assert!(
        f.items_for_control("DP-13")
            .any(|i| i.id == "MLPS-CMP-DATA-C01")
    );
}

#[test]
fn broken_mlps_item_is_reported_with_file_and_line() {
    let path = "mlps/items/CMP.yaml";
    let sources = with_change(path, |t| {
        t.replacen("control: AC-01,", "control: AC-99,", 1)
    });
    let p = problems(&sources);
    let Some(found) = p.iter().find(
        |p| matches!(&p.kind, ProblemKind::DanglingReference { value, .. } if value == "AC-99"),
    ) else {
        panic!("no dangling control reported: {p:?}")
    };
    assert_eq!(found.file, path);
    assert_eq!(found.entry.as_deref(), Some("MLPS-CMP-AUTH-01"));
    assert_eq!(found.line, Some(line_of(path, "id: MLPS-CMP-AUTH-01")));
}

/// Scan rules reach 22239 items through the controls they cite: a level-3 pack finds a rule
/// only if some level-3 item maps to one of its controls. The controls that only level-4
/// items reach are listed here on purpose.
#[test]
fn every_control_a_rule_cites_is_reached_from_a_level_3_item() {
    const LEVEL_4_ONLY: [&str; 2] = ["AU-13", "SC-24"];
    let c = content();
    let at_3 = c.mlps.controls_at(3);
    let mut missing = std::collections::BTreeSet::new();
    let mut seen = 0;
    for source in embedded().iter().filter(|s| s.path.starts_with("rules/")) {
        let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(&source.text) else {
            continue;
        };
        let rules = doc.get("rules").and_then(|r| r.as_array());
        for rule in rules.into_iter().flatten() {
            let controls = rule.get("controls").and_then(|c| c.as_array());
            for control in controls.into_iter().flatten().filter_map(|c| c.as_str()) {
                seen += 1;
                if !at_3.contains(control) && !LEVEL_4_ONLY.contains(&control) {
                    missing.insert(control.to_owned());
                }
            }
        }
    }
    assert!(
        seen > 500,
        "only {seen} control references read from the rules"
    );
    assert!(missing.is_empty(), "no level-3 item maps to {missing:?}");
    for control in LEVEL_4_ONLY {
        assert!(c.mlps.items_for_control(control).any(|i| i.applies_at(4)));
    }
}
