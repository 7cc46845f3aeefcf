// The npm package in pkg/, used from Node the two ways the README shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as esm from "../../pkg/index.js";
import { bandText } from "../../pkg/web/words.js";

const require = createRequire(import.meta.url);
const cjs = require("../../pkg");
const ROOT = new URL("../..", import.meta.url).pathname;
const TEST_PANIC_ENTRY = new URL("../../target/pkg-test-panic/node/index.cjs", import.meta.url).pathname;
const readSample = (name) => readFileSync(new URL(`../data/samples/${name}`, import.meta.url), "utf8");

const scenario = () => ({
  model: "Llama-3.1-70B",
  fleet: { gpu: "H100-SXM", count: 4 },
  workload: { promptTokens: 1000, outputTokens: 200, load: { requestsPerSecond: 3 } },
});

test("require and import load the same instance", () => {
  assert.equal(typeof cjs.predict, "function");
  assert.equal(esm.predict, cjs.predict);
  assert.equal(esm.version(), cjs.version());
  assert.match(esm.version(), /^\d+\.\d+\.\d+/);
});

test("the README's one-liners work from the repository root", () => {
  const viaRequire = execFileSync("node", ["-e", "console.log(require('./pkg').version())"], { cwd: ROOT }).toString().trim();
  const viaImport = execFileSync(
    "node", ["--input-type=module", "-e", "import {version} from './pkg/index.js'; console.log(version())"], { cwd: ROOT },
  ).toString().trim();
  assert.equal(viaRequire, esm.version());
  assert.equal(viaImport, esm.version());
});

test("predict returns ordered percentiles and throughput for a feasible deployment", () => {
  const prediction = esm.predict(scenario(), { precision: "fp8" });
  assert.equal(prediction.feasible, true);
  assert.equal(prediction.config.precision, "fp8");
  for (const metric of ["ttftMs", "tpotMs", "itlMs", "e2eMs"]) {
    const { mean, p50, p90, p95, p99 } = prediction[metric];
    assert.ok(Number.isFinite(mean) && mean > 0, metric);
    assert.ok(p50 <= p90 && p90 <= p95 && p95 <= p99, metric);
  }
  assert.ok(prediction.outputTokensPerSecond > 0 && prediction.requestsPerSecond > 0);
  assert.ok(prediction.memory.weightsGbPerGpu > 0);
  assert.ok(prediction.roofline.unloadedTtftMs <= prediction.ttftMs.p50);
  // How far off it may be: a band per metric, its coverage and case.
  const band = prediction.errorBand;
  assert.equal(band.coverage, 0.8);
  for (const key of ["throughput", "ttft", "tpot", "itl", "e2e"]) assert.ok(band[key] > 0 && band[key] < 2, key);
  assert.ok(["calibrated", "extrapolated", "uncalibrated"].includes(band.calibrationSource));
  for (const check of prediction.slos) {
    assert.ok(["meets", "at-risk", "misses"].includes(check.status));
    assert.ok(check.bandMs[0] <= check.achievedMs && check.achievedMs <= check.bandMs[1]);
  }
});

test("the config argument is optional", () => {
  const withUndefined = esm.predict(scenario());
  const withEmpty = esm.predict(scenario(), {});
  assert.deepEqual(withUndefined, withEmpty);
});

test("weights that do not fit are infeasible with numbers, not an error", () => {
  const prediction = esm.predict({ ...scenario(), fleet: { gpu: "L4", count: 1 } });
  assert.equal(prediction.feasible, false);
  assert.match(prediction.reasons[0], /GB per GPU/);
});

test("bad input throws an Error naming the field and the value", () => {
  const bad = scenario();
  bad.fleet.count = -3;
  assert.throws(() => esm.predict(bad), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error.field, "fleet.count");
    assert.equal(error.message, "fleet.count must be a positive integer (at most 4096), got -3");
    return true;
  });
  const nan = scenario();
  nan.workload.outputTokens = NaN;
  assert.throws(() => esm.predict(nan), { message: /^workload\.outputTokens must be .* got NaN$/ });
  assert.throws(() => esm.predict({ ...scenario(), model: "GPT-9" }), { message: /unknown model "GPT-9".*Llama-3\.1-8B/ });
  assert.throws(() => esm.predict(scenario(), { tensorParallel: 3 }), { field: "config.tensorParallel" });
  assert.throws(() => esm.predict("not an object"), { message: /expected struct Scenario|invalid type/ });
  assert.throws(() => esm.predict(undefined), Error);
});

test("the instance keeps working after errors", () => {
  assert.throws(() => esm.predict({}));
  assert.equal(esm.predict(scenario()).feasible, true);
});

test("catalog lists every GPU and model of the design", () => {
  const { gpus, models, precisions } = esm.catalog();
  const gpuIds = gpus.map((gpu) => gpu.id);
  for (const id of ["H100-SXM", "H100-PCIe", "H200-SXM", "A100-SXM-80GB", "L40S", "L4", "B200-SXM", "MI300X"]) {
    assert.ok(gpuIds.includes(id), id);
  }
  const modelIds = models.map((model) => model.id);
  for (const id of ["Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.3-70B", "Llama-3.1-405B", "Llama-2-70B", "Mixtral-8x7B", "Qwen2.5-72B"]) {
    assert.ok(modelIds.includes(id), id);
  }
  assert.deepEqual(precisions, ["bf16", "fp16", "fp8", "int8", "int4", "fp4"]);
  assert.ok(gpus.every((gpu) => typeof gpu.source === "string" && gpu.source.length > 0));
});

test("catalog lists the engines, metrics and benchmark formats, and the advisor's defaults", () => {
  const { engines, metrics, benchmarkFormats, defaultPrecisions, maxTensorParallel, headroom } = esm.catalog();
  assert.deepEqual(engines, [
    { id: "vllm", defaultMaxBatch: 256 }, { id: "sglang", defaultMaxBatch: 256 }, { id: "tensorrt-llm", defaultMaxBatch: 2048 },
  ]);
  assert.deepEqual(metrics, ["ttft", "tpot", "itl", "e2e"]);
  assert.deepEqual(benchmarkFormats, ["vllm", "guidellm", "guidellm-csv", "aiperf", "aiperf-csv", "aiperf-jsonl", "llmperf", "csv"]);
  assert.deepEqual(defaultPrecisions, ["bf16", "fp8"]);
  assert.equal(maxTensorParallel, 8);
  assert.equal(headroom, 1.25);
  // The defaults are the ones the core applies.
  const scenario = { model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 1 }, workload: { promptTokens: 100, outputTokens: 10, load: { concurrency: 1 } } };
  assert.equal(esm.predict(scenario, { engine: "tensorrt-llm" }).config.maxBatch, 2048);
  assert.equal(esm.predict(scenario).config.precision, defaultPrecisions[0]);
});

test("advise answers latency or throughput first with a recommended config", () => {
  const chatbot = esm.advise({
    useCase: "chat",
    model: "Llama-3.1-70B",
    fleet: { gpu: "H100-SXM", count: 8, pricePerGpuHour: 2.5 },
    workload: { promptTokens: 1000, outputTokens: 200, load: { requestsPerSecond: 2 } },
    slo: { metric: "ttft", percentile: 95, targetMs: 500 },
  });
  assert.equal(chatbot.verdict, "latency-first");
  assert.match(chatbot.summary, /latency first/i);
  assert.ok(chatbot.reasons.some((reason) => /per million output tokens/.test(reason)));
  assert.ok(chatbot.frontier.length >= 1 && chatbot.candidates.length >= chatbot.frontier.length);
  assert.ok(chatbot.candidates.some((point) => point.recommended));
  assert.equal(chatbot.prediction.config.tensorParallel, chatbot.config.tensorParallel);
  // The band in the reasons is the band in the JSON, as the page and the command print it.
  for (const check of chatbot.prediction.slos) {
    const shown = bandText(chatbot.prediction, check.metric);
    assert.match(shown, /^±\d+%$/);
    assert.ok(chatbot.reasons.some((reason) => reason.includes(shown)), `${shown} in ${chatbot.reasons}`);
  }

  const reports = esm.advise({
    useCase: "summarization",
    model: "Llama-3.1-70B",
    fleet: { gpu: "H100-SXM", count: 8 },
    workload: { load: { requestsPerHour: 10000 } },
  });
  assert.equal(reports.verdict, "throughput-first");
  assert.ok(reports.gpusNeeded > 0 && reports.gpusNeeded <= 8);
});

test("advise without a target names the slo field", () => {
  assert.throws(
    () => esm.advise({ model: "Llama-3.1-8B", fleet: { gpu: "L4", count: 1 }, workload: { promptTokens: 100, outputTokens: 10, load: { concurrency: 2 } } }),
    { field: "slo" },
  );
});

test("importBenchmark reads the sample files, alone or as a sweep, and calibrate fits them", () => {
  const guidellm = esm.importBenchmark(readSample("guidellm-constant-rates.json"));
  assert.equal(guidellm.tool, "guidellm");
  assert.deepEqual(guidellm.points.map((p) => p.offered.requestsPerSecond), [2, 5, 10, 20]);
  const vllm = cjs.importBenchmark(readSample("vllm-bench-serve-rate5-detailed.json"), { format: "vllm" });
  assert.equal(vllm.points[0].ttftMs.intervals.p99, "insufficient samples");
  const sweep = esm.importBenchmark([readSample("vllm-bench-serve-rate5-detailed.json"), readSample("aiperf-concurrency16-summary.csv")]);
  assert.equal(sweep.points.length, 2);
  assert.throws(() => esm.importBenchmark("nothing to see"), { field: "text", message: /not a known benchmark format/ });
  assert.throws(() => esm.importBenchmark("{}", { format: "nsight" }), { field: "options.format" });

  const report = esm.calibrate({
    model: "Llama-3.1-8B",
    fleet: { gpu: "H100-SXM", count: 1 },
    workload: { promptTokens: 200, outputTokens: 64, load: { requestsPerSecond: 10 } },
    measured: { config: { maxBatch: 64 }, runs: [guidellm] },
  });
  assert.ok(report.medianAbsErrorPct < report.builtInMedianAbsErrorPct, JSON.stringify(report));
  assert.ok(report.observations.length >= 12);
});

test("a Rust panic surfaces as an Error with its message, and the instance keeps serving", () => {
  // The package built with the test-panic feature (scripts/build.sh --test-panic, run by make test).
  assert.ok(existsSync(TEST_PANIC_ENTRY), "target/pkg-test-panic/ is missing: run `make build-test-panic` (make test does)");
  const panicking = require(TEST_PANIC_ENTRY);
  assert.throws(() => panicking.__panicForTests(), (error) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /^inferplan internal error \(please report it\): panicked at .*a deliberate panic for the tests/s);
    return true;
  });
  assert.ok(panicking.importBenchmark(readSample("guidellm-constant-rates.csv")).points.length > 0);
  assert.throws(() => panicking.__panicForTests(), /deliberate panic/);
  assert.equal(panicking.catalog().gpus.length >= 8, true);
  assert.equal(panicking.version(), esm.version());
});

test("the published package has no panic for the tests", async () => {
  assert.equal(cjs.__panicForTests, undefined);
  assert.ok(!("__panicForTests" in esm));
  const web = await import("../../pkg/web/index.js");
  assert.ok(!("__panicForTests" in web));
  // One wasm, in web/, which the Node glue loads too.
  const wasm = new WebAssembly.Module(readFileSync(new URL("../../pkg/web/inferplan_bg.wasm", import.meta.url)));
  const exports = WebAssembly.Module.exports(wasm).map((entry) => entry.name);
  assert.ok(exports.includes("predict"), exports.join(" "));
  assert.ok(!exports.some((name) => /panic_for_tests|panicForTests/i.test(name)), exports.join(" "));
  for (const dir of ["node", "web"]) {
    assert.ok(!readFileSync(new URL(`../../pkg/${dir}/inferplan.js`, import.meta.url), "utf8").includes("__panicForTests"));
  }
});

test("hostile values get named errors, unknown and inherited keys are not input, and the instance survives 10,000 of them", () => {
  const good = { useCase: "chat", model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 1 }, workload: { load: { requestsPerSecond: 1 } } };
  const expected = JSON.stringify(esm.predict(good));
  assert.throws(() => esm.predict({}), { field: "model", message: "model: missing field `model`" });
  assert.throws(() => esm.predict({ ...good, fleet: { ...good.fleet, pricePerGPUHour: 2 } }), { field: "fleet.pricePerGPUHour" });
  assert.throws(() => esm.predict(good, { tensorParalel: 2 }), { field: "config.tensorParalel" });
  assert.throws(() => esm.importBenchmark("x", { fromat: "vllm" }), { field: "options.fromat" });
  assert.throws(() => esm.importBenchmark(5), { field: "text" });
  assert.throws(() => esm.predict({ ...good, model: "x".repeat(1_000_000) }), (error) => error.field === "model" && error.message.length < 1000);
  Object.prototype.seed = 5;
  try {
    assert.equal(JSON.stringify(esm.predict(good)), expected, "an inherited property is not input");
  } finally {
    delete Object.prototype.seed;
  }
  const cyclic = { ...good };
  cyclic.self = cyclic;
  let deep = {};
  for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
  const hostile = [
    cyclic,
    { ...good, get seed() { throw new Error("getter"); } },
    new Proxy(good, { get() { throw new Error("trap"); } }),
    { ...good, seed: 10n },
    { ...good, workload: { load: { requestsPerSecond: NaN } } },
  ];
  assert.throws(() => esm.predict(deep), { field: "" });
  const trappedTexts = new Proxy(["a"], { get(target, key) { if (key === "0") throw new Error("trap"); return target[key]; } });
  assert.throws(() => esm.importBenchmark(trappedTexts), { field: "text[0]" });
  assert.throws(() => esm.importBenchmark(new Array(5000).fill("x")), { field: "text" });
  for (let call = 0; call < 10_000; call += 1) {
    assert.throws(() => esm.predict(hostile[call % hostile.length]), (error) => error instanceof Error && typeof error.field === "string");
  }
  assert.equal(JSON.stringify(esm.predict(good)), expected);
  assert.equal(typeof esm.version(), "string");
});

test("the package's README opens with npm install, and every CDN line pins the package's version", () => {
  const { version: packageVersion } = JSON.parse(readFileSync(new URL("../../pkg/package.json", import.meta.url), "utf8"));
  const packageReadme = readFileSync(new URL("../../pkg/README.md", import.meta.url), "utf8");
  assert.match(packageReadme, /^# inferplan\n\n```sh\nnpm install inferplan\n```/);
  for (const readme of [packageReadme, readFileSync(new URL("../../README.md", import.meta.url), "utf8")]) {
    const cdn = [...readme.matchAll(/https:\/\/(?:cdn\.jsdelivr\.net\/npm|unpkg\.com)\/inferplan[^\s`"]*/g)].map(([url]) => url);
    assert.ok(cdn.length > 0);
    for (const url of cdn) assert.ok(url.includes(`/inferplan@${packageVersion}/`), url);
  }
});
