//! 等级保护 (GB/T 22239) packs for `cloudward scan --pack mlps-l1..mlps-l4`, and the
//! per-item results such a scan reports.

use cloudward_domain::Text;
use cloudward_domain::lang::Lang;
use cloudward_domain::mlps::Framework;
use serde::Serialize;

use crate::engine::ControlSummary;
use crate::packs::{Pack, Packs};

/// The pack id of a level: `mlps-l3`.
pub fn pack_id(level: u8) -> String {
    format!("mlps-l{level}")
}

/// The level a pack id names (`mlps-l3` → 3).
pub fn level_of(pack: &str) -> Option<u8> {
    pack.strip_prefix("mlps-l")
        .and_then(|l| l.parse().ok())
        .filter(|l| (1..=4).contains(l))
}

/// Adds a pack per 等保 level to `packs` (unless a pack file already defines that id): the
/// rules on every catalog control that the level's items map to.
pub fn add_packs(packs: &mut Packs, framework: &Framework) {
    for level in 1..=4u8 {
        let id = pack_id(level);
        if packs.get(&id).is_some() {
            continue;
        }
        let controls: Vec<String> = framework
            .controls_at(level)
            .into_iter()
            .map(str::to_owned)
            .collect();
        packs.packs.push(Pack {
            id,
            title: Text {
                zh: format!("等级保护第{}级（GB/T 22239-2019）", zh_number(level)),
                en: format!("MLPS level {level} (GB/T 22239-2019)"),
            },
            description: Text {
                zh: format!(
                    "第{}级要求项所对应目录控制项上的规则；扫描结果按要求项列出",
                    zh_number(level)
                ),
                en: format!(
                    "The rules on the catalog controls that the level-{level} requirement items map to; the scan reports per item"
                ),
            },
            default: false,
            rules: Vec::new(),
            controls,
            file: format!("{} (built in)", framework.standard),
            view: true,
        });
    }
}

fn zh_number(level: u8) -> &'static str {
    match level {
        1 => "一",
        2 => "二",
        3 => "三",
        4 => "四",
        _ => "五",
    }
}

/// Where a requirement item stands after a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// A rule on one of its controls failed (a finding not accepted by a suppression or
    /// the baseline).
    Failing,
    /// Rules on its controls were evaluated and none failed.
    Passing,
    /// No rule on its controls saw a resource: the item is shown by evidence, not by the
    /// configuration.
    NeedsEvidence,
}

/// One requirement item's result.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult<'a> {
    pub id: &'a str,
    /// `8.1.4.1 a)` at the scanned level; `None` when the number is not known.
    pub clause: Option<String>,
    pub verified: bool,
    pub area: &'a str,
    pub point: String,
    pub title: &'a str,
    pub status: ItemStatus,
    /// Its controls that a failing rule is on.
    pub failed: Vec<&'a str>,
    /// Its controls whose rules all passed.
    pub passed: Vec<&'a str>,
}

/// The results of `level`'s items, in the framework's order.
pub fn results<'a>(
    framework: &'a Framework,
    level: u8,
    controls: &ControlSummary,
    lang: Lang,
) -> Vec<ItemResult<'a>> {
    let has = |list: &[String], c: &str| list.iter().any(|x| x == c);
    framework
        .items_at(level)
        .map(|item| {
            let clause = item.clause_at(level);
            let mut failed = Vec::new();
            let mut passed = Vec::new();
            for m in &item.maps {
                let c = m.control.as_str();
                if has(&controls.failed, c) && !has(&controls.accepted, c) {
                    failed.push(c);
                } else if has(&controls.passed, c) || has(&controls.accepted, c) {
                    passed.push(c);
                }
            }
            let status = if !failed.is_empty() {
                ItemStatus::Failing
            } else if !passed.is_empty() {
                ItemStatus::Passing
            } else {
                ItemStatus::NeedsEvidence
            };
            ItemResult {
                id: &item.id,
                clause: clause.and_then(|c| c.cite()),
                verified: clause.is_some_and(|c| c.verified),
                area: &item.area,
                point: framework.point_name(item, lang),
                title: item.title.get(lang),
                status,
                failed,
                passed,
            }
        })
        .collect()
}

/// The JSON of a level's results: counts and items.
pub fn json(level: u8, items: &[ItemResult]) -> serde_json::Value {
    let count = |s: ItemStatus| items.iter().filter(|i| i.status == s).count();
    serde_json::json!({
        "standard": "GB/T 22239-2019",
        "level": level,
        "failing": count(ItemStatus::Failing),
        "passing": count(ItemStatus::Passing),
        "needs_evidence": count(ItemStatus::NeedsEvidence),
        "items": items,
    })
}
