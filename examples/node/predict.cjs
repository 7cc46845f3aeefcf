// One deployment under load, from CommonJS: `node examples/node/predict.cjs`.
// In your project: const { predict } = require("inferplan");
const { predict } = require("../../pkg");

const prediction = predict(
  {
    model: "Llama-3.1-8B",
    fleet: { gpu: "L40S", count: 2 },
    workload: { promptTokens: { mean: 2000, cv: 0.5 }, outputTokens: 300, load: { concurrency: 16 } },
  },
  { tensorParallel: 1, precision: "fp8" },
);

console.log(`feasible: ${prediction.feasible}`);
console.log(`p50/p95/p99 TTFT: ${["p50", "p95", "p99"].map((p) => prediction.ttftMs[p].toFixed(0)).join(" / ")} ms`);
console.log(`throughput: ${prediction.outputTokensPerSecond.toFixed(0)} output tokens/s`);
