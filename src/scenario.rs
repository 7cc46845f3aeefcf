//! What the user knows, in the JSON shape of the contract (DESIGN §2): the use case, the model,
//! the fleet, the workload and its load, the latency targets; and the deployment `Config` to
//! evaluate. `resolve` turns both into checked, typed values or an error naming the field and
//! the value. Nothing here estimates performance.

use crate::catalog::{self, CustomModel, GpuSpec, ModelSpec, Precision};
use crate::error::{check, Error, Result};
use crate::measure::MeasuredRun;
use crate::perf::Calibration;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};

// ---- limits on user input (each appears in the error when hit) ----

/// Largest fleet, GPUs.
pub const MAX_GPU_COUNT: u32 = 4096;
/// Longest prompt, tokens (1 M: the longest context windows of current models).
pub const MAX_PROMPT_TOKENS: f64 = 1_048_576.0;
/// Longest output, tokens.
pub const MAX_OUTPUT_TOKENS: f64 = 131_072.0;
/// Largest coefficient of variation of a length or of inter-arrival times.
pub const MAX_CV: f64 = 10.0;
/// Highest request rate, requests per second.
pub const MAX_REQUESTS_PER_SECOND: f64 = 1_000_000.0;
/// Lowest request rate, requests per second (one request every 11.6 days).
pub const MIN_REQUESTS_PER_SECOND: f64 = 1e-6;
/// Most concurrent users of a closed loop.
pub const MAX_CONCURRENCY: u32 = 100_000;
/// Most requests of an offline batch.
pub const MAX_OFFLINE_REQUESTS: u32 = 100_000;
/// Longest latency target, ms (a day).
pub const MAX_TARGET_MS: f64 = 86_400_000.0;
/// Highest GPU price, per GPU-hour.
pub const MAX_PRICE_PER_GPU_HOUR: f64 = 10_000.0;
/// Largest seed: the largest integer a JavaScript number holds exactly.
pub const MAX_SEED: f64 = 9_007_199_254_740_991.0;
/// Largest `maxBatch` (running sequences per replica).
pub const MAX_BATCH: u32 = 65_536;
/// Largest `maxBatchedTokens` (tokens per engine iteration).
pub const MAX_BATCHED_TOKENS: u32 = 1_048_576;

/// The precisions considered when a scenario does not list any: the 16-bit and 8-bit float
/// formats, which serve a model at its published quality (FP8 checkpoints are evaluated
/// near-lossless by their publishers). int8, int4 and fp4 trade quality for speed, so they are
/// considered only when listed.
pub const DEFAULT_PRECISIONS: [Precision; 2] = [Precision::Bf16, Precision::Fp8];

/// Requests an offline batch holds when `requests` is left out.
pub const DEFAULT_OFFLINE_REQUESTS: u32 = 2000;
/// Default token budget per iteration: vLLM's `--max-num-batched-tokens` with chunked prefill,
/// SGLang's `--chunked-prefill-size` on datacenter GPUs, TensorRT-LLM's `max_num_tokens`.
pub const DEFAULT_MAX_BATCHED_TOKENS: u32 = 8192;
/// The percentile an SLO refers to when it does not say.
pub const DEFAULT_PERCENTILE: f64 = 95.0;

// ---- the input, as JSON gives it ----

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_case: Option<String>,
    pub model: ModelRef,
    pub fleet: Fleet,
    pub workload: Workload,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<Slos>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precisions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<f64>,
    /// Measured runs of one deployment of this model and GPU: the cost model is refitted to
    /// them (see `measure::calibrate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<MeasuredInput>,
    /// Calibration factors to use instead of the built-in ones (for example from `calibrate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

/// Measurements carried by a scenario: the runs (as `importBenchmark` returns them) and the
/// deployment they were measured on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeasuredInput {
    #[serde(default)]
    pub config: Config,
    pub runs: Vec<MeasuredRun>,
}

/// A catalog id or a custom model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ModelRef {
    Id(String),
    Custom(CustomModel),
}

/// A catalog id or a custom GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum GpuRef {
    Id(String),
    Custom(GpuSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fleet {
    pub gpu: GpuRef,
    pub count: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_gpu_hour: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Defaults to the use case's preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<Lengths>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<Lengths>,
    pub load: Load,
}

/// A token count: fixed (`1000`) or lognormal with a mean and coefficient of variation
/// (`{ "mean": 1000, "cv": 0.5 }`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Lengths {
    Fixed(f64),
    Distribution(LengthDistribution),
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LengthDistribution {
    pub mean: f64,
    #[serde(default)]
    pub cv: f64,
}

/// The offered load: exactly one of `requestsPerSecond`, `requestsPerHour` (open loop, with an
/// optional `burstiness`), `concurrency` (closed loop) or `offline`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Load {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_hour: Option<f64>,
    /// Coefficient of variation of inter-arrival times: 1 is Poisson, 0 perfectly regular,
    /// above 1 bursty (gamma-distributed gaps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burstiness: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Slo {
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    pub target_ms: f64,
}

/// One SLO or several.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Slos {
    One(Slo),
    Many(Vec<Slo>),
}

/// A deployment to evaluate. Every field may be left out; `resolve` documents the defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor_parallel: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batched_tokens: Option<f64>,
}

// Inputs that take several shapes get hand-written decoders so a wrong type says what was
// expected ("a string or map") instead of serde's "did not match any variant".

/// The decoder of an input that takes one of several JSON shapes (a string, a number, an
/// object, a list): each shape it accepts maps to a variant; any other says what was expected.
struct OneOf<T, M, S> {
    expecting: &'static str,
    string: Option<fn(&str) -> T>,
    number: Option<fn(f64) -> T>,
    map: Option<fn(M) -> T>,
    seq: Option<fn(Vec<S>) -> T>,
}

impl<'de, T, M: Deserialize<'de>, S: Deserialize<'de>> Visitor<'de> for OneOf<T, M, S> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        self.string
            .map(|f| f(text))
            .ok_or_else(|| E::invalid_type(Unexpected::Str(text), &self))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<T, E> {
        self.number
            .map(|f| f(number))
            .ok_or_else(|| E::invalid_type(Unexpected::Float(number), &self))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<T, E> {
        self.number
            .map(|f| f(number as f64))
            .ok_or_else(|| E::invalid_type(Unexpected::Signed(number), &self))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<T, E> {
        self.number
            .map(|f| f(number as f64))
            .ok_or_else(|| E::invalid_type(Unexpected::Unsigned(number), &self))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        match self.map {
            Some(f) => M::deserialize(de::value::MapAccessDeserializer::new(map)).map(f),
            None => Err(de::Error::invalid_type(Unexpected::Map, &self)),
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        match self.seq {
            Some(f) => Vec::<S>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(f),
            None => Err(de::Error::invalid_type(Unexpected::Seq, &self)),
        }
    }
}

impl<'de> Deserialize<'de> for ModelRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, CustomModel, ()> {
            expecting: "a model id such as \"Llama-3.1-70B\" or a model object such as { \"paramsB\": 128 }",
            string: Some(|id| ModelRef::Id(id.to_string())),
            number: None,
            map: Some(ModelRef::Custom),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for GpuRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, GpuSpec, ()> {
            expecting: "a GPU id such as \"H100-SXM\" or a GPU object such as { \"memoryGb\": 80, ... }",
            string: Some(|id| GpuRef::Id(id.to_string())),
            number: None,
            map: Some(GpuRef::Custom),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for Lengths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, LengthDistribution, ()> {
            expecting: "a token count or { \"mean\": tokens, \"cv\": variation }",
            string: None,
            number: Some(Lengths::Fixed),
            map: Some(Lengths::Distribution),
            seq: None,
        })
    }
}

impl<'de> Deserialize<'de> for Slos {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OneOf::<_, Slo, Slo> {
            expecting: "an SLO { \"metric\": \"ttft\", \"percentile\": 95, \"targetMs\": 500 } or a list of them",
            string: None,
            number: None,
            map: Some(Slos::One),
            seq: Some(Slos::Many),
        })
    }
}

impl Scenario {
    /// Decodes a scenario from JSON text; a decoding error names the field.
    pub fn from_json(text: &str) -> Result<Scenario> {
        from_json(text, "")
    }
}

impl Config {
    /// Decodes a config from JSON text; a decoding error names the field (under `config.`).
    pub fn from_json(text: &str) -> Result<Config> {
        from_json(text, "config")
    }
}

/// Decodes any input type from JSON text, reporting the path where decoding failed.
pub fn from_json<T: for<'de> Deserialize<'de>>(text: &str, root: &str) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::from_path_error(e, root))?;
    deserializer.end().map_err(|e| Error::Malformed {
        field: root.to_string(),
        message: e.to_string(),
    })?;
    Ok(value)
}

// ---- the checked, typed form ----

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

    /// What a use case implies when the scenario leaves it out: request lengths (used when
    /// `workload.promptTokens` / `outputTokens` are omitted) and latency targets (used when
    /// `slo` is omitted). The README documents each preset and where it comes from.
    pub fn preset(self) -> Option<Preset> {
        let lengths = |mean: f64, cv: f64| LengthDistribution { mean, cv };
        Some(match self {
            // Conversational turns carrying history; the answer must start within half a second
            // and stream faster than reading speed (50 ms per token = 20 tokens/s).
            UseCase::Chat => Preset {
                prompt_tokens: lengths(1000.0, 0.5),
                output_tokens: lengths(250.0, 0.6),
                slos: &CHAT_SLOS,
            },
            // Editor completions: file context in, a line or two out, shown as a whole.
            UseCase::CodeCompletion => Preset {
                prompt_tokens: lengths(1500.0, 0.5),
                output_tokens: lengths(40.0, 0.5),
                slos: &CODE_COMPLETION_SLOS,
            },
            // Tool-using agents: long contexts (instructions, tool results), each step's whole
            // answer gates the next step.
            UseCase::Agent => Preset {
                prompt_tokens: lengths(4000.0, 0.5),
                output_tokens: lengths(400.0, 0.5),
                slos: &AGENT_SLOS,
            },
            // Retrieval-augmented answers: retrieved passages make long prompts; streamed answers.
            UseCase::Rag => Preset {
                prompt_tokens: lengths(3000.0, 0.3),
                output_tokens: lengths(300.0, 0.5),
                slos: &RAG_SLOS,
            },
            // Document summaries: long inputs, a loose bound on the whole answer.
            UseCase::Summarization => Preset {
                prompt_tokens: lengths(4000.0, 0.5),
                output_tokens: lengths(400.0, 0.4),
                slos: &SUMMARIZATION_SLOS,
            },
            // Offline jobs: only a generous completion bound.
            UseCase::Batch => Preset {
                prompt_tokens: lengths(1000.0, 0.8),
                output_tokens: lengths(500.0, 0.8),
                slos: &BATCH_SLOS,
            },
            UseCase::Custom => return None,
        })
    }

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
}

/// The serving engine, which decides how memory is split, how requests are admitted and the
/// default batch limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServingEngine {
    Vllm,
    Sglang,
    TensorrtLlm,
}

impl ServingEngine {
    pub const ALL: [ServingEngine; 3] = [ServingEngine::Vllm, ServingEngine::Sglang, ServingEngine::TensorrtLlm];

    pub fn id(self) -> &'static str {
        match self {
            ServingEngine::Vllm => "vllm",
            ServingEngine::Sglang => "sglang",
            ServingEngine::TensorrtLlm => "tensorrt-llm",
        }
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
}

/// A use case's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub prompt_tokens: LengthDistribution,
    pub output_tokens: LengthDistribution,
    pub slos: &'static [SloTarget],
}

const fn p95(metric: Metric, target_ms: f64) -> SloTarget {
    SloTarget {
        metric,
        percentile: DEFAULT_PERCENTILE,
        target_ms,
    }
}
const CHAT_SLOS: [SloTarget; 2] = [p95(Metric::Ttft, 500.0), p95(Metric::Tpot, 50.0)];
const CODE_COMPLETION_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 1000.0)];
const AGENT_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 15_000.0)];
const RAG_SLOS: [SloTarget; 2] = [p95(Metric::Ttft, 1000.0), p95(Metric::Tpot, 50.0)];
const SUMMARIZATION_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 60_000.0)];
const BATCH_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 600_000.0)];

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
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SloTarget {
    pub metric: Metric,
    pub percentile: f64,
    pub target_ms: f64,
}

/// The offered load, checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum LoadKind {
    /// Open loop: arrivals at a mean rate, inter-arrival CV `burstiness`.
    Open { requests_per_second: f64, burstiness: f64 },
    /// Closed loop: `concurrency` users, each sending the next request when one completes.
    Closed { concurrency: u32 },
    /// Everything queued at time zero.
    Offline { requests: u32 },
}

/// A scenario after validation: catalog entries resolved, defaults applied, every number checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub use_case: UseCase,
    pub model: ModelSpec,
    pub gpu: GpuSpec,
    pub gpu_count: u32,
    pub price_per_gpu_hour: Option<f64>,
    pub prompt_tokens: LengthDistribution,
    pub output_tokens: LengthDistribution,
    pub load: LoadKind,
    pub slos: Vec<SloTarget>,
    /// The precisions allowed and supported by the GPU, in the order given.
    pub precisions: Vec<Precision>,
    pub seed: u64,
    /// Factors given in the scenario or fitted to its measurements, with where they come from;
    /// `None` for the built-in ones.
    pub calibration: Option<(Calibration, String)>,
}

impl Resolved {
    /// The cost model's factors for this scenario: given, fitted to its measurements, or built in.
    pub fn calibration(&self) -> Calibration {
        self.calibration
            .as_ref()
            .map_or_else(|| Calibration::for_gpu(&self.gpu), |(calibration, _)| *calibration)
    }

    /// Where the factors come from, in words.
    pub fn calibration_source(&self) -> String {
        match &self.calibration {
            Some((_, source)) => source.clone(),
            None => match crate::perf::GpuFamily::of(&self.gpu.id) {
                Some(family) => format!(
                    "built in: fitted on published TensorRT-LLM measurements ({} family factors when the data covers it)",
                    family.id()
                ),
                None => "built in: fitted on published TensorRT-LLM measurements (pooled over GPU families)".to_string(),
            },
        }
    }
}

/// A deployment after validation, with every default filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub engine: ServingEngine,
    pub tensor_parallel: u32,
    pub replicas: u32,
    pub precision: Precision,
    pub max_batch: u32,
    pub max_batched_tokens: u32,
}

impl Deployment {
    pub fn gpus(&self) -> u32 {
        self.tensor_parallel * self.replicas
    }
}

impl Scenario {
    /// Checks every field, resolves catalog ids and applies defaults.
    pub fn resolve(&self) -> Result<Resolved> {
        let use_case = match &self.use_case {
            None => UseCase::Custom,
            Some(text) => UseCase::ALL
                .into_iter()
                .find(|u| u.id().eq_ignore_ascii_case(text.trim()))
                .ok_or_else(|| Error::UnknownId {
                    field: "useCase".into(),
                    kind: "use case",
                    got: text.clone(),
                    valid: UseCase::ALL.iter().map(|u| u.id().to_string()).collect(),
                })?,
        };
        let model = match &self.model {
            ModelRef::Id(id) => catalog::find_model("model", id)?.clone(),
            ModelRef::Custom(custom) => custom.resolve("model")?,
        };
        let gpu = match &self.fleet.gpu {
            GpuRef::Id(id) => catalog::find_gpu("fleet.gpu", id)?.clone(),
            GpuRef::Custom(custom) => {
                custom.validate("fleet.gpu")?;
                custom.clone()
            }
        };
        let gpu_count = check::positive_integer("fleet.count", self.fleet.count, MAX_GPU_COUNT)?;
        let price_per_gpu_hour = self
            .fleet
            .price_per_gpu_hour
            .map(|price| check::non_negative("fleet.pricePerGpuHour", price, MAX_PRICE_PER_GPU_HOUR))
            .transpose()?;
        let preset = use_case.preset();
        let lengths =
            |given: &Option<Lengths>, field: &str, max_tokens: f64, preset: Option<LengthDistribution>| {
                match (
            given, preset,
        ) {
            (Some(lengths), _) => lengths.resolve(field, max_tokens),
            (None, Some(preset)) => Ok(preset),
            (None, None) => Err(Error::invalid(
                field,
                "given (or set useCase to one with a preset: chat, code-completion, agent, rag, summarization, batch)",
                "nothing",
            )),
        }
            };
        let prompt_tokens = lengths(
            &self.workload.prompt_tokens,
            "workload.promptTokens",
            MAX_PROMPT_TOKENS,
            preset.map(|p| p.prompt_tokens),
        )?;
        let output_tokens = lengths(
            &self.workload.output_tokens,
            "workload.outputTokens",
            MAX_OUTPUT_TOKENS,
            preset.map(|p| p.output_tokens),
        )?;
        let load = self.workload.load.resolve("workload.load")?;
        let mut slos = match &self.slo {
            None => preset.map_or_else(Vec::new, |p| p.slos.to_vec()),
            Some(Slos::One(slo)) => vec![slo.resolve("slo")?],
            Some(Slos::Many(slos)) => slos
                .iter()
                .enumerate()
                .map(|(index, slo)| slo.resolve(&format!("slo[{index}]")))
                .collect::<Result<_>>()?,
        };
        // One-token outputs have no gap between tokens: a TPOT or ITL target means nothing.
        if output_tokens.cv == 0.0 && output_tokens.mean < 1.5 {
            let gapless = |slo: &SloTarget| matches!(slo.metric, Metric::Tpot | Metric::Itl);
            match &self.slo {
                None => slos.retain(|slo| !gapless(slo)),
                Some(given) => {
                    if let Some(index) = slos.iter().position(gapless) {
                        let field = match given {
                            Slos::One(_) => "slo.metric".to_string(),
                            Slos::Many(_) => format!("slo[{index}].metric"),
                        };
                        return Err(Error::invalid(
                            field,
                            "ttft or e2e when every output is a single token (there is no gap between tokens)",
                            slos[index].metric.id(),
                        ));
                    }
                }
            }
        }
        let precisions = match &self.precisions {
            None => DEFAULT_PRECISIONS.into_iter().filter(|&p| gpu.supports(p)).collect(),
            Some(ids) => resolve_precisions(ids, &gpu)?,
        };
        let seed = match self.seed {
            None => 1,
            Some(seed) if seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0 && seed <= MAX_SEED => seed as u64,
            Some(seed) => return Err(Error::invalid("seed", format!("an integer from 0 to {MAX_SEED}"), seed)),
        };
        let mut resolved = Resolved {
            use_case,
            model,
            gpu,
            gpu_count,
            price_per_gpu_hour,
            prompt_tokens,
            output_tokens,
            load,
            slos,
            precisions,
            seed,
            calibration: None,
        };
        if let Some(calibration) = &self.calibration {
            resolved.calibration = Some((check_calibration(calibration)?, "given in the scenario".to_string()));
        } else if let Some(measured) = &self.measured {
            let deployment = measured.config.resolve(&resolved, |degrees, template| {
                crate::predict::default_tensor_parallel(&resolved, degrees, template)
            })?;
            let report = crate::measure::calibrate::calibrate_cached(&resolved, &deployment, &measured.runs)?;
            resolved.calibration = Some((
                report.calibration,
                format!(
                    "fitted to {} measured observations: median error {:.1}% (built-in factors: {:.1}%)",
                    report.observations.len(),
                    report.median_abs_error_pct,
                    report.built_in_median_abs_error_pct
                ),
            ));
        }
        Ok(resolved)
    }
}

/// Calibration factors given in a scenario: efficiencies in (0, 1], costs within bounds.
fn check_calibration(calibration: &Calibration) -> Result<Calibration> {
    let fraction = |field: &str, value: f64| {
        if value.is_finite() && value > 0.0 && value <= 1.0 {
            Ok(value)
        } else {
            Err(Error::invalid(
                format!("calibration.{field}"),
                "a fraction in (0, 1]",
                value,
            ))
        }
    };
    Ok(Calibration {
        memory_efficiency: fraction("memoryEfficiency", calibration.memory_efficiency)?,
        compute_efficiency: fraction("computeEfficiency", calibration.compute_efficiency)?,
        interconnect_efficiency: fraction("interconnectEfficiency", calibration.interconnect_efficiency)?,
        allreduce_latency_us: check::non_negative(
            "calibration.allreduceLatencyUs",
            calibration.allreduce_latency_us,
            100_000.0,
        )?,
        step_overhead_ms: check::non_negative("calibration.stepOverheadMs", calibration.step_overhead_ms, 10_000.0)?,
    })
}

fn resolve_precisions(ids: &[String], gpu: &GpuSpec) -> Result<Vec<Precision>> {
    if ids.is_empty() {
        return Err(Error::invalid("precisions", "a non-empty list", "[]"));
    }
    let mut precisions = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let precision = Precision::parse(&format!("precisions[{index}]"), id)?;
        if gpu.supports(precision) && !precisions.contains(&precision) {
            precisions.push(precision);
        }
    }
    if precisions.is_empty() {
        let supported: Vec<&str> = gpu.supported_precisions().iter().map(|p| p.id()).collect();
        return Err(Error::invalid(
            "precisions",
            format!(
                "a list with at least one precision {} supports ({})",
                gpu.id,
                supported.join(", ")
            ),
            format!("[{}]", ids.join(", ")),
        ));
    }
    Ok(precisions)
}

impl Lengths {
    fn resolve(&self, field: &str, max_tokens: f64) -> Result<LengthDistribution> {
        match *self {
            Lengths::Fixed(tokens) => Ok(LengthDistribution {
                mean: check::positive(field, tokens, max_tokens)?,
                cv: 0.0,
            }),
            Lengths::Distribution(LengthDistribution { mean, cv }) => Ok(LengthDistribution {
                mean: check::positive(&format!("{field}.mean"), mean, max_tokens)?,
                cv: check::non_negative(&format!("{field}.cv"), cv, MAX_CV)?,
            }),
        }
    }
}

impl Load {
    fn resolve(&self, field: &str) -> Result<LoadKind> {
        let given: Vec<&str> = [
            ("requestsPerSecond", self.requests_per_second.is_some()),
            ("requestsPerHour", self.requests_per_hour.is_some()),
            ("concurrency", self.concurrency.is_some()),
            ("offline", self.offline.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
        if given.len() != 1 {
            return Err(Error::invalid(
                field,
                "exactly one of requestsPerSecond, requestsPerHour, concurrency or offline",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(" and ")
                },
            ));
        }
        let path = |name: &str| format!("{field}.{name}");
        let open_loop = self.requests_per_second.is_some() || self.requests_per_hour.is_some();
        if !open_loop {
            if let Some(burstiness) = self.burstiness {
                return Err(Error::invalid(
                    path("burstiness"),
                    "left out unless the load is a request rate",
                    burstiness,
                ));
            }
        }
        if self.offline.is_none() {
            if let Some(requests) = self.requests {
                return Err(Error::invalid(
                    path("requests"),
                    "left out unless the load is offline",
                    requests,
                ));
            }
        }
        let burstiness = || check::non_negative(&path("burstiness"), self.burstiness.unwrap_or(1.0), MAX_CV);
        if let Some(rate) = self.requests_per_second {
            return Ok(LoadKind::Open {
                requests_per_second: check::within(
                    &path("requestsPerSecond"),
                    rate,
                    MIN_REQUESTS_PER_SECOND,
                    MAX_REQUESTS_PER_SECOND,
                )?,
                burstiness: burstiness()?,
            });
        }
        if let Some(rate) = self.requests_per_hour {
            let per_hour = check::within(
                &path("requestsPerHour"),
                rate,
                MIN_REQUESTS_PER_SECOND * 3600.0,
                MAX_REQUESTS_PER_SECOND * 3600.0,
            )?;
            return Ok(LoadKind::Open {
                requests_per_second: per_hour / 3600.0,
                burstiness: burstiness()?,
            });
        }
        if let Some(users) = self.concurrency {
            return Ok(LoadKind::Closed {
                concurrency: check::positive_integer(&path("concurrency"), users, MAX_CONCURRENCY)?,
            });
        }
        if self.offline != Some(true) {
            return Err(Error::invalid(
                path("offline"),
                "true (leave it out for an online load)",
                "false",
            ));
        }
        let requests = match self.requests {
            None => DEFAULT_OFFLINE_REQUESTS,
            Some(requests) => check::positive_integer(&path("requests"), requests, MAX_OFFLINE_REQUESTS)?,
        };
        Ok(LoadKind::Offline { requests })
    }
}

impl Slo {
    fn resolve(&self, field: &str) -> Result<SloTarget> {
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.id().eq_ignore_ascii_case(self.metric.trim()))
            .ok_or_else(|| Error::UnknownId {
                field: format!("{field}.metric"),
                kind: "metric",
                got: self.metric.clone(),
                valid: Metric::ALL.iter().map(|m| m.id().to_string()).collect(),
            })?;
        let percentile = self.percentile.unwrap_or(DEFAULT_PERCENTILE);
        if !(percentile.is_finite() && percentile > 0.0 && percentile < 100.0) {
            return Err(Error::invalid(
                format!("{field}.percentile"),
                "between 0 and 100 (exclusive)",
                percentile,
            ));
        }
        Ok(SloTarget {
            metric,
            percentile,
            target_ms: check::positive(&format!("{field}.targetMs"), self.target_ms, MAX_TARGET_MS)?,
        })
    }
}

impl Config {
    /// Checks the config against the scenario and fills in defaults:
    /// - `precision`: the first of the scenario's allowed precisions the GPU supports;
    /// - `tensorParallel`: chosen by `pick_tensor_parallel` among the valid degrees (divisors of
    ///   both the GPU count and the model's attention heads), given the rest of the deployment;
    /// - `replicas`: as many as the fleet holds at that degree;
    /// - `engine`: vLLM;
    /// - `maxBatch`: the engine's default (256 for vLLM and SGLang, 2048 for TensorRT-LLM), and
    ///   `maxBatchedTokens` 8192.
    pub fn resolve(
        &self,
        scenario: &Resolved,
        pick_tensor_parallel: impl FnOnce(&[u32], &Deployment) -> u32,
    ) -> Result<Deployment> {
        let precision = match &self.precision {
            None => scenario.precisions[0],
            Some(id) => {
                let precision = Precision::parse("config.precision", id)?;
                if !scenario.gpu.supports(precision) {
                    let supported: Vec<&str> = scenario.gpu.supported_precisions().iter().map(|p| p.id()).collect();
                    return Err(Error::invalid(
                        "config.precision",
                        format!("a precision {} supports ({})", scenario.gpu.id, supported.join(", ")),
                        id,
                    ));
                }
                precision
            }
        };
        let engine = match &self.engine {
            None => ServingEngine::Vllm,
            Some(id) => ServingEngine::ALL
                .into_iter()
                .find(|e| e.id().eq_ignore_ascii_case(id.trim()))
                .ok_or_else(|| Error::UnknownId {
                    field: "config.engine".into(),
                    kind: "engine",
                    got: id.clone(),
                    valid: ServingEngine::ALL.iter().map(|e| e.id().to_string()).collect(),
                })?,
        };
        let max_batch = match self.max_batch {
            None => engine.default_max_batch(),
            Some(n) => check::positive_integer("config.maxBatch", n, MAX_BATCH)?,
        };
        let max_batched_tokens = match self.max_batched_tokens {
            None => DEFAULT_MAX_BATCHED_TOKENS,
            Some(n) => check::positive_integer("config.maxBatchedTokens", n, MAX_BATCHED_TOKENS)?,
        };
        if max_batched_tokens < max_batch {
            // Every running sequence decodes a token per iteration, inside the budget (vLLM
            // refuses this configuration too).
            return Err(Error::invalid(
                "config.maxBatchedTokens",
                format!("at least maxBatch ({max_batch})"),
                max_batched_tokens,
            ));
        }
        let heads = scenario.model.heads;
        let count = scenario.gpu_count;
        let tensor_parallel = match self.tensor_parallel {
            Some(tp) => {
                let tp = check::positive_integer("config.tensorParallel", tp, count)?;
                if count % tp != 0 {
                    return Err(Error::invalid(
                        "config.tensorParallel",
                        format!("a divisor of fleet.count ({count})"),
                        tp,
                    ));
                }
                if heads % tp != 0 {
                    return Err(Error::invalid(
                        "config.tensorParallel",
                        format!("a divisor of the {heads} attention heads of {}", scenario.model.id),
                        tp,
                    ));
                }
                tp
            }
            None => {
                let valid_degrees: Vec<u32> = (1..=count).filter(|tp| count % tp == 0 && heads % tp == 0).collect();
                let template = Deployment {
                    engine,
                    tensor_parallel: 1,
                    replicas: 1,
                    precision,
                    max_batch,
                    max_batched_tokens,
                };
                pick_tensor_parallel(&valid_degrees, &template)
            }
        };
        let replicas = match self.replicas {
            Some(replicas) => {
                let most = count / tensor_parallel;
                check::positive_integer("config.replicas", replicas, most).map_err(|_| {
                    Error::invalid(
                        "config.replicas",
                        format!(
                            "a positive integer with tensorParallel x replicas <= fleet.count (at most {most} at tensorParallel {tensor_parallel})"
                        ),
                        replicas,
                    )
                })?
            }
            None => count / tensor_parallel,
        };
        Ok(Deployment {
            engine,
            tensor_parallel,
            replicas,
            precision,
            max_batch,
            max_batched_tokens,
        })
    }
}
