//! Small readers over `serde_json` values for the importers: benchmark files vary by tool
//! version, so fields are looked up by name and checked where they are used.

use serde_json::Value;

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
