//! AIPerf (and GenAI-Perf, its predecessor) profile exports: the summary JSON (each metric an
//! object `{unit, avg, p1..p99, min, max, std}`), the summary CSV (a `Metric,avg,...` table of
//! distributions, then a `Metric,Value` table of totals) and the per-record JSONL
//! (`{metadata, metrics: {name: {value, unit}}}` per request). AIPerf has no TPOT key: its
//! `inter_token_latency` is each request's mean gap after the first token (what other tools
//! call TPOT), and `inter_chunk_latency` every gap between streamed chunks.

use super::json::{number, object_at, text, Object};
use super::run::{FileLayout, MeasuredPoint, MeasuredRun, MeasuredSamples, MeasuredStats, OfferedLoad};
use super::ImportError;
use serde_json::Value;

pub fn detect(object: &Object) -> bool {
    object.contains_key("aiperf_version")
        || matches!(object.get("time_to_first_token"), Some(Value::Object(m)) if m.contains_key("unit"))
        || matches!(object.get("request_throughput"), Some(Value::Object(m)) if m.contains_key("unit"))
}

/// Milliseconds per unit of a duration, or `None` for a unit that is not a duration.
fn to_ms(unit: &str) -> Option<f64> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "millisecond" | "milliseconds" => Some(1.0),
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1e3),
        "us" | "µs" | "microsecond" | "microseconds" => Some(1e-3),
        "ns" | "nanosecond" | "nanoseconds" => Some(1e-6),
        _ => None,
    }
}

/// A latency metric of the summary JSON, in ms.
fn latency(object: &Object, name: &str) -> Result<MeasuredStats, ImportError> {
    let Some(metric) = object_at(object, &[name]) else {
        return Ok(MeasuredStats::default());
    };
    let unit = text(metric, "unit").unwrap_or_else(|| "ms".to_string());
    let scale =
        to_ms(&unit).ok_or_else(|| ImportError::field(&format!("{name}.unit"), "a time unit (ns, us, ms, s)"))?;
    Ok(MeasuredStats::from_keys(|key| number(metric, key).map(|v| v * scale)))
}

fn average(object: &Object, name: &str) -> Option<f64> {
    object_at(object, &[name]).and_then(|m| number(m, "avg"))
}

/// The offered load from `input_config`: AIPerf 0.13's `phases[].concurrency` /
/// `request_rate`, or the older `loadgen` block.
fn offered(object: &Object) -> OfferedLoad {
    let config = object_at(object, &["input_config"]);
    let phase = config
        .and_then(|c| c.get("phases"))
        .and_then(Value::as_array)
        .and_then(|phases| {
            phases
                .iter()
                .find(|p| p.get("kind").and_then(Value::as_str) == Some("profiling"))
        })
        .and_then(Value::as_object);
    let loadgen = config.and_then(|c| object_at(c, &["loadgen"]));
    let pick = |key: &str| {
        phase
            .and_then(|p| number(p, key))
            .or_else(|| loadgen.and_then(|l| number(l, key)))
    };
    OfferedLoad {
        requests_per_second: pick("request_rate"),
        concurrency: pick("concurrency"),
        arrival_cv: None,
    }
}

pub fn import(object: &Object) -> Result<MeasuredRun, ImportError> {
    let completed = average(object, "request_count")
        .or_else(|| average(object, "completed_request_count"))
        .ok_or_else(|| ImportError::field("request_count", "an object with the number of requests in `avg`"))?;
    let failed = average(object, "error_request_count").unwrap_or_else(|| {
        object
            .get("error_summary")
            .and_then(Value::as_array)
            .map_or(0.0, |errors| {
                errors
                    .iter()
                    .filter_map(|e| e.get("count").and_then(Value::as_f64))
                    .sum()
            })
    });
    let prompt_tokenizer = average(object, "input_sequence_length");
    let prompt_server = average(object, "usage_prompt_tokens");
    let mut notes = vec![
        "TPOT is AIPerf's inter_token_latency (each request's mean gap after the first token); ITL is inter_chunk_latency (every streamed gap)".to_string(),
    ];
    if let (Some(tokenizer), Some(server)) = (prompt_tokenizer, prompt_server) {
        notes.push(format!(
            "prompt tokens: {tokenizer:.1} by the client tokenizer (input_sequence_length, reported here); the server reported {server:.1} (usage_prompt_tokens)"
        ));
    }
    let is_aiperf = object.contains_key("aiperf_version");
    let point = MeasuredPoint {
        offered: offered(object),
        requests_per_second: average(object, "request_throughput"),
        output_tokens_per_second: average(object, "output_token_throughput"),
        completed: completed as u64,
        failed: failed as u64,
        prompt_tokens_mean: prompt_tokenizer.or(prompt_server),
        output_tokens_mean: average(object, "output_sequence_length"),
        ttft_ms: latency(object, "time_to_first_token")?,
        tpot_ms: latency(object, "inter_token_latency")?,
        itl_ms: latency(object, "inter_chunk_latency")?,
        e2e_ms: latency(object, "request_latency")?,
        duration_s: object_at(object, &["benchmark_duration"]).and_then(|m| {
            let scale = to_ms(&text(m, "unit").unwrap_or_else(|| "s".to_string()))?;
            number(m, "avg").map(|v| v * scale / 1e3)
        }),
        samples: None,
    };
    Ok(MeasuredRun {
        tool: if is_aiperf { "aiperf" } else { "genai-perf" }.to_string(),
        tool_version: text(object, "aiperf_version"),
        format: FileLayout::AiperfJson.id().to_string(),
        model: object_at(object, &["input_config", "models"])
            .and_then(|m| m.get("items"))
            .and_then(Value::as_array)
            .and_then(|items| items.first())
            .and_then(|item| item.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string),
        points: vec![point],
        notes,
    })
}

/// The summary CSV: a header `Metric,avg,...` (AIPerf) or `Metric,avg,min,max,p99,...` (GenAI-Perf).
pub fn detect_csv(rows: &[csv::StringRecord]) -> bool {
    rows.first()
        .is_some_and(|header| header.get(0) == Some("Metric") && header.iter().any(|c| c == "avg"))
}

/// "Time to First Token (ms)" -> ("time to first token", "ms").
fn name_and_unit(label: &str) -> (String, String) {
    let label = label.trim();
    match (label.rfind('('), label.ends_with(')')) {
        (Some(open), true) => (
            label[..open].trim().to_ascii_lowercase(),
            label[open + 1..label.len() - 1].trim().to_ascii_lowercase(),
        ),
        _ => (label.to_ascii_lowercase(), String::new()),
    }
}

/// A distribution row of the CSV: name, unit, and its (column, value) pairs.
type Distribution = (String, String, Vec<(String, f64)>);

pub fn import_csv(rows: &[csv::StringRecord]) -> Result<MeasuredRun, ImportError> {
    if !detect_csv(rows) {
        return Err(ImportError::field("header", "a `Metric,avg,...` row first"));
    }
    // Distribution rows under the first header; then, after a `Metric,Value` header, totals.
    let mut header: Vec<String> = Vec::new();
    let mut distributions: Vec<Distribution> = Vec::new();
    let mut totals: Vec<(String, String, f64)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        if row.get(0) == Some("Metric") {
            header = row.iter().map(|c| c.trim().to_string()).collect();
            continue;
        }
        let Some(label) = row.get(0).filter(|l| !l.trim().is_empty()) else {
            continue;
        };
        if row.len() < header.len() {
            return Err(ImportError::cut_short(index + 1, header.len(), row.len()));
        }
        let (name, unit) = name_and_unit(label);
        if header.len() == 2 && header[1] == "Value" {
            if let Some(value) = row.get(1).and_then(|v| v.trim().parse::<f64>().ok()) {
                totals.push((name, unit, value));
            }
        } else {
            let values = header
                .iter()
                .enumerate()
                .skip(1)
                .filter_map(|(i, key)| Some((key.clone(), row.get(i)?.trim().parse::<f64>().ok()?)))
                .collect();
            distributions.push((name, unit, values));
        }
    }
    let latency = |name: &str| -> Result<MeasuredStats, ImportError> {
        let Some((_, unit, values)) = distributions.iter().find(|(n, _, _)| n == name) else {
            return Ok(MeasuredStats::default());
        };
        let scale = to_ms(unit).ok_or_else(|| ImportError::field(name, "a time unit in parentheses (ms, s)"))?;
        Ok(MeasuredStats::from_keys(|key| {
            values.iter().find(|(k, _)| k == key).map(|(_, v)| v * scale)
        }))
    };
    let total = |names: &[&str]| {
        totals
            .iter()
            .find(|(n, _, _)| names.contains(&n.as_str()))
            .map(|(_, _, v)| *v)
    };
    let average = |name: &str| {
        distributions
            .iter()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, _, values)| values.iter().find(|(k, _)| k == "avg").map(|(_, v)| *v))
    };
    let completed = total(&["request count", "completed requests", "completed requests"])
        .ok_or_else(|| ImportError::field("Request Count", "a row of the `Metric,Value` table"))?;
    let error_rate = total(&["request error rate"]).unwrap_or(0.0);
    let point = MeasuredPoint {
        offered: OfferedLoad::default(),
        requests_per_second: total(&["request throughput"]),
        output_tokens_per_second: total(&["output token throughput"]),
        completed: completed as u64,
        failed: (completed * error_rate / 100.0).round() as u64,
        prompt_tokens_mean: average("input sequence length"),
        output_tokens_mean: average("output sequence length"),
        ttft_ms: latency("time to first token")?,
        tpot_ms: latency("inter token latency")?,
        itl_ms: latency("inter chunk latency")?,
        e2e_ms: latency("request latency")?,
        duration_s: total(&["benchmark duration"]),
        samples: None,
    };
    Ok(MeasuredRun {
        tool: "aiperf".to_string(),
        tool_version: None,
        format: FileLayout::AiperfCsv.id().to_string(),
        model: None,
        points: vec![point],
        notes: vec![
            "TPOT is AIPerf's Inter Token Latency (each request's mean gap after the first token); ITL is Inter Chunk Latency".to_string(),
            "the CSV does not say the offered load; the JSON export does".to_string(),
        ],
    })
}

/// Per-record JSONL: one request per line.
pub fn detect_records(first: &Object) -> bool {
    first.contains_key("metrics") && first.contains_key("metadata")
}

/// Per-record JSONL read one record at a time (a 64 MiB file is never held as parsed JSON).
#[derive(Default)]
pub struct RecordsReader {
    samples: MeasuredSamples,
    failed: u64,
    gaps: Vec<f64>,
    first_start: Option<f64>,
    last_end: Option<f64>,
}

impl RecordsReader {
    /// Reads the record on line `line` (counted from 1).
    pub fn add(&mut self, line: usize, record: &Object) -> Result<(), ImportError> {
        let metrics = object_at(record, &["metrics"])
            .ok_or_else(|| ImportError::field(&format!("line {line}: metrics"), "an object"))?;
        if record.get("error").is_some_and(|e| !e.is_null()) {
            self.failed += 1;
            return Ok(());
        }
        let value = |name: &str| -> Option<f64> {
            let metric = object_at(metrics, &[name])?;
            let raw = number(metric, "value");
            let scale = text(metric, "unit").and_then(|unit| to_ms(&unit)).unwrap_or(1.0);
            raw.map(|v| v * scale)
        };
        let (Some(ttft), Some(e2e)) = (value("time_to_first_token"), value("request_latency")) else {
            return Err(ImportError::field(
                &format!("line {line}: metrics"),
                "time_to_first_token and request_latency",
            ));
        };
        let samples = &mut self.samples;
        samples.ttft_ms.push(ttft);
        samples.e2e_ms.push(e2e);
        samples.tpot_ms.extend(value("inter_token_latency"));
        samples.output_tokens.extend(value("output_sequence_length"));
        samples.prompt_tokens.extend(value("input_sequence_length"));
        if let Some(chunk_gaps) = object_at(metrics, &["inter_chunk_latency"]) {
            let scale = text(chunk_gaps, "unit").and_then(|u| to_ms(&u)).unwrap_or(1.0);
            if let Some(Value::Array(values)) = chunk_gaps.get("value") {
                self.gaps
                    .extend(values.iter().filter_map(Value::as_f64).map(|v| v * scale));
            }
        }
        if let Some(metadata) = object_at(record, &["metadata"]) {
            if let (Some(start), Some(end)) = (number(metadata, "request_start_ns"), number(metadata, "request_end_ns"))
            {
                self.first_start = Some(self.first_start.map_or(start, |s| s.min(start)));
                self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
            }
        }
        Ok(())
    }

    /// The run the records make: one point of their samples.
    pub fn finish(self) -> Result<MeasuredRun, ImportError> {
        let RecordsReader {
            samples,
            failed,
            gaps,
            first_start,
            last_end,
        } = self;
        let span_s = first_start.zip(last_end).map(|(start, end)| (end - start) / 1e9);
        if samples.ttft_ms.is_empty() {
            return Err(ImportError::field("records", "at least one successful request"));
        }
        let point = MeasuredPoint::from_samples(samples, &gaps, failed, span_s);
        Ok(MeasuredRun {
            tool: "aiperf".to_string(),
            tool_version: None,
            format: FileLayout::AiperfRecordsJsonl.id().to_string(),
            model: None,
            points: vec![point],
            notes: vec![
                "computed from per-request records: percentiles by linear interpolation, with 95% order-statistic \
                 intervals"
                    .to_string(),
                "throughput is completed requests over the span from the first start to the last end".to_string(),
            ],
        })
    }
}
