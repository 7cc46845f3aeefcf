//! Limits on user input: each appears in the error when a value passes it, and together they
//! bound the work of every call (the README's limits table lists them with what was measured).

/// Largest fleet, GPUs.
pub const MAX_GPU_COUNT: u32 = 4096;
/// Longest prompt, tokens (1 M: the longest context windows of current models).
pub const MAX_PROMPT_TOKENS: f64 = 1_048_576.0;
/// Longest output, tokens.
pub const MAX_OUTPUT_TOKENS: f64 = 131_072.0;
/// Largest coefficient of variation of a length or of inter-arrival times.
pub const MAX_CV: f64 = 10.0;
/// Burstiest arrivals: vLLM's `--burstiness`, the gamma shape of the gaps, at its smallest
/// (gaps with a coefficient of variation of 10, `MAX_CV`).
pub const MIN_BURSTINESS: f64 = 0.01;
/// Smoothest arrivals: a gamma shape of a million, gaps within about 0.1% of the mean (all but
/// a constant rate, which vLLM's gamma cannot express either).
pub const MAX_BURSTINESS: f64 = 1_000_000.0;
/// Highest request rate, requests per second.
pub const MAX_REQUESTS_PER_SECOND: f64 = 1_000_000.0;
/// Lowest request rate, requests per second (one request every 11.6 days).
pub const MIN_REQUESTS_PER_SECOND: f64 = 1e-6;
/// Most concurrent users of a closed loop: each is simulated through at least four requests
/// (`predict::traffic::MIN_REQUESTS_PER_CLOSED_LOOP_USER`), and a simulation runs at most
/// 100,000 (`MAX_SIMULATED_REQUESTS`), even with every user on one replica.
pub const MAX_CONCURRENCY: u32 = 25_000;
/// Most requests of an offline batch.
pub const MAX_OFFLINE_REQUESTS: u32 = 100_000;
/// Longest latency target, ms (a day).
pub const MAX_TARGET_MS: f64 = 86_400_000.0;
/// Highest GPU price, per GPU-hour.
pub const MAX_PRICE_PER_GPU_HOUR: f64 = 10_000.0;
/// Largest seed: the largest integer a JavaScript number holds exactly.
pub const MAX_SEED: f64 = 9_007_199_254_740_991.0;
/// Largest `maxBatch` (running sequences per replica).
pub const MAX_BATCH: u32 = 65_536;
/// Largest `maxBatchedTokens` (tokens per engine iteration).
pub const MAX_BATCHED_TOKENS: u32 = 1_048_576;
/// Most measured load levels (points, over all runs) one calibration fits.
pub const MAX_MEASURED_POINTS: usize = 64;
/// Largest calibration all-reduce latency a scenario may give, microseconds.
pub const MAX_ALLREDUCE_LATENCY_US: f64 = 100_000.0;
/// Largest calibration per-iteration overhead a scenario may give, ms.
pub const MAX_STEP_OVERHEAD_MS: f64 = 10_000.0;
/// Most latency targets in one scenario: every metric at a couple of percentiles is 8; each
/// target is checked on every simulated request, so their count multiplies the work.
pub const MAX_SLOS: usize = 16;
/// Largest per-layer overhead a given calibration may state, microseconds.
pub const MAX_LAYER_OVERHEAD_US: f64 = 100_000.0;

/// Requests an offline batch holds when `requests` is left out.
pub const DEFAULT_OFFLINE_REQUESTS: u32 = 2000;
