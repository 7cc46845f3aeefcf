// Latency or throughput first for a chat service: `node examples/node/advise.mjs`.
// In your project: import { advise } from "inferplan";
import { advise } from "../../pkg/index.js";

const answer = advise({
  useCase: "chat",
  model: "Llama-3.1-70B",
  fleet: { gpu: "H100-SXM", count: 8, pricePerGpuHour: 2.5 },
  workload: { load: { requestsPerSecond: 3 } },
  slo: { metric: "ttft", percentile: 95, targetMs: 500 },
});

console.log(`${answer.verdict}: ${answer.summary}`);
const { tensorParallel, replicas, precision } = answer.config;
console.log(`run TP${tensorParallel} x ${replicas} in ${precision}; p95 TTFT ${answer.prediction.ttftMs.p95.toFixed(0)} ms`);
