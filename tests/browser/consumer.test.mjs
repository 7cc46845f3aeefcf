// The package as a consumer installs it: a project outside the repository installs the packed
// tarball, bundles a page with esbuild and with Vite, and that page renders the element and
// answers `advise` in Chromium under a strict Content-Security-Policy; without
// 'wasm-unsafe-eval' it says the wasm could not load instead of computing for ever.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "node_modules/.bin");
const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
let work, project, browser;

const PAGE = (script) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>consumer</title></head>
<body>
<inferplan-advisor use-case="chat" model="Llama-3.1-8B" gpu="H100-SXM" gpus="1" rps="2" slo="ttft:p95<500ms"></inferplan-advisor>
<output id="answer"></output>
<script type="module" src="${script}"></script>
</body></html>`;

const MAIN = `import init, { advise } from "inferplan";
import "inferplan/element";
await init();
const recommendation = advise({ model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 1 },
  workload: { promptTokens: 200, outputTokens: 64, load: { requestsPerSecond: 2 } }, slo: { metric: "ttft", targetMs: 500 } });
document.getElementById("answer").textContent = recommendation.verdict;
`;

before(() => {
  work = mkdtempSync(join(tmpdir(), "inferplan-consumer-"));
  execFileSync("npm", ["pack", join(ROOT, "pkg"), "--pack-destination", work, "--silent"]);
  const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
  project = join(work, "project");
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  execFileSync("npm", ["install", join(work, tarball), "--no-audit", "--no-fund", "--offline", "--silent"], { cwd: project });
  writeFileSync(join(project, "src/main.js"), MAIN);
  // esbuild bundles the code; the wasm is the package's `inferplan/wasm` export, copied next
  // to the bundle, where the web entry fetches it from by default.
  mkdirSync(join(project, "dist-esbuild"));
  execFileSync(join(BIN, "esbuild"), ["src/main.js", "--bundle", "--format=esm", "--outfile=dist-esbuild/main.js", "--log-level=warning"], { cwd: project });
  const wasm = execFileSync(process.execPath, ["--input-type=module", "-e", "console.log(import.meta.resolve('inferplan/wasm'))"], { cwd: project, encoding: "utf8" }).trim();
  cpSync(new URL(wasm).pathname, join(project, "dist-esbuild/inferplan_bg.wasm"));
  writeFileSync(join(project, "dist-esbuild/index.html"), PAGE("./main.js"));
  // Vite finds the wasm through the web entry's `new URL(..., import.meta.url)` itself.
  writeFileSync(join(project, "index.html"), PAGE("./src/main.js"));
  execFileSync(join(BIN, "vite"), ["build", "--outDir", "dist-vite", "--logLevel", "warn"], { cwd: project });
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Serves `dir` on 127.0.0.1 with `policy` as its Content-Security-Policy; resolves to its URL. */
function serve(dir, policy) {
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://localhost").pathname)).replace(/^\/+/, "") || "index.html";
    try {
      const body = readFileSync(join(dir, path));
      response.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream", "content-security-policy": policy });
      response.end(body);
    } catch {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

/** The page's answer, the element's verdict or error, and the policy violations it reported. */
async function visit(dir, policy) {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const { server, url } = await serve(dir, policy);
  const page = await browser.newPage();
  const violations = [];
  page.on("console", (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
  try {
    await page.goto(url);
    await page.waitForFunction(() => document.querySelector("inferplan-advisor")?.shadowRoot?.querySelector("[part=verdict], [part=error]"), null, { timeout: 20000 });
    return await page.evaluate(() => {
      const shadow = document.querySelector("inferplan-advisor").shadowRoot;
      return {
        answer: document.getElementById("answer").textContent,
        verdict: shadow.querySelector("[part=verdict]")?.dataset.verdict,
        error: shadow.querySelector("[part=error]")?.textContent,
        styled: getComputedStyle(document.querySelector("inferplan-advisor")).borderTopStyle,
      };
    }).then((result) => ({ ...result, violations }));
  } finally {
    await page.close();
    server.close();
  }
}

for (const bundler of ["esbuild", "vite"]) {
  test(`a page bundled with ${bundler} renders the element and answers under a strict policy`, async () => {
    const result = await visit(join(project, `dist-${bundler}`), STRICT);
    assert.deepEqual(result.violations, []);
    assert.match(result.answer, /^(latency-first|throughput-first|balanced)$/);
    assert.ok(result.verdict, result.error);
    assert.equal(result.styled, "solid", "the element's adopted stylesheet applies");
  });
}

test("without 'wasm-unsafe-eval' the element says the wasm could not load", async () => {
  const result = await visit(join(project, "dist-esbuild"), "default-src 'self'; script-src 'self'");
  assert.match(result.error ?? "", /could not load its WebAssembly.*wasm-unsafe-eval/s);
});

const TYPED = `import init, { advise, predict, InferplanError, type Scenario } from "inferplan";
import "inferplan/element";
await init();
const scenario: Scenario = { useCase: "chat", model: "Llama-3.1-70B", fleet: { gpu: "H100-SXM", count: 8 },
  workload: { load: { requestsPerSecond: 3 } }, slo: { metric: "ttft", percentile: 95, targetMs: 500 } };
const verdict: string = advise(scenario).verdict;
const p95: number | undefined = predict(scenario).ttftMs?.p95;
try {
  predict({ ...scenario, fleet: { gpu: "H100-SXM", count: -3 } });
} catch (error) {
  if (error instanceof InferplanError) {
    const field: string = error.field;
    console.log(field, verdict, p95);
  }
}
const element: HTMLElement | null = document.querySelector("inferplan-advisor");
console.log(element);
`;

test("TypeScript code using the package type-checks strictly, as Node and as a bundler resolve it", () => {
  writeFileSync(join(project, "src/check.ts"), TYPED);
  for (const [module, resolution] of [["nodenext", "nodenext"], ["esnext", "bundler"]]) {
    execFileSync(join(BIN, "tsc"), ["--noEmit", "--strict", "--target", "es2022", "--module", module,
      "--moduleResolution", resolution, "--lib", "es2022,dom", "--types", "", "src/check.ts"], { cwd: project, encoding: "utf8" });
  }
});

test("a Vitest run of browser-style code (await init()) answers in Node", () => {
  writeFileSync(join(project, "src/answer.test.js"), `import { expect, test } from "vitest";
import init, { advise } from "inferplan";
test("advise after init", async () => {
  await init();
  const answer = advise({ useCase: "chat", model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 1 },
    workload: { load: { requestsPerSecond: 2 } } });
  expect(answer.verdict).toMatch(/first|balanced/);
});
`);
  const output = execFileSync(join(BIN, "vitest"), ["run", "src/answer.test.js", "--reporter=dot"], { cwd: project, encoding: "utf8" });
  assert.match(output, /1 passed/);
});

test("the element imports harmlessly on a server, and browser-style init works in Node", () => {
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", `
    const element = await import("inferplan/element");
    import init, { advise, InferplanError, initSync } from "inferplan";
    await init();
    initSync();
    try { advise({}); } catch (error) { console.log(error instanceof InferplanError, error.field); }
    console.log(typeof element.InferplanAdvisor);`], { cwd: project, encoding: "utf8" });
  assert.equal(output, "true model\nfunction\n");
  // One wasm ships, no raw bindings' declarations.
  const files = execFileSync("find", ["node_modules/inferplan", "-type", "f"], { cwd: project, encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(files.filter((file) => file.endsWith(".wasm")), ["node_modules/inferplan/web/inferplan_bg.wasm"]);
  assert.deepEqual(files.filter((file) => /inferplan(_bg\.wasm)?\.d\.ts$/.test(file)), []);
});
