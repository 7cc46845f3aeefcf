//! The five factors that turn datasheet peaks into the time a real engine takes. Everything
//! else in the cost model is physics (bytes, FLOPs, link bandwidth); these absorb what the
//! physics leaves out: kernels that do not reach peak, launch and scheduling gaps, NCCL latency.
//! They are fitted per GPU family on published measurements (`make calibrate`, see
//! `measure::fit`) and committed in `fitted.rs`.

use super::fitted::{FITTED_BY_FAMILY, FITTED_POOLED};
use crate::catalog::GpuSpec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Calibration {
    /// Fraction of peak memory bandwidth that weight and KV reads achieve.
    pub memory_efficiency: f64,
    /// Fraction of peak tensor throughput that GEMMs and attention achieve.
    pub compute_efficiency: f64,
    /// Fixed cost of one tensor-parallel all-reduce, microseconds (the `alpha` of DESIGN §3).
    pub allreduce_latency_us: f64,
    /// Fraction of the GPU-to-GPU link bandwidth an all-reduce achieves.
    pub interconnect_efficiency: f64,
    /// Fixed cost of one engine iteration, milliseconds: scheduling, kernel launches, sampling.
    pub step_overhead_ms: f64,
}

/// GPUs that share an architecture share calibration factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GpuFamily {
    /// H100, H200, GH200.
    Hopper,
    /// A100.
    Ampere,
    /// L40S, L4.
    Ada,
    /// B200.
    Blackwell,
    /// MI300X.
    Cdna3,
}

impl GpuFamily {
    pub const ALL: [GpuFamily; 5] = [
        GpuFamily::Hopper,
        GpuFamily::Ampere,
        GpuFamily::Ada,
        GpuFamily::Blackwell,
        GpuFamily::Cdna3,
    ];

    /// The family of a built-in GPU; custom GPUs have none.
    pub fn of(gpu_id: &str) -> Option<GpuFamily> {
        Some(match gpu_id {
            "H100-SXM" | "H100-PCIe" | "H200-SXM" | "GH200" => GpuFamily::Hopper,
            "A100-SXM-80GB" => GpuFamily::Ampere,
            "L40S" | "L4" => GpuFamily::Ada,
            "B200-SXM" => GpuFamily::Blackwell,
            "MI300X" => GpuFamily::Cdna3,
            _ => return None,
        })
    }

    pub fn id(self) -> &'static str {
        match self {
            GpuFamily::Hopper => "hopper",
            GpuFamily::Ampere => "ampere",
            GpuFamily::Ada => "ada",
            GpuFamily::Blackwell => "blackwell",
            GpuFamily::Cdna3 => "cdna3",
        }
    }
}

impl Calibration {
    /// The factors for a GPU: fitted for its family when the calibration data covers it, else
    /// fitted on all the data (pooled).
    pub fn for_gpu(gpu: &GpuSpec) -> Calibration {
        GpuFamily::of(&gpu.id)
            .and_then(|family| FITTED_BY_FAMILY.iter().find(|(f, _)| *f == family))
            .map_or(FITTED_POOLED, |(_, calibration)| *calibration)
    }

    /// Prior factors, the starting point of every fit: decode kernels reach about 75% of HBM
    /// bandwidth and large GEMMs about 60% of dense peak (the ranges FlashInfer and NVIDIA's
    /// GEMM benchmarks report); an NVLink all-reduce of a few hundred KB costs about 10 us and a
    /// PCIe one about 25 us, and large ones reach about 80% of link bandwidth (nccl-tests
    /// all_reduce bus bandwidth on DGX H100: ~360 of 450 GB/s); an engine iteration costs
    /// about 2 ms of CPU-side work (vLLM's profiled scheduler and sampler time with CUDA graphs).
    pub fn prior(gpu: &GpuSpec) -> Calibration {
        let nvlink_class = gpu.interconnect_gb_s >= 200.0;
        Calibration {
            memory_efficiency: 0.75,
            compute_efficiency: 0.60,
            allreduce_latency_us: if nvlink_class { 10.0 } else { 25.0 },
            interconnect_efficiency: 0.8,
            step_overhead_ms: 2.0,
        }
    }
}
