//! The same input and seed give byte-identical JSON, twice natively here and natively against
//! WebAssembly in tests/node/determinism.test.mjs, which repeats each call recorded in
//! target/determinism-native.json through the npm package and compares the bytes. The calls
//! cover every entry point that computes: importBenchmark, calibrate, predict and advise, on
//! scenarios with random lengths, bursty arrivals, several SLOs, closed and offline loads, a
//! custom model, given factors and measurements.

use inferplan::measure::import_benchmark;
use inferplan::{advise, calibrate, predict, Config, Scenario};
use serde_json::{json, Value};

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/samples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn scenarios() -> Vec<Value> {
    vec![
        serde_json::from_str(include_str!("../examples/chat-scenario.json")).unwrap(),
        json!({ "model": "Mixtral-8x7B", "fleet": { "gpu": "L40S", "count": 4 }, "seed": 11,
                "workload": { "promptTokens": { "mean": 800, "cv": 1.5 }, "outputTokens": { "mean": 150, "cv": 1 },
                              "load": { "requestsPerSecond": 2, "burstiness": 0.2 } },
                "slo": [{ "metric": "itl", "percentile": 99, "targetMs": 200 }, { "metric": "e2e", "targetMs": 30000 }] }),
        json!({ "useCase": "agent", "model": "Llama-3.1-8B", "fleet": { "gpu": "A100-SXM-80GB", "count": 2 },
                "workload": { "load": { "concurrency": 24 } }, "seed": 3 }),
        json!({ "useCase": "batch", "model": { "paramsB": 128 }, "fleet": { "gpu": "H200-SXM", "count": 8, "pricePerGpuHour": 4 },
                "workload": { "load": { "offline": true, "requests": 400 } } }),
        json!({ "useCase": "rag", "model": "Llama-3.1-70B", "fleet": { "gpu": "MI300X", "count": 4 },
                "workload": { "load": { "requestsPerHour": 20000 } },
                "calibration": { "memoryEfficiency": 0.7, "computeEfficiency": 0.5, "allreduceLatencyUs": 15,
                                 "interconnectEfficiency": 0.6, "stepOverheadMs": 3 } }),
    ]
}

/// A scenario carrying a measured run (its per-request samples left out), measured on one
/// `gpu` with maxBatch 64.
fn measured_scenario(gpu: &str, run: &Value) -> Value {
    let mut run = run.clone();
    for point in run["points"].as_array_mut().unwrap() {
        point.as_object_mut().unwrap().remove("samples");
    }
    json!({ "model": "Llama-3.1-8B", "fleet": { "gpu": gpu, "count": 1 },
            "workload": { "promptTokens": 200, "outputTokens": 64, "load": { "requestsPerSecond": 8, "burstiness": 1000000 } },
            "slo": { "metric": "ttft", "targetMs": 300 },
            "measured": { "config": { "maxBatch": 64 }, "runs": [run] } })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// One recorded call: which function, its input and its answer as the library writes it.
fn call(function: &str, input: &Value, output: String) -> String {
    format!(r#"{{"call":"{function}","input":{input},"output":{output}}}"#)
}

/// Every call's answer as JSON text, fields in the order the library writes them.
fn answers() -> String {
    let mut calls = Vec::new();
    // The fits take logarithms and exponentials of their own iterates: the vLLM sweep on an
    // A100 once fitted factors one bit apart natively and in wasm.
    for (file, gpu) in [
        ("guidellm-constant-rates.json", "H100-SXM"),
        ("vllm-bench-serve-rate5-detailed.json", "A100-SXM-80GB"),
    ] {
        let text = sample(file);
        let run = import_benchmark(&text, None).unwrap();
        calls.push(call("importBenchmark", &json!(text), json(&run)));
        let measured = measured_scenario(gpu, &serde_json::to_value(&run).unwrap());
        let scenario = Scenario::from_json(&measured.to_string()).unwrap();
        calls.push(call("calibrate", &measured, json(&calibrate(&scenario).unwrap())));
        calls.push(call(
            "predict",
            &measured,
            json(&predict(&scenario, &Config::default()).unwrap()),
        ));
    }
    for value in scenarios() {
        let scenario = Scenario::from_json(&value.to_string()).unwrap();
        calls.push(call(
            "predict",
            &value,
            json(&predict(&scenario, &Config::default()).unwrap()),
        ));
        calls.push(call("advise", &value, json(&advise(&scenario).unwrap())));
    }
    format!("[{}]", calls.join(","))
}

#[test]
fn the_same_input_gives_byte_identical_json_and_is_written_for_the_wasm_comparison() {
    let first = answers();
    let second = answers();
    assert_eq!(first, second);
    let path = format!("{}/target/determinism-native.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(format!("{}/target", env!("CARGO_MANIFEST_DIR"))).unwrap();
    std::fs::write(&path, first).unwrap();
}
