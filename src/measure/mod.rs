//! Measured data: what real servers did. Importers read the files benchmark tools already write
//! (vLLM `bench serve`, GuideLLM, AIPerf / GenAI-Perf, LLMPerf, plain CSV) into one
//! `MeasuredRun`; the published measurements (`data/*.csv`, `published::DATA_FILES`) feed the
//! built-in calibration; and `fit` turns observations into calibration factors. Measurements
//! only change the cost model's factors; they never special-case a prediction. Turning a
//! user's sweep into observations of their deployment is `crate::calibrate`'s job.

mod aiperf;
pub mod fit;
mod guidellm;
mod json;
mod llmperf;
pub mod published;
mod run;
mod table;
pub mod validate;
mod vllm;

pub use fit::{
    abs_log_error, abs_pct_error, fit_calibration_with, median_abs_error_pct, EngineFit, FamilyFits, Fit,
    PreparedObservation, MIN_FAMILY_ROWS,
};
pub use published::{
    load_published, Measured, MetricFamily, Observation, ObservedLoad, ObservedMetric, Unmodellable, DATA_FILES,
};
pub use run::{
    FileLayout, MeasuredPoint, MeasuredRun, MeasuredSamples, MeasuredStats, OfferedLoad, PercentileIntervals,
};

use crate::domain::BenchmarkFormat;
use crate::error::Error;
use serde_json::Value;

/// Largest file accepted, bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Largest single JSON document: parsed whole, it takes about three times its size in memory
/// (JSON lines and CSV are read a record at a time).
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024 * 1024;
/// Most per-request records (or rows) read from one file.
pub const MAX_RECORDS: usize = 1_000_000;
/// Most load levels (points) one file may hold: a sweep has tens.
pub const MAX_POINTS: usize = 1_000;

/// A problem inside a file: which field, and what was expected there.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    pub field: String,
    pub expected: String,
}

impl ImportError {
    pub(crate) fn field(field: &str, expected: &str) -> ImportError {
        ImportError {
            field: field.to_string(),
            expected: expected.to_string(),
        }
    }

    /// A table row (on `line`, counted from 1) with fewer cells than its header has: the file
    /// was cut short.
    pub(crate) fn cut_short(line: usize, header_cells: usize, row_cells: usize) -> ImportError {
        ImportError::field(
            &format!("line {line}"),
            &format!("{header_cells} cells, as its header has (it has {row_cells}: the file may be cut short)"),
        )
    }

    fn into_error(self, format: &str) -> Error {
        Error::Malformed {
            field: "text".to_string(),
            message: format!("{format}: `{}` must be {}", self.field, self.expected),
        }
    }
}

fn unknown_format() -> Error {
    Error::Malformed {
        field: "text".to_string(),
        message: "not a known benchmark format: expected vLLM `bench serve` result JSON (request_throughput, \
                  mean_ttft_ms, ...), GuideLLM benchmarks.json (benchmarks[].metrics) or its CSV, AIPerf / \
                  GenAI-Perf profile export JSON (time_to_first_token: {unit, avg, ...}), CSV (Metric,avg,...) \
                  or records JSONL, LLMPerf summary JSON (results_ttft_s_mean, ...), or a CSV whose header names \
                  per-request latencies (ttft_ms, e2e_ms, ...) or per-level columns (request_rate, ttft_p95_ms, ...)"
            .to_string(),
    }
}

/// Reads one benchmark file. `format` forces a format (an id of `BenchmarkFormat`); `None`
/// detects it.
pub fn import_benchmark(text: &str, format: Option<&str>) -> Result<MeasuredRun, Error> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Error::invalid(
            "text",
            format!("at most {MAX_FILE_BYTES} bytes (64 MiB)"),
            format!("{} bytes", text.len()),
        ));
    }
    let format = format
        .map(|id| BenchmarkFormat::parse("options.format", id))
        .transpose()?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            "text",
            "the contents of a benchmark file",
            "an empty text",
        ));
    }
    let run = if format.map_or(trimmed.starts_with('{') || trimmed.starts_with('['), |f| !f.is_csv()) {
        import_json(trimmed, format)?
    } else {
        import_csv(trimmed, format)?
    };
    check_bounds(&run)?;
    Ok(run)
}

fn import_json(text: &str, format: Option<BenchmarkFormat>) -> Result<MeasuredRun, Error> {
    // JSON lines are read a record at a time; one document is parsed whole, so it has a
    // smaller limit.
    let first_line_is_object = || {
        let first = text.lines().next().unwrap_or("");
        first.len() < text.len() && json::parse_lean(first).is_ok_and(|v| v.is_object())
    };
    let lines =
        format == Some(BenchmarkFormat::AiperfJsonl) || (text.len() > MAX_DOCUMENT_BYTES && first_line_is_object());
    if !lines && text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::invalid(
            "text",
            format!(
                "a JSON document of at most {MAX_DOCUMENT_BYTES} bytes (32 MiB; JSON lines and CSV may have 64 MiB)"
            ),
            format!("{} bytes", text.len()),
        ));
    }
    let parsed = (!lines).then(|| json::parse_lean(text));
    let object = match parsed {
        Some(Ok(Value::Object(object))) => object,
        Some(Ok(_)) => {
            return Err(Error::Malformed {
                field: "text".to_string(),
                message: "a benchmark JSON file must hold one object (a JSON array is not a known format)".to_string(),
            })
        }
        other => {
            // Not one JSON document: one record per line (AIPerf's records export), each read
            // as it is parsed.
            let mut reader = aiperf::RecordsReader::default();
            for (index, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                if index >= MAX_RECORDS {
                    return Err(Error::invalid("text", format!("at most {MAX_RECORDS} records"), "more"));
                }
                let malformed = |message: String| Error::Malformed {
                    field: "text".to_string(),
                    message,
                };
                match json::parse_lean(line) {
                    Ok(Value::Object(record)) if index > 0 || aiperf::detect_records(&record) => reader
                        .add(index + 1, &record)
                        .map_err(|e| e.into_error("AIPerf records JSONL"))?,
                    Ok(Value::Object(_)) => return Err(unknown_format()),
                    _ if index == 0 => {
                        return Err(malformed(match other {
                            Some(Err(error)) => format!("not valid JSON: {error}"),
                            _ => "not JSON lines of objects".to_string(),
                        }))
                    }
                    Err(error) => {
                        return Err(malformed(format!(
                            "JSON lines: line {} is not valid JSON: {error}",
                            index + 1
                        )))
                    }
                    Ok(_) => return Err(malformed(format!("JSON lines: line {} is not an object", index + 1))),
                }
            }
            return reader.finish().map_err(|e| e.into_error("AIPerf records JSONL"));
        }
    };
    let pick = |wanted: BenchmarkFormat, detect: fn(&json::Object) -> bool| {
        format.map_or_else(|| detect(&object), |f| f == wanted)
    };
    if pick(BenchmarkFormat::Vllm, vllm::detect) {
        vllm::import(&object).map_err(|e| e.into_error("vLLM bench serve JSON"))
    } else if pick(BenchmarkFormat::Guidellm, guidellm::detect) {
        guidellm::import(&object).map_err(|e| e.into_error("GuideLLM benchmarks JSON"))
    } else if pick(BenchmarkFormat::Aiperf, aiperf::detect) {
        aiperf::import(&object).map_err(|e| e.into_error("AIPerf profile export JSON"))
    } else if pick(BenchmarkFormat::Llmperf, llmperf::detect) {
        llmperf::import(&object).map_err(|e| e.into_error("LLMPerf summary JSON"))
    } else if format.is_none() && aiperf::detect_records(&object) {
        // JSON lines of one record parse as one object.
        let mut reader = aiperf::RecordsReader::default();
        reader
            .add(1, &object)
            .and_then(|()| reader.finish())
            .map_err(|e| e.into_error("AIPerf records JSONL"))
    } else {
        Err(unknown_format())
    }
}

fn import_csv(text: &str, format: Option<BenchmarkFormat>) -> Result<MeasuredRun, Error> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .enumerate()
        .map(|(index, record)| {
            if index > MAX_RECORDS {
                return Err(Error::invalid("text", format!("at most {MAX_RECORDS} rows"), "more"));
            }
            record.map_err(|error| Error::Malformed {
                field: "text".to_string(),
                message: format!("not valid CSV: {error}"),
            })
        });
    // The first rows tell the format; a per-request table is then read row by row, never held.
    let mut head = Vec::new();
    for record in records.by_ref().take(4) {
        head.push(record?);
    }
    if head.first().is_none_or(|header| header.len() < 2) {
        return Err(unknown_format());
    }
    let guidellm = format.map_or_else(|| guidellm::detect_csv(&head), |f| f == BenchmarkFormat::GuidellmCsv);
    let aiperf = !guidellm && format.map_or_else(|| aiperf::detect_csv(&head), |f| f == BenchmarkFormat::AiperfCsv);
    if !guidellm && !aiperf {
        let mut rows = head.into_iter().map(Ok).chain(records);
        let header = rows.next().and_then(Result::ok).unwrap_or_default();
        return table::import(&header, rows);
    }
    // A summary: a row per benchmark (GuideLLM) or per metric (AIPerf), a few header rows.
    let mut rows = head;
    for record in records {
        if rows.len() >= MAX_POINTS + 3 {
            return Err(Error::invalid(
                "text",
                format!("at most {MAX_POINTS} rows of benchmarks or metrics in a summary CSV"),
                "more",
            ));
        }
        rows.push(record?);
    }
    if guidellm {
        guidellm::import_csv(&rows).map_err(|e| e.into_error("GuideLLM CSV"))
    } else {
        aiperf::import_csv(&rows).map_err(|e| e.into_error("AIPerf CSV"))
    }
}

/// Every number in a run is finite and non-negative; a file that says otherwise is refused.
fn check_bounds(run: &MeasuredRun) -> Result<(), Error> {
    for (index, point) in run.points.iter().enumerate() {
        let stats = [&point.ttft_ms, &point.tpot_ms, &point.itl_ms, &point.e2e_ms];
        let values = [
            point.requests_per_second,
            point.output_tokens_per_second,
            point.prompt_tokens_mean,
            point.output_tokens_mean,
        ]
        .into_iter()
        .chain(stats.iter().flat_map(|s| [s.mean, s.p50, s.p90, s.p95, s.p99]))
        .flatten();
        let samples = &point.samples;
        if let Some(s) = samples
            .as_ref()
            .filter(|s| s.ttft_ms.len().max(s.e2e_ms.len()) > MAX_RECORDS)
        {
            return Err(Error::invalid(
                "text",
                format!("at most {MAX_RECORDS} per-request entries"),
                format!("{} in point {index}", s.ttft_ms.len().max(s.e2e_ms.len())),
            ));
        }
        let sampled = samples.iter().flat_map(|s| {
            [&s.ttft_ms, &s.tpot_ms, &s.e2e_ms, &s.prompt_tokens, &s.output_tokens]
                .into_iter()
                .flatten()
                .copied()
        });
        for value in values.chain(sampled) {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::Malformed {
                    field: "text".to_string(),
                    message: format!("point {index}: a measured value is {value}, not a finite non-negative number"),
                });
            }
        }
    }
    Ok(())
}

/// Several files of one sweep: their points in the order given.
pub fn sweep(runs: Vec<MeasuredRun>) -> MeasuredRun {
    let mut runs = runs.into_iter();
    let Some(mut first) = runs.next() else {
        return MeasuredRun::default();
    };
    for run in runs {
        if run.tool != first.tool && !first.tool.contains(&run.tool) {
            first.tool = format!("{}+{}", first.tool, run.tool);
        }
        first.points.extend(run.points);
        for note in run.notes {
            if !first.notes.contains(&note) {
                first.notes.push(note);
            }
        }
    }
    first
}
