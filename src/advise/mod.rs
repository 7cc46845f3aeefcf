//! The product's question: for this scenario, latency or throughput first, and what to run.
//!
//! One call reads as: search the deployments the fleet allows and evaluate each (`search`),
//! decide the verdict from the latency slack and the load pressure (`verdict`), pick the
//! configuration that serves it (`pick`), compute what would fix an infeasible scenario
//! (`fixes`), say why in words (`explain`), and lay out the charts (`curves`).

mod curves;
mod explain;
pub use explain::gpus_of_the_fleet;
mod fixes;
mod pick;
mod search;
mod verdict;

pub use pick::{BINDING_SHARE, HEADROOM, MATERIAL_GAIN};
pub use search::{
    CAPACITY_SEARCH_REQUESTS, CAPACITY_SEARCH_STEPS, GAP_TOKEN_BUDGETS, LARGEST_TOKEN_BUDGET, SCREENING_REQUESTS,
    SMALLEST_TOKEN_BUDGET,
};
pub use verdict::{Verdict, AMPLE_SLACK, HIGH_PRESSURE, LOW_PRESSURE, TIGHT_SLACK};

use crate::calibrate::prepare;
use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, LoadKind, Precision, ServingEngine, SloTarget};
use crate::error::{Error, Result};
use crate::predict::{predict_deployment, Prediction, SimulationSize};
use crate::scenario::{ResolvedScenario, Scenario};
use explain::{Alternatives, Context};
use pick::Pick;
use search::Candidate;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub verdict: Verdict,
    /// One sentence: latency or throughput first, and why.
    pub summary: String,
    /// Short sentences, each with its numbers.
    pub reasons: Vec<String>,
    /// The recommended deployment (for an infeasible verdict: the closest one).
    pub config: Deployment,
    pub prediction: Prediction,
    /// Pareto-optimal candidates: SLO percentile at the required load vs throughput per GPU.
    pub frontier: Vec<FrontierPoint>,
    /// Every candidate evaluated, for plotting.
    pub candidates: Vec<FrontierPoint>,
    /// The fewest GPUs that carry the required load within every SLO with 25% headroom
    /// (`HEADROOM`), on any candidate deployment; 0 when no number of GPUs does.
    pub gpus_needed: u32,
    /// Target over the best achievable percentile (binding SLO); 0 when nothing fits.
    pub latency_slack: f64,
    /// Required load over the fleet's SLO capacity; `null` when no configuration meets the
    /// targets at any load.
    pub load_pressure: Option<f64>,
    /// The SLO that binds (smallest slack).
    pub binding_slo: SloTarget,
    /// Best percentile of the binding SLO's metric with requests alone on the server, ms.
    pub best_achievable_ms: Option<f64>,
    /// The highest load the fleet carries with every SLO holding, best over configurations, in
    /// the load's unit (requests/s, users for a closed loop, queued requests for a batch).
    pub slo_capacity: f64,
    pub required_load: f64,
    pub load_unit: &'static str,
    /// Output tokens/s per GPU of the fleet that the required load asks for (request-rate loads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_output_tokens_per_second_per_gpu: Option<f64>,
    /// The recommended deployment's binding-SLO percentiles as the request rate rises towards
    /// its saturated throughput (open loads; empty otherwise): the latency-vs-load curve.
    pub load_curve: Vec<LoadCurvePoint>,
}

/// One load level of the latency-vs-load curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadCurvePoint {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// The queue grew at this rate: past capacity.
    pub fell_behind: bool,
}

/// One candidate deployment on the trade-off chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontierPoint {
    pub config: Deployment,
    /// The binding SLO's percentile at the required load, ms (`null` when nothing completed).
    pub latency_ms: Option<f64>,
    /// Output tokens/s per GPU at the highest load meeting every SLO (at the required load
    /// for candidates that never meet them).
    pub output_tokens_per_second_per_gpu: f64,
    pub meets_slo: bool,
    pub pareto_optimal: bool,
    pub recommended: bool,
}

/// Answers the scenario.
pub fn advise(scenario: &Scenario) -> Result<Recommendation> {
    let scenario = prepare(scenario)?;
    if scenario.slos.is_empty() {
        return Err(Error::invalid(
            "slo",
            "given for advise (a latency target to weigh against throughput), or implied by a useCase preset",
            "nothing",
        ));
    }
    let (recommendation, _) = advise_resolved(&scenario);
    scenario.work.check()?;
    Ok(recommendation)
}

/// The recommendation, and the deployment `gpusNeeded` counts (when some number of GPUs meets
/// every SLO at the load).
fn advise_resolved(scenario: &ResolvedScenario) -> (Recommendation, Option<(u32, Deployment)>) {
    let deployments = search::candidate_deployments(scenario);
    if deployments.is_empty() {
        return nothing_fits(scenario);
    }
    let candidates: Vec<Candidate> = deployments.into_iter().map(|d| search::evaluate(scenario, d)).collect();
    let binding = search::binding_slo(scenario, &candidates);
    // A gap target is vacuous for one-token outputs (0 ms): keep the slack finite.
    let best_ms = search::best_unloaded_ms(&candidates, binding).max(1e-6);
    let latency_slack = scenario.slos[binding].target_ms / best_ms;
    let required = scenario.load.level();
    let best_capacity = candidates.iter().map(Candidate::slo_capacity).fold(0.0, f64::max);
    let load_pressure = if best_capacity > 0.0 {
        required / best_capacity
    } else {
        f64::INFINITY
    };
    let mut screened_verdict = verdict::decide(latency_slack, load_pressure, scenario.use_case);
    let mut needed = pick::gpus_needed(scenario, &candidates);
    let first_pick = match screened_verdict {
        Verdict::LatencyFirst => pick::latency_first(scenario, &candidates, binding),
        Verdict::ThroughputFirst | Verdict::Balanced => pick::right_sized(scenario, &candidates),
        Verdict::InfeasibleLatency => {
            Pick::whole_fleet(&candidates, pick::index_of_min(&candidates, |c| c.unloaded_ms[binding]))
        }
        Verdict::InfeasibleCapacity => Pick::whole_fleet(&candidates, pick::most_capacity(&candidates)),
    };
    // What a node of this GPU would do, asked at most once (a fleet smaller than a node only).
    let mut node = None;
    let mut node_answer = || node.get_or_insert_with(|| on_a_node(scenario)).clone();
    // A target the fleet misses with requests alone may be met by a larger tensor-parallel
    // group: then more GPUs fix it, and the verdict is on capacity.
    if screened_verdict == Verdict::InfeasibleLatency {
        if let Some((_, Some(node_needed))) =
            node_answer().filter(|(node, _)| node.verdict != Verdict::InfeasibleLatency)
        {
            screened_verdict = Verdict::InfeasibleCapacity;
            needed = Some(node_needed);
        }
    }
    let settled = settle(scenario, &candidates, screened_verdict, first_pick, binding);
    let (verdict, chosen_pick, prediction) = (settled.verdict, settled.pick, settled.prediction);
    if verdict == Verdict::InfeasibleCapacity {
        // A larger tensor-parallel group than the fleet holds may need fewer GPUs in all.
        if let Some((_, Some(node_needed))) = node_answer() {
            if needed.is_none_or(|(gpus, _)| node_needed.0 < gpus) {
                needed = Some(node_needed);
            }
        }
        needed = needed.map(|(gpus, deployment)| more_than_the_fleet(scenario, gpus, deployment));
    }
    let chosen = &candidates[chosen_pick.index];
    let alternatives = match verdict {
        Verdict::InfeasibleLatency => {
            let best = fixes::best_latency_candidate(&candidates, binding).unwrap_or(chosen);
            Alternatives::Latency(fixes::latency_fixes(scenario, best.deployment, binding))
        }
        Verdict::InfeasibleCapacity => Alternatives::Capacity(fixes::capacity_fixes(scenario, &prediction, needed)),
        _ => Alternatives::None,
    };
    let context = Context {
        scenario,
        candidates: &candidates,
        chosen,
        pick: chosen_pick,
        prediction: &prediction,
        binding,
        best_ms,
        latency_slack,
        load_pressure,
        required,
        best_capacity,
        needed,
        missed_in_full: settled.missed_in_full,
    };
    let (summary, reasons) = explain::explain(verdict, &context, &alternatives);
    let points = curves::frontier_points(scenario, &candidates, binding, chosen_pick.index, &prediction);
    let saturated_rps = prediction.roofline.as_ref().map_or(0.0, |r| r.max_requests_per_second);
    let recommendation = Recommendation {
        verdict,
        summary,
        reasons,
        config: prediction.config,
        load_curve: curves::load_curve(scenario, &prediction.config, binding, saturated_rps),
        frontier: points.iter().filter(|p| p.pareto_optimal).cloned().collect(),
        candidates: points,
        gpus_needed: needed.map_or(0, |(gpus, _)| gpus),
        latency_slack,
        load_pressure: load_pressure.is_finite().then_some(load_pressure),
        binding_slo: scenario.slos[binding],
        best_achievable_ms: Some(best_ms),
        slo_capacity: best_capacity,
        required_load: required,
        load_unit: scenario.load.unit(),
        required_output_tokens_per_second_per_gpu: required_per_gpu(scenario),
        prediction,
    };
    (recommendation, needed)
}

/// The GPUs a load needs, when the fleet's own full simulation missed a target: more than the
/// fleet has, whatever the screening estimated (at least one replica more than it holds).
fn more_than_the_fleet(scenario: &ResolvedScenario, gpus: u32, deployment: Deployment) -> (u32, Deployment) {
    if gpus > scenario.gpu_count {
        return (gpus, deployment);
    }
    let replicas = scenario.gpu_count / deployment.tensor_parallel + 1;
    let deployment = Deployment { replicas, ..deployment };
    (deployment.gpus(), deployment)
}

/// What a whole node of the fleet's GPU would do, when the fleet is smaller than one: the
/// recommendation there and the deployment its `gpusNeeded` counts. Larger tensor-parallel
/// groups are the only thing a node adds, so it decides whether more GPUs can meet a target
/// the fleet cannot.
fn on_a_node(scenario: &ResolvedScenario) -> Option<(Recommendation, Option<(u32, Deployment)>)> {
    (scenario.gpu_count < GPUS_PER_NODE).then(|| {
        advise_resolved(&ResolvedScenario {
            gpu_count: GPUS_PER_NODE,
            ..scenario.clone()
        })
    })
}

/// Most full simulations tried before a feasible verdict is given up.
const MOST_FULL_SIMULATIONS: usize = 4;

/// The verdict, the pick and its full prediction, agreed.
struct Settled {
    verdict: Verdict,
    pick: Pick,
    prediction: Prediction,
    /// The screening put the load within the fleet's capacity, but no full simulation met
    /// every target (the verdict was changed to infeasible-capacity).
    missed_in_full: bool,
}

/// Simulates the pick in full, and holds a verdict other than infeasible only when that
/// prediction meets every SLO: screening simulations are shorter, so near the edge of
/// capacity the pick, then the same configuration on the whole fleet, then the other
/// candidates meeting the targets are simulated in full until one meets them.
fn settle(
    scenario: &ResolvedScenario,
    candidates: &[Candidate],
    verdict: Verdict,
    first_pick: Pick,
    binding: usize,
) -> Settled {
    let full = |pick: &Pick| predict_deployment(scenario, &pick.deployment(candidates), SimulationSize::Full);
    if !verdict.is_feasible() {
        return Settled {
            verdict,
            pick: first_pick,
            prediction: full(&first_pick),
            missed_in_full: false,
        };
    }
    let order: Box<dyn Fn(&Candidate) -> f64> = match verdict {
        Verdict::LatencyFirst => Box::new(move |c: &Candidate| c.latency_at_load(binding)),
        _ => Box::new(|c: &Candidate| -c.capacity_tokens_per_gpu(scenario)),
    };
    for pick in pick::fallbacks(candidates, first_pick, order)
        .into_iter()
        .take(MOST_FULL_SIMULATIONS)
    {
        let prediction = full(&pick);
        if prediction.meets_slos() {
            return Settled {
                verdict,
                pick,
                prediction,
                missed_in_full: false,
            };
        }
    }
    let pick = Pick::whole_fleet(candidates, pick::most_capacity(candidates));
    Settled {
        verdict: Verdict::InfeasibleCapacity,
        pick,
        prediction: full(&pick),
        missed_in_full: true,
    }
}

/// Output tokens/s per GPU of the fleet that a request-rate load asks for.
fn required_per_gpu(scenario: &ResolvedScenario) -> Option<f64> {
    match scenario.load {
        LoadKind::Open {
            requests_per_second, ..
        } => Some(requests_per_second * scenario.output_tokens.mean / f64::from(scenario.gpu_count)),
        _ => None,
    }
}

/// The recommendation when no deployment's weights fit the fleet: the largest group the fleet
/// allows, predicted (infeasible, with the numbers), the smallest group the weights fit in, and
/// what a whole node of the same GPU would do. That decides the verdict: when even a node's
/// best deployment misses the latency target unloaded, more GPUs cannot help (infeasible on
/// latency); otherwise they can, and the node's search says how many the load needs.
fn nothing_fits(scenario: &ResolvedScenario) -> (Recommendation, Option<(u32, Deployment)>) {
    let precision = *scenario.precisions.last().unwrap_or(&Precision::Bf16);
    let largest_tp = scenario
        .model
        .tensor_parallel_degrees(GPUS_PER_NODE.min(scenario.gpu_count))
        .last()
        .unwrap_or(1);
    let deployment = Deployment::with_engine_defaults(
        scenario.engine.unwrap_or(ServingEngine::DEFAULT),
        largest_tp,
        scenario.gpu_count / largest_tp,
        precision,
    );
    let prediction = predict_deployment(scenario, &deployment, SimulationSize::Full);
    let smallest = fixes::smallest_fitting_group(scenario, &deployment);
    // A group that fits is at most a node, and the fleet is then smaller (else a candidate
    // would fit): the node's search does not come back here.
    let (node, needed) = match smallest.and_then(|_| on_a_node(scenario)) {
        Some((node, needed)) => (Some(node), needed),
        None => (None, None),
    };
    let verdict = match &node {
        Some(node) if node.verdict == Verdict::InfeasibleLatency => Verdict::InfeasibleLatency,
        _ => Verdict::InfeasibleCapacity,
    };
    let (summary, reasons) = explain::nothing_fits(scenario, &prediction, smallest, node.as_ref());
    let recommendation = Recommendation {
        verdict,
        summary,
        reasons,
        config: deployment,
        prediction,
        frontier: Vec::new(),
        candidates: Vec::new(),
        gpus_needed: needed.map_or(0, |(gpus, _)| gpus),
        latency_slack: 0.0,
        load_pressure: None,
        binding_slo: node.as_ref().map_or(scenario.slos[0], |node| node.binding_slo),
        best_achievable_ms: None,
        slo_capacity: 0.0,
        required_load: scenario.load.level(),
        load_unit: scenario.load.unit(),
        required_output_tokens_per_second_per_gpu: required_per_gpu(scenario),
        load_curve: Vec::new(),
    };
    (recommendation, needed)
}
