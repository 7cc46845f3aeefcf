//! Which candidate the verdict recommends, and how many GPUs it needs. Latency-first takes the
//! lowest binding percentile that leaves SLO capacity to spare; throughput-first and balanced
//! the most SLO capacity per GPU. Each then tries a few scheduler settings on its pick.

use super::search::{self, Candidate};
use crate::domain::{Deployment, LoadKind};
use crate::scenario::ResolvedScenario;

/// A latency-first pick keeps this much SLO capacity above the required load, so a burst does
/// not push it over the target.
pub const LATENCY_HEADROOM: f64 = 1.25;
/// Token budgets tried when tuning a latency-first pick (smaller chunks stall decodes less).
const LATENCY_TOKEN_BUDGETS: [u32; 2] = [2048, 4096];
/// Batch limits and token budgets tried when tuning a throughput-first pick.
const THROUGHPUT_VARIANTS: [(u32, u32); 3] = [(512, 8192), (1024, 16384), (128, 8192)];
/// A throughput variant replaces the pick only when it carries this much more per GPU: less is
/// within the screening simulations' noise.
const THROUGHPUT_GAIN: f64 = 1.02;

/// The index of the candidate with the smallest `key`.
pub fn index_of_min(candidates: &[Candidate], key: impl Fn(&Candidate) -> f64) -> usize {
    (0..candidates.len())
        .min_by(|&a, &b| key(&candidates[a]).total_cmp(&key(&candidates[b])))
        .unwrap_or(0)
}

/// The candidate with the most SLO capacity; among those with none (an offline batch that no
/// deployment finishes within the targets), the one completing the most requests per second.
pub fn most_capacity(candidates: &[Candidate]) -> usize {
    (0..candidates.len())
        .max_by(|&a, &b| {
            let key = |c: &Candidate| (c.slo_capacity, c.at_load.requests_per_second);
            let (ka, kb) = (key(&candidates[a]), key(&candidates[b]));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(b.cmp(&a))
        })
        .unwrap_or(0)
}

/// Lowest binding-SLO percentile at the required load among candidates meeting every SLO with
/// headroom (else just meeting them); then smaller token budgets are tried on it.
pub fn latency_first(scenario: &ResolvedScenario, candidates: &mut Vec<Candidate>, binding: usize) -> usize {
    let required = scenario.load.level();
    let best_among = |candidates: &[Candidate], need_headroom: bool| {
        (0..candidates.len())
            .filter(|&i| {
                candidates[i].meets_slos_at_load()
                    && (!need_headroom || candidates[i].slo_capacity >= required * LATENCY_HEADROOM)
            })
            .min_by(|&a, &b| {
                candidates[a]
                    .latency_at_load(binding)
                    .total_cmp(&candidates[b].latency_at_load(binding))
            })
    };
    let Some(mut pick) = best_among(candidates, true).or_else(|| best_among(candidates, false)) else {
        return index_of_min(candidates, |c| c.latency_at_load(binding));
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
            && variant.latency_at_load(binding) < candidates[pick].latency_at_load(binding);
        candidates.push(variant);
        if better {
            pick = candidates.len() - 1;
        }
    }
    pick
}

/// Highest SLO capacity per GPU among candidates meeting every SLO at the required load; then
/// larger batches and budgets are tried on it.
pub fn throughput_first(scenario: &ResolvedScenario, candidates: &mut Vec<Candidate>) -> usize {
    let per_gpu = |c: &Candidate| c.slo_capacity_tokens_per_gpu(scenario);
    let meeting: Vec<usize> = (0..candidates.len())
        .filter(|&i| candidates[i].meets_slos_at_load())
        .collect();
    let Some(&first) = meeting.first() else {
        return most_capacity(candidates);
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
        let better = variant.meets_slos_at_load() && per_gpu(&variant) > per_gpu(&candidates[pick]) * THROUGHPUT_GAIN;
        candidates.push(variant);
        if better {
            pick = candidates.len() - 1;
        }
    }
    pick
}

/// GPUs the candidate's deployment needs to carry the required load within the SLOs: replicas
/// scale the SLO capacity linearly (the load is split evenly). 0 when no number of GPUs does.
pub fn gpus_needed(scenario: &ResolvedScenario, candidate: &Candidate) -> u32 {
    let d = &candidate.deployment;
    if !search::alone_within_targets(&candidate.unloaded_ms, &scenario.slos) {
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
        _ if per_replica > 0.0 => (scenario.load.level() / per_replica).ceil(),
        _ => f64::INFINITY,
    };
    if replicas.is_finite() {
        (replicas.max(1.0) as u32).saturating_mul(d.tensor_parallel)
    } else {
        0
    }
}
