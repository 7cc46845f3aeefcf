//! Small readers over `serde_json` values for the importers: benchmark files vary by tool
//! version, so fields are looked up by name and checked where they are used.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

pub type Object = serde_json::Map<String, Value>;

/// A number at `key` (numbers only; a missing key or `null` is `None`).
pub fn number(object: &Object, key: &str) -> Option<f64> {
    object.get(key).and_then(Value::as_f64).filter(|x| x.is_finite())
}

/// A string at `key`.
pub fn text(object: &Object, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The object at a path of keys.
pub fn object_at<'a>(object: &'a Object, path: &[&str]) -> Option<&'a Object> {
    let mut current = object;
    for key in path {
        current = current.get(*key)?.as_object()?;
    }
    Some(current)
}

/// A number at a path of keys.
pub fn number_at(object: &Object, path: &[&str]) -> Option<f64> {
    let (last, parents) = path.split_last()?;
    number(object_at(object, parents)?, last)
}

/// Strings longer than this are read as empty: benchmark files carry every prompt and
/// generated text, which no importer reads and which would otherwise be most of their memory.
const MAX_KEPT_STRING_BYTES: usize = 1024;

/// Parses one JSON document as `serde_json` would, but for the contents of long strings
/// (`MAX_KEPT_STRING_BYTES`): a document of texts then parses in a fraction of its size.
pub fn parse_lean(text: &str) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Lean.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Builds a `Value` from any JSON, the long strings left empty.
struct Lean;

impl<'de> DeserializeSeed<'de> for Lean {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Lean {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(if value.len() > MAX_KEPT_STRING_BYTES {
            String::new()
        } else {
            value.to_string()
        }))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(value) = sequence.next_element_seed(Lean)? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Object::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Lean)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
