//! The deployments the fleet allows, and what each achieves: its latency with requests alone on
//! the server (a closed form, so every candidate gets one), its percentiles at the required load
//! (a simulation), and its SLO capacity: the highest load at which every SLO still holds (a
//! bisection of simulations). Cheap bounds prune first: a candidate whose lone-request latency
//! already misses a target has no SLO capacity to search for.

use crate::perf::{CostModel, LoneRequest, MemoryPlan, RooflineEstimate};
use crate::predict::{predict_resolved_with, Prediction};
use crate::scenario::{Deployment, LoadKind, Metric, Resolved, ServingEngine, SloTarget};
use crate::sim::Sampler;
use crate::stats::{percentile_of_sorted, weighted_percentile_of_sorted};
use crate::Precision;

/// Largest tensor-parallel degree searched: one 8-GPU node. Beyond it all-reduces cross nodes,
/// which the cost model does not cover.
pub const MAX_TENSOR_PARALLEL: u32 = 8;
/// Requests simulated per replica to screen a candidate (at the required load and in each step
/// of the SLO-capacity search); the recommended deployment is then simulated in full.
pub const SCREENING_REQUESTS: u32 = 800;
/// Requests simulated per replica in each step of the SLO-capacity search.
pub const CAPACITY_SEARCH_REQUESTS: u32 = 1000;
/// Bisection steps of the SLO-capacity search: the bracket narrows to 1/64 of its start.
pub const CAPACITY_SEARCH_STEPS: u32 = 6;
/// The SLO-capacity search stops once its bracket is this narrow relative to its top: finer
/// than the simulations' own noise at the knee of the curve.
const CAPACITY_TOLERANCE: f64 = 0.04;
/// Most divisions by four of the SLO-capacity search below a failing requirement (down to
/// 1/4^8 of it, below which the capacity is reported as none).
const CAPACITY_STEP_DOWNS: u32 = 8;
/// Request lengths sampled to compute lone-request percentiles.
const UNLOADED_SAMPLES: u32 = 1000;

/// One deployment evaluated against the scenario.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub deployment: Deployment,
    /// Each SLO's percentile with every request alone on the server (the best any load gets).
    pub unloaded_ms: Vec<f64>,
    /// The prediction at the required load.
    pub at_load: Prediction,
    /// The highest load meeting every SLO, in the load's unit (requests/s for a rate, users
    /// for a closed loop); 0 when none does.
    pub slo_capacity: f64,
}

impl Candidate {
    pub fn meets_slos_at_load(&self) -> bool {
        self.at_load.feasible && self.at_load.slos.iter().all(|check| check.met)
    }

    /// SLO capacity per GPU, in output tokens per second: what packing buys.
    pub fn slo_capacity_tokens_per_gpu(&self, scenario: &Resolved) -> f64 {
        let requests_per_second = match scenario.load {
            LoadKind::Open { .. } => self.slo_capacity,
            // Users convert to a rate through the throughput measured at the required load.
            LoadKind::Closed { concurrency } => {
                self.at_load.requests_per_second * self.slo_capacity / f64::from(concurrency.max(1))
            }
            LoadKind::Offline { .. } => self.at_load.requests_per_second,
        };
        requests_per_second * scenario.output_tokens.mean / f64::from(self.deployment.gpus())
    }
}

/// The (precision, tensor-parallel degree) pairs to consider, at the engine's defaults, using
/// the whole fleet: the scenario's precisions, and degrees dividing both the GPU count and the
/// model's heads, up to one node, whose weights fit.
pub fn base_deployments(scenario: &Resolved) -> Vec<Deployment> {
    let engine = ServingEngine::Vllm;
    let mut deployments = Vec::new();
    for &precision in &scenario.precisions {
        for tensor_parallel in 1..=scenario.gpu_count.min(MAX_TENSOR_PARALLEL) {
            if scenario.gpu_count % tensor_parallel != 0 || scenario.model.heads % tensor_parallel != 0 {
                continue;
            }
            let deployment = Deployment {
                engine,
                tensor_parallel,
                replicas: scenario.gpu_count / tensor_parallel,
                precision,
                max_batch: engine.default_max_batch(),
                max_batched_tokens: crate::scenario::DEFAULT_MAX_BATCHED_TOKENS,
            };
            if MemoryPlan::new(&scenario.model, &scenario.gpu, &deployment).weights_fit {
                deployments.push(deployment);
            }
        }
    }
    deployments
}

/// Each SLO's percentile for requests alone on the server, from sampled request lengths.
pub fn unloaded_percentiles(scenario: &Resolved, deployment: &Deployment) -> Vec<f64> {
    let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, scenario.calibration());
    let mut sampler = Sampler::new(scenario.seed);
    let samples = if scenario.prompt_tokens.cv == 0.0 && scenario.output_tokens.cv == 0.0 {
        1
    } else {
        UNLOADED_SAMPLES
    };
    let lone: Vec<LoneRequest> = (0..samples)
        .map(|_| {
            let prompt = sampler.length(&scenario.prompt_tokens, crate::scenario::MAX_PROMPT_TOKENS as u32);
            let output = sampler.length(&scenario.output_tokens, crate::scenario::MAX_OUTPUT_TOKENS as u32);
            LoneRequest::new(
                &cost,
                deployment.max_batched_tokens,
                f64::from(prompt),
                f64::from(output),
            )
        })
        .collect();
    scenario
        .slos
        .iter()
        .map(|slo| {
            if slo.metric == Metric::Itl {
                let mut gaps: Vec<(f64, u32)> = lone
                    .iter()
                    .map(|r| (r.tpot_s * 1e3, (r.output_tokens as u32).saturating_sub(1)))
                    .collect();
                gaps.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                return weighted_percentile_of_sorted(&gaps, slo.percentile).unwrap_or(0.0);
            }
            let mut values: Vec<f64> = lone
                .iter()
                .map(|r| match slo.metric {
                    Metric::Ttft => r.ttft_s,
                    Metric::Tpot | Metric::Itl => r.tpot_s,
                    Metric::E2e => r.e2e_s(),
                } * 1e3)
                .collect();
            values.sort_unstable_by(f64::total_cmp);
            percentile_of_sorted(&values, slo.percentile)
        })
        .collect()
}

/// The scenario with its load replaced by `level` (requests/s or users, as the load's kind).
fn at_level(scenario: &Resolved, level: f64) -> Resolved {
    let load = match scenario.load {
        LoadKind::Open { burstiness, .. } => LoadKind::Open {
            requests_per_second: level,
            burstiness,
        },
        LoadKind::Closed { .. } => LoadKind::Closed {
            concurrency: level.round().max(1.0) as u32,
        },
        offline => offline,
    };
    Resolved {
        load,
        ..scenario.clone()
    }
}

fn meets(prediction: &Prediction) -> bool {
    prediction.feasible && prediction.slos.iter().all(|check| check.met)
}

/// The load level the scenario requires, in its own unit.
pub fn required_level(scenario: &Resolved) -> f64 {
    match scenario.load {
        LoadKind::Open {
            requests_per_second, ..
        } => requests_per_second,
        LoadKind::Closed { concurrency } => f64::from(concurrency),
        LoadKind::Offline { requests } => f64::from(requests),
    }
}

/// Evaluates one deployment: lone-request percentiles, the prediction at the required load,
/// and the SLO capacity.
pub fn evaluate(scenario: &Resolved, deployment: &Deployment) -> Candidate {
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, deployment);
    let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, scenario.calibration());
    let roofline = RooflineEstimate::new(
        &cost,
        &memory,
        deployment,
        scenario.prompt_tokens.mean,
        scenario.output_tokens.mean,
    );
    let unloaded_ms = unloaded_percentiles(scenario, deployment);
    let at_load = predict_resolved_with(scenario, deployment, Some(SCREENING_REQUESTS));
    let reachable = unloaded_ms
        .iter()
        .zip(&scenario.slos)
        .all(|(ms, slo)| *ms <= slo.target_ms);
    let slo_capacity = if !reachable {
        0.0
    } else {
        slo_capacity(scenario, deployment, &roofline, &at_load)
    };
    Candidate {
        deployment: *deployment,
        unloaded_ms,
        at_load,
        slo_capacity,
    }
}

/// Bisects the load level between what is known to meet the SLOs and what is known not to.
fn slo_capacity(
    scenario: &Resolved,
    deployment: &Deployment,
    roofline: &RooflineEstimate,
    at_load: &Prediction,
) -> f64 {
    let required = required_level(scenario);
    let ceiling = match scenario.load {
        LoadKind::Open { .. } => roofline.max_requests_per_second * 1.1,
        // A closed loop cannot keep more users busy than the running sequences allowed.
        LoadKind::Closed { .. } => {
            f64::from(roofline.max_running_requests_per_replica.max(deployment.max_batch) * deployment.replicas) * 1.5
        }
        LoadKind::Offline { .. } => return if meets(at_load) { required } else { 0.0 },
    };
    let test = |level: f64| {
        meets(&predict_resolved_with(
            &at_level(scenario, level),
            deployment,
            Some(CAPACITY_SEARCH_REQUESTS),
        ))
    };
    let (mut low, mut high) = if meets(at_load) {
        if required >= ceiling {
            return required;
        }
        (required, ceiling.max(required * 1.05))
    } else {
        // Step down by fourths until the SLOs hold, so a capacity far below the requirement is
        // still found; then bisect between the last level that held and the one that did not.
        let mut high = required;
        let mut low = required / 4.0;
        let mut steps = 1;
        while !test(low) {
            if steps >= CAPACITY_STEP_DOWNS {
                return 0.0;
            }
            high = low;
            low /= 4.0;
            steps += 1;
        }
        (low, high)
    };
    for _ in 0..CAPACITY_SEARCH_STEPS {
        if high - low <= CAPACITY_TOLERANCE * high {
            break;
        }
        let middle = (low + high) / 2.0;
        if test(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// The SLO whose target is closest to what the candidates can reach: the smallest ratio of
/// target to best lone-request percentile. Its index in `scenario.slos`.
pub fn binding_slo(scenario: &Resolved, candidates: &[Candidate]) -> usize {
    (0..scenario.slos.len())
        .min_by(|&a, &b| slack_of(scenario, candidates, a).total_cmp(&slack_of(scenario, candidates, b)))
        .unwrap_or(0)
}

/// Target over the best lone-request percentile of SLO `index`.
pub fn slack_of(scenario: &Resolved, candidates: &[Candidate], index: usize) -> f64 {
    let best = best_unloaded_ms(candidates, index);
    scenario.slos[index].target_ms / best
}

pub fn best_unloaded_ms(candidates: &[Candidate], index: usize) -> f64 {
    candidates
        .iter()
        .map(|candidate| candidate.unloaded_ms[index])
        .fold(f64::INFINITY, f64::min)
}

/// Short human form: "TP4 x 2 in fp8".
pub fn describe(deployment: &Deployment) -> String {
    let replicas = if deployment.replicas == 1 {
        String::new()
    } else {
        format!(" x {} replicas", deployment.replicas)
    };
    format!(
        "TP{}{} in {}",
        deployment.tensor_parallel, replicas, deployment.precision
    )
}

/// "p95 TTFT <= 500 ms".
pub fn describe_slo(slo: &SloTarget) -> String {
    format!(
        "p{} {} <= {} ms",
        slo.percentile,
        slo.metric.id().to_uppercase(),
        format_ms(slo.target_ms)
    )
}

pub fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms:.1}")
    }
}

/// Whether `precision` is in the scenario's allowed list.
pub fn allowed(scenario: &Resolved, precision: Precision) -> bool {
    scenario.precisions.contains(&precision)
}
