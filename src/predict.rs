//! One fixed deployment under the scenario's load: does it fit, how fast is it at the tail, how
//! much does it serve. Composes the memory plan and iteration cost of `perf` with the
//! continuous-batching simulator of `sim`, and summarises with `stats`.

use crate::perf::{Calibration, CostModel, MemoryPlan, RooflineEstimate};
use crate::scenario::{self, Config, Deployment, LoadKind, Metric, Resolved, Scenario, SloTarget};
use crate::sim::{self, Admission, Arrivals, RequestLatency};
use crate::stats::{percentile_of_sorted, weighted_percentile_of_sorted, weighted_summary, Summary};
use crate::Result;
use serde::Serialize;

/// Requests simulated per replica for an online load: 2,000 measured between the warm-up and
/// cool-down tenths. Enough for a p99 from 20 requests above it.
pub const ONLINE_SIMULATED_REQUESTS: u32 = 2500;
/// Closed loops simulate this many requests per user when the output-token cap allows.
pub const REQUESTS_PER_CLOSED_LOOP_USER: u32 = 20;
/// ... and at least this many, whatever the cap: warm-up and cool-down need whole cycles.
pub const MIN_REQUESTS_PER_CLOSED_LOOP_USER: u32 = 4;
/// Output tokens one simulation may generate; fewer requests are simulated when the outputs
/// are long. Keeps every prediction bounded in time and memory.
pub const MAX_SIMULATED_OUTPUT_TOKENS: f64 = 2_000_000.0;
/// Fewest requests a simulation keeps, however long the outputs.
pub const MIN_SIMULATED_REQUESTS: u32 = 100;
/// Most requests a simulation runs.
pub const MAX_SIMULATED_REQUESTS: u32 = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// The deployment evaluated, defaults filled in.
    pub config: Deployment,
    pub gpus_used: u32,
    /// Fits in memory and keeps up with the offered load.
    pub feasible: bool,
    /// Why not, each with its numbers; empty when feasible.
    pub reasons: Vec<String>,
    /// Latency distributions of the simulated requests, ms (`null` when nothing could run).
    pub ttft_ms: Option<Summary>,
    pub tpot_ms: Option<Summary>,
    /// Every gap between streamed tokens, weighted by token.
    pub itl_ms: Option<Summary>,
    pub e2e_ms: Option<Summary>,
    pub requests_per_second: f64,
    pub output_tokens_per_second: f64,
    pub output_tokens_per_second_per_gpu: f64,
    /// Fraction of requests that met every SLO (1 when there is none).
    pub slo_attainment: f64,
    pub goodput_requests_per_second: f64,
    /// Each SLO: the achieved percentile against its target.
    pub slos: Vec<SloCheck>,
    pub memory: MemoryPlan,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_per_million_output_tokens: Option<f64>,
    /// Closed-form bounds without queueing (present when the weights fit).
    pub roofline: Option<RooflineEstimate>,
    /// How the latencies were obtained.
    pub simulation: Option<SimulationReport>,
    /// The factors the cost model used, and where they come from.
    pub calibration: Calibration,
    pub calibration_source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SloCheck {
    pub metric: Metric,
    pub percentile: f64,
    pub target_ms: f64,
    /// The simulated value at that percentile.
    pub achieved_ms: Option<f64>,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationReport {
    pub method: &'static str,
    /// Requests simulated per replica, and how many of them the statistics use.
    pub requests_per_replica: u32,
    pub measured_requests: u32,
    pub iterations: u64,
    pub preemptions: u64,
    /// Requests longer than the KV cache, which the engine refuses.
    pub rejected_requests: u64,
    /// The queue grew during the run: the load exceeds what the deployment serves.
    pub fell_behind: bool,
    pub seed: u64,
    /// What the simulation left out, when it had to (an offline batch larger than the cap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const SIMULATION_METHOD: &str = "discrete-event simulation of continuous batching per replica (load split \
    evenly); percentiles are linear-interpolated (numpy's default) over the simulated requests, \
    warm-up and cool-down tenths excluded";

/// Evaluates `config` for `scenario`.
pub fn predict(scenario: &Scenario, config: &Config) -> Result<Prediction> {
    let scenario = scenario.resolve()?;
    let deployment = config.resolve(&scenario, |degrees, template| {
        default_tensor_parallel(&scenario, degrees, template)
    })?;
    Ok(predict_resolved(&scenario, &deployment))
}

/// The tensor-parallel degree used when a config does not give one: the smallest at which the
/// KV cache holds a full batch of requests (`maxBatch` x (prompt + output) tokens), else the
/// smallest at which the weights fit, else the largest valid degree.
pub(crate) fn default_tensor_parallel(scenario: &Resolved, degrees: &[u32], template: &Deployment) -> u32 {
    let full_batch_tokens = f64::from(template.max_batch) * (scenario.prompt_tokens.mean + scenario.output_tokens.mean);
    let plans: Vec<(u32, MemoryPlan)> = degrees
        .iter()
        .map(|&tensor_parallel| {
            let candidate = Deployment {
                tensor_parallel,
                ..*template
            };
            (
                tensor_parallel,
                MemoryPlan::new(&scenario.model, &scenario.gpu, &candidate),
            )
        })
        .collect();
    let roomy = plans
        .iter()
        .find(|(_, plan)| plan.weights_fit && plan.kv_capacity_tokens as f64 >= full_batch_tokens);
    let fitting = plans.iter().find(|(_, plan)| plan.weights_fit);
    roomy
        .or(fitting)
        .or(plans.last())
        .map_or(1, |(tensor_parallel, _)| *tensor_parallel)
}

/// Evaluates a checked deployment.
pub fn predict_resolved(scenario: &Resolved, deployment: &Deployment) -> Prediction {
    predict_resolved_with(scenario, deployment, None)
}

/// Evaluates a checked deployment, simulating `requests_per_replica` requests for an online
/// load instead of the default: a screening run for the advisor's search, which also leaves
/// out the inter-token-latency summary unless an SLO bounds ITL.
pub fn predict_resolved_with(
    scenario: &Resolved,
    deployment: &Deployment,
    requests_per_replica: Option<u32>,
) -> Prediction {
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, deployment);
    let calibration = scenario.calibration();
    let mut prediction = Prediction {
        config: *deployment,
        gpus_used: deployment.gpus(),
        feasible: false,
        reasons: Vec::new(),
        ttft_ms: None,
        tpot_ms: None,
        itl_ms: None,
        e2e_ms: None,
        requests_per_second: 0.0,
        output_tokens_per_second: 0.0,
        output_tokens_per_second_per_gpu: 0.0,
        slo_attainment: 0.0,
        goodput_requests_per_second: 0.0,
        slos: Vec::new(),
        memory,
        cost_per_million_output_tokens: None,
        roofline: None,
        simulation: None,
        calibration,
        calibration_source: scenario.calibration_source(),
    };
    if !memory.weights_fit {
        prediction.reasons.push(format!(
            "the weights need {:.1} GB per GPU in {} at tensor parallelism {}, plus a {:.1} GB reserve, \
             but only {:.1} GB of the {}'s {:.0} GB are usable",
            memory.weights_gb_per_gpu,
            deployment.precision,
            deployment.tensor_parallel,
            memory.reserve_gb_per_gpu,
            memory.usable_gb_per_gpu,
            scenario.gpu.id,
            memory.capacity_gb_per_gpu,
        ));
        prediction.slos = slo_checks(scenario, None);
        return prediction;
    }
    let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, calibration);
    let prompt = scenario.prompt_tokens.mean;
    let output = scenario.output_tokens.mean;
    prediction.roofline = Some(RooflineEstimate::new(&cost, &memory, deployment, prompt, output));
    if (memory.kv_capacity_tokens as f64) < prompt + output {
        prediction.reasons.push(format!(
            "the KV cache holds {} tokens per replica, fewer than one average request's {:.0} (prompt + output)",
            memory.kv_capacity_tokens,
            prompt + output
        ));
    }

    let replicas = deployment.replicas;
    let (arrivals, requests, replica_scale) = replica_load(scenario, replicas);
    let requests = match (arrivals, requests_per_replica) {
        (Arrivals::Offline, _) | (_, None) => requests,
        (_, Some(wanted)) => wanted.clamp(MIN_SIMULATED_REQUESTS, requests.max(MIN_SIMULATED_REQUESTS)),
    };
    let workload = sim::Workload {
        arrivals,
        prompt_tokens: scenario.prompt_tokens,
        output_tokens: scenario.output_tokens,
        requests,
        warm_up_fraction: sim::WARM_UP_FRACTION,
        seed: scenario.seed,
    };
    let settings = sim::Settings {
        max_batch: deployment.max_batch,
        max_batched_tokens: deployment.max_batched_tokens,
        kv_capacity_tokens: memory.kv_capacity_tokens,
        admission: Admission::for_engine(deployment.engine),
    };
    let limits = (scenario::MAX_PROMPT_TOKENS as u32, scenario::MAX_OUTPUT_TOKENS as u32);
    let mut outcome = sim::simulate(&settings, &workload, limits, |batch| cost.step_time_s(batch));

    prediction.requests_per_second = outcome.requests_per_second() * replica_scale;
    prediction.output_tokens_per_second = outcome.output_tokens_per_second() * replica_scale;
    prediction.output_tokens_per_second_per_gpu = prediction.output_tokens_per_second / f64::from(deployment.gpus());
    let latencies = Latencies::of(&outcome.measured);
    // A capped offline batch: its queue drains at a steady rate, so waiting times (TTFT and
    // end-to-end) grow in proportion to the requests in it.
    let batch_scale = match scenario.load {
        LoadKind::Offline { requests: wanted } => f64::from(wanted.div_ceil(replicas)) / f64::from(requests.max(1)),
        _ => 1.0,
    };
    prediction.ttft_ms = Summary::of_sorted(&latencies.ttft_ms).map(|s| s.scaled(batch_scale));
    prediction.tpot_ms = Summary::of_sorted(&latencies.tpot_ms);
    prediction.e2e_ms = Summary::of_sorted(&latencies.e2e_ms).map(|s| s.scaled(batch_scale));
    // Every token gap is a sample: sorting them is the costliest summary, so a screening run
    // skips it unless an SLO needs it.
    let itl_needed = requests_per_replica.is_none() || scenario.slos.iter().any(|slo| slo.metric == Metric::Itl);
    let mut gaps_ms: Vec<(f64, u32)> = if itl_needed {
        outcome
            .trace
            .inter_token_gaps
            .iter()
            .map(|&(s, n)| (s * 1e3, n))
            .collect()
    } else {
        Vec::new()
    };
    prediction.itl_ms = weighted_summary(&mut gaps_ms);
    prediction.slos = slo_checks(scenario, Some((&latencies, &gaps_ms)));
    prediction.slo_attainment = slo_attainment(&scenario.slos, &outcome.measured);
    prediction.goodput_requests_per_second = prediction.requests_per_second * prediction.slo_attainment;
    if let Some(price) = scenario.price_per_gpu_hour {
        if prediction.output_tokens_per_second > 0.0 {
            prediction.cost_per_million_output_tokens =
                Some(price * f64::from(deployment.gpus()) / 3600.0 / prediction.output_tokens_per_second * 1e6);
        }
    }

    // A closed loop's queue is bounded by its users; only an open loop can fall behind.
    let fell_behind = matches!(scenario.load, LoadKind::Open { .. }) && outcome.fell_behind();
    let trace = std::mem::take(&mut outcome.trace);
    if fell_behind {
        let offered = match scenario.load {
            LoadKind::Open {
                requests_per_second, ..
            } => format!("the offered {requests_per_second:.3} requests/s"),
            _ => "the offered load".to_string(),
        };
        prediction.reasons.push(format!(
            "{offered} exceeds what this deployment completes ({:.3} requests/s): the queue grows \
             without bound, so latencies depend on how long the overload lasts",
            prediction.requests_per_second
        ));
    }
    if trace.rejected > 0 {
        prediction.reasons.push(format!(
            "{} of {} simulated requests per replica are longer than the KV cache ({} tokens) and would be refused",
            trace.rejected, requests, memory.kv_capacity_tokens
        ));
    }
    if trace.truncated {
        prediction.reasons.push(format!(
            "the simulation stopped at its bound of {} engine iterations before every request finished; \
             the latencies cover the requests that did",
            sim::MAX_ITERATIONS
        ));
    }
    if outcome.measured.is_empty() && prediction.reasons.is_empty() {
        prediction.reasons.push("no simulated request completed".to_string());
    }
    prediction.feasible = prediction.reasons.is_empty();
    prediction.simulation = Some(SimulationReport {
        method: SIMULATION_METHOD,
        requests_per_replica: requests,
        measured_requests: outcome.measured.len() as u32,
        iterations: trace.iterations,
        preemptions: trace.preemptions,
        rejected_requests: trace.rejected,
        fell_behind,
        seed: scenario.seed,
        note: (batch_scale > 1.0).then(|| {
            format!(
                "simulated {requests} of the batch's {} requests per replica (the output-token cap); \
                 TTFT and end-to-end latencies are scaled by {batch_scale:.2} to the whole batch",
                (requests as f64 * batch_scale).round()
            )
        }),
    });
    prediction
}

/// The load one replica sees (the scenario's split evenly) and how many requests to simulate.
/// The load one replica sees (the scenario's split evenly), how many requests to simulate,
/// and how many replicas' worth of load that simulation stands for (fewer than the replicas
/// when a closed loop's users do not fill them all).
fn replica_load(scenario: &Resolved, replicas: u32) -> (Arrivals, u32, f64) {
    // The output-token cap bounds time and memory; it wins over the minimum request count.
    let affordable = ((MAX_SIMULATED_OUTPUT_TOKENS / scenario.output_tokens.mean) as u32).max(1);
    let bounded = |wanted: u32| {
        wanted
            .max(MIN_SIMULATED_REQUESTS)
            .min(affordable)
            .min(MAX_SIMULATED_REQUESTS)
    };
    match scenario.load {
        LoadKind::Open {
            requests_per_second,
            burstiness,
        } => (
            Arrivals::Open {
                requests_per_second: requests_per_second / f64::from(replicas),
                burstiness,
            },
            bounded(ONLINE_SIMULATED_REQUESTS),
            f64::from(replicas),
        ),
        LoadKind::Closed { concurrency } => {
            // Users are spread over replicas; the simulated one gets the largest share, and the
            // throughput scales by the users in all over the users it simulated.
            let users = concurrency.div_ceil(replicas);
            // Every user cycles several times, whatever the token cap.
            let requests = bounded(ONLINE_SIMULATED_REQUESTS.max(users.saturating_mul(REQUESTS_PER_CLOSED_LOOP_USER)))
                .max(users.saturating_mul(MIN_REQUESTS_PER_CLOSED_LOOP_USER))
                .min(MAX_SIMULATED_REQUESTS.max(users.saturating_mul(MIN_REQUESTS_PER_CLOSED_LOOP_USER)));
            (
                Arrivals::Closed { concurrency: users },
                requests,
                f64::from(concurrency) / f64::from(users),
            )
        }
        // An offline batch is its requests: no minimum; the cap may simulate a part of it.
        LoadKind::Offline { requests } => (
            Arrivals::Offline,
            requests.div_ceil(replicas).min(affordable).min(MAX_SIMULATED_REQUESTS),
            f64::from(replicas),
        ),
    }
}

/// Per-request latencies in ms, each sorted ascending.
struct Latencies {
    ttft_ms: Vec<f64>,
    tpot_ms: Vec<f64>,
    e2e_ms: Vec<f64>,
}

impl Latencies {
    fn of(measured: &[RequestLatency]) -> Latencies {
        let sorted = |values: Vec<f64>| {
            let mut values = values;
            values.sort_unstable_by(f64::total_cmp);
            values
        };
        Latencies {
            ttft_ms: sorted(measured.iter().map(|r| r.ttft_s * 1e3).collect()),
            tpot_ms: sorted(measured.iter().filter_map(|r| r.tpot_s).map(|s| s * 1e3).collect()),
            e2e_ms: sorted(measured.iter().map(|r| r.e2e_s * 1e3).collect()),
        }
    }
}

/// Each SLO's achieved percentile. ITL percentiles are over every token gap.
fn slo_checks(scenario: &Resolved, latencies: Option<(&Latencies, &[(f64, u32)])>) -> Vec<SloCheck> {
    scenario
        .slos
        .iter()
        .map(|slo| {
            let achieved_ms = latencies.and_then(|(latencies, gaps_ms)| {
                let sorted = match slo.metric {
                    Metric::Ttft => &latencies.ttft_ms,
                    Metric::Tpot => &latencies.tpot_ms,
                    Metric::E2e => &latencies.e2e_ms,
                    Metric::Itl => return weighted_percentile_of_sorted(gaps_ms, slo.percentile),
                };
                (!sorted.is_empty()).then(|| percentile_of_sorted(sorted, slo.percentile))
            });
            // Requests that completed but produced no gap (one-token outputs) meet a gap target.
            let gapless = matches!(slo.metric, Metric::Tpot | Metric::Itl)
                && latencies.is_some_and(|(latencies, _)| !latencies.ttft_ms.is_empty());
            SloCheck {
                metric: slo.metric,
                percentile: slo.percentile,
                target_ms: slo.target_ms,
                achieved_ms,
                met: achieved_ms.map_or(gapless, |achieved| achieved <= slo.target_ms),
            }
        })
        .collect()
}

/// Fraction of requests meeting every SLO: TTFT and end-to-end per request; TPOT and ITL by the
/// request's mean gap after its first token.
fn slo_attainment(slos: &[SloTarget], measured: &[RequestLatency]) -> f64 {
    if measured.is_empty() {
        return 0.0;
    }
    if slos.is_empty() {
        return 1.0;
    }
    let met = measured
        .iter()
        .filter(|request| {
            slos.iter().all(|slo| {
                let value_s = match slo.metric {
                    Metric::Ttft => request.ttft_s,
                    Metric::E2e => request.e2e_s,
                    Metric::Tpot | Metric::Itl => request.tpot_s.unwrap_or(0.0),
                };
                value_s * 1e3 <= slo.target_ms
            })
        })
        .count();
    met as f64 / measured.len() as f64
}
