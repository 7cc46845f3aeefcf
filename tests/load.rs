//! Latency under load: the simulator's answers must move the way a real server's do.
//! Each test compares predictions, so it holds whatever the calibration becomes.

use inferplan::{predict, Config, Prediction, Scenario};

fn chat(load: &str, gpus: u32) -> Scenario {
    Scenario::from_json(&format!(
        r#"{{ "model": "Llama-3.1-70B", "fleet": {{ "gpu": "H100-SXM", "count": {gpus} }},
             "workload": {{ "promptTokens": {{ "mean": 1000, "cv": 0.5 }}, "outputTokens": {{ "mean": 200, "cv": 0.5 }},
                           "load": {load} }},
             "slo": {{ "metric": "ttft", "percentile": 95, "targetMs": 1000 }} }}"#
    ))
    .unwrap()
}

fn at_rate(requests_per_second: f64, gpus: u32, config: &str) -> Prediction {
    let scenario = chat(&format!(r#"{{ "requestsPerSecond": {requests_per_second} }}"#), gpus);
    predict(&scenario, &Config::from_json(config).unwrap()).unwrap()
}

const TP4: &str = r#"{ "tensorParallel": 4 }"#;

/// The saturated throughput of the TP4 deployment, requests/s.
fn capacity() -> f64 {
    at_rate(1.0, 4, TP4).roofline.unwrap().max_requests_per_second
}

#[test]
fn higher_load_never_lowers_p95() {
    let capacity = capacity();
    let mut previous = (0.0, 0.0, 0.0);
    for fraction in [0.05, 0.2, 0.4, 0.6, 0.75, 0.85, 0.95] {
        let prediction = at_rate(capacity * fraction, 4, TP4);
        let p95 = (
            prediction.ttft_ms.unwrap().p95,
            prediction.itl_ms.unwrap().p95,
            prediction.e2e_ms.unwrap().p95,
        );
        assert!(
            p95.0 >= previous.0,
            "TTFT p95 fell at {fraction} of capacity: {p95:?} after {previous:?}"
        );
        assert!(
            p95.1 >= previous.1,
            "ITL p95 fell at {fraction} of capacity: {p95:?} after {previous:?}"
        );
        assert!(
            p95.2 >= previous.2,
            "E2E p95 fell at {fraction} of capacity: {p95:?} after {previous:?}"
        );
        previous = p95;
    }
}

#[test]
fn latency_rises_like_a_hockey_stick_near_capacity() {
    let capacity = capacity();
    let ttft_p95 = |fraction: f64| at_rate(capacity * fraction, 4, TP4).ttft_ms.unwrap().p95;
    let (light, half, heavy) = (ttft_p95(0.1), ttft_p95(0.5), ttft_p95(0.95));
    // Flat at first, then steep: the second half of the load costs far more than the first.
    assert!(heavy - half > 3.0 * (half - light), "{light} {half} {heavy}");
}

#[test]
fn overload_is_infeasible_and_says_so() {
    let prediction = at_rate(capacity() * 1.5, 4, TP4);
    assert!(!prediction.feasible);
    assert!(
        prediction.reasons.iter().any(|r| r.contains("queue grows")),
        "{:?}",
        prediction.reasons
    );
    assert!(prediction.simulation.unwrap().fell_behind);
}

#[test]
fn p95_comes_from_the_distribution_not_a_multiple_of_the_mean() {
    let capacity = capacity();
    let ratio = |fraction: f64| {
        let ttft = at_rate(capacity * fraction, 4, TP4).ttft_ms.unwrap();
        ttft.p95 / ttft.mean
    };
    // Queueing stretches the tail relative to the mean as load grows.
    assert!(
        (ratio(0.1) - ratio(0.9)).abs() > 0.1,
        "{} vs {}",
        ratio(0.1),
        ratio(0.9)
    );
}

#[test]
fn doubling_the_gpus_at_fixed_load_does_not_raise_latency() {
    let rate = capacity() * 0.8;
    let four = at_rate(rate, 4, "{}");
    let eight = at_rate(rate, 8, "{}");
    assert!(eight.gpus_used == 2 * four.gpus_used);
    for (a, b) in [
        (four.ttft_ms.unwrap().p95, eight.ttft_ms.unwrap().p95),
        (four.itl_ms.unwrap().p95, eight.itl_ms.unwrap().p95),
        (four.e2e_ms.unwrap().p95, eight.e2e_ms.unwrap().p95),
    ] {
        assert!(b <= a, "{b} > {a}");
    }
}

#[test]
fn more_tensor_parallelism_lowers_tpot_until_communication_dominates() {
    let tpot = |gpu: &str, tp: u32| {
        let scenario = Scenario::from_json(&format!(
            r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": {gpu}, "count": 8 }},
                 "workload": {{ "promptTokens": 500, "outputTokens": 100, "load": {{ "requestsPerSecond": 0.5 }} }} }}"#
        ))
        .unwrap();
        let config = Config::from_json(&format!(r#"{{ "tensorParallel": {tp}, "replicas": 1 }}"#)).unwrap();
        predict(&scenario, &config).unwrap().tpot_ms.unwrap().p50
    };
    let nvlink: Vec<f64> = [1, 2, 4, 8].iter().map(|&tp| tpot("\"H100-SXM\"", tp)).collect();
    assert!(nvlink.windows(2).all(|w| w[1] < w[0]), "{nvlink:?}");
    // Diminishing returns: the fixed and communication costs do not shrink with the degree.
    assert!(nvlink[0] / nvlink[1] > nvlink[2] / nvlink[3], "{nvlink:?}");
    // Over a slow link (1 GB/s) communication dominates: more parallelism makes it slower.
    let slow_link = r#"{ "memoryGb": 80, "memoryBandwidthTbS": 3.35, "bf16Tflops": 989, "interconnectGbS": 1 }"#;
    let slow: Vec<f64> = [1, 8].iter().map(|&tp| tpot(slow_link, tp)).collect();
    assert!(slow[1] > slow[0], "{slow:?}");
}

#[test]
fn every_load_kind_gives_every_field() {
    for load in [
        r#"{ "requestsPerSecond": 2, "burstiness": 3 }"#,
        r#"{ "requestsPerHour": 20000 }"#,
        r#"{ "concurrency": 16 }"#,
        r#"{ "offline": true, "requests": 300 }"#,
    ] {
        let prediction = predict(&chat(load, 4), &Config::default()).unwrap();
        assert!(prediction.feasible, "{load}: {:?}", prediction.reasons);
        for summary in [
            prediction.ttft_ms,
            prediction.tpot_ms,
            prediction.itl_ms,
            prediction.e2e_ms,
        ] {
            let summary = summary.unwrap();
            assert!(summary.p50 <= summary.p90 && summary.p90 <= summary.p95 && summary.p95 <= summary.p99);
            assert!(summary.mean.is_finite() && summary.mean > 0.0);
        }
        assert!(prediction.output_tokens_per_second > 0.0 && prediction.requests_per_second > 0.0);
        assert!((0.0..=1.0).contains(&prediction.slo_attainment));
    }
}

#[test]
fn burstier_arrivals_lengthen_the_tail() {
    // vLLM's burstiness: the gamma shape of the gaps, lower is burstier.
    let rate = capacity() * 0.6;
    let p95 = |burstiness: f64| {
        let scenario = chat(
            &format!(r#"{{ "requestsPerSecond": {rate}, "burstiness": {burstiness} }}"#),
            4,
        );
        predict(&scenario, &Config::from_json(TP4).unwrap())
            .unwrap()
            .ttft_ms
            .unwrap()
            .p95
    };
    assert!(p95(0.25) > p95(1.0));
    assert!(p95(1.0) > p95(4.0));
}

#[test]
fn closed_loop_throughput_grows_with_users_then_saturates() {
    let throughput = |users: u32| {
        let scenario = chat(&format!(r#"{{ "concurrency": {users} }}"#), 4);
        predict(&scenario, &Config::from_json(TP4).unwrap())
            .unwrap()
            .output_tokens_per_second
    };
    let (few, some, many) = (throughput(2), throughput(32), throughput(512));
    assert!(some > 4.0 * few, "{few} {some}");
    assert!(many / some < 512.0 / 32.0 / 2.0, "{some} {many}");
}

#[test]
fn a_tight_slo_lowers_attainment_and_goodput() {
    let scenario = |target: f64| {
        Scenario::from_json(&format!(
            r#"{{ "model": "Llama-3.1-70B", "fleet": {{ "gpu": "H100-SXM", "count": 4 }},
                 "workload": {{ "promptTokens": 1000, "outputTokens": 200, "load": {{ "requestsPerSecond": 4 }} }},
                 "slo": {{ "metric": "ttft", "targetMs": {target} }} }}"#
        ))
        .unwrap()
    };
    let loose = predict(&scenario(10_000.0), &Config::default()).unwrap();
    let tight = predict(&scenario(1.0), &Config::default()).unwrap();
    assert_eq!(loose.slo_attainment, 1.0);
    assert!(loose.slos[0].met);
    assert_eq!(tight.slo_attainment, 0.0);
    assert!(!tight.slos[0].met);
    assert!(tight.goodput_requests_per_second < loose.goodput_requests_per_second);
}

#[test]
fn another_seed_draws_another_sample() {
    let with_seed = |seed: u32| {
        let text = format!(
            r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "L40S", "count": 2 }}, "seed": {seed},
                 "workload": {{ "promptTokens": {{ "mean": 800, "cv": 1 }}, "outputTokens": {{ "mean": 150, "cv": 1 }},
                               "load": {{ "requestsPerSecond": 3 }} }} }}"#
        );
        serde_json::to_string(&predict(&Scenario::from_json(&text).unwrap(), &Config::default()).unwrap()).unwrap()
    };
    // (That the same seed gives the same answer, bit for bit, natively and in wasm, is
    // tests/determinism.rs with tests/node/determinism.test.mjs.)
    assert_ne!(with_seed(7), with_seed(8));
}

#[test]
fn a_closed_loop_of_one_user_is_not_multiplied_by_idle_replicas() {
    let scenario = |gpus: u32| {
        Scenario::from_json(&format!(
            r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "H100-SXM", "count": {gpus} }},
                 "workload": {{ "promptTokens": 500, "outputTokens": 100, "load": {{ "concurrency": 1 }} }} }}"#
        ))
        .unwrap()
    };
    let tp1 = Config::from_json(r#"{ "tensorParallel": 1 }"#).unwrap();
    let one = predict(&scenario(1), &tp1).unwrap().requests_per_second;
    let eight = predict(&scenario(8), &tp1).unwrap().requests_per_second;
    assert!((eight / one - 1.0).abs() < 0.01, "{one} vs {eight}");
}

#[test]
fn a_closed_loop_never_falls_behind_and_always_measures_throughput() {
    let scenario = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "H200-SXM", "count": 1 },
             "workload": { "promptTokens": 500, "outputTokens": 8000, "load": { "concurrency": 512 } } }"#,
    )
    .unwrap();
    // 64 running sequences of up to 8,500 tokens fit the cache (256 would thrash it).
    let prediction = predict(&scenario, &Config::from_json(r#"{ "maxBatch": 64 }"#).unwrap()).unwrap();
    assert!(prediction.feasible, "{:?}", prediction.reasons);
    assert!(prediction.requests_per_second > 0.0);
}

#[test]
fn an_offline_batch_is_its_requests() {
    let batch = |requests: u32| {
        let scenario = Scenario::from_json(&format!(
            r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "L40S", "count": 1 }},
                 "workload": {{ "promptTokens": 1000, "outputTokens": 200, "load": {{ "offline": true, "requests": {requests} }} }} }}"#
        ))
        .unwrap();
        predict(&scenario, &Config::default()).unwrap().e2e_ms.unwrap().p95
    };
    let (one, ten, thousand) = (batch(1), batch(10), batch(1000));
    assert!(one < ten && ten < thousand, "{one} {ten} {thousand}");
}

#[test]
fn tiny_rates_are_refused_with_the_limit_rather_than_hanging() {
    let error = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "L4", "count": 1 },
             "workload": { "promptTokens": 100, "outputTokens": 10, "load": { "requestsPerSecond": 1e-300, "burstiness": 10 } } }"#,
    )
    .unwrap()
    .resolve()
    .unwrap_err();
    assert_eq!(error.field(), "workload.load.requestsPerSecond");
    assert!(error.to_string().contains("from 0.000001"), "{error}");
}

#[test]
fn long_prompts_far_below_the_roofline_wait_for_the_cache_instead_of_thrashing() {
    // 128K-token prompts on Llama-3.1-8B: one H100's cache holds about three of them, so a
    // fourth admitted is preempted when the others grow. Its prefix stays cached (vLLM V1's
    // prefix caching) and it resumes where it stopped once a request finishes, so at a quarter
    // of the roofline's throughput the first token comes about as fast as alone.
    let scenario = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "H100-SXM", "count": 1 },
             "workload": { "promptTokens": 131072, "outputTokens": 256, "load": { "requestsPerSecond": 0.02 } } }"#,
    )
    .unwrap();
    let prediction = predict(&scenario, &Config::default()).unwrap();
    assert!(prediction.feasible, "{:?}", prediction.reasons);
    let roofline = prediction.roofline.unwrap();
    assert!(roofline.max_requests_per_second > 3.0 * 0.02, "{roofline:?}");
    let simulation = prediction.simulation.unwrap();
    assert!(
        simulation.preemptions * 10 < u64::from(simulation.requests_per_replica),
        "{} preemptions in {} requests",
        simulation.preemptions,
        simulation.requests_per_replica
    );
    let ttft = prediction.ttft_ms.unwrap();
    assert!(
        ttft.p50 < 1.2 * roofline.unloaded_ttft_ms,
        "{} vs {}",
        ttft.p50,
        roofline.unloaded_ttft_ms
    );
}

#[test]
fn a_thrashing_kv_cache_is_reported_and_never_feasible() {
    // 8,000-token answers on one L40S at seven times what it completes: the engine admits more
    // than its cache holds once they have grown, and the preempted requests' cached contexts
    // are evicted by the growing ones before they can resume, so most prefill work is redone.
    let scenario = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "L40S", "count": 1 },
             "workload": { "promptTokens": 1000, "outputTokens": 8000, "load": { "requestsPerSecond": 0.5 } } }"#,
    )
    .unwrap();
    let prediction = predict(&scenario, &Config::from_json(r#"{ "precision": "bf16" }"#).unwrap()).unwrap();
    assert!(!prediction.feasible);
    assert!(
        prediction
            .reasons
            .iter()
            .any(|r| r.starts_with("the KV cache thrashes:")),
        "{:?}",
        prediction.reasons
    );
}

#[test]
fn an_offline_batchs_targets_and_makespan_cover_the_whole_batch() {
    // 100,000 requests: more than one simulation carries, so part is simulated and its waits
    // scaled; the SLO checks must see the same scaled latencies the summaries report.
    let scenario = Scenario::from_json(
        r#"{ "useCase": "batch", "model": "Llama-3.1-70B", "fleet": { "gpu": "H100-SXM", "count": 8 },
             "workload": { "load": { "offline": true, "requests": 100000 } } }"#,
    )
    .unwrap();
    let prediction = predict(&scenario, &Config::default()).unwrap();
    assert!(
        prediction.simulation.as_ref().unwrap().note.is_some(),
        "the batch is simulated in part"
    );
    let e2e = prediction.e2e_ms.unwrap();
    let check = prediction.slos[0];
    assert_eq!(check.achieved_ms, Some(e2e.p95));
    assert!(!check.met, "{check:?}");
    assert!(prediction.slo_attainment < 0.95, "{}", prediction.slo_attainment);
    let batch = prediction.batch.unwrap();
    assert_eq!(batch.requests, 100_000);
    // Every request ends by the time the batch does.
    assert!(
        batch.makespan_s * 1e3 >= e2e.p99 * 0.999,
        "{} s vs p99 {} ms",
        batch.makespan_s,
        e2e.p99
    );
}

#[test]
fn a_closed_loop_never_simulates_more_than_the_documented_requests_per_replica() {
    use inferplan::scenario::limits::MAX_CONCURRENCY;
    for (users, gpus) in [
        (MAX_CONCURRENCY, 1),
        (MAX_CONCURRENCY, 8),
        (MAX_CONCURRENCY - 1, 3),
        (1, 1),
    ] {
        let scenario = Scenario::from_json(&format!(
            r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "H100-SXM", "count": {gpus} }},
                 "workload": {{ "promptTokens": 1, "outputTokens": 1, "load": {{ "concurrency": {users} }} }} }}"#
        ))
        .unwrap();
        let prediction = predict(&scenario, &Config::from_json(r#"{ "tensorParallel": 1 }"#).unwrap()).unwrap();
        let simulated = prediction.simulation.unwrap().requests_per_replica;
        assert!(simulated <= 100_000, "{users} users on {gpus} GPUs: {simulated}");
    }
    let too_many = Scenario::from_json(&format!(
        r#"{{ "model": "Llama-3.1-8B", "fleet": {{ "gpu": "H100-SXM", "count": 1 }},
             "workload": {{ "promptTokens": 1, "outputTokens": 1, "load": {{ "concurrency": {} }} }} }}"#,
        MAX_CONCURRENCY + 1
    ))
    .unwrap();
    let error = predict(&too_many, &Config::default()).unwrap_err();
    assert_eq!(error.field(), "workload.load.concurrency");
    assert!(error.to_string().contains("25000"), "{error}");
}

#[test]
fn a_search_past_the_work_budget_is_an_error_naming_the_workload() {
    // 25,000 users of million-token prompts on one GPU: every candidate's simulation runs to
    // its bounds, and the search stops when the call's budget is spent.
    let scenario = Scenario::from_json(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "B200-SXM", "count": 1 },
             "workload": { "promptTokens": { "mean": 1048576, "cv": 10 }, "outputTokens": { "mean": 131072, "cv": 10 },
                           "load": { "concurrency": 25000 } },
             "precisions": ["bf16", "fp8", "fp4"], "slo": { "metric": "ttft", "targetMs": 86400000 } }"#,
    )
    .unwrap();
    let error = inferplan::advise(&scenario).unwrap_err();
    assert_eq!(error.field(), "workload");
    assert!(
        error.to_string().contains("within the 12000000 steps of simulation"),
        "{error}"
    );
}
