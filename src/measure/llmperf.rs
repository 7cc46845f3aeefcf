//! LLMPerf (ray-project/llmperf `token_benchmark_ray.py`) summary JSON: the nested results
//! flattened with `_` (`results_ttft_s_quantiles_p95`, `results_end_to_end_latency_s_mean`,
//! `results_num_completed_requests`, ...), times in seconds. LLMPerf's
//! `inter_token_latency_s` is each request's total gap time over its output tokens: a per-request
//! mean, reported here as TPOT.

use super::json::{number, text, Object};
use super::run::{FileLayout, MeasuredPoint, MeasuredRun, MeasuredStats, OfferedLoad};
use super::ImportError;

pub fn detect(object: &Object) -> bool {
    object.contains_key("results_ttft_s_mean") || object.contains_key("results_num_completed_requests")
}

/// `results_<metric>_mean` and `results_<metric>_quantiles_pNN`, seconds, as ms.
fn seconds(object: &Object, metric: &str) -> MeasuredStats {
    let field = |suffix: &str| number(object, &format!("results_{metric}_{suffix}")).map(|s| s * 1e3);
    MeasuredStats {
        mean: field("mean"),
        p50: field("quantiles_p50"),
        p90: field("quantiles_p90"),
        p95: field("quantiles_p95"),
        p99: field("quantiles_p99"),
        intervals: None,
    }
}

pub fn import(object: &Object) -> Result<MeasuredRun, ImportError> {
    let completed = number(object, "results_num_completed_requests")
        .ok_or_else(|| ImportError::field("results_num_completed_requests", "a request count"))?;
    let point = MeasuredPoint {
        offered: OfferedLoad {
            concurrency: number(object, "num_concurrent_requests"),
            ..OfferedLoad::default()
        },
        requests_per_second: number(object, "results_num_completed_requests_per_min")
            .map(|per_minute| per_minute / 60.0),
        output_tokens_per_second: number(object, "results_mean_output_throughput_token_per_s"),
        completed: completed as u64,
        failed: number(object, "results_number_errors").unwrap_or(0.0) as u64,
        prompt_tokens_mean: number(object, "results_number_input_tokens_mean"),
        output_tokens_mean: number(object, "results_number_output_tokens_mean"),
        ttft_ms: seconds(object, "ttft_s"),
        tpot_ms: seconds(object, "inter_token_latency_s"),
        itl_ms: MeasuredStats::default(),
        e2e_ms: seconds(object, "end_to_end_latency_s"),
        duration_s: None,
        samples: None,
    };
    Ok(MeasuredRun {
        tool: "llmperf".to_string(),
        tool_version: text(object, "version"),
        format: FileLayout::LlmperfSummaryJson.id().to_string(),
        model: text(object, "model"),
        points: vec![point],
        notes: vec![
            "LLMPerf reports seconds; converted to ms".to_string(),
            "LLMPerf's inter_token_latency is a per-request mean gap: reported as TPOT; it gives no per-gap ITL"
                .to_string(),
            "prompt tokens are LLMPerf's tokenizer counts (number_input_tokens)".to_string(),
        ],
    })
}
