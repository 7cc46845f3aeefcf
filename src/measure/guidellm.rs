//! GuideLLM reports: `benchmarks.json` (several benchmarks per file, each with
//! `metrics.<name>.successful` distributions: mean, median, percentiles p001..p999) and its CSV
//! export (three header rows: group / name / unit; each distribution as Mean, Median, Std Dev
//! and a list `[min, p001, p01, p05, p10, p25, p75, p90, p95, p99, max]`). Field names from
//! guidellm/benchmark/schemas and outputs/csv.py (0.8).

use super::json::{number, number_at, object_at, text, Object};
use super::run::{FileLayout, MeasuredPoint, MeasuredRun, MeasuredStats, OfferedLoad};
use super::{ImportError, MAX_POINTS};
use serde_json::Value;

pub fn detect(object: &Object) -> bool {
    matches!(object.get("benchmarks"), Some(Value::Array(b)) if b.iter().any(|b| b.get("metrics").is_some()))
}

/// A GuideLLM distribution (`metrics.<name>.successful`) scaled to ms by `to_ms`.
fn distribution(metrics: &Object, name: &str, to_ms: f64) -> MeasuredStats {
    let Some(summary) = object_at(metrics, &[name, "successful"]) else {
        return MeasuredStats::default();
    };
    let percentile = |key: &str| number_at(summary, &["percentiles", key]).map(|v| v * to_ms);
    MeasuredStats {
        mean: number(summary, "mean").map(|v| v * to_ms),
        p50: percentile("p50").or_else(|| number(summary, "median").map(|v| v * to_ms)),
        p90: percentile("p90"),
        p95: percentile("p95"),
        p99: percentile("p99"),
        intervals: None,
    }
}

/// The offered load of a GuideLLM strategy (`config.strategy`).
fn offered(strategy: Option<&Object>) -> OfferedLoad {
    let Some(strategy) = strategy else {
        return OfferedLoad::default();
    };
    match text(strategy, "type_").as_deref() {
        Some("synchronous") => OfferedLoad {
            concurrency: Some(1.0),
            ..OfferedLoad::default()
        },
        Some("concurrent") => OfferedLoad {
            concurrency: number(strategy, "streams").or_else(|| number(strategy, "max_concurrency")),
            ..OfferedLoad::default()
        },
        Some("throughput") => OfferedLoad::default(),
        // constant: evenly spaced arrivals; poisson: exponential gaps.
        kind => OfferedLoad {
            requests_per_second: number(strategy, "rate"),
            concurrency: None,
            arrival_cv: match kind {
                Some("constant") => Some(0.0),
                Some("poisson") => Some(1.0),
                _ => None,
            },
        },
    }
}

pub fn import(object: &Object) -> Result<MeasuredRun, ImportError> {
    let benchmarks = object
        .get("benchmarks")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::field("benchmarks", "an array of benchmarks"))?;
    if benchmarks.len() > MAX_POINTS {
        return Err(ImportError::field(
            "benchmarks",
            &format!(
                "at most {MAX_POINTS} benchmarks (load levels), not {}",
                benchmarks.len()
            ),
        ));
    }
    let mut points = Vec::new();
    for (index, benchmark) in benchmarks.iter().enumerate() {
        let benchmark = benchmark
            .as_object()
            .ok_or_else(|| ImportError::field(&format!("benchmarks[{index}]"), "an object"))?;
        let metrics = object_at(benchmark, &["metrics"])
            .ok_or_else(|| ImportError::field(&format!("benchmarks[{index}].metrics"), "an object of metrics"))?;
        let totals = object_at(metrics, &["request_totals"]);
        let count = |status: &str| totals.and_then(|t| number(t, status)).unwrap_or(0.0) as u64;
        points.push(MeasuredPoint {
            offered: offered(object_at(benchmark, &["config", "strategy"])),
            requests_per_second: number_at(metrics, &["requests_per_second", "successful", "mean"]),
            output_tokens_per_second: number_at(metrics, &["output_tokens_per_second", "successful", "mean"]),
            completed: count("successful"),
            failed: count("errored"),
            prompt_tokens_mean: number_at(metrics, &["prompt_token_count", "successful", "mean"]),
            output_tokens_mean: number_at(metrics, &["output_token_count", "successful", "mean"]),
            ttft_ms: distribution(metrics, "time_to_first_token_ms", 1.0),
            tpot_ms: distribution(metrics, "time_per_output_token_ms", 1.0),
            itl_ms: distribution(metrics, "inter_token_latency_ms", 1.0),
            // request_latency is in seconds.
            e2e_ms: distribution(metrics, "request_latency", 1e3),
            duration_s: number(benchmark, "duration"),
            samples: None,
        });
    }
    if points.is_empty() {
        return Err(ImportError::field("benchmarks", "at least one benchmark"));
    }
    Ok(MeasuredRun {
        tool: "guidellm".to_string(),
        tool_version: object_at(object, &["metadata"]).and_then(|m| text(m, "guidellm_version")),
        format: FileLayout::GuidellmJson.id().to_string(),
        model: benchmarks
            .first()
            .and_then(Value::as_object)
            .and_then(|b| object_at(b, &["config", "backend"]))
            .and_then(|backend| text(backend, "model")),
        points,
        notes: vec![
            "statistics of successful requests; request latency converted from seconds to ms".to_string(),
            "incomplete requests (cut off at the end of a benchmark) are neither completed nor failed".to_string(),
            "prompt tokens are the server-reported counts when the backend returned usage, else the tokenizer's"
                .to_string(),
            "the per-request entries are GuideLLM's sampled subset, so no per-request samples are kept".to_string(),
        ],
    })
}

/// GuideLLM's CSV export: three header rows, one row per benchmark.
pub fn detect_csv(rows: &[csv::StringRecord]) -> bool {
    rows.len() >= 4 && rows[0].get(0) == Some("Run Info") && rows[1].get(0) == Some("Run ID")
}

pub fn import_csv(rows: &[csv::StringRecord]) -> Result<MeasuredRun, ImportError> {
    if !detect_csv(rows) {
        return Err(ImportError::field(
            "rows",
            "GuideLLM's three header rows (Run Info, Run ID, ...) and a row per benchmark",
        ));
    }
    let columns: Vec<(String, String, String)> = (0..rows[0].len())
        .map(|i| {
            let cell = |r: usize| rows[r].get(i).unwrap_or("").trim().to_string();
            (cell(0), cell(1), cell(2))
        })
        .collect();
    let find = |group: &str, name: &str, unit: &str| {
        columns
            .iter()
            .position(|(g, n, u)| g == group && n == name && u == unit)
    };
    let mut points = Vec::new();
    for (row_index, row) in rows[3..].iter().enumerate() {
        let line = row_index + 4;
        if row.len() != rows[0].len() {
            return Err(ImportError::cut_short(line, rows[0].len(), row.len()));
        }
        let value = |column: Option<usize>| {
            column
                .and_then(|c| row.get(c))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let stats = |group: &str, unit: &str, to_ms: f64| -> Result<MeasuredStats, ImportError> {
            let mean = value(find(group, unit, "Mean")).map(|v| v * to_ms);
            let median = value(find(group, unit, "Median")).map(|v| v * to_ms);
            let list = find(group, unit, "Percentiles").and_then(|c| row.get(c)).unwrap_or("");
            let percentiles: Vec<f64> = if list.trim().is_empty() {
                Vec::new()
            } else {
                serde_json::from_str::<Vec<f64>>(list).map_err(|_| {
                    ImportError::field(&format!("line {line}: {group} percentiles"), "a list of numbers")
                })?
            };
            // [min, p001, p01, p05, p10, p25, p75, p90, p95, p99, max]
            let at = |i: usize| percentiles.get(i).map(|v| v * to_ms);
            Ok(MeasuredStats {
                mean,
                p50: median,
                p90: at(7),
                p95: at(8),
                p99: at(9),
                intervals: None,
            })
        };
        // "constant@2.00" (0.8) or "constant" with the rates in the profile JSON.
        let strategy_cell = find("Benchmark", "Strategy", "").and_then(|c| row.get(c)).unwrap_or("");
        let (strategy, inline_rate) = match strategy_cell.split_once('@') {
            Some((kind, rate)) => (kind.trim(), rate.trim().parse::<f64>().ok()),
            None => (strategy_cell.trim(), None),
        };
        let rate = inline_rate.or_else(|| {
            find("Run Info", "Profile", "")
                .and_then(|c| row.get(c))
                .and_then(|profile| serde_json::from_str::<Value>(profile).ok())
                .and_then(|profile| profile.get("rate").cloned())
                .and_then(|rates| rates.as_array().and_then(|r| r.get(row_index).and_then(Value::as_f64)))
        });
        points.push(MeasuredPoint {
            offered: OfferedLoad {
                requests_per_second: if strategy == "constant" || strategy == "poisson" {
                    rate
                } else {
                    None
                },
                concurrency: match strategy {
                    "synchronous" => Some(1.0),
                    "concurrent" => rate,
                    _ => None,
                },
                arrival_cv: match strategy {
                    "constant" => Some(0.0),
                    "poisson" => Some(1.0),
                    _ => None,
                },
            },
            requests_per_second: value(find("Server Throughput", "Successful Requests/Sec", "Mean")),
            output_tokens_per_second: value(find("Token Throughput", "Successful Output Tokens/Sec", "Mean")),
            completed: value(find("Request Counts", "Successful", "")).unwrap_or(0.0) as u64,
            failed: value(find("Request Counts", "Errored", "")).unwrap_or(0.0) as u64,
            prompt_tokens_mean: value(find("Token Metrics", "Successful Input Tokens", "Mean")),
            output_tokens_mean: value(find("Token Metrics", "Successful Output Tokens", "Mean")),
            ttft_ms: stats("Time to First Token", "Successful ms", 1.0)?,
            tpot_ms: stats("Time per Output Token", "Successful ms", 1.0)?,
            itl_ms: stats("Inter Token Latency", "Successful ms", 1.0)?,
            e2e_ms: stats("Request Latency", "Successful Sec", 1e3)?,
            duration_s: value(find("Timings", "Duration", "Sec")),
            samples: None,
        });
    }
    if points.is_empty() {
        return Err(ImportError::field(
            "rows",
            "at least one benchmark row after the three header rows",
        ));
    }
    Ok(MeasuredRun {
        tool: "guidellm".to_string(),
        tool_version: None,
        format: FileLayout::GuidellmCsv.id().to_string(),
        model: None,
        points,
        notes: vec![
            "statistics of successful requests; request latency converted from seconds to ms".to_string(),
            "the CSV lists percentiles as [min, p0.1, p1, p5, p10, p25, p75, p90, p95, p99, max] and the median separately".to_string(),
        ],
    })
}
