//! A JSON tree borrowed from the text, for [`super::load`] to walk.
//!
//! `serde_json::Value` gives every object a `BTreeMap` and every string its own allocation: for
//! a form with thousands of options that is most of a check (16 MB allocated, touched and freed
//! for a 0.5 MB file). Here an object is a vector of entries and a string without escapes
//! borrows the text. serde_json still parses, so syntax errors keep its line:column messages.
//!
//! The tree answers as a `serde_json::Value` would: an object keeps the last value of a
//! repeated key and iterates its keys sorted (as a `BTreeMap<String, _>`), numbers are
//! [`serde_json::Number`]s.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;

/// A JSON value borrowing its strings from the text where it can.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Map<'a>),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A JSON object: its entries sorted by key, each key once (the last value given for it).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Map<'a> {
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Map<'a> {
    /// Sorts the entries by key and keeps the last value of a repeated key.
    fn new(mut entries: Vec<(Cow<'a, str>, Value<'a>)>) -> Self {
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: among equal keys the last given stays last.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            // `dedup_by` keeps the first of equal neighbours: give it the later value.
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        Map { entries }
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Value<'a>> {
        // A question has at most 20 keys: a scan beats a search.
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The keys, sorted.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// The entries, sorted by key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Parses `src`, with serde_json's errors (as `serde_json::from_str`).
pub(crate) fn from_str(src: &str) -> Result<Value<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(src);
    let v = ValueSeed(&mut Stacks::default()).deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// The elements and entries of the arrays and objects being read, so that each is allocated
/// once, at its size, when it ends (5,000 options: no growing vectors, no spare capacity).
#[derive(Default)]
struct Stacks<'a> {
    values: Vec<Value<'a>>,
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
}

struct ValueSeed<'s, 'a>(&'s mut Stacks<'a>);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = Value<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value<'de>, E> {
        // As serde_json's own `Value`: a non-finite number is null.
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s)))
    }

    fn visit_none<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        self.deserialize(d)
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let stacks = self.0;
        let start = stacks.values.len();
        while let Some(v) = seq.next_element_seed(ValueSeed(stacks))? {
            stacks.values.push(v);
        }
        Ok(Value::Array(stacks.values.drain(start..).collect()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let stacks = self.0;
        let start = stacks.entries.len();
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let v = map.next_value_seed(ValueSeed(stacks))?;
            stacks.entries.push((k, v));
        }
        Ok(Value::Object(Map::new(stacks.entries.drain(start..).collect())))
    }
}

/// An object's key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_sorts_and_keeps_the_last_value() {
        let src = r#"{"b": 1, "a": "x", "b": [true, null, -2, 1.5], "c\n": "\u0041"}"#;
        let v = from_str(src).unwrap();
        let Value::Object(m) = &v else { panic!() };
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "c\n"]);
        assert!(matches!(m.get("a"), Some(Value::String(Cow::Borrowed("x")))));
        assert!(matches!(m.get("c\n"), Some(Value::String(Cow::Owned(s))) if s == "A"));
        let Some(Value::Array(a)) = m.get("b") else { panic!() };
        assert_eq!(a.len(), 4);
        // The same answers as serde_json's tree.
        let sj: serde_json::Value = serde_json::from_str(src).unwrap();
        let sj = sj.as_object().unwrap();
        assert_eq!(
            sj.keys().map(String::as_str).collect::<Vec<_>>(),
            m.keys().collect::<Vec<_>>()
        );
        assert_eq!(sj["b"][3].as_f64(), Some(1.5));
        let Value::Number(n) = &a[3] else { panic!() };
        assert_eq!(n, sj["b"][3].as_number().unwrap());
        assert!(!m.contains_key("d") && !m.is_empty());
    }

    #[test]
    fn errors_are_serde_json_s() {
        for src in ["{\"a\" 1}", "[1,]", "{\"a\": 1} x", "", "[1e999]", "{1: 2}"] {
            let ours = from_str(src).map(|_| ()).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<serde_json::Value>(src)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{src}");
        }
    }
}
