//! The five factors that turn datasheet peaks into the time a real engine takes. Everything
//! else in the cost model is physics (bytes, FLOPs, link bandwidth); these absorb what the
//! physics leaves out: kernels that do not reach peak, launch and scheduling gaps, NCCL latency.
//! They are fitted per GPU family on published measurements (`make calibrate`, see
//! `measure::fit`) and committed in `fitted.rs`.

use super::fitted::{FITTED_BY_FAMILY, FITTED_POOLED};
use crate::catalog::{GpuFamily, GpuSpec};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Calibration {
    /// Fraction of peak memory bandwidth that weight and KV reads achieve.
    pub memory_efficiency: f64,
    /// Fraction of peak tensor throughput that GEMMs and attention achieve.
    pub compute_efficiency: f64,
    /// Fixed cost of one tensor-parallel all-reduce, microseconds.
    pub allreduce_latency_us: f64,
    /// Fraction of the GPU-to-GPU link bandwidth an all-reduce achieves.
    pub interconnect_efficiency: f64,
    /// Fixed cost of one engine iteration, milliseconds: scheduling, kernel launches, sampling.
    pub step_overhead_ms: f64,
}

impl Calibration {
    /// The built-in factors for a GPU: fitted for its family when the calibration data covers
    /// it, else fitted on all the data (pooled).
    pub fn for_gpu(gpu: &GpuSpec) -> Calibration {
        Calibration::of_family(gpu.family, FITTED_BY_FAMILY, FITTED_POOLED)
    }

    /// From per-family factors, those of `family`; `pooled` when it has none.
    pub fn of_family(
        family: Option<GpuFamily>,
        by_family: &[(GpuFamily, Calibration)],
        pooled: Calibration,
    ) -> Calibration {
        family
            .and_then(|family| by_family.iter().find(|(f, _)| *f == family))
            .map_or(pooled, |(_, calibration)| *calibration)
    }

    /// Where [`Calibration::for_gpu`]'s factors come from, in words.
    pub fn built_in_source(gpu: &GpuSpec) -> String {
        match gpu.family {
            Some(family) => format!(
                "built in: fitted on published TensorRT-LLM measurements ({} family factors when the data covers it)",
                family.id()
            ),
            None => "built in: fitted on published TensorRT-LLM measurements (pooled over GPU families)".to_string(),
        }
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
