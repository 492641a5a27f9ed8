//! The attribute values of a resource: JSON-like, plus `Unknown` for what cannot be
//! known statically (an unresolved Terraform expression, a computed attribute).

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashSet;
use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A pool of shared strings that forgets what nothing holds any more.
///
/// Attribute names, types, providers and regions repeat across millions of resources, so
/// each is stored once and shared. The pool is per thread (parsing runs on many) and keeps
/// a string only while a value of a scan still holds it: whenever the pool has doubled
/// since it was last swept, the strings only the pool holds are dropped. A server that
/// scans uploads for months therefore holds the names of the scans in progress, not every
/// name it has ever seen.
struct Pool<T> {
    set: FxHashSet<T>,
    /// The size of the pool after the last sweep.
    swept: usize,
}

/// The pool is never swept below this many strings: sweeping a small pool costs more than
/// it frees.
const POOL_FLOOR: usize = 4096;

impl<T: std::hash::Hash + Eq + Clone + std::borrow::Borrow<str>> Pool<T> {
    const fn new() -> Pool<T> {
        Pool {
            set: FxHashSet::with_hasher(rustc_hash::FxBuildHasher),
            swept: 0,
        }
    }

    fn get(&mut self, key: &str, make: impl FnOnce(&str) -> T, held: impl Fn(&T) -> bool) -> T {
        if let Some(a) = self.set.get(key) {
            return a.clone();
        }
        if self.set.len() >= POOL_FLOOR.max(self.swept * 2) {
            self.set.retain(&held);
            self.swept = self.set.len();
        }
        let a = make(key);
        self.set.insert(a.clone());
        a
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.len()
    }
}

thread_local! {
    static KEYS: RefCell<Pool<Arc<str>>> = const { RefCell::new(Pool::new()) };
    static NAMES: RefCell<Pool<Key>> = const { RefCell::new(Pool::new()) };
}

/// The shared copy of a string that repeats (attribute names, resource types, regions).
pub fn intern(key: &str) -> Arc<str> {
    KEYS.with(|k| {
        k.borrow_mut()
            .get(key, |s| Arc::from(s), |a| Arc::strong_count(a) > 1)
    })
}

/// An attribute name: shared by every map that has it (names are few and repeat across
/// millions of maps), one word wide, so that a map entry is 32 bytes rather than 40.
#[derive(Clone)]
pub struct Key(Arc<String>);

impl Key {
    pub fn new(name: &str) -> Key {
        NAMES.with(|k| {
            k.borrow_mut().get(
                name,
                |n| Key(Arc::new(n.to_owned())),
                |a| Arc::strong_count(&a.0) > 1,
            )
        })
    }
}

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.as_str().hash(state)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        self.0.as_str().cmp(other.0.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

/// A compact map from attribute names to values: a vector sorted by key, with interned
/// keys. Far smaller than a B-tree for the handful of attributes a resource has.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    entries: Box<[(Key, Value)]>,
}

impl Map {
    pub fn new() -> Map {
        Map::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| (**k).cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn insert(&mut self, key: impl AsRef<str>, value: Value) {
        let key = key.as_ref();
        match self.find(key) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    slot.1 = value;
                }
            }
            Err(i) => self.insert_at(i, Key::new(key), value),
        }
    }

    fn insert_at(&mut self, i: usize, key: Key, value: Value) {
        let mut entries = std::mem::take(&mut self.entries).into_vec();
        entries.insert(i, (key, value));
        self.entries = entries.into_boxed_slice();
    }

    /// The value at `key`, inserted by `default` when absent.
    pub fn get_or_insert_with(&mut self, key: &str, default: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.insert_at(i, Key::new(key), default());
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&**k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| &**k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Builds from unsorted entries; a later duplicate key wins.
    pub fn from_entries(entries: Vec<(Key, Value)>) -> Map {
        Map::from_pairs(entries)
    }

    /// Builds from unsorted pairs; a later duplicate key wins.
    fn from_pairs(mut entries: Vec<(Key, Value)>) -> Map {
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Map {
            entries: entries.into_boxed_slice(),
        }
    }
}

impl<K: AsRef<str>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        Map::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (Key::new(k.as_ref()), v))
                .collect(),
        )
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter =
        std::iter::Map<std::vec::IntoIter<(Key, Value)>, fn((Key, Value)) -> (String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries
            .into_vec()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(Box<str>),
    List(Box<[Value]>),
    Map(Map),
    Unknown,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A number, or a string that holds one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean, or the strings "true"/"false".
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether the value holds an unknown anywhere inside.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(l) => l.iter().any(Value::contains_unknown),
            Value::Map(m) => m.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// Loose equality used by rules: numbers numerically, booleans against "true"/"false",
    /// numbers against numeric strings.
    pub fn loosely_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bool(_), _) | (_, Value::Bool(_)) => {
                self.as_bool().is_some() && self.as_bool() == other.as_bool()
            }
            (Value::Number(_), _) | (_, Value::Number(_)) => {
                matches!((self.as_number(), other.as_number()), (Some(a), Some(b)) if (a - b).abs() < 1e-9)
            }
            _ => self == other,
        }
    }

    /// Converts a JSON value.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.as_str().into()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Back to JSON, with unknowns as the string "(unknown)".
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Number::from_f64(*n)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter().map(|(k, v)| (k.to_owned(), v.to_json())).collect(),
            ),
            Value::Unknown => serde_json::Value::String("(unknown)".into()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s}"),
            Value::Unknown => write!(f, "(unknown)"),
            other => write!(f, "{}", other.to_json()),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                Value::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v.into_boxed_str()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Value::List(out.into_boxed_slice()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(256));
                while let Some(k) = map.next_key_seed(KeySeed)? {
                    let v: Value = map.next_value()?;
                    pairs.push((k, v));
                }
                Ok(Value::Map(Map::from_pairs(pairs)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Deserialises an attribute name as its [`Key`], without allocating.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key::new(v))
    }
}

/// Deserialises a string as its interned copy, without allocating one of its own.
#[derive(Debug, Clone, Copy)]
pub struct Interned;

impl<'de> DeserializeSeed<'de> for Interned {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Interned {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(intern(v))
    }
}

impl Value {
    /// Appends to a list value (nothing for other values).
    pub fn push(&mut self, item: Value) {
        self.extend(std::iter::once(item));
    }

    /// Appends to a list value (nothing for other values).
    pub fn extend(&mut self, items: impl IntoIterator<Item = Value>) {
        if let Value::List(l) = self {
            let mut v = std::mem::take(l).into_vec();
            v.extend(items);
            *l = v.into_boxed_slice();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        // A million resources hold several million values: a word more each shows.
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<(Key, Value)>(), 32);
    }

    #[test]
    fn names_no_value_holds_are_forgotten() {
        // A server scans uploads with ever new attribute names: once a scan's values are
        // gone, the pool must not keep its names.
        let held: Map = (0..100)
            .map(|i| (format!("kept-{i}"), Value::Null))
            .collect();
        for scan in 0..50 {
            let m: Map = (0..1000)
                .map(|i| (format!("scan-{scan}-{i}"), Value::Null))
                .collect();
            assert_eq!(m.len(), 1000);
            let _ = intern(&format!("type-{scan}-x"));
        }
        let names = NAMES.with(|n| n.borrow().len());
        assert!(
            names < POOL_FLOOR * 2 + 1000,
            "{names} names pooled after 50,000 distinct ones were dropped"
        );
        // The names still held are the same shared copies.
        let again = Key::new("kept-7");
        let kept = held.entries.iter().find(|(k, _)| &**k == "kept-7");
        assert!(kept.is_some_and(|(k, _)| Arc::ptr_eq(&k.0, &again.0)));
        assert_eq!(held.len(), 100);
    }

    #[test]
    fn map_keeps_keys_sorted_and_unique() {
        let mut m: Map = [
            ("b", Value::Bool(true)),
            ("a", Value::Null),
            ("b", Value::Bool(false)),
        ]
        .into_iter()
        .collect();
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(
            m.get("b"),
            Some(&Value::Bool(false)),
            "a later duplicate wins"
        );
        m.insert("c", Value::Number(1.0));
        m.insert("a", Value::Number(2.0));
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("a"), Some(&Value::Number(2.0)));
        *m.get_or_insert_with("d", || Value::List(Box::new([]))) = Value::Unknown;
        assert!(m.get("d").is_some_and(Value::is_unknown));
        let v: Value =
            serde_json::from_str(r#"{"z": 1, "y": {"x": [1, "s"]}}"#).unwrap_or_default();
        assert_eq!(
            v.get("y").and_then(|y| y.get("x")),
            Some(&Value::List(Box::new([
                Value::Number(1.0),
                Value::String("s".into())
            ])))
        );
    }
}
