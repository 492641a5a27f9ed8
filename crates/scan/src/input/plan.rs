//! `terraform show -json` output for a plan (`planned_values`, `resource_changes`,
//! `configuration`) or a state (`values`).
//!
//! The document is parsed from a buffered reader, never held whole: resources are built
//! as they stream past, straight into one vector. The lines of their addresses come from a
//! second streaming pass over the file.

use std::fmt;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{InputError, Loaded, MAX_FILE_BYTES};
use crate::model::{Resource, base_address, pairs, provider_of};
use crate::value::{Interned, Value, intern};

/// Marks as unknown every attribute that `after_unknown` flags with `true`.
fn apply_unknown(values: &mut Value, unknown: &Value) {
    match (values, unknown) {
        (v, Value::Bool(true)) => *v = Value::Unknown,
        (Value::Map(m), Value::Map(u)) => {
            for (k, flag) in u.iter() {
                let slot = m.get_or_insert_with(k, || Value::Null);
                apply_unknown(slot, flag);
            }
        }
        (Value::List(l), Value::List(u)) => {
            for (v, flag) in l.iter_mut().zip(u) {
                apply_unknown(v, flag);
            }
        }
        (v @ Value::Null, Value::Map(_) | Value::List(_)) if unknown.contains_true() => {
            *v = Value::Unknown
        }
        _ => {}
    }
}

impl Value {
    fn contains_true(&self) -> bool {
        match self {
            Value::Bool(true) => true,
            Value::Map(m) => m.values().any(Value::contains_true),
            Value::List(l) => l.iter().any(Value::contains_true),
            _ => false,
        }
    }
}

/// From the configuration: per resource address (module path + address), its provider
/// config key and its references by attribute; per provider config key, the region.
#[derive(Default)]
struct Config {
    provider_key: FxHashMap<String, String>,
    refs: FxHashMap<String, Vec<(String, String)>>,
    regions: FxHashMap<String, String>,
}

fn walk_config(module: &serde_json::Value, prefix: &str, cfg: &mut Config) {
    if let Some(resources) = module.get("resources").and_then(|r| r.as_array()) {
        for r in resources {
            let Some(addr) = r.get("address").and_then(|a| a.as_str()) else {
                continue;
            };
            let full = format!("{prefix}{addr}");
            if let Some(k) = r.get("provider_config_key").and_then(|k| k.as_str()) {
                cfg.provider_key.insert(full.clone(), k.to_owned());
            }
            let mut refs = Vec::new();
            if let Some(exprs) = r.get("expressions").and_then(|e| e.as_object()) {
                for (attr, expr) in exprs {
                    collect_refs(attr, expr, prefix, &mut refs);
                }
            }
            cfg.refs.insert(full, refs);
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(|m| m.as_object()) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                walk_config(child, &format!("{prefix}module.{name}."), cfg);
            }
        }
    }
}

fn collect_refs(
    attr: &str,
    expr: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<(String, String)>,
) {
    match expr {
        serde_json::Value::Object(o) => {
            if let Some(list) = o.get("references").and_then(|r| r.as_array()) {
                for r in list.iter().filter_map(|r| r.as_str()) {
                    // "alicloud_oss_bucket.b.id" → "alicloud_oss_bucket.b"
                    let parts: Vec<&str> = r.split('.').collect();
                    if parts.len() >= 2
                        && parts[0].contains('_')
                        && !matches!(parts[0], "var" | "local" | "module" | "data")
                    {
                        out.push((
                            attr.to_owned(),
                            format!("{prefix}{}.{}", parts[0], base_address(parts[1])),
                        ));
                    }
                }
            }
            for (k, v) in o {
                if k != "references" && k != "constant_value" {
                    collect_refs(attr, v, prefix, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_refs(attr, v, prefix, out)),
        _ => {}
    }
}

/// What the streaming parse collects.
#[derive(Default)]
struct State {
    resources: Vec<Resource>,
    /// Every module read: its own resources (a range of `resources`) and its children.
    modules: Vec<ModuleNode>,
    /// The root module of `planned_values` or `values`, once read.
    root: Option<Root>,
    /// `after_unknown` of each change that marks anything unknown, by address.
    unknowns: FxHashMap<String, Value>,
    configuration: Option<serde_json::Value>,
    file: Arc<str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    Planned(u32),
    Values(u32),
}

#[derive(Default)]
struct ModuleNode {
    start: u32,
    end: u32,
    children: Vec<u32>,
}

/// The top-level document.
struct DocSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the output of `terraform show -json`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "planned_values" | "values" => {
                    let planned = key == "planned_values";
                    if matches!(st.root, Some(Root::Planned(_))) && !planned {
                        // `planned_values` wins over `values`.
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    // Read into a fresh state, so that `values` read first can be dropped.
                    let mut fresh = State {
                        file: st.file.clone(),
                        ..State::default()
                    };
                    if let Some(root) = map.next_value_seed(ValuesSeed(&mut fresh))? {
                        st.resources = fresh.resources;
                        st.modules = fresh.modules;
                        st.root = Some(if planned {
                            Root::Planned(root)
                        } else {
                            Root::Values(root)
                        });
                    }
                }
                "resource_changes" => map.next_value_seed(ChangesSeed(&mut *st))?,
                "configuration" => st.configuration = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `planned_values` / `values`: the root module's id, or nothing for `null`.
struct ValuesSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_> {
    type Value = Option<u32>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed<'_> {
    type Value = Option<u32>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Values")
    }
    fn visit_none<E>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<u32>, A::Error> {
        let mut root = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "root_module" {
                root = Some(map.next_value_seed(ModuleSeed(&mut *self.0))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match root {
            Some(r) => Ok(Some(r)),
            None => Err(serde::de::Error::missing_field("root_module")),
        }
    }
}

/// A module: its resources go straight into the state; its id is returned.
struct ModuleSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for ModuleSeed<'_> {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ModuleSeed<'_> {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Module")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        let st = self.0;
        let id = st.modules.len();
        st.modules.push(ModuleNode::default());
        let (mut start, mut end, mut children) = (0, 0, Vec::new());
        let (mut seen_resources, mut seen_children) = (false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "resources" => {
                    if seen_resources {
                        return Err(serde::de::Error::duplicate_field("resources"));
                    }
                    seen_resources = true;
                    start = st.resources.len() as u32;
                    map.next_value_seed(ResourcesSeed(&mut *st))?;
                    end = st.resources.len() as u32;
                }
                "child_modules" => {
                    if seen_children {
                        return Err(serde::de::Error::duplicate_field("child_modules"));
                    }
                    seen_children = true;
                    children = map.next_value_seed(ChildrenSeed(&mut *st))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(node) = st.modules.get_mut(id) {
            *node = ModuleNode {
                start,
                end,
                children,
            };
        }
        Ok(id as u32)
    }
}

struct ChildrenSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = Vec<u32>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<u32>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = Vec<u32>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of modules")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u32>, A::Error> {
        let mut out = Vec::new();
        while let Some(id) = seq.next_element_seed(ModuleSeed(&mut *self.0))? {
            out.push(id);
        }
        Ok(out)
    }
}

struct ResourcesSeed<'s>(&'s mut State);

impl<'de> DeserializeSeed<'de> for ResourcesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResourcesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of resources")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(r) = seq.next_element_seed(ResourceSeed(&self.0.file))? {
            if let Some(r) = r {
                self.0.resources.push(r);
            }
        }
        Ok(())
    }
}

/// One resource, built directly; `None` for a data source. Provider, region and references
/// need the configuration, which comes later: they are filled in afterwards.
struct ResourceSeed<'s>(&'s Arc<str>);

impl<'de> DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = Option<Resource>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Resource>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ResourceSeed<'_> {
    type Value = Option<Resource>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct PlanResource")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Resource>, A::Error> {
        let (mut address, mut managed, mut rtype, mut values) = (None, None, None, None);
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::Address => address = Some(map.next_value::<Box<str>>()?),
                Field::Mode => managed = Some(&*map.next_value_seed(Interned)? == "managed"),
                Field::Type => rtype = Some(map.next_value_seed(Interned)?),
                Field::Values => values = Some(map.next_value::<Value>()?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        use serde::de::Error;
        let address = address.ok_or_else(|| A::Error::missing_field("address"))?;
        let managed = managed.ok_or_else(|| A::Error::missing_field("mode"))?;
        let rtype = rtype.ok_or_else(|| A::Error::missing_field("type"))?;
        if !managed {
            return Ok(None);
        }
        let provider = intern(provider_of(&rtype));
        Ok(Some(Resource {
            address,
            rtype,
            provider,
            region: None,
            file: self.0.clone(),
            line: 0,
            attrs: values.unwrap_or_default(),
            refs: Box::new([]),
            ignored: Box::new([]),
        }))
    }
}

/// The fields of a resource read; the others are skipped unread.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Address,
    Mode,
    Type,
    Values,
    #[serde(other)]
    Other,
}

/// `resource_changes`: only what marks attributes unknown is kept.
struct ChangesSeed<'s>(&'s mut State);

#[derive(Deserialize)]
struct Change {
    address: String,
    change: ChangeBody,
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    after_unknown: Value,
}

impl<'de> DeserializeSeed<'de> for ChangesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChangesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(c) = seq.next_element::<Change>()? {
            let u = c.change.after_unknown;
            // Only `true`, non-empty maps and non-empty lists change anything.
            let matters = match &u {
                Value::Bool(b) => *b,
                Value::Map(m) => !m.is_empty(),
                Value::List(l) => !l.is_empty(),
                _ => false,
            };
            if matters {
                self.0.unknowns.insert(c.address, u);
            } else {
                self.0.unknowns.remove(&c.address);
            }
        }
        Ok(())
    }
}

/// Puts `v` in the order `order` gives (`v[k]` becomes the old `v[order[k]]`), in place.
fn permute<T>(v: &mut [T], order: &[u32]) {
    let mut done = vec![false; v.len()];
    for i in 0..v.len() {
        if done[i] {
            continue;
        }
        let mut j = i;
        loop {
            done[j] = true;
            let k = order.get(j).map_or(i, |k| *k as usize);
            if k == i || k >= v.len() {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// Resource indices by address: open addressing over the addresses the resources
/// already hold, 4 bytes a slot (a map of string slices would take 24 and more).
struct AddressIndex<'r> {
    resources: &'r [Resource],
    slots: Vec<u32>,
    /// (resource, earlier resource with the same address).
    duplicates: Vec<(u32, u32)>,
}

const EMPTY: u32 = u32::MAX;

impl<'r> AddressIndex<'r> {
    fn new(resources: &'r [Resource]) -> AddressIndex<'r> {
        let size = (resources.len() * 2).next_power_of_two().max(16);
        let mut index = AddressIndex {
            resources,
            slots: vec![EMPTY; size],
            duplicates: Vec::new(),
        };
        for (i, r) in resources.iter().enumerate() {
            match index.slot(&r.address) {
                Ok(first) => index.duplicates.push((i as u32, first)),
                Err(free) => {
                    if let Some(s) = index.slots.get_mut(free) {
                        *s = i as u32;
                    }
                }
            }
        }
        index
    }

    /// The resource with this address, or the free slot where it would go.
    fn slot(&self, address: &str) -> Result<u32, usize> {
        use std::hash::BuildHasher;
        let mask = self.slots.len() - 1;
        let mut at = rustc_hash::FxBuildHasher.hash_one(address) as usize & mask;
        loop {
            match self.slots.get(at) {
                Some(&EMPTY) | None => return Err(at),
                Some(&i) => {
                    if self.resources.get(i as usize).map(|r| &*r.address) == Some(address) {
                        return Ok(i);
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }
}

/// The line of the first `"address": "…"` of every resource's address, in one streaming
/// pass over the file; 0 where there is none. `resources` are in the file's order.
fn address_lines(path: &Path, resources: &[Resource]) -> std::io::Result<Vec<u64>> {
    let index = AddressIndex::new(resources);
    let mut lines = vec![0u64; resources.len()];
    let mut next = 0usize;
    address_lines_in_chunks(path, 1 << 20, &mut |address, line| {
        // Mostly the address is the next resource's: no look-up, no random access.
        let i = match resources.get(next) {
            Some(r) if &*r.address == address => {
                next += 1;
                Some(next - 1)
            }
            _ => index.slot(address).ok().map(|i| i as usize),
        };
        if let Some(slot) = i.and_then(|i| lines.get_mut(i))
            && *slot == 0
        {
            *slot = line;
        }
    })?;
    for &(dup, first) in &index.duplicates {
        let line = lines.get(first as usize).copied().unwrap_or(0);
        if let Some(slot) = lines.get_mut(dup as usize) {
            *slot = line;
        }
    }
    Ok(lines)
}

/// Calls `found` with every `"address": "…"` value of the file and its line, reading
/// `chunk` bytes at a time.
fn address_lines_in_chunks(
    path: &Path,
    chunk: u64,
    found: &mut dyn FnMut(&str, u64),
) -> std::io::Result<()> {
    const NEEDLE: &[u8] = b"\"address\"";
    let finder = memchr::memmem::Finder::new(NEEDLE);
    let mut file = std::fs::File::open(path)?;
    let mut buf: Vec<u8> = Vec::with_capacity(chunk as usize + 4096);
    let mut line = 1u64;
    loop {
        let n = (&mut file).take(chunk).read_to_end(&mut buf)?;
        let eof = n == 0;
        let mut counted = 0usize;
        // Everything before `done` is handled; an address cut by the chunk's end waits.
        let mut done = None;
        let mut from = 0;
        while let Some(at) = buf.get(from..).and_then(|b| finder.find(b)) {
            let pos = from + at;
            from = pos + NEEDLE.len();
            let mut j = from;
            while matches!(buf.get(j), Some(b' ' | b'\t' | b':' | b'\r' | b'\n')) {
                j += 1;
            }
            if j >= buf.len() && !eof {
                done = Some(pos);
                break;
            }
            if buf.get(j) != Some(&b'"') {
                continue;
            }
            let start = j + 1;
            let mut k = start;
            let mut escaped = false;
            while let Some(c) = buf.get(k) {
                match c {
                    b'"' => break,
                    b'\\' => {
                        escaped = true;
                        k += 2
                    }
                    _ => k += 1,
                }
            }
            if k >= buf.len() {
                if eof {
                    break;
                }
                done = Some(pos);
                break;
            }
            line += memchr::memchr_iter(b'\n', buf.get(counted..pos).unwrap_or(&[])).count() as u64;
            counted = pos;
            let raw = buf.get(start..k).unwrap_or(&[]);
            let text: Option<std::borrow::Cow<str>> = if escaped {
                buf.get(j..=k)
                    .and_then(|quoted| serde_json::from_slice::<String>(quoted).ok())
                    .map(std::borrow::Cow::Owned)
            } else {
                std::str::from_utf8(raw)
                    .ok()
                    .map(std::borrow::Cow::Borrowed)
            };
            if let Some(text) = text {
                found(&text, line);
            }
            from = k + 1;
        }
        let done = match done {
            Some(d) => d,
            None if eof => buf.len(),
            // A needle may straddle the chunk's end.
            None => buf
                .len()
                .saturating_sub(NEEDLE.len() - 1)
                .max(from.min(buf.len())),
        };
        line += memchr::memchr_iter(b'\n', buf.get(counted..done).unwrap_or(&[])).count() as u64;
        buf.drain(..done);
        if eof {
            return Ok(());
        }
    }
}

fn error_at(file: &str, e: serde_json::Error) -> InputError {
    InputError {
        file: file.to_owned(),
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
        message: e.to_string(),
    }
}

pub fn read(path: &Path, loaded: &mut Loaded) {
    let file = path.display().to_string();
    let err = |message: String| InputError {
        file: file.clone(),
        line: None,
        column: None,
        message,
    };
    let opened = std::fs::File::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
    let reader = match opened {
        Ok((len, _)) if len > MAX_FILE_BYTES => {
            return loaded.errors.push(err(format!(
                "the file is {len} bytes; the limit is {MAX_FILE_BYTES}"
            )));
        }
        Ok((_, f)) => std::io::BufReader::with_capacity(1 << 18, f),
        Err(e) => return loaded.errors.push(err(e.to_string())),
    };
    let mut st = State {
        file: file.as_str().into(),
        ..State::default()
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    if let Err(e) = DocSeed(&mut st)
        .deserialize(&mut de)
        .and_then(|()| de.end())
    {
        return loaded.errors.push(error_at(&file, e));
    }
    let mut cfg = Config::default();
    if let Some(c) = &st.configuration {
        if let Some(root) = c.get("root_module") {
            walk_config(root, "", &mut cfg);
        }
        if let Some(pc) = c.get("provider_config").and_then(|p| p.as_object()) {
            for (key, p) in pc {
                let region = p
                    .pointer("/expressions/region/constant_value")
                    .and_then(|r| r.as_str());
                if let Some(r) = region {
                    cfg.regions.insert(key.clone(), r.to_owned());
                }
            }
        }
    }
    st.configuration = None;
    let Some(Root::Planned(root) | Root::Values(root)) = st.root else {
        return loaded.errors.push(err(
            "neither planned_values nor values: not the output of `terraform show -json`".into(),
        ));
    };
    let mut resources = std::mem::take(&mut st.resources);
    // Lines while the resources are still in the file's order.
    let lines = match address_lines(path, &resources) {
        Ok(l) => l,
        Err(e) => return loaded.errors.push(err(e.to_string())),
    };
    for (r, line) in resources.iter_mut().zip(lines) {
        r.line = line;
    }
    // Modules depth first, children last to first: the order resources have always had.
    let mut order: Vec<u32> = Vec::with_capacity(resources.len());
    let mut stack = vec![root];
    while let Some(m) = stack.pop() {
        let Some(node) = st.modules.get(m as usize) else {
            continue;
        };
        order.extend(node.start..node.end);
        stack.extend(node.children.iter().copied());
    }
    if order.len() == resources.len() && order.iter().enumerate().any(|(i, o)| i != *o as usize) {
        permute(&mut resources, &order);
    }
    drop(order);
    resources.par_iter_mut().for_each(|r| {
        if let Some(u) = st.unknowns.get(&*r.address) {
            apply_unknown(&mut r.attrs, u);
        }
        let base = base_address(&r.address);
        let key = cfg
            .provider_key
            .get(base)
            .map(String::as_str)
            .unwrap_or(&r.provider);
        let key_local = key.rsplit(':').next().unwrap_or(key);
        r.region = r
            .attrs
            .get("region")
            .and_then(Value::as_str)
            .map(intern)
            .or_else(|| {
                cfg.regions
                    .get(key)
                    .or_else(|| cfg.regions.get(key_local))
                    .map(|r| intern(r))
            })
            .or_else(|| super::region_from_attrs(&r.provider, &r.attrs).map(|r| intern(&r)));
        if let Some(refs) = cfg.refs.get(base) {
            r.refs = pairs(refs.iter().cloned());
        }
    });
    if loaded.resources.is_empty() {
        loaded.resources = resources;
    } else {
        loaded.resources.append(&mut resources);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_reorders_in_place() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut v, &[4, 2, 0, 1, 3]);
        assert_eq!(v, vec!['e', 'c', 'a', 'b', 'd']);
        let mut v = vec![1, 2, 3];
        permute(&mut v, &[0, 1, 2]);
        assert_eq!(v, vec![1, 2, 3]);
    }

    #[test]
    fn address_index_finds_every_address_and_its_duplicates() {
        let resource = |address: &str| Resource {
            address: address.into(),
            rtype: intern("t"),
            provider: intern("p"),
            region: None,
            file: intern("f"),
            line: 0,
            attrs: Value::Null,
            refs: Box::new([]),
            ignored: Box::new([]),
        };
        let resources: Vec<Resource> = (0..1000)
            .map(|i| resource(&format!("a.r{i}")))
            .chain([resource("a.r7")])
            .collect();
        let index = AddressIndex::new(&resources);
        for i in 0..1000u32 {
            assert_eq!(index.slot(&format!("a.r{i}")), Ok(i));
        }
        assert!(index.slot("a.r1000").is_err());
        assert_eq!(index.duplicates, vec![(1000, 7)]);
    }

    #[test]
    fn address_lines_survive_any_chunk_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let text = "{\n\"address\": \"a.b\",\n  \"x\": 1,\n\"address\"  :\n \"m.c[\\\"k\\\"]\",\n\"address\":\"a.b\", \"address\": \"not.wanted\",\n\n\"address\": \"z.last\"}\n";
        std::fs::write(&path, text).unwrap();
        for chunk in [1, 2, 3, 5, 7, 11, 64, 1 << 20] {
            let mut wanted: FxHashMap<&str, u64> =
                [("a.b", 0), ("m.c[\"k\"]", 0), ("z.last", 0), ("absent", 0)]
                    .into_iter()
                    .collect();
            address_lines_in_chunks(&path, chunk, &mut |address, line| {
                if let Some(slot) = wanted.get_mut(address)
                    && *slot == 0
                {
                    *slot = line;
                }
            })
            .unwrap();
            assert_eq!(wanted.get("a.b"), Some(&2), "chunk {chunk}");
            assert_eq!(wanted.get("m.c[\"k\"]"), Some(&4), "chunk {chunk}");
            assert_eq!(wanted.get("z.last"), Some(&8), "chunk {chunk}");
            assert_eq!(wanted.get("absent"), Some(&0), "chunk {chunk}");
        }
    }
}
