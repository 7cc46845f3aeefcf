//! What each use case implies when a scenario leaves it out: request lengths (used when
//! `workload.promptTokens` / `outputTokens` are omitted) and latency targets (used when `slo`
//! is omitted). The README's table of presets says what each stands for and why.

use crate::domain::{LengthDistribution, Metric, SloTarget, UseCase};

/// A use case's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub prompt_tokens: LengthDistribution,
    pub output_tokens: LengthDistribution,
    pub slos: &'static [SloTarget],
}

/// The preset of `use_case`; `custom` has none.
pub fn preset(use_case: UseCase) -> Option<Preset> {
    let lengths = |mean: f64, cv: f64| LengthDistribution { mean, cv };
    Some(match use_case {
        // Conversational turns carrying history; the answer must start within half a second
        // and stream faster than reading speed (50 ms per token = 20 tokens/s).
        UseCase::Chat => Preset {
            prompt_tokens: lengths(1000.0, 0.5),
            output_tokens: lengths(250.0, 0.6),
            slos: &CHAT_SLOS,
        },
        // Editor completions: file context in, a line or two out, shown as a whole.
        UseCase::CodeCompletion => Preset {
            prompt_tokens: lengths(1500.0, 0.5),
            output_tokens: lengths(40.0, 0.5),
            slos: &CODE_COMPLETION_SLOS,
        },
        // Tool-using agents: long contexts (instructions, tool results), each step's whole
        // answer gates the next step.
        UseCase::Agent => Preset {
            prompt_tokens: lengths(4000.0, 0.5),
            output_tokens: lengths(400.0, 0.5),
            slos: &AGENT_SLOS,
        },
        // Retrieval-augmented answers: retrieved passages make long prompts; streamed answers.
        UseCase::Rag => Preset {
            prompt_tokens: lengths(3000.0, 0.3),
            output_tokens: lengths(300.0, 0.5),
            slos: &RAG_SLOS,
        },
        // Document summaries: long inputs, a loose bound on the whole answer.
        UseCase::Summarization => Preset {
            prompt_tokens: lengths(4000.0, 0.5),
            output_tokens: lengths(400.0, 0.4),
            slos: &SUMMARIZATION_SLOS,
        },
        // Offline jobs: only a generous completion bound.
        UseCase::Batch => Preset {
            prompt_tokens: lengths(1000.0, 0.8),
            output_tokens: lengths(500.0, 0.8),
            slos: &BATCH_SLOS,
        },
        UseCase::Custom => return None,
    })
}

const fn p95(metric: Metric, target_ms: f64) -> SloTarget {
    SloTarget {
        metric,
        percentile: SloTarget::DEFAULT_PERCENTILE,
        target_ms,
    }
}
const CHAT_SLOS: [SloTarget; 2] = [p95(Metric::Ttft, 500.0), p95(Metric::Tpot, 50.0)];
const CODE_COMPLETION_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 1000.0)];
const AGENT_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 15_000.0)];
const RAG_SLOS: [SloTarget; 2] = [p95(Metric::Ttft, 1000.0), p95(Metric::Tpot, 50.0)];
const SUMMARIZATION_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 60_000.0)];
const BATCH_SLOS: [SloTarget; 1] = [p95(Metric::E2e, 600_000.0)];
