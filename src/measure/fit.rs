//! Fits the cost model's calibration factors to observations, and predicts an observation under
//! given factors.
//!
//! An offline run's schedule (which requests run in which iteration) does not depend on how
//! long iterations take: everything is queued at time zero and the scheduler only counts
//! tokens. So an offline observation is simulated once, its iterations' physical work and each
//! request's first and last iteration are kept, and any calibration is then costed by summing
//! `time(work)` over them: a fit over thousands of runs evaluates in milliseconds. Online runs
//! are simulated afresh.
//!
//! The built-in factors are fitted in layers (ARCHITECTURE.md, "Calibration"): one pooled set on
//! every run, with a factor pair per engine; then each GPU family's efficiencies, shrunk towards
//! the pooled ones as far as its data is thin; then the engines' factors again, given the
//! families'. Finally a GPU that is faster on every datasheet figure than another is made never
//! slower (`enforce_datasheet_order`).

use super::published::{Measured, MetricFamily, Observation, ObservedLoad, ObservedMetric, REQUESTS_PER_USER};
use crate::catalog::{self, GpuFamily, GpuSpec};
use crate::domain::{LengthDistribution, Precision, ServingEngine};
use crate::perf::{Calibration, CostModel, EngineFactors, MemoryPlan, Work, EFFICIENCY_CEILING};
use crate::sim::{self, Admission, Arrivals, RequestLatency, WorkBudget};
use crate::stats::{minimize, weighted_summary, Summary};

/// Seed of every calibration simulation (fixed: the fit is reproducible).
const SEED: u64 = 1;

/// An observation ready to predict under any calibration.
pub struct PreparedObservation {
    pub observation: Observation,
    memory: MemoryPlan,
    /// Offline runs: their schedule, to cost under any calibration.
    offline: Option<OfflineSchedule>,
    /// Most requests simulated for an online run (a fit may simulate fewer than the run had).
    max_requests: u32,
    /// Most iteration times one prediction of an online run may compute, and the budget its
    /// predictions draw on; a prediction that needs more gives no figures (`bound_work`).
    max_steps: u64,
    work: Option<WorkBudget>,
}

impl PreparedObservation {
    /// Prepares `observation`, or says why it cannot be modelled.
    pub fn new(observation: Observation) -> Result<PreparedObservation, String> {
        PreparedObservation::with_request_bound(observation, u32::MAX)
    }

    /// [`PreparedObservation::new`], simulating at most `max_requests` of an online run.
    pub fn with_request_bound(observation: Observation, max_requests: u32) -> Result<PreparedObservation, String> {
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
            max_requests: max_requests.max(1),
            max_steps: u64::MAX,
            work: None,
        };
        if prepared.observation.is_offline() {
            let cost = prepared.cost(Calibration::PRIOR);
            // Throughput needs only the total time; latencies need each iteration's.
            let latencies = !prepared.observation.throughput_only();
            let mut works = Vec::new();
            let mut decoding = Vec::new();
            // Iterations of one second each: the clock counts them.
            let outcome = prepared.simulate_within(
                |batch| {
                    works.push(cost.work(batch));
                    if latencies {
                        decoding.push(batch.decode_seqs as u32);
                    }
                    1.0
                },
                u64::MAX,
            );
            let iterations = works.len().max(1);
            let iteration = |seconds: f64| (seconds.round() as usize).clamp(1, iterations) - 1;
            let requests = if latencies {
                outcome
                    .measured
                    .iter()
                    .map(|r| (iteration(r.ttft_s), iteration(r.e2e_s), r.output_tokens))
                    .collect()
            } else {
                // Similar iterations are costed together.
                works = merge_similar(works);
                Vec::new()
            };
            prepared.offline = Some(OfflineSchedule {
                output_tokens: outcome.trace.output_tokens_in_window as f64,
                requests,
                works,
                decoding,
            });
        }
        Ok(prepared)
    }

    fn cost(&self, calibration: Calibration) -> CostModel {
        let o = &self.observation;
        CostModel::new(&o.model, &o.gpu, &o.deployment, calibration)
    }

    /// The work one prediction of this observation takes under `calibration`, as
    /// `sim::WorkBudget` counts it (iteration times computed, requests drawn), or `None` when
    /// it would take more than `at_most`.
    pub fn prediction_work(&self, calibration: &Calibration, at_most: u64) -> Option<u64> {
        if let Some(schedule) = &self.offline {
            let work = (schedule.works.len() + schedule.requests.len()) as u64;
            return (work <= at_most).then_some(work);
        }
        let requests = self.simulated_requests();
        let request_work = u64::from(requests) * sim::REQUEST_WORK;
        let max_steps = at_most.checked_sub(request_work)?;
        let cost = self.cost(*calibration);
        let outcome = self.simulate_within(|batch| cost.step_time_s(batch), max_steps);
        (!outcome.trace.out_of_steps).then_some(request_work + outcome.trace.steps)
    }

    /// Bounds every later prediction of an online run to `max_steps` iteration times, and to
    /// what is left of `work`, which it spends: one that needs more predicts nothing (NaN).
    pub fn bound_work(&mut self, max_steps: u64, work: WorkBudget) {
        self.max_steps = max_steps;
        self.work = Some(work);
    }

    /// An online run's simulation within its bounds (`bound_work`), or `None` when it needs more.
    fn simulate(&self, step_time_s: impl FnMut(&crate::perf::Batch) -> f64) -> Option<sim::Outcome> {
        let requests = self.simulated_requests();
        let allowed = self
            .work
            .as_ref()
            .map_or(self.max_steps, |work| work.steps_for(requests).min(self.max_steps));
        let outcome = self.simulate_within(step_time_s, allowed);
        if let Some(work) = &self.work {
            work.spend(requests, outcome.trace.steps, false);
        }
        (!outcome.trace.out_of_steps).then_some(outcome)
    }

    /// Requests an online run's prediction simulates.
    fn simulated_requests(&self) -> u32 {
        match self.observation.load {
            ObservedLoad::Offline { requests } => requests,
            ObservedLoad::Rate { requests, .. } => requests.min(self.max_requests),
            ObservedLoad::Closed { concurrency, requests } => {
                requests.min(self.max_requests.max(REQUESTS_PER_USER * concurrency))
            }
        }
    }

    fn simulate_within(&self, step_time_s: impl FnMut(&crate::perf::Batch) -> f64, max_steps: u64) -> sim::Outcome {
        let o = &self.observation;
        let arrivals = match o.load {
            ObservedLoad::Offline { .. } => Arrivals::Offline,
            ObservedLoad::Rate {
                requests_per_second,
                arrival_cv,
                ..
            } => Arrivals::Open {
                requests_per_second,
                arrival_cv,
            },
            ObservedLoad::Closed { concurrency, .. } => Arrivals::Closed { concurrency },
        };
        let requests = self.simulated_requests();
        let settings = sim::Settings {
            max_batch: o.deployment.max_batch,
            max_batched_tokens: o.deployment.max_batched_tokens,
            kv_capacity_tokens: self.memory.kv_capacity_tokens,
            admission: Admission::for_engine(o.deployment.engine),
            // An offline schedule keeps one work per iteration: each is costed on its own.
            coast_stride: if o.is_offline() { 1 } else { sim::COAST_STRIDE },
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
        sim::simulate_until(
            &settings,
            &traffic,
            (o.prompt_tokens, o.output_tokens),
            step_time_s,
            |_| false,
            max_steps,
        )
    }

    /// Each measured metric of the run as the model predicts it under `calibration`, in the
    /// order of `observation.measured`; NaN each when the prediction needs more work than it
    /// is allowed (`try_predict`).
    pub fn predict(&self, calibration: &Calibration) -> Vec<f64> {
        self.try_predict(calibration)
            .unwrap_or_else(|| vec![f64::NAN; self.observation.measured.len()])
    }

    /// [`PreparedObservation::predict`], or `None` when the prediction needs more work than
    /// `bound_work` allows.
    pub fn try_predict(&self, calibration: &Calibration) -> Option<Vec<f64>> {
        let o = &self.observation;
        let cost = self.cost(*calibration);
        let replicas = f64::from(o.data_parallel);
        let tokens_per_request = f64::from(o.prompt_tokens + o.output_tokens) / f64::from(o.output_tokens);
        let throughput = |metric: ObservedMetric, output_per_s: f64| match metric {
            ObservedMetric::OutputTokensPerSecond => output_per_s * replicas,
            ObservedMetric::TotalTokensPerSecond => output_per_s * tokens_per_request * replicas,
            _ => output_per_s / f64::from(o.output_tokens) * replicas,
        };
        let (output_per_s, requests, mut gaps) = match &self.offline {
            Some(schedule) => {
                let step_s: Vec<f64> = schedule
                    .works
                    .iter()
                    .map(|work| cost.time_s(work, calibration))
                    .collect();
                let makespan_s: f64 = step_s.iter().sum();
                if o.throughput_only() {
                    let output_per_s = schedule.output_tokens / makespan_s;
                    return Some(o.measured.iter().map(|m| throughput(m.metric, output_per_s)).collect());
                }
                let ends_s: Vec<f64> = step_s
                    .iter()
                    .scan(0.0, |clock, step| {
                        *clock += step;
                        Some(*clock)
                    })
                    .collect();
                let requests: Vec<RequestLatency> = schedule
                    .requests
                    .iter()
                    .map(|&(first, last, output_tokens)| RequestLatency {
                        ttft_s: ends_s[first],
                        tpot_s: (output_tokens > 1)
                            .then(|| (ends_s[last] - ends_s[first]) / f64::from(output_tokens - 1)),
                        e2e_s: ends_s[last],
                        output_tokens,
                    })
                    .collect();
                let gaps: Vec<(f64, u32)> = step_s
                    .iter()
                    .zip(&schedule.decoding)
                    .filter(|(_, decoding)| **decoding > 0)
                    .map(|(step, decoding)| (*step, *decoding))
                    .collect();
                (schedule.output_tokens / makespan_s, requests, gaps)
            }
            None => {
                let outcome = self.simulate(|batch| cost.step_time_s(batch))?;
                (
                    outcome.output_tokens_per_second(),
                    outcome.measured,
                    outcome.trace.inter_token_gaps,
                )
            }
        };
        let summary_ms = |mut samples: Vec<f64>| Summary::of(&mut samples);
        let ttft = summary_ms(requests.iter().map(|r| r.ttft_s * 1e3).collect());
        let tpot = summary_ms(requests.iter().filter_map(|r| r.tpot_s).map(|s| s * 1e3).collect());
        let e2e = summary_ms(requests.iter().map(|r| r.e2e_s * 1e3).collect());
        let itl = weighted_summary(&mut gaps);
        let read = |summary: Option<Summary>, pick: fn(&Summary) -> f64, scale: f64| {
            summary.map_or(f64::NAN, |s| pick(&s) * scale)
        };
        Some(
            o.measured
                .iter()
                .map(|m| match m.metric {
                    ObservedMetric::TtftMeanMs => read(ttft, |s| s.mean, 1.0),
                    ObservedMetric::TtftMedianMs => read(ttft, |s| s.p50, 1.0),
                    ObservedMetric::TtftP95Ms => read(ttft, |s| s.p95, 1.0),
                    ObservedMetric::TtftP99Ms => read(ttft, |s| s.p99, 1.0),
                    ObservedMetric::TpotMeanMs => read(tpot, |s| s.mean, 1.0),
                    ObservedMetric::TpotMedianMs => read(tpot, |s| s.p50, 1.0),
                    ObservedMetric::ItlMeanMs => read(itl, |s| s.mean, 1e3),
                    ObservedMetric::ItlMedianMs => read(itl, |s| s.p50, 1e3),
                    ObservedMetric::E2eMeanMs => read(e2e, |s| s.mean, 1.0),
                    ObservedMetric::E2eMedianMs => read(e2e, |s| s.p50, 1.0),
                    metric => throughput(metric, output_per_s),
                })
                .collect(),
        )
    }

    /// The run's GPU family (`None` for a GPU without one).
    pub fn family(&self) -> Option<GpuFamily> {
        self.observation.gpu.family
    }

    pub fn engine(&self) -> ServingEngine {
        self.observation.deployment.engine
    }
}

/// Consecutive works summed while they stay similar (`Work::similar`).
fn merge_similar(works: Vec<Work>) -> Vec<Work> {
    let mut merged: Vec<Work> = Vec::new();
    for work in works {
        match merged.last_mut() {
            Some(last) if last.similar(&work) => last.absorb(&work),
            _ => merged.push(work),
        }
    }
    merged
}

/// An offline run's schedule, which no calibration changes.
struct OfflineSchedule {
    /// The physical work of each iteration.
    works: Vec<Work>,
    /// Sequences decoding in each iteration (each waits the iteration's length for its token).
    decoding: Vec<u32>,
    output_tokens: f64,
    /// Each request's first-token and last iterations, and its output tokens.
    requests: Vec<(usize, usize, u32)>,
}

/// |predicted / measured - 1| in percent.
pub fn abs_pct_error(predicted: f64, measured: f64) -> f64 {
    (predicted / measured - 1.0).abs() * 100.0
}

/// |ln(predicted / measured)|: the error a fit minimises, symmetric in over- and under-prediction.
/// A prediction that is not a positive number counts as far off.
pub fn abs_log_error(predicted: f64, measured: f64) -> f64 {
    let ratio = predicted / measured;
    if ratio.is_finite() && ratio > 0.0 {
        libm::log(ratio).abs()
    } else {
        MISSING_PREDICTION_LOG_ERROR
    }
}

/// The log error charged for a prediction the model cannot make (say no request completed).
const MISSING_PREDICTION_LOG_ERROR: f64 = 3.0;

fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

/// Weight of the pull towards the starting factors, per squared log-ratio, for a fit of the
/// whole calibration: small, so the data decides where it can, but factors the data cannot tell
/// apart (say a fixed overhead against a slightly lower bandwidth efficiency) stay physically
/// plausible.
const PRIOR_WEIGHT: f64 = 0.01;

/// A GPU family's own factors count as much as this many runs' worth of evidence for the pooled
/// ones: a family with a handful of runs stays near the pooled factors, one with hundreds moves
/// freely (a judgement, as with any prior's strength; `make accuracy` reports the
/// leave-one-family-out error it gives).
const FAMILY_PRIOR_RUNS: f64 = 40.0;

/// The same for an engine's factors against TensorRT-LLM's (1: no difference).
const ENGINE_PRIOR_RUNS: f64 = 20.0;

/// Fewest measured values a family or engine needs for factors of its own; fewer use the pooled
/// factors (or TensorRT-LLM's for an engine), and its predictions count as extrapolated.
pub const MIN_FAMILY_ROWS: usize = 10;

/// A fit's weight on each measured value: the rows of one engine and metric family together
/// weigh as the square root of their count, so thousands of similar offline throughput rows
/// do not drown the few hundred latency rows, nor the other engines' few dozen.
fn row_weights(rows: &[&PreparedObservation]) -> Vec<Vec<f64>> {
    let cell = |row: &PreparedObservation, metric: ObservedMetric| {
        let engine = ServingEngine::ALL.iter().position(|e| *e == row.engine()).unwrap_or(0);
        let family = MetricFamily::ALL
            .iter()
            .position(|f| *f == metric.family())
            .unwrap_or(0);
        engine * MetricFamily::ALL.len() + family
    };
    let mut counts = [0.0f64; ServingEngine::ALL.len() * MetricFamily::ALL.len()];
    for row in rows {
        for m in &row.observation.measured {
            counts[cell(row, m.metric)] += 1.0;
        }
    }
    rows.iter()
        .map(|row| {
            row.observation
                .measured
                .iter()
                .map(|m| 1.0 / libm::sqrt(counts[cell(row, m.metric)]))
                .collect()
        })
        .collect()
}

/// Mean weighted |log error| of `rows` under the factors `calibration_of` gives each.
fn data_loss(
    rows: &[&PreparedObservation],
    weights: &[Vec<f64>],
    calibration_of: impl Fn(&PreparedObservation) -> Calibration,
) -> f64 {
    let mut total = 0.0;
    let mut weight_sum = 0.0;
    for (row, row_weights) in rows.iter().zip(weights) {
        let predicted = row.predict(&calibration_of(row));
        for ((m, p), w) in row.observation.measured.iter().zip(predicted).zip(row_weights) {
            total += w * abs_log_error(p, m.value);
            weight_sum += w;
        }
    }
    total / weight_sum.max(f64::MIN_POSITIVE)
}

/// Factors in a calibration (`Calibration`'s fields).
const CALIBRATION_PARAMETERS: usize = 7;

/// The first this many are a GPU family's own; the rest (overheads, overlap) belong to the
/// engine and host and are pooled.
const FAMILY_PARAMETERS: usize = 4;

/// The calibration as a point of the fit's unconstrained space: efficiencies as logits,
/// latencies and overheads as logs.
fn calibration_point(c: &Calibration) -> Vec<f64> {
    vec![
        logit(c.memory_efficiency),
        logit(c.compute_efficiency),
        libm::log(c.allreduce_latency_us),
        logit(c.interconnect_efficiency),
        libm::log(c.step_overhead_ms),
        libm::log(c.layer_overhead_us),
        logit(c.unoverlapped_fraction),
    ]
}

fn calibration_from_point(x: &[f64]) -> Calibration {
    Calibration {
        memory_efficiency: sigmoid(x[0]),
        compute_efficiency: sigmoid(x[1]),
        allreduce_latency_us: libm::exp(x[2]),
        interconnect_efficiency: sigmoid(x[3]),
        step_overhead_ms: libm::exp(x[4]),
        layer_overhead_us: libm::exp(x[5]),
        unoverlapped_fraction: sigmoid(x[6]),
    }
}

/// An engine's factors as a point of the fit's space: logs of the two scales.
fn engine_point(factors: &EngineFactors) -> [f64; 2] {
    [libm::log(factors.overhead_scale), libm::log(factors.efficiency_scale)]
}

fn engine_from_point(x: &[f64]) -> EngineFactors {
    EngineFactors {
        overhead_scale: libm::exp(x[0]),
        efficiency_scale: libm::exp(x[1]),
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum()
}

/// A fitted calibration and how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub calibration: Calibration,
    /// Measured values fitted.
    pub rows: usize,
    /// Median absolute percentage error over them.
    pub median_abs_error_pct: f64,
}

fn measured_count(rows: &[&PreparedObservation]) -> usize {
    rows.iter().map(|row| row.observation.measured.len()).sum()
}

/// Median |predicted / measured - 1| in percent of `rows` under the factors `calibration_of` gives.
pub fn median_abs_error_pct(
    rows: &[&PreparedObservation],
    calibration_of: impl Fn(&PreparedObservation) -> Calibration,
) -> f64 {
    let mut errors: Vec<f64> = rows
        .iter()
        .flat_map(|row| {
            let predicted = row.predict(&calibration_of(row));
            row.observation
                .measured
                .iter()
                .zip(predicted)
                .map(|(m, p): (&Measured, f64)| abs_pct_error(p, m.value))
                .collect::<Vec<_>>()
        })
        .collect();
    crate::stats::median(&mut errors)
}

/// Fits all seven factors to `rows` (a user's measurements of one deployment) by minimising their
/// mean absolute log error (robust to a few odd rows) with a weak pull towards `prior`.
/// Efficiencies stay in (0, 1).
pub fn fit_calibration_with(rows: &[&PreparedObservation], prior: Calibration, max_evaluations: usize) -> Calibration {
    let prior_point = calibration_point(&prior);
    let weights = row_weights(rows);
    let loss = |x: &[f64]| {
        let calibration = calibration_from_point(x);
        data_loss(rows, &weights, |_| calibration) + PRIOR_WEIGHT * squared_distance(x, &prior_point)
    };
    let minimum = minimize(
        loss,
        &prior_point,
        &[0.5; CALIBRATION_PARAMETERS],
        max_evaluations,
        1e-7,
    );
    calibration_from_point(&minimum.point)
}

/// An engine's fitted factors and the measured values behind them.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineFit {
    pub engine: ServingEngine,
    pub factors: EngineFactors,
    pub rows: usize,
}

/// The built-in factors: pooled, per GPU family and per engine.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFits {
    pub pooled: Fit,
    pub by_family: Vec<(GpuFamily, Fit)>,
    pub by_engine: Vec<EngineFit>,
}

/// Loss evaluations of each stage of the built-in fit.
const MAX_EVALUATIONS_POOLED: usize = 600;
const MAX_EVALUATIONS_FAMILY: usize = 250;
const MAX_EVALUATIONS_ENGINES: usize = 150;

impl FamilyFits {
    /// Fits every measured value of `rows`.
    pub fn fit(rows: &[&PreparedObservation]) -> FamilyFits {
        let weights = row_weights(rows);
        let reference = Calibration::PRIOR;
        // An engine's factors are read only from GPU families another engine was also measured
        // on: where one engine alone was measured (vLLM on MI300X), its shortfall cannot be told
        // from the family's, and the family's factors take it.
        let engine_evidence = |engine: ServingEngine| -> Vec<&PreparedObservation> {
            rows_where(rows, |row| {
                row.engine() == engine
                    && rows
                        .iter()
                        .any(|other| other.engine() != engine && other.family() == row.family())
            })
        };
        let engines: Vec<ServingEngine> = ServingEngine::ALL
            .into_iter()
            .filter(|engine| {
                *engine != ServingEngine::TensorrtLlm && measured_count(&engine_evidence(*engine)) >= MIN_FAMILY_ROWS
            })
            .collect();

        // 1. Pooled factors and each engine's pair, together.
        let mut start = calibration_point(&reference);
        for _ in &engines {
            start.extend(engine_point(&EngineFactors::NONE));
        }
        let start_point = start.clone();
        let engine_factors_of = |x: &[f64], engine: ServingEngine| {
            engines
                .iter()
                .position(|e| *e == engine)
                .map_or(EngineFactors::NONE, |i| {
                    engine_from_point(&x[CALIBRATION_PARAMETERS + 2 * i..])
                })
        };
        let pooled_loss = |x: &[f64]| {
            let pooled = calibration_from_point(&x[..CALIBRATION_PARAMETERS]);
            data_loss(rows, &weights, |row| engine_factors_of(x, row.engine()).apply(pooled))
                + PRIOR_WEIGHT * squared_distance(x, &start_point)
        };
        let minimum = minimize(
            pooled_loss,
            &start,
            &vec![0.5; start.len()],
            MAX_EVALUATIONS_POOLED,
            1e-7,
        );
        let pooled = calibration_from_point(&minimum.point[..CALIBRATION_PARAMETERS]);
        let mut by_engine: Vec<EngineFit> = engines
            .iter()
            .map(|engine| EngineFit {
                engine: *engine,
                factors: engine_factors_of(&minimum.point, *engine),
                rows: measured_count(&engine_evidence(*engine)),
            })
            .collect();

        // 2. Each family's efficiencies and all-reduce latency, shrunk towards the pooled ones;
        //    the overheads are the engine's and the host's, not the GPU's, and stay pooled.
        let mut by_family: Vec<(GpuFamily, Calibration)> = Vec::new();
        for family in GpuFamily::ALL {
            let members = rows_where(rows, |row| row.family() == Some(family));
            let count = measured_count(&members);
            if count < MIN_FAMILY_ROWS {
                continue;
            }
            let member_weights = row_weights(&members);
            let pooled_point = calibration_point(&pooled);
            let pull = FAMILY_PRIOR_RUNS / members.len() as f64;
            let family_loss = |x: &[f64]| {
                let calibration = calibration_from_point(&[x, &pooled_point[FAMILY_PARAMETERS..]].concat());
                data_loss(&members, &member_weights, |row| {
                    engine_factor(&by_engine, row.engine()).apply(calibration)
                }) + pull * squared_distance(x, &pooled_point[..FAMILY_PARAMETERS])
            };
            let minimum = minimize(
                family_loss,
                &pooled_point[..FAMILY_PARAMETERS],
                &[0.3; FAMILY_PARAMETERS],
                MAX_EVALUATIONS_FAMILY,
                1e-7,
            );
            by_family.push((
                family,
                calibration_from_point(&[&minimum.point[..], &pooled_point[FAMILY_PARAMETERS..]].concat()),
            ));
        }
        enforce_datasheet_order(&mut by_family, pooled);

        // 3. The engines' factors again, now that each family has its own.
        let family_calibration = |row: &PreparedObservation| Calibration::of_family(row.family(), &by_family, pooled);
        for fit in &mut by_engine {
            let members = engine_evidence(fit.engine);
            let member_weights = row_weights(&members);
            let pull = ENGINE_PRIOR_RUNS / members.len() as f64;
            let engine_loss = |x: &[f64]| {
                let factors = engine_from_point(x);
                data_loss(&members, &member_weights, |row| factors.apply(family_calibration(row)))
                    + pull * squared_distance(x, &[0.0, 0.0])
            };
            let minimum = minimize(
                engine_loss,
                &engine_point(&fit.factors),
                &[0.3, 0.3],
                MAX_EVALUATIONS_ENGINES,
                1e-7,
            );
            fit.factors = engine_from_point(&minimum.point);
        }

        let fits = FamilyFits {
            pooled: Fit {
                calibration: pooled,
                rows: measured_count(rows),
                median_abs_error_pct: 0.0,
            },
            by_family: by_family
                .iter()
                .map(|(family, calibration)| {
                    let members = rows_where(rows, |row| row.family() == Some(*family));
                    (
                        *family,
                        Fit {
                            calibration: *calibration,
                            rows: measured_count(&members),
                            median_abs_error_pct: 0.0,
                        },
                    )
                })
                .collect(),
            by_engine,
        };
        fits.with_errors(rows)
    }

    /// Fills in each fit's median error over its rows under the factors the fits give them.
    fn with_errors(mut self, rows: &[&PreparedObservation]) -> FamilyFits {
        let of = |row: &PreparedObservation| self.for_run(&row.observation.gpu, row.engine());
        let pooled_error = median_abs_error_pct(rows, of);
        let family_errors: Vec<f64> = self
            .by_family
            .iter()
            .map(|(family, _)| median_abs_error_pct(&rows_where(rows, |row| row.family() == Some(*family)), of))
            .collect();
        self.pooled.median_abs_error_pct = pooled_error;
        for ((_, fit), error) in self.by_family.iter_mut().zip(family_errors) {
            fit.median_abs_error_pct = error;
        }
        self
    }

    /// The factors these fits give a GPU run by an engine: its family's (else the pooled ones),
    /// adjusted for the engine.
    pub fn for_run(&self, gpu: &GpuSpec, engine: ServingEngine) -> Calibration {
        let by_family: Vec<(GpuFamily, Calibration)> = self
            .by_family
            .iter()
            .map(|(family, fit)| (*family, fit.calibration))
            .collect();
        let family = Calibration::of_family(gpu.family, &by_family, self.pooled.calibration);
        engine_factor(&self.by_engine, engine).apply(family)
    }
}

fn engine_factor(by_engine: &[EngineFit], engine: ServingEngine) -> EngineFactors {
    by_engine
        .iter()
        .find(|fit| fit.engine == engine)
        .map_or(EngineFactors::NONE, |fit| fit.factors)
}

fn rows_where<'a>(
    rows: &[&'a PreparedObservation],
    keep: impl Fn(&PreparedObservation) -> bool,
) -> Vec<&'a PreparedObservation> {
    rows.iter().copied().filter(|row| keep(row)).collect()
}

/// Makes every catalog GPU that is at least as good as another on every datasheet figure
/// (memory, bandwidth, each precision's peak, link bandwidth) at least as fast under the fitted
/// factors: its effective bandwidth, FLOPs and link bandwidth are raised to the other's, and its
/// all-reduce latency lowered to the other's. Factors fitted on thin data (say Blackwell's, all
/// FP4) can otherwise predict a B200 slower than an H100, which no datasheet supports.
pub fn enforce_datasheet_order(by_family: &mut [(GpuFamily, Calibration)], pooled: Calibration) {
    let gpus: Vec<&GpuSpec> = catalog::catalog().gpus.iter().map(|entry| &entry.spec).collect();
    // Each pass can only raise efficiencies and lower latencies, so a few passes settle.
    for _ in 0..GpuFamily::ALL.len() {
        let mut changed = false;
        for faster in &gpus {
            for slower in &gpus {
                let (Some(fast_family), Some(slow_family)) = (faster.family, slower.family) else {
                    continue;
                };
                if fast_family == slow_family || !faster.dominates(slower) {
                    continue;
                }
                let slow = Calibration::of_family(Some(slow_family), by_family, pooled);
                let Some((_, fast)) = by_family.iter_mut().find(|(family, _)| *family == fast_family) else {
                    continue;
                };
                let before = *fast;
                let raise = |efficiency: f64, needed: f64| efficiency.max(needed.min(EFFICIENCY_CEILING));
                fast.memory_efficiency = raise(
                    fast.memory_efficiency,
                    slow.memory_efficiency * slower.memory_bandwidth_tb_s / faster.memory_bandwidth_tb_s,
                );
                fast.compute_efficiency = raise(
                    fast.compute_efficiency,
                    slow.compute_efficiency * peak_flops_ratio(slower, faster),
                );
                fast.interconnect_efficiency = raise(
                    fast.interconnect_efficiency,
                    slow.interconnect_efficiency * slower.interconnect_gb_s / faster.interconnect_gb_s,
                );
                fast.allreduce_latency_us = fast.allreduce_latency_us.min(slow.allreduce_latency_us);
                changed |= *fast != before;
            }
        }
        if !changed {
            break;
        }
    }
}

/// The largest ratio of `slower`'s peak FLOPs to `faster`'s over the precisions both support.
fn peak_flops_ratio(slower: &GpuSpec, faster: &GpuSpec) -> f64 {
    Precision::ALL
        .into_iter()
        .filter_map(|precision| Some(slower.peak_flops(precision)? / faster.peak_flops(precision)?))
        .fold(0.0, f64::max)
}
