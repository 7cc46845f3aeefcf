//! The analytic cost of one engine iteration (ARCHITECTURE.md, "The cost model"), and what
//! fits in memory.
//!
//! One iteration of a replica with tensor-parallel degree `t` decodes one token for each running
//! sequence and prefills chunks of prompts. Its time is the slower of reading the weights and
//! KV cache and doing the FLOPs (a roofline: the matrix multiplies overlap their memory traffic
//! with their math), plus the memory-bound element-wise kernels between them (norms, residual
//! adds, activation functions, logits), which do not overlap, plus the all-reduces of tensor
//! parallelism and a fixed per-iteration overhead. Queueing, batching decisions and latency
//! distributions belong to `sim`, not here.

mod calibration;
mod fitted;
mod memory;
mod roofline;

pub use calibration::{Calibration, CalibrationCase, EngineFactors, ErrorBands, BAND_COVERAGE, EFFICIENCY_CEILING};
pub use memory::{MemoryPlan, MemoryPolicy};
pub use roofline::{LoneRequest, RooflineEstimate};

use crate::catalog::{GpuSpec, ModelSpec};
use crate::domain::{Deployment, KvCacheDtype, Precision};

/// Activations are 16-bit: they cross the all-reduce and the element-wise kernels, and sit in
/// memory between kernels, in BF16.
const ACTIVATION_BYTES: f64 = 2.0;
/// Logits are FP32: the sampler reads them in full precision.
const LOGIT_BYTES: f64 = 4.0;

/// The work of one engine iteration.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Batch {
    /// Prompt tokens prefilled in this iteration (all chunks together).
    pub prefill_tokens: f64,
    /// Sum over those prompt tokens of how many tokens each attends to (causal attention).
    pub prefill_attended_tokens: f64,
    /// Sequences whose prefill completes in this iteration (each samples a first token).
    pub prefill_completions: f64,
    /// Tokens already cached before this iteration's prefill chunks (read, and attended to).
    pub prefill_cached_tokens: f64,
    /// Running sequences that decode one token each.
    pub decode_seqs: f64,
    /// Sum of the decoding sequences' context lengths: the KV cache they read and attend to.
    pub decode_context_tokens: f64,
}

impl Batch {
    /// Adds a prefill chunk of `chunk_tokens` prompt tokens that starts after `cached_tokens`
    /// of the same prompt are already in the KV cache.
    pub fn add_prefill_chunk(&mut self, cached_tokens: f64, chunk_tokens: f64, completes: bool) {
        self.prefill_tokens += chunk_tokens;
        // Token i of the chunk (0-based) attends to cached + i + 1 tokens.
        self.prefill_attended_tokens += chunk_tokens * (cached_tokens + (chunk_tokens + 1.0) / 2.0);
        self.prefill_cached_tokens += cached_tokens;
        if completes {
            self.prefill_completions += 1.0;
        }
    }

    /// Adds `seqs` decoding sequences whose contexts total `context_tokens`.
    pub fn add_decode(&mut self, seqs: f64, context_tokens: f64) {
        self.decode_seqs += seqs;
        self.decode_context_tokens += context_tokens;
    }
}

/// The physical work of one iteration on one GPU, before efficiency factors.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Work {
    /// Weights and KV cache read.
    pub memory_bytes: f64,
    pub flops: f64,
    /// Read and written by memory-bound element-wise kernels.
    pub elementwise_bytes: f64,
    /// Tensor-parallel all-reduces (each pays a fixed latency).
    pub allreduces: f64,
    /// Bytes each GPU sends across them.
    pub allreduce_bytes: f64,
    /// Iterations this work spans (each pays the per-iteration and per-layer overheads): 1 for
    /// one iteration's, more for the sum of similar ones (`Work::absorb`).
    pub iterations: f64,
}

impl Work {
    /// Whether `other` can be summed into this work without changing its cost under any
    /// calibration by more than a percent or so: the same side of the roofline dominates
    /// both, because their memory-to-FLOP ratios agree within `SIMILAR_RATIO`.
    pub fn similar(&self, other: &Work) -> bool {
        let ratio = |w: &Work| w.memory_bytes / w.flops.max(f64::MIN_POSITIVE);
        let (a, b) = (ratio(self), ratio(other));
        a.max(b) <= a.min(b) * SIMILAR_RATIO
    }

    /// Adds `other`'s work to this one's.
    pub fn absorb(&mut self, other: &Work) {
        self.memory_bytes += other.memory_bytes;
        self.flops += other.flops;
        self.elementwise_bytes += other.elementwise_bytes;
        self.allreduces += other.allreduces;
        self.allreduce_bytes += other.allreduce_bytes;
        self.iterations += other.iterations;
    }
}

/// Works whose memory-to-FLOP ratios differ by less than this factor cost, summed, what they
/// cost apart: max(sum of memory, sum of FLOPs) is the sum of the maxima when one side
/// dominates all of them, and where it does not the error is below 2%.
const SIMILAR_RATIO: f64 = 1.02;

/// Per-GPU costs of a model deployed on a GPU at a tensor-parallel degree and precision.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// Weights every iteration reads, per GPU (everything but the MoE experts and the input
    /// embedding table, which is a gather of a few rows).
    dense_weight_bytes: f64,
    /// Bytes of one expert across all layers, per GPU (MoE only).
    expert_weight_bytes: f64,
    experts: f64,
    experts_per_token: f64,
    kv_bytes_per_token: f64,
    /// 2 x the active parameters each token multiplies through (embedding and LM head aside), per GPU.
    matmul_flops_per_token: f64,
    /// QK^T and PV: 4 x layers x heads x head_dim FLOPs per attended token, per GPU.
    attention_flops_per_attended_token: f64,
    /// The LM head, per sampled sequence, per GPU.
    lm_head_flops_per_sample: f64,
    /// Element-wise traffic per token, per GPU: each layer has two fused add-RMSNorms (read the
    /// input and the residual, write both: 8 hidden-wide tensors, replicated across the
    /// tensor-parallel group) and a SwiGLU (read gate and up, write their product: 3 ffn-wide
    /// tensors, split across the group).
    elementwise_bytes_per_token: f64,
    /// Logits written and read for sampling, per sampled sequence.
    logit_bytes_per_sample: f64,
    /// Two all-reduces per layer (after attention, after the MLP).
    allreduces_per_step: f64,
    /// Bytes each GPU sends per token per all-reduce: 2 (t-1)/t x hidden x 2 bytes (ring).
    allreduce_bytes_per_token: f64,
    peak_flops: f64,
    memory_bytes_s: f64,
    link_bytes_s: f64,
    /// How many times an NVLink all-reduce's fixed latency these links pay.
    allreduce_latency_ratio: f64,
    layers: f64,
    calibration: Calibration,
}

impl CostModel {
    /// `precision` must be one the GPU supports (the config was resolved against it).
    pub fn new(model: &ModelSpec, gpu: &GpuSpec, deployment: &Deployment, calibration: Calibration) -> CostModel {
        let t = f64::from(deployment.tensor_parallel);
        let precision = deployment.precision;
        let weight_bytes = precision.weight_bytes_per_param();
        let vocab_hidden = f64::from(model.vocab) * f64::from(model.hidden);
        let (experts, experts_per_token) = match (model.experts, model.experts_per_token) {
            (Some(e), Some(k)) if e > k => (f64::from(e), f64::from(k)),
            _ => (0.0, 0.0),
        };
        // Total = shared + E x expert, active = shared + k x expert.
        let expert_params = if experts > 0.0 {
            (model.params_b - model.active_params_b) * 1e9 / (experts - experts_per_token)
        } else {
            0.0
        };
        let shared_params = model.params_b * 1e9 - experts * expert_params;
        CostModel {
            dense_weight_bytes: (shared_params - vocab_hidden).max(0.0) * weight_bytes / t,
            expert_weight_bytes: expert_params * weight_bytes / t,
            experts,
            experts_per_token,
            kv_bytes_per_token: kv_bytes_per_token(model, deployment.tensor_parallel, deployment.kv_cache_dtype),
            matmul_flops_per_token: 2.0 * (model.active_params_b * 1e9 - 2.0 * vocab_hidden).max(0.0) / t,
            attention_flops_per_attended_token: 4.0
                * f64::from(model.layers)
                * f64::from(model.heads)
                * f64::from(model.head_dim)
                / t,
            lm_head_flops_per_sample: 2.0 * vocab_hidden / t,
            elementwise_bytes_per_token: f64::from(model.layers)
                * (8.0 * f64::from(model.hidden) + 3.0 * f64::from(model.ffn) / t)
                * ACTIVATION_BYTES,
            // Written by the LM head, read by the sampler.
            logit_bytes_per_sample: f64::from(model.vocab) * 2.0 * LOGIT_BYTES,
            allreduces_per_step: if t > 1.0 { 2.0 * f64::from(model.layers) } else { 0.0 },
            allreduce_bytes_per_token: 2.0 * (t - 1.0) / t * f64::from(model.hidden) * ACTIVATION_BYTES,
            // Resolution guarantees support; fall back to BF16 rather than panic.
            peak_flops: gpu.peak_flops(precision).unwrap_or(gpu.bf16_tflops * 1e12),
            memory_bytes_s: gpu.memory_bandwidth_bytes_s(),
            link_bytes_s: gpu.interconnect_bytes_s(),
            allreduce_latency_ratio: gpu.allreduce_latency_ratio(),
            layers: f64::from(model.layers),
            calibration,
        }
    }

    /// The physical work of one iteration, before any efficiency factor.
    pub fn work(&self, batch: &Batch) -> Work {
        let tokens = batch.prefill_tokens + batch.decode_seqs;
        if tokens <= 0.0 {
            return Work {
                iterations: 1.0,
                ..Work::default()
            };
        }
        let experts_touched = if self.experts > 0.0 {
            // Each token routes to k of E experts: the chance an expert is untouched by all
            // `tokens` is (1 - k/E)^tokens.
            self.experts * (1.0 - libm::pow(1.0 - self.experts_per_token / self.experts, tokens))
        } else {
            0.0
        };
        let samples = batch.decode_seqs + batch.prefill_completions;
        Work {
            memory_bytes: self.dense_weight_bytes
                + experts_touched * self.expert_weight_bytes
                + (batch.decode_context_tokens + batch.prefill_cached_tokens) * self.kv_bytes_per_token,
            flops: self.matmul_flops_per_token * tokens
                + self.attention_flops_per_attended_token
                    * (batch.prefill_attended_tokens + batch.decode_context_tokens)
                + self.lm_head_flops_per_sample * samples,
            elementwise_bytes: self.elementwise_bytes_per_token * tokens + self.logit_bytes_per_sample * samples,
            allreduces: self.allreduces_per_step,
            allreduce_bytes: self.allreduces_per_step * tokens * self.allreduce_bytes_per_token,
            iterations: 1.0,
        }
    }

    /// Seconds `work` takes under `calibration`: the slower of moving the weights and KV cache
    /// and doing the FLOPs, plus the part of the faster one it does not hide, the element-wise
    /// kernels, the all-reduces, and the overheads of an iteration and of each layer in it.
    pub fn time_s(&self, work: &Work, calibration: &Calibration) -> f64 {
        let effective_bandwidth = self.memory_bytes_s * calibration.memory_efficiency;
        let memory_s = work.memory_bytes / effective_bandwidth;
        let compute_s = work.flops / (self.peak_flops * calibration.compute_efficiency);
        let elementwise_s = work.elementwise_bytes / effective_bandwidth;
        let comm_s = work.allreduces * calibration.allreduce_latency_us * self.allreduce_latency_ratio * 1e-6
            + work.allreduce_bytes / (self.link_bytes_s * calibration.interconnect_efficiency);
        let overhead_s = work.iterations
            * (calibration.step_overhead_ms * 1e-3 + self.layers * calibration.layer_overhead_us * 1e-6);
        let unhidden_s = calibration.unoverlapped_fraction * memory_s.min(compute_s);
        memory_s.max(compute_s) + unhidden_s + elementwise_s + comm_s + overhead_s
    }

    /// Seconds one iteration takes.
    pub fn step_time_s(&self, batch: &Batch) -> f64 {
        self.time_s(&self.work(batch), &self.calibration)
    }
}

/// Bytes of KV cache one token occupies on each GPU: keys and values for every layer, for the
/// KV heads that GPU holds (GQA heads are split across the tensor-parallel group; a GPU always
/// holds at least one, replicated when the degree exceeds the KV head count).
pub fn kv_bytes_per_token(model: &ModelSpec, tensor_parallel: u32, kv_cache_dtype: KvCacheDtype) -> f64 {
    let kv_heads_per_gpu = model.kv_heads.div_ceil(tensor_parallel).max(1);
    2.0 * f64::from(model.layers)
        * f64::from(kv_heads_per_gpu)
        * f64::from(model.head_dim)
        * kv_cache_dtype.bytes_per_element()
}

/// Bytes of weights each GPU holds.
pub fn weight_bytes_per_gpu(model: &ModelSpec, tensor_parallel: u32, precision: Precision) -> f64 {
    model.params_b * 1e9 * precision.weight_bytes_per_param() / f64::from(tensor_parallel)
}
