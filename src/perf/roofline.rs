//! Closed-form estimates without queueing: a request alone on the server, and a saturated
//! steady state. They bound what the simulator finds (no percentile under load is below the
//! unloaded latency; no load gets more than the saturated throughput), and they are cheap, so
//! the advisor prunes with them before simulating.

use super::{Batch, CostModel, MemoryPlan};
use crate::domain::Deployment;
use serde::Serialize;

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
}

const BASIS: &str = "closed-form roofline without queueing: unloaded latencies are one request alone on the \
    server; maximum throughput is a saturated steady state";

impl RooflineEstimate {
    /// Estimates for requests of `prompt_tokens` and `output_tokens` (means).
    pub fn new(
        cost: &CostModel,
        memory: &MemoryPlan,
        deployment: &Deployment,
        prompt_tokens: f64,
        output_tokens: f64,
    ) -> RooflineEstimate {
        let budget = f64::from(deployment.max_batched_tokens);
        let lone = LoneRequest::new(cost, deployment.max_batched_tokens, prompt_tokens, output_tokens);

        // Saturated steady state: B sequences decode each iteration, and to keep B running each
        // iteration also prefills B/output new prompts. B is bounded by maxBatch, by the KV cache
        // (a running sequence holds prompt + output/2 tokens on average) and by the token budget.
        let by_kv = memory.kv_capacity_tokens as f64 / (prompt_tokens + output_tokens / 2.0);
        let by_budget = budget / (1.0 + prompt_tokens / output_tokens);
        let running = f64::from(deployment.max_batch)
            .min(by_kv)
            .min(by_budget)
            .floor()
            .max(1.0);
        let mut saturated = Batch::default();
        saturated.add_decode(running, running * (prompt_tokens + output_tokens / 2.0));
        let prompts_per_step = running / output_tokens;
        saturated.prefill_tokens = prompts_per_step * prompt_tokens;
        saturated.prefill_attended_tokens = prompts_per_step * prompt_tokens * (prompt_tokens + 1.0) / 2.0;
        saturated.prefill_completions = prompts_per_step;
        let max_output_tokens_per_second = running / cost.step_time_s(&saturated) * f64::from(deployment.replicas);
        RooflineEstimate {
            basis: BASIS,
            unloaded_ttft_ms: lone.ttft_s * 1e3,
            unloaded_tpot_ms: lone.tpot_s * 1e3,
            unloaded_e2e_ms: lone.e2e_s() * 1e3,
            max_running_requests_per_replica: running as u32,
            max_output_tokens_per_second,
            max_output_tokens_per_second_per_gpu: max_output_tokens_per_second / f64::from(deployment.gpus()),
            max_requests_per_second: max_output_tokens_per_second / output_tokens,
        }
    }
}

/// The latencies of one request alone on the server: its prompt in chunks of the token
/// budget, then one decode iteration per further token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoneRequest {
    pub ttft_s: f64,
    /// Mean gap after the first token: the step time is linear in context length, so the
    /// mid-output context gives the mean.
    pub tpot_s: f64,
    pub output_tokens: f64,
}

impl LoneRequest {
    pub fn new(cost: &CostModel, max_batched_tokens: u32, prompt_tokens: f64, output_tokens: f64) -> LoneRequest {
        let budget = f64::from(max_batched_tokens.max(1));
        let mut ttft_s = 0.0;
        let mut cached = 0.0;
        while cached < prompt_tokens {
            let chunk = budget.min(prompt_tokens - cached);
            let mut batch = Batch::default();
            batch.add_prefill_chunk(cached, chunk, cached + chunk >= prompt_tokens);
            ttft_s += cost.step_time_s(&batch);
            cached += chunk;
        }
        let mut decode = Batch::default();
        decode.add_decode(1.0, prompt_tokens + output_tokens / 2.0);
        LoneRequest {
            ttft_s,
            tpot_s: cost.step_time_s(&decode),
            output_tokens,
        }
    }

    pub fn e2e_s(&self) -> f64 {
        self.ttft_s + (self.output_tokens - 1.0).max(0.0) * self.tpot_s
    }
}
