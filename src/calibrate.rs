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
    abs_pct_error, fit_calibration_with, median_abs_error_pct, Measured, MeasuredPoint, MeasuredRun, Observation,
    ObservedLoad, ObservedMetric, PreparedObservation,
};
use crate::perf::{Calibration, MemoryPolicy};
use crate::scenario::limits::{MAX_CONCURRENCY, MAX_CV, MAX_MEASURED_POINTS, MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use crate::scenario::{CalibrationSource, MeasuredInput, ResolvedScenario, Scenario};
use crate::sim::{steps_words, WorkBudget, MAX_WORK_PER_CALL};
use serde::Serialize;

/// Loss evaluations of a fit to measurements (each simulates every measured level).
const MAX_EVALUATIONS: usize = 300;
/// Fewest evaluations a fit is worth running: the minimiser's first simplex takes eight.
const MIN_EVALUATIONS: u64 = 20;
/// What the fit's evaluations may simulate in all (`sim::WorkBudget`'s units): half of what
/// one call may spend, the other half left for the answer a scenario with measurements asks.
const FIT_WORK: u64 = MAX_WORK_PER_CALL / 2;
/// How much more than at the built-in factors one level's prediction may take under other
/// factors (a slower server queues more); beyond it the factors are taken as wrong.
const WORK_GROWTH: u64 = 2;
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
    /// Present when the work a calibration may spend shortened the fit: it ran fewer
    /// evaluations, or kept the built-in factors (the fitted ones made a point's simulation
    /// outgrow its bound).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// "1st", "2nd", "3rd", "4th", ...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
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

/// The observation one measured point gives (its mean and p95 TTFT, mean inter-token gap and
/// output throughput), or why it gives none.
fn observation(
    scenario: &ResolvedScenario,
    deployment: &Deployment,
    index: usize,
    point: &MeasuredPoint,
) -> std::result::Result<Observation, String> {
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
    let measured: Vec<Measured> = [
        (ObservedMetric::TtftMeanMs, point.ttft_ms.mean),
        (ObservedMetric::TtftP95Ms, point.ttft_ms.p95),
        (ObservedMetric::ItlMeanMs, itl_mean),
        (ObservedMetric::OutputTokensPerSecond, point.output_tokens_per_second),
    ]
    .into_iter()
    .filter_map(|(metric, value)| {
        value.filter(|v| *v > 0.0 && v.is_finite()).map(|value| Measured {
            line: index,
            metric,
            value,
        })
    })
    .collect();
    if measured.is_empty() {
        return Err(format!(
            "point {index}: no mean TTFT, inter-token latency or output throughput"
        ));
    }
    Ok(Observation {
        file: "measured".to_string(),
        source: "measured".to_string(),
        model: scenario.model.clone(),
        gpu: scenario.gpu.clone(),
        deployment: Deployment {
            replicas: 1,
            ..*deployment
        },
        data_parallel: deployment.replicas,
        memory_policy: MemoryPolicy::for_engine(deployment.engine),
        prompt_tokens: prompt.round() as u32,
        output_tokens: output.round() as u32,
        load,
        measured,
    })
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
        match observation(scenario, deployment, index, point).and_then(PreparedObservation::new) {
            Ok(row) => prepared.push(row),
            Err(reason) if reason.starts_with("point ") => skipped.push(reason),
            Err(reason) => skipped.push(format!("point {index}: {reason}")),
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
    let built_in = Calibration::built_in(&scenario.gpu, deployment.engine);
    // Each evaluation simulates every level: as many as the work allows, at most
    // `MAX_EVALUATIONS`, each level bounded to a multiple of its work at the built-in factors.
    let most_work_per_evaluation = FIT_WORK / MIN_EVALUATIONS;
    let mut first_work = Vec::new();
    let mut work_per_evaluation = 0;
    for (index, row) in prepared.iter().enumerate() {
        let Some(work) = row.prediction_work(&built_in, most_work_per_evaluation - work_per_evaluation) else {
            return Err(Error::invalid(
                "measured.runs",
                format!(
                    "points whose simulation takes at most {} in all: fewer points, fewer requests or users \
                     per point, or shorter requests",
                    steps_words(most_work_per_evaluation)
                ),
                format!("more by the {} usable point", ordinal(index + 1)),
            ));
        };
        first_work.push(work);
        work_per_evaluation += work;
    }
    let evaluations = (FIT_WORK / work_per_evaluation.max(1)).min(MAX_EVALUATIONS as u64) as usize;
    // The evaluations draw on `FIT_WORK` (a prediction it cannot pay for is NaN, the worst
    // of losses), the predictions after the fit on their own bounds only.
    let bound = |prepared: &mut [PreparedObservation], work: &WorkBudget| {
        for (row, first) in prepared.iter_mut().zip(&first_work) {
            row.bound_work(first.max(&1) * WORK_GROWTH, work.clone());
        }
    };
    let (fit_work, report_work) = (WorkBudget::with_limit(FIT_WORK), WorkBudget::with_limit(u64::MAX));
    bound(&mut prepared, &fit_work);
    let fitted = {
        let rows: Vec<&PreparedObservation> = prepared.iter().collect();
        fit_calibration_with(&rows, built_in, evaluations)
    };
    bound(&mut prepared, &report_work);
    let rows: Vec<&PreparedObservation> = prepared.iter().collect();
    // Factors under which a point outgrows its bound are no answer: the built-in ones stand.
    let within_bounds = rows.iter().all(|row| row.try_predict(&fitted).is_some());
    let calibration = if within_bounds { fitted } else { built_in };
    let observations: Vec<FittedObservation> = rows
        .iter()
        .flat_map(|row| {
            let predicted = row.predict(&calibration);
            row.observation
                .measured
                .iter()
                .zip(predicted)
                .map(|(m, predicted)| FittedObservation {
                    point: m.line,
                    metric: m.metric.id(),
                    measured: m.value,
                    predicted,
                    error_pct: abs_pct_error(predicted, m.value),
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (fitted_error_pct, built_in_error_pct) = (
        median_abs_error_pct(&rows, |_| calibration),
        median_abs_error_pct(&rows, |_| built_in),
    );
    // The call's budget pays for all of it.
    scenario
        .work
        .charge(work_per_evaluation + fit_work.spent() + report_work.spent());
    let note = match (within_bounds, evaluations < MAX_EVALUATIONS) {
        (false, _) => Some(
            "the built-in factors are kept: under the fitted ones a point took more than twice its \
             simulation at the built-in factors, beyond what a calibration may spend"
                .to_string(),
        ),
        (true, true) => Some(format!(
            "the fit ran {evaluations} of its {MAX_EVALUATIONS} evaluations: simulating these points \
             {evaluations} times is all the work a calibration may spend"
        )),
        (true, false) => None,
    };
    Ok(CalibrationReport {
        note,
        calibration,
        built_in,
        median_abs_error_pct: fitted_error_pct,
        built_in_median_abs_error_pct: built_in_error_pct,
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
