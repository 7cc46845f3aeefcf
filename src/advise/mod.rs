//! The product's question: for this scenario, latency or throughput first, and what to run.
//!
//! One call reads as: search the deployments the fleet allows and evaluate each (`search`),
//! decide the verdict from the latency slack and the load pressure (`verdict`), pick the
//! configuration that serves it (`pick`), compute what would fix an infeasible scenario
//! (`fixes`), say why in words (`explain`), and lay out the charts (`curves`).

mod curves;
mod explain;
mod fixes;
mod pick;
mod search;
mod verdict;

pub use pick::LATENCY_HEADROOM;
pub use search::{CAPACITY_SEARCH_REQUESTS, CAPACITY_SEARCH_STEPS, SCREENING_REQUESTS};
pub use verdict::{Verdict, AMPLE_SLACK, HIGH_PRESSURE, LOW_PRESSURE, TIGHT_SLACK};

use crate::calibrate::prepare;
use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, LoadKind, Precision, ServingEngine, SloTarget};
use crate::error::{Error, Result};
use crate::predict::{predict_deployment, Prediction, SimulationSize};
use crate::scenario::{ResolvedScenario, Scenario};
use explain::{Alternatives, Context};
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
    /// GPUs the recommended deployment needs for the required load at the SLOs.
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
    /// The highest load at which every SLO holds, best over configurations, in the load's
    /// unit (requests/s, or users for a closed loop).
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
    let bases = search::base_deployments(&scenario);
    if bases.is_empty() {
        return Ok(nothing_fits(&scenario));
    }
    let mut candidates: Vec<Candidate> = bases.iter().map(|d| search::evaluate(&scenario, d)).collect();
    let binding = search::binding_slo(&scenario, &candidates);
    // A gap target is vacuous for one-token outputs (0 ms): keep the slack finite.
    let best_ms = search::best_unloaded_ms(&candidates, binding).max(1e-6);
    let latency_slack = scenario.slos[binding].target_ms / best_ms;
    let required = scenario.load.level();
    let best_capacity = candidates.iter().map(|c| c.slo_capacity).fold(0.0, f64::max);
    let load_pressure = match scenario.load {
        // Everything is queued at once: the batch takes the whole fleet by definition.
        LoadKind::Offline { .. } if candidates.iter().any(Candidate::meets_slos_at_load) => 1.0,
        LoadKind::Offline { .. } => f64::INFINITY,
        _ if best_capacity > 0.0 => required / best_capacity,
        _ => f64::INFINITY,
    };
    let verdict = verdict::decide(latency_slack, load_pressure, scenario.use_case);

    let chosen_index = match verdict {
        Verdict::LatencyFirst => pick::latency_first(&scenario, &mut candidates, binding),
        Verdict::ThroughputFirst | Verdict::Balanced => pick::throughput_first(&scenario, &mut candidates),
        Verdict::InfeasibleLatency => pick::index_of_min(&candidates, |c| c.unloaded_ms[binding]),
        Verdict::InfeasibleCapacity => pick::most_capacity(&candidates),
    };
    let chosen = candidates[chosen_index].clone();
    let gpus_needed = pick::gpus_needed(&scenario, &chosen);
    let alternatives = match verdict {
        Verdict::InfeasibleLatency => {
            let best = fixes::best_latency_candidate(&candidates, binding).unwrap_or(&chosen);
            Alternatives::Latency(fixes::latency_fixes(&scenario, best.deployment, binding))
        }
        Verdict::InfeasibleCapacity => {
            Alternatives::Capacity(fixes::capacity_fixes(&scenario, &chosen, binding, gpus_needed))
        }
        _ => Alternatives::None,
    };
    let context = Context {
        scenario: &scenario,
        candidates: &candidates,
        chosen: &chosen,
        binding,
        best_ms,
        latency_slack,
        load_pressure,
        required,
        best_capacity,
        gpus_needed,
    };
    let (summary, reasons) = explain::explain(verdict, &context, &alternatives);
    let points = curves::frontier_points(&scenario, &candidates, binding, chosen_index);
    // The recommended deployment, simulated in full (candidates were screened with fewer requests).
    let prediction = predict_deployment(&scenario, &chosen.deployment, SimulationSize::Full);
    let saturated_rps = prediction.roofline.as_ref().map_or(0.0, |r| r.max_requests_per_second);
    Ok(Recommendation {
        verdict,
        summary,
        reasons,
        config: chosen.deployment,
        load_curve: curves::load_curve(&scenario, &chosen.deployment, binding, saturated_rps),
        prediction,
        frontier: points.iter().filter(|p| p.pareto_optimal).cloned().collect(),
        candidates: points,
        gpus_needed,
        latency_slack,
        load_pressure: load_pressure.is_finite().then_some(load_pressure),
        binding_slo: scenario.slos[binding],
        best_achievable_ms: Some(best_ms),
        slo_capacity: best_capacity,
        required_load: required,
        load_unit: scenario.load.unit(),
        required_output_tokens_per_second_per_gpu: required_per_gpu(&scenario),
    })
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
/// allows, predicted (infeasible, with the numbers), and the smallest group they would fit in.
fn nothing_fits(scenario: &ResolvedScenario) -> Recommendation {
    let precision = *scenario.precisions.last().unwrap_or(&Precision::Bf16);
    let largest_tp = scenario
        .model
        .fleet_tensor_parallel_degrees(scenario.gpu_count, GPUS_PER_NODE)
        .last()
        .unwrap_or(1);
    let deployment = Deployment::with_engine_defaults(
        ServingEngine::DEFAULT,
        largest_tp,
        scenario.gpu_count / largest_tp,
        precision,
    );
    let prediction = predict_deployment(scenario, &deployment, SimulationSize::Full);
    let smallest = fixes::smallest_fitting_group(scenario, &deployment);
    let (summary, reasons) = explain::nothing_fits(scenario, &prediction, smallest);
    let gpus_needed = smallest.map_or(0, |(tensor_parallel, _)| tensor_parallel);
    Recommendation {
        verdict: Verdict::InfeasibleCapacity,
        summary,
        reasons,
        config: deployment,
        prediction,
        frontier: Vec::new(),
        candidates: Vec::new(),
        gpus_needed,
        latency_slack: 0.0,
        load_pressure: None,
        binding_slo: scenario.slos[0],
        best_achievable_ms: None,
        slo_capacity: 0.0,
        required_load: scenario.load.level(),
        load_unit: scenario.load.unit(),
        required_output_tokens_per_second_per_gpu: required_per_gpu(scenario),
        load_curve: Vec::new(),
    }
}
