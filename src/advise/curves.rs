//! What a recommendation draws: the trade-off between latency and throughput per GPU over the
//! candidates (with the Pareto frontier marked), and the recommended deployment's latency as
//! the load rises towards its saturated throughput.

use super::search::Candidate;
use super::{FrontierPoint, LoadCurvePoint};
use crate::domain::{Deployment, LoadKind};
use crate::predict::{predict_deployment, Prediction, SimulationSize};
use crate::scenario::ResolvedScenario;

/// Requests simulated per level of the load curve (a picture, so fewer than a prediction).
const LOAD_CURVE_REQUESTS: u32 = 500;
/// Fractions of the saturated throughput at which the load curve is drawn.
const LOAD_CURVE_FRACTIONS: [f64; 8] = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0];

/// The binding metric's p50/p95/p99 for `deployment` at rising request rates (open loads only).
pub fn load_curve(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    binding: usize,
    saturated_rps: f64,
) -> Vec<LoadCurvePoint> {
    let LoadKind::Open { arrival_cv, .. } = scenario.load else {
        return Vec::new();
    };
    let metric = scenario.slos[binding].metric;
    LOAD_CURVE_FRACTIONS
        .iter()
        .filter_map(|fraction| {
            let requests_per_second = saturated_rps * fraction;
            let at = scenario.with_load(LoadKind::Open {
                requests_per_second,
                arrival_cv,
            });
            let prediction = predict_deployment(
                &at,
                deployment,
                SimulationSize::Screening {
                    requests_per_replica: LOAD_CURVE_REQUESTS,
                },
            );
            let summary = prediction.summary(metric)?;
            Some(LoadCurvePoint {
                requests_per_second,
                p50_ms: summary.p50,
                p95_ms: summary.p95,
                p99_ms: summary.p99,
                fell_behind: prediction.fell_behind(),
            })
        })
        .collect()
}

/// Every candidate on the trade-off chart, Pareto-optimal ones marked: none has both a lower
/// binding percentile at the load and more SLO capacity per GPU. The recommended point is
/// drawn from `recommended`, the full prediction of what is recommended (the others from their
/// screening on the whole fleet).
pub fn frontier_points(
    scenario: &ResolvedScenario,
    candidates: &[Candidate],
    binding: usize,
    pick: usize,
    recommended: &Prediction,
) -> Vec<FrontierPoint> {
    let mut points: Vec<FrontierPoint> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let at_load = if i == pick { recommended } else { &c.at_load };
            FrontierPoint {
                config: if i == pick { recommended.config } else { c.deployment },
                latency_ms: at_load.slos[binding].achieved_ms,
                output_tokens_per_second_per_gpu: if c.replica_capacity > 0.0 {
                    c.capacity_tokens_per_gpu(scenario)
                } else {
                    at_load.output_tokens_per_second_per_gpu
                },
                meets_slo: at_load.meets_slos(),
                pareto_optimal: false,
                recommended: i == pick,
            }
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
