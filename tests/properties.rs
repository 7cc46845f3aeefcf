//! No input can crash, hang or corrupt an answer: arbitrary and adversarial JSON (NaN stand-ins,
//! infinities, negatives, zeros, huge numbers, empty arrays, deep nesting, wrong types,
//! unknown fields) and mangled benchmark files either give finite, ordered outputs or an
//! error naming the field.
#![cfg(not(target_arch = "wasm32"))]

use inferplan::measure::import_benchmark;
use inferplan::stats::Summary;
use inferplan::{advise, predict, Config, Prediction, Recommendation, Scenario};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Anything slower than this for one prediction counts as a hang.
const PREDICT_BOUND: Duration = Duration::from_secs(10);

const KEYS: &[&str] = &[
    "model",
    "fleet",
    "gpu",
    "count",
    "workload",
    "promptTokens",
    "outputTokens",
    "load",
    "requestsPerSecond",
    "requestsPerHour",
    "burstiness",
    "concurrency",
    "offline",
    "requests",
    "slo",
    "metric",
    "percentile",
    "targetMs",
    "precisions",
    "seed",
    "useCase",
    "mean",
    "cv",
    "paramsB",
    "layers",
    "hidden",
    "heads",
    "kvHeads",
    "experts",
    "expertsPerToken",
    "activeParamsB",
    "memoryGb",
    "memoryBandwidthTbS",
    "bf16Tflops",
    "interconnectGbS",
    "pricePerGpuHour",
    "calibration",
    "memoryEfficiency",
    "tensorParallel",
    "maxBatch",
    "unknownField",
];

/// The numeric edge values the fuzz targets use too (`fuzz/numbers.dict`): every limit exactly
/// and just past it either side, zeros, subnormals and huge exponents (those JSON can write).
fn edge_values() -> Vec<f64> {
    include_str!("../fuzz/numbers.dict")
        .lines()
        .filter_map(|line| line.strip_prefix('"')?.strip_suffix('"')?.parse::<f64>().ok())
        .filter(|value| value.is_finite())
        .collect()
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(edge_values()).prop_map(|x| json!(x)),
        prop::sample::select(vec![
            0.0,
            -0.0,
            -1.0,
            1.0,
            0.5,
            3.0,
            7.0,
            64.0,
            4096.0,
            4097.0,
            1e9,
            1e15,
            1e300,
            -1e300,
            1e-300,
            2.5e-7,
            9_007_199_254_740_993.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ])
        .prop_map(|x| json!(x)),
        any::<i64>().prop_map(|x| json!(x)),
        prop::sample::select(vec![
            "",
            "Llama-3.1-8B",
            "llama-3.1-70b",
            "Mixtral-8x7B",
            "H100-SXM",
            "L4",
            "b200-sxm",
            "chat",
            "batch",
            "fp8",
            "fp4",
            "int4",
            "ttft",
            "itl",
            "e2e",
            "NaN",
            "Infinity",
            "-1",
            "1e999",
            "\u{0}",
            "😀",
        ])
        .prop_map(|s| json!(s)),
    ]
}

/// JSON trees up to a few levels deep, with the scenario's own keys most of the time.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn base_scenarios() -> Vec<Value> {
    vec![
        json!({ "useCase": "chat", "model": "Llama-3.1-70B", "fleet": { "gpu": "H100-SXM", "count": 8, "pricePerGpuHour": 2.5 },
                "workload": { "promptTokens": { "mean": 1000, "cv": 0.5 }, "outputTokens": 200, "load": { "requestsPerSecond": 3 } },
                "slo": { "metric": "ttft", "percentile": 95, "targetMs": 500 } }),
        json!({ "model": { "paramsB": 30, "experts": 8, "expertsPerToken": 2, "activeParamsB": 9 }, "fleet": { "gpu": "L40S", "count": 2 },
                "workload": { "promptTokens": 300, "outputTokens": { "mean": 100, "cv": 2 }, "load": { "concurrency": 12 } },
                "slo": [{ "metric": "itl", "targetMs": 80 }, { "metric": "e2e", "percentile": 99, "targetMs": 20000 }] }),
        json!({ "useCase": "batch", "model": "Llama-3.1-8B", "fleet": { "gpu": { "memoryGb": 40, "memoryBandwidthTbS": 1.5, "bf16Tflops": 300 }, "count": 1 },
                "workload": { "load": { "offline": true, "requests": 300 } }, "seed": 7 }),
        json!({ "useCase": "rag", "model": "Qwen2.5-72B", "fleet": { "gpu": "MI300X", "count": 4 },
                "workload": { "load": { "requestsPerHour": 3000, "burstiness": 0.25 } }, "precisions": ["bf16", "fp8", "int4"] }),
    ]
}

/// Every leaf path of a JSON tree.
fn paths(value: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let mut path = prefix.clone();
                path.push(key.clone());
                out.push(path.clone());
                paths(child, path, out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                let mut path = prefix.clone();
                path.push(index.to_string());
                out.push(path.clone());
                paths(child, path, out);
            }
        }
        _ => {}
    }
}

fn replace(value: &mut Value, path: &[String], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = value;
    for key in parents {
        current = match current {
            Value::Object(map) => map.get_mut(key).expect("path exists"),
            Value::Array(items) => &mut items[key.parse::<usize>().expect("index")],
            _ => return,
        };
    }
    match current {
        Value::Object(map) => {
            map.insert(last.clone(), new);
        }
        Value::Array(items) => items[last.parse::<usize>().expect("index")] = new,
        _ => {}
    }
}

/// A valid scenario with some fields replaced by arbitrary values.
fn mutated_scenario() -> impl Strategy<Value = Value> {
    (
        0..base_scenarios().len(),
        prop::collection::vec((any::<prop::sample::Index>(), arbitrary_json()), 0..3),
    )
        .prop_map(|(base, mutations)| {
            let mut scenario = base_scenarios()[base].clone();
            for (index, value) in mutations {
                let mut all = Vec::new();
                paths(&scenario, Vec::new(), &mut all);
                if !all.is_empty() {
                    let path = all[index.index(all.len())].clone();
                    replace(&mut scenario, &path, value);
                }
            }
            scenario
        })
}

fn check_summary(name: &str, summary: &Option<Summary>) {
    if let Some(s) = summary {
        for value in [s.mean, s.p50, s.p90, s.p95, s.p99] {
            assert!(value.is_finite() && value >= 0.0, "{name}: {s:?}");
        }
        assert!(
            s.p50 <= s.p90 && s.p90 <= s.p95 && s.p95 <= s.p99,
            "{name} percentiles out of order: {s:?}"
        );
    }
}

fn check_prediction(prediction: &Prediction) {
    for (name, summary) in [
        ("ttft", &prediction.ttft_ms),
        ("tpot", &prediction.tpot_ms),
        ("itl", &prediction.itl_ms),
        ("e2e", &prediction.e2e_ms),
    ] {
        check_summary(name, summary);
    }
    for value in [
        prediction.requests_per_second,
        prediction.output_tokens_per_second,
        prediction.output_tokens_per_second_per_gpu,
        prediction.goodput_requests_per_second,
        prediction.memory.weights_gb_per_gpu,
        prediction.memory.kv_cache_gb_per_gpu,
    ] {
        assert!(value.is_finite() && value >= 0.0, "{value} in {prediction:?}");
    }
    assert!((0.0..=1.0).contains(&prediction.slo_attainment));
    assert!(prediction
        .cost_per_million_output_tokens
        .is_none_or(|c| c.is_finite() && c >= 0.0));
    for check in &prediction.slos {
        assert!(check.achieved_ms.is_none_or(f64::is_finite));
    }
    // The JSON has no NaN or infinity either (serde_json would write them as null).
    let text = serde_json::to_string(prediction).unwrap();
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

fn check_recommendation(recommendation: &Recommendation) {
    check_prediction(&recommendation.prediction);
    assert!(recommendation.latency_slack.is_finite() && recommendation.latency_slack >= 0.0);
    assert!(recommendation.load_pressure.is_none_or(|p| p.is_finite() && p >= 0.0));
    assert!(recommendation.slo_capacity.is_finite() && recommendation.slo_capacity >= 0.0);
    for point in recommendation.candidates.iter() {
        assert!(point.output_tokens_per_second_per_gpu.is_finite());
        assert!(point.latency_ms.is_none_or(f64::is_finite));
    }
    for point in &recommendation.load_curve {
        assert!(
            point.p50_ms <= point.p95_ms && point.p95_ms <= point.p99_ms,
            "{point:?}"
        );
    }
    assert!(!recommendation.summary.is_empty());
}

/// An error names a field (a JSON path) or the whole input, and says something.
fn check_error(error: &inferplan::Error) {
    let field = error.field();
    assert!(
        field.chars().all(|c| c.is_ascii_alphanumeric() || "._[]".contains(c)),
        "field {field:?}"
    );
    assert!(!error.to_string().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_json_is_an_answer_or_a_field_naming_error(value in prop_oneof![arbitrary_json(), mutated_scenario()]) {
        let text = value.to_string();
        match Scenario::from_json(&text) {
            Err(error) => check_error(&error),
            Ok(scenario) => {
                let started = Instant::now();
                match predict(&scenario, &Config::default()) {
                    Ok(prediction) => check_prediction(&prediction),
                    Err(error) => check_error(&error),
                }
                prop_assert!(started.elapsed() < PREDICT_BOUND, "{text} took {:?}", started.elapsed());
            }
        }
    }

    #[test]
    fn any_config_is_an_answer_or_a_field_naming_error(config in arbitrary_json()) {
        let scenario = Scenario::from_json(&base_scenarios()[0].to_string()).unwrap();
        match Config::from_json(&config.to_string()).and_then(|config| predict(&scenario, &config)) {
            Ok(prediction) => check_prediction(&prediction),
            Err(error) => {
                check_error(&error);
                prop_assert!(error.field().starts_with("config"), "{}", error);
            }
        }
    }

    #[test]
    fn mangled_benchmark_files_never_panic(file in 0usize..6, cut in any::<prop::sample::Index>(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4)) {
        let names = [
            "vllm-bench-serve-rate5-detailed.json", "guidellm-constant-rates.json", "guidellm-constant-rates.csv",
            "aiperf-concurrency16-summary.json", "aiperf-concurrency16-summary.csv", "aiperf-concurrency16-records-first100.jsonl",
        ];
        let original = std::fs::read(format!("{}/tests/data/samples/{}", env!("CARGO_MANIFEST_DIR"), names[file])).unwrap();
        let mut bytes = original[..cut.index(original.len() + 1)].to_vec();
        for (index, byte) in flips {
            if !bytes.is_empty() {
                let at = index.index(bytes.len());
                bytes[at] = byte;
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        match import_benchmark(&text, None) {
            Ok(run) => {
                for point in &run.points {
                    for stats in [&point.ttft_ms, &point.tpot_ms, &point.itl_ms, &point.e2e_ms] {
                        for value in [stats.mean, stats.p50, stats.p90, stats.p95, stats.p99].into_iter().flatten() {
                            prop_assert!(value.is_finite() && value >= 0.0);
                        }
                    }
                }
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn arbitrary_text_never_panics_an_importer(text in ".{0,400}", format in prop::option::of(prop::sample::select(inferplan::domain::BenchmarkFormat::ALL.map(|format| format.id()).to_vec()))) {
        if let Err(error) = import_benchmark(&text, format) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}

/// Every numeric leaf of the base scenarios, by path.
fn numeric_paths() -> Vec<(usize, Vec<String>)> {
    base_scenarios()
        .into_iter()
        .enumerate()
        .flat_map(|(base, scenario)| {
            let mut all = Vec::new();
            paths(&scenario, Vec::new(), &mut all);
            all.into_iter()
                .filter(move |path| {
                    let leaf = path.iter().try_fold(&scenario, |value, key| match value {
                        Value::Object(map) => map.get(key),
                        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                        _ => None,
                    });
                    leaf.is_some_and(Value::is_number)
                })
                .map(move |path| (base, path))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    /// Each numeric field at each edge value: an answer in bounded time or an error naming a
    /// field, for `predict` and for `calibrate` (whose measured points carry the same values).
    #[test]
    fn every_numeric_field_at_its_edges_answers_in_bounded_time(
        field in prop::sample::select(numeric_paths()),
        value in prop::sample::select(edge_values()),
        negate in any::<bool>(),
    ) {
        let (base, path) = field;
        let mut scenario = base_scenarios()[base].clone();
        replace(&mut scenario, &path, json!(if negate { -value } else { value }));
        let text = scenario.to_string();
        let started = Instant::now();
        match Scenario::from_json(&text).and_then(|scenario| predict(&scenario, &Config::default())) {
            Ok(prediction) => check_prediction(&prediction),
            Err(error) => check_error(&error),
        }
        prop_assert!(started.elapsed() < PREDICT_BOUND, "{text} took {:?}", started.elapsed());
    }

    /// A measured point with an edge value in any of its numbers.
    #[test]
    fn a_measured_point_at_its_edges_calibrates_in_bounded_time(
        key in prop::sample::select(vec!["completed", "promptTokensMean", "outputTokensMean", "requestsPerSecond", "concurrency", "arrivalCv", "mean", "p95"]),
        value in prop::sample::select(edge_values()),
    ) {
        let sample = std::fs::read_to_string(format!("{}/tests/data/samples/guidellm-constant-rates.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut run = serde_json::to_value(import_benchmark(&sample, None).unwrap()).unwrap();
        let point = &mut run["points"][0];
        match key {
            "requestsPerSecond" | "concurrency" | "arrivalCv" => point["offered"][key] = json!(value),
            "mean" | "p95" => point["ttftMs"][key] = json!(value),
            _ => point[key] = json!(value),
        }
        let text = json!({
            "model": "Llama-3.1-8B", "fleet": { "gpu": "H100-SXM", "count": 1 },
            "workload": { "promptTokens": 200, "outputTokens": 64, "load": { "requestsPerSecond": 5 } },
            "measured": { "config": { "maxBatch": 64 }, "runs": [run] },
        })
        .to_string();
        let started = Instant::now();
        match Scenario::from_json(&text).and_then(|scenario| inferplan::calibrate(&scenario)) {
            Ok(report) => prop_assert!(report.calibration.step_overhead_ms.is_finite() && report.median_abs_error_pct.is_finite()),
            Err(error) => check_error(&error),
        }
        prop_assert!(started.elapsed() < PREDICT_BOUND, "{key} = {value} took {:?}", started.elapsed());
    }
}

proptest! {
    // advise simulates dozens of deployments per case: fewer cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn advise_on_random_valid_scenarios_gives_finite_ordered_answers(
        base in 0..4usize,
        rate in 0.01f64..200.0,
        target in 1.0f64..100_000.0,
        gpus in prop::sample::select(vec![1u32, 2, 4, 8, 16]),
        seed in 0u64..1000,
    ) {
        let mut scenario = base_scenarios()[base].clone();
        scenario["workload"]["load"] = json!({ "requestsPerSecond": rate });
        scenario["slo"] = json!({ "metric": "ttft", "targetMs": target });
        scenario["fleet"]["count"] = json!(gpus);
        scenario["seed"] = json!(seed);
        let scenario = Scenario::from_json(&scenario.to_string()).unwrap();
        match advise(&scenario) {
            Ok(recommendation) => check_recommendation(&recommendation),
            Err(error) => check_error(&error),
        }
    }
}

#[test]
fn deeply_nested_input_is_refused_not_overflowed() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(Scenario::from_json(&deep).is_err());
    assert!(import_benchmark(&deep, None).is_err());
    let deep_object = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    assert!(import_benchmark(&deep_object, None).is_err());
}
