//! The value types every layer shares: what a deployment is (engine, tensor parallelism,
//! replicas, precision, batch limits), what a latency target is, how long requests are and how
//! they arrive, and the use case. They hold no catalog data and compute nothing: the catalog
//! says what a GPU or a model is, `perf` what a deployment costs, `scenario` how the user's
//! JSON becomes these values.

use crate::error::{check, Result};
use serde::{Serialize, Serializer};
use std::fmt;

/// What the deployment serves; it implies request lengths and latency targets (the catalog's
/// presets) and how the verdict weighs latency against cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseCase {
    Chat,
    CodeCompletion,
    Agent,
    Rag,
    Summarization,
    Batch,
    Custom,
}

impl UseCase {
    pub const ALL: [UseCase; 7] = [
        UseCase::Chat,
        UseCase::CodeCompletion,
        UseCase::Agent,
        UseCase::Rag,
        UseCase::Summarization,
        UseCase::Batch,
        UseCase::Custom,
    ];

    pub fn id(self) -> &'static str {
        match self {
            UseCase::Chat => "chat",
            UseCase::CodeCompletion => "code-completion",
            UseCase::Agent => "agent",
            UseCase::Rag => "rag",
            UseCase::Summarization => "summarization",
            UseCase::Batch => "batch",
            UseCase::Custom => "custom",
        }
    }

    /// The use case with this id (case-insensitive); `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<UseCase> {
        check::named(field, "use case", &UseCase::ALL, UseCase::id, text)
    }
}

/// The serving engine, which decides how memory is split, how requests are admitted and the
/// default batch limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServingEngine {
    Vllm,
    Sglang,
    TensorrtLlm,
}

impl ServingEngine {
    /// The default one first: `catalog()` lists them in this order.
    pub const ALL: [ServingEngine; 3] = [ServingEngine::Vllm, ServingEngine::Sglang, ServingEngine::TensorrtLlm];

    /// The engine a config runs when it names none, and the one the advisor deploys: vLLM,
    /// the most deployed open engine.
    pub const DEFAULT: ServingEngine = ServingEngine::Vllm;

    pub fn id(self) -> &'static str {
        match self {
            ServingEngine::Vllm => "vllm",
            ServingEngine::Sglang => "sglang",
            ServingEngine::TensorrtLlm => "tensorrt-llm",
        }
    }

    /// The engine's name as its project writes it.
    pub fn name(self) -> &'static str {
        match self {
            ServingEngine::Vllm => "vLLM",
            ServingEngine::Sglang => "SGLang",
            ServingEngine::TensorrtLlm => "TensorRT-LLM",
        }
    }

    /// The server flag that sets the batch limit (`maxBatch`).
    pub fn max_batch_flag(self) -> &'static str {
        match self {
            ServingEngine::Vllm => "--max-num-seqs",
            ServingEngine::Sglang => "--max-running-requests",
            ServingEngine::TensorrtLlm => "--max_batch_size",
        }
    }

    /// The server flag that sets the token budget per iteration (`maxBatchedTokens`).
    pub fn max_batched_tokens_flag(self) -> &'static str {
        match self {
            ServingEngine::Vllm => "--max-num-batched-tokens",
            ServingEngine::Sglang => "--chunked-prefill-size",
            ServingEngine::TensorrtLlm => "--max_num_tokens",
        }
    }

    /// The setting that stores the KV cache in `dtype` (vLLM and SGLang flags; TensorRT-LLM's
    /// LLM API option, `trtllm-serve --extra_llm_api_options`).
    pub fn kv_cache_dtype_flag(self, dtype: KvCacheDtype) -> String {
        match (self, dtype) {
            (ServingEngine::Vllm, KvCacheDtype::Fp8) => "--kv-cache-dtype fp8".to_string(),
            (ServingEngine::Sglang, KvCacheDtype::Fp8) => "--kv-cache-dtype fp8_e4m3".to_string(),
            (ServingEngine::Vllm | ServingEngine::Sglang, KvCacheDtype::Bf16) => "--kv-cache-dtype auto".to_string(),
            (ServingEngine::TensorrtLlm, dtype) => format!("kv_cache_config.dtype {}", dtype.id()),
        }
    }

    /// The engine with this id (case-insensitive); `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<ServingEngine> {
        check::named(field, "engine", &ServingEngine::ALL, ServingEngine::id, text)
    }

    /// The engine's default limit on running sequences: vLLM's `--max-num-seqs` 256, SGLang's
    /// `--max-running-requests` (sized from memory; 256 here as a like-for-like default),
    /// TensorRT-LLM's `max_batch_size` 2048 (BuildConfig default).
    pub fn default_max_batch(self) -> u32 {
        match self {
            ServingEngine::Vllm | ServingEngine::Sglang => 256,
            ServingEngine::TensorrtLlm => 2048,
        }
    }

    /// The engine's default token budget per iteration: vLLM's `--max-num-batched-tokens` with
    /// chunked prefill, SGLang's `--chunked-prefill-size` on datacenter GPUs, TensorRT-LLM's
    /// `max_num_tokens`: 8192 for all three.
    pub fn default_max_batched_tokens(self) -> u32 {
        8192
    }
}

/// A numeric precision a deployment runs its weights in, and what each costs in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    Bf16,
    Fp16,
    Fp8,
    /// W8A8 (SmoothQuant-style): int8 weights and activations, int8 tensor cores.
    Int8,
    /// Weight-only int4 (AWQ / GPTQ): 4-bit weights dequantised to bf16, bf16 tensor cores.
    Int4,
    /// NVFP4 weights and activations (Blackwell).
    Fp4,
}

impl Precision {
    pub const ALL: [Precision; 6] = [
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Int8,
        Precision::Int4,
        Precision::Fp4,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
            Precision::Fp4 => "fp4",
        }
    }

    /// The precisions considered when a scenario does not list any: the 16-bit and 8-bit
    /// float formats, which serve a model at its published quality (FP8 checkpoints are
    /// evaluated near-lossless by their publishers). int8, int4 and fp4 trade quality for
    /// speed, so they are considered only when listed.
    pub const DEFAULT: [Precision; 2] = [Precision::Bf16, Precision::Fp8];

    /// The precision with this id (case-insensitive); `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<Precision> {
        check::named(field, "precision", &Precision::ALL, Precision::id, text)
    }

    /// Bytes one weight occupies, including quantisation scales.
    pub fn weight_bytes_per_param(self) -> f64 {
        match self {
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            // AWQ/GPTQ: 4-bit values plus one fp16 scale and zero point per group of 128
            // weights = 4 + 32/128 bits.
            Precision::Int4 => 4.25 / 8.0,
            // NVFP4: 4-bit values plus one fp8 scale per block of 16 = 4 + 8/16 bits
            // (NVIDIA, "Introducing NVFP4", 2025).
            Precision::Fp4 => 4.5 / 8.0,
        }
    }
}

/// The data type the KV cache stores keys and values in, whatever the weights'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KvCacheDtype {
    /// 16 bits: the model's activation dtype (bf16, or fp16 for fp16 models).
    Bf16,
    /// 8-bit floats: half the bytes per cached token (vLLM and SGLang `--kv-cache-dtype fp8`).
    Fp8,
}

impl KvCacheDtype {
    pub const ALL: [KvCacheDtype; 2] = [KvCacheDtype::Bf16, KvCacheDtype::Fp8];

    pub fn id(self) -> &'static str {
        match self {
            KvCacheDtype::Bf16 => "bf16",
            KvCacheDtype::Fp8 => "fp8",
        }
    }

    pub fn bytes_per_element(self) -> f64 {
        match self {
            KvCacheDtype::Bf16 => 2.0,
            KvCacheDtype::Fp8 => 1.0,
        }
    }

    /// What `auto` means to each engine: vLLM and SGLang cache in the model's activation dtype
    /// whatever the weights (`--kv-cache-dtype auto`: 16 bits, even with FP8 weights);
    /// TensorRT-LLM's FP8 and NVFP4 checkpoints carry an FP8 KV cache (`kv_cache_quant_algo`,
    /// as in the published TensorRT-LLM measurements in `data/`).
    pub fn engine_default(engine: ServingEngine, precision: Precision) -> KvCacheDtype {
        match (engine, precision) {
            (ServingEngine::TensorrtLlm, Precision::Fp8 | Precision::Fp4) => KvCacheDtype::Fp8,
            _ => KvCacheDtype::Bf16,
        }
    }

    /// `auto` (the engine's default), `bf16` or `fp8`, case-insensitive; `field` names the input.
    pub fn parse(field: &str, text: &str, engine: ServingEngine, precision: Precision) -> Result<KvCacheDtype> {
        if text.trim().eq_ignore_ascii_case("auto") {
            return Ok(KvCacheDtype::engine_default(engine, precision));
        }
        let with_auto: Vec<String> = std::iter::once("auto")
            .chain(KvCacheDtype::ALL.map(KvCacheDtype::id))
            .map(str::to_string)
            .collect();
        check::named(field, "KV cache dtype", &KvCacheDtype::ALL, KvCacheDtype::id, text).map_err(|error| match error {
            crate::Error::UnknownId { field, kind, got, .. } => crate::Error::UnknownId {
                field,
                kind,
                got,
                valid: with_auto,
            },
            other => other,
        })
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Precision {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// A deployment with every default filled in: `replicas` copies of the model, each split over
/// `tensor_parallel` GPUs, run by `engine` in `precision` with its KV cache in
/// `kv_cache_dtype` and its batch limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub engine: ServingEngine,
    pub tensor_parallel: u32,
    pub replicas: u32,
    pub precision: Precision,
    pub kv_cache_dtype: KvCacheDtype,
    /// Running sequences per replica (vLLM's `--max-num-seqs`).
    pub max_batch: u32,
    /// Tokens per engine iteration (vLLM's `--max-num-batched-tokens`).
    pub max_batched_tokens: u32,
}

impl Deployment {
    /// A deployment at the engine's defaults: batch limits and KV cache dtype.
    pub fn with_engine_defaults(
        engine: ServingEngine,
        tensor_parallel: u32,
        replicas: u32,
        precision: Precision,
    ) -> Deployment {
        Deployment {
            engine,
            tensor_parallel,
            replicas,
            precision,
            kv_cache_dtype: KvCacheDtype::engine_default(engine, precision),
            max_batch: engine.default_max_batch(),
            max_batched_tokens: engine.default_max_batched_tokens(),
        }
    }

    pub fn gpus(&self) -> u32 {
        self.tensor_parallel * self.replicas
    }
}

/// A token count: the mean, and the coefficient of variation of a lognormal around it (0 for
/// a fixed length).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LengthDistribution {
    pub mean: f64,
    #[serde(default)]
    pub cv: f64,
}

/// The latency a service-level objective bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Time to first token.
    Ttft,
    /// Time per output token after the first, averaged over a request.
    Tpot,
    /// Inter-token latency: every gap between streamed tokens.
    Itl,
    /// End-to-end request latency.
    E2e,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Ttft, Metric::Tpot, Metric::Itl, Metric::E2e];

    pub fn id(self) -> &'static str {
        match self {
            Metric::Ttft => "ttft",
            Metric::Tpot => "tpot",
            Metric::Itl => "itl",
            Metric::E2e => "e2e",
        }
    }

    /// The metric with this id (case-insensitive); `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<Metric> {
        check::named(field, "metric", &Metric::ALL, Metric::id, text)
    }

    /// Whether the metric is a gap between tokens, which one-token outputs do not have.
    pub fn is_gap(self) -> bool {
        matches!(self, Metric::Tpot | Metric::Itl)
    }
}

/// A latency target: the `percentile` of `metric` at most `target_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SloTarget {
    pub metric: Metric,
    pub percentile: f64,
    pub target_ms: f64,
}

impl SloTarget {
    /// The percentile an SLO refers to when it does not say: p95, the tail the industry's
    /// latency targets and benchmark reports quote.
    pub const DEFAULT_PERCENTILE: f64 = 95.0;
}

/// The offered load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum LoadKind {
    /// Open loop: arrivals at a mean rate, their gaps with coefficient of variation
    /// `arrival_cv` (1 Poisson, 0 a constant rate).
    Open { requests_per_second: f64, arrival_cv: f64 },
    /// Closed loop: `concurrency` users, each sending the next request when one completes.
    Closed { concurrency: u32 },
    /// Everything queued at time zero.
    Offline { requests: u32 },
}

impl LoadKind {
    /// The load's size in its own unit: requests/s, users, or requests.
    pub fn level(self) -> f64 {
        match self {
            LoadKind::Open {
                requests_per_second, ..
            } => requests_per_second,
            LoadKind::Closed { concurrency } => f64::from(concurrency),
            LoadKind::Offline { requests } => f64::from(requests),
        }
    }

    /// The unit of [`LoadKind::level`].
    pub fn unit(self) -> &'static str {
        match self {
            LoadKind::Open { .. } => "requests/s",
            LoadKind::Closed { .. } => "concurrent users",
            LoadKind::Offline { .. } => "requests",
        }
    }
}

/// The benchmark file formats `import_benchmark` reads (its `format` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchmarkFormat {
    /// `vllm bench serve` / `benchmark_serving.py --save-result` JSON.
    Vllm,
    /// GuideLLM `benchmarks.json`.
    Guidellm,
    /// GuideLLM's CSV export.
    GuidellmCsv,
    /// AIPerf / GenAI-Perf profile export JSON.
    Aiperf,
    /// AIPerf / GenAI-Perf profile export CSV.
    AiperfCsv,
    /// AIPerf per-record JSON lines.
    AiperfJsonl,
    /// LLMPerf `*_summary.json`.
    Llmperf,
    /// Plain CSV, a row per request or per load level.
    Csv,
}

impl BenchmarkFormat {
    pub const ALL: [BenchmarkFormat; 8] = [
        BenchmarkFormat::Vllm,
        BenchmarkFormat::Guidellm,
        BenchmarkFormat::GuidellmCsv,
        BenchmarkFormat::Aiperf,
        BenchmarkFormat::AiperfCsv,
        BenchmarkFormat::AiperfJsonl,
        BenchmarkFormat::Llmperf,
        BenchmarkFormat::Csv,
    ];

    pub fn id(self) -> &'static str {
        match self {
            BenchmarkFormat::Vllm => "vllm",
            BenchmarkFormat::Guidellm => "guidellm",
            BenchmarkFormat::GuidellmCsv => "guidellm-csv",
            BenchmarkFormat::Aiperf => "aiperf",
            BenchmarkFormat::AiperfCsv => "aiperf-csv",
            BenchmarkFormat::AiperfJsonl => "aiperf-jsonl",
            BenchmarkFormat::Llmperf => "llmperf",
            BenchmarkFormat::Csv => "csv",
        }
    }

    /// The format with exactly this id (case matters, unlike the other ids: a format is named
    /// by programs, not typed by people); `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<BenchmarkFormat> {
        BenchmarkFormat::ALL
            .into_iter()
            .find(|format| format.id() == text)
            .ok_or_else(|| crate::Error::UnknownId {
                field: field.to_string(),
                kind: "format",
                got: text.to_string(),
                valid: BenchmarkFormat::ALL
                    .iter()
                    .map(|format| format.id().to_string())
                    .collect(),
            })
    }

    /// Whether files of this format are CSV text (else JSON or JSON lines).
    pub fn is_csv(self) -> bool {
        matches!(
            self,
            BenchmarkFormat::GuidellmCsv | BenchmarkFormat::AiperfCsv | BenchmarkFormat::Csv
        )
    }
}

impl Serialize for BenchmarkFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}
