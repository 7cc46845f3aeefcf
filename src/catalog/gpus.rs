//! Built-in accelerators. Figures are dense (no sparsity) peak rates from the vendors'
//! datasheets; the `source` of each entry says where it was read. Each GPU belongs to a family,
//! which decides the calibration factors it runs with (`perf::Calibration::built_in`).

use crate::domain::{Precision, ServingEngine};
use crate::error::{check, Error};
use serde::{Deserialize, Serialize};

/// GPUs of one architecture share calibration factors: kernels, libraries and the engines'
/// overheads behave alike across them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// One accelerator. Also the shape of a custom GPU given inline in a scenario
/// (`fleet.gpu: { memoryGb, memoryBandwidthTbS, bf16Tflops, ... }`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GpuSpec {
    #[serde(default = "custom_id")]
    pub id: String,
    /// The architecture whose calibration factors apply. Built-in GPUs name theirs; a custom
    /// GPU has none (the input does not take one yet) and uses the factors pooled over every
    /// family.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub family: Option<GpuFamily>,
    /// Memory in the datasheet's GB, which for HBM and GDDR parts is the binary gigabyte
    /// (80 GB = 80 × 2^30 bytes): the unit nvidia-smi and vLLM's logs use.
    pub memory_gb: f64,
    /// Peak memory bandwidth, TB/s (10^12 bytes/s).
    pub memory_bandwidth_tb_s: f64,
    /// Dense BF16/FP16 tensor throughput, TFLOPS.
    pub bf16_tflops: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp8_tflops: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int8_tops: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp4_tflops: Option<f64>,
    #[serde(default = "default_interconnect")]
    pub interconnect: String,
    /// GPU-to-GPU bandwidth per direction, GB/s (10^9 bytes/s), used by tensor-parallel all-reduce.
    #[serde(default = "default_interconnect_gb_s")]
    pub interconnect_gb_s: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
    #[serde(default = "custom_source")]
    pub source: String,
}

fn custom_id() -> String {
    "custom".to_string()
}
fn custom_source() -> String {
    "given in the scenario".to_string()
}
fn default_interconnect() -> String {
    "PCIe Gen4 x16".to_string()
}
/// A custom GPU without an interconnect figure is assumed to talk over PCIe Gen4 x16:
/// 32 GB/s per direction (PCI-SIG), the slowest link among the built-in GPUs.
fn default_interconnect_gb_s() -> f64 {
    32.0
}

/// Links at least this fast (GB/s per direction) are NVLink or Infinity Fabric class; slower
/// ones are PCIe (Gen5 x16 is 64 GB/s).
const NVLINK_CLASS_GB_S: f64 = 200.0;

impl GpuSpec {
    /// Dense tensor throughput for math in `precision`, FLOPS; `None` when the GPU has no
    /// tensor-core path for it. Weight-only int4 dequantises to BF16 and uses BF16 math.
    pub fn peak_flops(&self, precision: Precision) -> Option<f64> {
        let tera = match precision {
            Precision::Bf16 | Precision::Fp16 | Precision::Int4 => Some(self.bf16_tflops),
            Precision::Fp8 => self.fp8_tflops,
            Precision::Int8 => self.int8_tops,
            Precision::Fp4 => self.fp4_tflops,
        }?;
        Some(tera * 1e12)
    }

    pub fn supports(&self, precision: Precision) -> bool {
        self.peak_flops(precision).is_some()
    }

    /// Whether this GPU is at least as good as `other` on every datasheet figure: memory,
    /// bandwidth, the peak of every precision `other` supports, and link bandwidth.
    pub fn dominates(&self, other: &GpuSpec) -> bool {
        let peaks = Precision::ALL
            .into_iter()
            .all(|precision| match other.peak_flops(precision) {
                Some(theirs) => self.peak_flops(precision).is_some_and(|ours| ours >= theirs),
                None => true,
            });
        peaks
            && self.memory_gb >= other.memory_gb
            && self.memory_bandwidth_tb_s >= other.memory_bandwidth_tb_s
            && self.interconnect_gb_s >= other.interconnect_gb_s
    }

    /// How many times an NVLink-class all-reduce's fixed latency this GPU's links pay: PCIe
    /// all-reduces go through host bridges and NCCL's slower protocols (nccl-tests small-message
    /// all_reduce: about 10 us over NVLink, about 25 us over PCIe).
    pub fn allreduce_latency_ratio(&self) -> f64 {
        if self.interconnect_gb_s >= NVLINK_CLASS_GB_S {
            1.0
        } else {
            2.5
        }
    }

    /// Whether `engine` runs on this GPU: TensorRT-LLM is built on CUDA and runs on NVIDIA GPUs
    /// only, so not on an AMD family (a custom GPU names no family and is taken at its word).
    pub fn runs(&self, engine: ServingEngine) -> bool {
        engine != ServingEngine::TensorrtLlm || self.family != Some(GpuFamily::Cdna3)
    }

    /// An error for `engine` given in `field` when it does not run here; `Ok` when it does.
    pub fn check_runs(&self, field: &str, engine: ServingEngine) -> Result<(), Error> {
        if self.runs(engine) {
            return Ok(());
        }
        let engines: Vec<&str> = ServingEngine::ALL
            .into_iter()
            .filter(|&e| self.runs(e))
            .map(ServingEngine::id)
            .collect();
        Err(Error::invalid(
            field,
            format!(
                "an engine that runs on {} ({}; TensorRT-LLM runs on NVIDIA GPUs only)",
                self.id,
                engines.join(", ")
            ),
            engine.id(),
        ))
    }

    pub fn supported_precisions(&self) -> Vec<Precision> {
        Precision::ALL.into_iter().filter(|&p| self.supports(p)).collect()
    }

    /// The supported precisions' ids as a list in words: "bf16, fp16, fp8, int8, int4".
    pub fn supported_precision_ids(&self) -> String {
        let ids: Vec<&str> = self.supported_precisions().iter().map(|p| p.id()).collect();
        ids.join(", ")
    }

    pub fn memory_bytes(&self) -> f64 {
        self.memory_gb * super::BYTES_PER_GB
    }

    pub fn memory_bandwidth_bytes_s(&self) -> f64 {
        self.memory_bandwidth_tb_s * 1e12
    }

    pub fn interconnect_bytes_s(&self) -> f64 {
        self.interconnect_gb_s * 1e9
    }

    /// Checks a custom GPU's figures; `field` is its JSON path.
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        let path = |name: &str| format!("{field}.{name}");
        check::positive(&path("memoryGb"), self.memory_gb, super::MAX_GPU_MEMORY_GB)?;
        for (name, value) in [
            ("memoryBandwidthTbS", Some(self.memory_bandwidth_tb_s)),
            ("bf16Tflops", Some(self.bf16_tflops)),
            ("interconnectGbS", Some(self.interconnect_gb_s)),
            ("fp8Tflops", self.fp8_tflops),
            ("int8Tops", self.int8_tops),
            ("fp4Tflops", self.fp4_tflops),
            ("powerW", self.power_w),
        ] {
            if let Some(value) = value {
                check::within(&path(name), value, MIN_RATE, MAX_RATE)?;
            }
        }
        Ok(())
    }
}

/// Largest bandwidth, throughput or power figure a custom GPU may declare: far above any
/// shipping part, low enough that every derived time stays finite.
const MAX_RATE: f64 = 1e9;
/// Smallest: a millionth of any shipping part's, high enough that every derived time stays
/// finite (a subnormal TFLOP/s made an iteration last forever).
const MIN_RATE: f64 = 1e-3;

#[allow(clippy::too_many_arguments)]
fn gpu(
    id: &str,
    family: GpuFamily,
    memory_gb: f64,
    memory_bandwidth_tb_s: f64,
    bf16_tflops: f64,
    fp8_tflops: Option<f64>,
    int8_tops: Option<f64>,
    fp4_tflops: Option<f64>,
    interconnect: &str,
    interconnect_gb_s: f64,
    power_w: f64,
    source: &str,
) -> GpuSpec {
    GpuSpec {
        id: id.to_string(),
        family: Some(family),
        memory_gb,
        memory_bandwidth_tb_s,
        bf16_tflops,
        fp8_tflops,
        int8_tops,
        fp4_tflops,
        interconnect: interconnect.to_string(),
        interconnect_gb_s,
        power_w: Some(power_w),
        source: source.to_string(),
    }
}

#[rustfmt::skip]
pub(super) fn builtin() -> Vec<GpuSpec> {
    vec![
        // INT8 dense = half the datasheet's sparse 3,958 TOPS.
        gpu("H100-SXM", GpuFamily::Hopper, 80.0, 3.35, 989.0, Some(1978.0), Some(1979.0), None, "NVLink4", 450.0, 700.0,
            "NVIDIA H100 datasheet via aiconfigurator systems/h100_sxm.yaml; NVLink4 900 GB/s bidirectional"),
        gpu("H100-PCIe", GpuFamily::Hopper, 80.0, 2.0, 756.5, Some(1513.0), Some(1513.0), None, "PCIe Gen5 x16", 64.0, 350.0,
            "NVIDIA H100 datasheet via aiconfigurator systems/h100_pcie.yaml"),
        gpu("H200-SXM", GpuFamily::Hopper, 141.0, 4.8, 989.0, Some(1978.0), Some(1979.0), None, "NVLink4", 450.0, 700.0,
            "NVIDIA H200 datasheet via aiconfigurator systems/h200_sxm.yaml; MLPerf v4.0 system json"),
        // No FP8 on Ampere; INT8 624 TOPS dense.
        gpu("A100-SXM-80GB", GpuFamily::Ampere, 80.0, 2.039, 312.0, None, Some(624.0), None, "NVLink3", 300.0, 400.0,
            "NVIDIA A100 datasheet via aiconfigurator systems/a100_sxm.yaml"),
        // INT8 dense = half the datasheet's sparse 1,466 TOPS.
        gpu("L40S", GpuFamily::Ada, 48.0, 0.864, 362.05, Some(733.0), Some(733.0), None, "PCIe Gen4 x16", 32.0, 350.0,
            "NVIDIA L40S datasheet via aiconfigurator systems/l40s.yaml"),
        // INT8 dense = half the datasheet's sparse 485 TOPS.
        gpu("L4", GpuFamily::Ada, 24.0, 0.300, 121.0, Some(242.0), Some(242.5), None, "PCIe Gen4 x16", 32.0, 72.0,
            "NVIDIA L4 datasheet via aiconfigurator systems/l4.yaml"),
        gpu("B200-SXM", GpuFamily::Blackwell, 180.0, 7.7, 2250.0, Some(4500.0), Some(4500.0), Some(9000.0), "NVLink5", 900.0, 1000.0,
            "NVIDIA DGX B200 figures via aiconfigurator systems/b200_sxm.yaml (FP4 9,000 dense)"),
        // Infinity Fabric: 7 links x 128 GB/s bidirectional (AMD MI300X datasheet) = 448 GB/s per direction.
        gpu("MI300X", GpuFamily::Cdna3, 192.0, 5.3, 1307.4, Some(2614.9), Some(2614.9), None, "Infinity Fabric (XGMI)", 448.0, 750.0,
            "AMD MI300X datasheet; MLPerf v4.1 AMD system json (memory, power)"),
        // The 96 GB HBM3 GPU of the GH200 superchip (the 480 GB figure counts Grace's LPDDR5X).
        // Same Hopper compute as H100-SXM. Present because the calibration data measures it.
        gpu("GH200", GpuFamily::Hopper, 96.0, 4.0, 989.0, Some(1978.0), Some(1979.0), None, "NVLink4", 450.0, 1000.0,
            "NVIDIA GH200 Grace Hopper Superchip datasheet (96 GB HBM3, 4 TB/s)"),
    ]
}
