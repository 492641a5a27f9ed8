//! The resource model every input reader produces and every rule reads.

use std::collections::HashMap;

use crate::value::Value;

/// One resource instance, from any input.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Terraform address (`module.m.alicloud_disk.d[0]`) or the inventory id.
    pub address: String,
    /// Resource type, e.g. `alicloud_oss_bucket`.
    pub rtype: String,
    /// The provider: `alicloud`, `tencentcloud`, `huaweicloud`, `aws`, … (from the type's prefix
    /// unless the input says otherwise).
    pub provider: String,
    /// Region, when known.
    pub region: Option<String>,
    /// Shared by every resource of the file.
    pub file: std::sync::Arc<str>,
    pub line: u64,
    /// The attributes, a `Value::Map`.
    pub attrs: Value,
    /// References to other resources: (top-level attribute, target address without instance key).
    pub refs: Vec<(String, String)>,
    /// Rule ids suppressed on this resource with their reasons (`# cloudward:ignore`).
    pub ignored: Vec<(String, String)>,
}

impl Resource {
    /// The address without an instance key: `a.b[0]` → `a.b`.
    pub fn base_address(&self) -> &str {
        base_address(&self.address)
    }
}

pub fn base_address(address: &str) -> &str {
    match address.rfind('[') {
        Some(i) if address.ends_with(']') => &address[..i],
        _ => address,
    }
}

/// The provider of a resource type: the part before the first underscore.
pub fn provider_of(rtype: &str) -> &str {
    rtype.split('_').next().unwrap_or(rtype)
}

/// Everything scanned, indexed by type.
#[derive(Debug, Default)]
pub struct Estate {
    pub resources: Vec<Resource>,
    by_type: HashMap<String, Vec<u32>>,
}

impl Estate {
    pub fn new(resources: Vec<Resource>) -> Estate {
        let mut by_type: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, r) in resources.iter().enumerate() {
            match by_type.get_mut(&*r.rtype) {
                Some(ids) => ids.push(i as u32),
                None => {
                    by_type.insert(r.rtype.to_string(), vec![i as u32]);
                }
            }
        }
        Estate { resources, by_type }
    }

    pub fn of_type<'a>(&'a self, rtype: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_type.get(rtype).into_iter().flat_map(move |ids| {
            ids.iter()
                .filter_map(move |i| self.resources.get(*i as usize))
        })
    }

    /// How many resources are of type `rtype`.
    pub fn count_of_type(&self, rtype: &str) -> usize {
        self.by_type.get(rtype).map_or(0, Vec::len)
    }

    /// The providers of the resources, sorted, each once.
    pub fn providers(&self) -> Vec<&str> {
        let set: std::collections::BTreeSet<&str> =
            self.resources.iter().map(|r| &*r.provider).collect();
        set.into_iter().collect()
    }
}
