//! The words of a recommendation: the one-sentence summary and the reasons, each with its
//! numbers, and the wording of the alternatives `fixes` computed. Nothing here decides or
//! computes an answer; it says the one `advise` reached.

use super::fixes::{best_latency_candidate, CapacityFix, LatencyFix};
use super::pick::{Pick, HEADROOM, MATERIAL_GAIN};
use super::search::{self, Candidate};
use super::verdict::{Verdict, LOW_PRESSURE, TIGHT_SLACK};
use super::Recommendation;
use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, LoadKind, Precision, SloTarget};
use crate::perf::{Calibration, CalibrationCase, EngineFactors, MemoryPlan};
use crate::predict::{Prediction, SloStatus};
use crate::scenario::{CalibrationSource, ResolvedScenario};

/// What the explanation draws on.
pub struct Context<'a> {
    pub scenario: &'a ResolvedScenario,
    pub candidates: &'a [Candidate],
    /// The recommended candidate, and in how many replicas (`pick`).
    pub chosen: &'a Candidate,
    pub pick: Pick,
    /// The full prediction of what is recommended: every figure of the answer comes from it.
    pub prediction: &'a Prediction,
    pub binding: usize,
    pub best_ms: f64,
    pub latency_slack: f64,
    pub load_pressure: f64,
    pub required: f64,
    pub best_capacity: f64,
    /// The fewest GPUs that carry the load, and how.
    pub needed: Option<(u32, Deployment)>,
    /// The screening said the fleet carries the load; no full simulation agreed.
    pub missed_in_full: bool,
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
        "p{} {} <= {}",
        slo.percentile,
        slo.metric.id().to_uppercase(),
        latency_words(slo.target_ms)
    )
}

/// A latency with its unit, three significant figures or so: "47.3 ms", "512 ms", and from
/// ten seconds up as a duration ("42.0 s", "12.5 min", "3.2 h").
pub fn latency_words(ms: f64) -> String {
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format_duration(ms / 1e3)
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

/// "45%"; a share that rounds to nothing but is not nothing is "<1%".
fn percent(fraction: f64) -> String {
    if fraction > 0.0 && fraction < 0.005 {
        "<1%".to_string()
    } else {
        format!("{:.0}%", fraction * 100.0)
    }
}

/// "1 GPU", "8 GPUs".
fn gpu_count_words(gpus: u32) -> String {
    if gpus == 1 {
        "1 GPU".to_string()
    } else {
        format!("{gpus} GPUs")
    }
}

/// Where a deployment runs: "on 4 of the 8 GPUs", "on all 8 GPUs", "on the 1 GPU".
pub fn gpus_of_the_fleet(gpus: u32, fleet_gpus: u32) -> String {
    match (gpus, fleet_gpus) {
        (1, 1) => "on the 1 GPU".to_string(),
        (used, fleet) if used == fleet => format!("on all {fleet} GPUs"),
        (used, fleet) => format!("on {used} of the {fleet} GPUs"),
    }
}

fn percentile_words(percentile: f64) -> String {
    format!("p{percentile}")
}

/// The summary and the reasons of a recommendation.
pub fn explain(verdict: Verdict, c: &Context, alternatives: &Alternatives) -> (String, Vec<String>) {
    let scenario = c.scenario;
    let slo = &scenario.slos[c.binding];
    let target = describe_slo(slo);
    let prediction = c.prediction;
    let chosen = describe(&prediction.config);
    let gpus = prediction.gpus_used;
    let fleet = format!("{} x {}", scenario.gpu_count, scenario.gpu.id);
    let best = best_latency_candidate(c.candidates, c.binding).unwrap_or(c.chosen);
    let mut reasons = vec![format!(
        "Best achievable {} {} with requests alone on the server: {} ({}); the target is {}, a slack of {:.1}x.",
        percentile_words(slo.percentile),
        slo.metric.id().to_uppercase(),
        latency_words(c.best_ms),
        describe(&best.deployment),
        latency_words(slo.target_ms),
        c.latency_slack
    )];
    if c.best_capacity > 0.0 {
        reasons.push(format!(
            "SLO capacity: the fleet meets every target up to {} (best configuration); the load requires {}, a pressure of {}.",
            level_words(scenario, c.best_capacity),
            level_words(scenario, c.required),
            percent(c.load_pressure)
        ));
    }
    let achieved: Vec<String> = prediction
        .slos
        .iter()
        .map(|check| {
            format!(
                "{} {} {}{} (target {})",
                percentile_words(check.percentile),
                check.metric.id().to_uppercase(),
                check.achieved_ms.map_or("n/a".to_string(), latency_words),
                check.achieved_ms.map_or(String::new(), |_| band_words(
                    prediction.error_band.for_metric(check.metric)
                )),
                latency_words(check.target_ms)
            )
        })
        .collect();
    if !prediction.slos.is_empty() {
        reasons.push(format!(
            "{} at {}: {}; {} of requests meet every target.",
            chosen,
            level_words(scenario, c.required),
            achieved.join(", "),
            percent(prediction.slo_attainment)
        ));
    }
    if c.missed_in_full {
        reasons.push(
            "The screening simulations put the load within the fleet's capacity, but the full simulation of every \
             deployment tried misses a target: the load sits at the edge of what this fleet serves."
                .to_string(),
        );
    }
    if let Some(batch) = prediction.batch {
        reasons.push(format!(
            "The batch of {} requests finishes in {} on {} ({chosen}).",
            batch.requests,
            format_duration(batch.makespan_s),
            gpu_count_words(gpus),
        ));
    }
    reasons.extend(sizing_words(c));
    reasons.extend(engine_words(c));
    reasons.push(memory_words(scenario, &prediction.config));
    if let Some(cost) = prediction.cost_per_million_output_tokens {
        reasons.push(format!(
            "Cost at the required load: ${cost:.2} per million output tokens on {}.",
            gpu_count_words(gpus)
        ));
    }
    match alternatives {
        Alternatives::None => {}
        Alternatives::Latency(fixes) => reasons.extend(fixes.iter().map(|fix| latency_fix_words(scenario, slo, fix))),
        Alternatives::Capacity(fixes) => {
            reasons.extend(fixes.iter().map(|fix| capacity_fix_words(scenario, c.required, fix)))
        }
    }
    let on_gpus = gpus_of_the_fleet(gpus, scenario.gpu_count);
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
                "Optimise latency first: {target} leaves {:.1}x over the best achievable {} and the load takes {} of the SLO capacity; run {chosen} {on_gpus}.",
                c.latency_slack,
                latency_words(c.best_ms),
                percent(c.load_pressure),
            )
        }
        Verdict::ThroughputFirst => format!(
            "Optimise throughput first: {target} has {:.1}x slack over the best achievable {}, so pack requests; {chosen} serves the load {on_gpus}.",
            c.latency_slack,
            latency_words(c.best_ms),
        ),
        Verdict::Balanced => {
            let fastest = fastest_meeting(c).filter(|f| !f.same_configuration(&prediction.config));
            if let Some(fast) = fastest {
                reasons.push(format!(
                    "The lowest-latency option, {}, gets {} {} {} at the load but carries less per GPU.",
                    describe(&fast.deployment),
                    percentile_words(slo.percentile),
                    slo.metric.id().to_uppercase(),
                    fast.at_load.slos[c.binding]
                        .achieved_ms
                        .map_or("n/a".to_string(), latency_words)
                ));
            }
            format!(
                "Balanced: neither latency ({:.1}x slack on {target}) nor load ({} of SLO capacity) dominates; {chosen} meets the targets {on_gpus} at the lowest cost per request.",
                c.latency_slack,
                percent(c.load_pressure)
            )
        }
        Verdict::InfeasibleLatency => format!(
            "Infeasible on latency: the best achievable {} {} on {fleet} is {}, above the {} target, at any load.",
            percentile_words(slo.percentile),
            slo.metric.id().to_uppercase(),
            latency_words(c.best_ms),
            latency_words(slo.target_ms)
        ),
        Verdict::InfeasibleCapacity => {
            // Capacity is where every target holds, so the summary names them all.
            let all_targets = scenario.slos.iter().map(describe_slo).collect::<Vec<_>>().join(" and ");
            let needed = match c.needed {
                Some((gpus, _)) => format!("; about {} would", gpu_count_words(gpus)),
                None => String::new(),
            };
            if c.latency_slack < 1.0 {
                format!(
                    "Infeasible on capacity: the best achievable {} {} on {fleet} is {}, above the {} target, but a larger tensor-parallel group meets it{needed}.",
                    percentile_words(slo.percentile),
                    slo.metric.id().to_uppercase(),
                    latency_words(c.best_ms),
                    latency_words(slo.target_ms)
                )
            } else if c.missed_in_full {
                format!(
                    "Infeasible on capacity: at {all_targets} the {fleet} are at the edge of the required {}: the full simulation misses a target{needed}.",
                    level_words(scenario, c.required)
                )
            } else if matches!(scenario.load, LoadKind::Offline { .. }) {
                format!(
                    "Infeasible on capacity: the {fleet} cannot finish {} within {all_targets}{needed}.",
                    level_words(scenario, c.required)
                )
            } else {
                format!(
                    "Infeasible on capacity: at {all_targets} the {fleet} serve at most {}, less than the required {}{needed}.",
                    level_words(scenario, c.best_capacity),
                    level_words(scenario, c.required)
                )
            }
        }
    };
    let summary = match at_risk_words(prediction) {
        Some(risk) if verdict.is_feasible() => {
            reasons.push(format!(
                "At risk: {risk}, so the measured value may fall either side of it ({}). Leave headroom or calibrate with \
                 your own measurements.",
                prediction.error_band.basis
            ));
            format!("{summary} At risk: {risk}.")
        }
        _ => summary,
    };
    (summary, reasons)
}

/// "±25%": a relative error band in words.
fn band_words(band: f64) -> String {
    format!(" ±{:.0}%", band * 100.0)
}

/// The targets whose error band straddles them, in words ("the 500 ms p95 TTFT target lies
/// inside the prediction's 80% range, 390-640 ms (450 ms ±42%)"), or `None` when every band is
/// clear of its target.
fn at_risk_words(prediction: &Prediction) -> Option<String> {
    let risky: Vec<String> = prediction
        .slos
        .iter()
        .filter(|check| check.status == SloStatus::AtRisk)
        .filter_map(|check| {
            let [low, high] = check.band_ms?;
            Some(format!(
                "the {} {} {} target lies inside the prediction's {} range, {}-{} ({}{})",
                latency_words(check.target_ms),
                percentile_words(check.percentile),
                check.metric.id().to_uppercase(),
                percent(prediction.error_band.coverage),
                latency_words(low),
                latency_words(high),
                latency_words(check.achieved_ms?),
                band_words(prediction.error_band.for_metric(check.metric)),
            ))
        })
        .collect();
    (!risky.is_empty()).then(|| risky.join("; "))
}

/// How the recommendation's GPUs compare with what the load needs and the fleet has: GPUs
/// beyond the need and what they buy, a fleet larger than the load needs and what the load
/// costs at its size, or GPUs left over by whole tensor-parallel groups.
fn sizing_words(c: &Context) -> Vec<String> {
    let scenario = c.scenario;
    let prediction = c.prediction;
    let gpus = prediction.gpus_used;
    let fleet_gpus = scenario.gpu_count;
    let metric = scenario.slos[c.binding].metric.id().to_uppercase();
    let percentile = percentile_words(scenario.slos[c.binding].percentile);
    let mut words = Vec::new();
    if let Some(extra) = c.pick.extra_gpus {
        // The recommendation's own figure is its full prediction's; the alternative's is screened.
        let picked_ms = prediction.slos[c.binding].achieved_ms.unwrap_or(extra.picked_ms);
        words.push(format!(
            "The load needs only {} ({}), but {gpus} GPUs lower {percentile} {metric} at the load from {} to {}, {} lower \
             (GPUs beyond the need are recommended only for {} or more, where the target binds).",
            gpu_count_words(extra.right_sized.gpus()),
            describe(&extra.right_sized),
            latency_words(extra.right_sized_ms),
            latency_words(picked_ms),
            percent(1.0 - picked_ms / extra.right_sized_ms),
            percent(MATERIAL_GAIN)
        ));
    } else if c.pick.replicas < c.chosen.deployment.replicas {
        let mut sentence = format!(
            "The fleet is larger than the load needs: {} of the {fleet_gpus} {} it with {} to spare; the other {} {} free for other work.",
            gpus,
            if gpus == 1 { "carries" } else { "carry" },
            percent(HEADROOM - 1.0),
            fleet_gpus - gpus,
            if fleet_gpus - gpus == 1 { "is" } else { "are" }
        );
        if let (Some(price), Some(cost)) = (scenario.price_per_gpu_hour, prediction.cost_per_million_output_tokens) {
            let whole_fleet = cost * f64::from(fleet_gpus) / f64::from(gpus);
            sentence = format!(
                "{} At that size the load costs ${cost:.2} per million output tokens, against ${whole_fleet:.2} with all {fleet_gpus} GPUs (at ${price} per GPU-hour).",
                sentence.trim_end_matches(' ')
            );
        }
        words.push(sentence);
    }
    let needed_beyond = c
        .needed
        .filter(|(needed, _)| *needed > gpus && prediction.meets_slos() && c.chosen.replica_capacity > 0.0);
    if let Some((needed, _)) = needed_beyond {
        words.push(format!(
            "To keep {} of capacity to spare the load needs {}; on these {gpus} it runs at {} of their capacity.",
            percent(HEADROOM - 1.0),
            gpu_count_words(needed),
            percent(c.required / (c.chosen.replica_capacity * f64::from(prediction.config.replicas)))
        ));
    }
    if prediction.gpus_idle > 0 && c.pick.replicas == c.chosen.deployment.replicas {
        words.push(format!(
            "Tensor parallelism {} runs in whole groups of {}: {} of the {fleet_gpus} GPUs {} idle.",
            prediction.config.tensor_parallel,
            prediction.config.tensor_parallel,
            prediction.gpus_idle,
            if prediction.gpus_idle == 1 { "stays" } else { "stay" }
        ));
    }
    words
}

/// The engine settings to run the recommendation with, when they differ from the engine's
/// defaults, with the flags that set them; and what the engine's numbers are calibrated on.
fn engine_words(c: &Context) -> Vec<String> {
    let config = c.prediction.config;
    let engine = config.engine;
    let defaults = Deployment::with_engine_defaults(engine, config.tensor_parallel, config.replicas, config.precision);
    let mut settings = Vec::new();
    if config.max_batched_tokens != defaults.max_batched_tokens {
        settings.push(format!(
            "{} {} ({})",
            engine.max_batched_tokens_flag(),
            config.max_batched_tokens,
            if config.max_batched_tokens < defaults.max_batched_tokens {
                "smaller prefill chunks stall the decodes less"
            } else {
                "long prompts prefill in fewer, fuller iterations"
            }
        ));
    }
    if config.max_batch != defaults.max_batch {
        settings.push(format!("{} {}", engine.max_batch_flag(), config.max_batch));
    }
    if config.kv_cache_dtype != defaults.kv_cache_dtype {
        settings.push(format!(
            "{} (an fp8 KV cache holds twice the tokens)",
            engine.kv_cache_dtype_flag(config.kv_cache_dtype)
        ));
    }
    let mut words = Vec::new();
    if !settings.is_empty() {
        words.push(format!("Run it on {} with {}.", engine.id(), settings.join(", ")));
    }
    let extrapolated =
        Calibration::built_in_case(&c.scenario.gpu, engine, config.precision) != CalibrationCase::Calibrated;
    if let (CalibrationSource::BuiltIn, Some(lender), true) = (
        &c.scenario.calibration_source,
        EngineFactors::borrowed_from(engine),
        extrapolated,
    ) {
        words.push(format!(
            "The calibration data has too few published {} measurements for factors of its own: it is modelled with its \
             own memory split and scheduler but {}'s engine factors, and its error band is the extrapolated one; \
             calibrate with your own benchmark files for its numbers.",
            engine.name(),
            lender.name()
        ));
    }
    words
}

/// The summary and reasons when no deployment's weights fit the fleet: why the largest group
/// the fleet allows (`prediction`) fails, and the smallest group the weights fit in, if any.
pub fn nothing_fits(
    scenario: &ResolvedScenario,
    prediction: &Prediction,
    smallest_fitting_group: Option<(u32, Precision)>,
    on_a_node: Option<&Recommendation>,
) -> (String, Vec<String>) {
    let gpu = &scenario.gpu.id;
    let mut reasons = prediction.reasons.clone();
    let Some((tp, precision)) = smallest_fitting_group else {
        reasons.push(format!(
            "The weights do not fit even on {GPUS_PER_NODE} x {gpu} in {}: use a GPU with more memory or a lower precision (int8, int4).",
            prediction.config.precision,
        ));
        let summary = format!(
            "Infeasible on capacity: {} does not fit in the memory of {} x {gpu} in any allowed precision.",
            scenario.model.id, scenario.gpu_count
        );
        return (summary, reasons);
    };
    reasons.push(format!(
        "The weights fit on {tp} x {gpu} at tensor parallelism {tp} in {precision}: the fleet needs at least {tp} GPUs."
    ));
    let doesnt_fit = format!(
        "{} does not fit in the memory of {} x {gpu} in any allowed precision",
        scenario.model.id, scenario.gpu_count
    );
    let summary = match on_a_node {
        Some(node) if node.verdict == Verdict::InfeasibleLatency => {
            reasons.extend(node.reasons.iter().cloned());
            format!(
                "Infeasible on latency: {doesnt_fit}, and more of them do not meet {}: the best achievable on {GPUS_PER_NODE} x {gpu} is {}, at any load.",
                describe_slo(&node.binding_slo),
                node.best_achievable_ms.map_or("n/a".to_string(), latency_words)
            )
        }
        Some(node) if node.gpus_needed > 0 => format!(
            "Infeasible on capacity: {doesnt_fit}; about {} would carry the load within every target.",
            gpu_count_words(node.gpus_needed)
        ),
        _ => format!("Infeasible on capacity: {doesnt_fit}."),
    };
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
            "More tensor parallelism: {} would give {}{}.",
            describe(deployment),
            latency_words(*ms),
            meets_words(*ms, slo.target_ms)
        ),
        LatencyFix::Fp8 { deployment, ms } => format!(
            "FP8: {} would give {}{}.",
            describe(deployment),
            latency_words(*ms),
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
                .map(|(id, ms)| format!("{id} ({})", latency_words(*ms)))
                .collect();
            format!(
                "Another GPU: {} x {} {} the target.",
                scenario.gpu_count,
                listed.join(", "),
                if listed.len() == 1 { "meets" } else { "each meet" }
            )
        }
        LatencyFix::FastestOtherGpu { gpu, ms } => format!(
            "Another GPU: none of the catalog's reaches it at {} GPUs; the fastest, {gpu}, gives {}.",
            scenario.gpu_count,
            latency_words(*ms)
        ),
        LatencyFix::SmallerModel => {
            "No change within this model, GPU family and one node reaches the target; a smaller model would."
                .to_string()
        }
    }
}

fn capacity_fix_words(scenario: &ResolvedScenario, required: f64, fix: &CapacityFix) -> String {
    match fix {
        CapacityFix::MoreGpus { deployment } => format!(
            "More GPUs: {} x {} as {} would carry {} within the targets, with {} to spare.",
            deployment.gpus(),
            scenario.gpu.id,
            describe(deployment),
            level_words(scenario, required),
            percent(HEADROOM - 1.0)
        ),
        CapacityFix::RelaxedTargets(slos) => format!(
            "A relaxed target: this fleet meets {} at the required load.",
            slos.iter().map(describe_slo).collect::<Vec<_>>().join(" and ")
        ),
        CapacityFix::NoRelaxedTarget {
            requests_per_second,
            deployment,
        } => format!(
            "No relaxed target helps: the fleet completes at most {} requests/s ({}) even with no latency target.",
            round_sig(*requests_per_second),
            describe(deployment)
        ),
    }
}
