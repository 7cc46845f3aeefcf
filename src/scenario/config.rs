//! A deployment to evaluate, checked against the resolved scenario, with every default filled
//! in. The one default that needs more than the input is the tensor-parallel degree, chosen
//! from the memory plan (what fits, and how many tokens the KV cache then holds).

use super::limits::{MAX_BATCH, MAX_BATCHED_TOKENS};
use super::{Config, ResolvedScenario};
use crate::domain::{Deployment, KvCacheDtype, Precision, ServingEngine};
use crate::error::{check, Error, Result};
use crate::perf::MemoryPlan;

impl Config {
    /// Checks the config against the scenario and fills in defaults:
    /// - `precision`: the first of the scenario's allowed precisions the GPU supports;
    /// - `engine`: the scenario's, else `ServingEngine::DEFAULT` (vLLM);
    /// - `maxBatch` and `maxBatchedTokens`: the engine's defaults (`ServingEngine`);
    /// - `kvCacheDtype`: `auto`, the engine's default for the precision (`KvCacheDtype`);
    /// - `tensorParallel`: see [`default_tensor_parallel`], among the degrees that split the
    ///   model's heads, up to the GPU count (a degree that does not divide it leaves GPUs idle);
    /// - `replicas`: as many as the fleet holds at that degree, `floor(count / tensorParallel)`.
    pub fn resolve(&self, scenario: &ResolvedScenario) -> Result<Deployment> {
        let precision = match &self.precision {
            None => scenario.precisions[0],
            Some(id) => {
                let precision = Precision::parse("config.precision", id)?;
                if !scenario.gpu.supports(precision) {
                    return Err(Error::invalid(
                        "config.precision",
                        format!(
                            "a precision {} supports ({})",
                            scenario.gpu.id,
                            scenario.gpu.supported_precision_ids()
                        ),
                        id,
                    ));
                }
                precision
            }
        };
        let engine = match &self.engine {
            None => scenario.engine.unwrap_or(ServingEngine::DEFAULT),
            Some(id) => {
                let engine = ServingEngine::parse("config.engine", id)?;
                scenario.gpu.check_runs("config.engine", engine)?;
                engine
            }
        };
        let defaults = Deployment::with_engine_defaults(engine, 1, 1, precision);
        let kv_cache_dtype = match &self.kv_cache_dtype {
            None => defaults.kv_cache_dtype,
            Some(id) => KvCacheDtype::parse("config.kvCacheDtype", id, engine, precision)?,
        };
        let max_batch = match self.max_batch {
            None => defaults.max_batch,
            Some(n) => check::positive_integer("config.maxBatch", n, MAX_BATCH)?,
        };
        let max_batched_tokens = match self.max_batched_tokens {
            None => defaults.max_batched_tokens,
            Some(n) => check::positive_integer("config.maxBatchedTokens", n, MAX_BATCHED_TOKENS)?,
        };
        if max_batched_tokens < max_batch {
            // Every running sequence decodes a token per iteration, inside the budget (vLLM
            // refuses this configuration too).
            return Err(Error::invalid(
                "config.maxBatchedTokens",
                format!("at least maxBatch ({max_batch})"),
                max_batched_tokens,
            ));
        }
        let model = &scenario.model;
        let count = scenario.gpu_count;
        let template = Deployment {
            kv_cache_dtype,
            max_batch,
            max_batched_tokens,
            ..defaults
        };
        let tensor_parallel = match self.tensor_parallel {
            Some(tp) => {
                let tp = check::positive_integer("config.tensorParallel", tp, count)?;
                if !model.splits_heads(tp) {
                    return Err(Error::invalid(
                        "config.tensorParallel",
                        format!("a divisor of the {} attention heads of {}", model.heads, model.id),
                        tp,
                    ));
                }
                tp
            }
            None => {
                let degrees: Vec<u32> = model.tensor_parallel_degrees(count).collect();
                default_tensor_parallel(scenario, &degrees, &template)
            }
        };
        let replicas = match self.replicas {
            Some(replicas) => {
                let most = count / tensor_parallel;
                check::positive_integer("config.replicas", replicas, most).map_err(|_| {
                    Error::invalid(
                        "config.replicas",
                        format!(
                            "a positive integer with tensorParallel x replicas <= fleet.count (at most {most} at tensorParallel {tensor_parallel})"
                        ),
                        replicas,
                    )
                })?
            }
            None => count / tensor_parallel,
        };
        Ok(Deployment {
            tensor_parallel,
            replicas,
            ..template
        })
    }
}

/// The tensor-parallel degree used when a config does not give one: the smallest of `degrees`
/// at which the KV cache holds a full batch of requests (`maxBatch` x (prompt + output) tokens),
/// else the smallest at which the weights fit, else the largest.
fn default_tensor_parallel(scenario: &ResolvedScenario, degrees: &[u32], template: &Deployment) -> u32 {
    let full_batch_tokens = f64::from(template.max_batch) * (scenario.prompt_tokens.mean + scenario.output_tokens.mean);
    let plans: Vec<(u32, MemoryPlan)> = degrees
        .iter()
        .map(|&tensor_parallel| {
            let candidate = Deployment {
                tensor_parallel,
                ..*template
            };
            (
                tensor_parallel,
                MemoryPlan::new(&scenario.model, &scenario.gpu, &candidate),
            )
        })
        .collect();
    let roomy = plans
        .iter()
        .find(|(_, plan)| plan.weights_fit && plan.kv_capacity_tokens as f64 >= full_batch_tokens);
    let fitting = plans.iter().find(|(_, plan)| plan.weights_fit);
    roomy
        .or(fitting)
        .or(plans.last())
        .map_or(1, |(tensor_parallel, _)| *tensor_parallel)
}
