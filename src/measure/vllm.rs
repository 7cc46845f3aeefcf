//! `vllm bench serve` / `benchmark_serving.py --save-result` JSON: summary fields
//! (`request_throughput`, `output_throughput`, `mean_/median_/pNN_{ttft,tpot,itl,e2el}_ms`) and,
//! with `--save-detailed`, per-request arrays in seconds (`ttfts`, `itls`, `latencies`,
//! `input_lens`, `output_lens`, `errors`). Field names from vllm/benchmarks/serve.py.

use super::json::{number, text, Object};
use super::run::{FileLayout, MeasuredPoint, MeasuredRun, MeasuredSamples, MeasuredStats, OfferedLoad};
use super::ImportError;
use serde_json::Value;

/// Whether a JSON object looks like a vLLM serving benchmark result.
pub fn detect(object: &Object) -> bool {
    object.contains_key("request_throughput")
        && (object.contains_key("mean_ttft_ms") || object.contains_key("ttfts") || object.contains_key("completed"))
}

/// The summary statistics the file reports for `metric` (`ttft`, `tpot`, `itl`, `e2el`), ms.
fn reported(object: &Object, metric: &str) -> MeasuredStats {
    let field = |name: String| number(object, &name);
    MeasuredStats {
        mean: field(format!("mean_{metric}_ms")),
        p50: field(format!("p50_{metric}_ms")).or_else(|| field(format!("median_{metric}_ms"))),
        p90: field(format!("p90_{metric}_ms")),
        p95: field(format!("p95_{metric}_ms")),
        p99: field(format!("p99_{metric}_ms")),
        intervals: None,
    }
}

/// Per-request values in seconds, as ms; `None` when the array is absent.
fn seconds_array(object: &Object, name: &str) -> Result<Option<Vec<f64>>, ImportError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_f64().map(|s| s * 1e3))
            .collect::<Option<Vec<f64>>>()
            .map(Some)
            .ok_or_else(|| ImportError::field(name, "an array of numbers (seconds)")),
        Some(_) => Err(ImportError::field(name, "an array of numbers (seconds)")),
    }
}

pub fn import(object: &Object) -> Result<MeasuredRun, ImportError> {
    let completed = number(object, "completed")
        .filter(|count| *count >= 1.0 && count.fract() == 0.0)
        .ok_or_else(|| ImportError::field("completed", "a positive request count"))?;
    let failed = number(object, "failed")
        .map(|count| {
            if count >= 0.0 && count.fract() == 0.0 {
                Ok(count)
            } else {
                Err(ImportError::field("failed", "a request count"))
            }
        })
        .transpose()?
        .unwrap_or(0.0);
    let mut notes = vec![
        "vLLM reports latencies in ms and per-request arrays in seconds; all are in ms here".to_string(),
        "prompt tokens are the client tokenizer's counts (input_lens / total_input_tokens)".to_string(),
    ];
    let mut point = MeasuredPoint {
        offered: OfferedLoad {
            requests_per_second: number(object, "request_rate").filter(|rate| rate.is_finite()),
            concurrency: number(object, "max_concurrency"),
            // vLLM's gamma arrivals: shape = burstiness, so the gaps' CV is 1 / sqrt(burstiness).
            arrival_cv: number(object, "burstiness")
                .filter(|b| *b > 0.0)
                .map(|b| 1.0 / b.sqrt()),
        },
        requests_per_second: number(object, "request_throughput"),
        output_tokens_per_second: number(object, "output_throughput"),
        completed: completed as u64,
        failed: failed as u64,
        prompt_tokens_mean: number(object, "total_input_tokens").map(|t| t / completed.max(1.0)),
        output_tokens_mean: number(object, "total_output_tokens").map(|t| t / completed.max(1.0)),
        ttft_ms: reported(object, "ttft"),
        tpot_ms: reported(object, "tpot"),
        itl_ms: reported(object, "itl"),
        e2e_ms: reported(object, "e2el"),
        duration_s: number(object, "duration"),
        samples: None,
    };
    if point.offered.requests_per_second.is_none() && text(object, "request_rate").as_deref() == Some("inf") {
        notes.push("request_rate inf: every request was sent at once".to_string());
    }
    // Per-request arrays (--save-detailed): successful requests only (errors are non-empty).
    if let (Some(ttfts), Some(latencies)) = (seconds_array(object, "ttfts")?, seconds_array(object, "latencies")?) {
        let errors: Vec<bool> = match object.get("errors") {
            Some(Value::Array(errors)) => errors
                .iter()
                .map(|e| e.as_str().is_some_and(|s| !s.is_empty()))
                .collect(),
            _ => vec![false; ttfts.len()],
        };
        let output_lens: Vec<f64> = match object.get("output_lens") {
            Some(Value::Array(lens)) => lens.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect(),
            _ => Vec::new(),
        };
        let input_lens: Vec<f64> = match object.get("input_lens") {
            Some(Value::Array(lens)) => lens.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect(),
            _ => Vec::new(),
        };
        let itls: Vec<Vec<f64>> = match object.get("itls") {
            Some(Value::Array(rows)) => rows
                .iter()
                .map(|row| match row {
                    Value::Array(gaps) => gaps.iter().filter_map(Value::as_f64).map(|s| s * 1e3).collect(),
                    _ => Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        };
        if ttfts.len() != latencies.len() {
            return Err(ImportError::field("latencies", "as many entries as ttfts"));
        }
        let mut samples = MeasuredSamples::default();
        let mut all_gaps = Vec::new();
        for (i, (&ttft, &e2e)) in ttfts.iter().zip(&latencies).enumerate() {
            let output = output_lens.get(i).copied().unwrap_or(0.0);
            if errors.get(i).copied().unwrap_or(false) || output == 0.0 {
                continue;
            }
            samples.ttft_ms.push(ttft);
            samples.e2e_ms.push(e2e);
            // vLLM's TPOT: (latency - ttft) / (output tokens - 1), for outputs of 2 or more.
            if output > 1.0 {
                samples.tpot_ms.push((e2e - ttft) / (output - 1.0));
            }
            samples.output_tokens.push(output);
            if let Some(&input) = input_lens.get(i) {
                samples.prompt_tokens.push(input);
            }
            if let Some(gaps) = itls.get(i) {
                all_gaps.extend_from_slice(gaps);
            }
        }
        if samples.ttft_ms.len() as f64 != completed {
            notes.push(format!(
                "{} per-request entries are successful, the summary says {completed} completed",
                samples.ttft_ms.len()
            ));
        }
        point.ttft_ms.intervals = MeasuredStats::of_samples(&samples.ttft_ms).intervals;
        point.tpot_ms.intervals = MeasuredStats::of_samples(&samples.tpot_ms).intervals;
        point.e2e_ms.intervals = MeasuredStats::of_samples(&samples.e2e_ms).intervals;
        point.itl_ms.intervals = MeasuredStats::of_samples(&all_gaps).intervals;
        point.samples = Some(samples);
    }
    Ok(MeasuredRun {
        tool: "vllm".to_string(),
        tool_version: text(object, "vllm_version"),
        format: FileLayout::VllmBenchServe.id().to_string(),
        model: text(object, "model_id"),
        points: vec![point],
        notes,
    })
}
