// The flags module shared by the command, <inferplan-advisor> and the page: flags -> scenario,
// and back (the page's "Copy as CLI command").
import { test } from "node:test";
import assert from "node:assert/strict";
import { catalog } from "../../pkg/index.js";
import { configFromFlags, FlagError, scenarioFromFlags, toFlags } from "../../pkg/web/flags.js";

const { gpus, metrics, models, precisions, useCases } = catalog();

/** A seeded generator of numbers in [0, 1) (mulberry32), so a failure can be replayed. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A scenario as the page builds one from its form (www/app.js, scenarioFromForm): every field
 * a number typed into an input, within the ranges the core accepts; the optional ones (price,
 * burstiness) sometimes left out.
 */
function pageScenario(next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const decimal = (low, high, digits) => Number((low + next() * (high - low)).toFixed(digits));
  const gpu = pick(gpus);
  const load = next() < 0.5 ? { requestsPerSecond: decimal(0.01, 500, pick([0, 1, 2, 3])) } : { requestsPerHour: decimal(1, 1e6, pick([0, 1])) };
  if (next() < 0.8) load.burstiness = decimal(0, 10, pick([0, 1, 2]));
  const allowed = precisions.filter(() => next() < 0.5);
  const scenario = {
    useCase: pick(useCases).id,
    model: pick(models).id,
    fleet: { gpu: gpu.id, count: 1 + Math.floor(next() * 64) },
    workload: { promptTokens: 1 + Math.floor(next() * 32000), outputTokens: 1 + Math.floor(next() * 4000), load },
    slo: { metric: pick(metrics), percentile: pick([50, 90, 95, 99, 99.9, decimal(1, 99.9, 1)]), targetMs: decimal(1, 600000, pick([0, 1, 2])) },
    precisions: allowed.length > 0 ? allowed : [pick(precisions)],
    seed: Math.floor(next() * 1e6),
  };
  if (next() < 0.7) scenario.fleet.pricePerGpuHour = decimal(0, 20, pick([0, 1, 2]));
  return scenario;
}

test("toFlags gives back the page's scenario: scenarioFromFlags(toFlags(s)) equals s", () => {
  const next = random(11);
  for (let i = 0; i < 2000; i += 1) {
    const scenario = pageScenario(next);
    const flags = toFlags(scenario);
    assert.ok(Object.values(flags).flat().every((value) => typeof value === "string"), JSON.stringify(flags));
    assert.deepEqual(scenarioFromFlags(flags), scenario, JSON.stringify(flags));
  }
});

test("toFlags writes the flags a person would, in that order", () => {
  const scenario = {
    useCase: "chat", model: "Llama-3.1-70B", fleet: { gpu: "H100-SXM", count: 8, pricePerGpuHour: 2.5 },
    workload: { promptTokens: 1000, outputTokens: 250, load: { requestsPerSecond: 3, burstiness: 1 } },
    slo: { metric: "ttft", percentile: 95, targetMs: 500 }, precisions: ["bf16", "fp8"], seed: 1,
  };
  assert.deepEqual(Object.entries(toFlags(scenario)), [
    ["model", "Llama-3.1-70B"], ["gpu", "H100-SXM"], ["gpus", "8"], ["use-case", "chat"], ["rps", "3"],
    ["prompt-tokens", "1000"], ["output-tokens", "250"], ["slo", ["ttft:p95<500ms"]], ["precisions", "bf16,fp8"],
    ["burstiness", "1"], ["price", "2.5"], ["seed", "1"],
  ]);
});

test("toFlags leaves out what no flag can say, and round-trips the other loads and several SLOs", () => {
  const custom = toFlags({ model: { paramsB: 33 }, fleet: { gpu: { memoryGb: 80, memoryBandwidthTbS: 3, bf16Tflops: 900 }, count: 2 },
    workload: { promptTokens: { mean: 1000, cv: 0.5 }, outputTokens: 200, load: { offline: true } } });
  assert.deepEqual(custom, { "params-b": "33", gpus: "2", "output-tokens": "200" });
  // A custom model of its size only round-trips as --params-b; one with more does not.
  assert.deepEqual(scenarioFromFlags({ "params-b": "33" }).model, { paramsB: 33 });
  assert.equal(toFlags({ model: { paramsB: 33, layers: 60 } })["params-b"], undefined);
  for (const load of [{ concurrency: 16 }, { offline: true, requests: 400 }, { concurrency: 4, burstiness: 2 }]) {
    const scenario = { model: "Llama-3.1-8B", fleet: { gpu: "L4", count: 1 }, workload: { load },
      slo: [{ metric: "ttft", percentile: 99, targetMs: 800 }, { metric: "e2e", percentile: 95, targetMs: 20000 }] };
    assert.deepEqual(scenarioFromFlags(toFlags(scenario)), scenario);
  }
});

test("scenarioFromFlags lays the flags over a base scenario without changing it, and a fleet gets one GPU by default", () => {
  const base = { model: "Llama-3.1-8B", fleet: { gpu: "L4" }, workload: { promptTokens: 100, load: { concurrency: 2 } }, seed: 3 };
  const copy = structuredClone(base);
  const scenario = scenarioFromFlags({ gpu: "L40S", rps: "2.5", slo: ["e2e:p99<20s"], "p95-ms": "300", precisions: "bf16, fp8" }, base);
  assert.deepEqual(base, copy);
  assert.deepEqual(scenario, {
    model: "Llama-3.1-8B", fleet: { gpu: "L40S", count: 1 }, workload: { promptTokens: 100, load: { requestsPerSecond: 2.5 } }, seed: 3,
    slo: [{ metric: "e2e", percentile: 99, targetMs: 20000 }, { metric: "ttft", percentile: 95, targetMs: 300 }], precisions: ["bf16", "fp8"],
  });
  assert.deepEqual(scenarioFromFlags({ offline: "100", burstiness: "2" }).workload.load, { offline: true, requests: 100, burstiness: 2 });
});

test("a bad flag value throws an error naming the flag", () => {
  const cases = [
    [{ rps: "fast" }, "rps", '--rps must be a number, got "fast"'],
    [{ gpus: " " }, "gpus", '--gpus must be a number, got " "'],
    [{ price: "Infinity" }, "price", '--price must be a number, got "Infinity"'],
    [{ slo: ["ttft<5"] }, "slo", '--slo must look like ttft:p95<500ms (metric ttft, tpot, itl or e2e; unit ms or s), got "ttft<5"'],
    [{ rps: "1", concurrency: "4" }, "concurrency", "give one load flag, got --rps and --concurrency"],
  ];
  for (const [flags, flag, message] of cases) {
    assert.throws(() => scenarioFromFlags(flags), (error) => error instanceof FlagError && error.flag === flag && error.message === message);
  }
  assert.throws(() => scenarioFromFlags({ gpus: "eight" }, {}, { prefix: "" }), { message: 'gpus must be a number, got "eight"' });
  assert.throws(() => configFromFlags({ tp: "x" }), { message: '--tp must be a number, got "x"' });
  assert.deepEqual(configFromFlags({ tp: "4", precision: "fp8", "max-batch": "128", "kv-cache-dtype": "fp8" }),
    { tensorParallel: 4, maxBatch: 128, precision: "fp8", kvCacheDtype: "fp8" });
  // The engine is the scenario's: it fixes what advise recommends and what predict runs.
  assert.equal(scenarioFromFlags({ engine: "sglang" }).engine, "sglang");
  assert.equal(configFromFlags({ engine: "sglang" }).engine, undefined);
});
