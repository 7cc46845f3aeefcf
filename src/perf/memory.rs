//! What one GPU's memory holds: weights, a reserve for activations and runtime, and the KV
//! cache that bounds how many tokens can be in flight.

use crate::catalog::{GpuSpec, ModelSpec, BYTES_PER_GB};
use crate::scenario::Deployment;
use serde::Serialize;

/// Fraction of GPU memory the engine may use: vLLM's default `--gpu-memory-utilization`.
pub const GPU_MEMORY_UTILIZATION: f64 = 0.9;

/// CUDA context, NCCL buffers and allocator slack, GB: vLLM's memory profile reports 0.2-0.6 GiB
/// of "non-torch memory" per GPU.
const RUNTIME_RESERVE_GB: f64 = 0.5;

/// Logits are sampled in fp32.
const LOGIT_BYTES: f64 = 4.0;

/// Activations in 16 bits.
const ACTIVATION_BYTES: f64 = 2.0;

/// Per-GPU memory, GB (binary, see `catalog::BYTES_PER_GB`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPlan {
    pub capacity_gb_per_gpu: f64,
    /// Capacity x the memory-utilisation fraction.
    pub usable_gb_per_gpu: f64,
    pub weights_gb_per_gpu: f64,
    /// Peak activations of a full token-budget iteration, logits of a full batch, runtime.
    pub reserve_gb_per_gpu: f64,
    pub kv_cache_gb_per_gpu: f64,
    pub kv_bytes_per_token_per_gpu: f64,
    /// Tokens of context (prompt + generated) one replica can hold at once.
    pub kv_capacity_tokens: u64,
    /// Whether the weights and the reserve fit in the usable memory.
    pub weights_fit: bool,
}

impl MemoryPlan {
    pub fn new(model: &ModelSpec, gpu: &GpuSpec, deployment: &Deployment) -> MemoryPlan {
        let t = deployment.tensor_parallel;
        let capacity_gb = gpu.memory_bytes() / BYTES_PER_GB;
        let usable_gb = capacity_gb * GPU_MEMORY_UTILIZATION;
        let weights_gb = super::weight_bytes_per_gpu(model, t, deployment.precision) / BYTES_PER_GB;
        let reserve_gb = reserve_bytes(model, deployment) / BYTES_PER_GB + RUNTIME_RESERVE_GB;
        let kv_cache_gb = (usable_gb - weights_gb - reserve_gb).max(0.0);
        let kv_bytes_per_token = super::kv_bytes_per_token(model, t, deployment.precision);
        MemoryPlan {
            capacity_gb_per_gpu: capacity_gb,
            usable_gb_per_gpu: usable_gb,
            weights_gb_per_gpu: weights_gb,
            reserve_gb_per_gpu: reserve_gb,
            kv_cache_gb_per_gpu: kv_cache_gb,
            kv_bytes_per_token_per_gpu: kv_bytes_per_token,
            kv_capacity_tokens: (kv_cache_gb * BYTES_PER_GB / kv_bytes_per_token).floor() as u64,
            weights_fit: weights_gb + reserve_gb <= usable_gb,
        }
    }
}

/// Peak activation memory of the largest iteration: the token budget through the MLP (gate and
/// up projections, `2 x ffn / t` wide) and the residual stream with its norms and attention
/// output (about `4 x hidden`), plus fp32 logits for a full batch of sampled sequences.
fn reserve_bytes(model: &ModelSpec, deployment: &Deployment) -> f64 {
    let t = f64::from(deployment.tensor_parallel);
    let width = 2.0 * f64::from(model.ffn) / t + 4.0 * f64::from(model.hidden);
    let activations = f64::from(deployment.max_batched_tokens) * width * ACTIVATION_BYTES;
    let logits = f64::from(deployment.max_batch) * f64::from(model.vocab) / t * LOGIT_BYTES;
    activations + logits
}
