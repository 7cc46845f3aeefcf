// The page and the embeddable element in headless Chromium (Debian's, never a downloaded one).
// Screenshots go to test-output/ (git-ignored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/serve.mjs";

const OUTPUT = new URL("../../test-output/", import.meta.url).pathname;
const SAMPLES = new URL("../data/samples/", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;
const TEST_PANIC_PKG = `${ROOT}target/pkg-test-panic/`;
let server, url, browser, page;
const pageErrors = [];

before(async () => {
  await mkdir(OUTPUT, { recursive: true });
  ({ server, url } = await startServer(0));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error));
  const navigated = Date.now();
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 20000 });
  const measured = await page.getAttribute("body", "data-first-answer-ms");
  console.log(`page: first answer ${measured} ms after the script started, ${Date.now() - navigated} ms after navigation`);
});

after(async () => {
  await browser?.close();
  server?.close();
  assert.deepEqual(pageErrors.map(String), []);
});

/** Waits for the answer to a change: the count of answers rises and the worker is idle. */
async function answered(change) {
  const before = Number(await page.getAttribute("body", "data-answers"));
  await change();
  await page.waitForFunction((n) => Number(document.body.dataset.answers) > n && document.querySelector("#result").getAttribute("aria-busy") === "false", before);
}

const verdict = () => page.getAttribute("#verdict", "data-verdict");
const text = (selector) => page.textContent(selector);

test("the default page answers first: verdict, summary, recommendation, targets, cost, reasons, charts", async () => {
  assert.ok(["latency-first", "throughput-first", "balanced"].includes(await verdict()));
  assert.match(await text("#summary"), /first|Balanced/);
  assert.match(await text("#recommended"), /^Recommended: TP\d/);
  // Both of the chat preset's targets, as the CLI's --use-case chat uses them.
  assert.match(await text("#target-rows"), /p95 TTFT/);
  assert.match(await text("#target-rows"), /p95 TPOT/);
  assert.match(await text("#cost"), /per million output tokens/);
  assert.ok((await page.$$("#reasons li")).length >= 3);
  assert.ok((await page.$$("#tradeoff-chart svg .point")).length >= 3, "a point per candidate");
  assert.equal((await page.$$("#tradeoff-chart svg .point.recommended")).length, 1);
  assert.ok((await page.$$("#load-chart svg polyline")).length >= 3, "p50, p95 and p99 lines");
  assert.match(await page.textContent("#tradeoff-chart svg title"), /Trade-off/);
  // The error band: beside each predicted percentile, and drawn on both charts.
  assert.match(await text("#target-rows"), /ms ±\d+%/);
  assert.match(await text("#ttft-band"), /^±\d+%$/);
  assert.match(await text("#error-band"), /Error band \(80% of measurements fall inside\): throughput ±\d+%/);
  assert.ok((await page.$$("#tradeoff-chart svg line.band")).length >= 3, "a band per candidate");
  assert.equal((await page.$$("#load-chart svg polygon.band")).length, 1);
  await page.screenshot({ path: `${OUTPUT}page.png`, fullPage: true });
});

test("more volume turns the verdict to capacity; a tighter target to latency", async () => {
  await answered(() => page.fill("#volume", "400"));
  assert.equal(await verdict(), "infeasible-capacity");
  assert.match(await text("#summary"), /GPUs would/);
  await answered(() => page.fill("#volume", "3"));
  await answered(() => page.fill("#slo-target", "5"));
  assert.equal(await verdict(), "infeasible-latency");
  await answered(() => page.fill("#slo-target", "500"));
  assert.notEqual(await verdict(), "infeasible-latency");
});

test("a summarization preset at 10,000 reports an hour is throughput-first", async () => {
  await answered(async () => {
    await page.selectOption("#use-case", "summarization");
    await page.selectOption("#volume-unit", "per-hour");
    await page.fill("#volume", "10000");
  });
  assert.equal(await verdict(), "throughput-first");
  assert.equal(await page.inputValue("#slo-metric"), "e2e");
});

test("the URL holds the whole state: a link reproduces the answer", async () => {
  const link = page.url();
  assert.match(link, /use=summarization/);
  const summary = await text("#summary");
  const other = await browser.newPage();
  await other.goto(link);
  await other.waitForSelector("body[data-ready=true]");
  assert.equal(await other.inputValue("#volume"), "10000");
  assert.equal(await other.inputValue("#volume-unit"), "per-hour");
  assert.equal(await other.textContent("#summary"), summary);
  await other.close();
  await page.goto(`${url}?use=chat&v=3&n=8`);
  await page.waitForSelector("body[data-ready=true]");
});

test("a chosen engine fixes the recommendation's engine, the link and the command", async () => {
  await answered(() => page.selectOption("#engine", "vllm"));
  assert.match(await text("#recommended"), / on vllm /);
  assert.match(page.url(), /eng=vllm/);
  assert.match(await text("#reasons"), /--max-num-batched-tokens|--kv-cache-dtype|vllm/);
  await answered(() => page.selectOption("#engine", ""));
  assert.doesNotMatch(page.url(), /eng=/);
});

test("the second target can be dropped, and its errors show beside it", async () => {
  await answered(() => page.fill("#slo2-target", "-1"));
  assert.match(await text("#slo2-target-error"), /^slo\[1\]\.targetMs must be a positive number/);
  await answered(() => page.selectOption("#slo2-metric", ""));
  assert.doesNotMatch(await text("#target-rows"), /TPOT/);
  assert.match(page.url(), /m2=&/);
  await answered(() => page.selectOption("#slo2-metric", "tpot"));
  await answered(() => page.fill("#slo2-target", "50"));
  assert.match(await text("#target-rows"), /p95 TPOT/);
});

test("an invalid value shows its error beside the field and the rest keeps working", async () => {
  await answered(() => page.fill("#gpu-count", "-3"));
  assert.equal(await text("#gpu-count-error"), "fleet.count must be a positive integer (at most 4096), got -3");
  assert.equal(await page.getAttribute("#gpu-count", "aria-invalid"), "true");
  await page.screenshot({ path: `${OUTPUT}page-error.png`, fullPage: true });
  await answered(() => page.fill("#gpu-count", "8"));
  assert.equal(await text("#error"), "");
  assert.equal(await page.getAttribute("#gpu-count", "aria-invalid"), null);
  assert.ok(await verdict());
});

test("a panic inside the wasm surfaces as an Error and the page keeps computing", async () => {
  // The web entry of the package built with the test-panic feature (make build-test-panic, part
  // of make test), served to this page under /pkg-test-panic/.
  assert.ok(existsSync(`${TEST_PANIC_PKG}web/index.js`), "target/pkg-test-panic/ is missing: run `make build-test-panic`");
  await page.route("**/pkg-test-panic/**", (route) => {
    const file = new URL(route.request().url()).pathname.replace(/^\/pkg-test-panic\//, "");
    return route.fulfill({ path: `${TEST_PANIC_PKG}${file}`, contentType: file.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
  });
  const result = await page.evaluate(async () => {
    const inferplan = await import("/pkg-test-panic/web/index.js");
    await inferplan.default();
    let message = "";
    try {
      inferplan.__panicForTests();
    } catch (error) {
      message = `${error.constructor.name}: ${error.message}`;
    }
    return { message, version: inferplan.version(), gpus: inferplan.catalog().gpus.length };
  });
  await page.unroute("**/pkg-test-panic/**");
  assert.match(result.message, /^Error: inferplan internal error .*deliberate panic/s);
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  assert.ok(result.gpus >= 8);
  await answered(() => page.fill("#volume", "4"));
  assert.ok(await verdict());
});

test("the page's wasm instance survives 10,000 hostile calls and then answers as before", async () => {
  const result = await page.evaluate(async () => {
    const inferplan = await import("/pkg/web/index.js");
    await inferplan.default();
    const good = { model: "Llama-3.1-8B", fleet: { gpu: "H100-SXM", count: 1 },
      workload: { promptTokens: 200, outputTokens: 64, load: { requestsPerSecond: 2 } } };
    const expected = JSON.stringify(inferplan.predict(good));
    const cyclic = { ...good };
    cyclic.self = cyclic;
    let deep = {};
    for (let level = 0; level < 100_000; level += 1) deep = { a: deep };
    const hostile = [
      () => inferplan.predict(cyclic),
      () => inferplan.predict({ ...good, get seed() { throw new Error("getter"); } }),
      () => inferplan.predict(new Proxy(good, { get() { throw new Error("trap"); } })),
      () => inferplan.predict({ ...good, seed: 10n }),
      () => inferplan.predict({ ...good, workload: { load: { requestsPerSecond: NaN } } }),
      () => inferplan.advise({ ...good, fleet: { gpu: "H100-SXM", count: 1, pricePerGPUHour: 2 } }),
      () => inferplan.calibrate({ ...good, measured: { config: {}, runs: [{ points: "x" }] } }),
      () => inferplan.importBenchmark(5),
      () => inferplan.importBenchmark("{ not json"),
    ];
    const unnamed = [];
    for (let call = 0; call < 10_000; call += 1) {
      try {
        hostile[call % hostile.length]();
        unnamed.push(`call ${call} answered`);
      } catch (error) {
        if (!(error instanceof Error) || typeof error.field !== "string") unnamed.push(`${call}: ${error}`);
      }
    }
    let deepField;
    try {
      inferplan.predict(deep);
    } catch (error) {
      deepField = error.field;
    }
    return { unnamed: unnamed.slice(0, 5), deepField, same: JSON.stringify(inferplan.predict(good)) === expected, version: inferplan.version() };
  });
  assert.deepEqual(result.unnamed, []);
  assert.equal(result.deepField, "");
  assert.ok(result.same, "the same answer after the hostile calls");
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  await answered(() => page.fill("#volume", "5"));
  assert.ok(await verdict());
});

test("copy as JSON and as a CLI command give the scenario", async () => {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.click("#copy-json");
  await page.waitForFunction(() => document.querySelector("#copied").textContent.includes("copied"));
  const json = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(json.fleet.count, 8);
  await page.click("#copy-cli");
  await page.waitForFunction(() => document.querySelector("#copied").textContent.startsWith("CLI"));
  const command = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(command, /^npx inferplan advise --model Llama-3\.1-70B/);
  // The command reproduces the page's answer.
  const cli = spawnSync("bash", ["-c", `${command.replace(/^npx inferplan/, `"${process.execPath}" pkg/cli.js`)} --json`], { cwd: ROOT, encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).summary, await text("#summary"));
});

test("the form can be used from the keyboard", async () => {
  await page.focus("#volume");
  await answered(async () => {
    await page.keyboard.press("Control+A");
    await page.keyboard.type("5");
  });
  assert.equal(await page.inputValue("#volume"), "5");
  for (const id of ["volume", "slo-target", "gpu-count", "model"]) {
    const label = await page.$(`label[for="${id}"]`);
    assert.ok(label, `#${id} has a label`);
  }
});

test("dropped benchmark files appear as measured points and calibrate the answer", async () => {
  await page.click("#measured-section summary");
  await answered(() => page.setInputFiles("#measured-files", `${SAMPLES}guidellm-constant-rates.json`));
  assert.equal((await page.$$("#measured-rows tr")).length, 4);
  assert.equal((await page.$$("#load-chart svg .measured")).length, 4, "measured points on the load chart");
  await page.screenshot({ path: `${OUTPUT}page-measured.png`, fullPage: true });
  assert.match(await text("#calibration-source"), /^Calibration: fitted to \d+ measured observations: median error [\d.]+% \(built-in factors: [\d.]+%\)\.$/);
  // Calibrated once: again only when what the fit depends on changes, not for a new volume.
  const calibrations = () => page.getAttribute("body", "data-calibrations");
  assert.equal(await calibrations(), "1");
  const source = await text("#calibration-source");
  await answered(() => page.fill("#volume", "2"));
  assert.equal(await calibrations(), "1");
  assert.equal(await text("#calibration-source"), source);
  await answered(() => page.fill("#measured-max-batch", "128"));
  assert.equal(await calibrations(), "2");
  await answered(() => page.setInputFiles("#measured-files", { name: "broken.json", mimeType: "application/json", buffer: Buffer.from('{"hello": 1}') }));
  assert.match(await text("#measured-files-error"), /not a known benchmark format/);
  await answered(() => page.click("#clear-measured"));
  assert.doesNotMatch(await text("#calibration-source"), /fitted to/);
});

test("the element renders twice on a docs page, sharing one wasm instance", async () => {
  const docs = await browser.newPage({ viewport: { width: 900, height: 1100 } });
  const fetched = [];
  docs.on("request", (request) => { if (request.url().endsWith(".wasm")) fetched.push(request.url()); });
  await docs.goto(url.replace(/\/www\/$/, "/www/embed-example.html"));
  const shadow = (id, selector) => docs.waitForFunction(
    ([id, selector]) => document.getElementById(id)?.shadowRoot?.querySelector(selector) !== null, [id, selector], { timeout: 20000 });
  await shadow("chat", "[part=verdict]");
  await shadow("batch", "[part=verdict]");
  const verdictOf = (id) => docs.evaluate((id) => document.getElementById(id).shadowRoot.querySelector("[part=verdict]").dataset.verdict, id);
  assert.ok(["latency-first", "balanced"].includes(await verdictOf("chat")), await verdictOf("chat"));
  assert.equal(await verdictOf("batch"), "throughput-first");
  assert.ok(await docs.evaluate(() => document.getElementById("chat").shadowRoot.querySelector("svg") !== null));
  // The element shows each target's percentile with its error band, and draws the band.
  assert.match(await docs.evaluate(() => document.getElementById("chat").shadowRoot.querySelector("[part=targets]").textContent), /p\d+ \w+ [\d.,]+ ms ±\d+% \(target/);
  assert.ok(await docs.evaluate(() => document.getElementById("chat").shadowRoot.querySelector("svg line.band") !== null));
  assert.ok(await docs.evaluate(() => document.getElementById("batch").shadowRoot.querySelector("svg") === null), "compact has no chart");
  assert.equal(fetched.length, 1, fetched.join(" "));
  // Interactive: a new volume re-renders.
  await docs.evaluate(() => {
    const input = document.getElementById("chat").shadowRoot.querySelector("input[data-attribute=rps]");
    input.value = "500";
    input.dispatchEvent(new Event("change"));
  });
  await docs.waitForFunction(() => document.getElementById("chat").shadowRoot.querySelector("[part=verdict]")?.dataset.verdict === "infeasible-capacity");
  await docs.evaluate(() => document.getElementById("chat").setAttribute("rps", "3"));
  await docs.waitForFunction(() => document.getElementById("chat").shadowRoot.querySelector("[part=verdict]")?.dataset.verdict !== "infeasible-capacity");
  await docs.screenshot({ path: `${OUTPUT}embed-example.png`, fullPage: true });
  // A misspelled attribute is an error naming it, not a silently ignored input.
  const misspelled = await docs.evaluate(async () => {
    const element = document.createElement("inferplan-advisor");
    for (const [name, value] of [["model", "Llama-3.1-8B"], ["gpu", "H100-SXM"], ["gpus", "1"], ["rps", "1"], ["prompt_tokens", "500"], ["class", "wide"], ["data-note", "x"]]) {
      element.setAttribute(name, value);
    }
    document.body.append(element);
    for (let tries = 0; tries < 200 && !element.shadowRoot.querySelector("[part=error], [part=verdict]"); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return element.shadowRoot.querySelector("[part=error]")?.textContent ?? "no error shown";
  });
  assert.match(misspelled, /^prompt_tokens: unknown attribute; the attributes are model, params-b, gpu, /);
  await docs.close();
});

/** WCAG contrast of two CSS colours (rgb()/rgba() as getComputedStyle gives them). */
function contrast(foreground, background) {
  const channels = (color) => color.match(/[\d.]+/g).slice(0, 3).map(Number);
  const luminance = (color) => {
    const [r, g, b] = channels(color).map((value) => {
      const c = value / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

test("the element is readable on light and dark docs themes set by class, attribute or the OS, and the host's text styles stay out", async () => {
  const docs = await browser.newPage();
  const themes = {
    "light class": { html: 'class="light"', css: ".light body { background: #ffffff; color: #1c1e21; }" },
    "dark class": { html: 'class="dark"', css: ".dark body { background: #1b1b1d; color: #e3e3e3; }" },
    "dark attribute": { html: 'data-theme="dark"', css: "[data-theme=dark] body { background: #0d1117; color: #c9d1d9; }" },
    "dark OS": { html: "", css: "@media (prefers-color-scheme: dark) { body { background: #121212; color: #f0f0f0; } }" },
  };
  await docs.emulateMedia({ colorScheme: "dark" });
  await docs.goto(url.replace(/\/www\/$/, "/www/embed-example.html"));  // the server's origin, for the module
  for (const [name, { html, css }] of Object.entries(themes)) {
    await docs.setContent(`<!doctype html><html ${html}><head><style>${css} body { text-align: justify; letter-spacing: 2px; }</style>
      <script type="module" src="${url}../pkg/web/element.js"></script></head><body>
      <inferplan-advisor model="Llama-3.1-8B" gpu="H100-SXM" gpus="1" use-case="chat" rps="2000" slo="ttft:p95<500ms"></inferplan-advisor></body></html>`);
    await docs.waitForFunction(() => document.querySelector("inferplan-advisor").shadowRoot?.querySelector("[part=verdict]"), null, { timeout: 20000 });
    const measured = await docs.evaluate(() => {
      const shadow = document.querySelector("inferplan-advisor").shadowRoot;
      const background = getComputedStyle(document.body).backgroundColor;
      return {
        background,
        texts: ["[part=verdict]", "[part=summary]", ".config", "[part=targets]"].map((selector) => getComputedStyle(shadow.querySelector(selector)).color),
        align: getComputedStyle(shadow.querySelector("[part=summary]")).textAlign,
        spacing: getComputedStyle(shadow.querySelector("[part=summary]")).letterSpacing,
      };
    });
    for (const color of measured.texts) {
      assert.ok(contrast(color, measured.background) >= 4.5, `${name}: ${color} on ${measured.background}`);
    }
    assert.equal(measured.align, "start", name);
    assert.equal(measured.spacing, "normal", name);
  }
  await docs.close();
});

test("interactive mode keeps the metric, the focus and the volume's unit, and says what is wrong", async () => {
  const docs = await browser.newPage();
  await docs.goto(url.replace(/\/www\/$/, "/www/embed-example.html"));  // the server's origin, for the module
  await docs.setContent(`<!doctype html><html><head><script type="module" src="${url}../pkg/web/element.js"></script></head><body>
    <inferplan-advisor id="e2e" interactive model="Llama-3.1-8B" gpu="H100-SXM" gpus="1" use-case="chat" per-hour="7200">
      <script type="application/json">{ "slo": { "metric": "e2e", "percentile": 99, "targetMs": 20000 } }</script>
    </inferplan-advisor>
    <inferplan-advisor id="nogpus" model="Llama-3.1-8B" gpu="H100-SXM" use-case="chat" rps="1"></inferplan-advisor></body></html>`);
  const shadow = (id, selector) => docs.waitForFunction(([id, selector]) => document.getElementById(id).shadowRoot?.querySelector(selector), [id, selector], { timeout: 20000 });
  await shadow("e2e", "[part=verdict]");
  // A missing GPU count is an error naming it, not one GPU assumed.
  await shadow("nogpus", "[part=error]");
  assert.match(await docs.evaluate(() => document.getElementById("nogpus").shadowRoot.querySelector("[part=error]").textContent), /^gpus: give the GPU count/);
  // Editing the target keeps the JSON child's E2E p99; the focus stays in the input.
  await docs.evaluate(() => {
    const input = document.getElementById("e2e").shadowRoot.querySelector("input[data-attribute=target]");
    input.focus();
    input.value = "15000";
    input.dispatchEvent(new Event("change"));
  });
  await docs.waitForFunction(() => document.getElementById("e2e").getAttribute("slo") === "e2e:p99<15000ms");
  await docs.waitForFunction(() => document.getElementById("e2e").shadowRoot.querySelector("[part=targets]")?.textContent.includes("E2E"));
  assert.equal(await docs.evaluate(() => document.getElementById("e2e").shadowRoot.activeElement?.dataset.attribute), "target");
  // Requests/s typed with per-hour set is the new volume.
  await docs.evaluate(() => {
    const input = document.getElementById("e2e").shadowRoot.querySelector("input[data-attribute=rps]");
    input.value = "4";
    input.dispatchEvent(new Event("change"));
  });
  await docs.waitForFunction(() => document.getElementById("e2e").getAttribute("rps") === "4" && !document.getElementById("e2e").hasAttribute("per-hour"));
  // An emptied input says so.
  await docs.evaluate(() => {
    const input = document.getElementById("e2e").shadowRoot.querySelector("input[data-attribute=rps]");
    input.value = "";
    input.dispatchEvent(new Event("change"));
  });
  assert.match(await docs.evaluate(() => document.getElementById("e2e").shadowRoot.querySelector("[part=error]")?.textContent ?? ""), /Requests\/s is empty/);
  // A JSON child edited at runtime re-renders.
  await docs.evaluate(() => {
    document.getElementById("e2e").setAttribute("rps", "1");
    document.getElementById("e2e").removeAttribute("slo");
    document.querySelector("#e2e script").textContent = '{ "slo": { "metric": "tpot", "percentile": 95, "targetMs": 80 } }';
  });
  await docs.waitForFunction(() => document.getElementById("e2e").shadowRoot.querySelector("[part=targets]")?.textContent.includes("TPOT"));
  await docs.close();
});

test("opened as a file, the page says why it cannot answer instead of computing for ever", async () => {
  const local = await browser.newPage();
  await local.goto(`file://${ROOT}www/index.html`);
  await local.waitForFunction(() => document.getElementById("error")?.textContent.includes("file://"), null, { timeout: 10000 });
  assert.equal(await local.textContent("#verdict"), "inferplan could not start");
  await local.close();
});

test("an answer to earlier inputs is marked stale while the current ones have an error", async () => {
  await answered(() => page.fill("#volume", "3"));
  assert.equal(await page.getAttribute("#answer", "data-stale"), null);
  await answered(() => page.fill("#volume", "-5"));
  assert.equal(await page.getAttribute("#answer", "data-stale"), "true");
  assert.match(await text("#error"), /previous inputs/);
  await answered(() => page.fill("#volume", "3"));
  assert.equal(await page.getAttribute("#answer", "data-stale"), null);
});
