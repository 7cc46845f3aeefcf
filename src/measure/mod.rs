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
/// Most per-request records (or rows) read from one file.
pub const MAX_RECORDS: usize = 1_000_000;

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
    let parsed: Result<Value, _> = serde_json::from_str(text);
    let lines = format == Some(BenchmarkFormat::AiperfJsonl);
    let object = match parsed {
        Ok(Value::Object(object)) if !lines => object,
        Ok(_) if !lines => {
            return Err(Error::Malformed {
                field: "text".to_string(),
                message: "a benchmark JSON file must hold one object (a JSON array is not a known format)".to_string(),
            })
        }
        other => {
            // Not one JSON document: one record per line (AIPerf's records export)?
            let mut records = Vec::new();
            for (index, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                if records.len() >= MAX_RECORDS {
                    return Err(Error::invalid("text", format!("at most {MAX_RECORDS} records"), "more"));
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(Value::Object(record)) => records.push(record),
                    _ if index == 0 => {
                        let message = match other {
                            Err(error) => format!("not valid JSON: {error}"),
                            Ok(_) => "not JSON lines of objects".to_string(),
                        };
                        return Err(Error::Malformed {
                            field: "text".to_string(),
                            message,
                        });
                    }
                    Err(error) => {
                        return Err(Error::Malformed {
                            field: "text".to_string(),
                            message: format!("JSON lines: line {} is not valid JSON: {error}", index + 1),
                        })
                    }
                    Ok(_) => {
                        return Err(Error::Malformed {
                            field: "text".to_string(),
                            message: format!("JSON lines: line {} is not an object", index + 1),
                        })
                    }
                }
            }
            if records.first().is_some_and(aiperf::detect_records) {
                return aiperf::import_records(&records).map_err(|e| e.into_error("AIPerf records JSONL"));
            }
            return Err(unknown_format());
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
        aiperf::import_records(&[object]).map_err(|e| e.into_error("AIPerf records JSONL"))
    } else {
        Err(unknown_format())
    }
}

fn import_csv(text: &str, format: Option<BenchmarkFormat>) -> Result<MeasuredRun, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() > MAX_RECORDS {
            return Err(Error::invalid("text", format!("at most {MAX_RECORDS} rows"), "more"));
        }
        rows.push(record.map_err(|error| Error::Malformed {
            field: "text".to_string(),
            message: format!("not valid CSV: {error}"),
        })?);
    }
    if rows.first().is_none_or(|header| header.len() < 2) {
        return Err(unknown_format());
    }
    if format.map_or_else(|| guidellm::detect_csv(&rows), |f| f == BenchmarkFormat::GuidellmCsv) {
        if rows.len() < 4 {
            return Err(
                ImportError::field("rows", "three header rows and a row per benchmark").into_error("GuideLLM CSV")
            );
        }
        guidellm::import_csv(&rows).map_err(|e| e.into_error("GuideLLM CSV"))
    } else if format.map_or_else(|| aiperf::detect_csv(&rows), |f| f == BenchmarkFormat::AiperfCsv) {
        aiperf::import_csv(&rows).map_err(|e| e.into_error("AIPerf CSV"))
    } else {
        table::import(&rows).map_err(|e| e.into_error("CSV"))
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
