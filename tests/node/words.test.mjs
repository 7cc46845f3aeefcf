// The wording and number formats shared by the command, the page, the element and the charts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { advise, catalog } from "../../pkg/index.js";
import { formatCompact, formatMs, formatNumber } from "../../pkg/web/format.js";
import { bandText, checkStatusText, describeCalibration, describeChecks, describeConfig, describeDeployment, describeNeed, describePrediction, formatSlo, parseSlo } from "../../pkg/web/words.js";

test("numbers: grouped with fixed decimals, ms with one decimal under 100, compact axis labels, a mark for missing ones", () => {
  assert.equal(formatNumber(1234.567, 1), "1,234.6");
  assert.equal(formatNumber(2, 2), "2.00");
  assert.equal(formatNumber(NaN), "-");
  assert.equal(formatNumber(undefined, 1, "—"), "—");
  assert.equal(formatMs(42.66), "42.7");
  assert.equal(formatMs(1234.4), "1,234");
  assert.equal(formatMs(null, "—"), "—");
  assert.deepEqual([12345, 1500, 250, 42.5, 3.14159, Infinity].map(formatCompact), ["12k", "1.5k", "250", "42.5", "3.14", "-"]);
});

test("a deployment reads the same in short as in the advisor's own sentences, and in full", () => {
  const recommendation = advise({ useCase: "summarization", model: "Llama-3.1-70B", fleet: { gpu: "H100-SXM", count: 8 },
    workload: { load: { requestsPerHour: 10000 } } });
  const { config } = recommendation;
  assert.ok(config.replicas > 1, JSON.stringify(config));
  assert.ok(recommendation.summary.includes(describeDeployment(config)), `${describeDeployment(config)} | ${recommendation.summary}`);
  assert.equal(describeDeployment({ tensorParallel: 4, replicas: 2, precision: "fp8" }, 8), "TP4 x 2 replicas in fp8 (8 GPUs)");
  assert.equal(describeDeployment({ tensorParallel: 8, replicas: 1, precision: "bf16" }), "TP8 in bf16");
  const full = { engine: "vllm", tensorParallel: 4, replicas: 2, precision: "fp8", kvCacheDtype: "bf16", maxBatch: 256, maxBatchedTokens: 8192 };
  assert.equal(describeConfig(full, 8), "TP4 x 2 replicas in fp8 on vllm (8 GPUs), max batch 256, 8,192 tokens per iteration, bf16 KV cache");
  assert.equal(describeConfig(full), "TP4 x 2 replicas in fp8 on vllm, max batch 256, 8,192 tokens per iteration, bf16 KV cache");
  assert.equal(describePrediction({ config: { ...full, replicas: 1 }, gpusUsed: 4, gpusIdle: 1 }),
    "TP4 in fp8 on vllm (4 GPUs, 1 idle), max batch 256, 8,192 tokens per iteration, bf16 KV cache");
});

test("what the load needs reads as the advisor's own gpusNeeded and headroom", () => {
  const { headroom } = catalog();
  const light = advise({ useCase: "chat", model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 8 },
    workload: { load: { requestsPerSecond: 2 } } });
  assert.ok(light.gpusNeeded >= 1 && light.gpusNeeded < 8, `${light.gpusNeeded}`);
  assert.equal(describeNeed(light, headroom),
    `the load needs ${light.gpusNeeded === 1 ? "1 GPU" : `${light.gpusNeeded} GPUs`} with ${Math.round((headroom - 1) * 100)}% headroom`);
  assert.equal(describeNeed({ ...light, gpusNeeded: 0 }, headroom), "");
});

test("an SLO written and read back", () => {
  assert.deepEqual(parseSlo("E2E:p99<20s"), { metric: "e2e", percentile: 99, targetMs: 20000 });
  assert.equal(parseSlo("ttft<5"), null);
  assert.equal(formatSlo({ metric: "tpot", percentile: 90, targetMs: 40.5 }), "tpot:p90<40.5ms");
  assert.equal(formatSlo({ metric: "ttft", targetMs: 500 }), "ttft:p95<500ms");
});

test("an error band reads as ±x% of its prediction, and a target inside it as at risk", () => {
  const prediction = {
    errorBand: { coverage: 0.8, throughput: 0.2, ttft: 0.184, tpot: 0.3, itl: 0.3, e2e: 0.25, calibrationSource: "calibrated" },
    slos: [
      { metric: "ttft", percentile: 95, targetMs: 500, achievedMs: 450, bandMs: [380, 533], met: true, status: "at-risk" },
      { metric: "tpot", percentile: 95, targetMs: 80, achievedMs: 42.16, bandMs: [32.4, 54.8], met: true, status: "meets" },
    ],
  };
  assert.equal(bandText(prediction, "ttft"), "±18%");
  assert.equal(bandText({}, "ttft"), "");
  assert.deepEqual(prediction.slos.map(checkStatusText), ["at risk", "met"]);
  assert.equal(describeChecks(prediction), "p95 TTFT 450 ms ±18% (target 500 ms, at risk); p95 TPOT 42.2 ms ±30% (target 80 ms, met)");
});

test("a calibration reads as its own figures, and a shortened fit says so", () => {
  const report = { observations: [{}, {}, {}], medianAbsErrorPct: 2.345, builtInMedianAbsErrorPct: 12.5, skipped: [] };
  assert.equal(describeCalibration(report), "3 measured observations: median error 2.3% (built-in factors: 12.5%)");
  const note = "the fit ran 21 of its 300 evaluations: simulating these points 21 times is all the work a calibration may spend";
  assert.match(describeCalibration({ ...report, note }), /; the fit ran 21 of its 300 evaluations/);
});
