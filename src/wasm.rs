//! The JavaScript boundary, and the only file that knows about it. Each export decodes its
//! input, calls the pure core and encodes the output as plain objects; every failure becomes a
//! JS `Error` whose message names the field, with the field's path also in `error.field`.

use crate::{Config, Error, Scenario};
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("../npm/types.d.ts");

thread_local! {
    /// The message of the last panic, for the JavaScript wrappers to report.
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Keeps a panic's message: a panic (a bug; no input should cause one) aborts the call with a
/// `RuntimeError: unreachable`, and the wrappers in the package turn that into an `Error`
/// carrying this message. The instance keeps serving later calls.
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
    }));
}

/// The last panic's message, once (for the package's wrappers; not part of the API).
#[wasm_bindgen(js_name = "__takePanicMessage")]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.with(|last| last.borrow_mut().take())
}

/// Panics on purpose, so the tests can check the wrappers (not part of the API; only in a
/// build with the `test-panic` feature, never in the published package).
#[cfg(feature = "test-panic")]
#[wasm_bindgen(js_name = "__panicForTests")]
pub fn panic_for_tests() {
    panic!("a deliberate panic for the tests");
}

/// The library version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::version().to_string()
}

/// The built-in GPUs, models, precisions, use cases, engines, metrics and benchmark formats.
#[wasm_bindgen(unchecked_return_type = "Catalog")]
pub fn catalog() -> Result<JsValue, JsValue> {
    to_js(crate::catalog())
}

/// Answers the scenario: latency or throughput first, the recommended deployment, the reasons
/// and the frontier.
#[wasm_bindgen(unchecked_return_type = "Recommendation")]
pub fn advise(#[wasm_bindgen(unchecked_param_type = "Scenario")] scenario: JsValue) -> Result<JsValue, JsValue> {
    let scenario: Scenario = from_js(scenario, "")?;
    let recommendation = crate::advise(&scenario).map_err(to_js_error)?;
    to_js(&recommendation)
}

/// Reads a benchmark file (`text`), or several files of one sweep (an array of texts), into a
/// measured run. `options.format` forces a format; by default it is detected.
#[wasm_bindgen(js_name = importBenchmark, unchecked_return_type = "MeasuredRun")]
pub fn import_benchmark(
    #[wasm_bindgen(unchecked_param_type = "string | string[]")] text: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ImportOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options: ImportOptions = if options.is_undefined() || options.is_null() {
        ImportOptions::default()
    } else {
        from_js(options, "options")?
    };
    // Texts are read as they are (a 64 MiB file is not copied through JSON).
    let texts: Vec<String> = match text.as_string() {
        Some(text) => vec![text],
        // Read through `Reflect.get`, which reports a throwing getter or Proxy trap as an error
        // instead of unwinding through the wasm.
        None if js_sys::Array::is_array(&text) => {
            let unreadable = |field: String| {
                to_js_error(Error::Malformed {
                    field,
                    message: "a benchmark file's text is required".to_string(),
                })
            };
            let length = js_sys::Reflect::get(&text, &"length".into())
                .ok()
                .and_then(|length| length.as_f64())
                .ok_or_else(|| unreadable("text".to_string()))?;
            if length > MAX_TEXTS as f64 {
                return Err(to_js_error(Error::invalid(
                    "text",
                    format!("at most {MAX_TEXTS} files"),
                    length,
                )));
            }
            (0..length as u32)
                .map(|index| {
                    js_sys::Reflect::get(&text, &index.into())
                        .ok()
                        .and_then(|item| item.as_string())
                        .ok_or_else(|| unreadable(format!("text[{index}]")))
                })
                .collect::<Result<_, _>>()?
        }
        None => {
            return Err(to_js_error(Error::Malformed {
                field: "text".to_string(),
                message: "the text of a benchmark file, or an array of them, is required".to_string(),
            }))
        }
    };
    let runs = texts
        .iter()
        .map(|text| crate::measure::import_benchmark(text, options.format.as_deref()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_js_error)?;
    to_js(&crate::measure::sweep(runs))
}

/// Most files one `importBenchmark` call reads as a sweep.
const MAX_TEXTS: usize = 1000;

#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportOptions {
    format: Option<String>,
}

/// Fits the cost model's factors to the measurements a scenario carries (`scenario.measured`).
#[wasm_bindgen(unchecked_return_type = "CalibrationReport")]
pub fn calibrate(#[wasm_bindgen(unchecked_param_type = "Scenario")] scenario: JsValue) -> Result<JsValue, JsValue> {
    let scenario: Scenario = from_js(scenario, "")?;
    let report = crate::calibrate(&scenario).map_err(to_js_error)?;
    to_js(&report)
}

/// Predicts memory, latency and throughput of one deployment (`config`, every field optional)
/// under the scenario.
#[wasm_bindgen(unchecked_return_type = "Prediction")]
pub fn predict(
    #[wasm_bindgen(unchecked_param_type = "Scenario")] scenario: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Config")] config: JsValue,
) -> Result<JsValue, JsValue> {
    let scenario: Scenario = from_js(scenario, "")?;
    let config: Config = if config.is_undefined() || config.is_null() {
        Config::default()
    } else {
        from_js(config, "config")?
    };
    let prediction = crate::predict(&scenario, &config).map_err(to_js_error)?;
    to_js(&prediction)
}

/// Decodes a JS value as the Rust path decodes JSON text, naming the path where decoding failed
/// (under `root`). The value goes through `JSON.stringify` first: it reads own enumerable
/// properties only (an inherited `Object.prototype.seed` is not input), and it is where a
/// cycle, a nesting too deep for the JS stack, a getter or Proxy trap that throws, or a BigInt
/// fails: in JavaScript, before any Rust recursion, so the instance is never harmed. The text
/// then meets the same decoder as Rust callers: unknown keys rejected, nesting bounded (128
/// levels), every error naming its field. NaN and infinities, which JSON cannot carry, travel
/// as strings and are refused with the field and the value.
fn from_js<T: DeserializeOwned>(value: JsValue, root: &str) -> Result<T, JsValue> {
    let replacer =
        Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(|_key: JsValue, value: JsValue| match value.as_f64() {
            Some(number) if !number.is_finite() => JsValue::from_str(&non_finite_words(number)),
            _ => value,
        });
    let text = js_sys::JSON::stringify_with_replacer(&value, replacer.as_ref())
        .map_err(|thrown| {
            let reason = js_sys::Error::from(thrown).message().as_string().unwrap_or_default();
            to_js_error(Error::Malformed {
                field: root.to_string(),
                message: format!(
                    "the input cannot be read as plain data (a cycle, nesting too deep, a getter or Proxy that throws, \
                     or a BigInt): {reason}"
                ),
            })
        })?
        .as_string()
        .ok_or_else(|| {
            to_js_error(Error::Malformed {
                field: root.to_string(),
                message: "an object is required, got undefined or a function".to_string(),
            })
        })?;
    crate::scenario::from_json(&text, root).map_err(|error| {
        let message = error.to_string();
        let non_finite = ["NaN", "Infinity", "-Infinity"]
            .into_iter()
            .find(|words| message.contains(&format!("invalid type: string \"{words}\"")));
        to_js_error(match (non_finite, error) {
            (Some(words), error) => Error::invalid(error.field(), "a finite number", words),
            // JSON text positions mean nothing to a caller who passed an object.
            (None, Error::Malformed { field, message }) => Error::Malformed {
                field,
                message: message.split(" at line ").next().unwrap_or_default().to_string(),
            },
            (None, error) => error,
        })
    })
}

/// How JavaScript writes a non-finite number.
fn non_finite_words(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_string()
    } else if number > 0.0 {
        "Infinity".to_string()
    } else {
        "-Infinity".to_string()
    }
}

/// Encodes as plain JSON-compatible objects (not Maps).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| {
            to_js_error(Error::Malformed {
                field: String::new(),
                message: error.to_string(),
            })
        })
}

/// A JS `Error` with the core error's sentence as its message and its JSON path as `field`.
fn to_js_error(error: Error) -> JsValue {
    let js_error = js_sys::Error::new(&error.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&js_error, &"field".into(), &error.field().into());
    js_error.into()
}
