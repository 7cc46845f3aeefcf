//! The same input and seed give byte-identical JSON: twice natively here, and natively against
//! WebAssembly in tests/node/determinism.test.mjs, which reads the answers this test writes to
//! target/determinism-native.json.

use inferplan::{advise, predict, Config, Scenario};
use serde_json::{json, Value};

pub fn scenarios() -> Vec<Value> {
    vec![
        serde_json::from_str(include_str!("../examples/chat-scenario.json")).unwrap(),
        json!({ "model": "Mixtral-8x7B", "fleet": { "gpu": "L40S", "count": 4 }, "seed": 11,
                "workload": { "promptTokens": { "mean": 800, "cv": 1.5 }, "outputTokens": { "mean": 150, "cv": 1 },
                              "load": { "requestsPerSecond": 2, "burstiness": 3 } },
                "slo": [{ "metric": "itl", "percentile": 99, "targetMs": 200 }, { "metric": "e2e", "targetMs": 30000 }] }),
        json!({ "useCase": "agent", "model": "Llama-3.1-8B", "fleet": { "gpu": "A100-SXM-80GB", "count": 2 },
                "workload": { "load": { "concurrency": 24 } }, "seed": 3 }),
        json!({ "useCase": "batch", "model": { "paramsB": 128 }, "fleet": { "gpu": "H200-SXM", "count": 8, "pricePerGpuHour": 4 },
                "workload": { "load": { "offline": true, "requests": 400 } } }),
    ]
}

/// The answers as JSON text, fields in the order the library writes them.
fn answers() -> String {
    let answers: Vec<String> = scenarios()
        .into_iter()
        .map(|value| {
            let scenario = Scenario::from_json(&value.to_string()).unwrap();
            format!(
                r#"{{"scenario":{value},"prediction":{},"recommendation":{}}}"#,
                serde_json::to_string(&predict(&scenario, &Config::default()).unwrap()).unwrap(),
                serde_json::to_string(&advise(&scenario).unwrap()).unwrap(),
            )
        })
        .collect();
    format!("[{}]", answers.join(","))
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
