//! One fixed deployment under the scenario's load: does it fit, how fast is it at the tail, how
//! much does it serve. [`predict_deployment`] reads as its three steps: simulate (the memory
//! plan and iteration cost of `perf` driving the continuous-batching simulator of `sim`),
//! summarise (percentiles, throughput, SLOs, cost) and explain (why it is infeasible, if it is).

mod band;
mod samples;
mod traffic;

pub use band::ErrorBand;
pub use samples::{slo_attainment, slo_checks, LatencySamples, SloCheck, SloStatus};
pub use traffic::{
    replica_traffic, ReplicaTraffic, MAX_SIMULATED_OUTPUT_TOKENS, MAX_SIMULATED_REQUESTS, MIN_SIMULATED_REQUESTS,
    ONLINE_SIMULATED_REQUESTS,
};

use crate::calibrate::prepare;
use crate::domain::SloTarget;
use crate::domain::{Deployment, LoadKind, Metric, ServingEngine};
use crate::perf::{Calibration, CostModel, MemoryPlan, RooflineEstimate};
use crate::scenario::limits::{MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use crate::scenario::{Config, ResolvedScenario, Scenario};
use crate::sim::{self, Admission, Arrivals, Outcome, RequestLatency};
use crate::stats::Summary;
use crate::Result;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// The deployment evaluated, defaults filled in.
    pub config: Deployment,
    pub gpus_used: u32,
    /// GPUs of the fleet the deployment leaves idle: replicas come in whole groups of
    /// `tensorParallel`, and a deployment may use fewer than the fleet has.
    pub gpus_idle: u32,
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
    /// An offline batch: how long the whole of it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchReport>,
    /// Closed-form bounds without queueing (present when the weights fit).
    pub roofline: Option<RooflineEstimate>,
    /// How the latencies were obtained.
    pub simulation: Option<SimulationReport>,
    /// The factors the cost model used, and where they come from.
    pub calibration: Calibration,
    pub calibration_source: String,
    /// How far off each predicted figure may be.
    pub error_band: ErrorBand,
}

impl Prediction {
    /// The latency distribution of `metric`.
    pub fn summary(&self, metric: Metric) -> Option<Summary> {
        match metric {
            Metric::Ttft => self.ttft_ms,
            Metric::Tpot => self.tpot_ms,
            Metric::Itl => self.itl_ms,
            Metric::E2e => self.e2e_ms,
        }
    }

    /// Feasible, and every SLO met at the offered load.
    pub fn meets_slos(&self) -> bool {
        self.feasible && self.slos.iter().all(|check| check.met)
    }

    /// Whether the open-loop queue grew without bound.
    pub fn fell_behind(&self) -> bool {
        self.simulation.as_ref().is_some_and(|s| s.fell_behind)
    }
}

/// What an offline batch takes as a whole: the figure batch work is planned by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    pub requests: u32,
    /// From the batch's start to its last request's end, seconds (on every replica at once).
    pub makespan_s: f64,
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

/// How many requests a prediction simulates per replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimulationSize {
    /// As many as the load needs (`replica_traffic`): what `predict` returns.
    Full,
    /// Fewer, for the advisor's search over many candidates: an online load simulates
    /// `requests_per_replica` (within the usual bounds), and the inter-token-latency summary
    /// is left out unless an SLO bounds ITL.
    Screening { requests_per_replica: u32 },
}

/// Evaluates `config` for `scenario`.
pub fn predict(scenario: &Scenario, config: &Config) -> Result<Prediction> {
    let scenario = prepare(scenario)?;
    let deployment = config.resolve(&scenario)?;
    let prediction = predict_deployment(&scenario, &deployment, SimulationSize::Full);
    scenario.work.check()?;
    Ok(prediction)
}

/// Evaluates a checked deployment of a prepared scenario.
pub fn predict_deployment(scenario: &ResolvedScenario, deployment: &Deployment, size: SimulationSize) -> Prediction {
    predict_until_missed(scenario, deployment, size, false)
}

/// Whether `deployment` meets every SLO at the scenario's load, as a screening prediction of
/// `requests_per_replica` says, for less: its simulation stops as soon as so many measured
/// requests have missed a TTFT, TPOT or end-to-end target that its percentile cannot come
/// back under it (ITL, over every token gap, is judged at the end).
///
/// The answer is remembered for the call (`WorkBudget::remember`) under everything the
/// simulation reads, the engine only through what it sets (its admission, its memory plan and
/// its factors): two engines alike in those, or the search on a whole node after the fleet's,
/// ask the same capacity test and simulate it once.
pub fn meets_slos_screened(scenario: &ResolvedScenario, deployment: &Deployment, requests_per_replica: u32) -> bool {
    let simulation_inputs = format!(
        "{:?}",
        (
            &scenario.model,
            &scenario.gpu,
            Deployment {
                engine: ServingEngine::Vllm,
                ..*deployment
            },
            Admission::for_engine(deployment.engine),
            MemoryPlan::new(&scenario.model, &scenario.gpu, deployment),
            scenario.calibration(deployment.engine),
            (
                scenario.prompt_tokens,
                scenario.output_tokens,
                scenario.load,
                scenario.seed
            ),
            &scenario.slos,
            requests_per_replica,
        )
    );
    scenario.work.remember(simulation_inputs, || {
        predict_until_missed(
            scenario,
            deployment,
            SimulationSize::Screening { requests_per_replica },
            true,
        )
        .meets_slos()
    })
}

/// [`predict_deployment`], stopping the simulation once a target is certainly missed when
/// `stop_when_missed` (the prediction is then infeasible and its figures partial).
fn predict_until_missed(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    size: SimulationSize,
    stop_when_missed: bool,
) -> Prediction {
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, deployment);
    let calibration = scenario.calibration(deployment.engine);
    let mut prediction = Prediction {
        config: *deployment,
        gpus_used: deployment.gpus(),
        gpus_idle: scenario.gpu_count.saturating_sub(deployment.gpus()),
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
        batch: None,
        roofline: None,
        simulation: None,
        calibration,
        calibration_source: scenario.calibration_source.describe(&scenario.gpu, deployment.engine),
        error_band: ErrorBand::new(scenario, deployment),
    };
    if !memory.weights_fit {
        prediction
            .reasons
            .push(weights_do_not_fit(scenario, deployment, &memory));
        prediction.slos = slo_checks(&scenario.slos, None, &prediction.error_band);
        return prediction;
    }
    let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, calibration);
    prediction.roofline = Some(RooflineEstimate::new(
        &cost,
        &memory,
        deployment,
        scenario.prompt_tokens.mean,
        scenario.output_tokens.mean,
    ));
    let run = simulate(scenario, deployment, &memory, &cost, size, stop_when_missed);
    summarise(&mut prediction, scenario, deployment, &run, size);
    prediction.reasons = infeasibility(scenario, &memory, &prediction, &run);
    prediction.feasible = prediction.reasons.is_empty();
    prediction.simulation = Some(SimulationReport {
        method: SIMULATION_METHOD,
        requests_per_replica: run.requests,
        measured_requests: run.outcome.measured.len() as u32,
        iterations: run.outcome.trace.iterations,
        preemptions: run.outcome.trace.preemptions,
        rejected_requests: run.outcome.trace.rejected,
        fell_behind: run.fell_behind,
        seed: scenario.seed,
        note: (run.batch_scale > 1.0).then(|| {
            format!(
                "simulated {} of the batch's {} requests per replica (the output-token cap); \
                 TTFT and end-to-end latencies are scaled by {:.2} to the whole batch",
                run.requests,
                (run.requests as f64 * run.batch_scale).round(),
                run.batch_scale
            )
        }),
    });
    prediction
}

/// One replica's simulation and how it stands for the whole deployment.
struct SimulatedRun {
    outcome: Outcome,
    /// Requests simulated.
    requests: u32,
    /// Replicas' worth of load the simulated replica stands for.
    replica_scale: f64,
    /// A capped offline batch: its queue drains at a steady rate, so waiting times (TTFT and
    /// end-to-end) grow in proportion to the requests in it; this is the whole batch over the
    /// part simulated (1 otherwise).
    batch_scale: f64,
    /// An open loop's queue grew without bound (a closed loop's is bounded by its users).
    fell_behind: bool,
}

fn simulate(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    memory: &MemoryPlan,
    cost: &CostModel,
    size: SimulationSize,
    stop_when_missed: bool,
) -> SimulatedRun {
    let traffic = replica_traffic(scenario, deployment.replicas);
    let requests = match size {
        SimulationSize::Full => traffic.requests,
        SimulationSize::Screening { requests_per_replica } => {
            requests_per_replica.clamp(traffic.fewest_requests, traffic.requests.max(traffic.fewest_requests))
        }
    };
    let settings = sim::Settings {
        max_batch: deployment.max_batch,
        max_batched_tokens: deployment.max_batched_tokens,
        kv_capacity_tokens: memory.kv_capacity_tokens,
        admission: Admission::for_engine(deployment.engine),
        coast_stride: sim::COAST_STRIDE,
    };
    let simulated = sim::Traffic {
        arrivals: traffic.arrivals,
        prompt_tokens: scenario.prompt_tokens,
        output_tokens: scenario.output_tokens,
        requests,
        warm_up_fraction: sim::WARM_UP_FRACTION,
        seed: scenario.seed,
    };
    let limits = (MAX_PROMPT_TOKENS as u32, MAX_OUTPUT_TOKENS as u32);
    let batch_scale = match scenario.load {
        LoadKind::Offline { requests: wanted } => {
            f64::from(wanted.div_ceil(deployment.replicas)) / f64::from(requests.max(1))
        }
        _ => 1.0,
    };
    let measured = match traffic.arrivals {
        Arrivals::Offline => requests,
        _ => requests - 2 * (f64::from(requests) * sim::WARM_UP_FRACTION).floor() as u32,
    };
    let mut missed = missed_for_certain(&scenario.slos, measured, batch_scale);
    let allowed = scenario.work.steps_for(requests);
    let outcome = sim::simulate_until(
        &settings,
        &simulated,
        limits,
        |batch| cost.step_time_s(batch),
        |latency| stop_when_missed && missed(latency),
        allowed,
    );
    scenario
        .work
        .spend(requests, outcome.trace.steps, outcome.trace.out_of_steps);
    let fell_behind = matches!(scenario.load, LoadKind::Open { .. }) && outcome.fell_behind();
    SimulatedRun {
        outcome,
        requests,
        replica_scale: traffic.replica_scale,
        batch_scale,
        fell_behind,
    }
}

/// A stop rule for a run of at most `measured` measured requests: true once, for some TTFT,
/// TPOT or end-to-end target, so many requests exceed it that its percentile must too. Of `n`
/// samples the p-th percentile interpolates at rank `(n-1)p/100` from below, so it exceeds the
/// target once the `n - floor((n-1)p/100)` largest do; that count never shrinks as `n` grows,
/// so reaching it for `n = measured` settles it for however many complete. Waits are scaled
/// by `wait_scale` as the summaries scale them.
fn missed_for_certain(slos: &[SloTarget], measured: u32, wait_scale: f64) -> impl FnMut(&RequestLatency) -> bool {
    let limits: Vec<(Metric, f64, u64)> = slos
        .iter()
        .filter(|slo| slo.metric != Metric::Itl)
        .map(|slo| {
            let n = u64::from(measured.max(1));
            let below = ((n - 1) as f64 * slo.percentile / 100.0).floor() as u64;
            (slo.metric, slo.target_ms, n - below)
        })
        .collect();
    let mut over = vec![0u64; limits.len()];
    move |request: &RequestLatency| {
        let mut missed = false;
        for ((metric, target_ms, allowed), count) in limits.iter().zip(over.iter_mut()) {
            let value_s = match metric {
                Metric::Ttft => Some(request.ttft_s * wait_scale),
                Metric::E2e => Some(request.e2e_s * wait_scale),
                Metric::Tpot | Metric::Itl => request.tpot_s,
            };
            if value_s.is_some_and(|value_s| value_s * 1e3 > *target_ms) {
                *count += 1;
                missed |= *count >= *allowed;
            }
        }
        missed
    }
}

/// Throughput, latency percentiles, SLOs and cost from the simulated run.
fn summarise(
    prediction: &mut Prediction,
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    run: &SimulatedRun,
    size: SimulationSize,
) {
    let outcome = &run.outcome;
    prediction.requests_per_second = outcome.requests_per_second() * run.replica_scale;
    prediction.output_tokens_per_second = outcome.output_tokens_per_second() * run.replica_scale;
    prediction.output_tokens_per_second_per_gpu = prediction.output_tokens_per_second / f64::from(deployment.gpus());
    // Every token gap is a sample: sorting them is the costliest summary, so a screening run
    // skips it unless an SLO needs it.
    let itl_needed = size == SimulationSize::Full || scenario.slos.iter().any(|slo| slo.metric == Metric::Itl);
    let gaps_s: &[(f64, u32)] = if itl_needed {
        &outcome.trace.inter_token_gaps
    } else {
        &[]
    };
    // One set of samples feeds the summaries, the SLO checks and the attainment alike.
    let samples = LatencySamples::of_requests(&outcome.measured, gaps_s, size == SimulationSize::Full)
        .with_waits_scaled(run.batch_scale);
    prediction.ttft_ms = Summary::of_sorted(&samples.ttft_ms);
    prediction.tpot_ms = Summary::of_sorted(&samples.tpot_ms);
    prediction.e2e_ms = Summary::of_sorted(&samples.e2e_ms);
    prediction.itl_ms = samples.gap_summary();
    prediction.slos = slo_checks(&scenario.slos, Some(&samples), &prediction.error_band);
    prediction.slo_attainment = slo_attainment(&scenario.slos, &outcome.measured, run.batch_scale);
    if let LoadKind::Offline { requests } = scenario.load {
        prediction.batch = Some(BatchReport {
            requests,
            makespan_s: outcome.trace.end_s * run.batch_scale,
        });
    }
    prediction.goodput_requests_per_second = prediction.requests_per_second * prediction.slo_attainment;
    if let Some(price) = scenario.price_per_gpu_hour {
        if prediction.output_tokens_per_second > 0.0 {
            prediction.cost_per_million_output_tokens =
                Some(price * f64::from(deployment.gpus()) / 3600.0 / prediction.output_tokens_per_second * 1e6);
        }
    }
}

fn weights_do_not_fit(scenario: &ResolvedScenario, deployment: &Deployment, memory: &MemoryPlan) -> String {
    format!(
        "the weights need {:.1} GB per GPU in {} at tensor parallelism {}, plus a {:.1} GB reserve, \
         but only {:.1} GB of the {}'s {:.0} GB are usable",
        memory.weights_gb_per_gpu,
        deployment.precision,
        deployment.tensor_parallel,
        memory.reserve_gb_per_gpu,
        memory.usable_gb_per_gpu,
        scenario.gpu.id,
        memory.capacity_gb_per_gpu,
    )
}

/// Why a deployment whose weights fit is still infeasible, each reason with its numbers.
fn infeasibility(
    scenario: &ResolvedScenario,
    memory: &MemoryPlan,
    prediction: &Prediction,
    run: &SimulatedRun,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let request_tokens = scenario.prompt_tokens.mean + scenario.output_tokens.mean;
    if (memory.kv_capacity_tokens as f64) < request_tokens {
        reasons.push(format!(
            "the KV cache holds {} tokens per replica, fewer than one average request's {:.0} (prompt + output)",
            memory.kv_capacity_tokens, request_tokens
        ));
    }
    let trace = &run.outcome.trace;
    if run.fell_behind {
        let offered = match scenario.load {
            LoadKind::Open {
                requests_per_second, ..
            } => format!("the offered {requests_per_second:.3} requests/s"),
            _ => "the offered load".to_string(),
        };
        reasons.push(format!(
            "{offered} exceeds what this deployment completes ({:.3} requests/s): the queue grows \
             without bound, so latencies depend on how long the overload lasts",
            prediction.requests_per_second
        ));
    }
    if run.outcome.thrashed() {
        reasons.push(format!(
            "the KV cache thrashes: {} preemptions threw away {} cached tokens, {:.0}% of the {} tokens \
             prefilled, to recompute them; the cache ({} tokens per replica) holds too few of the requests \
             admitted (more tensor parallelism, an fp8 KV cache or a lower maxBatch gives it room)",
            trace.preemptions,
            trace.discarded_tokens,
            100.0 * trace.discarded_tokens as f64 / trace.prefilled_tokens.max(1) as f64,
            trace.prefilled_tokens,
            memory.kv_capacity_tokens
        ));
    }
    if trace.rejected > 0 {
        reasons.push(format!(
            "{} of {} simulated requests per replica are longer than the KV cache ({} tokens) and would be refused",
            trace.rejected, run.requests, memory.kv_capacity_tokens
        ));
    }
    if trace.stopped {
        reasons.push("the simulation stopped early: a target is missed whatever the rest of the run".to_string());
    }
    if trace.truncated {
        reasons.push(format!(
            "the simulation stopped at its bound of {} engine iterations before every request finished; \
             the latencies cover the requests that did",
            sim::MAX_ITERATIONS
        ));
    }
    if run.outcome.measured.is_empty() && reasons.is_empty() {
        reasons.push("no simulated request completed".to_string());
    }
    reasons
}
