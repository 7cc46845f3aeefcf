//! Fits the cost model's calibration factors to observations, and predicts an observation under
//! given factors.
//!
//! An offline run's schedule (which requests run in which iteration) does not depend on how
//! long iterations take: everything is queued at time zero and the scheduler only counts
//! tokens. So an offline observation is simulated once, its iterations' physical work is kept,
//! and any calibration is then costed by summing `time(work)` over them: a fit over hundreds of
//! runs evaluates in milliseconds. Online observations are simulated afresh.

use super::published::{Observation, ObservedLoad, ObservedMetric};
use crate::catalog::{GpuFamily, GpuSpec};
use crate::domain::LengthDistribution;
use crate::perf::{Calibration, CostModel, MemoryPlan, Work};
use crate::sim::{self, Admission, Arrivals};
use crate::stats::{minimize, weighted_summary};

/// Seed of every calibration simulation (fixed: the fit is reproducible).
const SEED: u64 = 1;

/// An observation ready to predict under any calibration.
pub struct PreparedObservation {
    pub observation: Observation,
    memory: MemoryPlan,
    /// Offline runs: the work of each iteration and the output tokens generated.
    offline: Option<(Vec<Work>, f64)>,
}

impl PreparedObservation {
    /// Prepares `observation`, or says why it cannot be modelled.
    pub fn new(observation: Observation) -> Result<PreparedObservation, String> {
        let memory = MemoryPlan::with_policy(
            &observation.model,
            &observation.gpu,
            &observation.deployment,
            observation.memory_policy,
        );
        if !memory.weights_fit {
            return Err(format!(
                "weights of {:.1} GB per GPU do not fit the model's memory plan ({:.1} GB usable)",
                memory.weights_gb_per_gpu, memory.usable_gb_per_gpu
            ));
        }
        let request_tokens = u64::from(observation.prompt_tokens) + u64::from(observation.output_tokens);
        if memory.kv_capacity_tokens < request_tokens {
            return Err(format!(
                "the modelled KV cache ({} tokens) cannot hold one {request_tokens}-token request",
                memory.kv_capacity_tokens
            ));
        }
        let mut prepared = PreparedObservation {
            observation,
            memory,
            offline: None,
        };
        if let ObservedLoad::Offline { .. } = prepared.observation.load {
            let cost = prepared.cost(Calibration::prior(&prepared.observation.gpu));
            let mut works = Vec::new();
            let outcome = prepared.simulate(|batch| {
                works.push(cost.work(batch));
                1e-3
            });
            let output_tokens = outcome.trace.output_tokens_in_window as f64;
            prepared.offline = Some((works, output_tokens));
        }
        Ok(prepared)
    }

    fn cost(&self, calibration: Calibration) -> CostModel {
        let o = &self.observation;
        CostModel::new(&o.model, &o.gpu, &o.deployment, calibration)
    }

    fn simulate(&self, step_time_s: impl FnMut(&crate::perf::Batch) -> f64) -> sim::Outcome {
        let o = &self.observation;
        let (arrivals, requests) = match o.load {
            ObservedLoad::Offline { requests } => (Arrivals::Offline, requests),
            ObservedLoad::Rate {
                requests_per_second,
                arrival_cv,
                requests,
            } => (
                Arrivals::Open {
                    requests_per_second,
                    arrival_cv,
                },
                requests,
            ),
            ObservedLoad::Closed { concurrency, requests } => (Arrivals::Closed { concurrency }, requests),
        };
        let settings = sim::Settings {
            max_batch: o.deployment.max_batch,
            max_batched_tokens: o.deployment.max_batched_tokens,
            kv_capacity_tokens: self.memory.kv_capacity_tokens,
            admission: Admission::for_engine(o.deployment.engine),
        };
        let traffic = sim::Traffic {
            arrivals,
            prompt_tokens: LengthDistribution {
                mean: f64::from(o.prompt_tokens),
                cv: 0.0,
            },
            output_tokens: LengthDistribution {
                mean: f64::from(o.output_tokens),
                cv: 0.0,
            },
            requests,
            // A benchmark client measures every request.
            warm_up_fraction: 0.0,
            seed: SEED,
        };
        sim::simulate(&settings, &traffic, (o.prompt_tokens, o.output_tokens), step_time_s)
    }

    /// The observation's metric as the model predicts it under `calibration`.
    pub fn predict(&self, calibration: &Calibration) -> f64 {
        let o = &self.observation;
        let cost = self.cost(*calibration);
        let tokens_per_request = f64::from(o.prompt_tokens + o.output_tokens) / f64::from(o.output_tokens);
        if let Some((works, output_tokens)) = &self.offline {
            if !o.metric.is_latency() {
                let makespan_s: f64 = works.iter().map(|work| cost.time_s(work, calibration)).sum();
                let output_per_s = output_tokens / makespan_s;
                return match o.metric {
                    ObservedMetric::OutputTokensPerSecond => output_per_s,
                    ObservedMetric::TotalTokensPerSecond => output_per_s * tokens_per_request,
                    _ => output_per_s / f64::from(o.output_tokens),
                };
            }
        }
        let mut outcome = self.simulate(|batch| cost.step_time_s(batch));
        match o.metric {
            ObservedMetric::OutputTokensPerSecond => outcome.output_tokens_per_second(),
            ObservedMetric::TotalTokensPerSecond => outcome.output_tokens_per_second() * tokens_per_request,
            ObservedMetric::RequestsPerSecond => outcome.requests_per_second(),
            ObservedMetric::TtftMeanMs => {
                let n = outcome.measured.len().max(1) as f64;
                outcome.measured.iter().map(|r| r.ttft_s).sum::<f64>() / n * 1e3
            }
            ObservedMetric::TtftP95Ms => {
                let mut ttft_ms: Vec<f64> = outcome.measured.iter().map(|r| r.ttft_s * 1e3).collect();
                ttft_ms.sort_unstable_by(f64::total_cmp);
                crate::stats::percentile_of_sorted(&ttft_ms, 95.0)
            }
            ObservedMetric::ItlMeanMs => {
                weighted_summary(&mut outcome.trace.inter_token_gaps).map_or(f64::NAN, |summary| summary.mean * 1e3)
            }
        }
    }

    /// Whether the fit uses this observation: offline throughput (see `fit_calibration`).
    pub fn used_in_fit(&self) -> bool {
        self.offline.is_some() && self.observation.is_offline() && !self.observation.metric.is_latency()
    }
}

/// A fitted calibration and how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub calibration: Calibration,
    pub rows: usize,
    /// Median absolute percentage error over the fitted rows.
    pub median_abs_error_pct: f64,
}

/// Weight of the pull towards the prior factors, per squared log-ratio: small, so the data
/// decides where it can, but factors the data cannot tell apart (say a fixed overhead against
/// a slightly lower bandwidth efficiency) stay physically plausible.
const PRIOR_WEIGHT: f64 = 0.01;

/// Fits the five factors to `rows` by minimising their mean absolute log error (robust to a
/// few odd rows) with a weak pull towards the prior. Efficiencies stay in (0, 1].
pub fn fit_calibration(rows: &[&PreparedObservation], prior: Calibration) -> Fit {
    fit_calibration_with(rows, prior, 800)
}

/// [`fit_calibration`] with a bound on loss evaluations (each simulates every online row).
pub fn fit_calibration_with(rows: &[&PreparedObservation], prior: Calibration, max_evaluations: usize) -> Fit {
    let to_point = |c: &Calibration| {
        vec![
            logit(c.memory_efficiency),
            logit(c.compute_efficiency),
            libm::log(c.allreduce_latency_us),
            logit(c.interconnect_efficiency),
            libm::log(c.step_overhead_ms),
        ]
    };
    let from_point = |x: &[f64]| Calibration {
        memory_efficiency: sigmoid(x[0]),
        compute_efficiency: sigmoid(x[1]),
        allreduce_latency_us: libm::exp(x[2]),
        interconnect_efficiency: sigmoid(x[3]),
        step_overhead_ms: libm::exp(x[4]),
    };
    let prior_point = to_point(&prior);
    let loss = |x: &[f64]| {
        let calibration = from_point(x);
        let data: f64 = rows
            .iter()
            .map(|row| libm::log(row.predict(&calibration) / row.observation.value).abs())
            .sum::<f64>()
            / rows.len().max(1) as f64;
        let pull: f64 = x.iter().zip(&prior_point).map(|(a, b)| (a - b) * (a - b)).sum();
        data + PRIOR_WEIGHT * pull
    };
    let minimum = minimize(loss, &prior_point, &[0.5; 5], max_evaluations, 1e-7);
    let calibration = from_point(&minimum.point);
    let mut errors: Vec<f64> = rows
        .iter()
        .map(|row| abs_pct_error(row.predict(&calibration), row.observation.value))
        .collect();
    Fit {
        calibration,
        rows: rows.len(),
        median_abs_error_pct: crate::stats::median(&mut errors),
    }
}

/// |predicted / measured - 1| in percent.
pub fn abs_pct_error(predicted: f64, measured: f64) -> f64 {
    (predicted / measured - 1.0).abs() * 100.0
}

fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

/// Fewest fitted rows for a GPU family to get factors of its own; families with fewer use the
/// pooled fit.
pub const MIN_FAMILY_ROWS: usize = 20;

/// Factors fitted per GPU family, and pooled over all rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFits {
    pub pooled: Fit,
    pub by_family: Vec<(GpuFamily, Fit)>,
}

impl FamilyFits {
    /// Fits the offline throughput rows among `rows` (see [`PreparedObservation::used_in_fit`]).
    pub fn fit(rows: &[&PreparedObservation]) -> FamilyFits {
        let fitted: Vec<&PreparedObservation> = rows.iter().copied().filter(|row| row.used_in_fit()).collect();
        // The prior depends on the interconnect only; fits start from the first row's.
        let prior = |rows: &[&PreparedObservation]| match rows.first() {
            Some(row) => Calibration::prior(&row.observation.gpu),
            None => Calibration::prior(&crate::catalog::catalog().gpus[0].spec),
        };
        let pooled = fit_calibration(&fitted, prior(&fitted));
        let by_family = GpuFamily::ALL
            .into_iter()
            .filter_map(|family| {
                let members: Vec<&PreparedObservation> = fitted
                    .iter()
                    .copied()
                    .filter(|row| row.observation.gpu.family == Some(family))
                    .collect();
                (members.len() >= MIN_FAMILY_ROWS).then(|| (family, fit_calibration(&members, prior(&members))))
            })
            .collect();
        FamilyFits { pooled, by_family }
    }

    /// The factors these fits give a GPU: its family's, else the pooled ones.
    pub fn for_gpu(&self, gpu: &GpuSpec) -> Calibration {
        let by_family: Vec<(GpuFamily, Calibration)> = self
            .by_family
            .iter()
            .map(|(family, fit)| (*family, fit.calibration))
            .collect();
        Calibration::of_family(gpu.family, &by_family, self.pooled.calibration)
    }
}
