//! The resource model every input reader produces and every rule reads.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::value::Value;

/// Pairs of strings (references, suppressions): usually none, never with spare capacity.
pub type Pairs = Box<[(Box<str>, Box<str>)]>;

/// One resource instance, from any input. Kept compact: a scan holds millions of them.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Terraform address (`module.m.alicloud_disk.d[0]`) or the inventory id.
    pub address: Box<str>,
    /// Resource type, e.g. `alicloud_oss_bucket` (interned: shared by every resource of the type).
    pub rtype: Arc<str>,
    /// The provider: `alicloud`, `tencentcloud`, `huaweicloud`, `aws`, … (from the type's prefix
    /// unless the input says otherwise). Interned.
    pub provider: Arc<str>,
    /// Region, when known. Interned.
    pub region: Option<Arc<str>>,
    /// Shared by every resource of the file.
    pub file: Arc<str>,
    pub line: u64,
    /// The attributes, a `Value::Map`.
    pub attrs: Value,
    /// References to other resources: (top-level attribute, target address without instance key).
    pub refs: Pairs,
    /// Rule ids suppressed on this resource with their reasons (`# cloudward:ignore`).
    pub ignored: Pairs,
}

/// Boxed pairs from owned strings.
pub fn pairs(v: impl IntoIterator<Item = (String, String)>) -> Pairs {
    v.into_iter()
        .map(|(a, b)| (a.into_boxed_str(), b.into_boxed_str()))
        .collect()
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
    by_type: FxHashMap<Arc<str>, Vec<u32>>,
}

impl Estate {
    pub fn new(resources: Vec<Resource>) -> Estate {
        let mut by_type: FxHashMap<Arc<str>, Vec<u32>> = FxHashMap::default();
        for (i, r) in resources.iter().enumerate() {
            match by_type.get_mut(&*r.rtype) {
                Some(ids) => ids.push(i as u32),
                None => {
                    by_type.insert(r.rtype.clone(), vec![i as u32]);
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
