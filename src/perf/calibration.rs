//! The four factors that turn datasheet peaks into the time a real engine takes. Everything
//! else in the cost model is physics (bytes, FLOPs, link bandwidth); these absorb what the
//! physics leaves out: kernels that do not reach peak, launch and scheduling gaps, NCCL latency.

use crate::catalog::GpuSpec;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Calibration {
    /// Fraction of peak memory bandwidth that weight and KV reads achieve.
    pub memory_efficiency: f64,
    /// Fraction of peak tensor throughput that GEMMs and attention achieve.
    pub compute_efficiency: f64,
    /// Fixed cost of one tensor-parallel all-reduce, microseconds (the `alpha` of DESIGN §3).
    pub allreduce_latency_us: f64,
    /// Fixed cost of one engine iteration, milliseconds: scheduling, kernel launches, sampling.
    pub step_overhead_ms: f64,
}

impl Calibration {
    /// Prior factors, before any fit: decode kernels reach about 75% of HBM bandwidth and large
    /// GEMMs about 60% of dense peak (the ranges reported by FlashInfer and NVIDIA's GEMM
    /// benchmarks); an NVLink all-reduce of a few hundred KB costs about 10 us and a PCIe one
    /// about 25 us (nccl-tests latency on small messages); an engine iteration costs about 2 ms
    /// of CPU-side work (vLLM's profiled scheduler and sampler time with CUDA graphs).
    pub fn prior(gpu: &GpuSpec) -> Calibration {
        let nvlink_class = gpu.interconnect_gb_s >= 200.0;
        Calibration {
            memory_efficiency: 0.75,
            compute_efficiency: 0.60,
            allreduce_latency_us: if nvlink_class { 10.0 } else { 25.0 },
            step_overhead_ms: 2.0,
        }
    }
}
