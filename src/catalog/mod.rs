//! What an H200 or a Llama-3.1-70B is: the built-in GPUs, models and use-case presets, each
//! figure with its source, and the listing of everything a scenario can name (`catalog()`).
//! Lookups by id are case-insensitive and a miss lists the valid ids. How those figures turn
//! into time and memory is `perf`'s business, not this module's.

mod gpus;
mod models;
mod use_cases;

pub use gpus::{GpuFamily, GpuSpec};
pub use models::{derive_dense_shape, CustomModel, ModelSpec, MAX_CUSTOM_PARAMS_B};
pub use use_cases::{preset, Preset};

use crate::domain::{
    BenchmarkFormat, KvCacheDtype, LengthDistribution, Metric, Precision, ServingEngine, SloTarget, UseCase,
};
use crate::error::Error;
use serde::Serialize;
use std::sync::OnceLock;

/// Memory sizes are binary gigabytes, as GPU datasheets, nvidia-smi and vLLM's logs count them.
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// Largest memory a custom GPU may declare, GB: well above any shipping accelerator.
pub const MAX_GPU_MEMORY_GB: f64 = 100_000.0;

/// GPUs in one node: an HGX/DGX board (H100, H200, B200) or an MI300X platform carries 8,
/// joined by NVLink or Infinity Fabric. Tensor parallelism beyond a node crosses the slower
/// inter-node network, which the cost model does not cover.
pub const GPUS_PER_NODE: u32 = 8;

/// Everything a scenario can name, for menus, help texts and validation messages.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub gpus: Vec<GpuEntry>,
    pub models: Vec<ModelSpec>,
    pub precisions: Vec<Precision>,
    /// The precisions considered when a scenario lists none.
    pub default_precisions: Vec<Precision>,
    /// Each use case with the lengths and latency targets its preset supplies.
    pub use_cases: Vec<UseCaseEntry>,
    /// The serving engines a config may name, the default one (`ServingEngine::DEFAULT`) first.
    pub engines: Vec<EngineEntry>,
    /// The latency metrics an SLO can bound.
    pub metrics: Vec<Metric>,
    /// What `config.kvCacheDtype` takes: `auto` (the engine's default) and each dtype.
    pub kv_cache_dtypes: Vec<&'static str>,
    /// The formats `importBenchmark` reads.
    pub benchmark_formats: Vec<BenchmarkFormat>,
    /// The largest tensor-parallel degree the advisor searches: one node.
    pub max_tensor_parallel: u32,
    /// The capacity the advisor keeps above the required load (`gpusNeeded` carries this many
    /// times the load within the SLOs).
    pub headroom: f64,
}

/// A use case and its preset (none for `custom`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UseCaseEntry {
    pub id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<LengthDistribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<LengthDistribution>,
    pub slos: Vec<SloTarget>,
}

/// A serving engine and its default batch limit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineEntry {
    pub id: &'static str,
    pub default_max_batch: u32,
}

/// A GPU as the catalog lists it: its figures and the precisions it can run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuEntry {
    #[serde(flatten)]
    pub spec: GpuSpec,
    pub precisions: Vec<Precision>,
}

/// The built-in catalog, built once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        gpus: gpus::builtin()
            .into_iter()
            .map(|spec| GpuEntry {
                precisions: spec.supported_precisions(),
                spec,
            })
            .collect(),
        models: models::builtin(),
        precisions: Precision::ALL.to_vec(),
        default_precisions: Precision::DEFAULT.to_vec(),
        use_cases: UseCase::ALL
            .into_iter()
            .map(|use_case| {
                let preset = preset(use_case);
                UseCaseEntry {
                    id: use_case.id(),
                    prompt_tokens: preset.map(|p| p.prompt_tokens),
                    output_tokens: preset.map(|p| p.output_tokens),
                    slos: preset.map_or_else(Vec::new, |p| p.slos.to_vec()),
                }
            })
            .collect(),
        engines: ServingEngine::ALL
            .into_iter()
            .map(|engine| EngineEntry {
                id: engine.id(),
                default_max_batch: engine.default_max_batch(),
            })
            .collect(),
        metrics: Metric::ALL.to_vec(),
        kv_cache_dtypes: std::iter::once("auto")
            .chain(KvCacheDtype::ALL.map(KvCacheDtype::id))
            .collect(),
        benchmark_formats: BenchmarkFormat::ALL.to_vec(),
        max_tensor_parallel: GPUS_PER_NODE,
        headroom: crate::advise::HEADROOM,
    })
}

/// Finds a built-in GPU by id (case-insensitive); `field` names the input for the error.
pub fn find_gpu(field: &str, id: &str) -> Result<&'static GpuSpec, Error> {
    let gpus = &catalog().gpus;
    gpus.iter()
        .map(|entry| &entry.spec)
        .find(|gpu| gpu.id.eq_ignore_ascii_case(id.trim()))
        .ok_or_else(|| Error::UnknownId {
            field: field.to_string(),
            kind: "GPU",
            got: id.to_string(),
            valid: gpus.iter().map(|entry| entry.spec.id.clone()).collect(),
        })
}

/// Finds a built-in model by id (case-insensitive); `field` names the input for the error.
pub fn find_model(field: &str, id: &str) -> Result<&'static ModelSpec, Error> {
    let models = &catalog().models;
    models
        .iter()
        .find(|model| model.id.eq_ignore_ascii_case(id.trim()))
        .ok_or_else(|| Error::UnknownId {
            field: field.to_string(),
            kind: "model",
            got: id.to_string(),
            valid: models.iter().map(|model| model.id.clone()).collect(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_case_insensitive() {
        assert_eq!(find_gpu("fleet.gpu", "h100-sxm").unwrap().id, "H100-SXM");
        assert_eq!(find_model("model", "LLAMA-3.1-70b").unwrap().id, "Llama-3.1-70B");
    }

    #[test]
    fn unknown_id_lists_the_valid_ones() {
        let message = find_gpu("fleet.gpu", "H900").unwrap_err().to_string();
        assert!(message.starts_with("fleet.gpu: unknown GPU \"H900\""), "{message}");
        assert!(message.contains("H100-SXM") && message.contains("MI300X"), "{message}");
    }

    #[test]
    fn lists_the_choices_a_scenario_names_and_the_advisors_defaults() {
        let json = serde_json::to_value(catalog()).unwrap();
        assert_eq!(
            json["engines"],
            serde_json::json!([
                { "id": "vllm", "defaultMaxBatch": 256 },
                { "id": "sglang", "defaultMaxBatch": 256 },
                { "id": "tensorrt-llm", "defaultMaxBatch": 2048 },
            ])
        );
        assert_eq!(json["metrics"], serde_json::json!(["ttft", "tpot", "itl", "e2e"]));
        assert_eq!(
            json["benchmarkFormats"],
            serde_json::json!([
                "vllm",
                "guidellm",
                "guidellm-csv",
                "aiperf",
                "aiperf-csv",
                "aiperf-jsonl",
                "llmperf",
                "csv"
            ])
        );
        assert_eq!(json["defaultPrecisions"], serde_json::json!(["bf16", "fp8"]));
        assert_eq!(json["maxTensorParallel"], 8);
    }

    #[test]
    fn a100_has_no_fp8_and_only_b200_has_fp4() {
        assert!(!find_gpu("g", "A100-SXM-80GB").unwrap().supports(Precision::Fp8));
        let with_fp4: Vec<_> = catalog()
            .gpus
            .iter()
            .filter(|entry| entry.precisions.contains(&Precision::Fp4))
            .map(|entry| entry.spec.id.as_str())
            .collect();
        assert_eq!(with_fp4, ["B200-SXM"]);
    }

    #[test]
    fn every_built_in_gpu_names_its_family() {
        for entry in &catalog().gpus {
            assert!(entry.spec.family.is_some(), "{}", entry.spec.id);
        }
    }

    #[test]
    fn tensor_parallel_degrees_split_the_heads_and_the_fleet() {
        let llama = find_model("model", "Llama-3.1-70B").unwrap();
        assert_eq!(llama.tensor_parallel_degrees(8).collect::<Vec<_>>(), [1, 2, 4, 8]);
        assert_eq!(llama.fleet_tensor_parallel_degrees(6, 8).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            llama.fleet_tensor_parallel_degrees(16, 8).collect::<Vec<_>>(),
            [1, 2, 4, 8]
        );
    }

    #[test]
    fn mixtral_active_parameters_are_fewer_than_total() {
        let mixtral = find_model("model", "Mixtral-8x7B").unwrap();
        assert!(mixtral.active_params_b < mixtral.params_b / 3.0);
    }

    #[test]
    fn derived_shape_is_close_to_llama_for_known_sizes() {
        for (id, tolerance) in [("Llama-3.1-8B", 0), ("Llama-3.1-70B", 8), ("Llama-3.1-405B", 2)] {
            let model = find_model("model", id).unwrap();
            let (layers, _) = derive_dense_shape(model.params_b);
            assert!(
                layers.abs_diff(model.layers) <= tolerance,
                "{id}: {layers} vs {}",
                model.layers
            );
        }
    }
}
