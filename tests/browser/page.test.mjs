// The page in headless Chromium (Debian's, never a downloaded one): it loads the wasm, computes
// on input, shows a field-naming error beside the field, and recovers. Screenshots go to
// test-output/ (git-ignored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/serve.mjs";

const OUTPUT = new URL("../../test-output/", import.meta.url).pathname;
let server, url, browser, page;

before(async () => {
  await mkdir(OUTPUT, { recursive: true });
  ({ server, url } = await startServer(0));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  page.on("pageerror", (error) => { throw error; });
  const started = Date.now();
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  console.log(`page: first answer ${Date.now() - started} ms after navigation`);
});

after(async () => {
  await browser?.close();
  server?.close();
});

const readNumber = async (selector) => Number((await page.textContent(selector)).replace(/[^0-9.]/g, ""));

test("the default page answers with a verdict, a summary, reasons and a recommended config", async () => {
  const verdict = await page.getAttribute("#verdict", "data-verdict");
  assert.ok(["latency-first", "throughput-first", "balanced"].includes(verdict), verdict);
  assert.match(await page.textContent("#summary"), /first|Balanced/);
  assert.match(await page.textContent("#recommended"), /^Recommended: TP\d/);
  assert.ok((await page.$$("#advice-reasons li")).length >= 3);
});

test("raising the volume far past capacity turns the verdict to infeasible-capacity", async () => {
  await page.fill("#rps", "500");
  await page.waitForFunction(() => document.querySelector("#verdict").dataset.verdict === "infeasible-capacity");
  assert.match(await page.textContent("#summary"), /GPUs would/);
  await page.fill("#rps", "3");
  await page.waitForFunction(() => document.querySelector("#verdict").dataset.verdict !== "infeasible-capacity");
});

test("an unreachable target turns the verdict to infeasible-latency", async () => {
  await page.fill("#slo-target", "5");
  await page.waitForFunction(() => document.querySelector("#verdict").dataset.verdict === "infeasible-latency");
  await page.fill("#slo-target", "500");
  await page.waitForFunction(() => document.querySelector("#verdict").dataset.verdict !== "infeasible-latency");
});

test("the default page shows simulated percentiles, throughput and memory", async () => {
  assert.equal(await page.textContent("#status"), "Feasible");
  const p50 = await readNumber("#ttft-p50");
  const p95 = await readNumber("#ttft-p95");
  const p99 = await readNumber("#ttft-p99");
  assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99, `ttft ${p50} ${p95} ${p99}`);
  assert.ok((await readNumber("#weights-gb")) > 0);
  assert.ok((await readNumber("#tps")) > 0);
  assert.match(await page.textContent("#target-note"), /Target p95 ttft/);
  await page.screenshot({ path: `${OUTPUT}page.png`, fullPage: true });
});

test("filling the form recomputes: more load raises the p95 time to first token", async () => {
  const before = await readNumber("#ttft-p95");
  await page.fill("#rps", "9");
  await page.waitForFunction((old) => Number(document.querySelector("#ttft-p95").textContent.replace(/[^0-9.]/g, "")) !== old, before);
  assert.ok((await readNumber("#ttft-p95")) > before);
  await page.fill("#rps", "3");
});

test("a smaller GPU that cannot hold the weights says so with numbers", async () => {
  await page.selectOption("#gpu", "L4");
  await page.fill("#gpu-count", "1");
  await page.waitForFunction(() => document.querySelector("#status").textContent === "Infeasible");
  assert.match(await page.textContent("#reasons"), /GB per GPU/);
  assert.equal(await page.getAttribute("#verdict", "data-verdict"), "infeasible-capacity");
  await page.selectOption("#gpu", "H100-SXM");
  await page.fill("#gpu-count", "4");
  await page.waitForFunction(() => document.querySelector("#status").textContent === "Feasible");
});

test("an invalid value shows its error beside the field and the page recovers", async () => {
  await page.fill("#gpu-count", "-3");
  await page.waitForFunction(() => document.querySelector("#gpu-count-error").textContent !== "");
  assert.equal(await page.textContent("#gpu-count-error"), "fleet.count must be a positive integer (at most 4096), got -3");
  assert.equal(await page.getAttribute("#gpu-count", "aria-invalid"), "true");
  assert.match(await page.textContent("#error"), /fleet\.count/);
  await page.screenshot({ path: `${OUTPUT}page-error.png`, fullPage: true });
  await page.fill("#gpu-count", "8");
  await page.waitForFunction(() => document.querySelector("#error").textContent === "");
  assert.equal(await page.getAttribute("#gpu-count", "aria-invalid"), null);
  assert.ok((await readNumber("#ttft-p95")) > 0);
});

test("dropped benchmark files appear as measured points and calibrate the answer", async () => {
  const samples = new URL("../data/samples/", import.meta.url).pathname;
  await page.setInputFiles("#measured-files", `${samples}guidellm-constant-rates.json`);
  await page.waitForFunction(() => document.querySelectorAll("#measured-rows tr").length === 4);
  await page.waitForFunction(() => document.querySelector("#calibration-source").textContent.includes("fitted to"));
  assert.match(await page.textContent("#measured-rows"), /guidellm: 2 req\/s/);
  await page.screenshot({ path: `${OUTPUT}page-measured.png`, fullPage: true });
  await page.setInputFiles("#measured-files", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from('{"hello": 1}') });
  await page.waitForFunction(() => document.querySelector("#measured-files-error").textContent !== "");
  assert.match(await page.textContent("#measured-files-error"), /not a known benchmark format/);
  await page.click("#clear-measured");
  await page.waitForFunction(() => !document.querySelector("#calibration-source").textContent.includes("fitted to"));
});
