//! Plain CSV with a header: one row per request (`ttft_ms`, `e2e_s`, `output_tokens`, ...) or
//! one row per load level (`request_rate` or `concurrency`, throughputs, `ttft_p95_ms`, ...).
//! Headers are matched case-insensitively, ignoring punctuation; every latency column names
//! its unit (`_ms` or `_s`, or `(ms)` / `(s)`).

use super::run::{FileLayout, MeasuredPoint, MeasuredRun, MeasuredSamples, OfferedLoad};
use super::{ImportError, MAX_POINTS};
use crate::error::Error;

/// A header cell reduced to lowercase words joined by `_`: "TTFT (ms)" -> "ttft_ms".
fn normalize(cell: &str) -> String {
    let mut name = String::new();
    for c in cell.trim().chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    name.trim_matches('_').to_string()
}

/// Splits a latency column's unit: "ttft_ms" -> ("ttft", 1.0); "e2e_s" -> ("e2e", 1000.0).
fn split_unit(name: &str) -> (&str, Option<f64>) {
    for (suffix, scale) in [
        ("_ms", 1.0),
        ("_seconds", 1e3),
        ("_sec", 1e3),
        ("_s", 1e3),
        ("_us", 1e-3),
    ] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return (stem, Some(scale));
        }
    }
    (name, None)
}

const LATENCY_NAMES: [(&str, &[&str]); 4] = [
    ("ttft", &["ttft", "time_to_first_token"]),
    ("tpot", &["tpot", "time_per_output_token"]),
    ("itl", &["itl", "inter_token_latency"]),
    (
        "e2e",
        &[
            "e2e",
            "e2el",
            "latency",
            "e2e_latency",
            "end_to_end_latency",
            "request_latency",
        ],
    ),
];

fn latency_metric(stem: &str) -> Option<&'static str> {
    LATENCY_NAMES
        .iter()
        .find(|(_, names)| names.contains(&stem))
        .map(|(metric, _)| *metric)
}

const STATISTICS: [&str; 7] = ["mean", "avg", "median", "p50", "p90", "p95", "p99"];

/// A per-level statistic column: "ttft_p95_ms", "p95_ttft_ms", "mean_e2e_s" -> (metric, statistic, scale).
fn statistic_column(name: &str) -> Option<(&'static str, &'static str, Option<f64>)> {
    let (stem, scale) = split_unit(name);
    for statistic in STATISTICS {
        let metric = stem
            .strip_suffix(&format!("_{statistic}"))
            .or_else(|| stem.strip_prefix(&format!("{statistic}_")));
        if let Some(metric) = metric.and_then(latency_metric) {
            let statistic = match statistic {
                "avg" => "mean",
                "median" => "p50",
                other => other,
            };
            return Some((metric, statistic, scale));
        }
    }
    None
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.as_str()))
}

/// Reads a plain table: `header` names the columns, `rows` follow (read one at a time).
pub fn import(
    header: &csv::StringRecord,
    rows: impl Iterator<Item = Result<csv::StringRecord, Error>>,
) -> Result<MeasuredRun, Error> {
    let header: Vec<String> = header.iter().map(normalize).collect();
    let load_column = find(
        &header,
        &[
            "request_rate",
            "rate",
            "qps",
            "offered_rate",
            "concurrency",
            "max_concurrency",
        ],
    );
    let has_statistics = header.iter().any(|h| statistic_column(h).is_some());
    if load_column.is_some() || has_statistics {
        per_level(&header, rows)
    } else {
        per_request(&header, rows)
    }
}

/// Each row of `rows` read by `read` (told its line in the file), stopping at the first error.
fn each_row(
    rows: impl Iterator<Item = Result<csv::StringRecord, Error>>,
    mut read: impl FnMut(&csv::StringRecord, usize) -> Result<(), ImportError>,
) -> Result<(), Error> {
    for (index, row) in rows.enumerate() {
        read(&row?, index + 2).map_err(|e| e.into_error("CSV"))?;
    }
    Ok(())
}

fn cell(row: &csv::StringRecord, column: usize, line: usize, name: &str) -> Result<Option<f64>, ImportError> {
    match row.get(column).map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text.parse::<f64>().map(Some).map_err(|_| {
            ImportError::field(
                &format!("line {line}, column {name}"),
                &format!("a number, not \"{text}\""),
            )
        }),
    }
}

fn per_level(
    header: &[String],
    rows: impl Iterator<Item = Result<csv::StringRecord, Error>>,
) -> Result<MeasuredRun, Error> {
    let rate = find(header, &["request_rate", "rate", "qps", "offered_rate"]);
    let concurrency = find(header, &["concurrency", "max_concurrency"]);
    let throughput = find(
        header,
        &[
            "request_throughput",
            "requests_per_second",
            "throughput_rps",
            "achieved_rate",
        ],
    );
    let output_throughput = find(
        header,
        &[
            "output_throughput",
            "output_tokens_per_second",
            "output_tok_s",
            "output_token_throughput",
        ],
    );
    let completed = find(header, &["completed", "successful", "requests"]);
    let failed = find(header, &["failed", "errors", "errored"]);
    let prompt = find(
        header,
        &[
            "prompt_tokens",
            "input_tokens",
            "prompt_tokens_mean",
            "input_len",
            "isl",
        ],
    );
    let output = find(header, &["output_tokens", "output_tokens_mean", "output_len", "osl"]);
    for name in header {
        if let Some((_, _, None)) = statistic_column(name) {
            return Err(ImportError::field(&format!("column {name}"), "a unit suffix (_ms or _s)").into_error("CSV"));
        }
    }
    let mut points = Vec::new();
    each_row(rows, |row, line| {
        if points.len() >= MAX_POINTS {
            return Err(ImportError::field(
                "rows",
                &format!("at most {MAX_POINTS} load levels (a row each)"),
            ));
        }
        let value = |column: Option<usize>, name: &str| -> Result<Option<f64>, ImportError> {
            column.map_or(Ok(None), |c| cell(row, c, line, name))
        };
        let mut point = MeasuredPoint {
            offered: OfferedLoad {
                requests_per_second: value(rate, "rate")?,
                concurrency: value(concurrency, "concurrency")?,
                arrival_cv: None,
            },
            requests_per_second: value(throughput, "request_throughput")?,
            output_tokens_per_second: value(output_throughput, "output_throughput")?,
            completed: value(completed, "completed")?.unwrap_or(0.0) as u64,
            failed: value(failed, "failed")?.unwrap_or(0.0) as u64,
            prompt_tokens_mean: value(prompt, "prompt_tokens")?,
            output_tokens_mean: value(output, "output_tokens")?,
            ..MeasuredPoint::default()
        };
        for (column, name) in header.iter().enumerate() {
            let Some((metric, statistic, Some(scale))) = statistic_column(name) else {
                continue;
            };
            let stats = match metric {
                "ttft" => &mut point.ttft_ms,
                "tpot" => &mut point.tpot_ms,
                "itl" => &mut point.itl_ms,
                _ => &mut point.e2e_ms,
            };
            let slot = match statistic {
                "mean" => &mut stats.mean,
                "p50" => &mut stats.p50,
                "p90" => &mut stats.p90,
                "p95" => &mut stats.p95,
                _ => &mut stats.p99,
            };
            *slot = cell(row, column, line, name)?.map(|v| v * scale);
        }
        points.push(point);
        Ok(())
    })?;
    if points.is_empty() {
        return Err(ImportError::field("rows", "at least one load level after the header").into_error("CSV"));
    }
    Ok(MeasuredRun {
        tool: "csv".to_string(),
        tool_version: None,
        format: FileLayout::CsvPerLevel.id().to_string(),
        model: None,
        points,
        notes: vec!["one row per load level; latencies converted to ms from the units in the header".to_string()],
    })
}

fn per_request(
    header: &[String],
    rows: impl Iterator<Item = Result<csv::StringRecord, Error>>,
) -> Result<MeasuredRun, Error> {
    let mut latency_columns: Vec<(usize, &'static str, f64)> = Vec::new();
    for (column, name) in header.iter().enumerate() {
        let (stem, scale) = split_unit(name);
        if let Some(metric) = latency_metric(stem) {
            let scale = scale.ok_or_else(|| {
                ImportError::field(
                    &format!("column {name}"),
                    &format!("a unit suffix ({name}_ms or {name}_s)"),
                )
                .into_error("CSV")
            })?;
            latency_columns.push((column, metric, scale));
        }
    }
    if !latency_columns
        .iter()
        .any(|(_, metric, _)| *metric == "ttft" || *metric == "e2e")
    {
        return Err(ImportError::field(
            "header",
            "per-request latency columns (ttft_ms, e2e_ms, tpot_ms, ...) or per-level columns (request_rate or concurrency, ttft_p95_ms, ...)",
        )
        .into_error("CSV"));
    }
    let prompt = find(header, &["prompt_tokens", "input_tokens", "input_len", "isl"]);
    let output = find(header, &["output_tokens", "output_len", "osl", "completion_tokens"]);
    let error = find(header, &["error", "errors", "status", "success"]);
    let start = find(header, &["start_time", "start_time_s", "start_s"]);
    let end = find(header, &["end_time", "end_time_s", "end_s"]);
    let mut samples = MeasuredSamples::default();
    let mut failed = 0u64;
    let (mut first_start, mut last_end) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut has_tpot = false;
    let mut itl_as_tpot = Vec::new();
    each_row(rows, |row, line| {
        if let Some(column) = error {
            let text = row.get(column).unwrap_or("").trim().to_ascii_lowercase();
            let ok = match header[column].as_str() {
                "success" => text == "true" || text == "1",
                "status" => text.is_empty() || text == "ok" || text == "success" || text == "200",
                _ => text.is_empty() || text == "none" || text == "null",
            };
            if !ok {
                failed += 1;
                return Ok(());
            }
        }
        for &(column, metric, scale) in &latency_columns {
            let Some(value) = cell(row, column, line, &header[column])? else {
                continue;
            };
            let ms = value * scale;
            match metric {
                "ttft" => samples.ttft_ms.push(ms),
                "e2e" => samples.e2e_ms.push(ms),
                "tpot" => {
                    has_tpot = true;
                    samples.tpot_ms.push(ms);
                }
                _ => itl_as_tpot.push(ms),
            }
        }
        if let Some(tokens) = prompt
            .map(|c| cell(row, c, line, "prompt_tokens"))
            .transpose()?
            .flatten()
        {
            samples.prompt_tokens.push(tokens);
        }
        if let Some(tokens) = output
            .map(|c| cell(row, c, line, "output_tokens"))
            .transpose()?
            .flatten()
        {
            samples.output_tokens.push(tokens);
        }
        if let (Some(s), Some(e)) = (start, end) {
            if let (Some(s), Some(e)) = (cell(row, s, line, "start_time")?, cell(row, e, line, "end_time")?) {
                first_start = first_start.min(s);
                last_end = last_end.max(e);
            }
        }
        Ok(())
    })?;
    let mut notes = vec!["one row per request; latencies converted to ms from the units in the header".to_string()];
    if !has_tpot && !itl_as_tpot.is_empty() {
        samples.tpot_ms = itl_as_tpot;
        notes.push("a per-request ITL column is each request's mean gap: reported as TPOT".to_string());
    }
    let point = MeasuredPoint::from_samples(samples, &[], failed, Some(last_end - first_start));
    if start.is_none() || end.is_none() {
        notes.push("no start_time / end_time columns: throughput unknown".to_string());
    }
    Ok(MeasuredRun {
        tool: "csv".to_string(),
        tool_version: None,
        format: FileLayout::CsvPerRequest.id().to_string(),
        model: None,
        points: vec![point],
        notes,
    })
}
