//! Reads the calibration files (`DATA_FILES`): published measurements of TensorRT-LLM, vLLM and
//! SGLang, one metric per row (`data/README.md` says where each comes from). The rows of one
//! benchmark run become one observation with the deployment the benchmark ran (engine settings
//! included) and everything it measured, or an explanation of why they cannot be modelled.

use crate::catalog::{self, GpuSpec, ModelSpec};
use crate::domain::{Deployment, KvCacheDtype, Precision, ServingEngine};
use crate::perf::{kv_bytes_per_token, MemoryPolicy};
use serde::Deserialize;

/// One row of a calibration file, as written.
#[derive(Debug, Clone, Deserialize)]
struct Row {
    source: String,
    source_file_or_url: String,
    model: String,
    gpu: String,
    num_gpus: u32,
    tp: u32,
    pp: u32,
    precision: String,
    framework: String,
    input_len: u32,
    output_len: u32,
    concurrency_or_rate: String,
    metric: String,
    value: f64,
    #[serde(default)]
    notes: String,
}

/// How the measured load was offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObservedLoad {
    /// All requests queued at once (`trtllm-bench throughput`, vLLM's `benchmark_throughput`,
    /// an online client at QPS=INF, or a static batch of `requests`).
    Offline { requests: u32 },
    /// Requests at a mean rate; `arrival_cv` is the CV of the gaps (1: Poisson, the benchmark
    /// clients' default).
    Rate {
        requests_per_second: f64,
        arrival_cv: f64,
        requests: u32,
    },
    /// A closed loop of `concurrency` users.
    Closed { concurrency: u32, requests: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObservedMetric {
    OutputTokensPerSecond,
    TotalTokensPerSecond,
    RequestsPerSecond,
    TtftMeanMs,
    TtftMedianMs,
    TtftP95Ms,
    TtftP99Ms,
    TpotMeanMs,
    TpotMedianMs,
    ItlMeanMs,
    ItlMedianMs,
    E2eMeanMs,
    E2eMedianMs,
}

/// What a metric measures, for grouping errors and error bands: throughput, the prompt's
/// latency, the decode's, or a whole request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricFamily {
    Throughput,
    Ttft,
    /// TPOT and ITL: both are the decode iterations' length as a streaming client sees it.
    Decode,
    E2e,
}

impl MetricFamily {
    pub const ALL: [MetricFamily; 4] = [
        MetricFamily::Throughput,
        MetricFamily::Ttft,
        MetricFamily::Decode,
        MetricFamily::E2e,
    ];

    pub fn id(self) -> &'static str {
        match self {
            MetricFamily::Throughput => "throughput",
            MetricFamily::Ttft => "TTFT",
            MetricFamily::Decode => "TPOT/ITL",
            MetricFamily::E2e => "E2E",
        }
    }
}

impl ObservedMetric {
    pub fn id(self) -> &'static str {
        match self {
            ObservedMetric::OutputTokensPerSecond => "output tok/s",
            ObservedMetric::TotalTokensPerSecond => "total tok/s",
            ObservedMetric::RequestsPerSecond => "requests/s",
            ObservedMetric::TtftMeanMs => "TTFT mean",
            ObservedMetric::TtftMedianMs => "TTFT median",
            ObservedMetric::TtftP95Ms => "TTFT p95",
            ObservedMetric::TtftP99Ms => "TTFT p99",
            ObservedMetric::TpotMeanMs => "TPOT mean",
            ObservedMetric::TpotMedianMs => "TPOT median",
            ObservedMetric::ItlMeanMs => "ITL mean",
            ObservedMetric::ItlMedianMs => "ITL median",
            ObservedMetric::E2eMeanMs => "E2E mean",
            ObservedMetric::E2eMedianMs => "E2E median",
        }
    }

    /// The column name in the calibration files.
    fn parse(column: &str) -> Option<ObservedMetric> {
        Some(match column {
            "output_tokens_per_s_total" => ObservedMetric::OutputTokensPerSecond,
            "total_tokens_per_s_total" => ObservedMetric::TotalTokensPerSecond,
            "requests_per_s" => ObservedMetric::RequestsPerSecond,
            "ttft_mean_ms" => ObservedMetric::TtftMeanMs,
            "ttft_median_ms" => ObservedMetric::TtftMedianMs,
            "ttft_p99_ms" => ObservedMetric::TtftP99Ms,
            "tpot_mean_ms" => ObservedMetric::TpotMeanMs,
            "tpot_median_ms" => ObservedMetric::TpotMedianMs,
            "itl_mean_ms" => ObservedMetric::ItlMeanMs,
            "itl_median_ms" => ObservedMetric::ItlMedianMs,
            "e2e_latency_mean_ms" => ObservedMetric::E2eMeanMs,
            "e2e_latency_median_ms" => ObservedMetric::E2eMedianMs,
            _ => return None,
        })
    }

    pub fn family(self) -> MetricFamily {
        match self {
            ObservedMetric::OutputTokensPerSecond
            | ObservedMetric::TotalTokensPerSecond
            | ObservedMetric::RequestsPerSecond => MetricFamily::Throughput,
            ObservedMetric::TtftMeanMs
            | ObservedMetric::TtftMedianMs
            | ObservedMetric::TtftP95Ms
            | ObservedMetric::TtftP99Ms => MetricFamily::Ttft,
            ObservedMetric::TpotMeanMs
            | ObservedMetric::TpotMedianMs
            | ObservedMetric::ItlMeanMs
            | ObservedMetric::ItlMedianMs => MetricFamily::Decode,
            ObservedMetric::E2eMeanMs | ObservedMetric::E2eMedianMs => MetricFamily::E2e,
        }
    }

    /// Throughputs are what offline runs measure; latencies what online runs add.
    pub fn is_latency(self) -> bool {
        self.family() != MetricFamily::Throughput
    }
}

/// One measured value of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// 1-based line in its file (the header is line 1), or the point's index for a user's sweep.
    pub line: usize,
    pub metric: ObservedMetric,
    pub value: f64,
}

/// A benchmark run: the deployment and load that produced it, and what it measured.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The file the run comes from (`data/...csv`), or "measured" for a user's sweep.
    pub file: String,
    pub source: String,
    pub model: ModelSpec,
    pub gpu: GpuSpec,
    /// One replica's deployment; `data_parallel` copies of it ran together.
    pub deployment: Deployment,
    pub data_parallel: u32,
    pub memory_policy: MemoryPolicy,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    /// The load one replica saw.
    pub load: ObservedLoad,
    pub measured: Vec<Measured>,
}

impl Observation {
    /// A run that queued everything at once: its throughput does not depend on timing.
    pub fn is_offline(&self) -> bool {
        matches!(self.load, ObservedLoad::Offline { .. })
    }

    /// Whether every measured value is a throughput (no latency).
    pub fn throughput_only(&self) -> bool {
        self.measured.iter().all(|m| !m.metric.is_latency())
    }
}

/// A row that cannot be modelled, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmodellable {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// Requests per `trtllm-bench` dataset, by (input, output) length: the `--num-requests` table of
/// perf-overview.md (identical at commits 258c7540 and 00f37686).
fn trtllm_bench_requests(input_len: u32, output_len: u32) -> Option<u32> {
    Some(match (input_len, output_len) {
        (128, 128) => 30_000,
        (128, 2048) | (2048, 128) | (1000, 1000) | (500, 2000) => 3000,
        (128, 4096) | (2048, 2048) | (5000, 500) | (1000, 2000) => 1500,
        (20_000, 2000) => 1000,
        _ => return None,
    })
}

/// Requests per point of the v0.14 online-serving table ("with 500 requests").
const ONLINE_REQUESTS: u32 = 500;

/// `trtllm-bench`'s engine tuning heuristic (tensorrt_llm/bench/build/tuning.py,
/// `calc_engine_setting` and `finetune_setting`): how many requests fit the KV cache at this
/// input and output length, rounded up, gives `max_batch_size`; that times (1 + ISL/OSL) gives
/// `max_num_tokens`. Returns (max batch, max tokens per iteration).
fn trtllm_bench_limits(
    model: &ModelSpec,
    gpu: &GpuSpec,
    tp: u32,
    precision: Precision,
    isl: u32,
    osl: u32,
) -> (u32, u32) {
    let kv_fraction = 0.95;
    let weight_gb = model.params_b * precision.weight_bytes_per_param();
    let total_memory_gb = gpu.memory_gb * f64::from(tp);
    // The heuristic counts KV bytes for the whole model: at least one KV head per GPU.
    let kv_dtype = KvCacheDtype::engine_default(ServingEngine::TensorrtLlm, precision);
    let kv_gb_per_token = kv_bytes_per_token(model, 1, kv_dtype) * f64::from(model.kv_heads.max(tp))
        / f64::from(model.kv_heads)
        / catalog::BYTES_PER_GB;
    let kv_requests = (total_memory_gb - weight_gb).max(0.0) * kv_fraction / kv_gb_per_token / f64::from(isl + osl);
    let raw_batch = kv_requests.min(4096.0);
    let raw_tokens = (raw_batch * (1.0 + f64::from(isl) / f64::from(osl))).min(32768.0);
    let round_up = |value: f64, multiple: f64| multiple * (value / multiple).ceil();
    let max_batch = if raw_batch < 256.0 {
        round_up(raw_batch, 32.0).max(64.0)
    } else if raw_batch < 1024.0 {
        round_up(raw_batch, 128.0)
    } else {
        round_up(raw_batch, 256.0)
    };
    let max_tokens = if raw_tokens < 4096.0 {
        round_up(raw_tokens, 256.0).max(2048.0)
    } else if raw_tokens < 8192.0 {
        round_up(raw_tokens, 512.0)
    } else {
        round_up(raw_tokens, 1024.0)
    };
    (max_batch as u32, max_tokens as u32)
}

fn catalog_gpu(name: &str) -> Option<&'static GpuSpec> {
    // The tables name GPUs by family; the systems are DGX H100/H200/B200 (SXM) and GH200.
    let id = match name {
        "H100" => "H100-SXM",
        "H200" => "H200-SXM",
        "B200" => "B200-SXM",
        "A100-SXM4-80GB" => "A100-SXM-80GB",
        other => other,
    };
    catalog::find_gpu("gpu", id).ok()
}

/// The calibration files, each a table of published measurements with its sources (data/README.md).
pub const DATA_FILES: [&str; 4] = [
    "data/calibration.csv",
    "data/trtllm-perf-overview-2025.csv",
    "data/vllm-sglang.csv",
    "data/amd-instinct.csv",
];

/// Reads a calibration file: its runs (rows of one benchmark run grouped, one metric each), and
/// the rows that cannot be modelled with reasons.
pub fn load_published(file: &str, text: &str) -> Result<(Vec<Observation>, Vec<Unmodellable>), String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut observations: Vec<(String, Observation)> = Vec::new();
    let mut unmodellable = Vec::new();
    for (index, row) in reader.deserialize::<Row>().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("{file} line {line}: {e}"))?;
        let run_key = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            row.source_file_or_url,
            row.model,
            row.gpu,
            row.num_gpus,
            row.tp,
            row.precision,
            row.framework,
            row.input_len,
            row.output_len,
            row.concurrency_or_rate,
            row.source
        );
        let measured = match ObservedMetric::parse(&row.metric) {
            Some(_) if !(row.value.is_finite() && row.value > 0.0) => {
                Err(format!("value {} is not a positive number", row.value))
            }
            Some(metric) => Ok(Measured {
                line,
                metric,
                value: row.value,
            }),
            None => Err(format!("metric {} is not modelled", row.metric)),
        };
        let result = measured.and_then(
            |measured| match observations.iter_mut().find(|(key, _)| *key == run_key) {
                Some((_, run)) => {
                    run.measured.push(measured);
                    Ok(())
                }
                None => observation(file, &row).map(|mut run| {
                    run.measured.push(measured);
                    observations.push((run_key, run));
                }),
            },
        );
        if let Err(reason) = result {
            unmodellable.push(Unmodellable {
                file: file.to_string(),
                line,
                reason,
            });
        }
    }
    Ok((observations.into_iter().map(|(_, run)| run).collect(), unmodellable))
}

/// The engine a row's `framework` names.
fn engine_of(framework: &str) -> ServingEngine {
    let lower = framework.to_ascii_lowercase();
    if lower.starts_with("vllm") {
        ServingEngine::Vllm
    } else if lower.starts_with("sglang") {
        ServingEngine::Sglang
    } else {
        ServingEngine::TensorrtLlm
    }
}

/// The whole number written after one of `keys` in `notes` ("num_requests 3000",
/// "max num seqs 1500", "num_prompts=320"), or before one of `words` ("150 requests").
fn number_in_notes(notes: &str, keys: &[&str], words: &[&str]) -> Option<u32> {
    let lower = notes.to_ascii_lowercase();
    let digits = |text: &str| -> Option<u32> {
        let number: String = text
            .trim_start_matches([' ', '=', ':'])
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',')
            .filter(char::is_ascii_digit)
            .collect();
        number.parse().ok()
    };
    for key in keys {
        if let Some(found) = lower.find(key).and_then(|at| digits(&lower[at + key.len()..])) {
            return Some(found);
        }
    }
    for word in words {
        for (at, _) in lower.match_indices(word) {
            let before: String = lower[..at]
                .trim_end()
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || *c == ',')
                .collect();
            let number: String = before.chars().rev().filter(char::is_ascii_digit).collect();
            if let Ok(found) = number.parse() {
                return Some(found);
            }
        }
    }
    None
}

/// Requests of an offline run whose count no table or note gives: vLLM's
/// `benchmark_throughput.py` default `--num-prompts`.
const DEFAULT_OFFLINE_REQUESTS: u32 = 1000;
/// Requests simulated for a closed loop whose count the source does not give: four per user,
/// so the first burst is a small part of the run.
pub(super) const REQUESTS_PER_USER: u32 = 4;

fn observation(file: &str, row: &Row) -> Result<Observation, String> {
    let model =
        catalog::find_model("model", &row.model).map_err(|_| format!("model {} is not in the catalog", row.model))?;
    let gpu = catalog_gpu(&row.gpu).ok_or_else(|| format!("GPU {} is not in the catalog", row.gpu))?;
    if row.pp != 1 {
        return Err(format!("pipeline parallelism {} is not modelled", row.pp));
    }
    if row.tp == 0 || row.num_gpus % row.tp != 0 {
        return Err(format!(
            "{} GPUs are not whole groups of tensor parallelism {}",
            row.num_gpus, row.tp
        ));
    }
    let data_parallel = row.num_gpus / row.tp;
    let precision =
        Precision::parse("precision", &row.precision).map_err(|_| format!("precision {} is unknown", row.precision))?;
    if !gpu.supports(precision) {
        return Err(format!("{} does not support {}", gpu.id, precision));
    }
    if !model.splits_heads(row.tp) {
        return Err(format!(
            "tensor parallelism {} does not divide {} heads",
            row.tp, model.heads
        ));
    }
    if row.input_len == 0 || row.output_len == 0 {
        return Err("input and output lengths must be positive".to_string());
    }
    if row.notes.to_ascii_lowercase().contains("approx") {
        return Err(
            "lengths known only approximately (a variable-length dataset whose means the source does not \
                    state) are not modelled"
                .to_string(),
        );
    }
    if row.notes.contains("AMBIGUOUS") {
        return Err("its source leaves the measured quantity ambiguous".to_string());
    }
    if row.gpu == "GH200" && row.notes.contains("120GB") {
        return Err("the 120 GB GH200 is not in the catalog (its 96 GB variant is)".to_string());
    }
    if row.framework.to_ascii_lowercase().contains("cuda graphs disabled") {
        return Err(
            "a run without CUDA graphs (the configuration mistake its source reports) is not modelled".to_string(),
        );
    }
    let engine = engine_of(&row.framework);
    let online_trtllm = row.source.contains("online");
    let stated_requests = number_in_notes(
        &row.notes,
        &[
            "num_requests",
            "num requests",
            "num_prompts",
            "num prompts",
            "num-prompts",
        ],
        &[" requests", " prompts"],
    );
    let per_replica = |count: u32| count.div_ceil(data_parallel).max(1);
    let mut static_batch = None;
    let load = match row.concurrency_or_rate.as_str() {
        text if text.starts_with("offline") => ObservedLoad::Offline {
            requests: per_replica(
                trtllm_bench_requests(row.input_len, row.output_len)
                    .filter(|_| engine == ServingEngine::TensorrtLlm)
                    .or(stated_requests)
                    .unwrap_or(DEFAULT_OFFLINE_REQUESTS),
            ),
        },
        "QPS=INF" => ObservedLoad::Offline {
            requests: per_replica(ONLINE_REQUESTS),
        },
        text => {
            let number = |prefix: &str| text.strip_prefix(prefix).and_then(|n| n.trim().parse::<f64>().ok());
            if let Some(rate) = number("QPS=").filter(|rate| *rate > 0.0 && rate.is_finite()) {
                ObservedLoad::Rate {
                    requests_per_second: rate / f64::from(data_parallel),
                    arrival_cv: 1.0,
                    requests: per_replica(stated_requests.unwrap_or(ONLINE_REQUESTS)),
                }
            } else if let Some(users) = number("concurrency=").filter(|u| *u >= 1.0 && *u <= 100_000.0) {
                let users = per_replica(users as u32);
                ObservedLoad::Closed {
                    concurrency: users,
                    requests: stated_requests.map_or(REQUESTS_PER_USER * users, per_replica),
                }
            } else if let Some(batch) = number("batch=").filter(|b| *b >= 1.0 && *b <= 100_000.0) {
                static_batch = Some(batch as u32);
                ObservedLoad::Offline { requests: batch as u32 }
            } else {
                return Err(format!("load \"{text}\" is not understood"));
            }
        }
    };
    // Engine settings. TensorRT-LLM offline rows: trtllm-bench's tuned limits, a KV cache of
    // 95% of free memory, GUARANTEED_NO_EVICT. Online rows (Triton, v0.14): the BuildConfig
    // defaults max_batch_size 2048 and max_num_tokens 8192, 90% of free memory. vLLM and
    // SGLang: their defaults, or the maximum sequences the notes state. A static batch runs
    // as one batch.
    let stated_max_batch = number_in_notes(&row.notes, &["max_num_seqs", "max num seqs", "max-num-seqs"], &[]);
    let defaults = Deployment::with_engine_defaults(engine, row.tp, 1, precision);
    let (max_batch, max_batched_tokens, memory_policy) = if online_trtllm {
        (2048, 8192, MemoryPolicy::ShareOfFree(0.9))
    } else if engine == ServingEngine::TensorrtLlm {
        let (batch, tokens) = trtllm_bench_limits(model, gpu, row.tp, precision, row.input_len, row.output_len);
        (batch, tokens, MemoryPolicy::ShareOfFree(0.95))
    } else {
        (
            stated_max_batch.unwrap_or(defaults.max_batch),
            defaults.max_batched_tokens,
            MemoryPolicy::for_engine(engine),
        )
    };
    let max_batch = static_batch.unwrap_or(max_batch).max(1);
    Ok(Observation {
        file: file.to_string(),
        source: row.source.clone(),
        model: model.clone(),
        gpu: gpu.clone(),
        deployment: Deployment {
            max_batch,
            max_batched_tokens: max_batched_tokens.max(max_batch),
            ..defaults
        },
        data_parallel,
        memory_policy,
        prompt_tokens: row.input_len,
        output_tokens: row.output_len,
        load,
        measured: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_heuristic_matches_its_worked_example() {
        // Llama-3.1-8B FP8 on one H100 at 128/128: (4096, 8192); at 20000/2000: (64, 2048).
        let model = catalog::find_model("m", "Llama-3.1-8B").unwrap();
        let gpu = catalog::find_gpu("g", "H100-SXM").unwrap();
        assert_eq!(
            trtllm_bench_limits(model, gpu, 1, Precision::Fp8, 128, 128),
            (4096, 8192)
        );
        assert_eq!(
            trtllm_bench_limits(model, gpu, 1, Precision::Fp8, 20_000, 2000),
            (64, 2048)
        );
    }
}
