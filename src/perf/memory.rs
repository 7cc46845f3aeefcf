//! What one GPU's memory holds: weights, a reserve for activations and runtime, and the KV
//! cache that bounds how many tokens can be in flight.

use super::{ACTIVATION_BYTES, LOGIT_BYTES};
use crate::catalog::{GpuSpec, ModelSpec, BYTES_PER_GB};
use crate::domain::{Deployment, ServingEngine};
use serde::Serialize;

/// How an engine sizes its KV cache.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryPolicy {
    /// The engine uses this fraction of the GPU's memory for weights, activations and KV cache
    /// together (vLLM's `--gpu-memory-utilization`, SGLang's `--mem-fraction-static`).
    ShareOfTotal(f64),
    /// The KV cache gets this fraction of the memory left free after weights and activations
    /// (TensorRT-LLM's `kv_cache_free_gpu_mem_fraction`).
    ShareOfFree(f64),
}

impl MemoryPolicy {
    /// Each engine's default: vLLM 0.9 of total; SGLang about 0.88 of total (its default for
    /// 80 GB-class GPUs); TensorRT-LLM 0.9 of free.
    pub fn for_engine(engine: ServingEngine) -> MemoryPolicy {
        match engine {
            ServingEngine::Vllm => MemoryPolicy::ShareOfTotal(0.9),
            ServingEngine::Sglang => MemoryPolicy::ShareOfTotal(0.88),
            ServingEngine::TensorrtLlm => MemoryPolicy::ShareOfFree(0.9),
        }
    }
}

/// CUDA context, NCCL buffers and allocator slack, GB: vLLM's memory profile reports 0.2-0.6 GiB
/// of "non-torch memory" per GPU.
const RUNTIME_RESERVE_GB: f64 = 0.5;

/// Per-GPU memory, GB (binary, see `catalog::BYTES_PER_GB`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPlan {
    pub capacity_gb_per_gpu: f64,
    /// What the engine may use for weights, activations and KV cache.
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
    /// The plan under the deployment's engine's default memory policy.
    pub fn new(model: &ModelSpec, gpu: &GpuSpec, deployment: &Deployment) -> MemoryPlan {
        MemoryPlan::with_policy(model, gpu, deployment, MemoryPolicy::for_engine(deployment.engine))
    }

    pub fn with_policy(model: &ModelSpec, gpu: &GpuSpec, deployment: &Deployment, policy: MemoryPolicy) -> MemoryPlan {
        let t = deployment.tensor_parallel;
        let capacity_gb = gpu.memory_bytes() / BYTES_PER_GB;
        let weights_gb = super::weight_bytes_per_gpu(model, t, deployment.precision) / BYTES_PER_GB;
        let reserve_gb = reserve_bytes(model, deployment) / BYTES_PER_GB + RUNTIME_RESERVE_GB;
        let (usable_gb, kv_cache_gb) = match policy {
            MemoryPolicy::ShareOfTotal(fraction) => {
                let usable_gb = capacity_gb * fraction;
                (usable_gb, (usable_gb - weights_gb - reserve_gb).max(0.0))
            }
            MemoryPolicy::ShareOfFree(fraction) => {
                // Weights larger than the GPU leave nothing free: the whole GPU is what they
                // would have had to fit in.
                let free_gb = (capacity_gb - weights_gb - reserve_gb).max(0.0);
                let usable_gb = (weights_gb + reserve_gb + free_gb * fraction).min(capacity_gb);
                (usable_gb, free_gb * fraction)
            }
        };
        let kv_bytes_per_token = super::kv_bytes_per_token(model, t, deployment.kv_cache_dtype);
        MemoryPlan {
            capacity_gb_per_gpu: capacity_gb,
            usable_gb_per_gpu: usable_gb,
            weights_gb_per_gpu: weights_gb,
            reserve_gb_per_gpu: reserve_gb,
            kv_cache_gb_per_gpu: kv_cache_gb,
            kv_bytes_per_token_per_gpu: kv_bytes_per_token,
            kv_capacity_tokens: (kv_cache_gb * BYTES_PER_GB / kv_bytes_per_token).floor() as u64,
            weights_fit: weights_gb + reserve_gb <= usable_gb.min(capacity_gb),
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
