//! What the user knows, in the JSON shape of the contract (ARCHITECTURE.md, "The contract"):
//! the use case, the model, the fleet, the workload and its load, the latency targets,
//! measurements; and the deployment `Config` to evaluate. Resolution (`resolve`, `config`)
//! turns them into checked, typed values or an error naming the field and the value. Nothing
//! here simulates or fits: applying measurements is `crate::calibrate::prepare`'s job.
//!
//! - `limits`: the bounds every number is checked against;
//! - `one_of`: the decoders of inputs that take several JSON shapes;
//! - `resolve`: the scenario, checked, with the catalog's entries and presets applied;
//! - `config`: a deployment, checked against the scenario, with the engine's defaults.

mod config;
pub mod limits;
mod one_of;
mod resolve;

pub use resolve::{CalibrationSource, ResolvedScenario};

use crate::catalog::{CustomModel, GpuSpec};
use crate::error::{Error, Result};
use crate::measure::MeasuredRun;
use crate::perf::Calibration;
use serde::{Deserialize, Serialize};

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
    /// The serving engine, when it is decided: `advise` then deploys only it (it compares the
    /// engines otherwise), and a config without one runs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<f64>,
    /// Measured runs of one deployment of this model and GPU: the cost model is refitted to
    /// them (see `crate::calibrate`).
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

/// Request lengths in tokens: a mean (`1000`), or a mean and a coefficient of variation
/// (`{ "mean": 1000, "cv": 0.5 }`) of a lognormal around it. Where the spread is not given it
/// is the use case's preset's, or 0 (every request that long) without a preset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Lengths {
    Mean(f64),
    Distribution(LengthsInput),
}

/// `{ "mean": tokens, "cv": spread }`, the spread optional.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LengthsInput {
    pub mean: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How bursty an open loop's arrivals are, as vLLM's `bench serve --burstiness`: the shape
    /// of gamma-distributed gaps, 1 for Poisson, below 1 burstier, above 1 smoother.
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

/// A deployment to evaluate. Every field may be left out; `Config::resolve` documents the
/// defaults.
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
    /// `auto` (the engine's default), `bf16` or `fp8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_cache_dtype: Option<String>,
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
