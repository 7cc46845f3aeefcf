//! `make bench`: how fast the simulator and `predict` run, natively on one core. A plain
//! timing harness: each case runs repeatedly and reports the median and fastest wall time.

use inferplan::domain::{Deployment, LengthDistribution, Precision, ServingEngine};
use inferplan::perf::{Calibration, CostModel, MemoryPlan, RooflineEstimate};
use inferplan::scenario::limits::{MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use inferplan::sim::{self, Admission, Arrivals};
use inferplan::{advise, predict, Config, Scenario};
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
        "| {name:<72} | {:>9.2} | {:>10.2} |",
        median.as_secs_f64() * 1e3,
        fastest.as_secs_f64() * 1e3
    );
}

/// The default chat scenario (also benchmarked in wasm by scripts/bench-wasm.mjs).
const CHAT_SCENARIO: &str = include_str!("../examples/chat-scenario.json");

fn main() {
    println!("| {:<72} | median ms | fastest ms |", "case");
    println!("|{}|-----------|------------|", "-".repeat(74));

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
    // The largest input the limits allow, in the costliest shape: the longest prompts and
    // outputs (the simulated-token cap then bounds the work), every precision, a large fleet.
    let largest = Scenario::from_json(
        r#"{ "useCase": "agent", "model": "Llama-3.1-405B", "fleet": { "gpu": "B200-SXM", "count": 4096 },
             "workload": { "promptTokens": { "mean": 1048576, "cv": 10 }, "outputTokens": { "mean": 131072, "cv": 10 },
                           "load": { "requestsPerSecond": 1000000, "burstiness": 0.01 } },
             "precisions": ["bf16", "fp16", "fp8", "int8", "int4", "fp4"],
             "slo": [{ "metric": "ttft", "targetMs": 86400000 }, { "metric": "itl", "percentile": 99.9, "targetMs": 1 }] }"#,
    )
    .expect("valid");
    report(
        "advise, the largest input the limits allow (see the README's limits)",
        time(3, || {
            black_box(advise(&largest).expect("advises"));
        }),
    );
    // advise(): the whole search, verdict and explanation.
    report(
        "advise, default chat scenario (examples/chat-scenario.json)",
        time(11, || {
            black_box(advise(&input).expect("advises"));
        }),
    );
}
