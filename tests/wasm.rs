//! The JavaScript boundary, run in Node by wasm-bindgen-test-runner:
//! `cargo test --target wasm32-unknown-unknown --test wasm` (see the Makefile).
#![cfg(target_arch = "wasm32")]

use inferplan::wasm;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("test JSON parses")
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |object, key| {
        js_sys::Reflect::get(&object, &key.into()).expect("object")
    })
}

fn error_of(result: Result<JsValue, JsValue>) -> (String, String) {
    let error: js_sys::Error = result.expect_err("an error").dyn_into().expect("a JS Error");
    let field = get(&error, "field").as_string().expect("error.field is a string");
    (String::from(error.message()), field)
}

const SCENARIO: &str = r#"{
    "model": "Llama-3.1-70B",
    "fleet": { "gpu": "H100-SXM", "count": 4 },
    "workload": { "promptTokens": 1000, "outputTokens": 200, "load": { "requestsPerSecond": 3 } }
}"#;

#[wasm_bindgen_test]
fn predict_returns_plain_objects_with_numbers() {
    let prediction = wasm::predict(json(SCENARIO), JsValue::UNDEFINED).expect("prediction");
    assert!(!prediction.is_instance_of::<js_sys::Map>(), "plain object, not a Map");
    assert_eq!(get(&prediction, "feasible").as_bool(), Some(true));
    let ttft_p95_ms = get(&prediction, "ttftMs.p95").as_f64().expect("a number");
    assert!(ttft_p95_ms.is_finite() && ttft_p95_ms > 0.0, "{ttft_p95_ms}");
    assert_eq!(get(&prediction, "config.tensorParallel").as_f64(), Some(4.0));
}

#[wasm_bindgen_test]
fn config_from_js_is_applied() {
    let prediction = wasm::predict(json(SCENARIO), json(r#"{ "tensorParallel": 2, "precision": "FP8" }"#)).unwrap();
    assert_eq!(get(&prediction, "config.tensorParallel").as_f64(), Some(2.0));
    assert_eq!(get(&prediction, "config.precision").as_string().as_deref(), Some("fp8"));
}

#[wasm_bindgen_test]
fn negative_gpu_count_names_the_field() {
    let scenario = json(SCENARIO);
    js_sys::Reflect::set(&get(&scenario, "fleet"), &"count".into(), &JsValue::from_f64(-3.0)).unwrap();
    let (message, field) = error_of(wasm::predict(scenario, JsValue::UNDEFINED));
    assert_eq!(field, "fleet.count");
    assert!(
        message.starts_with("fleet.count must be a positive integer"),
        "{message}"
    );
    assert!(message.ends_with("got -3"), "{message}");
}

#[wasm_bindgen_test]
fn nan_from_javascript_is_rejected_by_name() {
    let scenario = json(SCENARIO);
    js_sys::Reflect::set(
        &get(&scenario, "workload"),
        &"promptTokens".into(),
        &JsValue::from_f64(f64::NAN),
    )
    .unwrap();
    let (message, field) = error_of(wasm::predict(scenario, JsValue::UNDEFINED));
    assert_eq!(field, "workload.promptTokens");
    assert!(message.ends_with("got NaN"), "{message}");
}

#[wasm_bindgen_test]
fn wrong_type_names_the_field() {
    let scenario = json(&SCENARIO.replace("1000", "\"long\""));
    let (message, field) = error_of(wasm::predict(scenario, JsValue::UNDEFINED));
    assert_eq!(field, "workload.promptTokens");
    assert!(message.contains("expected a token count"), "{message}");
}

#[wasm_bindgen_test]
fn unknown_gpu_lists_the_catalog() {
    let scenario = json(&SCENARIO.replace("H100-SXM", "H900"));
    let (message, field) = error_of(wasm::predict(scenario, JsValue::UNDEFINED));
    assert_eq!(field, "fleet.gpu");
    assert!(message.contains("H200-SXM") && message.contains("MI300X"), "{message}");
}

#[wasm_bindgen_test]
fn bad_config_field_is_under_config() {
    let (message, field) = error_of(wasm::predict(json(SCENARIO), json(r#"{ "tensorParallel": 3 }"#)));
    assert_eq!(field, "config.tensorParallel");
    assert!(message.contains("divisor of the 64 attention heads"), "{message}");
}

#[wasm_bindgen_test]
fn catalog_and_version_cross_the_boundary() {
    let catalog = wasm::catalog().unwrap();
    let gpus: js_sys::Array = get(&catalog, "gpus").dyn_into().unwrap();
    assert!(gpus.length() >= 8);
    let engines: js_sys::Array = get(&catalog, "engines").dyn_into().unwrap();
    assert_eq!(get(&engines.get(0), "defaultMaxBatch").as_f64(), Some(256.0));
    assert_eq!(get(&catalog, "maxTensorParallel").as_f64(), Some(8.0));
    assert_eq!(wasm::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn advise_crosses_the_boundary_with_a_verdict() {
    let scenario = json(&SCENARIO.replace(
        "\"model\"",
        "\"useCase\": \"chat\", \"slo\": { \"metric\": \"ttft\", \"targetMs\": 500 }, \"model\"",
    ));
    let recommendation = wasm::advise(scenario).expect("a recommendation");
    let verdict = get(&recommendation, "verdict").as_string().expect("a string");
    assert!(
        ["latency-first", "throughput-first", "balanced"].contains(&verdict.as_str()),
        "{verdict}"
    );
    assert!(get(&recommendation, "summary")
        .as_string()
        .is_some_and(|s| !s.is_empty()));
    let (message, field) = error_of(wasm::advise(json(&SCENARIO.replace("\"count\": 4", "\"count\": 0"))));
    assert_eq!(field, "fleet.count");
    assert!(message.ends_with("got 0"), "{message}");
}
