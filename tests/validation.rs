//! Bad input gets an error that names the field and the value, never a panic.

use inferplan::{predict, Config, Error, Scenario};

const SCENARIO: &str = r#"{
    "useCase": "chat",
    "model": "Llama-3.1-70B",
    "fleet": { "gpu": "H100-SXM", "count": 4 },
    "workload": { "promptTokens": 1000, "outputTokens": 200, "load": { "requestsPerSecond": 3 } },
    "slo": { "metric": "ttft", "percentile": 95, "targetMs": 500 }
}"#;

/// The error for SCENARIO with `from` replaced by `to`, as (field, message).
fn error_with(from: &str, to: &str) -> (String, String) {
    let text = SCENARIO.replacen(from, to, 1);
    assert_ne!(text, SCENARIO, "test replaces something");
    let error = Scenario::from_json(&text)
        .and_then(|scenario| predict(&scenario, &Config::default()))
        .expect_err("invalid input is an error");
    (error.field().to_string(), error.to_string())
}

fn config_error(config: &str) -> (String, String) {
    let scenario = Scenario::from_json(SCENARIO).unwrap();
    let error = Config::from_json(config)
        .and_then(|config| predict(&scenario, &config))
        .expect_err("invalid config is an error");
    (error.field().to_string(), error.to_string())
}

#[test]
fn the_reference_scenario_is_valid() {
    let scenario = Scenario::from_json(SCENARIO).unwrap();
    assert!(predict(&scenario, &Config::default()).unwrap().feasible);
}

#[test]
fn negative_gpu_count_says_field_and_value() {
    let (field, message) = error_with("\"count\": 4", "\"count\": -3");
    assert_eq!(field, "fleet.count");
    assert_eq!(message, "fleet.count must be a positive integer (at most 4096), got -3");
}

#[test]
fn fractional_and_zero_counts_are_rejected() {
    assert_eq!(
        error_with("\"count\": 4", "\"count\": 2.5").1,
        "fleet.count must be a positive integer (at most 4096), got 2.5"
    );
    assert_eq!(error_with("\"count\": 4", "\"count\": 0").0, "fleet.count");
}

#[test]
fn zero_and_negative_lengths_are_rejected() {
    let (field, message) = error_with("\"promptTokens\": 1000", "\"promptTokens\": 0");
    assert_eq!(field, "workload.promptTokens");
    assert!(message.ends_with("got 0"), "{message}");
    let (field, _) = error_with("\"outputTokens\": 200", "\"outputTokens\": { \"mean\": -5, \"cv\": 1 }");
    assert_eq!(field, "workload.outputTokens.mean");
    let (field, _) = error_with(
        "\"outputTokens\": 200",
        "\"outputTokens\": { \"mean\": 200, \"cv\": -1 }",
    );
    assert_eq!(field, "workload.outputTokens.cv");
}

#[test]
fn huge_inputs_state_the_limit() {
    let (field, message) = error_with("\"promptTokens\": 1000", "\"promptTokens\": 1e12");
    assert_eq!(field, "workload.promptTokens");
    assert!(message.contains("at most 1048576"), "{message}");
    let (_, message) = error_with("\"count\": 4", "\"count\": 1e9");
    assert!(message.contains("at most 4096"), "{message}");
}

#[test]
fn unknown_ids_list_the_valid_ones() {
    let (field, message) = error_with("\"Llama-3.1-70B\"", "\"Llama-9\"");
    assert_eq!(field, "model");
    assert!(
        message.contains("Llama-3.1-8B") && message.contains("Qwen2.5-72B"),
        "{message}"
    );
    let (field, message) = error_with("\"H100-SXM\"", "\"TPU\"");
    assert_eq!(field, "fleet.gpu");
    assert!(message.contains("B200-SXM"), "{message}");
    let (field, message) = error_with("\"chat\"", "\"poetry\"");
    assert_eq!(field, "useCase");
    assert!(message.contains("summarization"), "{message}");
    let (field, _) = error_with("\"ttft\"", "\"latency\"");
    assert_eq!(field, "slo.metric");
}

#[test]
fn ids_are_case_insensitive() {
    let text = SCENARIO
        .replace("Llama-3.1-70B", "llama-3.1-70b")
        .replace("H100-SXM", "h100-sxm");
    assert!(Scenario::from_json(&text)
        .and_then(|s| predict(&s, &Config::default()))
        .is_ok());
}

#[test]
fn wrong_types_and_unknown_fields_name_their_path() {
    let (field, message) = error_with("\"promptTokens\": 1000", "\"promptTokens\": \"lots\"");
    assert_eq!(field, "workload.promptTokens");
    assert!(message.contains("expected a token count"), "{message}");
    let (field, message) = error_with("\"count\": 4", "\"count\": 4, \"colour\": \"green\"");
    assert_eq!(field, "fleet.colour");
    assert!(message.contains("unknown field `colour`"), "{message}");
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for text in [
        "",
        "{",
        "[1,2]",
        "null",
        "{\"model\": }",
        &SCENARIO[..SCENARIO.len() / 2],
    ] {
        assert!(
            matches!(Scenario::from_json(text), Err(Error::Malformed { .. })),
            "{text:?}"
        );
    }
}

#[test]
fn load_needs_exactly_one_kind() {
    let (field, message) = error_with(
        "{ \"requestsPerSecond\": 3 }",
        "{ \"requestsPerSecond\": 3, \"concurrency\": 8 }",
    );
    assert_eq!(field, "workload.load");
    assert!(message.ends_with("got requestsPerSecond and concurrency"), "{message}");
    let (_, message) = error_with("{ \"requestsPerSecond\": 3 }", "{}");
    assert!(message.ends_with("got none"), "{message}");
    let (field, _) = error_with(
        "{ \"requestsPerSecond\": 3 }",
        "{ \"concurrency\": 8, \"burstiness\": 2 }",
    );
    assert_eq!(field, "workload.load.burstiness");
}

#[test]
fn every_load_kind_is_accepted() {
    for load in [
        r#"{ "requestsPerSecond": 3, "burstiness": 2 }"#,
        r#"{ "requestsPerHour": 10000 }"#,
        r#"{ "concurrency": 32 }"#,
        r#"{ "offline": true, "requests": 500 }"#,
    ] {
        let scenario = Scenario::from_json(&SCENARIO.replace(r#"{ "requestsPerSecond": 3 }"#, load)).unwrap();
        assert!(predict(&scenario, &Config::default()).is_ok(), "{load}");
    }
}

#[test]
fn slo_percentile_must_be_inside_0_100() {
    let (field, message) = error_with("\"percentile\": 95", "\"percentile\": 100");
    assert_eq!(field, "slo.percentile");
    assert!(message.ends_with("got 100"), "{message}");
    let text = SCENARIO.replace(
        r#""slo": { "metric": "ttft", "percentile": 95, "targetMs": 500 }"#,
        r#""slo": [{ "metric": "ttft", "targetMs": 500 }, { "metric": "itl", "targetMs": -1 }]"#,
    );
    let error = Scenario::from_json(&text)
        .and_then(|s| predict(&s, &Config::default()))
        .unwrap_err();
    assert_eq!(error.field(), "slo[1].targetMs");
}

#[test]
fn tensor_parallelism_fits_the_fleet_and_the_heads_and_leaves_the_rest_idle() {
    // 3 does not split Llama-3.1-70B's 64 heads; 8 is more than the 4 GPUs.
    let (field, message) = config_error(r#"{ "tensorParallel": 3 }"#);
    assert_eq!(field, "config.tensorParallel");
    assert_eq!(
        message,
        "config.tensorParallel must be a divisor of the 64 attention heads of Llama-3.1-70B, got 3"
    );
    let (field, _) = config_error(r#"{ "tensorParallel": 8 }"#);
    assert_eq!(field, "config.tensorParallel");
    // On 6 GPUs, tensor parallelism 4 runs one replica and leaves 2 GPUs idle.
    let six = Scenario::from_json(&SCENARIO.replace("\"count\": 4", "\"count\": 6")).unwrap();
    let prediction = predict(&six, &Config::from_json(r#"{ "tensorParallel": 4 }"#).unwrap()).unwrap();
    assert_eq!(
        (prediction.config.replicas, prediction.gpus_used, prediction.gpus_idle),
        (1, 4, 2)
    );
    let (field, message) = config_error(r#"{ "tensorParallel": 2, "replicas": 3 }"#);
    assert_eq!(field, "config.replicas");
    assert!(message.contains("at most 2"), "{message}");
}

#[test]
fn unsupported_precision_names_what_the_gpu_supports() {
    let scenario = Scenario::from_json(&SCENARIO.replace("H100-SXM", "A100-SXM-80GB")).unwrap();
    let error = predict(&scenario, &Config::from_json(r#"{ "precision": "fp8" }"#).unwrap()).unwrap_err();
    assert_eq!(error.field(), "config.precision");
    assert!(error.to_string().contains("bf16, fp16, int8, int4"), "{error}");
    let (field, _) = config_error(r#"{ "precision": "fp9" }"#);
    assert_eq!(field, "config.precision");
}

#[test]
fn custom_model_needs_a_sensible_size() {
    let (field, message) = error_with("\"Llama-3.1-70B\"", "{ \"paramsB\": -1 }");
    assert_eq!(field, "model.paramsB");
    assert!(message.ends_with("got -1"), "{message}");
    let (field, _) = error_with("\"Llama-3.1-70B\"", "{ \"paramsB\": 10, \"experts\": 8 }");
    assert_eq!(field, "model.expertsPerToken");
    let (field, _) = error_with("\"Llama-3.1-70B\"", "{ \"paramsB\": 10, \"activeParamsB\": 2 }");
    assert_eq!(field, "model.activeParamsB");
}

#[test]
fn custom_gpu_figures_are_checked() {
    let (field, message) = error_with(
        "\"H100-SXM\"",
        "{ \"memoryGb\": 80, \"memoryBandwidthTbS\": 0, \"bf16Tflops\": 900 }",
    );
    assert_eq!(field, "fleet.gpu.memoryBandwidthTbS");
    assert!(message.ends_with("got 0"), "{message}");
}

#[test]
fn gap_targets_on_one_token_outputs_are_refused_and_presets_drop_them() {
    // Every output one token: fixed lengths (a plain number would take the chat preset's spread).
    let one_token = SCENARIO.replace("\"outputTokens\": 200", "\"outputTokens\": { \"mean\": 1, \"cv\": 0 }");
    let error = Scenario::from_json(&one_token.replace("\"ttft\"", "\"tpot\""))
        .unwrap()
        .resolve()
        .unwrap_err();
    assert_eq!(error.field(), "slo.metric");
    assert!(error.to_string().ends_with("got tpot"), "{error}");
    // The chat preset (TTFT and TPOT targets) keeps only its TTFT target.
    let preset = one_token.replace(
        ",\n    \"slo\": { \"metric\": \"ttft\", \"percentile\": 95, \"targetMs\": 500 }",
        "",
    );
    assert_ne!(preset, one_token);
    let resolved = Scenario::from_json(&preset).unwrap().resolve().unwrap();
    assert_eq!(resolved.slos.len(), 1);
    assert_eq!(resolved.slos[0].metric, inferplan::domain::Metric::Ttft);
}

#[test]
fn mixture_of_experts_shapes_must_be_consistent() {
    let (field, message) = error_with(
        "\"Llama-3.1-70B\"",
        "{ \"paramsB\": 100, \"experts\": 8, \"expertsPerToken\": 2, \"activeParamsB\": 0.001 }",
    );
    assert_eq!(field, "model.activeParamsB");
    assert!(
        message.contains("at least paramsB x expertsPerToken / experts (25)"),
        "{message}"
    );
    let (field, _) = error_with(
        "\"Llama-3.1-70B\"",
        "{ \"paramsB\": 100, \"experts\": 8, \"expertsPerToken\": 2 }",
    );
    assert_eq!(field, "model.activeParamsB");
}

#[test]
fn burstiness_is_vllms_gamma_shape_within_its_range() {
    for bad in ["0", "-1", "0.001", "2000000"] {
        let (field, message) = error_with(
            r#""requestsPerSecond": 3 }"#,
            &format!(r#""requestsPerSecond": 3, "burstiness": {bad} }}"#),
        );
        assert_eq!(field, "workload.load.burstiness");
        assert_eq!(
            message,
            format!("workload.load.burstiness must be a number from 0.01 to 1000000, got {bad}")
        );
    }
}

#[test]
fn a_number_of_tokens_is_a_mean_that_keeps_the_use_cases_spread() {
    let resolved = |use_case: &str, prompt: &str| {
        let text = SCENARIO
            .replace("\"chat\"", use_case)
            .replace("\"promptTokens\": 1000", &format!("\"promptTokens\": {prompt}"));
        Scenario::from_json(&text).unwrap().resolve().unwrap().prompt_tokens
    };
    // The chat preset's spread (cv 0.5), whatever the mean.
    assert_eq!(resolved("\"chat\"", "2000").cv, 0.5);
    assert_eq!(resolved("\"chat\"", "{ \"mean\": 2000 }").cv, 0.5);
    // A spread given wins; without a preset a number is every request's length.
    assert_eq!(resolved("\"chat\"", "{ \"mean\": 2000, \"cv\": 0 }").cv, 0.0);
    assert_eq!(resolved("\"custom\"", "2000").cv, 0.0);
}

#[test]
fn an_unknown_kv_cache_dtype_lists_the_valid_ones() {
    let (field, message) = config_error(r#"{ "kvCacheDtype": "int4" }"#);
    assert_eq!(field, "config.kvCacheDtype");
    assert_eq!(
        message,
        "config.kvCacheDtype: unknown KV cache dtype \"int4\"; valid KV cache dtypes: auto, bf16, fp8"
    );
}

#[test]
fn tensorrt_llm_is_refused_on_an_amd_gpu_and_never_searched_there() {
    let (field, message) = error_with(
        r#""fleet": { "gpu": "H100-SXM""#,
        r#""engine": "tensorrt-llm", "fleet": { "gpu": "MI300X""#,
    );
    assert_eq!(field, "engine");
    assert!(message.contains("runs on MI300X (vllm, sglang"), "{message}");
    let on_mi300x = Scenario::from_json(&SCENARIO.replacen("H100-SXM", "MI300X", 1)).unwrap();
    let error = predict(
        &on_mi300x,
        &Config::from_json(r#"{ "engine": "tensorrt-llm" }"#).unwrap(),
    )
    .unwrap_err();
    assert_eq!(error.field(), "config.engine");
    let recommendation = inferplan::advise(&on_mi300x).unwrap();
    assert!(!recommendation.candidates.is_empty());
    assert!(
        recommendation
            .candidates
            .iter()
            .all(|c| c.config.engine != inferplan::domain::ServingEngine::TensorrtLlm),
        "{:?}",
        recommendation
            .candidates
            .iter()
            .map(|c| c.config.engine)
            .collect::<Vec<_>>()
    );
}

#[test]
fn too_many_targets_is_an_error_naming_slo() {
    let slos: Vec<String> = (0..17)
        .map(|i| format!(r#"{{ "metric": "itl", "percentile": {}, "targetMs": 100 }}"#, 50 + i))
        .collect();
    let scenario = inferplan::Scenario::from_json(&format!(
        r#"{{ "useCase": "chat", "model": "Llama-3.1-8B", "fleet": {{ "gpu": "H100-SXM", "count": 1 }},
            "workload": {{ "load": {{ "requestsPerSecond": 1 }} }}, "slo": [{}] }}"#,
        slos.join(",")
    ))
    .unwrap();
    let error = inferplan::advise(&scenario).unwrap_err();
    assert_eq!(error.field(), "slo");
    assert!(error.to_string().contains("at most 16 targets"), "{error}");
}
