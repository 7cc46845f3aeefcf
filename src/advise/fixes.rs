//! What would make an infeasible scenario feasible, computed rather than guessed: for a latency
//! target out of reach, a larger tensor-parallel group, FP8, shorter prompts or another GPU;
//! for too little capacity, more GPUs or a relaxed target; for weights that fit nowhere, the
//! smallest group they fit in. Each alternative is data, with its numbers; `explain` words it.

use super::search::{self, Candidate};
use crate::catalog::{self, GPUS_PER_NODE};
use crate::domain::{Deployment, LengthDistribution, Metric, Precision, SloTarget};
use crate::perf::MemoryPlan;
use crate::predict::Prediction;
use crate::scenario::ResolvedScenario;

/// An alternative that would bring the binding SLO's best percentile towards its target.
#[derive(Debug, Clone, PartialEq)]
pub enum LatencyFix {
    /// A larger tensor-parallel group (on a fleet of its size), and the percentile it gives.
    MoreTensorParallel { deployment: Deployment, ms: f64 },
    /// FP8, which the scenario does not allow and the GPU supports: its best deployment.
    Fp8 { deployment: Deployment, ms: f64 },
    /// The longest mean prompt that meets the target on `deployment`.
    ShorterPrompts { mean_tokens: f64, deployment: Deployment },
    /// Other catalog GPUs, as many of them: up to three that meet the target, fastest first.
    OtherGpusMeeting(Vec<(String, f64)>),
    /// No other catalog GPU meets it; the fastest of them and what it gives.
    FastestOtherGpu { gpu: String, ms: f64 },
    /// Nothing within this model, GPU family and one node reaches the target.
    SmallerModel,
}

/// An alternative that would carry the required load.
#[derive(Debug, Clone, PartialEq)]
pub enum CapacityFix {
    /// The fewest GPUs that would: `deployment` (its replicas x its tensor parallelism).
    MoreGpus { deployment: Deployment },
    /// The targets this fleet meets at the required load: each one it misses, relaxed to what
    /// it achieves.
    RelaxedTargets(Vec<SloTarget>),
    /// The fleet cannot serve the load at any target: what it completes, and on what.
    NoRelaxedTarget {
        requests_per_second: f64,
        deployment: Deployment,
    },
}

/// The candidate with the lowest lone-request percentile of SLO `binding`.
pub fn best_latency_candidate(candidates: &[Candidate], binding: usize) -> Option<&Candidate> {
    candidates
        .iter()
        .min_by(|a, b| a.unloaded_ms[binding].total_cmp(&b.unloaded_ms[binding]))
}

/// What would bring the binding SLO's lone-request percentile under the target; `best` is the
/// deployment with the lowest one.
pub fn latency_fixes(scenario: &ResolvedScenario, best: Deployment, binding: usize) -> Vec<LatencyFix> {
    let slo = scenario.slos[binding];
    let best_for = |scenario: &ResolvedScenario| -> Option<(f64, Deployment)> {
        search::candidate_deployments(scenario)
            .iter()
            .map(|searched| (searched.unloaded_ms[binding], searched.deployment))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let mut fixes = Vec::new();
    // More tensor parallelism on a larger fleet (within one node).
    // Fleets grow in powers of two: the next such group, within a node, that splits the heads.
    let larger_tp =
        (best.tensor_parallel * 2..=GPUS_PER_NODE).find(|&tp| tp.is_power_of_two() && scenario.model.splits_heads(tp));
    if let Some(tp) = larger_tp {
        let bigger = ResolvedScenario {
            gpu_count: tp,
            ..scenario.clone()
        };
        let deployment = Deployment {
            tensor_parallel: tp,
            replicas: 1,
            ..best
        };
        if MemoryPlan::new(&bigger.model, &bigger.gpu, &deployment).weights_fit {
            let ms = search::unloaded_percentiles(&bigger, &deployment)[binding];
            fixes.push(LatencyFix::MoreTensorParallel { deployment, ms });
        }
    }
    // FP8, when the GPU has it and the scenario does not already allow it.
    if scenario.gpu.supports(Precision::Fp8) && !scenario.precisions.contains(&Precision::Fp8) {
        let with_fp8 = ResolvedScenario {
            precisions: vec![Precision::Fp8],
            ..scenario.clone()
        };
        if let Some((ms, deployment)) = best_for(&with_fp8) {
            fixes.push(LatencyFix::Fp8 { deployment, ms });
        }
    }
    // Shorter prompts, for targets that include the prefill.
    if matches!(slo.metric, Metric::Ttft | Metric::E2e) {
        if let Some(mean_tokens) = longest_prompt_meeting(scenario, &best, binding, slo.target_ms) {
            fixes.push(LatencyFix::ShorterPrompts {
                mean_tokens,
                deployment: best,
            });
        }
    }
    // Another GPU of the catalog, same count.
    let mut others: Vec<(f64, String)> = catalog::catalog()
        .gpus
        .iter()
        .filter(|entry| entry.spec.id != scenario.gpu.id)
        .filter_map(|entry| {
            let other = ResolvedScenario {
                gpu: entry.spec.clone(),
                precisions: scenario
                    .precisions
                    .iter()
                    .copied()
                    .filter(|&p| entry.spec.supports(p))
                    .collect(),
                ..scenario.clone()
            };
            if other.precisions.is_empty() {
                return None;
            }
            best_for(&other).map(|(ms, _)| (ms, entry.spec.id.clone()))
        })
        .collect();
    others.sort_by(|a, b| a.0.total_cmp(&b.0));
    let meeting: Vec<(String, f64)> = others
        .iter()
        .filter(|(ms, _)| *ms <= slo.target_ms)
        .take(3)
        .map(|(ms, id)| (id.clone(), *ms))
        .collect();
    if !meeting.is_empty() {
        fixes.push(LatencyFix::OtherGpusMeeting(meeting));
    } else if let Some((ms, gpu)) = others.first() {
        fixes.push(LatencyFix::FastestOtherGpu {
            gpu: gpu.clone(),
            ms: *ms,
        });
    }
    if fixes.is_empty() {
        fixes.push(LatencyFix::SmallerModel);
    }
    fixes
}

/// The largest mean prompt (scaling the prompt distribution) whose lone-request percentile
/// meets `target_ms`, by bisection; `None` when even a 1-token prompt does not.
fn longest_prompt_meeting(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    index: usize,
    target_ms: f64,
) -> Option<f64> {
    let with_prompt = |mean: f64| {
        let shorter = ResolvedScenario {
            prompt_tokens: LengthDistribution {
                mean,
                ..scenario.prompt_tokens
            },
            ..scenario.clone()
        };
        search::unloaded_percentiles(&shorter, deployment)[index]
    };
    if with_prompt(1.0) > target_ms {
        return None;
    }
    let (mut low, mut high) = (1.0, scenario.prompt_tokens.mean);
    for _ in 0..20 {
        let middle = (low + high) / 2.0;
        if with_prompt(middle) <= target_ms {
            low = middle;
        } else {
            high = middle;
        }
    }
    Some(low.floor())
}

/// How many GPUs, or which relaxed target, would carry the load; `chosen` is the full
/// prediction of the deployment the fleet runs best, `needed` the fewest GPUs that carry the
/// load and how they are deployed.
pub fn capacity_fixes(
    scenario: &ResolvedScenario,
    chosen: &Prediction,
    needed: Option<(u32, Deployment)>,
) -> Vec<CapacityFix> {
    let mut fixes = Vec::new();
    if let Some((_, deployment)) = needed {
        fixes.push(CapacityFix::MoreGpus { deployment });
    }
    let missed: Vec<(usize, Option<f64>)> = chosen
        .slos
        .iter()
        .enumerate()
        .filter(|(_, check)| !check.met)
        .map(|(index, check)| (index, check.achieved_ms))
        .collect();
    let relaxed: Option<Vec<SloTarget>> = missed
        .iter()
        .map(|&(index, achieved)| {
            achieved.map(|ms| SloTarget {
                target_ms: ms.ceil(),
                ..scenario.slos[index]
            })
        })
        .collect();
    match relaxed {
        Some(targets) if !chosen.fell_behind() && !targets.is_empty() => {
            fixes.push(CapacityFix::RelaxedTargets(targets))
        }
        // Every target met at the load: the deployment is at the edge, nothing to relax.
        Some(_) if !chosen.fell_behind() => {}
        _ => fixes.push(CapacityFix::NoRelaxedTarget {
            requests_per_second: chosen.requests_per_second,
            deployment: chosen.config,
        }),
    }
    fixes
}

/// The smallest tensor-parallel group (within a node) whose weights fit, in any allowed
/// precision: (degree, precision), or `None` when even a whole node does not hold them.
pub fn smallest_fitting_group(scenario: &ResolvedScenario, template: &Deployment) -> Option<(u32, Precision)> {
    scenario
        .model
        .tensor_parallel_degrees(GPUS_PER_NODE)
        .flat_map(|tp| scenario.precisions.iter().map(move |&p| (tp, p)))
        .find(|&(tp, p)| {
            let deployment = Deployment {
                tensor_parallel: tp,
                replicas: 1,
                precision: p,
                ..*template
            };
            MemoryPlan::new(&scenario.model, &scenario.gpu, &deployment).weights_fit
        })
}
