#!/usr/bin/env node
// The `inferplan` command: advise, predict and import from a terminal or a CI pipeline.
// Human-readable output by default, `--json` for machines; exit status 0 on success, 2 on bad
// input (the message on stderr), 1 on an unexpected failure.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { advise, calibrate, importBenchmark, predict, version } from "./index.js";
import { describeConfig, parseSlo as parseSloText, VERDICT_HEADLINES } from "./web/words.js";

const HELP = {
  main: `inferplan ${version()}: should this LLM deployment optimise latency or throughput first?

Usage:
  inferplan advise  [scenario.json | -] [scenario flags] [--measured FILE...] [--json]
  inferplan predict [scenario.json | -] [scenario flags] [config flags] [--json]
  inferplan import  FILE... [--format F] [--json]
  inferplan <command> --help     more about a command
  inferplan --version

A scenario is JSON (see the README) from a file or stdin (-); the flags below fill in or
override its fields, so a whole scenario can also be given by flags alone.`,
  scenarioFlags: `Scenario flags:
  --model ID            catalog model (e.g. Llama-3.1-70B)
  --gpu ID              catalog GPU (e.g. H100-SXM)
  --gpus N              GPU count
  --price USD           price per GPU-hour (adds cost per million tokens)
  --use-case U          chat, code-completion, agent, rag, summarization, batch, custom
  --prompt-tokens N     mean prompt length (tokens)
  --output-tokens N     mean output length (tokens)
  --rps N | --per-hour N | --concurrency N | --offline N
                        the load: requests per second or per hour, closed-loop users, or a batch
  --burstiness CV       coefficient of variation of arrival gaps (1 = Poisson)
  --slo METRIC:pQ<Tms   a latency target, repeatable (e.g. ttft:p95<500ms, e2e:p99<20s)
  --p95-ms T            shortcut for --slo ttft:p95<Tms
  --precisions a,b      allowed precisions (e.g. bf16,fp8)
  --seed N              simulation seed`,
  advise: `inferplan advise [scenario.json | -] [scenario flags] [--measured FILE...] [--json]

Answers latency or throughput first, the recommended deployment with its predicted
percentiles, and the reasons. With --measured, the cost model is first refitted to your
benchmark files (of this model and GPU, measured on --measured-tp / --measured-max-batch).

  --measured FILE       benchmark file(s) to calibrate to, repeatable
  --measured-tp N       tensor parallelism of the measured deployment
  --measured-max-batch N  maxBatch of the measured deployment
  --json                print the recommendation as JSON`,
  predict: `inferplan predict [scenario.json | -] [scenario flags] [config flags] [--json]

Predicts one deployment under the scenario's load: memory per GPU, latency percentiles,
throughput, SLO attainment and cost.

Config flags:
  --tp N                tensor-parallel degree
  --replicas N          replicas
  --precision P         bf16, fp16, fp8, int8, int4, fp4
  --max-batch N         maximum running sequences per replica
  --max-batched-tokens N  token budget per engine iteration
  --engine E            vllm, sglang, tensorrt-llm
  --json                print the prediction as JSON`,
  import: `inferplan import FILE... [--format F] [--json]

Reads benchmark files (vLLM bench serve, GuideLLM, AIPerf / GenAI-Perf, LLMPerf, CSV); several
files form one sweep. Prints one line per load level, or the measured run as JSON.

  --format F            force a format: vllm, guidellm, guidellm-csv, aiperf, aiperf-csv,
                        aiperf-jsonl, llmperf, csv
  --json                print the measured run as JSON`,
};

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  json: { type: "boolean" },
  model: { type: "string" },
  gpu: { type: "string" },
  gpus: { type: "string" },
  price: { type: "string" },
  "use-case": { type: "string" },
  "prompt-tokens": { type: "string" },
  "output-tokens": { type: "string" },
  rps: { type: "string" },
  "per-hour": { type: "string" },
  concurrency: { type: "string" },
  offline: { type: "string" },
  burstiness: { type: "string" },
  slo: { type: "string", multiple: true },
  "p95-ms": { type: "string" },
  precisions: { type: "string" },
  seed: { type: "string" },
  tp: { type: "string" },
  replicas: { type: "string" },
  precision: { type: "string" },
  "max-batch": { type: "string" },
  "max-batched-tokens": { type: "string" },
  engine: { type: "string" },
  measured: { type: "string", multiple: true },
  "measured-tp": { type: "string" },
  "measured-max-batch": { type: "string" },
  format: { type: "string" },
};

/** A bad-input error: printed as is, exit status 2. */
class UsageError extends Error {}

function number(flag, text) {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isFinite(value)) {
    throw new UsageError(`--${flag} must be a number, got "${text}"`);
  }
  return value;
}

function parseSlo(text) {
  const slo = parseSloText(text);
  if (!slo) {
    throw new UsageError(`--slo must look like ttft:p95<500ms (metric ttft, tpot, itl or e2e; unit ms or s), got "${text}"`);
  }
  return slo;
}

function readText(path) {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path === "-" ? "standard input" : path}: ${error.code ?? error.message}`);
  }
}

/** The scenario from the file (or stdin) and the flags, flags winning. */
function scenarioFrom(positionals, values) {
  let scenario = {};
  if (positionals.length > 1) throw new UsageError(`expected at most one scenario file, got ${positionals.length}`);
  if (positionals.length === 1) {
    const text = readText(positionals[0]);
    try {
      scenario = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${positionals[0]}: not valid JSON: ${error.message}`);
    }
    if (scenario === null || typeof scenario !== "object" || Array.isArray(scenario)) {
      throw new UsageError(`${positionals[0]}: a scenario must be a JSON object`);
    }
  }
  const fleet = { ...(scenario.fleet ?? {}) };
  const workload = { ...(scenario.workload ?? {}) };
  if (values.model !== undefined) scenario.model = values.model;
  if (values.gpu !== undefined) fleet.gpu = values.gpu;
  if (values.gpus !== undefined) fleet.count = number("gpus", values.gpus);
  if (values.price !== undefined) fleet.pricePerGpuHour = number("price", values.price);
  if (values["use-case"] !== undefined) scenario.useCase = values["use-case"];
  if (values["prompt-tokens"] !== undefined) workload.promptTokens = number("prompt-tokens", values["prompt-tokens"]);
  if (values["output-tokens"] !== undefined) workload.outputTokens = number("output-tokens", values["output-tokens"]);
  const loads = ["rps", "per-hour", "concurrency", "offline"].filter((flag) => values[flag] !== undefined);
  if (loads.length > 1) throw new UsageError(`give one load flag, got --${loads.join(" and --")}`);
  if (values.rps !== undefined) workload.load = { requestsPerSecond: number("rps", values.rps) };
  if (values["per-hour"] !== undefined) workload.load = { requestsPerHour: number("per-hour", values["per-hour"]) };
  if (values.concurrency !== undefined) workload.load = { concurrency: number("concurrency", values.concurrency) };
  if (values.offline !== undefined) workload.load = { offline: true, requests: number("offline", values.offline) };
  if (values.burstiness !== undefined) {
    workload.load = { ...(workload.load ?? {}), burstiness: number("burstiness", values.burstiness) };
  }
  const slos = [...(values.slo ?? []).map(parseSlo)];
  if (values["p95-ms"] !== undefined) slos.push({ metric: "ttft", percentile: 95, targetMs: number("p95-ms", values["p95-ms"]) });
  if (slos.length > 0) scenario.slo = slos.length === 1 ? slos[0] : slos;
  if (values.precisions !== undefined) scenario.precisions = values.precisions.split(",").map((p) => p.trim());
  if (values.seed !== undefined) scenario.seed = number("seed", values.seed);
  if (Object.keys(fleet).length > 0) scenario.fleet = fleet;
  if (Object.keys(workload).length > 0) scenario.workload = workload;
  if (scenario.model === undefined) throw new UsageError("a scenario needs a model: give --model or a scenario file");
  if (scenario.fleet?.gpu === undefined) throw new UsageError("a scenario needs a GPU: give --gpu or a scenario file");
  if (scenario.fleet.count === undefined) scenario.fleet.count = 1;
  if (scenario.workload?.load === undefined) {
    throw new UsageError("a scenario needs a load: give --rps, --per-hour, --concurrency or --offline, or a scenario file");
  }
  return scenario;
}

function configFrom(values) {
  const config = {};
  const flags = [["tp", "tensorParallel"], ["replicas", "replicas"], ["max-batch", "maxBatch"], ["max-batched-tokens", "maxBatchedTokens"]];
  for (const [flag, field] of flags) if (values[flag] !== undefined) config[field] = number(flag, values[flag]);
  if (values.precision !== undefined) config.precision = values.precision;
  if (values.engine !== undefined) config.engine = values.engine;
  return config;
}

/** A library error (bad input) becomes a usage error naming the field. */
function guarded(call) {
  try {
    return call();
  } catch (error) {
    if (error instanceof Error && "field" in error) throw new UsageError(error.message);
    throw error;
  }
}

/** A note on stderr while a long computation runs, when a person is watching. */
function withProgress(message, call) {
  const shown = process.stderr.isTTY;
  if (shown) process.stderr.write(`${message}…`);
  try {
    return call();
  } finally {
    if (shown) process.stderr.write("\r\x1b[K");
  }
}

const fmt = (value, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "-"
    : value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (value) => (value === undefined || value === null ? "-" : fmt(value, value < 100 ? 1 : 0));

function latencyTable(prediction) {
  const rows = [["", "mean", "p50", "p90", "p95", "p99"]];
  for (const [label, key] of [["TTFT", "ttftMs"], ["TPOT", "tpotMs"], ["ITL", "itlMs"], ["E2E", "e2eMs"]]) {
    const summary = prediction[key];
    rows.push([label, ...["mean", "p50", "p90", "p95", "p99"].map((s) => (summary ? ms(summary[s]) : "-"))]);
  }
  return rows.map((row) => `  ${row[0].padEnd(5)}${row.slice(1).map((cell) => cell.padStart(9)).join("")}`).join("\n");
}

function printPrediction(prediction) {
  console.log(`${prediction.feasible ? "Feasible" : "Infeasible"}: ${describeConfig(prediction.config, prediction.gpusUsed)}`);
  for (const reason of prediction.reasons) console.log(`  - ${reason}`);
  console.log(`Latency (ms):\n${latencyTable(prediction)}`);
  for (const check of prediction.slos) {
    console.log(`  target p${check.percentile} ${check.metric} <= ${fmt(check.targetMs)} ms: ${ms(check.achievedMs)} ms, ${check.met ? "met" : "missed"}`);
  }
  console.log(`Throughput: ${fmt(prediction.requestsPerSecond, 2)} requests/s, ${fmt(prediction.outputTokensPerSecond)} output tokens/s ` +
    `(${fmt(prediction.outputTokensPerSecondPerGpu)} per GPU)` +
    (prediction.costPerMillionOutputTokens !== undefined ? `, $${fmt(prediction.costPerMillionOutputTokens, 2)} per million output tokens` : ""));
  const memory = prediction.memory;
  console.log(`Memory per GPU: ${fmt(memory.weightsGbPerGpu, 1)} GB weights, ${fmt(memory.kvCacheGbPerGpu, 1)} GB KV cache ` +
    `(${fmt(memory.kvCapacityTokens)} tokens) of ${fmt(memory.capacityGbPerGpu)} GB`);
}

function printRecommendation(recommendation) {
  const headline = VERDICT_HEADLINES[recommendation.verdict].toUpperCase();
  console.log(headline);
  console.log(recommendation.summary);
  console.log(`\nRecommended: ${describeConfig(recommendation.config, recommendation.prediction.gpusUsed)}` +
    (recommendation.gpusNeeded > 0 ? `; ${recommendation.gpusNeeded} GPUs carry the load` : ""));
  console.log(`Latency at the required load (ms):\n${latencyTable(recommendation.prediction)}`);
  console.log("\nReasons:");
  for (const reason of recommendation.reasons) console.log(`  - ${reason}`);
}

function printRun(run) {
  console.log(`${run.tool}${run.toolVersion ? ` ${run.toolVersion}` : ""} (${run.format})${run.model ? `, model ${run.model}` : ""}: ${run.points.length} load level(s)`);
  const header = ["offered", "req/s", "out tok/s", "ok/failed", "TTFT p95", "TPOT p95", "ITL p95", "E2E p95"];
  console.log(`  ${header[0].padEnd(14)}${header.slice(1).map((h) => h.padStart(11)).join("")}`);
  for (const point of run.points) {
    const offered = point.offered.requestsPerSecond !== undefined ? `${point.offered.requestsPerSecond} req/s`
      : point.offered.concurrency !== undefined ? `${point.offered.concurrency} users` : "unthrottled";
    const cells = [fmt(point.requestsPerSecond, 2), fmt(point.outputTokensPerSecond), `${point.completed}/${point.failed}`,
      ms(point.ttftMs.p95), ms(point.tpotMs.p95), ms(point.itlMs.p95), ms(point.e2eMs.p95)];
    console.log(`  ${offered.padEnd(14)}${cells.map((c) => c.padStart(11)).join("")}`);
  }
  for (const note of run.notes) console.log(`  note: ${note}`);
}

function importFiles(files, format) {
  if (files.length === 0) throw new UsageError("give at least one benchmark file");
  const texts = files.map(readText);
  return guarded(() => importBenchmark(texts, format === undefined ? undefined : { format }));
}

function main(argv) {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") return console.log(version());
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    return console.log(`${HELP.main}\n\n${HELP.scenarioFlags}`);
  }
  if (!["advise", "predict", "import"].includes(command)) {
    throw new UsageError(`unknown command "${command}"; commands: advise, predict, import (see inferplan --help)`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return console.log(command === "import" ? HELP.import : `${HELP[command]}\n\n${HELP.scenarioFlags}`);
  }
  const print = (value, human) => (values.json ? console.log(JSON.stringify(value, null, 2)) : human(value));
  if (command === "import") return print(importFiles(positionals, values.format), printRun);
  const scenario = scenarioFrom(positionals, values);
  if (command === "predict") {
    return print(withProgress("simulating", () => guarded(() => predict(scenario, configFrom(values)))), printPrediction);
  }
  if (values.measured !== undefined) {
    const run = importFiles(values.measured, values.format);
    for (const point of run.points) delete point.samples;
    const config = {};
    if (values["measured-tp"] !== undefined) config.tensorParallel = number("measured-tp", values["measured-tp"]);
    if (values["measured-max-batch"] !== undefined) config.maxBatch = number("measured-max-batch", values["measured-max-batch"]);
    scenario.measured = { config, runs: [run] };
    const report = withProgress("calibrating to the measurements", () => guarded(() => calibrate(scenario)));
    scenario.calibration = report.calibration;
    delete scenario.measured;
    if (!values.json) {
      console.log(`Calibrated to ${report.observations.length} measured observations: median error ` +
        `${fmt(report.medianAbsErrorPct, 1)}% (built-in factors: ${fmt(report.builtInMedianAbsErrorPct, 1)}%)\n`);
    }
  }
  return print(withProgress("advising", () => guarded(() => advise(scenario))), printRecommendation);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`inferplan: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`inferplan: unexpected failure: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}
