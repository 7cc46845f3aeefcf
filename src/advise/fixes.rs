//! The words of a recommendation: the one-sentence summary, the reasons with their numbers, and
//! for an infeasible scenario what would fix it (more tensor parallelism, FP8, shorter prompts,
//! another GPU, more GPUs, a relaxed target), each computed, not guessed.

use super::search::{self, describe, describe_slo, format_ms, Candidate};
use super::{FrontierPoint, Recommendation, Verdict};
use crate::catalog::{self, Precision};
use crate::perf::MemoryPlan;
use crate::predict::predict_resolved;
use crate::scenario::{Deployment, LengthDistribution, LoadKind, Metric, Resolved, ServingEngine};

/// What the explanation draws on.
pub(super) struct Context<'a> {
    pub scenario: &'a Resolved,
    pub candidates: &'a [Candidate],
    pub chosen: &'a Candidate,
    pub binding: usize,
    pub best_ms: f64,
    pub latency_slack: f64,
    pub load_pressure: f64,
    pub required: f64,
    pub best_capacity: f64,
    pub gpus_needed: u32,
}

fn level_words(scenario: &Resolved, level: f64) -> String {
    match scenario.load {
        LoadKind::Open { .. } => format!("{} requests/s", round_sig(level)),
        LoadKind::Closed { .. } => format!("{level:.0} concurrent users"),
        LoadKind::Offline { .. } => format!("{level:.0} queued requests"),
    }
}

/// Three significant figures, without trailing noise.
fn round_sig(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

pub(super) fn explain(verdict: Verdict, c: &Context) -> (String, Vec<String>) {
    let scenario = c.scenario;
    let slo = &scenario.slos[c.binding];
    let target = describe_slo(slo);
    let chosen = describe(&c.chosen.deployment);
    let fleet = format!("{} x {}", scenario.gpu_count, scenario.gpu.id);
    let mut reasons = vec![format!(
        "Best achievable {} {} with requests alone on the server: {} ms ({}); the target is {} ms, a slack of {:.1}x.",
        percentile_words(slo.percentile),
        slo.metric.id().to_uppercase(),
        format_ms(c.best_ms),
        describe(&best_latency_candidate(c).deployment),
        format_ms(slo.target_ms),
        c.latency_slack
    )];
    if !matches!(scenario.load, LoadKind::Offline { .. }) && c.best_capacity > 0.0 {
        reasons.push(format!(
            "SLO capacity: the fleet meets every target up to {} (best configuration); the load requires {}, a pressure of {}.",
            level_words(scenario, c.best_capacity),
            level_words(scenario, c.required),
            percent(c.load_pressure)
        ));
    }
    let at_load = &c.chosen.at_load;
    let achieved: Vec<String> = at_load
        .slos
        .iter()
        .map(|check| {
            format!(
                "{} {} {} ms (target {})",
                percentile_words(check.percentile),
                check.metric.id().to_uppercase(),
                check.achieved_ms.map_or("n/a".to_string(), format_ms),
                format_ms(check.target_ms)
            )
        })
        .collect();
    if !at_load.slos.is_empty() {
        reasons.push(format!(
            "{} at {}: {}; {} of requests meet every target.",
            chosen,
            level_words(scenario, c.required),
            achieved.join(", "),
            percent(at_load.slo_attainment)
        ));
    }
    reasons.push(memory_words(scenario, &c.chosen.deployment));
    if let Some(cost) = at_load.cost_per_million_output_tokens {
        reasons.push(format!(
            "Cost at the required load: ${cost:.2} per million output tokens on {} GPUs.",
            at_load.gpus_used
        ));
    }

    let summary = match verdict {
        Verdict::LatencyFirst => {
            reasons.push(if search::slack_of(scenario, c.candidates, c.binding) < super::TIGHT_SLACK {
                format!("The target is within {:.1}x of the best possible, so latency decides.", super::TIGHT_SLACK)
            } else {
                format!(
                    "{} is interactive and the load uses under {} of the SLO capacity, so spend the spare capacity on latency.",
                    scenario.use_case.id(),
                    percent(super::LOW_PRESSURE)
                )
            });
            format!(
                "Optimise latency first: {target} leaves {:.1}x over the best achievable {} ms and the load takes {} of the SLO capacity; run {chosen} for the lowest {}.",
                c.latency_slack,
                format_ms(c.best_ms),
                percent(c.load_pressure),
                slo.metric.id().to_uppercase()
            )
        }
        Verdict::ThroughputFirst => {
            reasons.push(format!(
                "{} GPUs of the {} carry the required load within the targets with {chosen}.",
                c.gpus_needed, fleet
            ));
            format!(
                "Optimise throughput first: {target} has {:.1}x slack over the best achievable {} ms, so pack requests; {chosen} serves the load on {} of {} GPUs.",
                c.latency_slack,
                format_ms(c.best_ms),
                c.gpus_needed,
                scenario.gpu_count
            )
        }
        Verdict::Balanced => {
            let fastest = index_fastest_meeting(c);
            if let Some(fast) = fastest.filter(|f| f.deployment != c.chosen.deployment) {
                reasons.push(format!(
                    "The lowest-latency option, {}, gets {} {} ms at the load but carries less per GPU.",
                    describe(&fast.deployment),
                    slo.metric.id().to_uppercase(),
                    fast.at_load.slos[c.binding]
                        .achieved_ms
                        .map_or("n/a".to_string(), format_ms)
                ));
            }
            format!(
                "Balanced: neither latency ({:.1}x slack on {target}) nor load ({} of SLO capacity) dominates; {chosen} meets the targets at the lowest cost per request.",
                c.latency_slack,
                percent(c.load_pressure)
            )
        }
        Verdict::InfeasibleLatency => {
            reasons.extend(latency_fixes(c));
            format!(
                "Infeasible on latency: the best achievable {} {} on {fleet} is {} ms, above the {} ms target, at any load.",
                percentile_words(slo.percentile),
                slo.metric.id().to_uppercase(),
                format_ms(c.best_ms),
                format_ms(slo.target_ms)
            )
        }
        Verdict::InfeasibleCapacity => {
            reasons.extend(capacity_fixes(c));
            let needed = if c.gpus_needed > 0 {
                format!("; about {} GPUs would", c.gpus_needed)
            } else {
                String::new()
            };
            if matches!(scenario.load, LoadKind::Offline { .. }) {
                format!(
                    "Infeasible on capacity: the {fleet} cannot serve {} at once within {target}{needed}.",
                    level_words(scenario, c.required)
                )
            } else {
                format!(
                    "Infeasible on capacity: at {target} the {fleet} serve at most {}, less than the required {}{needed}.",
                    level_words(scenario, c.best_capacity),
                    level_words(scenario, c.required)
                )
            }
        }
    };
    (summary, reasons)
}

/// Whether each allowed precision fits at the chosen tensor-parallel degree, with the numbers.
fn memory_words(scenario: &Resolved, chosen: &Deployment) -> String {
    let parts: Vec<String> = scenario
        .precisions
        .iter()
        .map(|&precision| {
            let plan = MemoryPlan::new(&scenario.model, &scenario.gpu, &Deployment { precision, ..*chosen });
            if plan.weights_fit {
                format!(
                    "{precision} weights take {:.1} GB per GPU and fit, leaving {:.1} GB for {} tokens of KV cache",
                    plan.weights_gb_per_gpu, plan.kv_cache_gb_per_gpu, plan.kv_capacity_tokens
                )
            } else {
                format!(
                    "{precision} weights take {:.1} GB per GPU and do not fit in {:.1} GB usable",
                    plan.weights_gb_per_gpu, plan.usable_gb_per_gpu
                )
            }
        })
        .collect();
    format!("Memory at TP{}: {}.", chosen.tensor_parallel, parts.join("; "))
}

fn percentile_words(percentile: f64) -> String {
    format!("p{percentile}")
}

fn best_latency_candidate<'a>(c: &Context<'a>) -> &'a Candidate {
    c.candidates
        .iter()
        .min_by(|a, b| a.unloaded_ms[c.binding].total_cmp(&b.unloaded_ms[c.binding]))
        .unwrap_or(c.chosen)
}

fn index_fastest_meeting<'a>(c: &Context<'a>) -> Option<&'a Candidate> {
    c.candidates
        .iter()
        .filter(|candidate| candidate.meets_slos_at_load())
        .min_by(|a, b| {
            let latency = |x: &Candidate| x.at_load.slos[c.binding].achieved_ms.unwrap_or(f64::INFINITY);
            latency(a).total_cmp(&latency(b))
        })
}

/// What would bring the binding SLO's lone-request percentile under the target.
fn latency_fixes(c: &Context) -> Vec<String> {
    let scenario = c.scenario;
    let slo = scenario.slos[c.binding];
    let best = best_latency_candidate(c).deployment;
    let best_for = |scenario: &Resolved| -> Option<(f64, Deployment)> {
        search::base_deployments(scenario)
            .iter()
            .map(|d| (search::unloaded_percentiles(scenario, d)[c.binding], *d))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let mut fixes = Vec::new();
    // More tensor parallelism on a larger fleet (within one node).
    let larger_tp = (best.tensor_parallel * 2..=search::MAX_TENSOR_PARALLEL)
        .find(|tp| tp.is_power_of_two() && scenario.model.heads % tp == 0);
    if let Some(tp) = larger_tp {
        let bigger = Resolved {
            gpu_count: tp,
            ..scenario.clone()
        };
        let deployment = Deployment {
            tensor_parallel: tp,
            replicas: 1,
            ..best
        };
        if MemoryPlan::new(&bigger.model, &bigger.gpu, &deployment).weights_fit {
            let ms = search::unloaded_percentiles(&bigger, &deployment)[c.binding];
            fixes.push(format!(
                "More tensor parallelism: {} would give {} ms{}.",
                describe(&deployment),
                format_ms(ms),
                meets_words(ms, slo.target_ms)
            ));
        }
    }
    // FP8, when the GPU has it and the scenario does not already allow it.
    if scenario.gpu.supports(Precision::Fp8) && !search::allowed(scenario, Precision::Fp8) {
        let with_fp8 = Resolved {
            precisions: vec![Precision::Fp8],
            ..scenario.clone()
        };
        if let Some((ms, deployment)) = best_for(&with_fp8) {
            fixes.push(format!(
                "FP8: {} would give {} ms{}.",
                describe(&deployment),
                format_ms(ms),
                meets_words(ms, slo.target_ms)
            ));
        }
    }
    // Shorter prompts, for targets that include the prefill.
    if matches!(slo.metric, Metric::Ttft | Metric::E2e) {
        if let Some(prompt) = shortest_fix(scenario, &best, c.binding, slo.target_ms) {
            fixes.push(format!(
                "Shorter prompts: a mean of {prompt:.0} tokens (now {:.0}) would meet the target on {}.",
                scenario.prompt_tokens.mean,
                describe(&best)
            ));
        }
    }
    // Another GPU of the catalog, same count.
    let mut others: Vec<(f64, String)> = catalog::catalog()
        .gpus
        .iter()
        .filter(|entry| entry.spec.id != scenario.gpu.id)
        .filter_map(|entry| {
            let other = Resolved {
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
    let meeting: Vec<String> = others
        .iter()
        .filter(|(ms, _)| *ms <= slo.target_ms)
        .take(3)
        .map(|(ms, id)| format!("{id} ({} ms)", format_ms(*ms)))
        .collect();
    if !meeting.is_empty() {
        fixes.push(format!(
            "Another GPU: {} x {} meets the target.",
            scenario.gpu_count,
            meeting.join(", ")
        ));
    } else if let Some((ms, id)) = others.first() {
        fixes.push(format!(
            "Another GPU: none of the catalog's reaches it at {} GPUs; the fastest, {id}, gives {} ms.",
            scenario.gpu_count,
            format_ms(*ms)
        ));
    }
    if fixes.is_empty() {
        fixes.push(
            "No change within this model, GPU family and one node reaches the target; a smaller model would."
                .to_string(),
        );
    }
    fixes
}

/// The largest mean prompt (scaling the prompt distribution) whose lone-request percentile
/// meets `target_ms`, by bisection; `None` when even a 1-token prompt does not.
fn shortest_fix(scenario: &Resolved, deployment: &Deployment, index: usize, target_ms: f64) -> Option<f64> {
    let with_prompt = |mean: f64| {
        let shorter = Resolved {
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

fn meets_words(ms: f64, target_ms: f64) -> &'static str {
    if ms <= target_ms {
        ", meeting the target"
    } else {
        ", still above the target"
    }
}

/// How many GPUs, or which relaxed target, would carry the load.
fn capacity_fixes(c: &Context) -> Vec<String> {
    let scenario = c.scenario;
    let slo = scenario.slos[c.binding];
    let mut fixes = Vec::new();
    if c.gpus_needed > 0 {
        fixes.push(format!(
            "More GPUs: {} x {} with {} per replica would carry {} within the targets.",
            c.gpus_needed,
            scenario.gpu.id,
            describe(&Deployment {
                replicas: 1,
                ..c.chosen.deployment
            }),
            level_words(scenario, c.required)
        ));
    }
    let at_load = &c.chosen.at_load;
    match at_load.slos[c.binding].achieved_ms {
        Some(achieved) if !at_load.simulation.as_ref().is_some_and(|s| s.fell_behind) => fixes.push(format!(
            "A relaxed target: this fleet meets {} at the required load.",
            describe_slo(&crate::scenario::SloTarget {
                target_ms: achieved.ceil(),
                ..slo
            })
        )),
        _ => fixes.push(format!(
            "No relaxed target helps: the fleet serves at most {} ({}) even with no latency target.",
            level_words(scenario, at_load.requests_per_second),
            describe(&c.chosen.deployment)
        )),
    }
    fixes
}

/// The recommendation when no deployment's weights fit the fleet.
pub(super) fn nothing_fits(scenario: &Resolved) -> Recommendation {
    let precision = *scenario.precisions.last().unwrap_or(&Precision::Bf16);
    let largest_tp = (1..=scenario.gpu_count.min(search::MAX_TENSOR_PARALLEL))
        .rev()
        .find(|tp| scenario.gpu_count % tp == 0 && scenario.model.heads % tp == 0)
        .unwrap_or(1);
    let engine = ServingEngine::Vllm;
    let deployment = Deployment {
        engine,
        tensor_parallel: largest_tp,
        replicas: scenario.gpu_count / largest_tp,
        precision,
        max_batch: engine.default_max_batch(),
        max_batched_tokens: crate::scenario::DEFAULT_MAX_BATCHED_TOKENS,
    };
    let prediction = predict_resolved(scenario, &deployment);
    // The smallest tensor-parallel group (within a node) whose weights fit, in any allowed precision.
    let fitting = (1..=search::MAX_TENSOR_PARALLEL)
        .filter(|tp| scenario.model.heads % tp == 0)
        .flat_map(|tp| scenario.precisions.iter().map(move |&p| (tp, p)))
        .find(|&(tp, p)| {
            let d = Deployment {
                tensor_parallel: tp,
                replicas: 1,
                precision: p,
                ..deployment
            };
            MemoryPlan::new(&scenario.model, &scenario.gpu, &d).weights_fit
        });
    let mut reasons = prediction.reasons.clone();
    let gpus_needed = match fitting {
        Some((tp, p)) => {
            reasons.push(format!(
                "The weights fit on {tp} x {} at tensor parallelism {tp} in {p}: the fleet needs at least {tp} GPUs.",
                scenario.gpu.id
            ));
            tp
        }
        None => {
            reasons.push(format!(
                "The weights do not fit even on {} x {} in {}: use a GPU with more memory or a lower precision (int8, int4).",
                search::MAX_TENSOR_PARALLEL,
                scenario.gpu.id,
                precision
            ));
            0
        }
    };
    let slo = scenario.slos[0];
    Recommendation {
        verdict: Verdict::InfeasibleCapacity,
        summary: format!(
            "Infeasible on capacity: {} does not fit in the memory of {} x {} in any allowed precision.",
            scenario.model.id, scenario.gpu_count, scenario.gpu.id
        ),
        reasons,
        config: deployment,
        prediction,
        frontier: Vec::<FrontierPoint>::new(),
        candidates: Vec::new(),
        gpus_needed,
        latency_slack: 0.0,
        load_pressure: None,
        binding_slo: slo,
        best_achievable_ms: None,
        slo_capacity: 0.0,
        required_load: search::required_level(scenario),
        load_unit: super::load_unit(scenario),
        required_output_tokens_per_second_per_gpu: super::required_per_gpu(scenario),
        load_curve: Vec::new(),
    }
}
