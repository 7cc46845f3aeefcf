//! What a benchmark measured, in one shape whatever tool wrote it (ARCHITECTURE.md, "The
//! contract", `MeasuredRun`):
//! one point per load level, latencies in milliseconds, throughputs per second.

use crate::domain::BenchmarkFormat;
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

    /// The statistics a tool reports under the keys `avg`, `p50`, `p90`, `p95`, `p99`, each
    /// already scaled to ms by `value`.
    pub fn from_keys(value: impl Fn(&str) -> Option<f64>) -> MeasuredStats {
        MeasuredStats {
            mean: value("avg"),
            p50: value("p50"),
            p90: value("p90"),
            p95: value("p95"),
            p99: value("p99"),
            intervals: None,
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
    /// Poisson arrivals, 0 for a constant rate (vLLM's `--burstiness` b gives 1 / sqrt(b)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_cv: Option<f64>,
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

impl MeasuredPoint {
    /// A load level computed from per-request samples: statistics with their intervals, and
    /// throughput over `span_s` seconds (from the first request's start to the last one's end)
    /// when the file gives the times. `gaps_ms` are every inter-token gap, when known.
    pub fn from_samples(samples: MeasuredSamples, gaps_ms: &[f64], failed: u64, span_s: Option<f64>) -> MeasuredPoint {
        let completed = samples.ttft_ms.len().max(samples.e2e_ms.len()) as u64;
        let span_s = span_s.filter(|s| *s > 0.0 && s.is_finite());
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let output_total: f64 = samples.output_tokens.iter().sum();
        MeasuredPoint {
            offered: OfferedLoad::default(),
            requests_per_second: span_s.map(|s| completed as f64 / s),
            output_tokens_per_second: span_s.filter(|_| output_total > 0.0).map(|s| output_total / s),
            completed,
            failed,
            prompt_tokens_mean: mean(&samples.prompt_tokens),
            output_tokens_mean: mean(&samples.output_tokens),
            ttft_ms: MeasuredStats::of_samples(&samples.ttft_ms),
            tpot_ms: MeasuredStats::of_samples(&samples.tpot_ms),
            itl_ms: MeasuredStats::of_samples(gaps_ms),
            e2e_ms: MeasuredStats::of_samples(&samples.e2e_ms),
            duration_s: span_s,
            samples: Some(samples),
        }
    }
}

/// What an importer read: the layouts each benchmark format comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileLayout {
    VllmBenchServe,
    GuidellmJson,
    GuidellmCsv,
    AiperfJson,
    AiperfCsv,
    AiperfRecordsJsonl,
    LlmperfSummaryJson,
    CsvPerLevel,
    CsvPerRequest,
}

impl FileLayout {
    pub const ALL: [FileLayout; 9] = [
        FileLayout::VllmBenchServe,
        FileLayout::GuidellmJson,
        FileLayout::GuidellmCsv,
        FileLayout::AiperfJson,
        FileLayout::AiperfCsv,
        FileLayout::AiperfRecordsJsonl,
        FileLayout::LlmperfSummaryJson,
        FileLayout::CsvPerLevel,
        FileLayout::CsvPerRequest,
    ];

    pub fn id(self) -> &'static str {
        match self {
            FileLayout::VllmBenchServe => "vllm-bench-serve",
            FileLayout::GuidellmJson => "guidellm-json",
            FileLayout::GuidellmCsv => "guidellm-csv",
            FileLayout::AiperfJson => "aiperf-json",
            FileLayout::AiperfCsv => "aiperf-csv",
            FileLayout::AiperfRecordsJsonl => "aiperf-records-jsonl",
            FileLayout::LlmperfSummaryJson => "llmperf-summary-json",
            FileLayout::CsvPerLevel => "csv-per-level",
            FileLayout::CsvPerRequest => "csv-per-request",
        }
    }

    /// The `format` option that reads this layout.
    pub fn format(self) -> BenchmarkFormat {
        match self {
            FileLayout::VllmBenchServe => BenchmarkFormat::Vllm,
            FileLayout::GuidellmJson => BenchmarkFormat::Guidellm,
            FileLayout::GuidellmCsv => BenchmarkFormat::GuidellmCsv,
            FileLayout::AiperfJson => BenchmarkFormat::Aiperf,
            FileLayout::AiperfCsv => BenchmarkFormat::AiperfCsv,
            FileLayout::AiperfRecordsJsonl => BenchmarkFormat::AiperfJsonl,
            FileLayout::LlmperfSummaryJson => BenchmarkFormat::Llmperf,
            FileLayout::CsvPerLevel | FileLayout::CsvPerRequest => BenchmarkFormat::Csv,
        }
    }
}

/// A benchmark run: one or more load levels, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeasuredRun {
    /// The tool that wrote the file ("vllm", "guidellm", "aiperf", "genai-perf", "llmperf", "csv").
    pub tool: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_version: Option<String>,
    /// The layout read: the id of a [`FileLayout`] (a string, so that runs written by other
    /// versions still load).
    pub format: String,
    /// The served model's name as the file gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub points: Vec<MeasuredPoint>,
    /// What was converted or assumed while reading: units, which token count, missing fields.
    pub notes: Vec<String>,
}
