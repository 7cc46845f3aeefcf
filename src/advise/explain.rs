//! The words of a recommendation: the one-sentence summary and the reasons, each with its
//! numbers, and the wording of the alternatives `fixes` computed. Nothing here decides or
//! computes an answer; it says the one `advise` reached.

use super::fixes::{best_latency_candidate, CapacityFix, LatencyFix};
use super::search::{self, Candidate};
use super::verdict::{Verdict, LOW_PRESSURE, TIGHT_SLACK};
use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, LoadKind, Precision, SloTarget};
use crate::perf::MemoryPlan;
use crate::predict::Prediction;
use crate::scenario::ResolvedScenario;

/// What the explanation draws on.
pub struct Context<'a> {
    pub scenario: &'a ResolvedScenario,
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

/// The alternatives an infeasible verdict offers.
pub enum Alternatives {
    None,
    Latency(Vec<LatencyFix>),
    Capacity(Vec<CapacityFix>),
}

/// Short human form of a deployment: "TP4 x 2 replicas in fp8".
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

/// Milliseconds to three significant figures or so: "512", "47.3".
pub fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms:.1}")
    }
}

/// A duration in the unit that reads best: "42.0 s", "12.5 min", "3.2 h".
pub fn format_duration(seconds: f64) -> String {
    if seconds < 100.0 {
        format!("{seconds:.1} s")
    } else if seconds < 6000.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A load level in its unit: "3.00 requests/s", "24 concurrent users", "400 queued requests".
pub fn level_words(scenario: &ResolvedScenario, level: f64) -> String {
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

fn percentile_words(percentile: f64) -> String {
    format!("p{percentile}")
}

/// The summary and the reasons of a recommendation.
pub fn explain(verdict: Verdict, c: &Context, alternatives: &Alternatives) -> (String, Vec<String>) {
    let scenario = c.scenario;
    let slo = &scenario.slos[c.binding];
    let target = describe_slo(slo);
    let chosen = describe(&c.chosen.deployment);
    let fleet = format!("{} x {}", scenario.gpu_count, scenario.gpu.id);
    let best = best_latency_candidate(c.candidates, c.binding).unwrap_or(c.chosen);
    let mut reasons = vec![format!(
        "Best achievable {} {} with requests alone on the server: {} ms ({}); the target is {} ms, a slack of {:.1}x.",
        percentile_words(slo.percentile),
        slo.metric.id().to_uppercase(),
        format_ms(c.best_ms),
        describe(&best.deployment),
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
    if let Some(batch) = at_load.batch {
        reasons.push(format!(
            "The batch of {} requests finishes in {} on {} GPUs ({chosen}).",
            batch.requests,
            format_duration(batch.makespan_s),
            at_load.gpus_used
        ));
    }
    reasons.push(memory_words(scenario, &c.chosen.deployment));
    if let Some(cost) = at_load.cost_per_million_output_tokens {
        reasons.push(format!(
            "Cost at the required load: ${cost:.2} per million output tokens on {} GPUs.",
            at_load.gpus_used
        ));
    }
    match alternatives {
        Alternatives::None => {}
        Alternatives::Latency(fixes) => reasons.extend(fixes.iter().map(|fix| latency_fix_words(scenario, slo, fix))),
        Alternatives::Capacity(fixes) => {
            reasons.extend(fixes.iter().map(|fix| capacity_fix_words(scenario, c.required, fix)))
        }
    }

    let summary = match verdict {
        Verdict::LatencyFirst => {
            reasons.push(if search::slack_of(scenario, c.candidates, c.binding) < TIGHT_SLACK {
                format!("The target is within {TIGHT_SLACK:.1}x of the best possible, so latency decides.")
            } else {
                format!(
                    "{} is interactive and the load uses under {} of the SLO capacity, so spend the spare capacity on latency.",
                    scenario.use_case.id(),
                    percent(LOW_PRESSURE)
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
            if let Some(fast) = fastest_meeting(c).filter(|f| f.deployment != c.chosen.deployment) {
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
        Verdict::InfeasibleLatency => format!(
            "Infeasible on latency: the best achievable {} {} on {fleet} is {} ms, above the {} ms target, at any load.",
            percentile_words(slo.percentile),
            slo.metric.id().to_uppercase(),
            format_ms(c.best_ms),
            format_ms(slo.target_ms)
        ),
        Verdict::InfeasibleCapacity => {
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

/// The summary and reasons when no deployment's weights fit the fleet: why the largest group
/// the fleet allows (`prediction`) fails, and the smallest group the weights fit in, if any.
pub fn nothing_fits(
    scenario: &ResolvedScenario,
    prediction: &Prediction,
    smallest_fitting_group: Option<(u32, Precision)>,
) -> (String, Vec<String>) {
    let mut reasons = prediction.reasons.clone();
    reasons.push(match smallest_fitting_group {
        Some((tp, precision)) => format!(
            "The weights fit on {tp} x {} at tensor parallelism {tp} in {precision}: the fleet needs at least {tp} GPUs.",
            scenario.gpu.id
        ),
        None => format!(
            "The weights do not fit even on {GPUS_PER_NODE} x {} in {}: use a GPU with more memory or a lower precision (int8, int4).",
            scenario.gpu.id, prediction.config.precision,
        ),
    });
    let summary = format!(
        "Infeasible on capacity: {} does not fit in the memory of {} x {} in any allowed precision.",
        scenario.model.id, scenario.gpu_count, scenario.gpu.id
    );
    (summary, reasons)
}

/// Whether each allowed precision fits at the chosen tensor-parallel degree, with the numbers.
fn memory_words(scenario: &ResolvedScenario, chosen: &Deployment) -> String {
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

/// The candidate meeting every SLO with the lowest binding percentile at the load.
fn fastest_meeting<'a>(c: &Context<'a>) -> Option<&'a Candidate> {
    c.candidates
        .iter()
        .filter(|candidate| candidate.meets_slos_at_load())
        .min_by(|a, b| a.latency_at_load(c.binding).total_cmp(&b.latency_at_load(c.binding)))
}

fn meets_words(ms: f64, target_ms: f64) -> &'static str {
    if ms <= target_ms {
        ", meeting the target"
    } else {
        ", still above the target"
    }
}

fn latency_fix_words(scenario: &ResolvedScenario, slo: &SloTarget, fix: &LatencyFix) -> String {
    match fix {
        LatencyFix::MoreTensorParallel { deployment, ms } => format!(
            "More tensor parallelism: {} would give {} ms{}.",
            describe(deployment),
            format_ms(*ms),
            meets_words(*ms, slo.target_ms)
        ),
        LatencyFix::Fp8 { deployment, ms } => format!(
            "FP8: {} would give {} ms{}.",
            describe(deployment),
            format_ms(*ms),
            meets_words(*ms, slo.target_ms)
        ),
        LatencyFix::ShorterPrompts {
            mean_tokens,
            deployment,
        } => format!(
            "Shorter prompts: a mean of {mean_tokens:.0} tokens (now {:.0}) would meet the target on {}.",
            scenario.prompt_tokens.mean,
            describe(deployment)
        ),
        LatencyFix::OtherGpusMeeting(gpus) => {
            let listed: Vec<String> = gpus
                .iter()
                .map(|(id, ms)| format!("{id} ({} ms)", format_ms(*ms)))
                .collect();
            format!(
                "Another GPU: {} x {} meets the target.",
                scenario.gpu_count,
                listed.join(", ")
            )
        }
        LatencyFix::FastestOtherGpu { gpu, ms } => format!(
            "Another GPU: none of the catalog's reaches it at {} GPUs; the fastest, {gpu}, gives {} ms.",
            scenario.gpu_count,
            format_ms(*ms)
        ),
        LatencyFix::SmallerModel => {
            "No change within this model, GPU family and one node reaches the target; a smaller model would."
                .to_string()
        }
    }
}

fn capacity_fix_words(scenario: &ResolvedScenario, required: f64, fix: &CapacityFix) -> String {
    match fix {
        CapacityFix::MoreGpus { gpus, per_replica } => format!(
            "More GPUs: {gpus} x {} with {} per replica would carry {} within the targets.",
            scenario.gpu.id,
            describe(per_replica),
            level_words(scenario, required)
        ),
        CapacityFix::RelaxedTarget(slo) => format!(
            "A relaxed target: this fleet meets {} at the required load.",
            describe_slo(slo)
        ),
        CapacityFix::NoRelaxedTarget {
            requests_per_second,
            deployment,
        } => format!(
            "No relaxed target helps: the fleet serves at most {} ({}) even with no latency target.",
            level_words(scenario, *requests_per_second),
            describe(deployment)
        ),
    }
}
