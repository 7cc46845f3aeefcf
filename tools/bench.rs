//! `make bench`: how fast the simulator and `predict` run, natively on one core. A plain
//! timing harness: each case runs repeatedly and reports the median and fastest wall time.

use inferplan::domain::{Deployment, LengthDistribution, Precision, ServingEngine};
use inferplan::measure::{import_benchmark, MAX_DOCUMENT_BYTES, MAX_FILE_BYTES};
use inferplan::perf::{Calibration, CostModel, MemoryPlan, RooflineEstimate};
use inferplan::scenario::limits::{MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use inferplan::sim::{self, Admission, Arrivals};
use inferplan::{advise, calibrate, predict, Config, Scenario};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `f` `runs` times; returns (median, fastest).
fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm caches and the allocator
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[0])
}

fn report(name: &str, (median, fastest): (Duration, Duration)) {
    println!(
        "| {name:<76} | {:>9.2} | {:>10.2} |",
        median.as_secs_f64() * 1e3,
        fastest.as_secs_f64() * 1e3
    );
}

/// The default chat scenario (also benchmarked in wasm by scripts/bench-wasm.mjs).
const CHAT_SCENARIO: &str = include_str!("../examples/chat-scenario.json");

fn main() {
    println!("| {:<76} | median ms | fastest ms |", "case");
    println!("|{}|-----------|------------|", "-".repeat(78));

    // The simulator alone: 10,000 chat requests (1,000 prompt / 200 output tokens), maxBatch
    // 256, Llama-3.1-70B at TP4 on H100 in bf16, at half and at 90% of its saturated capacity.
    let scenario = Scenario::from_json(CHAT_SCENARIO)
        .expect("valid")
        .resolve()
        .expect("valid");
    let deployment = Deployment::with_engine_defaults(ServingEngine::Vllm, 4, 1, Precision::Bf16);
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, &deployment);
    let cost = CostModel::new(
        &scenario.model,
        &scenario.gpu,
        &deployment,
        Calibration::built_in(&scenario.gpu, deployment.engine),
    );
    let settings = sim::Settings {
        max_batch: deployment.max_batch,
        max_batched_tokens: deployment.max_batched_tokens,
        kv_capacity_tokens: memory.kv_capacity_tokens,
        admission: Admission::Optimistic,
        coast_stride: sim::COAST_STRIDE,
    };
    let fixed = |tokens: f64| LengthDistribution { mean: tokens, cv: 0.0 };
    let capacity = RooflineEstimate::new(&cost, &memory, &deployment, 1000.0, 200.0).max_requests_per_second;
    for fraction in [0.5, 0.9] {
        let requests_per_second = capacity * fraction;
        let label = format!("{requests_per_second:.1} req/s");
        let traffic = sim::Traffic {
            arrivals: Arrivals::Open {
                requests_per_second,
                arrival_cv: 1.0,
            },
            prompt_tokens: fixed(1000.0),
            output_tokens: fixed(200.0),
            requests: 10_000,
            warm_up_fraction: sim::WARM_UP_FRACTION,
            seed: 1,
        };
        let mut iterations = 0;
        let timing = time(21, || {
            let outcome = sim::simulate(
                &settings,
                &traffic,
                (MAX_PROMPT_TOKENS as u32, MAX_OUTPUT_TOKENS as u32),
                |batch| cost.step_time_s(batch),
            );
            iterations = outcome.trace.iterations;
            black_box(outcome);
        });
        report(
            &format!("simulate 10,000 chat requests, 70B TP4 H100, {label} ({iterations} iterations)"),
            timing,
        );
    }

    // predict(): validation, memory plan, roofline, simulation (2,500 requests per replica), summaries.
    let input = Scenario::from_json(CHAT_SCENARIO).expect("valid");
    report(
        "predict, default chat scenario (70B, 8 x H100, 3 req/s)",
        time(21, || {
            black_box(predict(&input, &Config::default()).expect("predicts"));
        }),
    );
    // advise(): the whole search, verdict and explanation.
    report(
        "advise, default chat scenario (examples/chat-scenario.json)",
        time(11, || {
            black_box(advise(&input).expect("advises"));
        }),
    );

    // Each entry point on the most work its limits allow (examples/worst-case/README.md).
    let worst = Scenario::from_json(include_str!("../examples/worst-case/advise.json")).expect("valid");
    report(
        "advise, the most work the limits allow (examples/worst-case/advise.json)",
        time(3, || {
            black_box(advise(&worst).expect("advises within the budget"));
        }),
    );
    let worst: serde_json::Value =
        serde_json::from_str(include_str!("../examples/worst-case/predict.json")).expect("JSON");
    let (scenario, config) = (
        Scenario::from_json(&worst["scenario"].to_string()).expect("valid"),
        Config::from_json(&worst["config"].to_string()).expect("valid"),
    );
    report(
        "predict, the most work the limits allow (examples/worst-case/predict.json)",
        time(3, || {
            black_box(predict(&scenario, &config).expect("predicts"));
        }),
    );
    let worst = Scenario::from_json(include_str!("../examples/worst-case/calibrate.json")).expect("valid");
    report(
        "calibrate, 64 measured points (examples/worst-case/calibrate.json)",
        time(3, || {
            black_box(calibrate(&worst).expect("calibrates"));
        }),
    );
    let jsonl = largest_records_jsonl();
    report(
        "importBenchmark, a 64 MiB AIPerf records JSONL",
        time(3, || {
            black_box(import_benchmark(&jsonl, None).expect("imports"));
        }),
    );
    let document = largest_vllm_json();
    report(
        "importBenchmark, a 32 MiB vLLM JSON document",
        time(3, || {
            black_box(import_benchmark(&document, None).expect("imports"));
        }),
    );
}

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/samples");

/// The largest AIPerf records JSONL the limits allow: the sample's records repeated to 64 MiB
/// (as scripts/bench-wasm.mjs builds it).
fn largest_records_jsonl() -> String {
    let sample =
        std::fs::read_to_string(format!("{SAMPLES}/aiperf-concurrency16-records-first100.jsonl")).expect("sample");
    let records: Vec<&str> = sample.lines().filter(|line| !line.trim().is_empty()).collect();
    let mut text = String::new();
    for record in records.iter().cycle() {
        if text.len() + record.len() + 1 > MAX_FILE_BYTES {
            break;
        }
        text.push_str(record);
        text.push('\n');
    }
    text
}

/// The largest single JSON document the limits allow: the vLLM sample's per-request arrays
/// repeated to 32 MiB (as scripts/bench-wasm.mjs builds it).
fn largest_vllm_json() -> String {
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{SAMPLES}/vllm-bench-serve-rate5-detailed.json")).expect("sample"),
    )
    .expect("JSON");
    let size = sample.to_string().len();
    (1..=MAX_DOCUMENT_BYTES / size)
        .rev()
        .map(|copies| {
            let mut grown = sample.clone();
            for value in grown.as_object_mut().expect("an object").values_mut() {
                if let Some(array) = value.as_array() {
                    *value =
                        serde_json::Value::Array(array.iter().cycle().take(array.len() * copies).cloned().collect());
                }
            }
            let requests = grown["ttfts"].as_array().map_or(0, Vec::len);
            grown["completed"] = requests.into();
            grown["num_prompts"] = requests.into();
            grown.to_string()
        })
        .find(|text| text.len() <= MAX_DOCUMENT_BYTES)
        .expect("the sample is smaller than the limit")
}
