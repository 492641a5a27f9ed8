//! Region tables for the data-location check: which regions of each cloud are in
//! mainland China.

use serde::Serialize;

use crate::Text;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudRegions {
    /// The Terraform provider name: alicloud, tencentcloud, huaweicloud, aws, azurerm.
    pub id: String,
    pub name: Text,
    pub mainland: Vec<String>,
    pub outside: Vec<String>,
}

/// Where a region puts data, for the purpose of guide §6.6 (data location).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Jurisdiction {
    Mainland,
    /// Hong Kong, Macao or abroad.
    Outside,
    /// Not in the table: neither pass nor fail.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RegionTable {
    pub clouds: Vec<CloudRegions>,
}

impl RegionTable {
    /// The cloud of a provider. ROS templates (provider `ros`) describe Alibaba Cloud
    /// resources: they are judged by Alibaba Cloud's regions and named as it is.
    pub fn cloud(&self, id: &str) -> Option<&CloudRegions> {
        let id = if id == "ros" { "alicloud" } else { id };
        self.clouds.iter().find(|c| c.id == id)
    }

    /// Adds the regions of `other`. A region it moves from one side to the other is
    /// returned (cloud, region, new side) so that the caller can warn about it.
    pub fn extend(&mut self, other: RegionTable) -> Vec<(String, String, String)> {
        let mut moved = Vec::new();
        for c in other.clouds {
            match self.clouds.iter_mut().find(|x| x.id == c.id) {
                Some(mine) => {
                    for r in mine.mainland.iter().filter(|r| c.outside.contains(r)) {
                        moved.push((c.id.clone(), r.clone(), "outside".to_owned()));
                    }
                    for r in mine.outside.iter().filter(|r| c.mainland.contains(r)) {
                        moved.push((c.id.clone(), r.clone(), "mainland".to_owned()));
                    }
                    mine.mainland.retain(|r| !c.outside.contains(r));
                    mine.outside.retain(|r| !c.mainland.contains(r));
                    mine.mainland.extend(c.mainland);
                    mine.outside.extend(c.outside);
                }
                None => self.clouds.push(c),
            }
        }
        moved
    }

    pub fn jurisdiction(&self, cloud: &str, region: &str) -> Jurisdiction {
        match self.cloud(cloud) {
            Some(c) if c.mainland.iter().any(|r| r == region) => Jurisdiction::Mainland,
            Some(c) if c.outside.iter().any(|r| r == region) => Jurisdiction::Outside,
            _ => Jurisdiction::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RegionTable {
        let t = |s: &str| Text {
            zh: s.into(),
            en: s.into(),
        };
        RegionTable {
            clouds: vec![
                CloudRegions {
                    id: "alicloud".into(),
                    name: t("a"),
                    mainland: vec!["cn-beijing".into()],
                    outside: vec!["cn-hongkong".into(), "ap-southeast-1".into()],
                },
                CloudRegions {
                    id: "huaweicloud".into(),
                    name: t("h"),
                    mainland: vec!["cn-north-4".into()],
                    outside: vec!["ap-southeast-1".into()],
                },
            ],
        }
    }

    #[test]
    fn prefixes_do_not_decide() {
        let t = table();
        assert_eq!(
            t.jurisdiction("alicloud", "cn-beijing"),
            Jurisdiction::Mainland
        );
        assert_eq!(
            t.jurisdiction("alicloud", "cn-hongkong"),
            Jurisdiction::Outside
        );
        assert_eq!(
            t.jurisdiction("huaweicloud", "ap-southeast-1"),
            Jurisdiction::Outside
        );
        assert_eq!(
            t.jurisdiction("alicloud", "cn-mars-1"),
            Jurisdiction::Unknown
        );
        assert_eq!(
            t.jurisdiction("othercloud", "cn-beijing"),
            Jurisdiction::Unknown
        );
    }
}
