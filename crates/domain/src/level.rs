//! Protection levels (guide §6.5) and control levels.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The protection a cloud service must give, and the level of a catalog control.
///
/// Ordered: `General < Enhanced < Advanced`. A system at one level must meet every
/// control at that level and below.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProtectionLevel {
    General,
    Enhanced,
    Advanced,
}

impl ProtectionLevel {
    pub const ALL: [ProtectionLevel; 3] = [
        ProtectionLevel::General,
        ProtectionLevel::Enhanced,
        ProtectionLevel::Advanced,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ProtectionLevel::General => "general",
            ProtectionLevel::Enhanced => "enhanced",
            ProtectionLevel::Advanced => "advanced",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.id() == value)
    }
}
