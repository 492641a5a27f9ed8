//! Protection-level classification (guide §6.5).
//!
//! The table (information type × business type → protection level):
//!
//! | information \ business | general  | important | critical |
//! |------------------------|----------|-----------|----------|
//! | public                 | general  | enhanced  | enhanced |
//! | sensitive              | enhanced | enhanced  | advanced |
//!
//! Classified information is never placed on a cloud service: it is handled under the
//! State Secrets Law. A system with several information types takes the strictest.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ProtectionLevel;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum InfoType {
    Public,
    Sensitive,
    Classified,
}

impl InfoType {
    pub const ALL: [InfoType; 3] = [Self::Public, Self::Sensitive, Self::Classified];

    pub fn id(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Sensitive => "sensitive",
            Self::Classified => "classified",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == value)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum BusinessType {
    General,
    Important,
    Critical,
}

impl BusinessType {
    pub const ALL: [BusinessType; 3] = [Self::General, Self::Important, Self::Critical];

    pub fn id(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Important => "important",
            Self::Critical => "critical",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == value)
    }
}

/// Deployment models of the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeploymentModel {
    Public,
    Community,
    Private,
    Hybrid,
}

impl DeploymentModel {
    pub const ALL: [DeploymentModel; 4] =
        [Self::Public, Self::Community, Self::Private, Self::Hybrid];

    pub fn id(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Community => "community",
            Self::Private => "private",
            Self::Hybrid => "hybrid",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == value)
    }
}

/// The protection requirement of one information type in one business type: the cell
/// of the §6.5 table, or `None` for classified information.
pub fn cell(info: InfoType, business: BusinessType) -> Option<ProtectionLevel> {
    use BusinessType as B;
    use InfoType as I;
    use ProtectionLevel as L;
    match (info, business) {
        (I::Classified, _) => None,
        (I::Public, B::General) => Some(L::General),
        (I::Public, B::Important | B::Critical) => Some(L::Enhanced),
        (I::Sensitive, B::General | B::Important) => Some(L::Enhanced),
        (I::Sensitive, B::Critical) => Some(L::Advanced),
    }
}

/// The deployment models a protection level allows: advanced protection belongs on a
/// private or community cloud.
pub fn allowed_models(level: ProtectionLevel) -> Vec<DeploymentModel> {
    match level {
        ProtectionLevel::Advanced => vec![DeploymentModel::Community, DeploymentModel::Private],
        ProtectionLevel::General | ProtectionLevel::Enhanced => vec![
            DeploymentModel::Public,
            DeploymentModel::Community,
            DeploymentModel::Private,
        ],
    }
}

/// The outcome of classifying a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub level: ProtectionLevel,
    pub deployment_models: Vec<DeploymentModel>,
    /// Every information type with the level it alone would need, in input order
    /// without duplicates; `decisive` is the one that set the level (the first strictest).
    pub per_info: Vec<(InfoType, ProtectionLevel)>,
    pub decisive: InfoType,
    pub business: BusinessType,
}

/// Why classification could not place the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Classified information must not go on a cloud service.
    Classified,
    /// No information type was given.
    NoInformation,
}

/// Derives the protection requirement: the strictest cell across all information types.
pub fn classify(infos: &[InfoType], business: BusinessType) -> Result<Requirement, Refusal> {
    if infos.contains(&InfoType::Classified) {
        return Err(Refusal::Classified);
    }
    let mut per_info: Vec<(InfoType, ProtectionLevel)> = Vec::new();
    for &info in infos {
        if per_info.iter().any(|(i, _)| *i == info) {
            continue;
        }
        if let Some(level) = cell(info, business) {
            per_info.push((info, level));
        }
    }
    let mut best: Option<(InfoType, ProtectionLevel)> = None;
    for &(info, level) in &per_info {
        if best.is_none_or(|(_, l)| level > l) {
            best = Some((info, level));
        }
    }
    let (decisive, level) = best.ok_or(Refusal::NoInformation)?;
    Ok(Requirement {
        level,
        deployment_models: allowed_models(level),
        per_info,
        decisive,
        business,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use BusinessType as B;
    use InfoType as I;
    use ProtectionLevel as L;
    use proptest::prelude::*;

    #[test]
    fn the_whole_table() {
        let expected = [
            (I::Public, B::General, Some(L::General)),
            (I::Public, B::Important, Some(L::Enhanced)),
            (I::Public, B::Critical, Some(L::Enhanced)),
            (I::Sensitive, B::General, Some(L::Enhanced)),
            (I::Sensitive, B::Important, Some(L::Enhanced)),
            (I::Sensitive, B::Critical, Some(L::Advanced)),
            (I::Classified, B::General, None),
            (I::Classified, B::Important, None),
            (I::Classified, B::Critical, None),
        ];
        for (info, business, level) in expected {
            assert_eq!(cell(info, business), level, "{info:?} × {business:?}");
            let got = classify(&[info], business);
            match level {
                Some(level) => {
                    let req = got.map_err(|e| format!("{e:?}"));
                    assert_eq!(
                        req.as_ref().map(|r| r.level),
                        Ok(level),
                        "{info:?} × {business:?}"
                    );
                }
                None => assert_eq!(got, Err(Refusal::Classified)),
            }
        }
    }

    #[test]
    fn strictest_of_several_types() {
        let req = classify(&[I::Public, I::Sensitive], B::Critical);
        assert_eq!(req.as_ref().map(|r| r.level), Ok(L::Advanced));
        assert_eq!(req.as_ref().map(|r| r.decisive), Ok(I::Sensitive));
        // Classified anywhere refuses the whole system.
        assert_eq!(
            classify(&[I::Public, I::Classified], B::General),
            Err(Refusal::Classified)
        );
        assert_eq!(classify(&[], B::General), Err(Refusal::NoInformation));
    }

    #[test]
    fn advanced_only_on_private_or_community() {
        assert_eq!(
            allowed_models(L::Advanced),
            vec![DeploymentModel::Community, DeploymentModel::Private]
        );
        assert!(allowed_models(L::Enhanced).contains(&DeploymentModel::Public));
    }

    fn info() -> impl Strategy<Value = InfoType> {
        prop_oneof![Just(I::Public), Just(I::Sensitive)]
    }
    fn business() -> impl Strategy<Value = BusinessType> {
        prop_oneof![Just(B::General), Just(B::Important), Just(B::Critical)]
    }

    proptest! {
        /// Making information or business more sensitive never lowers the level, and
        /// adding an information type never lowers it either.
        #[test]
        fn level_is_monotonic(
            infos in proptest::collection::vec(info(), 1..4),
            extra in info(),
            b1 in business(),
            b2 in business(),
        ) {
            let (lo, hi) = if b1 <= b2 { (b1, b2) } else { (b2, b1) };
            let base = classify(&infos, lo).map(|r| r.level).ok();
            prop_assert!(base.is_some());
            let more_business = classify(&infos, hi).map(|r| r.level).ok();
            prop_assert!(more_business >= base);
            let mut more = infos.clone();
            more.push(extra);
            let more_info = classify(&more, lo).map(|r| r.level).ok();
            prop_assert!(more_info >= base);
            // Raising one information type from public to sensitive never lowers it.
            let raised: Vec<InfoType> = infos.iter().map(|_| I::Sensitive).collect();
            let raised_level = classify(&raised, lo).map(|r| r.level).ok();
            prop_assert!(raised_level >= base);
        }
    }
}
