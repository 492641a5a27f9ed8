//! GB/T 22239-2019 (网络安全等级保护基本要求, 等保 2.0) as a framework of our own words:
//! its ten areas, their control points, and the requirement items of the general
//! requirements and of the cloud computing extension at levels 1 to 4, each with the
//! clause it sits at per level and its crosswalk to our GB/T 31168 catalog.
//!
//! The content lives in `content/mlps/` (`areas.yaml`, `items/AREA.yaml`); see
//! `docs/mlps.md` for the id scheme and the crosswalk method. Every clause number is
//! unverified (`verified: false`) until someone holding the official text checks it.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

use crate::catalog::{Catalog, Party};
use crate::load::{At, Checker, RawText, Source, at};
use crate::problem::{Problem, ProblemKind};
use crate::{Lang, Text};

/// Path of the areas file inside the content folder.
pub const AREAS_FILE: &str = "mlps/areas.yaml";
/// Folder of the item files, one per area (`items/PHY.yaml`, ...).
pub const ITEMS_DIR: &str = "mlps/items/";

/// The protection levels (安全保护等级) whose requirements the framework holds. Level 5
/// has no published requirements in GB/T 22239-2019 and is out of scope.
pub const LEVELS: [u8; 4] = [1, 2, 3, 4];

/// The chapter of GB/T 22239-2019 that holds a level's requirements: 6 for level 1 up to
/// 9 for level 4.
pub fn chapter_of(level: u8) -> u8 {
    level + 5
}

/// Whether an area is one of the five technical or the five management areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AreaKind {
    Technical,
    Management,
}

impl AreaKind {
    pub const IDS: [&'static str; 2] = ["technical", "management"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "technical" => Some(Self::Technical),
            "management" => Some(Self::Management),
            _ => None,
        }
    }
}

/// The part of the standard a requirement item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// 安全通用要求 (`x.1` of each level's chapter).
    General,
    /// 云计算安全扩展要求 (`x.2`).
    Cloud,
}

impl Part {
    pub const IDS: [&'static str; 2] = ["general", "cloud"];

    pub fn id(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Cloud => "cloud",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "general" => Some(Self::General),
            "cloud" => Some(Self::Cloud),
            _ => None,
        }
    }

    /// The second number of a clause in this part: `8.1...` general, `8.2...` cloud.
    pub fn section(self) -> u8 {
        match self {
            Self::General => 1,
            Self::Cloud => 2,
        }
    }
}

/// A control point (控制点) of an area, such as 身份鉴别.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// Short upper-case id, unique within the area (`AUTH`).
    pub id: String,
    pub name: Text,
    /// The parts in which the point has items.
    pub parts: Vec<Part>,
}

/// One of the ten areas (安全物理环境 ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    /// Three upper-case letters (`PHY`).
    pub id: String,
    pub kind: AreaKind,
    pub name: Text,
    pub points: Vec<Point>,
}

impl Area {
    pub fn point(&self, id: &str) -> Option<&Point> {
        self.points.iter().find(|p| p.id.eq_ignore_ascii_case(id))
    }
}

/// Where an item sits at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clause {
    pub level: u8,
    /// The control point's clause at that level, such as `8.1.4.1`; `None` when not known.
    pub number: Option<String>,
    /// The item letter under the clause (`a` for `a)`); `None` when not known.
    pub item: Option<String>,
    /// `false` while the number is from memory and not checked against the official text.
    pub verified: bool,
    /// How the item reads at this level where it differs from the item's summary.
    pub note: Option<Text>,
}

impl Clause {
    /// `8.1.4.1 a)`, or what is known of it; `None` when the number is unknown.
    pub fn cite(&self) -> Option<String> {
        self.number.as_ref().map(|n| match &self.item {
            Some(i) => format!("{n} {i})"),
            None => n.clone(),
        })
    }
}

/// How a 22239 item relates to a catalog control: "the item is a `<relation>` of the
/// control".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// Both ask for the same thing.
    Equivalent,
    /// The item asks for part of what the control asks.
    Subset,
    /// The item asks for more than the control; the control covers part of it.
    Superset,
    /// They overlap; each asks for something the other does not.
    Intersects,
}

impl Relation {
    pub const IDS: [&'static str; 4] = ["equivalent", "subset", "superset", "intersects"];

    pub fn id(self) -> &'static str {
        match self {
            Self::Equivalent => "equivalent",
            Self::Subset => "subset",
            Self::Superset => "superset",
            Self::Intersects => "intersects",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "equivalent" => Some(Self::Equivalent),
            "subset" => Some(Self::Subset),
            "superset" => Some(Self::Superset),
            "intersects" => Some(Self::Intersects),
            _ => None,
        }
    }
}

/// One link of the crosswalk from an item to a catalog control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// A control id of our catalog (`AC-07`).
    pub control: String,
    pub relation: Relation,
    pub note: Option<Text>,
}

/// A requirement item (a), b), ...) of a control point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `MLPS-CMP-AUTH-01` (general) or `MLPS-CMP-AUTH-C01` (cloud extension).
    pub id: String,
    pub area: String,
    pub point: String,
    pub part: Part,
    /// The levels whose requirements contain the item, ascending.
    pub levels: Vec<u8>,
    /// One per level in `levels`, in the same order.
    pub clauses: Vec<Clause>,
    pub title: Text,
    pub summary: Text,
    /// Who usually carries the item on a cloud (always set for the cloud extension).
    pub party: Option<Party>,
    /// The crosswalk to the catalog; empty when `none` says why there is no counterpart.
    pub maps: Vec<Mapping>,
    /// Why no catalog control corresponds.
    pub none: Option<Text>,
}

impl Item {
    pub fn applies_at(&self, level: u8) -> bool {
        self.levels.contains(&level)
    }

    pub fn clause_at(&self, level: u8) -> Option<&Clause> {
        self.clauses.iter().find(|c| c.level == level)
    }

    /// Whether the item has a crosswalk or an explicit "no counterpart".
    pub fn has_crosswalk(&self) -> bool {
        !self.maps.is_empty() || self.none.is_some()
    }

    /// Case-insensitive search over id, title and summary in both languages.
    pub fn matches(&self, needle_lower: &str) -> bool {
        self.id.to_lowercase().contains(needle_lower)
            || self.title.contains(needle_lower)
            || self.summary.contains(needle_lower)
    }
}

/// The whole framework, in the standard's order: areas as in `areas.yaml`, items by area,
/// then as written in the area's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Framework {
    /// `GB/T 22239-2019`.
    pub standard: String,
    pub name: Text,
    pub areas: Vec<Area>,
    pub items: Vec<Item>,
}

impl Framework {
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id.eq_ignore_ascii_case(id))
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id.eq_ignore_ascii_case(id))
    }

    /// The items a system filed at `level` must meet (both parts).
    pub fn items_at(&self, level: u8) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.applies_at(level))
    }

    /// The items of one area.
    pub fn items_in<'a>(&'a self, area: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items
            .iter()
            .filter(move |i| i.area.eq_ignore_ascii_case(area))
    }

    /// The items that map to a catalog control, whatever the relation.
    pub fn items_for_control<'a>(&'a self, control: &'a str) -> impl Iterator<Item = &'a Item> {
        self.items.iter().filter(move |i| {
            i.maps
                .iter()
                .any(|m| m.control.eq_ignore_ascii_case(control))
        })
    }

    /// The catalog controls that the items at `level` map to, sorted and without repeats.
    pub fn controls_at(&self, level: u8) -> BTreeSet<&str> {
        self.items_at(level)
            .flat_map(|i| i.maps.iter().map(|m| m.control.as_str()))
            .collect()
    }

    /// The control point's display name, `AREA.POINT` when unknown.
    pub fn point_name(&self, item: &Item, lang: Lang) -> String {
        self.area(&item.area)
            .and_then(|a| a.point(&item.point))
            .map(|p| p.name.get(lang).to_owned())
            .unwrap_or_else(|| format!("{}.{}", item.area, item.point))
    }
}

// ---------------------------------------------------------------- raw shapes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAreas {
    standard: String,
    name: RawText,
    areas: Vec<RawArea>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    id: Spanned<String>,
    kind: String,
    name: RawText,
    points: Vec<RawPoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    id: Spanned<String>,
    name: RawText,
    parts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItems {
    area: Spanned<String>,
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    point: String,
    part: String,
    levels: Vec<i64>,
    clauses: Vec<RawClause>,
    title: RawText,
    summary: RawText,
    party: Option<String>,
    #[serde(default)]
    maps: Vec<RawMapping>,
    none: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    level: i64,
    number: Option<String>,
    item: Option<String>,
    verified: bool,
    note: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    control: String,
    relation: String,
    note: Option<RawText>,
}

// ---------------------------------------------------------------- checks

fn is_area_id(s: &str) -> bool {
    s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())
}

fn is_point_id(s: &str) -> bool {
    (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_uppercase())
}

/// `MLPS-AREA-POINT-NN` for the general part, `MLPS-AREA-POINT-CNN` for the cloud part.
fn expected_id(area: &str, point: &str, part: Part) -> String {
    match part {
        Part::General => format!("MLPS-{area}-{point}-01"),
        Part::Cloud => format!("MLPS-{area}-{point}-C01"),
    }
}

fn is_item_id(id: &str, area: &str, point: &str, part: Part) -> bool {
    let prefix = format!("MLPS-{area}-{point}-");
    let Some(rest) = id.strip_prefix(&prefix) else {
        return false;
    };
    let num = match part {
        Part::General => rest,
        Part::Cloud => match rest.strip_prefix('C') {
            Some(n) => n,
            None => return false,
        },
    };
    num.len() == 2 && num.chars().all(|c| c.is_ascii_digit())
}

/// `8.1.4.1`: dotted numbers only.
fn is_clause_number(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Whether a clause number starts with the level's chapter and the part's section.
fn clause_fits(number: &str, level: u8, part: Part) -> bool {
    let prefix = format!("{}.{}.", chapter_of(level), part.section());
    number.starts_with(&prefix)
}

fn load_areas(ck: &mut Checker, source: &Source) -> Option<(String, Text, Vec<Area>)> {
    let raw = ck.parse::<RawAreas>(source)?;
    let file = source.path.as_str();
    let top = At {
        file,
        line: 0,
        entry: "",
    };
    let name = ck.text(top, "name", &raw.name);
    let mut seen = HashMap::new();
    let mut areas = Vec::new();
    for ra in &raw.areas {
        let at = at(file, &ra.id);
        if !is_area_id(&ra.id.value) {
            ck.push(
                at,
                ProblemKind::BadId {
                    value: ra.id.value.clone(),
                    expected: "CMP".into(),
                },
            );
        }
        ck.unique(&mut seen, at);
        let kind = AreaKind::parse(&ra.kind).unwrap_or_else(|| {
            ck.unknown(at, "kind", &ra.kind, &AreaKind::IDS);
            AreaKind::Technical
        });
        let name = ck.text(at, "name", &ra.name);
        let mut point_seen = HashMap::new();
        let mut points = Vec::new();
        for rp in &ra.points {
            let pid = format!("{}.{}", ra.id.value, rp.id.value);
            let pat = At {
                file,
                line: rp.id.referenced.line(),
                entry: &pid,
            };
            if !is_point_id(&rp.id.value) {
                ck.push(
                    pat,
                    ProblemKind::BadId {
                        value: rp.id.value.clone(),
                        expected: "AUTH".into(),
                    },
                );
            }
            ck.unique(&mut point_seen, pat);
            let name = ck.text(pat, "name", &rp.name);
            let mut parts = Vec::new();
            for p in &rp.parts {
                match Part::parse(p) {
                    Some(part) if !parts.contains(&part) => parts.push(part),
                    Some(_) => {}
                    None => ck.unknown(pat, "parts", p, &Part::IDS),
                }
            }
            if parts.is_empty() {
                ck.push(
                    pat,
                    ProblemKind::Empty {
                        what: "parts".into(),
                    },
                );
            }
            points.push(Point {
                id: rp.id.value.clone(),
                name,
                parts,
            });
        }
        if points.is_empty() {
            ck.push(
                at,
                ProblemKind::Empty {
                    what: "points".into(),
                },
            );
        }
        areas.push(Area {
            id: ra.id.value.clone(),
            kind,
            name,
            points,
        });
    }
    if areas.is_empty() {
        ck.push(
            top,
            ProblemKind::Empty {
                what: "areas".into(),
            },
        );
    }
    Some((raw.standard.clone(), name, areas))
}

fn load_items(
    ck: &mut Checker,
    source: &Source,
    areas: &[Area],
    catalog: &Catalog,
    seen: &mut HashMap<String, (String, u64)>,
) -> Vec<Item> {
    let Some(raw) = ck.parse::<RawItems>(source) else {
        return Vec::new();
    };
    let file = source.path.as_str();
    let stem = file
        .strip_prefix(ITEMS_DIR)
        .and_then(|n| n.strip_suffix(".yaml"))
        .unwrap_or("");
    let area_at = at(file, &raw.area);
    let area_ids: Vec<&str> = areas.iter().map(|a| a.id.as_str()).collect();
    let Some(area) = areas.iter().find(|a| a.id == raw.area.value) else {
        ck.unknown(area_at, "area", &raw.area.value, &area_ids);
        return Vec::new();
    };
    if stem != area.id {
        ck.push(
            area_at,
            ProblemKind::BadId {
                value: format!("{stem}.yaml"),
                expected: format!("{}.yaml", area.id),
            },
        );
    }
    let level_ids: Vec<String> = LEVELS.iter().map(|l| l.to_string()).collect();
    let level_ids: Vec<&str> = level_ids.iter().map(String::as_str).collect();
    let mut items = Vec::new();
    for ri in &raw.items {
        let at = at(file, &ri.id);
        // Ids are unique across the whole framework, not only within a file.
        match seen.get(&ri.id.value) {
            Some((first_file, first_line)) => ck.push(
                at,
                ProblemKind::DuplicateId {
                    id: ri.id.value.clone(),
                    first: format!("{first_file}:{first_line}"),
                },
            ),
            None => {
                seen.insert(ri.id.value.clone(), (file.to_owned(), at.line));
            }
        }
        let part = Part::parse(&ri.part).unwrap_or_else(|| {
            ck.unknown(at, "part", &ri.part, &Part::IDS);
            Part::General
        });
        match area.point(&ri.point) {
            None => {
                let accepted: Vec<&str> = area.points.iter().map(|p| p.id.as_str()).collect();
                ck.unknown(at, "point", &ri.point, &accepted);
            }
            Some(point) if !point.parts.contains(&part) => {
                let accepted: Vec<&str> = point.parts.iter().map(|p| p.id()).collect();
                ck.unknown(at, "part", &ri.part, &accepted);
            }
            Some(_) => {}
        }
        if !is_item_id(&ri.id.value, &area.id, &ri.point, part) {
            ck.push(
                at,
                ProblemKind::BadId {
                    value: ri.id.value.clone(),
                    expected: expected_id(&area.id, &ri.point, part),
                },
            );
        }

        let mut levels: Vec<u8> = Vec::new();
        for l in &ri.levels {
            match u8::try_from(*l).ok().filter(|l| LEVELS.contains(l)) {
                Some(l) if !levels.contains(&l) => levels.push(l),
                Some(l) => ck.push(
                    at,
                    ProblemKind::DuplicateId {
                        id: format!("levels: {l}"),
                        first: "levels".into(),
                    },
                ),
                None => ck.unknown(at, "levels", &l.to_string(), &level_ids),
            }
        }
        levels.sort_unstable();
        if ri.levels.is_empty() {
            ck.push(
                at,
                ProblemKind::Empty {
                    what: "levels".into(),
                },
            );
        }

        let mut clauses: Vec<Clause> = Vec::new();
        for rc in &ri.clauses {
            let Some(level) = u8::try_from(rc.level).ok().filter(|l| LEVELS.contains(l)) else {
                ck.unknown(at, "clauses.level", &rc.level.to_string(), &level_ids);
                continue;
            };
            if !levels.contains(&level) {
                let listed: Vec<String> = levels.iter().map(|l| l.to_string()).collect();
                let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
                ck.unknown(at, "clauses.level", &level.to_string(), &listed);
            }
            if clauses.iter().any(|c| c.level == level) {
                ck.push(
                    at,
                    ProblemKind::DuplicateId {
                        id: format!("clauses.level: {level}"),
                        first: "clauses".into(),
                    },
                );
                continue;
            }
            if let Some(n) = &rc.number {
                if !is_clause_number(n) {
                    ck.push(
                        at,
                        ProblemKind::BadId {
                            value: n.clone(),
                            expected: "8.1.4.1".into(),
                        },
                    );
                } else if !clause_fits(n, level, part) {
                    ck.push(
                        at,
                        ProblemKind::ClauseLevelMismatch {
                            number: n.clone(),
                            level: level.to_string(),
                            expected: format!("{}.{}", chapter_of(level), part.section()),
                        },
                    );
                }
            }
            if let Some(letter) = &rc.item
                && !(letter.len() == 1 && letter.chars().all(|c| c.is_ascii_lowercase()))
            {
                ck.push(
                    at,
                    ProblemKind::BadId {
                        value: letter.clone(),
                        expected: "a".into(),
                    },
                );
            }
            if rc.verified && rc.number.is_none() {
                ck.push(at, ProblemKind::VerifiedWithoutClause);
            }
            let note = rc
                .note
                .as_ref()
                .map(|n| ck.text(at, &format!("clauses[{level}].note"), n));
            clauses.push(Clause {
                level,
                number: rc.number.clone(),
                item: rc.item.clone(),
                verified: rc.verified,
                note,
            });
        }
        for level in &levels {
            if !clauses.iter().any(|c| c.level == *level) {
                ck.push(
                    at,
                    ProblemKind::MissingClause {
                        level: level.to_string(),
                    },
                );
            }
        }
        clauses.sort_by_key(|c| c.level);

        let party = match &ri.party {
            Some(p) => Party::parse(p).or_else(|| {
                ck.unknown(at, "party", p, &Party::IDS);
                None
            }),
            None => None,
        };
        if part == Part::Cloud && ri.party.is_none() {
            ck.push(
                at,
                ProblemKind::Empty {
                    what: "party (every cloud-extension item names one)".into(),
                },
            );
        }

        let mut maps = Vec::new();
        for rm in &ri.maps {
            if catalog.control(&rm.control).is_none() {
                ck.dangling(at, "maps.control", &rm.control);
            }
            let relation = Relation::parse(&rm.relation).unwrap_or_else(|| {
                ck.unknown(at, "maps.relation", &rm.relation, &Relation::IDS);
                Relation::Intersects
            });
            let note = rm
                .note
                .as_ref()
                .map(|n| ck.text(at, &format!("maps[{}].note", rm.control), n));
            maps.push(Mapping {
                control: rm.control.clone(),
                relation,
                note,
            });
        }
        let none = ri.none.as_ref().map(|n| ck.text(at, "none", n));
        match (maps.is_empty(), none.is_some()) {
            (true, false) => ck.push(at, ProblemKind::NoCrosswalk),
            (false, true) => ck.push(at, ProblemKind::MapsAndNone),
            _ => {}
        }

        let title = ck.text(at, "title", &ri.title);
        let summary = ck.text(at, "summary", &ri.summary);
        items.push(Item {
            id: ri.id.value.clone(),
            area: area.id.clone(),
            point: ri.point.clone(),
            part,
            levels,
            clauses,
            title,
            summary,
            party,
            maps,
            none,
        });
    }
    items
}

/// Loads the framework into `ck`: the areas file, then one item file per area. Returns
/// `None` when the areas file is missing or unreadable (the items cannot be checked
/// without it).
pub(crate) fn load_into(
    ck: &mut Checker,
    sources: &[Source],
    catalog: &Catalog,
) -> Option<Framework> {
    let Some(areas_src) = sources.iter().find(|s| s.path == AREAS_FILE) else {
        ck.push(
            At {
                file: AREAS_FILE,
                line: 0,
                entry: "",
            },
            ProblemKind::MissingFile,
        );
        return None;
    };
    let (standard, name, areas) = load_areas(ck, areas_src)?;

    for src in sources {
        let known = src.path == AREAS_FILE || src.path.starts_with(ITEMS_DIR);
        if src.path.starts_with("mlps/") && !known && src.path.ends_with(".yaml") {
            ck.push(
                At {
                    file: &src.path,
                    line: 0,
                    entry: "",
                },
                ProblemKind::UnexpectedFile,
            );
        }
    }

    let mut files: Vec<&Source> = sources
        .iter()
        .filter(|s| s.path.starts_with(ITEMS_DIR) && s.path.ends_with(".yaml"))
        .collect();
    // Area order, so the framework reads in the standard's order.
    files.sort_by_key(|s| {
        let stem = s
            .path
            .trim_start_matches(ITEMS_DIR)
            .trim_end_matches(".yaml");
        (
            areas
                .iter()
                .position(|a| a.id == stem)
                .unwrap_or(usize::MAX),
            s.path.clone(),
        )
    });
    let mut seen = HashMap::new();
    let mut items = Vec::new();
    for src in files {
        items.extend(load_items(ck, src, &areas, catalog, &mut seen));
    }

    // Every area has its file and every point at least one item.
    for area in &areas {
        for point in &area.points {
            for part in &point.parts {
                let has = items
                    .iter()
                    .any(|i| i.area == area.id && i.point == point.id && i.part == *part);
                if !has {
                    let pid = format!("{}.{}", area.id, point.id);
                    ck.push(
                        At {
                            file: AREAS_FILE,
                            line: 0,
                            entry: &pid,
                        },
                        ProblemKind::Empty {
                            what: format!("items ({})", part.id()),
                        },
                    );
                }
            }
        }
    }

    Some(Framework {
        standard,
        name,
        areas,
        items,
    })
}

/// Loads and validates the framework on its own, against `catalog` for the crosswalk.
/// [`crate::load::load`] does the same as part of the whole content.
pub fn load(sources: &[Source], catalog: &Catalog) -> Result<Framework, Vec<Problem>> {
    let mut ck = Checker {
        problems: Vec::new(),
    };
    let framework = load_into(&mut ck, sources, catalog);
    match framework {
        Some(f) if ck.problems.is_empty() => Ok(f),
        _ => Err(ck.problems),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use super::*;
    use crate::ProtectionLevel;
    use crate::catalog::{Control, Origin, Parties, References, StandardRef};

    fn text(s: &str) -> Text {
        Text {
            zh: s.into(),
            en: s.into(),
        }
    }

    /// A catalog with the one control the samples map to.
    fn catalog() -> Catalog {
        Catalog {
            families: Vec::new(),
            controls: vec![Control {
                id: "AC-01".into(),
                family: "AC".into(),
                topic: "identification".into(),
                level: ProtectionLevel::General,
                title: text("t"),
                statement: text("s"),
                guidance: text("g"),
                refs: References {
                    gbt31168: StandardRef {
                        edition: "2014".into(),
                        clause: None,
                        verified: false,
                    },
                    nist: Vec::new(),
                },
                parties: Parties {
                    iaas: Party::Shared,
                    paas: Party::Shared,
                    saas: Party::Shared,
                },
                origin: Origin::Standard,
            }],
        }
    }

    const AREAS: &str = r#"
standard: "GB/T 22239-2019"
name: { zh: 基本要求, en: Baseline }
areas:
  - id: CMP
    kind: technical
    name: { zh: 安全计算环境, en: Computing environment }
    points:
      - { id: AUTH, name: { zh: 身份鉴别, en: Authentication }, parts: [general, cloud] }
"#;

    const ITEMS: &str = r#"
area: CMP
items:
  - id: MLPS-CMP-AUTH-01
    point: AUTH
    part: general
    levels: [2, 3]
    clauses:
      - { level: 2, number: "7.1.4.1", item: a, verified: false }
      - { level: 3, number: "8.1.4.1", item: a, verified: false }
    title: { zh: 唯一标识, en: Unique identity }
    summary: { zh: 用户标识唯一。, en: Users have unique identities. }
    maps:
      - { control: AC-01, relation: intersects, note: { zh: 部分重叠。, en: Partly overlaps. } }
  - id: MLPS-CMP-AUTH-C01
    point: AUTH
    part: cloud
    levels: [3]
    clauses:
      - { level: 3, number: "8.2.4.1", item: a, verified: false }
    title: { zh: 双向验证, en: Mutual authentication }
    summary: { zh: 管理终端与平台双向验证。, en: Terminal and platform authenticate each other. }
    party: provider
    none: { zh: 无对应。, en: No counterpart. }
"#;

    fn sources(items: &str) -> Vec<Source> {
        vec![
            Source {
                path: AREAS_FILE.into(),
                text: AREAS.into(),
            },
            Source {
                path: format!("{ITEMS_DIR}CMP.yaml"),
                text: items.into(),
            },
        ]
    }

    fn problems(items: &str) -> Vec<Problem> {
        match load(&sources(items), &catalog()) {
            Ok(_) => panic!("broken framework was accepted"),
            Err(p) => p,
        }
    }

    /// The line of the first line of `text` containing `needle`, 1-based.
    fn line_of(text: &str, needle: &str) -> u64 {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i as u64 + 1)
            .unwrap_or(0)
    }

    #[test]
    fn the_sample_loads_and_the_accessors_answer() {
        let f = load(&sources(ITEMS), &catalog()).unwrap_or_else(|p| panic!("{p:?}"));
        assert_eq!(f.areas().len(), 1);
        assert_eq!(f.items_at(2).count(), 1);
        assert_eq!(f.items_at(3).count(), 2);
        assert_eq!(f.items_at(4).count(), 0);
        let item = f.item("mlps-cmp-auth-01").unwrap();
        assert_eq!(
            item.clause_at(3).and_then(Clause::cite).as_deref(),
            Some("8.1.4.1 a)")
        );
        assert_eq!(f.items_for_control("AC-01").count(), 1);
        assert_eq!(f.point_name(item, Lang::En), "Authentication");
        assert_eq!(f.controls_at(3).into_iter().collect::<Vec<_>>(), ["AC-01"]);
        let cloud = f.item("MLPS-CMP-AUTH-C01").unwrap();
        assert_eq!(cloud.party, Some(Party::Provider));
        assert!(cloud.has_crosswalk());
    }

    #[test]
    fn unknown_control_in_maps() {
        let p = problems(&ITEMS.replace("control: AC-01", "control: AC-99"));
        assert!(
            p.iter()
                .any(|p| p.entry.as_deref() == Some("MLPS-CMP-AUTH-01")
                    && p.line == Some(line_of(ITEMS, "id: MLPS-CMP-AUTH-01"))
                    && matches!(&p.kind, ProblemKind::DanglingReference { field, value }
                    if field == "maps.control" && value == "AC-99")),
            "{p:?}"
        );
    }

    #[test]
    fn duplicate_item_id_names_the_first_place() {
        let items = ITEMS.replace("id: MLPS-CMP-AUTH-C01", "id: MLPS-CMP-AUTH-01");
        let p = problems(&items);
        let first = format!(
            "{ITEMS_DIR}CMP.yaml:{}",
            line_of(ITEMS, "id: MLPS-CMP-AUTH-01")
        );
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::DuplicateId { id, first: f }
                if id == "MLPS-CMP-AUTH-01" && *f == first)
            ),
            "{p:?}"
        );
    }

    #[test]
    fn missing_translation() {
        let p = problems(&ITEMS.replace(
            "summary: { zh: 用户标识唯一。, en: Users have unique identities. }",
            "summary: { zh: 用户标识唯一。 }",
        ));
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::MissingTranslation { field, lang }
                if field == "summary" && lang == "en")
            ),
            "{p:?}"
        );
        let p = problems(&ITEMS.replace(
            "note: { zh: 部分重叠。, en: Partly overlaps. }",
            "note: { zh: 部分重叠。, en: \"\" }",
        ));
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::MissingTranslation { field, .. }
                if field == "maps[AC-01].note")
            ),
            "{p:?}"
        );
    }

    #[test]
    fn level_outside_one_to_four() {
        let items = ITEMS.replace("levels: [2, 3]", "levels: [2, 3, 5]");
        let p = problems(&items);
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::UnknownValue { field, value, .. }
                if field == "levels" && value == "5")
            ),
            "{p:?}"
        );
        let items = ITEMS.replace(
            "{ level: 2, number: \"7.1.4.1\"",
            "{ level: 0, number: \"7.1.4.1\"",
        );
        let p = problems(&items);
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::UnknownValue { field, value, .. }
                if field == "clauses.level" && value == "0")
            ),
            "{p:?}"
        );
        // Level 2 is then listed without a clause.
        assert!(
            p.iter()
                .any(|p| matches!(&p.kind, ProblemKind::MissingClause { level } if level == "2")),
            "{p:?}"
        );
    }

    #[test]
    fn item_with_neither_maps_nor_none() {
        let items = ITEMS.replace(
            "    maps:\n      - { control: AC-01, relation: intersects, note: { zh: 部分重叠。, en: Partly overlaps. } }\n",
            "",
        );
        let p = problems(&items);
        assert!(
            p.iter()
                .any(|p| p.entry.as_deref() == Some("MLPS-CMP-AUTH-01")
                    && p.kind == ProblemKind::NoCrosswalk),
            "{p:?}"
        );
        let items = ITEMS.replace(
            "    party: provider\n",
            "    party: provider\n    maps:\n      - { control: AC-01, relation: subset }\n",
        );
        let p = problems(&items);
        assert!(
            p.iter()
                .any(|p| p.entry.as_deref() == Some("MLPS-CMP-AUTH-C01")
                    && p.kind == ProblemKind::MapsAndNone),
            "{p:?}"
        );
    }

    #[test]
    fn unknown_area_point_part_and_relation() {
        let p = problems(&ITEMS.replace("area: CMP", "area: XYZ"));
        assert!(
            p.iter().any(|p| p.line == Some(line_of(ITEMS, "area: CMP"))
                && matches!(&p.kind, ProblemKind::UnknownValue { field, value, accepted }
                    if field == "area" && value == "XYZ" && accepted == &["CMP"])),
            "{p:?}"
        );
        let p = problems(
            &ITEMS
                .replacen("point: AUTH", "point: NOPE", 1)
                .replace("relation: intersects", "relation: overlaps"),
        );
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::UnknownValue { field, value, .. }
                if field == "point" && value == "NOPE")
            ),
            "{p:?}"
        );
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::UnknownValue { field, value, .. }
                if field == "maps.relation" && value == "overlaps")
            ),
            "{p:?}"
        );
        let p = problems(&ITEMS.replace("party: provider", "party: landlord"));
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::UnknownValue { field, .. }
                if field == "party")
            ),
            "{p:?}"
        );
    }

    #[test]
    fn clause_chapter_must_match_its_level_and_part() {
        // Level 3 lives in chapter 8, not 7.
        let p = problems(&ITEMS.replace(
            "{ level: 3, number: \"8.1.4.1\"",
            "{ level: 3, number: \"7.1.4.1\"",
        ));
        assert!(
            p.iter().any(
                |p| matches!(&p.kind, ProblemKind::ClauseLevelMismatch { number, level, expected }
                if number == "7.1.4.1" && level == "3" && expected == "8.1")
            ),
            "{p:?}"
        );
        // A cloud-extension item sits in x.2, not x.1.
        let p = problems(&ITEMS.replace("number: \"8.2.4.1\"", "number: \"8.1.4.1\""));
        assert!(
            p.iter().any(|p| p.entry.as_deref() == Some("MLPS-CMP-AUTH-C01")
                && matches!(&p.kind, ProblemKind::ClauseLevelMismatch { expected, .. } if expected == "8.2")),
            "{p:?}"
        );
        // Not a clause number at all.
        let p = problems(&ITEMS.replace("number: \"8.2.4.1\"", "number: \"eight\""));
        assert!(
            p.iter()
                .any(|p| matches!(&p.kind, ProblemKind::BadId { value, .. } if value == "eight")),
            "{p:?}"
        );
    }

    #[test]
    fn clauses_and_levels_agree_and_verified_needs_a_number() {
        let p = problems(&ITEMS.replace("levels: [2, 3]", "levels: [2, 3, 4]"));
        assert!(
            p.iter()
                .any(|p| matches!(&p.kind, ProblemKind::MissingClause { level } if level == "4")),
            "{p:?}"
        );
        let p = problems(&ITEMS.replace(
            "{ level: 3, number: \"8.2.4.1\", item: a, verified: false }",
            "{ level: 3, number: null, item: null, verified: true }",
        ));
        assert!(
            p.iter()
                .any(|p| p.kind == ProblemKind::VerifiedWithoutClause),
            "{p:?}"
        );
    }

    #[test]
    fn ids_follow_the_scheme_and_cloud_items_name_a_party() {
        let p = problems(&ITEMS.replace("id: MLPS-CMP-AUTH-C01", "id: MLPS-CMP-AUTH-02"));
        assert!(
            p.iter()
                .any(|p| matches!(&p.kind, ProblemKind::BadId { value, expected }
                if value == "MLPS-CMP-AUTH-02" && expected == "MLPS-CMP-AUTH-C01")),
            "{p:?}"
        );
        let p = problems(&ITEMS.replace("    party: provider\n", ""));
        assert!(
            p.iter()
                .any(|p| p.entry.as_deref() == Some("MLPS-CMP-AUTH-C01")
                    && matches!(&p.kind, ProblemKind::Empty { what } if what.starts_with("party"))),
            "{p:?}"
        );
    }

    #[test]
    fn missing_areas_file_and_unexpected_files() {
        let mut s = sources(ITEMS);
        s.remove(0);
        let p = load(&s, &catalog()).unwrap_err();
        assert!(
            p.iter()
                .any(|p| p.file == AREAS_FILE && p.kind == ProblemKind::MissingFile)
        );
        let mut s = sources(ITEMS);
        s.push(Source {
            path: "mlps/extra.yaml".into(),
            text: "x: 1".into(),
        });
        let p = load(&s, &catalog()).unwrap_err();
        assert!(
            p.iter()
                .any(|p| p.file == "mlps/extra.yaml" && p.kind == ProblemKind::UnexpectedFile)
        );
    }

    #[test]
    fn a_point_without_items_is_reported() {
        let items = ITEMS
            .split("  - id: MLPS-CMP-AUTH-C01")
            .next()
            .unwrap_or_default();
        let p = problems(items);
        assert!(
            p.iter().any(|p| p.entry.as_deref() == Some("CMP.AUTH")
                && matches!(&p.kind, ProblemKind::Empty { what } if what == "items (cloud)")),
            "{p:?}"
        );
    }
}
