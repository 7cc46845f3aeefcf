// Wording shared by the page, <inferplan-advisor> and the `inferplan` command: plain functions,
// no DOM, so Node and browsers both load this module.

/** The verdicts as headlines. */
export const VERDICT_HEADLINES = {
  "latency-first": "Latency first",
  "throughput-first": "Throughput first",
  balanced: "Balanced",
  "infeasible-latency": "Infeasible: the latency target is out of reach",
  "infeasible-capacity": "Infeasible: not enough capacity",
};

const grouped = (value) => value.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** "TP4 x 2 replicas in fp8 on vllm (8 GPUs), max batch 256, 8,192 tokens per iteration". */
export function describeConfig(config, gpus) {
  const replicas = config.replicas === 1 ? "" : ` x ${config.replicas} replicas`;
  return `TP${config.tensorParallel}${replicas} in ${config.precision} on ${config.engine} (${gpus} GPUs), ` +
    `max batch ${config.maxBatch}, ${grouped(config.maxBatchedTokens)} tokens per iteration`;
}

/** "ttft:p95<500ms" -> { metric: "ttft", percentile: 95, targetMs: 500 }; `null` when malformed. */
export function parseSlo(text) {
  const match = /^(ttft|tpot|itl|e2e):p(\d+(?:\.\d+)?)<(\d+(?:\.\d+)?)(ms|s)$/i.exec(text.trim());
  if (!match) return null;
  const [, metric, percentile, target, unit] = match;
  return { metric: metric.toLowerCase(), percentile: Number(percentile), targetMs: Number(target) * (unit === "s" ? 1000 : 1) };
}
