//! How far off a prediction may be: the error band every prediction carries
//! (ARCHITECTURE.md, "Error bands").

use crate::domain::{Deployment, Metric};
use crate::perf::{Calibration, CalibrationCase, ErrorBands, BAND_COVERAGE};
use crate::scenario::{CalibrationSource, ResolvedScenario};
use serde::Serialize;

/// Relative factors r per metric: the measured value lies in [predicted / (1 + r),
/// predicted x (1 + r)] with probability `coverage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBand {
    pub coverage: f64,
    pub throughput: f64,
    pub ttft: f64,
    pub tpot: f64,
    pub itl: f64,
    pub e2e: f64,
    /// Whether the factors were fitted on data of this GPU family, engine and precision
    /// (calibrated), borrowed from others (extrapolated), or pooled for a GPU with no family
    /// (uncalibrated).
    pub calibration_source: CalibrationCase,
    pub basis: String,
}

impl ErrorBand {
    pub fn new(scenario: &ResolvedScenario, deployment: &Deployment) -> ErrorBand {
        let gpu = &scenario.gpu;
        let (case, basis) = match &scenario.calibration_source {
            CalibrationSource::BuiltIn => {
                let case = Calibration::built_in_case(gpu, deployment.engine, deployment.precision);
                let why = match case {
                    CalibrationCase::Calibrated => format!(
                        "the built-in factors' cross-validated errors on {} measurements (models left out)",
                        gpu.family.map_or("pooled", |f| f.id())
                    ),
                    CalibrationCase::Extrapolated => format!(
                        "no published {} measurements of {} in {}: the errors of predicting a GPU family or engine \
                         left out of the fit",
                        deployment.engine.name(),
                        gpu.family.map_or("this GPU", |f| f.id()),
                        deployment.precision
                    ),
                    CalibrationCase::Uncalibrated => {
                        "a custom GPU names no family: the errors of predicting a GPU family left out of the fit"
                            .to_string()
                    }
                };
                (case, why)
            }
            CalibrationSource::Given(_) => (
                CalibrationCase::Calibrated,
                "factors given in the scenario, taken as fitted to measurements of this deployment: the built-in \
                 factors' cross-validated errors"
                    .to_string(),
            ),
            CalibrationSource::Fitted { .. } => (
                CalibrationCase::Calibrated,
                "factors fitted to the scenario's measurements: the built-in factors' cross-validated errors"
                    .to_string(),
            ),
        };
        let bands = ErrorBands::built_in(case, gpu.family);
        // In whole percent, as every text shows them: the JSON and the words agree to the figure.
        let whole_percent = |r: f64| (r * 100.0).round() / 100.0;
        ErrorBand {
            coverage: BAND_COVERAGE,
            throughput: whole_percent(bands.throughput),
            ttft: whole_percent(bands.ttft),
            tpot: whole_percent(bands.decode),
            itl: whole_percent(bands.decode),
            e2e: whole_percent(bands.e2e),
            calibration_source: case,
            basis: format!(
                "{:.0}% of measured values lie within the band: {basis}",
                BAND_COVERAGE * 100.0
            ),
        }
    }

    /// The band of a latency metric.
    pub fn for_metric(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Ttft => self.ttft,
            Metric::Tpot => self.tpot,
            Metric::Itl => self.itl,
            Metric::E2e => self.e2e,
        }
    }
}
