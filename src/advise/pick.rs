//! Which deployment the verdict recommends, and how many GPUs the load needs.
//!
//! A load needs the fewest GPUs that carry it within every SLO with `HEADROOM` to spare; that
//! is the recommendation for throughput-first and balanced verdicts (cost per request is GPUs
//! per request). Latency-first recommends it too, unless some deployment on the fleet cuts the
//! binding percentile by `MATERIAL_GAIN` or more where the right-sized one uses at least
//! `BINDING_SHARE` of the target: only then are GPUs beyond the need worth their cost, and the
//! reasons say what they buy.

use super::search::{screen, Candidate, SCREENING_REQUESTS};
use crate::domain::Deployment;
use crate::scenario::ResolvedScenario;

/// Capacity kept above the required load, so a burst does not push the deployment over its
/// targets: the recommended deployment and `gpusNeeded` carry 1.25 x the load within the SLOs.
pub const HEADROOM: f64 = 1.25;
/// More GPUs than the load needs are recommended only when they lower the binding percentile
/// by at least this share (a judgement: below a fifth, users hardly tell the difference, and
/// the GPUs cost the same) ...
pub const MATERIAL_GAIN: f64 = 0.2;
/// ... and the right-sized deployment's percentile takes at least this share of the target:
/// well under it, the target is met with room to spare and a faster answer buys nothing the
/// target asks for.
pub const BINDING_SHARE: f64 = 0.5;

/// The recommended deployment: a candidate in a number of replicas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    pub index: usize,
    pub replicas: u32,
    /// When the pick uses more GPUs than the load needs: the right-sized alternative and the
    /// binding percentile of each.
    pub extra_gpus: Option<ExtraGpus>,
}

/// What GPUs beyond the need buy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtraGpus {
    pub right_sized: Deployment,
    pub right_sized_ms: f64,
    pub picked_ms: f64,
}

impl Pick {
    /// The candidate on the whole fleet.
    pub fn whole_fleet(candidates: &[Candidate], index: usize) -> Pick {
        Pick {
            index,
            replicas: candidates[index].deployment.replicas,
            extra_gpus: None,
        }
    }

    pub fn deployment(&self, candidates: &[Candidate]) -> Deployment {
        candidates[self.index].with_replicas(self.replicas)
    }
}

/// The index of the candidate with the smallest `key`.
pub fn index_of_min(candidates: &[Candidate], key: impl Fn(&Candidate) -> f64) -> usize {
    (0..candidates.len())
        .min_by(|&a, &b| key(&candidates[a]).total_cmp(&key(&candidates[b])))
        .unwrap_or(0)
}

/// The candidate with the most SLO capacity on the fleet; among those with none, the one
/// completing the most requests per second at the load.
pub fn most_capacity(candidates: &[Candidate]) -> usize {
    (0..candidates.len())
        .max_by(|&a, &b| {
            let key = |c: &Candidate| (c.slo_capacity(), c.at_load.requests_per_second);
            let (ka, kb) = (key(&candidates[a]), key(&candidates[b]));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(b.cmp(&a))
        })
        .unwrap_or(0)
}

/// The deployment with the fewest GPUs that carries the required load with `HEADROOM`, among
/// `indices`, on at most `most_replicas(candidate)` replicas: (candidate, replicas). Ties go to
/// the most capacity per GPU, then to the first.
fn fewest_gpus(
    scenario: &ResolvedScenario,
    candidates: &[Candidate],
    indices: impl Iterator<Item = usize>,
    most_replicas: impl Fn(&Candidate) -> u32,
) -> Option<(usize, u32)> {
    let required = scenario.load.level();
    indices
        .filter_map(|index| {
            let candidate = &candidates[index];
            let replicas = candidate.replicas_needed(required, HEADROOM)?;
            (replicas <= most_replicas(candidate)).then_some((index, replicas))
        })
        .min_by(|&(a, ra), &(b, rb)| {
            let gpus = |index: usize, replicas: u32| {
                u64::from(replicas) * u64::from(candidates[index].deployment.tensor_parallel)
            };
            gpus(a, ra)
                .cmp(&gpus(b, rb))
                .then(
                    candidates[b]
                        .capacity_tokens_per_gpu(scenario)
                        .total_cmp(&candidates[a].capacity_tokens_per_gpu(scenario)),
                )
                .then(a.cmp(&b))
        })
}

/// The fewest GPUs that carry the required load within every SLO with `HEADROOM`, on any
/// number of replicas of any candidate, and that deployment; `None` when no candidate meets
/// the targets at any load.
pub fn gpus_needed(scenario: &ResolvedScenario, candidates: &[Candidate]) -> Option<(u32, Deployment)> {
    let (index, replicas) = fewest_gpus(scenario, candidates, 0..candidates.len(), |_| u32::MAX)?;
    let deployment = candidates[index].with_replicas(replicas);
    Some((deployment.gpus(), deployment))
}

/// The right-sized pick on this fleet: the fewest GPUs carrying the load with headroom, among
/// candidates meeting the SLOs at the load; the most capacity on the whole fleet when none does.
pub fn right_sized(scenario: &ResolvedScenario, candidates: &[Candidate]) -> Pick {
    let meeting = (0..candidates.len()).filter(|&i| candidates[i].meets_slos_at_load());
    match fewest_gpus(scenario, candidates, meeting, |c| c.deployment.replicas) {
        Some((index, replicas)) => Pick {
            index,
            replicas,
            extra_gpus: None,
        },
        None => Pick::whole_fleet(candidates, most_capacity(candidates)),
    }
}

/// The binding percentile of `deployment` at the required load (screened).
fn binding_ms(scenario: &ResolvedScenario, deployment: &Deployment, binding: usize) -> f64 {
    screen(scenario, deployment, SCREENING_REQUESTS).slos[binding]
        .achieved_ms
        .unwrap_or(f64::INFINITY)
}

/// Latency first: the right-sized deployment, unless the fastest deployment on the fleet (the
/// lowest binding percentile at the load among those meeting every SLO with headroom) is at
/// least `MATERIAL_GAIN` faster.
pub fn latency_first(scenario: &ResolvedScenario, candidates: &[Candidate], binding: usize) -> Pick {
    let required = scenario.load.level();
    let fastest_among = |need_headroom: bool| {
        (0..candidates.len())
            .filter(|&i| {
                candidates[i].meets_slos_at_load()
                    && (!need_headroom || candidates[i].slo_capacity() >= required * HEADROOM)
            })
            .min_by(|&a, &b| {
                candidates[a]
                    .latency_at_load(binding)
                    .total_cmp(&candidates[b].latency_at_load(binding))
            })
    };
    let Some(fastest) = fastest_among(true).or_else(|| fastest_among(false)) else {
        return Pick::whole_fleet(candidates, index_of_min(candidates, |c| c.latency_at_load(binding)));
    };
    let small = right_sized(scenario, candidates);
    if small.index == fastest && small.replicas == candidates[fastest].deployment.replicas {
        return small;
    }
    let small_deployment = small.deployment(candidates);
    let small_ms = binding_ms(scenario, &small_deployment, binding);
    let fastest_ms = candidates[fastest].latency_at_load(binding);
    let material =
        fastest_ms <= (1.0 - MATERIAL_GAIN) * small_ms && small_ms >= BINDING_SHARE * scenario.slos[binding].target_ms;
    if material && candidates[fastest].deployment.gpus() > small_deployment.gpus() {
        Pick {
            index: fastest,
            replicas: candidates[fastest].deployment.replicas,
            extra_gpus: Some(ExtraGpus {
                right_sized: small_deployment,
                right_sized_ms: small_ms,
                picked_ms: fastest_ms,
            }),
        }
    } else {
        small
    }
}

/// Fallbacks when the pick's full simulation misses a target: the same configuration on the
/// whole fleet, then the other candidates meeting the SLOs at the load, best first by `key`.
pub fn fallbacks(candidates: &[Candidate], pick: Pick, key: impl Fn(&Candidate) -> f64) -> Vec<Pick> {
    let mut others: Vec<usize> = (0..candidates.len())
        .filter(|&i| i != pick.index && candidates[i].meets_slos_at_load())
        .collect();
    others.sort_by(|&a, &b| key(&candidates[a]).total_cmp(&key(&candidates[b])));
    let mut picks = vec![pick];
    if pick.replicas < candidates[pick.index].deployment.replicas {
        picks.push(Pick::whole_fleet(candidates, pick.index));
    }
    picks.extend(others.into_iter().map(|index| Pick::whole_fleet(candidates, index)));
    picks
}
