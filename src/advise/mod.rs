//! The product's question: for this scenario, latency or throughput first, and what to run.
//! Searches the deployments the fleet allows (`search`), decides the verdict from the latency
//! slack and the load pressure (`verdict`), picks the configuration that serves it, says what
//! would fix an infeasible scenario (`fixes`), and lays out the Pareto frontier to plot.

mod fixes;
pub(crate) mod search;
mod verdict;

pub use search::{CAPACITY_SEARCH_REQUESTS, CAPACITY_SEARCH_STEPS, MAX_TENSOR_PARALLEL, SCREENING_REQUESTS};
pub use verdict::{Verdict, AMPLE_SLACK, HIGH_PRESSURE, LOW_PRESSURE, TIGHT_SLACK};

use crate::error::{Error, Result};
use crate::predict::Prediction;
use crate::scenario::{Deployment, LoadKind, Resolved, Scenario, SloTarget};
use search::Candidate;
use serde::Serialize;

/// A latency-first pick keeps this much SLO capacity above the required load, so a burst does
/// not push it over the target.
pub const LATENCY_HEADROOM: f64 = 1.25;
/// Token budgets tried when tuning a latency-first pick (smaller chunks stall decodes less).
const LATENCY_TOKEN_BUDGETS: [u32; 2] = [2048, 4096];
/// Batch limits and token budgets tried when tuning a throughput-first pick.
const THROUGHPUT_VARIANTS: [(u32, u32); 3] = [(512, 8192), (1024, 16384), (128, 8192)];

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

/// Requests simulated per level of the load curve (a picture, so fewer than a prediction).
const LOAD_CURVE_REQUESTS: u32 = 500;
/// Fractions of the saturated throughput at which the load curve is drawn.
const LOAD_CURVE_FRACTIONS: [f64; 8] = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0];

/// The binding metric's p50/p95/p99 for `deployment` at rising request rates.
fn load_curve(scenario: &Resolved, deployment: &Deployment, binding: usize, saturated_rps: f64) -> Vec<LoadCurvePoint> {
    let LoadKind::Open { burstiness, .. } = scenario.load else {
        return Vec::new();
    };
    let metric = scenario.slos[binding].metric;
    LOAD_CURVE_FRACTIONS
        .iter()
        .filter_map(|fraction| {
            let requests_per_second = saturated_rps * fraction;
            let at = Resolved {
                load: LoadKind::Open {
                    requests_per_second,
                    burstiness,
                },
                ..scenario.clone()
            };
            let prediction = crate::predict::predict_resolved_with(&at, deployment, Some(LOAD_CURVE_REQUESTS));
            let summary = match metric {
                crate::scenario::Metric::Ttft => prediction.ttft_ms,
                crate::scenario::Metric::Tpot => prediction.tpot_ms,
                crate::scenario::Metric::Itl => prediction.itl_ms,
                crate::scenario::Metric::E2e => prediction.e2e_ms,
            }?;
            Some(LoadCurvePoint {
                requests_per_second,
                p50_ms: summary.p50,
                p95_ms: summary.p95,
                p99_ms: summary.p99,
                fell_behind: prediction.simulation.is_some_and(|s| s.fell_behind),
            })
        })
        .collect()
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
    let scenario = scenario.resolve()?;
    if scenario.slos.is_empty() {
        return Err(Error::invalid(
            "slo",
            "given for advise (a latency target to weigh against throughput), or implied by a useCase preset",
            "nothing",
        ));
    }
    let bases = search::base_deployments(&scenario);
    if bases.is_empty() {
        return Ok(fixes::nothing_fits(&scenario));
    }
    let mut candidates: Vec<Candidate> = bases.iter().map(|d| search::evaluate(&scenario, d)).collect();
    let binding = search::binding_slo(&scenario, &candidates);
    // A gap target is vacuous for one-token outputs (0 ms): keep the slack finite.
    let best_ms = search::best_unloaded_ms(&candidates, binding).max(1e-6);
    let latency_slack = scenario.slos[binding].target_ms / best_ms;
    let required = search::required_level(&scenario);
    let best_capacity = candidates.iter().map(|c| c.slo_capacity).fold(0.0, f64::max);
    let load_pressure = match scenario.load {
        // Everything is queued at once: the batch takes the whole fleet by definition.
        LoadKind::Offline { .. } if candidates.iter().any(Candidate::meets_slos_at_load) => 1.0,
        LoadKind::Offline { .. } => f64::INFINITY,
        _ if best_capacity > 0.0 => required / best_capacity,
        _ => f64::INFINITY,
    };
    let verdict = verdict::decide(latency_slack, load_pressure, scenario.use_case);

    let pick = match verdict {
        Verdict::LatencyFirst => pick_latency_first(&scenario, &mut candidates, binding),
        Verdict::ThroughputFirst | Verdict::Balanced => pick_throughput_first(&scenario, &mut candidates),
        Verdict::InfeasibleLatency => index_of_min(&candidates, |c| c.unloaded_ms[binding]),
        Verdict::InfeasibleCapacity => index_of_min(&candidates, |c| -c.slo_capacity),
    };
    let chosen = candidates[pick].clone();
    let gpus_needed = gpus_needed(&scenario, &chosen, required);
    let context = fixes::Context {
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
    let (summary, reasons) = fixes::explain(verdict, &context);
    let points = frontier_points(&scenario, &candidates, binding, pick);
    // The recommended deployment, simulated in full (candidates were screened with fewer requests).
    let prediction = crate::predict::predict_resolved(&scenario, &chosen.deployment);
    let saturated_rps = prediction.roofline.as_ref().map_or(0.0, |r| r.max_requests_per_second);
    Ok(Recommendation {
        verdict,
        summary,
        reasons,
        config: chosen.deployment,
        load_curve: load_curve(&scenario, &chosen.deployment, binding, saturated_rps),
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
        load_unit: load_unit(&scenario),
        required_output_tokens_per_second_per_gpu: required_per_gpu(&scenario),
    })
}

pub(crate) fn required_per_gpu(scenario: &Resolved) -> Option<f64> {
    match scenario.load {
        LoadKind::Open {
            requests_per_second, ..
        } => Some(requests_per_second * scenario.output_tokens.mean / f64::from(scenario.gpu_count)),
        _ => None,
    }
}

pub(crate) fn load_unit(scenario: &Resolved) -> &'static str {
    match scenario.load {
        LoadKind::Open { .. } => "requests/s",
        LoadKind::Closed { .. } => "concurrent users",
        LoadKind::Offline { .. } => "requests",
    }
}

fn index_of_min(candidates: &[Candidate], key: impl Fn(&Candidate) -> f64) -> usize {
    (0..candidates.len())
        .min_by(|&a, &b| key(&candidates[a]).total_cmp(&key(&candidates[b])))
        .unwrap_or(0)
}

/// The binding SLO's percentile at the required load (infinite when not measured).
fn latency_at_load(candidate: &Candidate, binding: usize) -> f64 {
    candidate.at_load.slos[binding].achieved_ms.unwrap_or(f64::INFINITY)
}

/// Lowest binding-SLO percentile at the required load among candidates meeting every SLO with
/// headroom (else just meeting them); then smaller token budgets are tried on it.
fn pick_latency_first(scenario: &Resolved, candidates: &mut Vec<Candidate>, binding: usize) -> usize {
    let required = search::required_level(scenario);
    let best_among = |candidates: &[Candidate], need_headroom: bool| {
        (0..candidates.len())
            .filter(|&i| {
                candidates[i].meets_slos_at_load()
                    && (!need_headroom || candidates[i].slo_capacity >= required * LATENCY_HEADROOM)
            })
            .min_by(|&a, &b| {
                latency_at_load(&candidates[a], binding).total_cmp(&latency_at_load(&candidates[b], binding))
            })
    };
    let Some(mut pick) = best_among(candidates, true).or_else(|| best_among(candidates, false)) else {
        return index_of_min(candidates, |c| latency_at_load(c, binding));
    };
    for budget in LATENCY_TOKEN_BUDGETS {
        let base = candidates[pick].deployment;
        if budget >= base.max_batched_tokens || budget < base.max_batch {
            continue;
        }
        let variant = search::evaluate(
            scenario,
            &Deployment {
                max_batched_tokens: budget,
                ..base
            },
        );
        let better = variant.meets_slos_at_load()
            && variant.slo_capacity >= required * LATENCY_HEADROOM.min(candidates[pick].slo_capacity / required)
            && latency_at_load(&variant, binding) < latency_at_load(&candidates[pick], binding);
        candidates.push(variant);
        if better {
            pick = candidates.len() - 1;
        }
    }
    pick
}

/// Highest SLO capacity per GPU among candidates meeting every SLO at the required load; then
/// larger batches and budgets are tried on it.
fn pick_throughput_first(scenario: &Resolved, candidates: &mut Vec<Candidate>) -> usize {
    let per_gpu = |c: &Candidate| c.slo_capacity_tokens_per_gpu(scenario);
    let meeting: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].meets_slos_at_load())
        .collect();
    let Some(&first) = meeting.first() else {
        return index_of_min(candidates, |c| -c.slo_capacity);
    };
    let mut pick = meeting
        .iter()
        .copied()
        .max_by(|&a, &b| per_gpu(&candidates[a]).total_cmp(&per_gpu(&candidates[b])))
        .unwrap_or(first);
    for (max_batch, max_batched_tokens) in THROUGHPUT_VARIANTS {
        let base = candidates[pick].deployment;
        if (max_batch, max_batched_tokens) == (base.max_batch, base.max_batched_tokens) {
            continue;
        }
        let variant = search::evaluate(
            scenario,
            &Deployment {
                max_batch,
                max_batched_tokens,
                ..base
            },
        );
        let better = variant.meets_slos_at_load() && per_gpu(&variant) > per_gpu(&candidates[pick]) * 1.02;
        candidates.push(variant);
        if better {
            pick = candidates.len() - 1;
        }
    }
    pick
}

/// GPUs the candidate's deployment needs to carry the required load within the SLOs: replicas
/// scale the SLO capacity linearly (the load is split evenly).
fn gpus_needed(scenario: &Resolved, candidate: &Candidate, required: f64) -> u32 {
    let d = &candidate.deployment;
    // No number of GPUs brings a percentile below what a lone request takes.
    if candidate
        .unloaded_ms
        .iter()
        .zip(&scenario.slos)
        .any(|(ms, slo)| *ms > slo.target_ms)
    {
        return 0;
    }
    let per_replica = candidate.slo_capacity / f64::from(d.replicas);
    let replicas = match scenario.load {
        LoadKind::Offline { .. } => {
            // The batch's tail latency shrinks in proportion to the replicas sharing it.
            let achieved = candidate
                .at_load
                .slos
                .iter()
                .map(|c| c.achieved_ms.unwrap_or(f64::INFINITY) / c.target_ms);
            let over = achieved.fold(0.0, f64::max);
            (f64::from(d.replicas) * over.max(f64::MIN_POSITIVE)).ceil()
        }
        _ if per_replica > 0.0 => (required / per_replica).ceil(),
        _ => f64::INFINITY,
    };
    if replicas.is_finite() {
        (replicas.max(1.0) as u32).saturating_mul(d.tensor_parallel)
    } else {
        0
    }
}

fn frontier_points(scenario: &Resolved, candidates: &[Candidate], binding: usize, pick: usize) -> Vec<FrontierPoint> {
    let mut points: Vec<FrontierPoint> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| FrontierPoint {
            config: c.deployment,
            latency_ms: c.at_load.slos[binding].achieved_ms,
            output_tokens_per_second_per_gpu: if c.slo_capacity > 0.0 {
                c.slo_capacity_tokens_per_gpu(scenario)
            } else {
                c.at_load.output_tokens_per_second_per_gpu
            },
            meets_slo: c.meets_slos_at_load(),
            pareto_optimal: false,
            recommended: i == pick,
        })
        .collect();
    let latency = |p: &FrontierPoint| p.latency_ms.unwrap_or(f64::INFINITY);
    for i in 0..points.len() {
        let dominated = points.iter().enumerate().any(|(j, other)| {
            j != i
                && latency(other) <= latency(&points[i])
                && other.output_tokens_per_second_per_gpu >= points[i].output_tokens_per_second_per_gpu
                && (latency(other) < latency(&points[i])
                    || other.output_tokens_per_second_per_gpu > points[i].output_tokens_per_second_per_gpu)
        });
        points[i].pareto_optimal = !dominated && points[i].latency_ms.is_some();
    }
    points
}
