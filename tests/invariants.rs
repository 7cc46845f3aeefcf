//! What an inference engineer checks first, as properties over random scenarios: more GPUs
//! never lower the SLO capacity; a looser target never makes the answer more infeasible nor
//! the capacity lower; more load never lowers a percentile; longer prompts never shorten the
//! time to first token; a GPU at least as fast on every datasheet figure is never slower; and
//! the verdict and the summary always agree with the recommended deployment's own predicted SLOs
//! and their error bands.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::config;
use inferplan::predict::SloStatus;
use inferplan::stats::Summary;
use inferplan::{advise, predict, Config, Prediction, Recommendation, Scenario, Verdict};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Scenarios small enough to advise many times: models and GPUs whose searches are short.
fn scenario_strategy() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["Llama-3.1-8B", "Mixtral-8x7B", "Llama-3.1-70B"]),
        prop::sample::select(vec!["H100-SXM", "L40S", "A100-SXM-80GB"]),
        1u32..=4,
        prop::sample::select(vec!["chat", "rag", "summarization", "code-completion"]),
        0.2f64..8.0,
        0u64..1000,
    )
        .prop_map(|(model, gpu, count, use_case, rps, seed)| {
            json!({
                "useCase": use_case, "model": model, "fleet": { "gpu": gpu, "count": count },
                "workload": { "load": { "requestsPerSecond": (rps * 100.0).round() / 100.0 } },
                "engine": "vllm", "precisions": [if gpu == "A100-SXM-80GB" { "bf16" } else { "fp8" }], "seed": seed,
            })
        })
}

fn advise_json(value: &Value) -> Option<Recommendation> {
    advise(&Scenario::from_json(&value.to_string()).ok()?).ok()
}

/// Verdicts from "met" to "not met": feasible ones first.
fn infeasibility(verdict: Verdict) -> u32 {
    match verdict {
        Verdict::LatencyFirst | Verdict::Balanced | Verdict::ThroughputFirst => 0,
        Verdict::InfeasibleCapacity => 1,
        Verdict::InfeasibleLatency => 2,
    }
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn more_gpus_never_lower_the_slo_capacity(scenario in scenario_strategy(), extra in 1u32..=4) {
        let Some(fewer) = advise_json(&scenario) else { return Ok(()) };
        let mut more_gpus = scenario.clone();
        more_gpus["fleet"]["count"] = json!(scenario["fleet"]["count"].as_u64().unwrap() as u32 + extra);
        let more = advise_json(&more_gpus).unwrap();
        prop_assert!(more.slo_capacity >= fewer.slo_capacity, "{} GPUs more: {} < {}", extra, more.slo_capacity, fewer.slo_capacity);
        prop_assert!(infeasibility(more.verdict) <= infeasibility(fewer.verdict), "{:?} -> {:?}", fewer.verdict, more.verdict);
    }

    #[test]
    fn a_looser_target_is_never_more_infeasible_nor_carries_less(scenario in scenario_strategy(), looser in 1.1f64..4.0) {
        let mut tight = scenario.clone();
        tight["slo"] = json!({ "metric": "ttft", "percentile": 95, "targetMs": 400 });
        let mut loose = scenario.clone();
        loose["slo"] = json!({ "metric": "ttft", "percentile": 95, "targetMs": 400.0 * looser });
        let (Some(tight), Some(loose)) = (advise_json(&tight), advise_json(&loose)) else { return Ok(()) };
        prop_assert!(loose.slo_capacity >= tight.slo_capacity, "{} < {}", loose.slo_capacity, tight.slo_capacity);
        prop_assert!(infeasibility(loose.verdict) <= infeasibility(tight.verdict), "{:?} -> {:?}", tight.verdict, loose.verdict);
    }

    #[test]
    fn the_verdict_agrees_with_the_predicted_slos(scenario in scenario_strategy()) {
        let Some(answer) = advise_json(&scenario) else { return Ok(()) };
        let met = answer.prediction.slos.iter().all(|check| check.met) && answer.prediction.feasible;
        match answer.verdict {
            Verdict::LatencyFirst | Verdict::Balanced | Verdict::ThroughputFirst => {
                prop_assert!(met, "{:?}: {:?}", answer.verdict, answer.prediction.slos);
                // No contradiction in the words: the summary's GPU count is the deployment's.
                let on = inferplan::advise::gpus_of_the_fleet(answer.prediction.gpus_used, answer.prediction.gpus_used + answer.prediction.gpus_idle);
                prop_assert!(answer.summary.contains(&on), "{} / {}", answer.summary, on);
                // A target inside its error band is flagged in the summary, and only then.
                let at_risk = answer.prediction.slos.iter().any(|check| check.status == SloStatus::AtRisk);
                prop_assert_eq!(answer.summary.contains("At risk"), at_risk, "{}: {:?}", answer.summary, answer.prediction.slos);
            }
            Verdict::InfeasibleCapacity => {
                prop_assert!(
                    !met || answer.load_pressure.is_none_or(|p| p > 1.0),
                    "infeasible-capacity yet met at pressure {:?}", answer.load_pressure
                );
                // The GPUs that would carry the load are more than the fleet that does not.
                let fleet = answer.prediction.gpus_used + answer.prediction.gpus_idle;
                prop_assert!(answer.gpus_needed == 0 || answer.gpus_needed > fleet, "{} needed of {}", answer.gpus_needed, fleet);
            }
            Verdict::InfeasibleLatency => prop_assert!(answer.latency_slack < 1.0),
        }
        // The reasons quote the recommendation's own percentiles and their bands, to the figure.
        for check in &answer.prediction.slos {
            if let Some(achieved) = check.achieved_ms {
                let band = format!("±{:.0}%", answer.prediction.error_band.for_metric(check.metric) * 100.0);
                prop_assert!(answer.reasons.iter().any(|r| r.contains(&band)), "{} not in {:?}", band, answer.reasons);
                let shown = if achieved < 100.0 { format!("{achieved:.1} ms") } else if achieved < 10_000.0 { format!("{achieved:.0} ms") } else { continue };
                prop_assert!(answer.reasons.iter().any(|r| r.contains(&shown)), "{} not in {:?}", shown, answer.reasons);
            }
        }
    }
}

/// A fixed deployment of `model` on `gpu` at `rps`, its lengths `prompt` and `output` tokens.
fn fixed(gpu: Value, rps: f64, prompt: f64, seed: u64) -> Scenario {
    Scenario::from_json(
        &json!({
            "model": "Llama-3.1-8B", "fleet": { "gpu": gpu, "count": 1 }, "seed": seed,
            "workload": { "promptTokens": { "mean": prompt, "cv": 0.5 }, "outputTokens": { "mean": 200, "cv": 0.5 },
                          "load": { "requestsPerSecond": rps } },
        })
        .to_string(),
    )
    .unwrap()
}

/// A percentile as simulated, with how far sampling alone may move it, ms. The runs compared
/// share their random numbers (same seed), but a small change in load, length or speed
/// regroups the batches, so near idle an estimate can dip against the trend; a real inversion
/// (a scheduler or cost-model bug) lies outside that band.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    ms: f64,
    noise_ms: f64,
}

impl Estimate {
    /// The `quantile`'s estimate from `n` samples. Its noise is the 95% half-width of the rank
    /// (1.96 sqrt(q (1 - q) / n) of quantile, the binomial spread of the count below it) times
    /// how fast the distribution rises there, read off the neighbouring percentiles `from_ms`
    /// and `to_ms`, `span` of quantile apart.
    fn new(ms: f64, quantile: f64, n: u32, (from_ms, to_ms, span): (f64, f64, f64)) -> Estimate {
        let rank_half_width = 1.96 * (quantile * (1.0 - quantile) / f64::from(n)).sqrt();
        Estimate {
            ms,
            noise_ms: rank_half_width * (to_ms - from_ms) / span,
        }
    }

    fn p95(prediction: &Prediction, pick: impl Fn(&Prediction) -> Option<Summary>) -> Estimate {
        let s = pick(prediction).unwrap();
        Estimate::new(s.p95, 0.95, measured(prediction), (s.p90, s.p99, 0.09))
    }

    fn p50(prediction: &Prediction, pick: impl Fn(&Prediction) -> Option<Summary>) -> Estimate {
        let s = pick(prediction).unwrap();
        Estimate::new(s.p50, 0.5, measured(prediction), (s.p50, s.p90, 0.4))
    }

    /// Not below `lower` beyond the sampling noise of either.
    fn not_below(self, lower: Estimate) -> bool {
        self.ms >= lower.ms - self.noise_ms.max(lower.noise_ms)
    }
}

fn measured(prediction: &Prediction) -> u32 {
    prediction.simulation.as_ref().unwrap().measured_requests
}

fn custom_gpu(scale: [f64; 4]) -> Value {
    json!({ "memoryGb": 48.0 * scale[0], "memoryBandwidthTbS": 1.0 * scale[1], "bf16Tflops": 300.0 * scale[2],
            "fp8Tflops": 600.0 * scale[2], "interconnectGbS": 64.0 * scale[3] })
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn more_load_never_lowers_p95(rps in 0.2f64..6.0, more in 1.05f64..2.0, seed in 0u64..1000) {
        let p95 = |rps: f64| {
            let prediction = predict(&fixed(json!("H100-SXM"), rps, 1000.0, seed), &Config::default()).unwrap();
            (Estimate::p95(&prediction, |p| p.ttft_ms), Estimate::p95(&prediction, |p| p.e2e_ms))
        };
        let (low, high) = (p95(rps), p95(rps * more));
        prop_assert!(high.0.not_below(low.0) && high.1.not_below(low.1), "{:?} at {} vs {:?} at {}", low, rps, high, rps * more);
    }

    #[test]
    fn longer_prompts_never_shorten_the_time_to_first_token(prompt in 100f64..4000.0, longer in 1.05f64..3.0, seed in 0u64..1000) {
        let ttft = |prompt: f64| {
            let prediction = predict(&fixed(json!("H100-SXM"), 1.0, prompt, seed), &Config::default()).unwrap();
            (Estimate::p50(&prediction, |p| p.ttft_ms), Estimate::p95(&prediction, |p| p.ttft_ms))
        };
        let (short, long) = (ttft(prompt), ttft(prompt * longer));
        prop_assert!(long.0.not_below(short.0) && long.1.not_below(short.1), "{:?} vs {:?}", short, long);
    }

    #[test]
    fn a_gpu_at_least_as_fast_on_every_figure_is_never_slower(
        faster in prop::array::uniform4(1.0f64..2.0), rps in 0.2f64..3.0, seed in 0u64..1000,
    ) {
        let latencies = |gpu: Value| {
            let prediction = predict(&fixed(gpu, rps, 1000.0, seed), &Config::from_json(r#"{ "precision": "fp8" }"#).unwrap()).unwrap();
            (Estimate::p95(&prediction, |p| p.ttft_ms), Estimate::p95(&prediction, |p| p.tpot_ms), Estimate::p95(&prediction, |p| p.e2e_ms))
        };
        let (base, fast) = (latencies(custom_gpu([1.0; 4])), latencies(custom_gpu(faster)));
        prop_assert!(base.0.not_below(fast.0) && base.1.not_below(fast.1) && base.2.not_below(fast.2), "{:?} vs {:?} for {:?}", base, fast, faster);
    }
}
