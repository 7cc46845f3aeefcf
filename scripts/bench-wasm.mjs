// `make bench` (wasm part): the npm package's Node build, timed over repeated runs (median and
// fastest, ms): the default chat scenario, then each entry point on the most work its limits
// allow, each in a process of its own so that its wasm memory (which only grows) is its own.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { advise, calibrate, importBenchmark, predict } from "../pkg/index.js";

const read = (path) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
const json = (path) => JSON.parse(read(path));

/// The largest AIPerf records JSONL the limits allow: the sample's records repeated to 64 MiB.
function largestRecordsJsonl() {
  const MAX_FILE_BYTES = 64 * 1024 * 1024;
  const records = read("tests/data/samples/aiperf-concurrency16-records-first100.jsonl")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const lines = [];
  let bytes = 0;
  for (let i = 0; bytes + records[i % records.length].length + 1 <= MAX_FILE_BYTES; i += 1) {
    lines.push(records[i % records.length]);
    bytes += records[i % records.length].length + 1;
  }
  return lines.join("\n");
}

/// The largest single JSON document the limits allow: the vLLM sample's per-request arrays
/// repeated to 32 MiB.
function largestVllmJson() {
  const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
  const sample = json("tests/data/samples/vllm-bench-serve-rate5-detailed.json");
  const size = JSON.stringify(sample).length;
  for (let copies = Math.floor(MAX_DOCUMENT_BYTES / size); copies > 0; copies -= 1) {
    const grown = { ...sample };
    for (const [key, value] of Object.entries(sample)) if (Array.isArray(value)) grown[key] = Array(copies).fill(value).flat();
    grown.completed = grown.num_prompts = grown.ttfts.length;
    const text = JSON.stringify(grown);
    if (text.length <= MAX_DOCUMENT_BYTES) return text;
  }
  throw new Error("the vLLM sample is larger than the limit");
}

const CASES = {
  "predict, default chat scenario (70B, 8 x H100, 3 req/s)": [21, () => json("examples/chat-scenario.json"), (s) => predict(s)],
  "advise, default chat scenario (examples/chat-scenario.json)": [11, () => json("examples/chat-scenario.json"), (s) => advise(s)],
  "advise, the most work the limits allow (examples/worst-case/advise.json)": [
    3,
    () => json("examples/worst-case/advise.json"),
    (s) => {
      try {
        advise(s);
      } catch (error) {
        if (error.field !== "workload") throw error;
      }
    },
  ],
  "predict, the most work the limits allow (examples/worst-case/predict.json)": [
    3,
    () => json("examples/worst-case/predict.json"),
    ({ scenario, config }) => predict(scenario, config),
  ],
  "calibrate, 64 measured points (examples/worst-case/calibrate.json)": [3, () => json("examples/worst-case/calibrate.json"), (s) => calibrate(s)],
  "importBenchmark, a 64 MiB AIPerf records JSONL": [3, largestRecordsJsonl, (text) => importBenchmark(text)],
  "importBenchmark, a 32 MiB vLLM JSON document": [3, largestVllmJson, (text) => importBenchmark(text)],
};

function time(runs, input, f) {
  f(input);
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    f(input);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(runs / 2)], times[0]];
}

if (process.argv[2] === "--case") {
  const [runs, makeInput, f] = CASES[process.argv[3]];
  const input = makeInput();
  const [median, fastest] = time(runs, input, f);
  // The wasm instance's memory, which only grows, lives outside V8's heap: the process's
  // external memory bounds it from above.
  const memoryMb = process.memoryUsage().external / 1048576;
  console.log(JSON.stringify({ median, fastest, memoryMb }));
} else {
  const cell = (number, width) => number.toFixed(2).padStart(width);
  console.log(`| ${`case (wasm in Node ${process.version})`.padEnd(76)} | median ms | fastest ms | external MB |`);
  console.log(`|${"-".repeat(78)}|-----------|------------|-------------|`);
  for (const name of Object.keys(CASES)) {
    const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--case", name], { encoding: "utf8" });
    const { median, fastest, memoryMb } = JSON.parse(output);
    console.log(`| ${name.padEnd(76)} | ${cell(median, 9)} | ${cell(fastest, 10)} | ${memoryMb.toFixed(0).padStart(11)} |`);
  }
}
