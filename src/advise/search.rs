//! The deployments the fleet allows, and what each achieves: its latency with requests alone on
//! the server (a closed form, so every candidate gets one), its percentiles at the required load
//! (a simulation), and its SLO capacity: the highest load at which every SLO still holds (a
//! bisection of simulations). Cheap bounds prune first: a candidate whose lone-request latency
//! already misses a target has no SLO capacity to search for.

use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, LoadKind, ServingEngine, SloTarget};
use crate::perf::{CostModel, LoneRequest, MemoryPlan, RooflineEstimate};
use crate::predict::{predict_deployment, LatencySamples, Prediction, SimulationSize};
use crate::scenario::limits::{MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use crate::scenario::ResolvedScenario;
use crate::sim::Sampler;

/// Requests simulated per replica to screen a candidate at the required load; the recommended
/// deployment is then simulated in full.
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
        self.at_load.meets_slos()
    }

    /// The percentile of SLO `index` at the required load (infinite when nothing completed).
    pub fn latency_at_load(&self, index: usize) -> f64 {
        self.at_load.slos[index].achieved_ms.unwrap_or(f64::INFINITY)
    }

    /// SLO capacity per GPU, in output tokens per second: what packing buys.
    pub fn slo_capacity_tokens_per_gpu(&self, scenario: &ResolvedScenario) -> f64 {
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
pub fn base_deployments(scenario: &ResolvedScenario) -> Vec<Deployment> {
    let mut deployments = Vec::new();
    for &precision in &scenario.precisions {
        for tensor_parallel in scenario
            .model
            // Up to one node: beyond it all-reduces cross nodes, which the cost model does not cover.
            .fleet_tensor_parallel_degrees(scenario.gpu_count, GPUS_PER_NODE)
        {
            let deployment = Deployment::with_engine_defaults(
                ServingEngine::DEFAULT,
                tensor_parallel,
                scenario.gpu_count / tensor_parallel,
                precision,
            );
            if MemoryPlan::new(&scenario.model, &scenario.gpu, &deployment).weights_fit {
                deployments.push(deployment);
            }
        }
    }
    deployments
}

/// Each SLO's percentile for requests alone on the server, from sampled request lengths.
pub fn unloaded_percentiles(scenario: &ResolvedScenario, deployment: &Deployment) -> Vec<f64> {
    let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, scenario.calibration());
    let mut sampler = Sampler::new(scenario.seed);
    // Fixed lengths give one request shape: one sample is all of them.
    let sample_count = if scenario.prompt_tokens.cv == 0.0 && scenario.output_tokens.cv == 0.0 {
        1
    } else {
        UNLOADED_SAMPLES
    };
    let lone: Vec<LoneRequest> = (0..sample_count)
        .map(|_| {
            let prompt = sampler.length(&scenario.prompt_tokens, MAX_PROMPT_TOKENS as u32);
            let output = sampler.length(&scenario.output_tokens, MAX_OUTPUT_TOKENS as u32);
            LoneRequest::new(
                &cost,
                deployment.max_batched_tokens,
                f64::from(prompt),
                f64::from(output),
            )
        })
        .collect();
    let latencies = LatencySamples::of_lone_requests(&lone);
    scenario
        .slos
        .iter()
        .map(|slo| latencies.percentile(slo.metric, slo.percentile).unwrap_or(0.0))
        .collect()
}

/// The scenario with its load replaced by `level` (requests/s or users, as the load's kind).
fn at_level(scenario: &ResolvedScenario, level: f64) -> ResolvedScenario {
    let load = match scenario.load {
        LoadKind::Open { arrival_cv, .. } => LoadKind::Open {
            requests_per_second: level,
            arrival_cv,
        },
        LoadKind::Closed { .. } => LoadKind::Closed {
            concurrency: level.round().max(1.0) as u32,
        },
        offline => offline,
    };
    scenario.with_load(load)
}

/// Evaluates one deployment: lone-request percentiles, the prediction at the required load,
/// and the SLO capacity.
pub fn evaluate(scenario: &ResolvedScenario, deployment: &Deployment) -> Candidate {
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
    let at_load = predict_deployment(
        scenario,
        deployment,
        SimulationSize::Screening {
            requests_per_replica: SCREENING_REQUESTS,
        },
    );
    let slo_capacity = if !alone_within_targets(&unloaded_ms, &scenario.slos) {
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

/// Whether requests alone on the server meet every target: no load, and no number of GPUs,
/// brings a percentile below that.
pub fn alone_within_targets(unloaded_ms: &[f64], slos: &[SloTarget]) -> bool {
    unloaded_ms.iter().zip(slos).all(|(ms, slo)| *ms <= slo.target_ms)
}

/// Bisects the load level between what is known to meet the SLOs and what is known not to.
fn slo_capacity(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    roofline: &RooflineEstimate,
    at_load: &Prediction,
) -> f64 {
    let required = scenario.load.level();
    let ceiling = match scenario.load {
        LoadKind::Open { .. } => roofline.max_requests_per_second * 1.1,
        // A closed loop cannot keep more users busy than the running sequences allowed.
        LoadKind::Closed { .. } => {
            f64::from(roofline.max_running_requests_per_replica.max(deployment.max_batch) * deployment.replicas) * 1.5
        }
        LoadKind::Offline { .. } => return if at_load.meets_slos() { required } else { 0.0 },
    };
    let test = |level: f64| {
        predict_deployment(
            &at_level(scenario, level),
            deployment,
            SimulationSize::Screening {
                requests_per_replica: CAPACITY_SEARCH_REQUESTS,
            },
        )
        .meets_slos()
    };
    let (mut low, mut high) = if at_load.meets_slos() {
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
pub fn binding_slo(scenario: &ResolvedScenario, candidates: &[Candidate]) -> usize {
    (0..scenario.slos.len())
        .min_by(|&a, &b| slack_of(scenario, candidates, a).total_cmp(&slack_of(scenario, candidates, b)))
        .unwrap_or(0)
}

/// Target over the best lone-request percentile of SLO `index`.
pub fn slack_of(scenario: &ResolvedScenario, candidates: &[Candidate], index: usize) -> f64 {
    let best = best_unloaded_ms(candidates, index);
    scenario.slos[index].target_ms / best
}

pub fn best_unloaded_ms(candidates: &[Candidate], index: usize) -> f64 {
    candidates
        .iter()
        .map(|candidate| candidate.unloaded_ms[index])
        .fold(f64::INFINITY, f64::min)
}
