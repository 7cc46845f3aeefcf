// The `inferplan` command, the examples, the size budget, and the package installed from its
// tarball into a project outside this repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, readdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const ROOT = new URL("../..", import.meta.url).pathname;
const CLI = join(ROOT, "pkg/cli.js");
const SAMPLES = join(ROOT, "tests/data/samples");
const SCENARIO = join(ROOT, "examples/chat-scenario.json");

function run(args, { input, cwd = ROOT, command = process.execPath, prefix = [CLI] } = {}) {
  const result = spawnSync(command, [...prefix, ...args], { cwd, input, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("--version and --help for every command", () => {
  const version = run(["--version"]);
  assert.equal(version.status, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  const help = run(["--help"]);
  assert.equal(help.status, 0);
  for (const word of ["advise", "predict", "import", "--rps", "--slo"]) assert.ok(help.stdout.includes(word), word);
  for (const [command, flag] of [["advise", "--measured"], ["predict", "--tp"], ["import", "--format"]]) {
    const result = run([command, "--help"]);
    assert.equal(result.status, 0, command);
    assert.ok(result.stdout.includes(flag), `${command} --help mentions ${flag}`);
  }
});

test("advise from flags prints a verdict, a table and reasons", () => {
  const result = run(["advise", "--model", "Llama-3.1-70B", "--gpu", "H100-SXM", "--gpus", "8", "--use-case", "chat",
    "--rps", "2", "--slo", "ttft:p95<500ms", "--price", "2.5"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^LATENCY FIRST\n/);
  assert.match(result.stdout, /Recommended: TP\d/);
  assert.match(result.stdout, /TTFT +[\d.,]+/);
  assert.match(result.stdout, /per million output tokens/);
});

test("advise reads a scenario file or stdin, and --json is machine-readable", () => {
  const fromFile = run(["advise", SCENARIO, "--json"]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  const recommendation = JSON.parse(fromFile.stdout);
  assert.ok(["latency-first", "throughput-first", "balanced"].includes(recommendation.verdict));
  const fromStdin = run(["advise", "-", "--json", "--rps", "200"], { input: readFileSync(SCENARIO, "utf8") });
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.equal(JSON.parse(fromStdin.stdout).verdict, "infeasible-capacity");
});

test("advise --measured calibrates to benchmark files first", () => {
  const result = run(["advise", "--model", "Llama-3.1-8B", "--gpu", "H100-SXM", "--prompt-tokens", "200",
    "--output-tokens", "64", "--rps", "10", "--p95-ms", "100", "--measured", join(SAMPLES, "guidellm-constant-rates.json"),
    "--measured-max-batch", "64"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Calibrated to \d+ measured observations: median error/);
});

test("predict takes config flags", () => {
  const human = run(["predict", SCENARIO, "--tp", "4", "--precision", "fp8", "--max-batch", "128"]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^Feasible: TP4 x 2 replicas in fp8/);
  // The latency table's ± column is the prediction's error band.
  const json4 = JSON.parse(run(["predict", SCENARIO, "--tp", "4", "--precision", "fp8", "--max-batch", "128", "--json"]).stdout);
  const ttftRow = human.stdout.split("\n").find((line) => line.trim().startsWith("TTFT"));
  assert.ok(ttftRow.trim().endsWith(`±${Math.round(json4.errorBand.ttft * 100)}%`), ttftRow);
  assert.match(human.stdout, /Error band \(80% of measurements fall inside\)/);
  const json = JSON.parse(run(["predict", SCENARIO, "--tp", "8", "--engine", "tensorrt-llm", "--json"]).stdout);
  assert.equal(json.config.tensorParallel, 8);
  assert.equal(json.config.engine, "tensorrt-llm");
});

test("import prints every load level, and --json the run", () => {
  const human = run(["import", join(SAMPLES, "guidellm-constant-rates.csv"), join(SAMPLES, "aiperf-concurrency16-summary.json")]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /5 load level\(s\)/);
  assert.match(human.stdout, /16 users/);
  const json = JSON.parse(run(["import", join(SAMPLES, "vllm-bench-serve-rate5-detailed.json"), "--json", "--format", "vllm"]).stdout);
  assert.equal(json.points[0].completed, 200);
});

test("import prints a file's text without its control characters, and an error names the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "inferplan-cli-"));
  try {
    const sample = JSON.parse(readFileSync(join(SAMPLES, "vllm-bench-serve-rate5-detailed.json"), "utf8"));
    sample.model_id = "evil\u001b[2J\u001b[Hforged\rline\u0007";
    const hostile = join(dir, "hostile.json");
    writeFileSync(hostile, JSON.stringify(sample));
    const printed = run(["import", hostile]);
    assert.equal(printed.status, 0, printed.stderr);
    assert.doesNotMatch(printed.stdout, /[\u0000-\u0008\u000b-\u001f\u007f]/);
    assert.match(printed.stdout, /model evil\?\[2J\?\[Hforged\?line\?/);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ \"completed\": ");
    const failed = run(["import", join(SAMPLES, "vllm-bench-serve-rate5-detailed.json"), broken]);
    assert.equal(failed.status, 2);
    assert.match(failed.stderr, new RegExp(`^inferplan: ${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input exits 2 with the message on stderr", () => {
  const cases = [
    [["advise", SCENARIO, "--gpus=-3"], /fleet\.count must be a positive integer/],
    [["advise", SCENARIO, "--model", "GPT-9"], /unknown model "GPT-9"/],
    [["advise", "--model", "Llama-3.1-8B", "--gpu", "L4"], /needs a load/],
    [["advise", SCENARIO, "--rps", "fast"], /--rps must be a number, got "fast"/],
    [["advise", SCENARIO, "--slo", "ttft<5"], /--slo must look like ttft:p95<500ms/],
    [["advise", SCENARIO, "--rps", "1", "--concurrency", "4"], /give one load flag/],
    [["advise", "/no/such/file.json"], /cannot read \/no\/such\/file\.json/],
    [["advise", join(SAMPLES, "guidellm-constant-rates.csv")], /not valid JSON/],
    [["predict", SCENARIO, "--tp", "3"], /config\.tensorParallel must be a divisor/],
    [["import"], /at least one benchmark file/],
    [["import", SCENARIO], /not a known benchmark format/],
    [["import", join(SAMPLES, "aiperf-concurrency16-summary.csv"), "--format", "nsight"], /unknown format "nsight"/],
    [["advise", "--frobnicate"], /unknown flag --frobnicate; see inferplan advise --help/],
    // A negative number after a flag is its value, judged like any other.
    [["advise", SCENARIO, "--gpus", "-1"], /fleet\.count must be a positive integer \(at most 4096\), got -1/],
    [["advise", SCENARIO, "--gpus"], /--gpus needs a value/],
    [["advise", SCENARIO, "--json=yes"], /--json takes no value/],
    [["advise", SCENARIO, "--params-b", "huge"], /--params-b must be a number, got "huge"/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of cases) {
    const result = run(args);
    assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "", args.join(" "));
    assert.match(result.stderr, /^inferplan: /, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
  }
});

test("the examples run", () => {
  const advise = execFileSync(process.execPath, [join(ROOT, "examples/node/advise.mjs")], { encoding: "utf8" });
  assert.match(advise, /^(latency-first|throughput-first|balanced): /);
  const predict = execFileSync(process.execPath, [join(ROOT, "examples/node/predict.cjs")], { encoding: "utf8" });
  assert.match(predict, /feasible: true/);
  const imported = execFileSync(process.execPath, [join(ROOT, "examples/node/import.mjs"), join(SAMPLES, "guidellm-constant-rates.json")],
    { encoding: "utf8" });
  assert.match(imported, /offered 20: p95 TTFT 27\.6 ms/);
  assert.match(imported, /calibrated: median error/);
});

test("the web build's wasm and glue stay under 250 KB gzipped", () => {
  const bytes = ["web/inferplan_bg.wasm", "web/inferplan.js", "web/index.js"]
    .map((file) => gzipSync(readFileSync(join(ROOT, "pkg", file)), { level: 9 }).length)
    .reduce((a, b) => a + b, 0);
  console.log(`web build: ${(bytes / 1024).toFixed(1)} KB gzipped (budget 250 KB)`);
  assert.ok(bytes < 250 * 1024, `${bytes} bytes`);
});

test("a project outside the repository installs the packed tarball and uses the API and the command", () => {
  const work = mkdtempSync(join(tmpdir(), "inferplan-install-"));
  try {
    execFileSync("npm", ["pack", join(ROOT, "pkg"), "--pack-destination", work, "--silent"], { encoding: "utf8" });
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote a tarball");
    const project = join(work, "project");
    cpSync(join(ROOT, "examples/chat-scenario.json"), join(project, "scenario.json"));
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    execFileSync("npm", ["install", join(work, tarball), "--no-audit", "--no-fund", "--offline", "--silent"], { cwd: project });
    const viaRequire = execFileSync(process.execPath, ["-e", "const p = require('inferplan'); console.log(p.version(), typeof p.advise)"],
      { cwd: project, encoding: "utf8" });
    assert.match(viaRequire, /^\d+\.\d+\.\d+ function/);
    const viaImport = execFileSync(process.execPath, ["--input-type=module", "-e",
      "import { advise } from 'inferplan'; import { readFileSync } from 'node:fs'; console.log(advise(JSON.parse(readFileSync('scenario.json', 'utf8'))).verdict)"],
    { cwd: project, encoding: "utf8" });
    assert.match(viaImport, /^(latency-first|throughput-first|balanced)$/m);
    const bin = join(project, "node_modules/.bin/inferplan");
    const version = run(["--version"], { cwd: project, command: bin, prefix: [] });
    assert.equal(version.status, 0, version.stderr);
    const answer = run(["advise", "scenario.json", "--json"], { cwd: project, command: bin, prefix: [] });
    assert.equal(answer.status, 0, answer.stderr);
    assert.ok(JSON.parse(answer.stdout).summary.length > 0);
    const shipped = readdirSync(join(project, "node_modules/inferplan")).sort();
    assert.ok(!shipped.includes("src") && !shipped.includes("tests"), shipped.join(" "));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
