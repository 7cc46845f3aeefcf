//! What a benchmark measured, in one shape whatever tool wrote it (DESIGN §2 `MeasuredRun`):
//! one point per load level, latencies in milliseconds, throughputs per second.

use crate::stats::{percentile_interval, percentile_of_sorted, PercentileInterval};
use serde::{Deserialize, Serialize};

/// Mean and percentiles of one latency, ms, as far as the file gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasuredStats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99: Option<f64>,
    /// 95% distribution-free confidence intervals of the percentiles, when the file has the
    /// per-request samples.
    #[serde(skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub intervals: Option<PercentileIntervals>,
}

/// 95% confidence intervals of p50/p90/p95/p99 from order statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PercentileIntervals {
    pub p50: PercentileInterval,
    pub p90: PercentileInterval,
    pub p95: PercentileInterval,
    pub p99: PercentileInterval,
}

impl MeasuredStats {
    pub fn is_empty(&self) -> bool {
        self.mean.is_none() && self.p50.is_none() && self.p90.is_none() && self.p95.is_none() && self.p99.is_none()
    }

    /// The statistics of per-request samples (ms): percentiles by linear interpolation (as the
    /// tools compute them), with their confidence intervals.
    pub fn of_samples(samples: &[f64]) -> MeasuredStats {
        let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        if sorted.is_empty() {
            return MeasuredStats::default();
        }
        sorted.sort_unstable_by(f64::total_cmp);
        let at = |p: f64| Some(percentile_of_sorted(&sorted, p));
        MeasuredStats {
            mean: Some(sorted.iter().sum::<f64>() / sorted.len() as f64),
            p50: at(50.0),
            p90: at(90.0),
            p95: at(95.0),
            p99: at(99.0),
            intervals: Some(PercentileIntervals {
                p50: percentile_interval(&sorted, 50.0),
                p90: percentile_interval(&sorted, 90.0),
                p95: percentile_interval(&sorted, 95.0),
                p99: percentile_interval(&sorted, 99.0),
            }),
        }
    }

    /// The value at `percentile` when the file gives it.
    pub fn at(&self, percentile: f64) -> Option<f64> {
        [(50.0, self.p50), (90.0, self.p90), (95.0, self.p95), (99.0, self.p99)]
            .into_iter()
            .find(|(p, _)| *p == percentile)
            .and_then(|(_, value)| value)
    }
}

/// The load the benchmark offered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OfferedLoad {
    /// Requests per second (`null` with `concurrency` for a closed loop, both `null` for
    /// an unthrottled run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<f64>,
    /// Coefficient of variation of the gaps between arrivals, when the file says: 1 for
    /// Poisson arrivals, 0 for a constant rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burstiness: Option<f64>,
}

/// Per-request samples, ms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasuredSamples {
    pub ttft_ms: Vec<f64>,
    pub tpot_ms: Vec<f64>,
    pub e2e_ms: Vec<f64>,
    /// Prompt and output token counts per request, when given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prompt_tokens: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_tokens: Vec<f64>,
}

/// One load level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasuredPoint {
    pub offered: OfferedLoad,
    pub requests_per_second: Option<f64>,
    pub output_tokens_per_second: Option<f64>,
    pub completed: u64,
    pub failed: u64,
    pub prompt_tokens_mean: Option<f64>,
    pub output_tokens_mean: Option<f64>,
    pub ttft_ms: MeasuredStats,
    pub tpot_ms: MeasuredStats,
    pub itl_ms: MeasuredStats,
    pub e2e_ms: MeasuredStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<MeasuredSamples>,
}

/// A benchmark run: one or more load levels, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasuredRun {
    /// The tool that wrote the file ("vllm", "guidellm", "aiperf", "genai-perf", "llmperf", "csv").
    pub tool: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// The format read (see `Format`).
    pub format: String,
    /// The served model's name as the file gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub points: Vec<MeasuredPoint>,
    /// What was converted or assumed while reading: units, which token count, missing fields.
    pub notes: Vec<String>,
}
