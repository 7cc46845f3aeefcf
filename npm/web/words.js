// Wording shared by the page, <inferplan-advisor>, the charts and the `inferplan` command: plain
// functions, no DOM, so Node and browsers both load this module. Numbers go through format.js.
import { formatNumber } from "./format.js";

/** The verdicts as headlines. */
export const VERDICT_HEADLINES = {
  "latency-first": "Latency first",
  "throughput-first": "Throughput first",
  balanced: "Balanced",
  "infeasible-latency": "Infeasible: the latency target is out of reach",
  "infeasible-capacity": "Infeasible: not enough capacity",
};

/** The latency metrics (the ids of `catalog().metrics`) in words. */
export const METRIC_LABELS = {
  ttft: "time to first token",
  tpot: "time per output token",
  itl: "inter-token latency",
  e2e: "end-to-end",
};

/** "1 GPU", "8 GPUs". */
const gpuCount = (gpus) => (gpus === 1 ? "1 GPU" : `${gpus} GPUs`);

/** " (8 GPUs)", " (6 GPUs, 2 idle)", or nothing when the count is not given. */
const onGpus = (gpus, idle = 0) => (gpus === undefined ? "" : ` (${gpuCount(gpus)}${idle > 0 ? `, ${idle} idle` : ""})`);

/**
 * A deployment in short, as the advisor's own summaries and reasons name it:
 * "TP4 x 2 replicas in fp8"; with `gpus`, "TP4 x 2 replicas in fp8 (8 GPUs)".
 */
export function describeDeployment(config, gpus) {
  const replicas = config.replicas === 1 ? "" : ` x ${config.replicas} replicas`;
  return `TP${config.tensorParallel}${replicas} in ${config.precision}${onGpus(gpus)}`;
}

/**
 * A deployment in full: "TP4 x 2 replicas in fp8 on vllm (8 GPUs), max batch 256, 8,192 tokens
 * per iteration, bf16 KV cache"; without `gpus`, no "(8 GPUs)"; with `idle` GPUs of the fleet
 * left over, "(6 GPUs, 2 idle)".
 */
export function describeConfig(config, gpus, idle = 0) {
  return `${describeDeployment(config)} on ${config.engine}${onGpus(gpus, idle)}, ` +
    `max batch ${config.maxBatch}, ${formatNumber(config.maxBatchedTokens)} tokens per iteration, ${config.kvCacheDtype} KV cache`;
}

/** A prediction's deployment in full, with the GPUs it uses and leaves idle. */
export function describePrediction(prediction) {
  return describeConfig(prediction.config, prediction.gpusUsed, prediction.gpusIdle);
}

/**
 * What the load needs, from a recommendation and the catalog's `headroom`: "the load needs 6 GPUs
 * with 25% headroom", or "" when no number of GPUs meets the targets.
 */
export function describeNeed(recommendation, headroom) {
  const gpus = recommendation.gpusNeeded;
  if (!(gpus > 0)) return "";
  return `the load needs ${gpuCount(gpus)} with ${formatNumber((headroom - 1) * 100)}% headroom`;
}

/** What a calibration report says: "16 measured observations: median error 4.1% (built-in factors: 10.4%)". */
export function describeCalibration(report) {
  return `${report.observations.length} measured observations: median error ` +
    `${formatNumber(report.medianAbsErrorPct, 1)}% (built-in factors: ${formatNumber(report.builtInMedianAbsErrorPct, 1)}%)` +
    (report.note ? `; ${report.note}` : "");
}

/** "ttft:p95<500ms" -> { metric: "ttft", percentile: 95, targetMs: 500 }; `null` when malformed. */
export function parseSlo(text) {
  const match = /^(ttft|tpot|itl|e2e):p(\d+(?:\.\d+)?)<(\d+(?:\.\d+)?)(ms|s)$/i.exec(text.trim());
  if (!match) return null;
  const [, metric, percentile, target, unit] = match;
  return { metric: metric.toLowerCase(), percentile: Number(percentile), targetMs: Number(target) * (unit === "s" ? 1000 : 1) };
}

/** { metric: "ttft", percentile: 95, targetMs: 500 } -> "ttft:p95<500ms" (a left-out percentile is the core's default, 95). */
export function formatSlo(slo) {
  return `${slo.metric}:p${slo.percentile ?? 95}<${slo.targetMs}ms`;
}

/** "±25%": a relative error band r in words. */
const bandPercent = (band) => `±${Math.round(band * 100)}%`;

/** "±25%": how far off a prediction's `metric` (ttft, tpot, itl, e2e, throughput) may be, from its `errorBand`. */
export function bandText(prediction, metric) {
  const band = prediction?.errorBand?.[metric];
  return typeof band === "number" && Number.isFinite(band) ? bandPercent(band) : "";
}

/** An SLO check's outcome in words: "met", "at risk" (the error band straddles the target) or "missed". */
export function checkStatusText(check) {
  return check.status === "at-risk" ? "at risk" : check.met ? "met" : "missed";
}

/** "Error band (80% of measurements): throughput ±21%, TTFT ±18%, ...; calibrated." */
export function describeErrorBand(band) {
  if (!band) return "";
  const part = (label, value) => `${label} ${bandPercent(value)}`;
  return `Error band (${Math.round(band.coverage * 100)}% of measurements fall inside): ${part("throughput", band.throughput)}, ` +
    `${part("TTFT", band.ttft)}, ${part("TPOT", band.tpot)}, ${part("ITL", band.itl)}, ${part("E2E", band.e2e)}; ${band.calibrationSource}.`;
}

/** Each target's predicted percentile with its error band and outcome: "p95 TTFT 412 ms ±18% (target 500 ms, at risk)". */
export function describeChecks(prediction) {
  return prediction.slos
    .map((check) => {
      const achieved = check.achievedMs === null ? "n/a" : `${formatNumber(check.achievedMs, check.achievedMs < 100 ? 1 : 0)} ms ${bandText(prediction, check.metric)}`;
      return `p${check.percentile} ${check.metric.toUpperCase()} ${achieved} (target ${formatNumber(check.targetMs)} ms, ${checkStatusText(check)})`;
    })
    .join("; ");
}

/** Why nothing can be computed when the wasm does not load, and what usually causes it (the page and the element). */
export function wasmLoadFailure(error) {
  return `inferplan could not load its WebAssembly (${error?.message ?? error}). ` +
    "A Content-Security-Policy must allow it (script-src 'wasm-unsafe-eval'), the page must be served over http(s) " +
    "rather than opened as a file, and inferplan_bg.wasm must be reachable next to the module.";
}
