//! The physics of `predict`, pinned by comparing predictions (ratios and directions), so the
//! tests hold whatever the calibration constants become.

use inferplan::{predict, Config, Prediction, Scenario};

fn scenario(model: &str, gpu: &str, count: u32) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{ "model": {model}, "fleet": {{ "gpu": "{gpu}", "count": {count} }},
             "workload": {{ "promptTokens": 1000, "outputTokens": 200, "load": {{ "requestsPerSecond": 3 }} }} }}"#
    ))
    .unwrap()
}

fn run(scenario: &Scenario, config: &str) -> Prediction {
    predict(scenario, &Config::from_json(config).unwrap()).unwrap()
}

#[test]
fn fp8_halves_weight_bytes() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 4);
    let bf16 = run(&s, r#"{ "tensorParallel": 4, "precision": "bf16" }"#);
    let fp8 = run(&s, r#"{ "tensorParallel": 4, "precision": "fp8" }"#);
    let ratio = fp8.memory.weights_gb_per_gpu / bf16.memory.weights_gb_per_gpu;
    assert!((ratio - 0.5).abs() < 1e-12, "{ratio}");
    assert!(fp8.memory.kv_capacity_tokens > bf16.memory.kv_capacity_tokens);
}

#[test]
fn the_kv_cache_stays_16_bit_with_fp8_weights_unless_set_as_each_engine_does() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 4);
    let bytes = |config: &str| run(&s, config).memory.kv_bytes_per_token_per_gpu;
    let bf16 = bytes(r#"{ "tensorParallel": 4, "precision": "bf16" }"#);
    // vLLM and SGLang: `--kv-cache-dtype auto` is the activation dtype, 16 bits.
    assert_eq!(bytes(r#"{ "tensorParallel": 4, "precision": "fp8" }"#), bf16);
    assert_eq!(
        bytes(r#"{ "tensorParallel": 4, "precision": "fp8", "engine": "sglang" }"#),
        bf16
    );
    assert_eq!(
        bytes(r#"{ "tensorParallel": 4, "precision": "fp8", "kvCacheDtype": "fp8" }"#),
        bf16 / 2.0
    );
    // TensorRT-LLM's FP8 checkpoints carry an FP8 KV cache; auto says so, bf16 overrides.
    let trt = |kv: &str| {
        bytes(&format!(
            r#"{{ "tensorParallel": 4, "precision": "fp8", "engine": "tensorrt-llm", "kvCacheDtype": "{kv}" }}"#
        ))
    };
    assert_eq!(trt("auto"), bf16 / 2.0);
    assert_eq!(trt("bf16"), bf16);
    let fp8_kv = run(
        &s,
        r#"{ "tensorParallel": 4, "precision": "fp8", "kvCacheDtype": "FP8" }"#,
    );
    assert_eq!(fp8_kv.config.kv_cache_dtype, inferplan::domain::KvCacheDtype::Fp8);
}

#[test]
fn weights_that_do_not_fit_are_infeasible_with_the_numbers() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 1);
    let prediction = run(&s, r#"{ "precision": "bf16" }"#);
    assert!(!prediction.feasible);
    assert!(prediction.roofline.is_none());
    let reason = &prediction.reasons[0];
    assert!(
        reason.contains("131.4 GB per GPU") && reason.contains("72.0 GB"),
        "{reason}"
    );
}

#[test]
fn a_dense_128b_model_fits_four_h100s_in_fp8() {
    let s = scenario(r#"{ "paramsB": 128 }"#, "H100-SXM", 4);
    let fp8 = run(&s, r#"{ "tensorParallel": 4, "precision": "fp8" }"#);
    assert!(fp8.feasible, "{:?}", fp8.reasons);
    // 128e9 params x 1 byte / 4 GPUs = 29.8 GiB per GPU.
    assert!((fp8.memory.weights_gb_per_gpu - 128e9 / 4.0 / 1_073_741_824.0).abs() < 1e-9);
    let tp1 = run(&s, r#"{ "tensorParallel": 1, "precision": "fp8" }"#);
    assert!(!tp1.feasible, "128 GB of fp8 weights exceed one 80 GB GPU");
}

#[test]
fn more_tensor_parallelism_lowers_unloaded_latency() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 8);
    let tp4 = run(&s, r#"{ "tensorParallel": 4 }"#).roofline.unwrap();
    let tp8 = run(&s, r#"{ "tensorParallel": 8 }"#).roofline.unwrap();
    assert!(tp8.unloaded_tpot_ms < tp4.unloaded_tpot_ms);
    assert!(tp8.unloaded_ttft_ms < tp4.unloaded_ttft_ms);
}

#[test]
fn slower_links_make_tensor_parallelism_cost_more() {
    let nvlink = run(
        &scenario("\"Llama-3.1-8B\"", "H100-SXM", 4),
        r#"{ "tensorParallel": 4 }"#,
    );
    let pcie = run(
        &scenario("\"Llama-3.1-8B\"", "H100-PCIe", 4),
        r#"{ "tensorParallel": 4 }"#,
    );
    let nvlink_tp1 = run(
        &scenario("\"Llama-3.1-8B\"", "H100-SXM", 4),
        r#"{ "tensorParallel": 1 }"#,
    );
    let pcie_tp1 = run(
        &scenario("\"Llama-3.1-8B\"", "H100-PCIe", 4),
        r#"{ "tensorParallel": 1 }"#,
    );
    let gain = |tp1: &Prediction, tp4: &Prediction| {
        tp1.roofline.as_ref().unwrap().unloaded_ttft_ms / tp4.roofline.as_ref().unwrap().unloaded_ttft_ms
    };
    assert!(gain(&nvlink_tp1, &nvlink) > gain(&pcie_tp1, &pcie));
}

#[test]
fn kv_cache_per_token_follows_gqa_heads_split_by_tensor_parallelism() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 8);
    let tp4 = run(&s, r#"{ "tensorParallel": 4 }"#);
    let tp8 = run(&s, r#"{ "tensorParallel": 8 }"#);
    // 2 (K,V) x 80 layers x 8 KV heads x 128 x 2 bytes = 327,680 bytes per token, split over the group.
    assert_eq!(tp4.memory.kv_bytes_per_token_per_gpu, 327_680.0 / 4.0);
    assert_eq!(tp8.memory.kv_bytes_per_token_per_gpu, 327_680.0 / 8.0);
}

#[test]
fn mixture_of_experts_decodes_faster_than_a_dense_model_of_equal_size() {
    let moe = run(
        &scenario("\"Mixtral-8x7B\"", "H100-SXM", 2),
        r#"{ "tensorParallel": 2 }"#,
    )
    .roofline
    .unwrap();
    let dense = run(
        &scenario(r#"{ "paramsB": 46.7 }"#, "H100-SXM", 2),
        r#"{ "tensorParallel": 2 }"#,
    )
    .roofline
    .unwrap();
    assert!(
        moe.unloaded_tpot_ms < dense.unloaded_tpot_ms * 0.6,
        "{} vs {}",
        moe.unloaded_tpot_ms,
        dense.unloaded_tpot_ms
    );
}

#[test]
fn longer_prompts_take_longer_to_first_token() {
    let short = run(&scenario("\"Llama-3.1-8B\"", "L40S", 1), "{}").roofline.unwrap();
    let long = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "L40S", "count": 1 },
             "workload": { "promptTokens": 16000, "outputTokens": 200, "load": { "requestsPerSecond": 3 } } }"#,
    )
    .unwrap();
    let long = run(&long, "{}").roofline.unwrap();
    assert!(long.unloaded_ttft_ms > 10.0 * short.unloaded_ttft_ms);
}

#[test]
fn replicas_multiply_capacity_not_unloaded_latency() {
    let s = scenario("\"Llama-3.1-8B\"", "H100-SXM", 4);
    let one = run(&s, r#"{ "tensorParallel": 1, "replicas": 1 }"#).roofline.unwrap();
    let four = run(&s, r#"{ "tensorParallel": 1, "replicas": 4 }"#).roofline.unwrap();
    assert!((four.max_output_tokens_per_second / one.max_output_tokens_per_second - 4.0).abs() < 1e-9);
    assert_eq!(four.unloaded_tpot_ms, one.unloaded_tpot_ms);
}

#[test]
fn default_config_is_reported_in_full() {
    let prediction = run(&scenario("\"Llama-3.1-70B\"", "H100-SXM", 8), "{}");
    assert_eq!(prediction.config.tensor_parallel * prediction.config.replicas, 8);
    assert_eq!(prediction.config.max_batch, 256);
    let json = serde_json::to_value(&prediction).unwrap();
    for key in [
        "config",
        "feasible",
        "reasons",
        "ttftMs",
        "tpotMs",
        "itlMs",
        "e2eMs",
        "requestsPerSecond",
        "outputTokensPerSecond",
        "outputTokensPerSecondPerGpu",
        "sloAttainment",
        "goodputRequestsPerSecond",
        "memory",
        "roofline",
        "simulation",
        "calibration",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    for metric in ["ttftMs", "tpotMs", "itlMs", "e2eMs"] {
        for statistic in ["mean", "p50", "p90", "p95", "p99"] {
            assert!(json[metric][statistic].as_f64().unwrap() > 0.0, "{metric}.{statistic}");
        }
    }
    assert!(json["roofline"]["basis"].as_str().unwrap().contains("without queueing"));
}

#[test]
fn no_engine_uses_more_memory_than_the_gpu_has_even_when_the_weights_do_not_fit() {
    let s = scenario("\"Llama-3.1-70B\"", "H100-SXM", 1);
    for engine in ["vllm", "sglang", "tensorrt-llm"] {
        let memory = run(&s, &format!(r#"{{ "engine": "{engine}", "precision": "bf16" }}"#)).memory;
        assert!(!memory.weights_fit, "{engine}");
        assert!(
            memory.usable_gb_per_gpu <= memory.capacity_gb_per_gpu,
            "{engine}: {} GB usable of {} GB",
            memory.usable_gb_per_gpu,
            memory.capacity_gb_per_gpu
        );
    }
}
