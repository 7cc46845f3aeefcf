// Read a benchmark sweep and calibrate to it: `node examples/node/import.mjs FILE...`.
// In your project: import { importBenchmark, calibrate } from "inferplan";
import { readFileSync } from "node:fs";
import { calibrate, importBenchmark } from "../../pkg/index.js";

const files = process.argv.slice(2);
const run = importBenchmark(files.map((file) => readFileSync(file, "utf8")));
for (const point of run.points) {
  const offered = point.offered.requestsPerSecond ?? point.offered.concurrency ?? "unthrottled";
  console.log(`offered ${offered}: p95 TTFT ${point.ttftMs.p95?.toFixed(1)} ms, ${point.requestsPerSecond?.toFixed(2)} req/s`);
}
const report = calibrate({
  model: "Llama-3.1-8B",
  fleet: { gpu: "H100-SXM", count: 1 },
  workload: { promptTokens: 200, outputTokens: 64, load: { requestsPerSecond: 10 } },
  measured: { config: { maxBatch: 64 }, runs: [run] },
});
console.log(`calibrated: median error ${report.medianAbsErrorPct.toFixed(1)}% (built-in ${report.builtInMedianAbsErrorPct.toFixed(1)}%)`);
