//! A scenario after validation: the catalog's entries looked up, the use case's preset applied
//! where the scenario is silent, every number checked against its limit. Each error names the
//! field and the value. Pure: the same input gives the same result, and nothing is simulated.

use super::limits::*;
use super::{GpuRef, Lengths, LengthsInput, Load, ModelRef, Scenario, Slo, Slos};
use crate::catalog::{self, GpuSpec, ModelSpec};
use crate::domain::{LengthDistribution, LoadKind, Metric, Precision, ServingEngine, SloTarget, UseCase};
use crate::error::{check, Error, Result};
use crate::perf::Calibration;
use crate::sim::WorkBudget;

/// A scenario after validation: catalog entries resolved, defaults applied, every number checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedScenario {
    pub use_case: UseCase,
    pub model: ModelSpec,
    pub gpu: GpuSpec,
    pub gpu_count: u32,
    pub price_per_gpu_hour: Option<f64>,
    pub prompt_tokens: LengthDistribution,
    pub output_tokens: LengthDistribution,
    pub load: LoadKind,
    pub slos: Vec<SloTarget>,
    /// The precisions allowed and supported by the GPU, in the order given.
    pub precisions: Vec<Precision>,
    /// The engine, when the scenario decides it.
    pub engine: Option<ServingEngine>,
    pub seed: u64,
    pub calibration_source: CalibrationSource,
    /// What the call answering this scenario may still simulate (shared by its variants).
    pub work: WorkBudget,
}

/// Where the cost model's factors come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrationSource {
    /// The built-in factors of whatever GPU the scenario runs on, for the engine each deployment
    /// names (`Calibration::built_in`).
    BuiltIn,
    /// Given in the scenario (`calibration`).
    Given(Calibration),
    /// Fitted to the scenario's measurements (`measured`), with the fit's figures in words.
    Fitted { calibration: Calibration, summary: String },
}

impl CalibrationSource {
    /// The factors for `gpu` run by `engine`: given, fitted to the measurements, or built in for
    /// its family and the engine.
    pub fn factors(&self, gpu: &GpuSpec, engine: ServingEngine) -> Calibration {
        match self {
            CalibrationSource::BuiltIn => Calibration::built_in(gpu, engine),
            CalibrationSource::Given(calibration) | CalibrationSource::Fitted { calibration, .. } => *calibration,
        }
    }

    /// Where the factors for `gpu` run by `engine` come from, in words.
    pub fn describe(&self, gpu: &GpuSpec, engine: ServingEngine) -> String {
        match self {
            CalibrationSource::BuiltIn => Calibration::built_in_source(gpu, engine),
            CalibrationSource::Given(_) => "given in the scenario".to_string(),
            CalibrationSource::Fitted { summary, .. } => summary.clone(),
        }
    }
}

impl ResolvedScenario {
    /// The cost model's factors for this scenario's GPU run by `engine`.
    pub fn calibration(&self, engine: ServingEngine) -> Calibration {
        self.calibration_source.factors(&self.gpu, engine)
    }

    /// The same scenario under another load.
    pub fn with_load(&self, load: LoadKind) -> ResolvedScenario {
        ResolvedScenario { load, ..self.clone() }
    }
}

impl Scenario {
    /// Checks every field, resolves catalog ids and applies the use case's preset. The
    /// calibration is the one given, else the built-in one: measurements are applied by
    /// `crate::calibrate::prepare`.
    pub fn resolve(&self) -> Result<ResolvedScenario> {
        let use_case = match &self.use_case {
            None => UseCase::Custom,
            Some(text) => UseCase::parse("useCase", text)?,
        };
        let model = match &self.model {
            ModelRef::Id(id) => catalog::find_model("model", id)?.clone(),
            ModelRef::Custom(custom) => custom.resolve("model")?,
        };
        let gpu = match &self.fleet.gpu {
            GpuRef::Id(id) => catalog::find_gpu("fleet.gpu", id)?.clone(),
            GpuRef::Custom(custom) => {
                custom.validate("fleet.gpu")?;
                custom.clone()
            }
        };
        let gpu_count = check::positive_integer("fleet.count", self.fleet.count, MAX_GPU_COUNT)?;
        let price_per_gpu_hour = self
            .fleet
            .price_per_gpu_hour
            .map(|price| check::non_negative("fleet.pricePerGpuHour", price, MAX_PRICE_PER_GPU_HOUR))
            .transpose()?;
        let preset = catalog::preset(use_case);
        let prompt_tokens = resolve_lengths(
            self.workload.prompt_tokens.as_ref(),
            "workload.promptTokens",
            MAX_PROMPT_TOKENS,
            preset.map(|p| p.prompt_tokens),
        )?;
        let output_tokens = resolve_lengths(
            self.workload.output_tokens.as_ref(),
            "workload.outputTokens",
            MAX_OUTPUT_TOKENS,
            preset.map(|p| p.output_tokens),
        )?;
        let load = self.workload.load.resolve("workload.load")?;
        let mut slos = match &self.slo {
            None => preset.map_or_else(Vec::new, |p| p.slos.to_vec()),
            Some(Slos::One(slo)) => vec![slo.resolve("slo")?],
            Some(Slos::Many(slos)) if slos.len() > MAX_SLOS => {
                return Err(Error::invalid(
                    "slo",
                    format!("at most {MAX_SLOS} targets (one per metric and percentile)"),
                    format!("{} targets", slos.len()),
                ))
            }
            Some(Slos::Many(slos)) => slos
                .iter()
                .enumerate()
                .map(|(index, slo)| slo.resolve(&format!("slo[{index}]")))
                .collect::<Result<_>>()?,
        };
        // One-token outputs have no gap between tokens: a TPOT or ITL target means nothing.
        if output_tokens.cv == 0.0 && output_tokens.mean < 1.5 {
            match &self.slo {
                None => slos.retain(|slo| !slo.metric.is_gap()),
                Some(given) => {
                    if let Some(index) = slos.iter().position(|slo| slo.metric.is_gap()) {
                        let field = match given {
                            Slos::One(_) => "slo.metric".to_string(),
                            Slos::Many(_) => format!("slo[{index}].metric"),
                        };
                        return Err(Error::invalid(
                            field,
                            "ttft or e2e when every output is a single token (there is no gap between tokens)",
                            slos[index].metric.id(),
                        ));
                    }
                }
            }
        }
        let precisions = match &self.precisions {
            None => Precision::DEFAULT.into_iter().filter(|&p| gpu.supports(p)).collect(),
            Some(ids) => resolve_precisions(ids, &gpu)?,
        };
        let engine = self
            .engine
            .as_deref()
            .map(|id| ServingEngine::parse("engine", id))
            .transpose()?;
        if let Some(engine) = engine {
            gpu.check_runs("engine", engine)?;
        }
        let seed = match self.seed {
            None => 1,
            Some(seed) if seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0 && seed <= MAX_SEED => seed as u64,
            Some(seed) => return Err(Error::invalid("seed", format!("an integer from 0 to {MAX_SEED}"), seed)),
        };
        let calibration_source = match &self.calibration {
            Some(given) => CalibrationSource::Given(check_calibration(given)?),
            None => CalibrationSource::BuiltIn,
        };
        Ok(ResolvedScenario {
            use_case,
            model,
            gpu,
            gpu_count,
            price_per_gpu_hour,
            prompt_tokens,
            output_tokens,
            load,
            slos,
            precisions,
            engine,
            seed,
            calibration_source,
            work: WorkBudget::new(),
        })
    }
}

/// Request lengths as given, else the preset's; an error when there is neither. A spread not
/// given is the preset's (0 without one): the same number means the same workload whether it
/// comes from the page, the command line or a file.
fn resolve_lengths(
    given: Option<&Lengths>,
    field: &str,
    max_tokens: f64,
    preset: Option<LengthDistribution>,
) -> Result<LengthDistribution> {
    let preset_cv = preset.map_or(0.0, |preset| preset.cv);
    match (given, preset) {
        (Some(Lengths::Mean(tokens)), _) => Ok(LengthDistribution {
            mean: check::positive(field, *tokens, max_tokens)?,
            cv: preset_cv,
        }),
        (Some(Lengths::Distribution(LengthsInput { mean, cv })), _) => Ok(LengthDistribution {
            mean: check::positive(&format!("{field}.mean"), *mean, max_tokens)?,
            cv: match cv {
                Some(cv) => check::non_negative(&format!("{field}.cv"), *cv, MAX_CV)?,
                None => preset_cv,
            },
        }),
        (None, Some(preset)) => Ok(preset),
        (None, None) => {
            let with_presets: Vec<&str> = UseCase::ALL
                .into_iter()
                .filter(|&use_case| catalog::preset(use_case).is_some())
                .map(UseCase::id)
                .collect();
            Err(Error::invalid(
                field,
                format!(
                    "given (or set useCase to one with a preset: {})",
                    with_presets.join(", ")
                ),
                "nothing",
            ))
        }
    }
}

/// Calibration factors given in a scenario: efficiencies in (0, 1], costs within bounds.
fn check_calibration(calibration: &Calibration) -> Result<Calibration> {
    let fraction = |field: &str, value: f64| {
        if value.is_finite() && value > 0.0 && value <= 1.0 {
            Ok(value)
        } else {
            Err(Error::invalid(
                format!("calibration.{field}"),
                "a fraction in (0, 1]",
                value,
            ))
        }
    };
    Ok(Calibration {
        memory_efficiency: fraction("memoryEfficiency", calibration.memory_efficiency)?,
        compute_efficiency: fraction("computeEfficiency", calibration.compute_efficiency)?,
        interconnect_efficiency: fraction("interconnectEfficiency", calibration.interconnect_efficiency)?,
        allreduce_latency_us: check::non_negative(
            "calibration.allreduceLatencyUs",
            calibration.allreduce_latency_us,
            MAX_ALLREDUCE_LATENCY_US,
        )?,
        step_overhead_ms: check::non_negative(
            "calibration.stepOverheadMs",
            calibration.step_overhead_ms,
            MAX_STEP_OVERHEAD_MS,
        )?,
        layer_overhead_us: check::non_negative(
            "calibration.layerOverheadUs",
            calibration.layer_overhead_us,
            MAX_LAYER_OVERHEAD_US,
        )?,
        unoverlapped_fraction: check::non_negative(
            "calibration.unoverlappedFraction",
            calibration.unoverlapped_fraction,
            1.0,
        )?,
    })
}

fn resolve_precisions(ids: &[String], gpu: &GpuSpec) -> Result<Vec<Precision>> {
    if ids.is_empty() {
        return Err(Error::invalid("precisions", "a non-empty list", "[]"));
    }
    let mut precisions = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let precision = Precision::parse(&format!("precisions[{index}]"), id)?;
        if gpu.supports(precision) && !precisions.contains(&precision) {
            precisions.push(precision);
        }
    }
    if precisions.is_empty() {
        return Err(Error::invalid(
            "precisions",
            format!(
                "a list with at least one precision {} supports ({})",
                gpu.id,
                gpu.supported_precision_ids()
            ),
            format!("[{}]", ids.join(", ")),
        ));
    }
    Ok(precisions)
}

impl Load {
    fn resolve(&self, field: &str) -> Result<LoadKind> {
        let given: Vec<&str> = [
            ("requestsPerSecond", self.requests_per_second.is_some()),
            ("requestsPerHour", self.requests_per_hour.is_some()),
            ("concurrency", self.concurrency.is_some()),
            ("offline", self.offline.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
        if given.len() != 1 {
            return Err(Error::invalid(
                field,
                "exactly one of requestsPerSecond, requestsPerHour, concurrency or offline",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(" and ")
                },
            ));
        }
        let path = |name: &str| format!("{field}.{name}");
        let open_loop = self.requests_per_second.is_some() || self.requests_per_hour.is_some();
        if !open_loop {
            if let Some(burstiness) = self.burstiness {
                return Err(Error::invalid(
                    path("burstiness"),
                    "left out unless the load is a request rate",
                    burstiness,
                ));
            }
        }
        if self.offline.is_none() {
            if let Some(requests) = self.requests {
                return Err(Error::invalid(
                    path("requests"),
                    "left out unless the load is offline",
                    requests,
                ));
            }
        }
        // vLLM's `--burstiness` is the shape k of gamma-distributed gaps, whose coefficient of
        // variation is 1 / sqrt(k): 1 is Poisson, below 1 burstier, above 1 smoother.
        let arrival_cv = || {
            let shape = self.burstiness.unwrap_or(1.0);
            check::within(&path("burstiness"), shape, MIN_BURSTINESS, MAX_BURSTINESS).map(|shape| 1.0 / shape.sqrt())
        };
        if let Some(rate) = self.requests_per_second {
            return Ok(LoadKind::Open {
                requests_per_second: check::within(
                    &path("requestsPerSecond"),
                    rate,
                    MIN_REQUESTS_PER_SECOND,
                    MAX_REQUESTS_PER_SECOND,
                )?,
                arrival_cv: arrival_cv()?,
            });
        }
        if let Some(rate) = self.requests_per_hour {
            let per_hour = check::within(
                &path("requestsPerHour"),
                rate,
                MIN_REQUESTS_PER_SECOND * 3600.0,
                MAX_REQUESTS_PER_SECOND * 3600.0,
            )?;
            return Ok(LoadKind::Open {
                requests_per_second: per_hour / 3600.0,
                arrival_cv: arrival_cv()?,
            });
        }
        if let Some(users) = self.concurrency {
            return Ok(LoadKind::Closed {
                concurrency: check::positive_integer(&path("concurrency"), users, MAX_CONCURRENCY)?,
            });
        }
        if self.offline != Some(true) {
            return Err(Error::invalid(
                path("offline"),
                "true (leave it out for an online load)",
                "false",
            ));
        }
        let requests = match self.requests {
            None => DEFAULT_OFFLINE_REQUESTS,
            Some(requests) => check::positive_integer(&path("requests"), requests, MAX_OFFLINE_REQUESTS)?,
        };
        Ok(LoadKind::Offline { requests })
    }
}

impl Slo {
    fn resolve(&self, field: &str) -> Result<SloTarget> {
        let metric = Metric::parse(&format!("{field}.metric"), &self.metric)?;
        let percentile = self.percentile.unwrap_or(SloTarget::DEFAULT_PERCENTILE);
        if !(percentile.is_finite() && percentile > 0.0 && percentile < 100.0) {
            return Err(Error::invalid(
                format!("{field}.percentile"),
                "between 0 and 100 (exclusive)",
                percentile,
            ));
        }
        Ok(SloTarget {
            metric,
            percentile,
            target_ms: check::positive(&format!("{field}.targetMs"), self.target_ms, MAX_TARGET_MS)?,
        })
    }
}
