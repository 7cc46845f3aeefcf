//! The answers to a few hundred random scenarios, one JSON line each, for comparing two
//! revisions byte for byte (`scripts/compare-outputs.sh`): a refactoring must not change a
//! single output. Scenarios are drawn from a fixed seed over every input the contract takes
//! (catalog and custom models and GPUs, every load kind, one or several SLOs, precisions,
//! configs, given calibrations, measured sweeps) and include invalid values, whose errors are
//! compared too. It uses only the public API, so the same file runs against any revision that
//! has that API and the tools/ crate (`scripts/compare-outputs.sh` copies it into the other
//! revision).
//!
//! cargo run --release -p inferplan-tools --bin snapshot -- [count] > answers.jsonl

use inferplan::{advise, predict, Config, Scenario};
use serde_json::{json, Value};

/// A small deterministic generator (SplitMix64): the scenarios must not depend on any crate's
/// random stream, which could change between the revisions compared.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, probability: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < probability
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const MODELS: [&str; 8] = [
    "Llama-3.1-8B",
    "Llama-3.1-70B",
    "Llama-3.3-70B",
    "Llama-3.1-405B",
    "Llama-2-70B",
    "Mixtral-8x7B",
    "Qwen2.5-72B",
    "Mistral-Large-2407",
];
const GPUS: [&str; 9] = [
    "H100-SXM",
    "H100-PCIe",
    "H200-SXM",
    "A100-SXM-80GB",
    "L40S",
    "L4",
    "B200-SXM",
    "MI300X",
    "GH200",
];
const USE_CASES: [&str; 8] = [
    "chat",
    "code-completion",
    "agent",
    "rag",
    "summarization",
    "batch",
    "custom",
    "CHAT",
];
const PRECISIONS: [&str; 7] = ["bf16", "fp16", "fp8", "int8", "int4", "fp4", "fp3"];
const METRICS: [&str; 5] = ["ttft", "tpot", "itl", "e2e", "latency"];
const ENGINES: [&str; 4] = ["vllm", "sglang", "tensorrt-llm", "tgi"];

fn model(draw: &mut Draw) -> Value {
    if draw.chance(0.8) {
        return json!(draw.pick(&MODELS));
    }
    let mut custom = json!({ "paramsB": draw.pick(&[1.5, 7.0, 32.0, 128.0, 600.0, -4.0]) });
    if draw.chance(0.3) {
        custom["layers"] = json!(draw.pick(&[24, 48, 61]));
        custom["heads"] = json!(draw.pick(&[16, 32, 40, 64]));
        custom["kvHeads"] = json!(draw.pick(&[4, 8, 3]));
    }
    if draw.chance(0.2) {
        custom["experts"] = json!(8);
        custom["expertsPerToken"] = json!(2);
        custom["activeParamsB"] = json!(custom["paramsB"].as_f64().unwrap_or(1.0) / 3.0);
    }
    custom
}

fn gpu(draw: &mut Draw) -> Value {
    if draw.chance(0.85) {
        return json!(draw.pick(&GPUS));
    }
    let mut custom = json!({ "memoryGb": draw.pick(&[24.0, 96.0, 288.0]), "memoryBandwidthTbS": draw.pick(&[1.0, 4.0, 8.0]),
                             "bf16Tflops": draw.pick(&[200.0, 1000.0, 2500.0]) });
    if draw.chance(0.5) {
        custom["fp8Tflops"] = json!(custom["bf16Tflops"].as_f64().unwrap_or(1.0) * 2.0);
    }
    if draw.chance(0.3) {
        custom["interconnectGbS"] = json!(draw.pick(&[64.0, 450.0, 900.0]));
    }
    custom
}

fn lengths(draw: &mut Draw, means: &[f64]) -> Value {
    let mean = draw.pick(means);
    if draw.chance(0.4) {
        json!(mean)
    } else {
        json!({ "mean": mean, "cv": draw.pick(&[0.0, 0.3, 0.8, 1.5]) })
    }
}

fn load(draw: &mut Draw) -> Value {
    match draw.below(9) {
        0..=3 => {
            let mut load = json!({ "requestsPerSecond": draw.pick(&[0.05, 0.5, 2.0, 5.0, 12.0, 40.0, 200.0]) });
            if draw.chance(0.4) {
                // vLLM's gamma shape; 0 is out of range.
                load["burstiness"] = json!(draw.pick(&[0.0, 0.1, 0.5, 2.0, 1e6]));
            }
            load
        }
        4 => json!({ "requestsPerHour": draw.pick(&[600.0, 10_000.0, 90_000.0]) }),
        5 | 6 => json!({ "concurrency": draw.pick(&[1, 8, 32, 128]) }),
        7 => json!({ "offline": true, "requests": draw.pick(&[50, 400, 3000]) }),
        // Invalid: two kinds at once, or a value out of range.
        _ => draw.pick(&[
            json!({ "requestsPerSecond": 2, "concurrency": 4 }),
            json!({ "requestsPerSecond": -1 }),
            json!({ "concurrency": 2.5 }),
            json!({ "offline": false }),
        ]),
    }
}

fn slo(draw: &mut Draw) -> Value {
    let metric = if draw.chance(0.97) {
        draw.pick(&METRICS[..4])
    } else {
        METRICS[4]
    };
    let target_ms = match metric {
        "ttft" => draw.pick(&[80.0, 300.0, 1000.0, 5000.0]),
        "tpot" | "itl" => draw.pick(&[8.0, 25.0, 60.0, 200.0]),
        _ => draw.pick(&[1000.0, 10_000.0, 120_000.0]),
    };
    let mut slo = json!({ "metric": metric, "targetMs": target_ms });
    if draw.chance(0.6) {
        slo["percentile"] = json!(draw.pick(&[50.0, 90.0, 95.0, 99.0, 99.9]));
    }
    slo
}

fn scenario(draw: &mut Draw) -> Value {
    let mut scenario = json!({
        "model": model(draw),
        "fleet": { "gpu": gpu(draw), "count": draw.pick(&[1, 1, 2, 3, 4, 6, 8, 8, 12, 16]) },
        "workload": { "load": load(draw) },
    });
    let preset = draw.chance(0.6);
    if preset {
        scenario["useCase"] = json!(draw.pick(&USE_CASES));
    }
    if !preset || draw.chance(0.5) {
        scenario["workload"]["promptTokens"] = lengths(draw, &[1.0, 128.0, 1000.0, 4000.0, 32_000.0]);
        scenario["workload"]["outputTokens"] = lengths(draw, &[1.0, 16.0, 200.0, 1000.0]);
    }
    if !preset || draw.chance(0.5) {
        scenario["slo"] = match draw.below(3) {
            0 => slo(draw),
            1 => json!([slo(draw)]),
            _ => json!([slo(draw), slo(draw)]),
        };
    }
    if draw.chance(0.3) {
        let count = 1 + draw.below(3);
        // The last precision is not one: rarely drawn.
        let precision = |draw: &mut Draw| {
            let drawn = if draw.chance(0.05) { 7 } else { 6 };
            draw.pick(&PRECISIONS[..drawn])
        };
        scenario["precisions"] = json!((0..count).map(|_| precision(draw)).collect::<Vec<_>>());
    }
    if draw.chance(0.3) {
        scenario["fleet"]["pricePerGpuHour"] = json!(draw.pick(&[1.2, 2.5, 4.0]));
    }
    if draw.chance(0.4) {
        scenario["seed"] = json!(draw.pick(&[0, 3, 42, 1_000_000]));
    }
    if draw.chance(0.08) {
        scenario["calibration"] = json!({ "memoryEfficiency": draw.pick(&[0.5, 0.8, 1.5]), "computeEfficiency": 0.5,
            "allreduceLatencyUs": 12.0, "interconnectEfficiency": 0.7, "stepOverheadMs": draw.pick(&[1.0, 4.0]) });
    }
    if draw.chance(0.03) {
        scenario["unexpected"] = json!(true);
    }
    scenario
}

fn config(draw: &mut Draw) -> Value {
    let mut config = json!({});
    if draw.chance(0.3) {
        config["tensorParallel"] = json!(draw.pick(&[1, 2, 3, 4, 8]));
    }
    if draw.chance(0.2) {
        config["replicas"] = json!(draw.pick(&[1, 2]));
    }
    if draw.chance(0.3) {
        config["precision"] = json!(draw.pick(&PRECISIONS[..6]));
    }
    if draw.chance(0.2) {
        config["engine"] = json!(draw.pick(&ENGINES));
    }
    if draw.chance(0.2) {
        config["maxBatch"] = json!(draw.pick(&[16, 64, 512, 4096]));
    }
    if draw.chance(0.2) {
        config["maxBatchedTokens"] = json!(draw.pick(&[512, 2048, 16_384]));
    }
    config
}

/// An answer, or the error it gave, as JSON text with the fields in the library's order.
fn outcome<T: serde::Serialize>(result: Result<T, inferplan::Error>) -> String {
    match result {
        Ok(value) => serde_json::to_string(&value).expect("serialisable"),
        Err(error) => json!({ "error": error.to_string(), "field": error.field() }).to_string(),
    }
}

fn sample(name: &str) -> String {
    let path = format!("{}/../tests/data/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn main() {
    let count: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(500);
    let mut draw = Draw(20_261_202);
    let print = |kind: &str, input: Value, output: String| {
        println!(r#"{{"kind":"{kind}","input":{input},"output":{output}}}"#);
    };

    print(
        "catalog",
        Value::Null,
        serde_json::to_string(inferplan::catalog()).expect("catalog"),
    );
    // Every sample file, in name order.
    let directory = format!("{}/../tests/data/samples", env!("CARGO_MANIFEST_DIR"));
    let mut samples: Vec<String> = std::fs::read_dir(directory)
        .expect("the samples")
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "README.md")
        .collect();
    samples.sort();
    for name in &samples {
        print(
            "import",
            json!(name),
            outcome(inferplan::measure::import_benchmark(&sample(name), None)),
        );
    }
    print(
        "import",
        json!("bad"),
        outcome(inferplan::measure::import_benchmark("{\"x\": 1}", None)),
    );
    print(
        "import",
        json!("format"),
        outcome(inferplan::measure::import_benchmark("a,b\n1,2", Some("xml"))),
    );

    for _ in 0..count {
        let scenario = scenario(&mut draw);
        let config = config(&mut draw);
        let parsed = Scenario::from_json(&scenario.to_string());
        let parsed_config = Config::from_json(&config.to_string());
        let answer = match (&parsed, &parsed_config) {
            (Ok(s), Ok(c)) => format!(
                r#"{{"predict":{},"advise":{}}}"#,
                outcome(predict(s, c)),
                outcome(advise(s))
            ),
            (Err(error), _) | (_, Err(error)) => outcome::<()>(Err(error.clone())),
        };
        print("scenario", json!({ "scenario": scenario, "config": config }), answer);
    }

    // Measured sweeps: calibrate, and advise and predict from the fitted factors.
    let guidellm = inferplan::measure::import_benchmark(&sample("guidellm-constant-rates.json"), None).expect("sample");
    let vllm =
        inferplan::measure::import_benchmark(&sample("vllm-bench-serve-rate5-detailed.json"), None).expect("sample");
    for (index, run) in [guidellm, vllm].into_iter().enumerate() {
        let mut run = serde_json::to_value(&run).expect("run");
        for point in run["points"].as_array_mut().into_iter().flatten() {
            point.as_object_mut().map(|p| p.remove("samples"));
        }
        let scenario = json!({
            "model": "Llama-3.1-8B", "fleet": { "gpu": if index == 0 { "H100-SXM" } else { "A100-SXM-80GB" }, "count": 1 },
            "workload": { "promptTokens": 200, "outputTokens": 64, "load": { "requestsPerSecond": 4 + index } },
            "slo": { "metric": "ttft", "targetMs": 400 },
            "measured": { "config": { "maxBatch": 64 }, "runs": [run] },
        });
        let parsed = Scenario::from_json(&scenario.to_string()).expect("measured scenario");
        let answer = format!(
            r#"{{"calibrate":{},"predict":{},"advise":{}}}"#,
            outcome(inferplan::calibrate(&parsed)),
            outcome(predict(&parsed, &Config::default())),
            outcome(advise(&parsed))
        );
        print("measured", scenario, answer);
    }
}
