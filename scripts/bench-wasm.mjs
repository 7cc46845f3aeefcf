// `make bench` (wasm part): advise and predict on the default chat scenario, through the npm
// package's Node build, timed over repeated runs (median and fastest, ms).
import { readFileSync } from "node:fs";
import { advise, predict } from "../pkg/index.js";

const scenario = JSON.parse(readFileSync(new URL("../examples/chat-scenario.json", import.meta.url), "utf8"));

function time(runs, f) {
  f();
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(runs / 2)], times[0]];
}

const row = (name, [median, fastest]) =>
  console.log(`| ${name.padEnd(72)} | ${median.toFixed(2).padStart(9)} | ${fastest.toFixed(2).padStart(10)} |`);
console.log(`| ${`case (wasm in Node ${process.version})`.padEnd(72)} | median ms | fastest ms |`);
console.log(`|${"-".repeat(74)}|-----------|------------|`);
row("predict, default chat scenario (70B, 8 x H100, 3 req/s)", time(21, () => predict(scenario)));
row("advise, default chat scenario (examples/chat-scenario.json)", time(11, () => advise(scenario)));
