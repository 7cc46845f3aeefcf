//! One fixed deployment under the scenario: does it fit, and how fast is it. Composes the
//! memory plan and the iteration cost model of `perf` into per-request estimates.
//!
//! These are roofline estimates with no queueing: latencies of one request alone on the
//! server, and the throughput of a saturated steady state. Tail latencies under load need the
//! continuous-batching simulator; until it exists, `estimate.basis` says so.

use crate::perf::{Batch, Calibration, CostModel, MemoryPlan};
use crate::scenario::{Config, Deployment, LoadKind, Resolved, Scenario};
use crate::Result;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prediction {
    /// The deployment evaluated, defaults filled in.
    pub config: Deployment,
    pub gpus_used: u32,
    pub feasible: bool,
    /// Why the deployment is infeasible, each with its numbers; empty when feasible.
    pub reasons: Vec<String>,
    pub memory: MemoryPlan,
    /// Present when the weights fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<RooflineEstimate>,
    /// The factors the cost model used.
    pub calibration: Calibration,
}

/// Roofline estimates (labelled: no queueing is modelled here).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RooflineEstimate {
    pub basis: &'static str,
    /// Time to first token of a request alone on the server.
    pub unloaded_ttft_ms: f64,
    /// Time per output token of a request alone on the server.
    pub unloaded_tpot_ms: f64,
    /// End-to-end latency of a request alone on the server.
    pub unloaded_e2e_ms: f64,
    /// Sequences one replica runs at once when saturated (bounded by maxBatch, KV cache and token budget).
    pub max_running_requests_per_replica: u32,
    /// Output tokens per second of all replicas, saturated.
    pub max_output_tokens_per_second: f64,
    pub max_output_tokens_per_second_per_gpu: f64,
    pub max_requests_per_second: f64,
    /// Offered output tokens/s over the maximum, for a request-rate load (above 1: overloaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_load_utilization: Option<f64>,
}

const ROOFLINE_BASIS: &str = "roofline estimate without queueing: unloaded latencies are one request alone; \
    maximum throughput is a saturated steady state. Percentiles under load need the simulator.";

/// Evaluates `config` for `scenario`.
pub fn predict(scenario: &Scenario, config: &Config) -> Result<Prediction> {
    let scenario = scenario.resolve()?;
    let deployment = config.resolve(&scenario, |degrees, template| {
        default_tensor_parallel(&scenario, degrees, template)
    })?;
    Ok(predict_resolved(&scenario, &deployment))
}

/// The tensor-parallel degree used when a config does not give one: the smallest at which the
/// KV cache holds a full batch of requests (`maxBatch` x (prompt + output) tokens), else the
/// smallest at which the weights fit, else the largest valid degree.
fn default_tensor_parallel(scenario: &Resolved, degrees: &[u32], template: &Deployment) -> u32 {
    let full_batch_tokens = f64::from(template.max_batch) * (scenario.prompt_tokens.mean + scenario.output_tokens.mean);
    let plans: Vec<(u32, MemoryPlan)> = degrees
        .iter()
        .map(|&tensor_parallel| {
            let candidate = Deployment {
                tensor_parallel,
                ..*template
            };
            (
                tensor_parallel,
                MemoryPlan::new(&scenario.model, &scenario.gpu, &candidate),
            )
        })
        .collect();
    let roomy = plans
        .iter()
        .find(|(_, plan)| plan.weights_fit && plan.kv_capacity_tokens as f64 >= full_batch_tokens);
    let fitting = plans.iter().find(|(_, plan)| plan.weights_fit);
    roomy
        .or(fitting)
        .or(plans.last())
        .map_or(1, |(tensor_parallel, _)| *tensor_parallel)
}

/// Evaluates a checked deployment.
pub fn predict_resolved(scenario: &Resolved, deployment: &Deployment) -> Prediction {
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, deployment);
    let calibration = Calibration::prior(&scenario.gpu);
    let mut reasons = Vec::new();
    let prompt = scenario.prompt_tokens.mean;
    let output = scenario.output_tokens.mean;
    let request_tokens = prompt + output;
    if !memory.weights_fit {
        reasons.push(format!(
            "the weights need {:.1} GB per GPU in {} at tensor parallelism {}, plus a {:.1} GB reserve, \
             but only {:.1} GB of the {}'s {:.0} GB are usable ({:.0}% utilisation)",
            memory.weights_gb_per_gpu,
            deployment.precision,
            deployment.tensor_parallel,
            memory.reserve_gb_per_gpu,
            memory.usable_gb_per_gpu,
            scenario.gpu.id,
            memory.capacity_gb_per_gpu,
            crate::perf::GPU_MEMORY_UTILIZATION * 100.0
        ));
    } else if (memory.kv_capacity_tokens as f64) < request_tokens {
        reasons.push(format!(
            "the KV cache holds {} tokens per replica, fewer than one request's {:.0} (prompt + output)",
            memory.kv_capacity_tokens, request_tokens
        ));
    }
    let estimate = memory.weights_fit.then(|| {
        let cost = CostModel::new(&scenario.model, &scenario.gpu, deployment, calibration);
        roofline(scenario, deployment, &memory, &cost)
    });
    Prediction {
        config: *deployment,
        gpus_used: deployment.gpus(),
        feasible: reasons.is_empty(),
        reasons,
        memory,
        estimate,
        calibration,
    }
}

fn roofline(scenario: &Resolved, deployment: &Deployment, memory: &MemoryPlan, cost: &CostModel) -> RooflineEstimate {
    let prompt = scenario.prompt_tokens.mean;
    let output = scenario.output_tokens.mean;
    let budget = f64::from(deployment.max_batched_tokens);

    // A lone request: its prompt in chunks of the token budget, then one decode step per token
    // (the step time is linear in context length, so the mid-output context gives the mean).
    let mut ttft_s = 0.0;
    let mut cached = 0.0;
    while cached < prompt {
        let chunk = budget.min(prompt - cached);
        let mut batch = Batch::default();
        batch.add_prefill_chunk(cached, chunk, cached + chunk >= prompt);
        ttft_s += cost.step_time_s(&batch);
        cached += chunk;
    }
    let mut lone_decode = Batch::default();
    lone_decode.add_decode(1.0, prompt + output / 2.0);
    let tpot_s = cost.step_time_s(&lone_decode);
    let e2e_s = ttft_s + (output - 1.0).max(0.0) * tpot_s;

    // Saturated steady state: B sequences decode each iteration, and to keep B running, each
    // iteration also prefills B/output new prompts. B is bounded by maxBatch, by the KV cache
    // (a running sequence holds prompt + output/2 tokens on average) and by the token budget.
    let by_kv = memory.kv_capacity_tokens as f64 / (prompt + output / 2.0);
    let by_budget = budget / (1.0 + prompt / output);
    let running = f64::from(deployment.max_batch)
        .min(by_kv)
        .min(by_budget)
        .floor()
        .max(1.0);
    let mut saturated = Batch::default();
    saturated.add_decode(running, running * (prompt + output / 2.0));
    let prompts_per_step = running / output;
    saturated.prefill_tokens = prompts_per_step * prompt;
    saturated.prefill_attended_tokens = prompts_per_step * prompt * (prompt + 1.0) / 2.0;
    saturated.prefill_completions = prompts_per_step;
    let step_s = cost.step_time_s(&saturated);
    let replicas = f64::from(deployment.replicas);
    let max_output_tokens_per_second = running / step_s * replicas;
    let offered_load_utilization = match scenario.load {
        LoadKind::Open {
            requests_per_second, ..
        } => Some(requests_per_second * output / max_output_tokens_per_second),
        LoadKind::Closed { .. } | LoadKind::Offline { .. } => None,
    };
    RooflineEstimate {
        basis: ROOFLINE_BASIS,
        unloaded_ttft_ms: ttft_s * 1e3,
        unloaded_tpot_ms: tpot_s * 1e3,
        unloaded_e2e_ms: e2e_s * 1e3,
        max_running_requests_per_replica: running as u32,
        max_output_tokens_per_second,
        max_output_tokens_per_second_per_gpu: max_output_tokens_per_second / f64::from(deployment.gpus()),
        max_requests_per_second: max_output_tokens_per_second / output,
        offered_load_utilization,
    }
}
