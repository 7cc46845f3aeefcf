//! The deployments the fleet allows, and what each achieves.
//!
//! A candidate is one replica configuration (engine, precision, tensor-parallel degree, batch
//! limit, token budget, KV cache dtype) deployed in as many replicas as the fleet holds;
//! replicas come in whole groups, so a degree that does not divide the GPU count leaves GPUs
//! idle. For each candidate: its latency with requests alone on the server (a closed form), its
//! percentiles at the required load on the whole fleet (a screening simulation), and its
//! replica capacity, the highest load one replica carries within every SLO (a bisection of
//! simulations). The load is split evenly, so a replica's capacity does not depend on the fleet
//! or on the required load: the fleet's capacity is replicas x it (adding GPUs never lowers
//! it), and the GPUs a load needs follow by division. Cheap bounds prune first: a candidate
//! whose lone-request latency already misses a target has no capacity to search for.

use crate::catalog::GPUS_PER_NODE;
use crate::domain::{Deployment, KvCacheDtype, LoadKind, Metric, Precision, ServingEngine, SloTarget};
use crate::perf::{Batch, CostModel, LoneRequest, MemoryPlan, RooflineEstimate};
use crate::predict::{meets_slos_screened, predict_deployment, LatencySamples, Prediction, SimulationSize};
use crate::scenario::limits::{MAX_CONCURRENCY, MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS};
use crate::scenario::ResolvedScenario;
use crate::sim::Sampler;

/// Requests simulated per replica to screen a candidate at the required load; the recommended
/// deployment is then simulated in full.
pub const SCREENING_REQUESTS: u32 = 600;
/// Requests simulated per replica in each step of the capacity search.
pub const CAPACITY_SEARCH_REQUESTS: u32 = 600;
/// Bisection steps of the capacity search after its bracket is found.
pub const CAPACITY_SEARCH_STEPS: u32 = 6;
/// The capacity search stops once its bracket is this narrow relative to its top: finer than
/// the simulations' own noise at the knee of the curve.
const CAPACITY_TOLERANCE: f64 = 0.04;
/// Most halvings of the capacity search below its ceiling (down to 1/1024 of it, below which
/// the capacity is reported as none).
const CAPACITY_STEP_DOWNS: u32 = 10;
/// Request lengths sampled to compute lone-request percentiles.
const UNLOADED_SAMPLES: u32 = 1000;
/// Token budgets searched besides the engine's default when a target bounds the gaps between
/// tokens: a prefill chunk rides in a decode iteration and stretches its gap, so smaller chunks
/// are the standard lever for inter-token latency (at some cost in time to first token).
pub const GAP_TOKEN_BUDGETS: [u32; 2] = [512, 2048];
/// A smaller budget still, searched when an iteration carrying a 512-token chunk takes more
/// than half the gap target: the chunk alone would use most of it.
pub const SMALLEST_TOKEN_BUDGET: u32 = 256;
/// A larger budget, searched when a target includes the first token and the mean prompt is
/// longer than the engine's budget: fewer, fuller iterations prefill it, each paying the
/// weight reads and the fixed overhead once.
pub const LARGEST_TOKEN_BUDGET: u32 = 16384;
/// The largest batch limit searched: TensorRT-LLM's default, far above what a KV cache holds
/// for all but short requests.
const MAX_SEARCHED_BATCH: u32 = 2048;

/// One replica configuration evaluated against the scenario.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The configuration in as many replicas as the fleet holds.
    pub deployment: Deployment,
    /// Each SLO's percentile with every request alone on the server (the best any load gets).
    pub unloaded_ms: Vec<f64>,
    /// The prediction at the required load on the whole fleet.
    pub at_load: Prediction,
    /// The highest load one replica carries within every SLO, in the load's unit (requests/s,
    /// users, or queued requests); 0 when none does.
    pub replica_capacity: f64,
}

impl Candidate {
    pub fn meets_slos_at_load(&self) -> bool {
        self.at_load.meets_slos()
    }

    /// The percentile of SLO `index` at the required load (infinite when nothing completed).
    pub fn latency_at_load(&self, index: usize) -> f64 {
        self.at_load.slos[index].achieved_ms.unwrap_or(f64::INFINITY)
    }

    /// The highest load the whole fleet carries within every SLO with this configuration.
    pub fn slo_capacity(&self) -> f64 {
        self.replica_capacity * f64::from(self.deployment.replicas)
    }

    /// Replicas that carry `load` with `headroom` to spare (load x headroom <= capacity), at
    /// least one; `None` when no number of replicas does.
    pub fn replicas_needed(&self, load: f64, headroom: f64) -> Option<u32> {
        if self.replica_capacity <= 0.0 {
            return None;
        }
        let replicas = (load * headroom / self.replica_capacity).ceil().max(1.0);
        (replicas <= f64::from(u32::MAX / self.deployment.tensor_parallel)).then_some(replicas as u32)
    }

    /// The same configuration in `replicas` replicas.
    pub fn with_replicas(&self, replicas: u32) -> Deployment {
        Deployment {
            replicas,
            ..self.deployment
        }
    }

    /// Whether two candidates run the same replica configuration (whatever their replicas).
    pub fn same_configuration(&self, deployment: &Deployment) -> bool {
        Deployment {
            replicas: deployment.replicas,
            ..self.deployment
        } == *deployment
    }

    /// Replica capacity per GPU, in output tokens per second: what packing buys.
    pub fn capacity_tokens_per_gpu(&self, scenario: &ResolvedScenario) -> f64 {
        let requests_per_second = match scenario.load {
            LoadKind::Open { .. } => self.replica_capacity,
            // Users convert to a rate through the throughput each user drove at the required load.
            LoadKind::Closed { concurrency } => {
                self.at_load.requests_per_second / f64::from(concurrency.max(1)) * self.replica_capacity
            }
            // A batch's rate is how fast the fleet drains it, per replica.
            LoadKind::Offline { .. } => self.at_load.requests_per_second / f64::from(self.deployment.replicas),
        };
        requests_per_second * scenario.output_tokens.mean / f64::from(self.deployment.tensor_parallel)
    }
}

/// The engines `advise` compares: the scenario's when it names one, and only those that run on
/// the GPU (TensorRT-LLM on NVIDIA's). SGLang is modelled as vLLM with a smaller share of
/// memory and the same scheduler, so it never serves more than vLLM here: it is deployed only
/// when the scenario names it.
pub fn engines(scenario: &ResolvedScenario) -> Vec<ServingEngine> {
    let engines = match scenario.engine {
        Some(engine) => vec![engine],
        None => vec![ServingEngine::Vllm, ServingEngine::TensorrtLlm],
    };
    engines
        .into_iter()
        .filter(|&engine| scenario.gpu.runs(engine))
        .collect()
}

/// Whether `precision` is never faster than `other` on this GPU and engine: no fewer bytes per
/// weight or per cached token, and no more peak throughput. The cost model then times every
/// iteration of `other` no slower, so `precision` is not worth a simulation.
fn outclassed(scenario: &ResolvedScenario, engine: ServingEngine, precision: Precision, other: Precision) -> bool {
    let gpu = &scenario.gpu;
    let kv_bytes = |p: Precision| KvCacheDtype::engine_default(engine, p).bytes_per_element();
    let figures = |p: Precision| {
        (
            p.weight_bytes_per_param(),
            kv_bytes(p),
            gpu.peak_flops(p).unwrap_or(0.0),
        )
    };
    let (mine, theirs) = (figures(precision), figures(other));
    precision != other && theirs.0 <= mine.0 && theirs.1 <= mine.1 && theirs.2 >= mine.2 && theirs != mine
}

/// Every candidate to evaluate: each engine and allowed precision (but those another allowed
/// precision outclasses), each tensor-parallel degree up to one node that splits the heads,
/// at the engine's defaults, whose weights fit; and for each, the scheduler settings worth
/// trying (`knob_variants`); each with its lone-request percentiles. Nothing here depends on
/// the fleet's size but which degrees it holds, nor on the required load.
pub fn candidate_deployments(scenario: &ResolvedScenario) -> Vec<Searched> {
    let mut deployments = Vec::new();
    for engine in engines(scenario) {
        let precisions: Vec<Precision> = scenario
            .precisions
            .iter()
            .copied()
            .filter(|&p| {
                !scenario
                    .precisions
                    .iter()
                    .any(|&other| outclassed(scenario, engine, p, other))
            })
            .collect();
        for precision in precisions {
            // Up to one node: beyond it all-reduces cross nodes, which the cost model does not cover.
            for tensor_parallel in scenario
                .model
                .tensor_parallel_degrees(GPUS_PER_NODE.min(scenario.gpu_count))
            {
                let replicas = scenario.gpu_count / tensor_parallel;
                let base = Deployment::with_engine_defaults(engine, tensor_parallel, replicas, precision);
                if MemoryPlan::new(&scenario.model, &scenario.gpu, &base).weights_fit {
                    let base = Searched::new(scenario, base);
                    let mut variants = knob_variants(scenario, &base);
                    // Two routes to the same settings are one candidate.
                    variants.dedup();
                    variants.retain(|variant| *variant != base.deployment);
                    deployments.push(base);
                    deployments.extend(variants.into_iter().map(|variant| Searched::new(scenario, variant)));
                }
            }
        }
    }
    deployments
}

/// The scheduler settings worth trying besides the engine's defaults, from what the targets
/// bound and what the memory plan says limits a replica:
/// - a target on the gaps between tokens (TPOT or ITL): smaller token budgets
///   (`GAP_TOKEN_BUDGETS`, and `SMALLEST_TOKEN_BUDGET` for a target a 512-token chunk would
///   mostly use), each prefill chunk stalling the decodes less;
/// - a target including the first token, with prompts longer than the budget: a larger one
///   (`LARGEST_TOKEN_BUDGET`);
/// - a KV cache that holds fewer requests than the batch limit: an fp8 KV cache, twice the
///   tokens (where the GPU computes in fp8 and the engine does not already);
/// - a batch limit below what the KV cache and the token budget hold: the largest power of
///   two they do (up to `MAX_SEARCHED_BATCH`), more requests per iteration.
///
/// A variant that cannot help is not tried: when requests alone on the server already miss a
/// gap target, no chunk size brings them under it (a lone request's gaps carry no one else's
/// prefill), and when they miss any target no batch limit does.
fn knob_variants(scenario: &ResolvedScenario, searched: &Searched) -> Vec<Deployment> {
    let base = &searched.deployment;
    let misses_alone = !alone_within_targets(&searched.unloaded_ms, &scenario.slos);
    let misses_a_gap_alone = scenario
        .slos
        .iter()
        .zip(&searched.unloaded_ms)
        .any(|(slo, ms)| slo.metric.is_gap() && *ms > slo.target_ms);
    let mut variants = Vec::new();
    // Decodes take one token of the budget each: at most half of it, so that prefill chunks
    // always have room (a batch limit equal to the budget would starve them).
    let with_budget = |budget: u32| Deployment {
        max_batched_tokens: budget,
        max_batch: base.max_batch.min(budget / 2),
        ..*base
    };
    if let Some(gap_target_ms) = scenario
        .slos
        .iter()
        .filter(|slo| slo.metric.is_gap())
        .map(|slo| slo.target_ms)
        .reduce(f64::min)
        .filter(|_| !misses_a_gap_alone)
    {
        let mut budgets = GAP_TOKEN_BUDGETS.to_vec();
        let cost = CostModel::new(&scenario.model, &scenario.gpu, base, scenario.calibration(base.engine));
        let mut chunked = Batch::default();
        chunked.add_decode(1.0, scenario.prompt_tokens.mean);
        chunked.add_prefill_chunk(0.0, f64::from(GAP_TOKEN_BUDGETS[0]), false);
        if cost.step_time_s(&chunked) * 1e3 > 0.5 * gap_target_ms {
            budgets.insert(0, SMALLEST_TOKEN_BUDGET);
        }
        variants.extend(
            budgets
                .into_iter()
                .filter(|&budget| budget < base.max_batched_tokens)
                .map(with_budget),
        );
    }
    let first_token_bound = scenario
        .slos
        .iter()
        .any(|slo| matches!(slo.metric, Metric::Ttft | Metric::E2e));
    if first_token_bound
        && scenario.prompt_tokens.mean > f64::from(base.max_batched_tokens)
        && LARGEST_TOKEN_BUDGET > base.max_batched_tokens
    {
        variants.push(with_budget(LARGEST_TOKEN_BUDGET));
    }
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, base);
    let request_tokens = scenario.prompt_tokens.mean + scenario.output_tokens.mean / 2.0;
    let held_by_kv = memory.kv_capacity_tokens as f64 / request_tokens;
    let held_by_budget =
        f64::from(base.max_batched_tokens) / (1.0 + scenario.prompt_tokens.mean / scenario.output_tokens.mean);
    if held_by_kv < f64::from(base.max_batch)
        && base.kv_cache_dtype != KvCacheDtype::Fp8
        && scenario.gpu.supports(Precision::Fp8)
    {
        variants.push(Deployment {
            kv_cache_dtype: KvCacheDtype::Fp8,
            ..*base
        });
    }
    let held = held_by_kv.min(held_by_budget).min(f64::from(MAX_SEARCHED_BATCH));
    if held >= f64::from(2 * base.max_batch) && !misses_alone {
        let larger = 1u32 << (held.log2().floor() as u32);
        variants.push(Deployment {
            max_batch: larger,
            ..*base
        });
    }
    // A larger budget reserves more activation memory.
    variants.retain(|variant| MemoryPlan::new(&scenario.model, &scenario.gpu, variant).weights_fit);
    variants
}

/// A deployment to evaluate, with each SLO's percentile for requests alone on the server.
#[derive(Debug, Clone)]
pub struct Searched {
    pub deployment: Deployment,
    pub unloaded_ms: Vec<f64>,
}

impl Searched {
    fn new(scenario: &ResolvedScenario, deployment: Deployment) -> Searched {
        Searched {
            unloaded_ms: unloaded_percentiles(scenario, &deployment),
            deployment,
        }
    }
}

/// Each SLO's percentile for requests alone on the server, from sampled request lengths.
pub fn unloaded_percentiles(scenario: &ResolvedScenario, deployment: &Deployment) -> Vec<f64> {
    let cost = CostModel::new(
        &scenario.model,
        &scenario.gpu,
        deployment,
        scenario.calibration(deployment.engine),
    );
    let mut sampler = Sampler::new(scenario.seed);
    // Fixed lengths give one request shape: one sample is all of them.
    let sample_count = if scenario.prompt_tokens.cv == 0.0 && scenario.output_tokens.cv == 0.0 {
        1
    } else {
        UNLOADED_SAMPLES
    };
    let lone: Vec<LoneRequest> = (0..sample_count)
        .map(|_| {
            let prompt = sampler.length(&scenario.prompt_tokens, MAX_PROMPT_TOKENS as u32);
            let output = sampler.length(&scenario.output_tokens, MAX_OUTPUT_TOKENS as u32);
            LoneRequest::new(
                &cost,
                deployment.max_batched_tokens,
                f64::from(prompt),
                f64::from(output),
            )
        })
        .collect();
    let latencies = LatencySamples::of_lone_requests(&lone);
    scenario
        .slos
        .iter()
        .map(|slo| latencies.percentile(slo.metric, slo.percentile).unwrap_or(0.0))
        .collect()
}

/// A screening prediction of `deployment` under `scenario`.
pub fn screen(scenario: &ResolvedScenario, deployment: &Deployment, requests_per_replica: u32) -> Prediction {
    predict_deployment(scenario, deployment, SimulationSize::Screening { requests_per_replica })
}

/// Evaluates one deployment: the prediction at the required load and the replica capacity.
pub fn evaluate(
    scenario: &ResolvedScenario,
    Searched {
        deployment,
        unloaded_ms,
    }: Searched,
) -> Candidate {
    let at_load = screen(scenario, &deployment, SCREENING_REQUESTS);
    let replica_capacity = if alone_within_targets(&unloaded_ms, &scenario.slos) {
        replica_capacity(
            scenario,
            &Deployment {
                replicas: 1,
                ..deployment
            },
        )
    } else {
        0.0
    };
    Candidate {
        deployment,
        unloaded_ms,
        at_load,
        replica_capacity,
    }
}

/// Whether requests alone on the server meet every target: no load, and no number of GPUs,
/// brings a percentile below that.
pub fn alone_within_targets(unloaded_ms: &[f64], slos: &[SloTarget]) -> bool {
    unloaded_ms.iter().zip(slos).all(|(ms, slo)| *ms <= slo.target_ms)
}

/// The highest load one replica (`replica`, one replica) carries within every SLO: halving from
/// a ceiling above what it can serve until the SLOs hold, then bisecting. The search's path
/// depends on the replica and the targets only, so its answer does too.
fn replica_capacity(scenario: &ResolvedScenario, replica: &Deployment) -> f64 {
    let memory = MemoryPlan::new(&scenario.model, &scenario.gpu, replica);
    let cost = CostModel::new(
        &scenario.model,
        &scenario.gpu,
        replica,
        scenario.calibration(replica.engine),
    );
    let roofline = RooflineEstimate::new(
        &cost,
        &memory,
        replica,
        scenario.prompt_tokens.mean,
        scenario.output_tokens.mean,
    );
    let (ceiling, at_level): (f64, Box<dyn Fn(f64) -> LoadKind>) = match scenario.load {
        LoadKind::Open { arrival_cv, .. } => (
            roofline.max_requests_per_second * 1.1,
            Box::new(move |rate| LoadKind::Open {
                requests_per_second: rate,
                arrival_cv,
            }),
        ),
        // A closed loop cannot keep more users busy than the running sequences allowed.
        LoadKind::Closed { .. } => (
            (f64::from(roofline.max_running_requests_per_replica.max(replica.max_batch)) * 1.5)
                .min(f64::from(MAX_CONCURRENCY)),
            Box::new(|users: f64| LoadKind::Closed {
                concurrency: users.round().max(1.0) as u32,
            }),
        ),
        LoadKind::Offline { requests } => return offline_replica_capacity(scenario, replica, requests),
    };
    let test =
        |level: f64| meets_slos_screened(&scenario.with_load(at_level(level)), replica, CAPACITY_SEARCH_REQUESTS);
    if test(ceiling) {
        return ceiling;
    }
    let (mut low, mut high) = (ceiling / 2.0, ceiling);
    let mut halvings = 1;
    while !test(low) {
        if halvings >= CAPACITY_STEP_DOWNS {
            return 0.0;
        }
        high = low;
        low /= 2.0;
        halvings += 1;
    }
    for _ in 0..CAPACITY_SEARCH_STEPS {
        if high - low <= CAPACITY_TOLERANCE * high {
            break;
        }
        let middle = (low + high) / 2.0;
        if test(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// The largest batch one replica finishes within every SLO. A batch drains at a steady rate,
/// so a request's wait (time to first token, end to end) grows in proportion to the requests
/// ahead of it: the whole batch on one replica, scaled by how far its waits are from their
/// targets. Gap targets do not grow with the batch: missed, no batch meets them.
fn offline_replica_capacity(scenario: &ResolvedScenario, replica: &Deployment, requests: u32) -> f64 {
    let whole_batch = screen(
        &scenario.with_load(LoadKind::Offline { requests }),
        replica,
        SCREENING_REQUESTS,
    );
    if !whole_batch.feasible {
        return 0.0;
    }
    let scale = whole_batch
        .slos
        .iter()
        .map(|check| match (check.metric, check.achieved_ms) {
            (_, None) => 0.0,
            (Metric::Ttft | Metric::E2e, Some(achieved)) => check.target_ms / achieved.max(f64::MIN_POSITIVE),
            (Metric::Tpot | Metric::Itl, Some(_)) if check.met => f64::INFINITY,
            (Metric::Tpot | Metric::Itl, Some(_)) => 0.0,
        })
        .fold(f64::INFINITY, f64::min);
    if scale.is_finite() {
        f64::from(requests) * scale
    } else {
        f64::from(requests)
    }
}

/// The SLO whose target is closest to what the candidates can reach: the smallest ratio of
/// target to best lone-request percentile. Its index in `scenario.slos`.
pub fn binding_slo(scenario: &ResolvedScenario, candidates: &[Candidate]) -> usize {
    (0..scenario.slos.len())
        .min_by(|&a, &b| slack_of(scenario, candidates, a).total_cmp(&slack_of(scenario, candidates, b)))
        .unwrap_or(0)
}

/// Target over the best lone-request percentile of SLO `index`.
pub fn slack_of(scenario: &ResolvedScenario, candidates: &[Candidate], index: usize) -> f64 {
    let best = best_unloaded_ms(candidates, index);
    scenario.slos[index].target_ms / best
}

pub fn best_unloaded_ms(candidates: &[Candidate], index: usize) -> f64 {
    candidates
        .iter()
        .map(|candidate| candidate.unloaded_ms[index])
        .fold(f64::INFINITY, f64::min)
}
