//! Calibrating to the user's own measurements, and the one step that applies them.
//!
//! Each measured load level of a sweep becomes observations (mean and p95 TTFT, mean
//! inter-token gap, output throughput) of the deployment that was measured, and the cost
//! model's factors are refitted to them, starting from the built-in ones (`calibrate`).
//! `prepare` resolves a scenario and applies its calibration (given, fitted to its
//! measurements, or built in): `predict` and `advise` start from it. Nothing is remembered
//! between calls: a caller that asks many questions of the same measurements calibrates once
//! and passes the factors as `scenario.calibration` (the page and the CLI do).

use crate::domain::Deployment;
use crate::error::{Error, Result};
use crate::measure::{
    abs_pct_error, fit_calibration_with, MeasuredPoint, MeasuredRun, Observation, ObservedLoad, ObservedMetric,
    PreparedObservation,
};
use crate::perf::{Calibration, MemoryPolicy};
use crate::scenario::limits::{MAX_CONCURRENCY, MAX_CV, MAX_MEASURED_POINTS, MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use crate::scenario::{CalibrationSource, MeasuredInput, ResolvedScenario, Scenario};
use crate::stats::median;
use serde::Serialize;

/// Loss evaluations of a fit to measurements (each simulates every measured level).
const MAX_EVALUATIONS: usize = 300;
/// Requests simulated per measured level: the level's completed count, at most this.
const MAX_REQUESTS_PER_LEVEL: u32 = 1000;

/// The fitted factors, and how well they and the built-in ones reproduce the measurements.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalibrationReport {
    pub calibration: Calibration,
    /// The built-in factors the fit started from.
    pub built_in: Calibration,
    /// Median |predicted / measured - 1| in percent over every observation, after the fit.
    pub median_abs_error_pct: f64,
    /// The same with the built-in factors.
    pub built_in_median_abs_error_pct: f64,
    pub observations: Vec<FittedObservation>,
    /// Measured points that could not be used, and why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FittedObservation {
    /// Index of the point in the sweep.
    pub point: usize,
    pub metric: &'static str,
    pub measured: f64,
    pub predicted: f64,
    pub error_pct: f64,
}

/// The observations one measured point gives, or why it gives none.
fn observations(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    index: usize,
    point: &MeasuredPoint,
) -> std::result::Result<Vec<Observation>, String> {
    let (Some(prompt), Some(output)) = (point.prompt_tokens_mean, point.output_tokens_mean) else {
        return Err(format!("point {index}: no mean prompt and output token counts"));
    };
    if !(prompt >= 1.0 && output >= 1.0 && prompt <= MAX_PROMPT_TOKENS && output <= MAX_OUTPUT_TOKENS) {
        return Err(format!(
            "point {index}: token counts {prompt} / {output} are out of range"
        ));
    }
    let requests = (point.completed.max(1) as u32).min(MAX_REQUESTS_PER_LEVEL);
    let load = match (point.offered.requests_per_second, point.offered.concurrency) {
        (Some(rate), _) if rate > 0.0 && rate.is_finite() => ObservedLoad::Rate {
            requests_per_second: rate / f64::from(deployment.replicas),
            arrival_cv: point
                .offered
                .arrival_cv
                .filter(|b| b.is_finite() && *b >= 0.0)
                .unwrap_or(1.0)
                .min(MAX_CV),
            requests,
        },
        (_, Some(users)) if users >= 1.0 && users <= f64::from(MAX_CONCURRENCY) => ObservedLoad::Closed {
            concurrency: (users / f64::from(deployment.replicas)).ceil() as u32,
            requests: requests
                .max(20 * users as u32)
                .min(MAX_REQUESTS_PER_LEVEL.max(users as u32 * 4)),
        },
        _ => {
            return Err(format!(
                "point {index}: the file does not say the offered rate or concurrency"
            ))
        }
    };
    let itl_mean = point.itl_ms.mean.or(point.tpot_ms.mean);
    let per_replica = 1.0 / f64::from(deployment.replicas);
    let measured = [
        (ObservedMetric::TtftMeanMs, point.ttft_ms.mean),
        (ObservedMetric::TtftP95Ms, point.ttft_ms.p95),
        (ObservedMetric::ItlMeanMs, itl_mean),
        (
            ObservedMetric::OutputTokensPerSecond,
            point.output_tokens_per_second.map(|t| t * per_replica),
        ),
    ];
    let observations: Vec<Observation> = measured
        .into_iter()
        .filter_map(|(metric, value)| value.filter(|v| *v > 0.0 && v.is_finite()).map(|value| (metric, value)))
        .map(|(metric, value)| Observation {
            line: index,
            source: "measured".to_string(),
            model: scenario.model.clone(),
            gpu: scenario.gpu.clone(),
            deployment: Deployment {
                replicas: 1,
                ..*deployment
            },
            memory_policy: MemoryPolicy::for_engine(deployment.engine),
            prompt_tokens: prompt.round() as u32,
            output_tokens: output.round() as u32,
            load,
            metric,
            value,
        })
        .collect();
    if observations.is_empty() {
        return Err(format!(
            "point {index}: no mean TTFT, inter-token latency or output throughput"
        ));
    }
    Ok(observations)
}

/// Fits the factors to `runs`, measured on `deployment` of the scenario's model and GPU.
pub fn fit_to_measurements(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    runs: &[MeasuredRun],
) -> Result<CalibrationReport> {
    let points: Vec<&MeasuredPoint> = runs.iter().flat_map(|run| &run.points).collect();
    if points.len() > MAX_MEASURED_POINTS {
        return Err(Error::invalid(
            "measured.runs",
            format!("at most {MAX_MEASURED_POINTS} measured points in all"),
            points.len(),
        ));
    }
    let mut skipped = Vec::new();
    let mut prepared = Vec::new();
    for (index, point) in points.iter().enumerate() {
        match observations(scenario, deployment, index, point) {
            Ok(observations) => {
                for observation in observations {
                    match PreparedObservation::new(observation) {
                        Ok(row) => prepared.push(row),
                        Err(reason) => skipped.push(format!("point {index}: {reason}")),
                    }
                }
            }
            Err(reason) => skipped.push(reason),
        }
    }
    if prepared.is_empty() {
        return Err(Error::invalid(
            "measured.runs",
            "points with an offered rate or concurrency, mean token counts and latencies",
            if skipped.is_empty() {
                "no points".to_string()
            } else {
                skipped.join("; ")
            },
        ));
    }
    let built_in = Calibration::for_gpu(&scenario.gpu);
    let rows: Vec<&PreparedObservation> = prepared.iter().collect();
    let fit = fit_calibration_with(&rows, built_in, MAX_EVALUATIONS);
    let errors = |calibration: &Calibration| -> Vec<f64> {
        rows.iter()
            .map(|row| abs_pct_error(row.predict(calibration), row.observation.value))
            .collect()
    };
    let observations = rows
        .iter()
        .map(|row| {
            let predicted = row.predict(&fit.calibration);
            FittedObservation {
                point: row.observation.line,
                metric: row.observation.metric.id(),
                measured: row.observation.value,
                predicted,
                error_pct: abs_pct_error(predicted, row.observation.value),
            }
        })
        .collect();
    Ok(CalibrationReport {
        calibration: fit.calibration,
        built_in,
        median_abs_error_pct: median(&mut errors(&fit.calibration)),
        built_in_median_abs_error_pct: median(&mut errors(&built_in)),
        observations,
        skipped,
    })
}

/// Fits the factors to the measurements a scenario carries (`scenario.measured`), starting
/// from the built-in factors whatever `scenario.calibration` says.
pub fn calibrate(scenario: &Scenario) -> Result<CalibrationReport> {
    let Some(measured) = &scenario.measured else {
        return Err(Error::invalid(
            "measured",
            "given: { config, runs } with the runs importBenchmark returns",
            "nothing",
        ));
    };
    let uncalibrated = Scenario {
        measured: None,
        calibration: None,
        ..scenario.clone()
    };
    fit_measured_deployment(&uncalibrated.resolve()?, measured)
}

/// The scenario, resolved, with the factors its answers use: those given in
/// `scenario.calibration`, else fitted to `scenario.measured`, else the built-in ones.
pub fn prepare(scenario: &Scenario) -> Result<ResolvedScenario> {
    let mut resolved = scenario.resolve()?;
    if let (CalibrationSource::BuiltIn, Some(measured)) = (&resolved.calibration_source, &scenario.measured) {
        let report = fit_measured_deployment(&resolved, measured)?;
        resolved.calibration_source = CalibrationSource::Fitted {
            calibration: report.calibration,
            summary: format!(
                "fitted to {} measured observations: median error {:.1}% (built-in factors: {:.1}%)",
                report.observations.len(),
                report.median_abs_error_pct,
                report.built_in_median_abs_error_pct
            ),
        };
    }
    Ok(resolved)
}

/// Fits to `measured`, whose deployment (`measured.config`) is resolved against `scenario`.
fn fit_measured_deployment(scenario: &ResolvedScenario, measured: &MeasuredInput) -> Result<CalibrationReport> {
    let deployment = measured.config.resolve(scenario)?;
    fit_to_measurements(scenario, &deployment, &measured.runs)
}
