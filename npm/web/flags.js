// The command line's scenario flags, in both directions: flags -> scenario for the `inferplan`
// command and for <inferplan-advisor> (whose attributes are named like the flags), and
// scenario -> flags for the page's "Copy as CLI command". Plain functions, no DOM, so Node and
// browsers both load this module.
import { formatSlo, parseSlo } from "./words.js";

/** A flag with a bad value; the message names the flag. */
export class FlagError extends Error {
  constructor(flag, message) {
    super(message);
    this.name = "FlagError";
    this.flag = flag;
  }
}

/** The flags that set the load; at most one may be given. */
const LOAD_FLAGS = ["rps", "per-hour", "concurrency", "offline"];

/** A flag's text as a number; `prefix` is how flags are written in messages ("--" on the command line). */
export function numberFlag(flag, text, prefix = "--") {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(value)) {
    throw new FlagError(flag, `${prefix}${flag} must be a number, got "${text}"`);
  }
  return value;
}

/**
 * The scenario the flags describe, over `base` (a scenario, e.g. from a file; not modified):
 * every flag given replaces the field it names. Flag values are strings, `slo` an array of them
 * ("ttft:p95<500ms"). A fleet without a GPU count gets one GPU. Throws a `FlagError` naming the
 * flag when a value is malformed, or when more than one load flag is given.
 */
export function scenarioFromFlags(flags, base = {}, { prefix = "--" } = {}) {
  const number = (flag) => numberFlag(flag, flags[flag], prefix);
  const given = (flag) => flags[flag] !== undefined;
  const scenario = { ...base };
  const fleet = { ...(base.fleet ?? {}) };
  const workload = { ...(base.workload ?? {}) };
  if (given("model")) scenario.model = flags.model;
  if (given("params-b")) scenario.model = { paramsB: number("params-b") };
  if (given("gpu")) fleet.gpu = flags.gpu;
  if (given("gpus")) fleet.count = number("gpus");
  if (given("price")) fleet.pricePerGpuHour = number("price");
  if (given("use-case")) scenario.useCase = flags["use-case"];
  if (given("prompt-tokens")) workload.promptTokens = number("prompt-tokens");
  if (given("output-tokens")) workload.outputTokens = number("output-tokens");
  const loads = LOAD_FLAGS.filter(given);
  if (loads.length > 1) throw new FlagError(loads[1], `give one load flag, got ${prefix}${loads.join(` and ${prefix}`)}`);
  if (given("rps")) workload.load = { requestsPerSecond: number("rps") };
  if (given("per-hour")) workload.load = { requestsPerHour: number("per-hour") };
  if (given("concurrency")) workload.load = { concurrency: number("concurrency") };
  if (given("offline")) workload.load = { offline: true, requests: number("offline") };
  if (given("burstiness")) workload.load = { ...(workload.load ?? {}), burstiness: number("burstiness") };
  const slos = (flags.slo ?? []).map((text) => {
    const slo = parseSlo(text);
    if (!slo) {
      throw new FlagError("slo", `${prefix}slo must look like ttft:p95<500ms (metric ttft, tpot, itl or e2e; unit ms or s), got "${text}"`);
    }
    return slo;
  });
  if (given("p95-ms")) slos.push({ metric: "ttft", percentile: 95, targetMs: number("p95-ms") });
  if (slos.length > 0) scenario.slo = slos.length === 1 ? slos[0] : slos;
  if (given("precisions")) scenario.precisions = flags.precisions.split(",").map((precision) => precision.trim());
  if (given("engine")) scenario.engine = flags.engine;
  if (given("seed")) scenario.seed = number("seed");
  fleet.count ??= 1;
  scenario.fleet = fleet;
  scenario.workload = workload;
  return scenario;
}

/**
 * The deployment the config flags (`tp`, `replicas`, `precision`, `max-batch`,
 * `max-batched-tokens`, `kv-cache-dtype`) describe. Its engine is the scenario's (`engine` is a
 * scenario flag: it also fixes the engine `advise` recommends).
 */
export function configFromFlags(flags) {
  const config = {};
  const numeric = [["tp", "tensorParallel"], ["replicas", "replicas"], ["max-batch", "maxBatch"], ["max-batched-tokens", "maxBatchedTokens"]];
  for (const [flag, field] of numeric) if (flags[flag] !== undefined) config[field] = numberFlag(flag, flags[flag]);
  if (flags.precision !== undefined) config.precision = flags.precision;
  if (flags["kv-cache-dtype"] !== undefined) config.kvCacheDtype = flags["kv-cache-dtype"];
  return config;
}

/**
 * The flags that reproduce `scenario` (the inverse of `scenarioFromFlags`), in the order a
 * person would write them: values are strings, `slo` an array. What no flag can say is left
 * out: a custom model of more than its size, a custom GPU (an object), lengths with a spread (`{ mean, cv }`), an offline
 * batch without a request count, measurements and calibration factors.
 */
export function toFlags(scenario) {
  const { fleet = {}, workload = {} } = scenario;
  const load = workload.load ?? {};
  const text = (value) => (value === undefined || typeof value === "object" ? undefined : String(value));
  const slos = scenario.slo === undefined ? [] : [scenario.slo].flat();
  const custom = typeof scenario.model === "object" && Object.keys(scenario.model).join() === "paramsB";
  const flags = {
    model: text(scenario.model),
    "params-b": custom ? text(scenario.model.paramsB) : undefined,
    gpu: text(fleet.gpu),
    gpus: text(fleet.count),
    "use-case": text(scenario.useCase),
    rps: text(load.requestsPerSecond),
    "per-hour": text(load.requestsPerHour),
    concurrency: text(load.concurrency),
    offline: load.offline ? text(load.requests) : undefined,
    "prompt-tokens": text(workload.promptTokens),
    "output-tokens": text(workload.outputTokens),
    slo: slos.length > 0 ? slos.map(formatSlo) : undefined,
    precisions: scenario.precisions?.join(","),
    engine: text(scenario.engine),
    burstiness: text(load.burstiness),
    price: text(fleet.pricePerGpuHour),
    seed: text(scenario.seed),
  };
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}
