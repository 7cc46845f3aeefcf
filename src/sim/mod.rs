//! The discrete-event simulator of a continuously batching server (ARCHITECTURE.md, "The
//! simulator"): requests arrive
//! (open loop, closed loop or all at once), wait, are prefilled in chunks and decoded
//! iteration by iteration, each iteration lasting what `perf` says it costs. Out come
//! per-request latencies, whose distribution is where the tail lives: p95 is read from the
//! simulated requests, never a multiple of the mean.
//!
//! This module owns queueing and batching; the cost of an iteration is `perf`'s, and turning
//! latencies into summaries and verdicts belongs to `stats` and the callers.

mod engine;
mod sampling;

pub use sampling::Sampler;

use crate::domain::{LengthDistribution, ServingEngine};
use crate::error::{Error, Result};
use crate::perf::Batch;
use engine::{Engine, Request};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How the engine admits requests into the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admit while the next prefill chunk fits; preempt (and later recompute) the newest
    /// sequence when decoding outgrows the cache. vLLM and SGLang.
    Optimistic,
    /// Admit only when the whole prompt and output fit; never preempt. TensorRT-LLM's
    /// GUARANTEED_NO_EVICT scheduler.
    ReserveFull,
}

impl Admission {
    pub fn for_engine(engine: ServingEngine) -> Admission {
        match engine {
            ServingEngine::TensorrtLlm => Admission::ReserveFull,
            _ => Admission::Optimistic,
        }
    }
}

/// The engine limits of one replica, and how finely the simulator steps through them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub max_batch: u32,
    pub max_batched_tokens: u32,
    pub kv_capacity_tokens: u64,
    pub admission: Admission,
    /// Most decode-only iterations costed as one (`COAST_STRIDE`, or 1 to cost each).
    pub coast_stride: u64,
}

/// Decode-only iterations in which nothing else happens (no arrival, prefill or finish) are
/// costed in runs of up to this many, at the run's middle: a decode step's time is linear in
/// the context it reads, so the middle one's is the run's mean. A request decoding alone for
/// 100,000 tokens then costs 1,600 evaluations, not 100,000; each run's tokens share its mean
/// gap, which moves an inter-token percentile by less than 64 tokens' worth of context.
pub const COAST_STRIDE: u64 = 64;

/// How requests arrive at one replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrivals {
    /// Independent arrivals at a mean rate; the gaps' coefficient of variation `arrival_cv`
    /// (1 = Poisson, 0 = a constant rate).
    Open { requests_per_second: f64, arrival_cv: f64 },
    /// `concurrency` users, each sending its next request when the previous one completes.
    Closed { concurrency: u32 },
    /// Every request queued at time zero.
    Offline,
}

/// The requests to simulate: how they arrive, how long they are, how many, and the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Traffic {
    pub arrivals: Arrivals,
    pub prompt_tokens: LengthDistribution,
    pub output_tokens: LengthDistribution,
    /// Requests to simulate in all, warm-up and cool-down included.
    pub requests: u32,
    /// Fraction of an online run's requests left out of the statistics at each end
    /// (`WARM_UP_FRACTION` for predictions; 0 to measure like a benchmark client does).
    pub warm_up_fraction: f64,
    pub seed: u64,
}

/// Fraction of requests at each end of an online run left out of the statistics: the first
/// arrive at an empty server (warm-up), the last at a draining one (cool-down).
pub const WARM_UP_FRACTION: f64 = 0.1;

/// Bound on iterations per simulation, so no input can make it run without end, nor its
/// inter-token gaps (16 bytes an iteration) outgrow memory. Every iteration emits or prefills
/// at least one token, and the callers bound the requests and their output tokens
/// (`predict::MAX_SIMULATED_OUTPUT_TOKENS`), so real runs stay far below.
pub const MAX_ITERATIONS: u64 = 4_000_000;

/// The simulation one question (one `advise` or `predict` call) may spend, over all its
/// simulations: iteration times computed (`Trace::steps`) plus requests simulated, the two
/// things a run's time and memory grow with. Clones share the one allowance. Once a simulation
/// is cut short by it the budget is exhausted, and the caller answers with an error rather
/// than a partial search.
///
/// It also remembers the answers the call's simulations already gave (`remember`): the same
/// question asked twice in one call is simulated once.
#[derive(Debug, Clone)]
pub struct WorkBudget {
    limit: u64,
    spent: Arc<AtomicU64>,
    exhausted: Arc<AtomicBool>,
    answers: Arc<Mutex<HashMap<String, bool>>>,
}

/// What one question may simulate in all: the heaviest search the limits allow spends nearly
/// all of it in about half a second natively and 1.3 s in WebAssembly (`make bench`).
pub const MAX_WORK_PER_CALL: u64 = 12_000_000;

/// What simulating one request costs, in iteration times: drawing its lengths, queueing it,
/// recording its latencies take about five times one iteration's costing (`make bench`).
pub const REQUEST_WORK: u64 = 5;

impl WorkBudget {
    /// A call's budget: `MAX_WORK_PER_CALL`.
    pub fn new() -> WorkBudget {
        WorkBudget::with_limit(MAX_WORK_PER_CALL)
    }

    /// A budget of `limit` steps (a part of a call's, such as a fit's evaluations).
    pub fn with_limit(limit: u64) -> WorkBudget {
        WorkBudget {
            limit,
            spent: Arc::new(AtomicU64::new(0)),
            exhausted: Arc::new(AtomicBool::new(false)),
            answers: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The answer to the question `key` names (everything its simulation reads): remembered
    /// when this call already simulated it, else `simulate`d and remembered.
    pub fn remember(&self, key: String, simulate: impl FnOnce() -> bool) -> bool {
        let known = self.answers.lock().ok().and_then(|answers| answers.get(&key).copied());
        known.unwrap_or_else(|| {
            let answer = simulate();
            if let Ok(mut answers) = self.answers.lock() {
                answers.insert(key, answer);
            }
            answer
        })
    }

    /// Steps the next simulation, of `requests` requests, may compute: what is left after them.
    pub fn steps_for(&self, requests: u32) -> u64 {
        self.limit
            .saturating_sub(self.spent())
            .saturating_sub(u64::from(requests) * REQUEST_WORK)
    }

    /// Books a simulation of `requests` that computed `steps`; one the budget cut short
    /// (`Trace::out_of_steps` of a run allowed `steps_for`) exhausts it.
    pub fn spend(&self, requests: u32, steps: u64, cut_short: bool) {
        self.charge(u64::from(requests) * REQUEST_WORK + steps);
        if cut_short {
            self.exhausted.store(true, Ordering::Relaxed);
        }
    }

    /// What has been spent.
    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }

    /// Books work done outside the simulations this budget bounds (a fit before the answer).
    pub fn charge(&self, work: u64) {
        self.spent.fetch_add(work, Ordering::Relaxed);
    }

    /// An error naming `workload` once a simulation was cut short for want of budget: the
    /// answer would have holes in it.
    pub fn check(&self) -> Result<()> {
        if !self.exhausted.load(Ordering::Relaxed) {
            return Ok(());
        }
        Err(Error::invalid(
            "workload",
            format!(
                "answerable within the {} one call may spend: fewer closed-loop users or shorter requests \
                 per replica, a named engine or fewer precisions",
                steps_words(MAX_WORK_PER_CALL)
            ),
            "a question that needs more",
        ))
    }
}

/// "N steps of simulation (...)": the budget's unit in words, for the errors that name a limit.
pub fn steps_words(steps: u64) -> String {
    format!("{steps} steps of simulation (iteration times computed, and {REQUEST_WORK} for each request drawn)")
}

impl Default for WorkBudget {
    fn default() -> Self {
        WorkBudget::new()
    }
}

/// Budgets compare equal: which one a scenario carries is not part of its value.
impl PartialEq for WorkBudget {
    fn eq(&self, _: &WorkBudget) -> bool {
        true
    }
}

/// The share of prefilled tokens that preemptions may throw away before a run counts as
/// thrashing (a judgement: a quarter of the prefill work redone is a cache that holds too few
/// of the requests admitted; an occasional preemption stays far below it).
pub const THRASHING_SHARE: f64 = 0.25;

/// Fewest waiting requests that count as falling behind, whatever the window's size.
const FELL_BEHIND_MIN_QUEUE: f64 = 8.0;

/// Per-run counters and the inter-token gaps, gathered by the engine.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// (gap, how many tokens had it): all sequences decoding in one iteration share its length.
    pub inter_token_gaps: Vec<(f64, u32)>,
    pub iterations: u64,
    /// Iteration times computed: one per iteration, one per coasted run of them. With the
    /// requests, what a run's time grows with.
    pub steps: u64,
    pub preemptions: u64,
    /// Requests longer than the whole KV cache, refused.
    pub rejected: u64,
    pub arrivals_in_window: u64,
    pub completions_in_window: u64,
    /// Requests waiting for admission when the window opened and when it closed.
    pub waiting_at_window_start: u64,
    pub waiting_at_window_end: Option<u64>,
    pub output_tokens_in_window: u64,
    /// Length of the measurement window, seconds.
    pub window_s: f64,
    pub end_s: f64,
    /// The run stopped with work left: at `MAX_ITERATIONS`, or the steps it was allowed.
    pub truncated: bool,
    /// ... at the steps it was allowed.
    pub out_of_steps: bool,
    /// The stop rule of `simulate_until` ended the run early.
    pub stopped: bool,
    /// Prompt (and recomputed) tokens prefilled, over the whole run.
    pub prefilled_tokens: u64,
    /// Tokens whose cache preemptions threw away, to be computed again.
    pub discarded_tokens: u64,
}

/// Latencies of one measured request, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestLatency {
    pub ttft_s: f64,
    /// Mean gap after the first token; `None` for one-token outputs.
    pub tpot_s: Option<f64>,
    pub e2e_s: f64,
    pub output_tokens: u32,
}

/// The outcome of a simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Completed requests inside the measurement window, in arrival order.
    pub measured: Vec<RequestLatency>,
    pub trace: Trace,
}

impl Outcome {
    /// Completed requests per second over the window.
    pub fn requests_per_second(&self) -> f64 {
        rate(self.trace.completions_in_window as f64, self.trace.window_s)
    }

    /// Output tokens per second over the window.
    pub fn output_tokens_per_second(&self) -> f64 {
        rate(self.trace.output_tokens_in_window as f64, self.trace.window_s)
    }

    /// Whether the KV cache thrashed: preemptions threw away more than a quarter as many cached
    /// tokens as were prefilled in all (`THRASHING_SHARE`), so a large part of the engine's
    /// prefill work went into redoing what it had dropped. Preempting now and then costs
    /// little; past this the cache cannot hold the requests the engine admits.
    pub fn thrashed(&self) -> bool {
        self.trace.discarded_tokens as f64 > THRASHING_SHARE * self.trace.prefilled_tokens as f64
    }

    /// Whether the server fell behind: the queue of requests waiting for admission grew over
    /// the window by more than a twentieth of the requests that arrived in it (the offered
    /// load exceeds capacity). Requests running at either end are in flight, not behind, and
    /// a burst can leave a short queue, hence the margin.
    pub fn fell_behind(&self) -> bool {
        let Some(end) = self.trace.waiting_at_window_end else {
            return false;
        };
        let growth = end as f64 - self.trace.waiting_at_window_start as f64;
        growth > (0.05 * self.trace.arrivals_in_window as f64).max(FELL_BEHIND_MIN_QUEUE)
    }
}

fn rate(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count / seconds
    } else {
        0.0
    }
}

/// Simulates `traffic` on one replica whose iterations last `step_time_s(batch)` seconds.
/// Lengths are capped at `max_prompt_tokens` / `max_output_tokens`.
pub fn simulate(
    settings: &Settings,
    traffic: &Traffic,
    limits: (u32, u32),
    step_time_s: impl FnMut(&Batch) -> f64,
) -> Outcome {
    run(settings, traffic, limits, step_time_s, None, u64::MAX)
}

/// [`simulate`] computing at most `max_steps` iteration times, told each measured request's
/// latencies as it completes: when `stop` returns true the run ends there (`trace.stopped`),
/// its question answered (enough requests have missed a target that no later one can change
/// the verdict).
pub fn simulate_until<'a>(
    settings: &'a Settings,
    traffic: &Traffic,
    limits: (u32, u32),
    step_time_s: impl FnMut(&Batch) -> f64,
    stop: impl FnMut(&RequestLatency) -> bool + 'a,
    max_steps: u64,
) -> Outcome {
    run(settings, traffic, limits, step_time_s, Some(Box::new(stop)), max_steps)
}

fn run<'a>(
    settings: &'a Settings,
    traffic: &Traffic,
    (max_prompt_tokens, max_output_tokens): (u32, u32),
    step_time_s: impl FnMut(&Batch) -> f64,
    stop: Option<engine::StopRule<'a>>,
    max_steps: u64,
) -> Outcome {
    if max_steps == 0 {
        // Nothing may run: no requests to draw either.
        return Outcome {
            measured: Vec::new(),
            trace: Trace {
                truncated: true,
                out_of_steps: true,
                ..Trace::default()
            },
        };
    }
    let total = traffic.requests.max(1) as usize;
    let mut sampler = Sampler::new(traffic.seed);
    let mut clock_s = 0.0;
    let requests: Vec<Request> = (0..total)
        .map(|_| {
            let arrival_s = match traffic.arrivals {
                Arrivals::Open {
                    requests_per_second,
                    arrival_cv,
                } => {
                    clock_s += sampler.interarrival(1.0 / requests_per_second, arrival_cv);
                    clock_s
                }
                Arrivals::Closed { .. } | Arrivals::Offline => 0.0,
            };
            let prompt = sampler.length(&traffic.prompt_tokens, max_prompt_tokens);
            let output = sampler.length(&traffic.output_tokens, max_output_tokens);
            Request::new(arrival_s, prompt, output)
        })
        .collect();
    let (issued, measured, whole_run) = match traffic.arrivals {
        Arrivals::Offline => (total, (0, total), true),
        Arrivals::Open { .. } | Arrivals::Closed { .. } => {
            let most_skipped = (total as f64 * 0.45).floor() as usize;
            let skipped = (total as f64 * traffic.warm_up_fraction.clamp(0.0, 0.45)).floor() as usize;
            let (issued, skipped) = match traffic.arrivals {
                // Every user's first request arrives at once at the start, a burst no steady
                // state has: the warm-up leaves out at least those.
                Arrivals::Closed { concurrency } => {
                    let users = (concurrency as usize).clamp(1, total);
                    (users, skipped.max(users).min(most_skipped))
                }
                _ => (total, skipped),
            };
            (issued, (skipped, total - skipped), false)
        }
    };
    let mut engine = Engine::new(settings, requests, issued, measured, whole_run, step_time_s, stop);
    engine.run(MAX_ITERATIONS, max_steps);
    let measured = engine.requests[measured.0..measured.1]
        .iter()
        .filter(|request| request.completed())
        .map(|request| request.latency())
        .collect();
    Outcome {
        measured,
        trace: std::mem::take(&mut engine.trace),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXED_STEP_S: f64 = 0.01;

    fn settings(max_batch: u32, kv_capacity_tokens: u64) -> Settings {
        Settings {
            coast_stride: 1,
            max_batch,
            max_batched_tokens: 8192,
            kv_capacity_tokens,
            admission: Admission::Optimistic,
        }
    }

    fn fixed(tokens: f64) -> LengthDistribution {
        LengthDistribution { mean: tokens, cv: 0.0 }
    }

    fn traffic(arrivals: Arrivals, requests: u32) -> Traffic {
        Traffic {
            arrivals,
            prompt_tokens: fixed(100.0),
            output_tokens: fixed(10.0),
            requests,
            warm_up_fraction: WARM_UP_FRACTION,
            seed: 1,
        }
    }

    #[test]
    fn a_lone_request_takes_one_prefill_and_one_step_per_further_token() {
        let outcome = simulate(
            &settings(8, 10_000),
            &traffic(Arrivals::Offline, 1),
            (1000, 1000),
            |_| FIXED_STEP_S,
        );
        let request = outcome.measured[0];
        assert!((request.ttft_s - FIXED_STEP_S).abs() < 1e-12);
        assert!((request.e2e_s - 10.0 * FIXED_STEP_S).abs() < 1e-12);
        assert!((request.tpot_s.unwrap() - FIXED_STEP_S).abs() < 1e-12);
        assert_eq!(outcome.trace.iterations, 10);
    }

    #[test]
    fn batching_serves_many_requests_in_the_iterations_of_one() {
        // 8 requests fit one batch (8 x 100 prompt tokens in one 8192-token iteration).
        let outcome = simulate(
            &settings(8, 100_000),
            &traffic(Arrivals::Offline, 8),
            (1000, 1000),
            |_| FIXED_STEP_S,
        );
        assert_eq!(outcome.measured.len(), 8);
        assert_eq!(outcome.trace.iterations, 10);
        assert_eq!(outcome.trace.output_tokens_in_window, 80);
    }

    #[test]
    fn max_batch_queues_the_rest() {
        let outcome = simulate(
            &settings(4, 100_000),
            &traffic(Arrivals::Offline, 8),
            (1000, 1000),
            |_| FIXED_STEP_S,
        );
        let mut ttfts: Vec<f64> = outcome.measured.iter().map(|r| r.ttft_s).collect();
        ttfts.sort_by(f64::total_cmp);
        assert!((ttfts[0] - FIXED_STEP_S).abs() < 1e-12);
        // The second wave starts when the first finishes, 10 iterations in.
        assert!((ttfts[7] - 11.0 * FIXED_STEP_S).abs() < 1e-12, "{ttfts:?}");
    }

    #[test]
    fn a_small_cache_preempts_and_still_completes_everything() {
        // 8 requests of 110 tokens each in a 500-token cache.
        let outcome = simulate(&settings(8, 500), &traffic(Arrivals::Offline, 8), (1000, 1000), |_| {
            FIXED_STEP_S
        });
        assert_eq!(outcome.measured.len(), 8);
        assert!(outcome.trace.preemptions > 0);
        assert_eq!(outcome.trace.output_tokens_in_window, 80);
    }

    #[test]
    fn reserve_full_admission_never_preempts() {
        let mut reserve = settings(8, 500);
        reserve.admission = Admission::ReserveFull;
        let outcome = simulate(&reserve, &traffic(Arrivals::Offline, 8), (1000, 1000), |_| FIXED_STEP_S);
        assert_eq!(outcome.measured.len(), 8);
        assert_eq!(outcome.trace.preemptions, 0);
    }

    #[test]
    fn requests_longer_than_the_cache_are_refused_not_spun_on() {
        let outcome = simulate(&settings(8, 50), &traffic(Arrivals::Offline, 3), (1000, 1000), |_| {
            FIXED_STEP_S
        });
        assert_eq!(outcome.trace.rejected, 3);
        assert!(outcome.measured.is_empty());
    }

    #[test]
    fn closed_loop_keeps_concurrency_requests_in_flight() {
        let outcome = simulate(
            &settings(64, 1_000_000),
            &traffic(Arrivals::Closed { concurrency: 4 }, 400),
            (1000, 1000),
            |batch| FIXED_STEP_S + 1e-6 * batch.decode_seqs,
        );
        // Four users, each request 10 iterations: 0.4 requests per iteration.
        let per_iteration = outcome.requests_per_second() * FIXED_STEP_S;
        assert!((per_iteration - 0.4).abs() < 0.02, "{per_iteration}");
    }

    #[test]
    fn open_loop_throughput_matches_the_offered_rate_below_capacity() {
        let outcome = simulate(
            &settings(64, 1_000_000),
            &traffic(
                Arrivals::Open {
                    requests_per_second: 20.0,
                    arrival_cv: 1.0,
                },
                4000,
            ),
            (1000, 1000),
            |_| FIXED_STEP_S,
        );
        assert!(
            (outcome.requests_per_second() / 20.0 - 1.0).abs() < 0.05,
            "{}",
            outcome.requests_per_second()
        );
        assert!(!outcome.fell_behind());
    }

    #[test]
    fn overload_is_detected() {
        // One request at a time (maxBatch 1) lasting 10 iterations = 10 requests/s at most.
        let outcome = simulate(
            &settings(1, 1_000_000),
            &traffic(
                Arrivals::Open {
                    requests_per_second: 20.0,
                    arrival_cv: 1.0,
                },
                2000,
            ),
            (1000, 1000),
            |_| FIXED_STEP_S,
        );
        assert!(outcome.fell_behind());
        assert!(outcome.requests_per_second() < 10.5);
    }

    #[test]
    fn gaps_after_a_preemption_count_only_the_wait() {
        // 8 requests of 100 + 100 tokens in a 1500-token cache: decoding outgrows it.
        let long_outputs = Traffic {
            output_tokens: fixed(100.0),
            ..traffic(Arrivals::Offline, 8)
        };
        let outcome = simulate(&settings(8, 1500), &long_outputs, (1000, 1000), |_| FIXED_STEP_S);
        assert!(outcome.trace.preemptions > 0);
        // Every gap, weighted by its tokens, adds up to the time between first and last tokens.
        let gaps: f64 = outcome
            .trace
            .inter_token_gaps
            .iter()
            .map(|&(gap, n)| gap * f64::from(n))
            .sum();
        let streaming: f64 = outcome.measured.iter().map(|r| r.e2e_s - r.ttft_s).sum();
        assert!((gaps - streaming).abs() < 1e-9, "{gaps} vs {streaming}");
    }

    #[test]
    fn a_rejected_request_frees_its_closed_loop_user() {
        // Every second request is longer than the cache; the loop must still run through.
        let varied_prompts = Traffic {
            prompt_tokens: LengthDistribution { mean: 100.0, cv: 2.0 },
            ..traffic(Arrivals::Closed { concurrency: 2 }, 200)
        };
        let outcome = simulate(&settings(8, 150), &varied_prompts, (1000, 1000), |_| FIXED_STEP_S);
        assert!(outcome.trace.rejected > 0);
        // Without the user sending again, the loop would end at the second refusal.
        assert!(outcome.measured.len() >= 100, "{} measured", outcome.measured.len());
    }

    #[test]
    fn coasting_in_strides_costs_what_costing_each_iteration_does() {
        // A decode step linear in the context it reads (as the roofline's memory side is): the
        // stride's middle iteration is its mean, so the two agree but for rounding.
        let linear = |batch: &Batch| 0.005 + 1e-9 * batch.decode_context_tokens + 1e-4 * batch.prefill_tokens;
        let lengths = |prompt: f64, output: f64| {
            (
                LengthDistribution { mean: prompt, cv: 1.0 },
                LengthDistribution { mean: output, cv: 1.5 },
            )
        };
        let cases = [
            (
                Arrivals::Open {
                    requests_per_second: 0.5,
                    arrival_cv: 1.0,
                },
                lengths(500.0, 2000.0),
                1_000_000,
                Admission::Optimistic,
            ),
            (
                Arrivals::Open {
                    requests_per_second: 20.0,
                    arrival_cv: 4.0,
                },
                lengths(2000.0, 500.0),
                60_000,
                Admission::Optimistic,
            ),
            (
                Arrivals::Closed { concurrency: 32 },
                lengths(1000.0, 1000.0),
                50_000,
                Admission::ReserveFull,
            ),
            (
                Arrivals::Closed { concurrency: 8 },
                lengths(100.0, 3000.0),
                10_000,
                Admission::Optimistic,
            ),
            (
                Arrivals::Offline,
                lengths(300.0, 800.0),
                2_000_000,
                Admission::ReserveFull,
            ),
        ];
        for (arrivals, (prompt_tokens, output_tokens), kv_capacity_tokens, admission) in cases {
            let traffic = Traffic {
                arrivals,
                prompt_tokens,
                output_tokens,
                requests: 300,
                warm_up_fraction: WARM_UP_FRACTION,
                seed: 7,
            };
            let run = |coast_stride| {
                let settings = Settings {
                    coast_stride,
                    max_batch: 64,
                    max_batched_tokens: 2048,
                    kv_capacity_tokens,
                    admission,
                };
                simulate(&settings, &traffic, (100_000, 100_000), linear)
            };
            let (each, strided) = (run(1), run(COAST_STRIDE));
            assert_eq!(each.trace.iterations, strided.trace.iterations, "{arrivals:?}");
            assert!(strided.trace.steps <= each.trace.steps, "{arrivals:?}");
            assert_eq!(each.measured.len(), strided.measured.len(), "{arrivals:?}");
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
            for (a, b) in each.measured.iter().zip(&strided.measured) {
                assert!(
                    close(a.ttft_s, b.ttft_s) && close(a.e2e_s, b.e2e_s),
                    "{arrivals:?}: {a:?} {b:?}"
                );
                assert_eq!(a.output_tokens, b.output_tokens);
            }
            let tokens = |outcome: &Outcome| {
                outcome
                    .trace
                    .inter_token_gaps
                    .iter()
                    .map(|(_, n)| u64::from(*n))
                    .sum::<u64>()
            };
            assert_eq!(tokens(&each), tokens(&strided), "{arrivals:?}");
        }
        // At low load a request decodes alone: the strides are most of the saving.
        let lone = Traffic {
            prompt_tokens: fixed(10.0),
            output_tokens: fixed(10_000.0),
            ..traffic(Arrivals::Offline, 1)
        };
        let strided = simulate(
            &Settings {
                coast_stride: COAST_STRIDE,
                ..settings(8, 100_000)
            },
            &lone,
            (100, 100_000),
            linear,
        );
        assert_eq!(strided.trace.iterations, 10_000);
        assert!(strided.trace.steps < 10_000 / 32, "{}", strided.trace.steps);
    }
}
