//! Reads `data/calibration.csv`: published TensorRT-LLM measurements, one metric per row (the
//! file's README, `data/README.md`, says where each comes from). Each
//! row becomes an observation with the deployment the benchmark ran (engine settings included),
//! or an explanation of why it cannot be modelled.

use crate::catalog::{self, GpuSpec, ModelSpec};
use crate::domain::{Deployment, KvCacheDtype, Precision, ServingEngine};
use crate::perf::{kv_bytes_per_token, MemoryPolicy};
use serde::Deserialize;

/// One row of the calibration file, as written.
#[derive(Debug, Clone, Deserialize)]
struct Row {
    source: String,
    model: String,
    gpu: String,
    num_gpus: u32,
    tp: u32,
    pp: u32,
    precision: String,
    input_len: u32,
    output_len: u32,
    concurrency_or_rate: String,
    metric: String,
    value: f64,
}

/// How the measured load was offered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObservedLoad {
    /// All requests queued at once (`trtllm-bench throughput`, or an online client at QPS=INF).
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
    /// Measured runs only (the published tables give means).
    TtftP95Ms,
    ItlMeanMs,
}

impl ObservedMetric {
    pub fn id(self) -> &'static str {
        match self {
            ObservedMetric::OutputTokensPerSecond => "output tok/s",
            ObservedMetric::TotalTokensPerSecond => "total tok/s",
            ObservedMetric::RequestsPerSecond => "requests/s",
            ObservedMetric::TtftMeanMs => "TTFT mean",
            ObservedMetric::TtftP95Ms => "TTFT p95",
            ObservedMetric::ItlMeanMs => "ITL mean",
        }
    }

    /// Throughputs are what offline runs measure; latencies what online runs add.
    pub fn is_latency(self) -> bool {
        matches!(
            self,
            ObservedMetric::TtftMeanMs | ObservedMetric::TtftP95Ms | ObservedMetric::ItlMeanMs
        )
    }
}

/// A measurement and the deployment that produced it.
#[derive(Debug, Clone)]
pub struct Observation {
    /// 1-based line in the file (the header is line 1).
    pub line: usize,
    pub source: String,
    pub model: ModelSpec,
    pub gpu: GpuSpec,
    pub deployment: Deployment,
    pub memory_policy: MemoryPolicy,
    pub prompt_tokens: u32,
    pub output_tokens: u32,
    pub load: ObservedLoad,
    pub metric: ObservedMetric,
    pub value: f64,
}

impl Observation {
    /// Offline throughput rows, the ones the calibration is fitted on.
    pub fn is_offline(&self) -> bool {
        matches!(self.load, ObservedLoad::Offline { .. }) && !self.source.contains("online")
    }
}

/// A row that cannot be modelled, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmodellable {
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

/// Reads the calibration file: observations, and the rows that cannot be modelled with reasons.
pub fn load_published(text: &str) -> Result<(Vec<Observation>, Vec<Unmodellable>), String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut observations = Vec::new();
    let mut unmodellable = Vec::new();
    for (index, row) in reader.deserialize::<Row>().enumerate() {
        let line = index + 2;
        let row = row.map_err(|e| format!("calibration data line {line}: {e}"))?;
        match observation(line, &row) {
            Ok(observation) => observations.push(observation),
            Err(reason) => unmodellable.push(Unmodellable { line, reason }),
        }
    }
    Ok((observations, unmodellable))
}

fn observation(line: usize, row: &Row) -> Result<Observation, String> {
    let model =
        catalog::find_model("model", &row.model).map_err(|_| format!("model {} is not in the catalog", row.model))?;
    let gpu = catalog_gpu(&row.gpu).ok_or_else(|| format!("GPU {} is not in the catalog", row.gpu))?;
    if row.pp != 1 {
        return Err(format!("pipeline parallelism {} is not modelled", row.pp));
    }
    if row.num_gpus != row.tp {
        return Err(format!(
            "{} GPUs at tensor parallelism {} (data parallelism) is not modelled",
            row.num_gpus, row.tp
        ));
    }
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
    let metric = match row.metric.as_str() {
        "output_tokens_per_s_total" => ObservedMetric::OutputTokensPerSecond,
        "total_tokens_per_s_total" => ObservedMetric::TotalTokensPerSecond,
        "requests_per_s" => ObservedMetric::RequestsPerSecond,
        "ttft_mean_ms" => ObservedMetric::TtftMeanMs,
        "itl_mean_ms" => ObservedMetric::ItlMeanMs,
        other => return Err(format!("metric {other} is not modelled")),
    };
    if !(row.value.is_finite() && row.value > 0.0) {
        return Err(format!("value {} is not a positive number", row.value));
    }
    let online = row.source.contains("online");
    let load = match row.concurrency_or_rate.as_str() {
        text if text.starts_with("offline") => ObservedLoad::Offline {
            requests: trtllm_bench_requests(row.input_len, row.output_len)
                .ok_or_else(|| format!("no request count known for {}/{} tokens", row.input_len, row.output_len))?,
        },
        "QPS=INF" => ObservedLoad::Offline {
            requests: ONLINE_REQUESTS,
        },
        text => match text.strip_prefix("QPS=").and_then(|rate| rate.parse::<f64>().ok()) {
            Some(rate) if rate > 0.0 => ObservedLoad::Rate {
                requests_per_second: rate,
                arrival_cv: 1.0,
                requests: ONLINE_REQUESTS,
            },
            _ => return Err(format!("load \"{text}\" is not understood")),
        },
    };
    // Engine settings. Offline rows: trtllm-bench's tuned limits, a KV cache of 95% of free
    // memory, GUARANTEED_NO_EVICT. Online rows (Triton, v0.14): the BuildConfig defaults
    // max_batch_size 2048 and max_num_tokens 8192, 90% of free memory.
    let (max_batch, max_batched_tokens, kv_fraction) = if online {
        (2048, 8192, 0.9)
    } else {
        let (batch, tokens) = trtllm_bench_limits(model, gpu, row.tp, precision, row.input_len, row.output_len);
        (batch, tokens, 0.95)
    };
    Ok(Observation {
        line,
        source: row.source.clone(),
        model: model.clone(),
        gpu: gpu.clone(),
        deployment: Deployment {
            max_batch,
            max_batched_tokens: max_batched_tokens.max(max_batch),
            ..Deployment::with_engine_defaults(ServingEngine::TensorrtLlm, row.tp, 1, precision)
        },
        memory_policy: MemoryPolicy::ShareOfFree(kv_fraction),
        prompt_tokens: row.input_len,
        output_tokens: row.output_len,
        load,
        metric,
        value: row.value,
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
