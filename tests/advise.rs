//! The product's answer: the verdicts the issue's scenarios must get, and verdicts that move
//! the way physics says when only the load or only the target changes.

use inferplan::{advise, Recommendation, Scenario, Verdict};

fn answer(json: &str) -> Recommendation {
    advise(&Scenario::from_json(json).unwrap()).unwrap()
}

fn chat(requests_per_second: f64, target_ms: f64) -> Recommendation {
    serving("chat", requests_per_second, target_ms)
}

fn serving(use_case: &str, requests_per_second: f64, target_ms: f64) -> Recommendation {
    answer(&format!(
        r#"{{ "useCase": "{use_case}", "model": "Llama-3.1-70B", "fleet": {{ "gpu": "H100-SXM", "count": 8 }},
             "workload": {{ "promptTokens": 1000, "outputTokens": 200, "load": {{ "requestsPerSecond": {requests_per_second} }} }},
             "slo": {{ "metric": "ttft", "percentile": 95, "targetMs": {target_ms} }} }}"#
    ))
}

/// Verdicts from "latency binds" to "load binds".
fn rank(verdict: Verdict) -> u32 {
    match verdict {
        Verdict::InfeasibleLatency => 0,
        Verdict::LatencyFirst => 1,
        Verdict::Balanced => 2,
        Verdict::ThroughputFirst => 3,
        Verdict::InfeasibleCapacity => 4,
    }
}

#[test]
fn a_customer_facing_chatbot_under_500_ms_p95_is_latency_first() {
    let recommendation = chat(2.0, 500.0);
    assert_eq!(
        recommendation.verdict,
        Verdict::LatencyFirst,
        "{}",
        recommendation.summary
    );
    assert!(recommendation.prediction.slos[0].met);
    // 2 requests/s need a quarter of the fleet, and on it p95 TTFT stays under half the
    // target: the fewest GPUs that carry the load, not the whole fleet.
    let gpus = recommendation.prediction.gpus_used;
    assert_eq!(gpus, recommendation.gpus_needed, "{:?}", recommendation.reasons);
    assert!(gpus < 8);
    assert!(
        recommendation
            .reasons
            .iter()
            .any(|r| r.starts_with("The fleet is larger than the load needs:")),
        "{:?}",
        recommendation.reasons
    );
}

#[test]
fn a_summarization_pipeline_of_10000_reports_an_hour_is_throughput_first() {
    let recommendation = answer(
        r#"{ "useCase": "summarization", "model": "Llama-3.1-70B", "fleet": { "gpu": "H100-SXM", "count": 8 },
             "workload": { "load": { "requestsPerHour": 10000 } } }"#,
    );
    assert_eq!(
        recommendation.verdict,
        Verdict::ThroughputFirst,
        "{}",
        recommendation.summary
    );
    assert!(recommendation.gpus_needed <= 8);
    assert!((recommendation.required_load - 10000.0 / 3600.0).abs() < 1e-9);
}

#[test]
fn a_dense_128b_model_on_four_h100s_is_feasible_in_fp8_and_says_whether_bf16_fits() {
    let recommendation = answer(
        r#"{ "useCase": "chat", "model": { "paramsB": 128 }, "fleet": { "gpu": "H100-SXM", "count": 4 },
             "workload": { "promptTokens": 1000, "outputTokens": 200, "load": { "requestsPerSecond": 1 } },
             "slo": { "metric": "ttft", "targetMs": 500 } }"#,
    );
    assert!(!matches!(
        recommendation.verdict,
        Verdict::InfeasibleCapacity | Verdict::InfeasibleLatency
    ));
    assert_eq!(recommendation.config.precision, inferplan::Precision::Fp8);
    let memory = recommendation
        .reasons
        .iter()
        .find(|r| r.starts_with("Memory at TP"))
        .expect("a memory reason");
    assert!(
        memory.contains("bf16 weights take") && memory.contains("fp8 weights take"),
        "{memory}"
    );
    // bf16 needs 128e9 x 2 bytes / 4 GPUs = 59.6 GiB per GPU: it fits the 72 GB usable.
    assert!(memory.contains("59.6 GB per GPU and fit"), "{memory}");
}

#[test]
fn more_load_moves_the_verdict_towards_throughput_then_infeasible_capacity() {
    let verdicts: Vec<Verdict> = [0.5, 5.0, 15.0, 22.0, 200.0]
        .iter()
        .map(|&rate| chat(rate, 1000.0).verdict)
        .collect();
    assert!(verdicts.windows(2).all(|w| rank(w[1]) >= rank(w[0])), "{verdicts:?}");
    assert_eq!(verdicts[0], Verdict::LatencyFirst);
    assert_eq!(*verdicts.last().unwrap(), Verdict::InfeasibleCapacity);
}

#[test]
fn a_tighter_target_moves_the_verdict_towards_latency_then_infeasible_latency() {
    // A use case with no interactive preference, so only the target moves the verdict (a
    // tighter target also lowers the SLO capacity, so capacity may bind on the way).
    let verdicts: Vec<Verdict> = [5000.0, 800.0, 150.0, 60.0, 5.0]
        .iter()
        .map(|&t| serving("custom", 10.0, t).verdict)
        .collect();
    assert!(
        verdicts
            .windows(2)
            .all(|w| rank(w[1]) <= rank(w[0]) || w[1] == Verdict::InfeasibleCapacity),
        "{verdicts:?}"
    );
    assert_eq!(*verdicts.last().unwrap(), Verdict::InfeasibleLatency);
}

#[test]
fn infeasible_latency_says_what_would_fix_it_with_numbers() {
    let recommendation = answer(
        r#"{ "useCase": "chat", "model": "Llama-3.1-70B", "fleet": { "gpu": "A100-SXM-80GB", "count": 2 },
             "workload": { "promptTokens": 8000, "outputTokens": 200, "load": { "requestsPerSecond": 0.2 } },
             "slo": { "metric": "ttft", "targetMs": 400 }, "precisions": ["bf16"] }"#,
    );
    assert_eq!(
        recommendation.verdict,
        Verdict::InfeasibleLatency,
        "{}",
        recommendation.summary
    );
    let reasons = recommendation.reasons.join("\n");
    assert!(reasons.contains("More tensor parallelism: TP4"), "{reasons}");
    assert!(reasons.contains("Shorter prompts: a mean of"), "{reasons}");
    assert!(reasons.contains("Another GPU:"), "{reasons}");
    assert!(recommendation.best_achievable_ms.unwrap() > 400.0);
}

/// The number after `prefix` in the reason that starts with it.
fn number_after(reasons: &[String], prefix: &str) -> Option<f64> {
    let reason = reasons.iter().find(|r| r.starts_with(prefix))?;
    let rest = &reason[prefix.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[test]
fn infeasible_capacity_gives_gpus_needed_and_says_whether_a_relaxed_target_helps() {
    // 60 requests/s is more than 8 H100s complete at any target: the queue grows, so no
    // relaxed target helps, and the fleet's throughput is stated.
    let overloaded = chat(60.0, 500.0);
    assert_eq!(
        overloaded.verdict,
        Verdict::InfeasibleCapacity,
        "{}",
        overloaded.summary
    );
    assert!(overloaded.gpus_needed > 8, "{}", overloaded.gpus_needed);
    assert!(overloaded.load_pressure.unwrap() > 1.0);
    assert!(overloaded.reasons.iter().any(|r| r.starts_with("More GPUs:")));
    assert!(!overloaded.reasons.iter().any(|r| r.starts_with("A relaxed target:")));
    let served = number_after(
        &overloaded.reasons,
        "No relaxed target helps: the fleet completes at most ",
    )
    .unwrap_or_else(|| panic!("{:#?}", overloaded.reasons));
    assert!(served < 60.0, "{served}");

    // 15 requests/s under a 95 ms target: the fleet keeps up, only the target is too tight,
    // so a looser target it meets is offered.
    let tight = chat(15.0, 95.0);
    assert_eq!(tight.verdict, Verdict::InfeasibleCapacity, "{}", tight.summary);
    assert!(!tight.reasons.iter().any(|r| r.starts_with("No relaxed target helps")));
    let relaxed = number_after(&tight.reasons, "A relaxed target: this fleet meets p95 TTFT <= ")
        .unwrap_or_else(|| panic!("{:#?}", tight.reasons));
    assert!(relaxed > 95.0, "{relaxed}");
}

#[test]
fn a_model_that_fits_nowhere_is_infeasible_capacity_with_the_gpus_it_needs() {
    let recommendation = answer(
        r#"{ "useCase": "chat", "model": "Llama-3.1-405B", "fleet": { "gpu": "H100-SXM", "count": 2 },
             "workload": { "load": { "requestsPerSecond": 1 } } }"#,
    );
    assert_eq!(recommendation.verdict, Verdict::InfeasibleCapacity);
    assert_eq!(recommendation.gpus_needed, 8, "{:?}", recommendation.reasons);
    assert!(!recommendation.prediction.feasible);
}

#[test]
fn every_use_case_and_load_kind_gets_an_answer() {
    for use_case in ["chat", "code-completion", "agent", "rag", "summarization", "batch"] {
        for load in [
            r#"{ "requestsPerSecond": 1 }"#,
            r#"{ "requestsPerHour": 3600, "burstiness": 0.5 }"#,
            r#"{ "concurrency": 8 }"#,
            r#"{ "offline": true, "requests": 200 }"#,
        ] {
            let recommendation = answer(&format!(
                r#"{{ "useCase": "{use_case}", "model": "Llama-3.1-8B", "fleet": {{ "gpu": "L40S", "count": 2, "pricePerGpuHour": 1.2 }},
                     "workload": {{ "load": {load} }} }}"#
            ));
            // The summary opens with the verdict, and the reasons give each target with the
            // recommended deployment's figure against it.
            let opening = match recommendation.verdict {
                Verdict::LatencyFirst => "Optimise latency first:",
                Verdict::ThroughputFirst => "Optimise throughput first:",
                Verdict::Balanced => "Balanced:",
                Verdict::InfeasibleLatency => "Infeasible on latency:",
                Verdict::InfeasibleCapacity => "Infeasible on capacity:",
            };
            assert!(
                recommendation.summary.starts_with(opening),
                "{use_case} {load}: {}",
                recommendation.summary
            );
            let reasons = recommendation.reasons.join("\n");
            assert!(reasons.starts_with("Best achievable p"), "{use_case} {load}: {reasons}");
            for check in &recommendation.prediction.slos {
                let ms = check.target_ms;
                let target = if ms < 100.0 {
                    format!("(target {ms:.1} ms)")
                } else if ms < 10_000.0 {
                    format!("(target {ms:.0} ms)")
                } else {
                    "(target ".to_string()
                };
                assert!(reasons.contains(&target), "{use_case} {load}: {target} in {reasons}");
            }
            assert!(recommendation.latency_slack.is_finite() && recommendation.slo_capacity.is_finite());
            assert!(
                recommendation.load_pressure.is_none_or(f64::is_finite),
                "{use_case} {load}"
            );
            for point in &recommendation.candidates {
                assert!(point.output_tokens_per_second_per_gpu.is_finite());
                assert!(point.latency_ms.is_none_or(f64::is_finite));
            }
        }
    }
}

#[test]
fn advise_needs_a_target() {
    let error = advise(
        &Scenario::from_json(
            r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "L4", "count": 1 },
                 "workload": { "promptTokens": 100, "outputTokens": 10, "load": { "concurrency": 2 } } }"#,
        )
        .unwrap(),
    )
    .unwrap_err();
    assert_eq!(error.field(), "slo");
}

#[test]
fn a_capacity_far_below_the_requirement_is_still_found() {
    let recommendation = chat(2000.0, 500.0);
    assert_eq!(recommendation.verdict, Verdict::InfeasibleCapacity);
    assert!(recommendation.slo_capacity > 1.0, "{}", recommendation.slo_capacity);
    assert!(recommendation.gpus_needed > 100, "{}", recommendation.gpus_needed);
}

#[test]
fn no_gpu_count_is_offered_for_a_latency_no_gpu_reaches() {
    let recommendation = answer(
        r#"{ "model": "Llama-3.1-70B", "fleet": { "gpu": "H100-SXM", "count": 8 },
             "workload": { "promptTokens": 1000, "outputTokens": 200, "load": { "offline": true, "requests": 100 } },
             "slo": { "metric": "itl", "targetMs": 0.001 } }"#,
    );
    assert_eq!(recommendation.verdict, Verdict::InfeasibleLatency);
    assert_eq!(recommendation.gpus_needed, 0);
}

#[test]
fn a_relaxed_target_relaxes_every_target_missed_and_only_those() {
    // 70B chat on 4 A100s at 2 requests/s: both of the preset's targets are missed at the load.
    let answer = answer(
        r#"{ "useCase": "chat", "model": "Llama-3.1-70B", "fleet": { "gpu": "A100-SXM-80GB", "count": 4 },
             "workload": { "load": { "requestsPerSecond": 2 } } }"#,
    );
    assert_eq!(answer.verdict, Verdict::InfeasibleCapacity, "{}", answer.summary);
    let reason = answer
        .reasons
        .iter()
        .find(|r| r.starts_with("A relaxed target:"))
        .unwrap_or_else(|| panic!("{:#?}", answer.reasons));
    for check in &answer.prediction.slos {
        let metric = format!("p{} {} <= ", check.percentile, check.metric.id().to_uppercase());
        let relaxed = reason.find(&metric).map(|at| {
            let rest = &reason[at + metric.len()..];
            rest[..rest.find(' ').unwrap()].parse::<f64>().unwrap()
        });
        match relaxed {
            Some(relaxed) => {
                assert!(!check.met && relaxed > check.target_ms, "{reason} for {check:?}")
            }
            None => assert!(check.met, "{reason} leaves out a missed {check:?}"),
        }
    }
    // A100s are latency-bound here: a larger group than the fleet holds needs the fewest GPUs.
    assert!(
        answer.gpus_needed > 4 && answer.gpus_needed <= 16,
        "{}",
        answer.gpus_needed
    );
}

#[test]
fn a_closed_loop_is_judged_in_its_steady_state() {
    // 500 chat users on 2 H100s: every user's first request arrives at once, a burst the
    // capacity search must not mistake for the steady state the full prediction measures.
    let answer = answer(
        r#"{ "useCase": "chat", "model": "Llama-3.1-8B", "fleet": { "gpu": "H100-SXM", "count": 2 },
             "workload": { "load": { "concurrency": 500 } } }"#,
    );
    assert!(answer.prediction.meets_slos(), "{:?}", answer.prediction.slos);
    assert!(answer.slo_capacity >= 500.0, "{}", answer.slo_capacity);
    assert_ne!(answer.verdict, Verdict::InfeasibleCapacity, "{}", answer.summary);
}

#[test]
fn the_reason_for_a_token_budget_matches_its_direction() {
    // 60,000-token prompts under a 3 s TTFT target: a budget above the default prefills them
    // in fewer iterations, and the words must not call that a smaller chunk.
    let answer = answer(
        r#"{ "model": "Llama-3.1-8B", "fleet": { "gpu": "H100-SXM", "count": 2 },
             "slo": { "metric": "ttft", "targetMs": 3000 },
             "workload": { "promptTokens": 60000, "outputTokens": 200, "load": { "requestsPerSecond": 0.2 } } }"#,
    );
    let budget = answer.prediction.config.max_batched_tokens;
    assert!(budget > 8192, "{:?}", answer.prediction.config);
    let run_it = answer
        .reasons
        .iter()
        .find(|r| r.starts_with("Run it on"))
        .unwrap_or_else(|| panic!("{:#?}", answer.reasons));
    assert!(
        run_it.contains(&format!(" {budget} (long prompts prefill in fewer, fuller iterations)")),
        "{run_it}"
    );
    assert!(!run_it.contains("smaller prefill chunks"), "{run_it}");
}
