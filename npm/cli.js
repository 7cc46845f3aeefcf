#!/usr/bin/env node
// The `inferplan` command: advise, predict and import from a terminal or a CI pipeline.
// Human-readable output by default, `--json` for machines; exit status 0 on success, 2 on bad
// input (the message on stderr), 1 on an unexpected failure.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { advise, calibrate, catalog, importBenchmark, predict, version } from "./index.js";
import { configFromFlags, FlagError, numberFlag, scenarioFromFlags } from "./web/flags.js";
import { formatDuration, formatMs, formatNumber } from "./web/format.js";
import { bandText, checkStatusText, describeCalibration, describeErrorBand, describeNeed, describePrediction, VERDICT_HEADLINES } from "./web/words.js";

const { benchmarkFormats, defaultPrecisions, engines, gpus, headroom, kvCacheDtypes, models, precisions, useCases } = catalog();

const HELP_MARGIN = 24;
const HELP_WIDTH = 96;

/** A flag's help: the flag in the margin, then its description, wrapped at HELP_WIDTH columns. */
function flagHelp(flag, description) {
  const lines = [];
  let line = `  ${flag}`.padEnd(HELP_MARGIN);
  let fresh = true;
  for (const word of description.split(" ")) {
    if (!fresh && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = " ".repeat(HELP_MARGIN);
      fresh = true;
    }
    line += fresh ? word : ` ${word}`;
    fresh = false;
  }
  return [...lines, line].join("\n");
}

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
${flagHelp("--model ID", `catalog model: ${models.map((model) => model.id).join(", ")}`)}
  --params-b N          a custom model of N billion parameters instead (its shape inferred)
${flagHelp("--gpu ID", `catalog GPU: ${gpus.map((gpu) => gpu.id).join(", ")}`)}
  --gpus N              GPU count
  --price USD           price per GPU-hour (adds cost per million tokens)
${flagHelp("--use-case U", useCases.map((useCase) => useCase.id).join(", "))}
  --prompt-tokens N     mean prompt length (tokens; the use case's spread is kept)
  --output-tokens N     mean output length (tokens; the use case's spread is kept)
  --rps N | --per-hour N | --concurrency N | --offline N
                        the load: requests per second or per hour, closed-loop users, or a batch
  --burstiness B        as vllm bench serve's: gamma shape of arrival gaps (1 = Poisson,
                        lower = burstier, higher = smoother)
  --slo METRIC:pQ<Tms   a latency target, repeatable (e.g. ttft:p95<500ms, e2e:p99<20s)
  --p95-ms T            shortcut for --slo ttft:p95<Tms
${flagHelp("--precisions a,b", `allowed precisions, of ${precisions.join(", ")} (default ${defaultPrecisions.join(",")})`)}
${flagHelp("--engine E", `${engines.map((engine) => engine.id).join(", ")}: the serving engine (advise compares vllm and tensorrt-llm when none is given)`)}
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
${flagHelp("--precision P", precisions.join(", "))}
  --max-batch N         maximum running sequences per replica
  --max-batched-tokens N  token budget per engine iteration
${flagHelp("--kv-cache-dtype D", `${kvCacheDtypes.join(", ")} (auto: the engine's default)`)}
  --json                print the prediction as JSON`,
  import: `inferplan import FILE... [--format F] [--json]

Reads benchmark files (vLLM bench serve, GuideLLM, AIPerf / GenAI-Perf, LLMPerf, CSV); several
files form one sweep. Prints one line per load level, or the measured run as JSON.

${flagHelp("--format F", `force a format: ${benchmarkFormats.join(", ")}`)}
  --json                print the measured run as JSON`,
};

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  json: { type: "boolean" },
  model: { type: "string" },
  "params-b": { type: "string" },
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
  "kv-cache-dtype": { type: "string" },
  measured: { type: "string", multiple: true },
  "measured-tp": { type: "string" },
  "measured-max-batch": { type: "string" },
  format: { type: "string" },
};

/**
 * The arguments with a negative number after a flag that takes a value joined to it
 * (`--gpus -1` as `--gpus=-1`): parseArgs would take it for a flag, and the number then gets
 * the message about its value that any bad number gets.
 */
function withNegativeValues(args) {
  const joined = [];
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    if (OPTIONS[name]?.type === "string" && /^-[\d.]/.test(args[i + 1] ?? "")) {
      joined.push(`${args[i]}=${args[i + 1]}`);
      i += 1;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

/** parseArgs's errors in the command's own words, naming the flag. */
function parseArgsMessage(command, error) {
  const flag = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag}; see inferplan ${command} --help for the flags`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return OPTIONS[flag?.replace(/^-+/, "")]?.type === "boolean"
        ? `${flag} takes no value`
        : `${flag} needs a value (e.g. ${flag} 8)`;
    default:
      return error.message;
  }
}

/** A bad-input error: printed as is, exit status 2 (as is a `FlagError`, a flag with a bad value). */
class UsageError extends Error {}

function readText(path) {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path === "-" ? "standard input" : path}: ${error.code ?? error.message}`);
  }
}

/** The scenario from the file (or stdin) and the flags, flags winning. */
function scenarioFrom(positionals, values) {
  let base = {};
  if (positionals.length > 1) throw new UsageError(`expected at most one scenario file, got ${positionals.length}`);
  if (positionals.length === 1) {
    const text = readText(positionals[0]);
    try {
      base = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${positionals[0]}: not valid JSON: ${error.message}`);
    }
    if (base === null || typeof base !== "object" || Array.isArray(base)) {
      throw new UsageError(`${positionals[0]}: a scenario must be a JSON object`);
    }
  }
  const scenario = scenarioFromFlags(values, base);
  if (scenario.model === undefined) throw new UsageError("a scenario needs a model: give --model or a scenario file");
  if (scenario.fleet.gpu === undefined) throw new UsageError("a scenario needs a GPU: give --gpu or a scenario file");
  if (scenario.workload.load === undefined) {
    throw new UsageError("a scenario needs a load: give --rps, --per-hour, --concurrency or --offline, or a scenario file");
  }
  return scenario;
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

function latencyTable(prediction) {
  const rows = [["", "mean", "p50", "p90", "p95", "p99", "±"]];
  for (const [label, metric] of [["TTFT", "ttft"], ["TPOT", "tpot"], ["ITL", "itl"], ["E2E", "e2e"]]) {
    const summary = prediction[`${metric}Ms`];
    rows.push([label, ...["mean", "p50", "p90", "p95", "p99"].map((s) => (summary ? formatMs(summary[s]) : "-")), summary ? bandText(prediction, metric) : "-"]);
  }
  return rows.map((row) => `  ${row[0].padEnd(5)}${row.slice(1).map((cell) => cell.padStart(9)).join("")}`).join("\n");
}

function printPrediction(prediction) {
  console.log(`${prediction.feasible ? "Feasible" : "Infeasible"}: ${describePrediction(prediction)}`);
  for (const reason of prediction.reasons) console.log(`  - ${reason}`);
  console.log(`Latency (ms):\n${latencyTable(prediction)}`);
  for (const check of prediction.slos) {
    console.log(`  target p${check.percentile} ${check.metric} <= ${formatNumber(check.targetMs)} ms: ${formatMs(check.achievedMs)} ms ${bandText(prediction, check.metric)}, ${checkStatusText(check)}`);
  }
  console.log(describeErrorBand(prediction.errorBand));
  console.log(`Throughput: ${formatNumber(prediction.requestsPerSecond, 2)} requests/s, ${formatNumber(prediction.outputTokensPerSecond)} output tokens/s ` +
    `(${formatNumber(prediction.outputTokensPerSecondPerGpu)} per GPU)` +
    (prediction.costPerMillionOutputTokens !== undefined ? `, $${formatNumber(prediction.costPerMillionOutputTokens, 2)} per million output tokens` : ""));
  if (prediction.batch) {
    console.log(`Batch: ${formatNumber(prediction.batch.requests)} requests finish in ${formatDuration(prediction.batch.makespanS)}`);
  }
  const memory = prediction.memory;
  console.log(`Memory per GPU: ${formatNumber(memory.weightsGbPerGpu, 1)} GB weights, ${formatNumber(memory.kvCacheGbPerGpu, 1)} GB KV cache ` +
    `(${formatNumber(memory.kvCapacityTokens)} tokens) of ${formatNumber(memory.capacityGbPerGpu)} GB`);
}

function printRecommendation(recommendation) {
  const headline = VERDICT_HEADLINES[recommendation.verdict].toUpperCase();
  console.log(headline);
  console.log(recommendation.summary);
  const need = describeNeed(recommendation, headroom);
  console.log(`\nRecommended: ${describePrediction(recommendation.prediction)}${need ? `; ${need}` : ""}`);
  console.log(`Latency at the required load (ms):\n${latencyTable(recommendation.prediction)}`);
  console.log(describeErrorBand(recommendation.prediction.errorBand));
  console.log("\nReasons:");
  for (const reason of recommendation.reasons) console.log(`  - ${reason}`);
}

/**
 * Text that came from a file, safe for a terminal: control characters (escape sequences that
 * could clear the screen or forge output, carriage returns, bells) become "?".
 */
const printable = (text) => String(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");

function printRun(run) {
  console.log(printable(`${run.tool}${run.toolVersion ? ` ${run.toolVersion}` : ""} (${run.format})${run.model ? `, model ${run.model}` : ""}: ${run.points.length} load level(s)`));
  const header = ["offered", "req/s", "out tok/s", "ok/failed", "TTFT p95", "TPOT p95", "ITL p95", "E2E p95"];
  console.log(`  ${header[0].padEnd(14)}${header.slice(1).map((h) => h.padStart(11)).join("")}`);
  for (const point of run.points) {
    const offered = point.offered.requestsPerSecond !== undefined ? `${point.offered.requestsPerSecond} req/s`
      : point.offered.concurrency !== undefined ? `${point.offered.concurrency} users` : "unthrottled";
    const cells = [formatNumber(point.requestsPerSecond, 2), formatNumber(point.outputTokensPerSecond), `${point.completed}/${point.failed}`,
      formatMs(point.ttftMs.p95), formatMs(point.tpotMs.p95), formatMs(point.itlMs.p95), formatMs(point.e2eMs.p95)];
    console.log(`  ${offered.padEnd(14)}${cells.map((c) => c.padStart(11)).join("")}`);
  }
  for (const note of run.notes) console.log(`  note: ${printable(note)}`);
}

function importFiles(files, format) {
  if (files.length === 0) throw new UsageError("give at least one benchmark file");
  const texts = files.map(readText);
  const options = format === undefined ? undefined : { format };
  try {
    return importBenchmark(texts, options);
  } catch (error) {
    if (!(error instanceof Error && "field" in error)) throw error;
    // Name the file that failed: the first that fails alone.
    const failing = texts.findIndex((text) => {
      try {
        importBenchmark(text, options);
        return false;
      } catch {
        return true;
      }
    });
    throw new UsageError(failing < 0 ? error.message : `${files[failing]}: ${error.message}`);
  }
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
    parsed = parseArgs({ args: withNegativeValues(rest), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseArgsMessage(command, error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return console.log(command === "import" ? HELP.import : `${HELP[command]}\n\n${HELP.scenarioFlags}`);
  }
  const print = (value, human) => (values.json ? console.log(JSON.stringify(value, null, 2)) : human(value));
  if (command === "import") return print(importFiles(positionals, values.format), printRun);
  const scenario = scenarioFrom(positionals, values);
  if (command === "predict") {
    return print(withProgress("simulating", () => guarded(() => predict(scenario, configFromFlags(values)))), printPrediction);
  }
  if (values.measured !== undefined) {
    const run = importFiles(values.measured, values.format);
    for (const point of run.points) delete point.samples;
    const config = {};
    if (values["measured-tp"] !== undefined) config.tensorParallel = numberFlag("measured-tp", values["measured-tp"]);
    if (values["measured-max-batch"] !== undefined) config.maxBatch = numberFlag("measured-max-batch", values["measured-max-batch"]);
    scenario.measured = { config, runs: [run] };
    const report = withProgress("calibrating to the measurements", () => guarded(() => calibrate(scenario)));
    scenario.calibration = report.calibration;
    delete scenario.measured;
    if (!values.json) {
      console.log(`Calibrated to ${describeCalibration(report)}\n`);
    }
  }
  return print(withProgress("advising", () => guarded(() => advise(scenario))), printRecommendation);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof FlagError) {
    console.error(`inferplan: ${printable(error.message)}`);
    process.exitCode = 2;
  } else {
    console.error(`inferplan: unexpected failure: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}
