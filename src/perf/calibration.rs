//! The factors that turn datasheet peaks into the time a real engine takes. Everything else in
//! the cost model is physics (bytes, FLOPs, link bandwidth); these absorb what the physics
//! leaves out: kernels that do not reach peak, launch and scheduling gaps, NCCL latency.
//! They are fitted on published measurements (`make calibrate`, see `measure::fit`) and
//! committed in `fitted.rs`: a pooled set, a GPU family's own efficiencies where its data allows,
//! and a pair of factors per engine where its data allows.

use super::fitted::{
    ERROR_BANDS, FITTED_BY_ENGINE, FITTED_BY_FAMILY, FITTED_ENGINES, FITTED_POOLED, FITTED_PRECISIONS,
};
use crate::catalog::{GpuFamily, GpuSpec};
use crate::domain::{Precision, ServingEngine};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Calibration {
    /// Fraction of peak memory bandwidth that weight and KV reads achieve.
    pub memory_efficiency: f64,
    /// Fraction of peak tensor throughput that GEMMs and attention achieve.
    pub compute_efficiency: f64,
    /// Fixed cost of one tensor-parallel all-reduce over NVLink-class links, microseconds; PCIe
    /// links pay `GpuSpec::allreduce_latency_ratio` times it.
    pub allreduce_latency_us: f64,
    /// Fraction of the GPU-to-GPU link bandwidth an all-reduce achieves.
    pub interconnect_efficiency: f64,
    /// Fixed cost of one engine iteration, milliseconds: scheduling, input preparation, sampling
    /// on the host.
    pub step_overhead_ms: f64,
    /// Cost of one iteration per model layer, microseconds: the gaps between a layer's kernels
    /// (launch and synchronisation, even with CUDA graphs), so a deeper model pays more per step.
    /// Calibrations written before this factor existed leave it out: 0.
    #[serde(default)]
    pub layer_overhead_us: f64,
    /// Fraction of the shorter of an iteration's memory and compute times that the longer does
    /// not hide: 0 is the ideal roofline (loads fully overlap math), 1 no overlap at all. Kernels
    /// overlap within themselves but not across their boundaries, so near the ridge point an
    /// iteration is slower than either bound. Calibrations written before this factor existed
    /// leave it out: 0.
    #[serde(default)]
    pub unoverlapped_fraction: f64,
}

/// What an engine changes against TensorRT-LLM's factors: its host-side overheads (a Python
/// scheduler costs more per iteration than a C++ one) and its kernels' efficiency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineFactors {
    /// Multiplies the per-iteration and per-layer overheads.
    pub overhead_scale: f64,
    /// Multiplies the memory and compute efficiencies.
    pub efficiency_scale: f64,
}

/// Efficiencies an engine's factor or the datasheet order may raise stay below this: no kernel
/// reaches its peak.
pub const EFFICIENCY_CEILING: f64 = 0.95;

impl EngineFactors {
    /// No change: TensorRT-LLM's own, and any engine the data does not cover.
    pub const NONE: EngineFactors = EngineFactors {
        overhead_scale: 1.0,
        efficiency_scale: 1.0,
    };

    /// The engine whose built-in factors `engine` runs with: its own when fitted (TensorRT-LLM,
    /// the reference, always), else the nearest measured one's: vLLM's for SGLang (both
    /// schedule in Python over FlashInfer-class kernels), else TensorRT-LLM's (none).
    fn lender(engine: ServingEngine) -> ServingEngine {
        if engine == ServingEngine::TensorrtLlm || fitted_engine(engine).is_some() {
            engine
        } else if fitted_engine(ServingEngine::Vllm).is_some() {
            ServingEngine::Vllm
        } else {
            ServingEngine::TensorrtLlm
        }
    }

    /// The built-in factors of `engine`, and whether the calibration data covers it.
    pub fn built_in(engine: ServingEngine) -> (EngineFactors, bool) {
        let lender = EngineFactors::lender(engine);
        (fitted_engine(lender).unwrap_or(EngineFactors::NONE), lender == engine)
    }

    /// The engine whose factors `engine` runs with, when it has none of its own.
    pub fn borrowed_from(engine: ServingEngine) -> Option<ServingEngine> {
        let lender = EngineFactors::lender(engine);
        (lender != engine).then_some(lender)
    }

    pub fn apply(&self, calibration: Calibration) -> Calibration {
        Calibration {
            memory_efficiency: (calibration.memory_efficiency * self.efficiency_scale).min(EFFICIENCY_CEILING),
            compute_efficiency: (calibration.compute_efficiency * self.efficiency_scale).min(EFFICIENCY_CEILING),
            step_overhead_ms: calibration.step_overhead_ms * self.overhead_scale,
            layer_overhead_us: calibration.layer_overhead_us * self.overhead_scale,
            ..calibration
        }
    }
}

fn fitted_engine(engine: ServingEngine) -> Option<EngineFactors> {
    FITTED_BY_ENGINE.iter().find(|(e, _)| *e == engine).map(|(_, f)| *f)
}

fn family_fitted(family: GpuFamily) -> bool {
    FITTED_BY_FAMILY.iter().any(|(f, _)| *f == family)
}

/// Whether `family` was measured enough on `engine` for its factors to hold the engine's behaviour.
fn family_measured_on(family: GpuFamily, engine: ServingEngine) -> bool {
    FITTED_ENGINES.iter().any(|(f, e)| *f == family && *e == engine)
}

/// How far the built-in factors reach for a GPU, engine and precision: fitted on data of that
/// family, engine and precision (calibrated), borrowed from others (extrapolated), or pooled for
/// a GPU with no family at all (uncalibrated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CalibrationCase {
    Calibrated,
    Extrapolated,
    Uncalibrated,
}

impl Calibration {
    /// The built-in factors for a GPU run by an engine: fitted for its family when the
    /// calibration data covers it, else fitted on all the data (pooled), adjusted for the engine.
    pub fn built_in(gpu: &GpuSpec, engine: ServingEngine) -> Calibration {
        let family = Calibration::of_family(gpu.family, FITTED_BY_FAMILY, FITTED_POOLED);
        EngineFactors::built_in(engine).0.apply(family)
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

    /// Which case the built-in factors are for this GPU, engine and precision: calibrated when
    /// the family has factors of its own, was measured in this precision, and either was
    /// measured enough on this engine (its factors then hold the engine's behaviour) or the
    /// engine has factors of its own.
    pub fn built_in_case(gpu: &GpuSpec, engine: ServingEngine, precision: Precision) -> CalibrationCase {
        let Some(family) = gpu.family else {
            return CalibrationCase::Uncalibrated;
        };
        // bf16 and fp16 run the same 16-bit kernels at the same peak.
        let kernels = |p: Precision| if p == Precision::Fp16 { Precision::Bf16 } else { p };
        let precision_seen = FITTED_PRECISIONS
            .iter()
            .any(|(f, p)| *f == family && kernels(*p) == kernels(precision));
        let engine_seen = family_measured_on(family, engine) || EngineFactors::built_in(engine).1;
        if family_fitted(family) && precision_seen && engine_seen {
            CalibrationCase::Calibrated
        } else {
            CalibrationCase::Extrapolated
        }
    }

    /// Where [`Calibration::built_in`]'s factors come from, in words.
    pub fn built_in_source(gpu: &GpuSpec, engine: ServingEngine) -> String {
        let family = match gpu.family {
            Some(family) if family_fitted(family) => {
                format!("{} family factors", family.id())
            }
            Some(family) => format!("pooled factors: no {} measurements", family.id()),
            None => "pooled factors: a custom GPU names no family".to_string(),
        };
        let measured_on_family = gpu.family.is_some_and(|family| family_measured_on(family, engine));
        let engine_words = match EngineFactors::borrowed_from(engine) {
            None if engine == ServingEngine::TensorrtLlm => String::new(),
            None => format!(", adjusted for {}", engine.name()),
            Some(_) if measured_on_family => format!(", measured with {}", engine.name()),
            Some(lender) => format!(
                ", {}'s engine factors: too few {} measurements",
                lender.name(),
                engine.name()
            ),
        };
        format!("built in: fitted on published measurements ({family}{engine_words})")
    }

    /// Prior factors, the starting point of every fit: decode kernels reach about 75% of HBM
    /// bandwidth and large GEMMs about 60% of dense peak (the ranges FlashInfer and NVIDIA's
    /// GEMM benchmarks report); an NVLink all-reduce of a few hundred KB costs about 10 us,
    /// and large ones reach about 80% of link bandwidth (nccl-tests all_reduce bus bandwidth on
    /// DGX H100: ~360 of 450 GB/s); an engine iteration costs about 1 ms of host work and each
    /// layer's dozen kernels about 2 us apiece between them (vLLM's profiled scheduler time and
    /// CUDA-graph replay gaps); a quarter of the shorter of memory and compute time is not
    /// hidden (a guess the fit is free to move: the data decides it).
    pub const PRIOR: Calibration = Calibration {
        memory_efficiency: 0.75,
        compute_efficiency: 0.60,
        allreduce_latency_us: 10.0,
        interconnect_efficiency: 0.8,
        step_overhead_ms: 1.0,
        layer_overhead_us: 25.0,
        unoverlapped_fraction: 0.25,
    };
}

/// The probability the error bands state: a measured value lies inside its band four times in five.
pub const BAND_COVERAGE: f64 = 0.8;

/// How far off a prediction may be, per metric: each is a relative factor r such that the
/// measured value lies in [predicted / (1 + r), predicted x (1 + r)] with probability
/// `BAND_COVERAGE`. Derived from cross-validated residuals (`make calibrate`, `measure::validate`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBands {
    pub throughput: f64,
    pub ttft: f64,
    /// TPOT and ITL: the decode iterations' length.
    pub decode: f64,
    pub e2e: f64,
}

impl ErrorBands {
    /// The built-in bands for a case: the family's own where its residuals allow, else the case's.
    pub fn built_in(case: CalibrationCase, family: Option<GpuFamily>) -> ErrorBands {
        let find = |family: Option<GpuFamily>| {
            ERROR_BANDS
                .iter()
                .find(|(c, f, _)| *c == case && *f == family)
                .map(|(_, _, bands)| *bands)
        };
        find(family.filter(|_| case == CalibrationCase::Calibrated))
            .or_else(|| find(None))
            .unwrap_or(ErrorBands::UNKNOWN)
    }

    /// Each metric's wider band of the two.
    pub fn widest(&self, other: &ErrorBands) -> ErrorBands {
        self.combine(other, f64::max)
    }

    /// Each metric's narrower band of the two.
    pub fn narrowest(&self, other: &ErrorBands) -> ErrorBands {
        self.combine(other, f64::min)
    }

    fn combine(&self, other: &ErrorBands, pick: fn(f64, f64) -> f64) -> ErrorBands {
        ErrorBands {
            throughput: pick(self.throughput, other.throughput),
            ttft: pick(self.ttft, other.ttft),
            decode: pick(self.decode, other.decode),
            e2e: pick(self.e2e, other.e2e),
        }
    }

    /// Bands when no residuals exist for a case: a factor of two either way.
    pub const UNKNOWN: ErrorBands = ErrorBands {
        throughput: 1.0,
        ttft: 1.0,
        decode: 1.0,
        e2e: 1.0,
    };
}
