// The page: a form whose whole state lives in the URL, an answer recomputed on every change in
// a worker (the newest request wins, so typing never waits), and the charts drawn from it.
import init, { catalog, importBenchmark } from "../pkg/web/index.js";
import { CHART_STYLE, loadChart, tradeoffChart } from "../pkg/web/charts.js";
import { toFlags } from "../pkg/web/flags.js";
import { formatMs, formatNumber } from "../pkg/web/format.js";
import { bandText, checkStatusText, describeCalibration, describeErrorBand, describeNeed, describePrediction, METRIC_LABELS, VERDICT_HEADLINES, wasmLoadFailure } from "../pkg/web/words.js";

const started = performance.now();
// The charts' own rule, as the element adopts it (not a copy in style.css).
const chartSheet = new CSSStyleSheet();
chartSheet.replaceSync(CHART_STYLE);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, chartSheet];
try {
  await init();
} catch (error) {
  // Say so rather than "Computing…" for ever (a Content-Security-Policy, file://, offline).
  document.getElementById("verdict").textContent = "inferplan could not load";
  document.getElementById("error").textContent = wasmLoadFailure(error);
  throw error;
}
const { defaultPrecisions, engines, gpus, headroom, maxTensorParallel, metrics, models, precisions, useCases } = catalog();

const $ = (id) => document.getElementById(id);
/** How the page shows a number it does not have. */
const DASH = "—";

// ---- the form and the URL ----

/** Form fields and their URL parameters. */
const FIELDS = [
  ["use-case", "use"], ["volume", "v"], ["volume-unit", "vu"], ["prompt-tokens", "in"], ["output-tokens", "out"],
  ["slo-metric", "m"], ["slo-percentile", "p"], ["slo-target", "t"],
  ["slo2-metric", "m2"], ["slo2-percentile", "p2"], ["slo2-target", "t2"], ["model", "model"], ["gpu", "gpu"],
  ["gpu-count", "n"], ["price", "price"], ["burstiness", "b"], ["custom-params", "params"], ["seed", "seed"],
  ["tensor-parallel", "tp"], ["precision", "prec"], ["measured-max-batch", "mb"], ["engine", "eng"],
];

/** Which input an error's JSON path belongs to. */
const FIELD_INPUTS = {
  "useCase": "use-case", "model": "model", "model.paramsB": "custom-params", "fleet.gpu": "gpu", "fleet.count": "gpu-count",
  "fleet.pricePerGpuHour": "price", "workload.promptTokens": "prompt-tokens", "workload.outputTokens": "output-tokens",
  "workload.load": "volume", "workload.load.requestsPerSecond": "volume", "workload.load.requestsPerHour": "volume",
  "workload.load.burstiness": "burstiness", "slo": "slo-target", "slo.metric": "slo-metric", "slo.percentile": "slo-percentile",
  "slo.targetMs": "slo-target", "precisions": "precisions", "seed": "seed", "config.precision": "precision",
  "config.tensorParallel": "tensor-parallel", "measured.runs": "measured-files", "measured.config.maxBatch": "measured-max-batch",
  // The second target's errors go beside its own inputs (the first's, like a single target's, by the path without its index).
  "engine": "engine", "slo[1].metric": "slo2-metric", "slo[1].percentile": "slo2-percentile", "slo[1].targetMs": "slo2-target",
};

for (const useCase of useCases) $("use-case").add(new Option(useCase.id, useCase.id));
for (const metric of metrics) {
  $("slo-metric").add(new Option(METRIC_LABELS[metric] ?? metric, metric));
  $("slo2-metric").add(new Option(METRIC_LABELS[metric] ?? metric, metric));
}
/** The statistics of each latency the details table shows, in its columns' order. */
const STATISTICS = ["mean", "p50", "p90", "p95", "p99"];
$("latency-rows").replaceChildren(...metrics.map((metric) => {
  const row = document.createElement("tr");
  const label = METRIC_LABELS[metric] ?? metric;
  row.append(Object.assign(document.createElement("th"), { scope: "row", textContent: label[0].toUpperCase() + label.slice(1) }),
    ...STATISTICS.map((statistic) => Object.assign(document.createElement("td"), { className: "num", id: `${metric}-${statistic}` })),
    Object.assign(document.createElement("td"), { className: "num", id: `${metric}-band` }));
  return row;
}));
for (const model of models) $("model").add(new Option(model.id, model.id, false, model.id === "Llama-3.1-70B"));
for (const gpu of gpus) $("gpu").add(new Option(`${gpu.id} (${gpu.memoryGb} GB)`, gpu.id, false, gpu.id === "H100-SXM"));
for (const precision of precisions) $("precision").add(new Option(precision, precision));
// Powers of two up to the largest degree the advisor considers: every catalog model's heads divide them.
for (let degree = 1; degree <= maxTensorParallel; degree *= 2) $("tensor-parallel").add(new Option(degree, degree));
for (const engine of engines) $("engine").add(new Option(engine.id, engine.id));
/** The measurements' deployment runs the scenario's engine, else the default one (listed first), at its default maxBatch until told otherwise. */
const measuredEngineMaxBatch = () => (engines.find((engine) => engine.id === $("engine").value) ?? engines[0]).defaultMaxBatch;
$("measured-max-batch").value = measuredEngineMaxBatch();
$("precisions").replaceChildren(...precisions.map((precision) => {
  const label = document.createElement("label");
  const box = Object.assign(document.createElement("input"), { type: "checkbox", value: precision, name: "precisions" });
  box.checked = defaultPrecisions.includes(precision);
  label.append(box, precision);
  return label;
}));

/** Fills lengths and the targets from a use case's preset (the second target cleared when it has one). */
function applyPreset(id) {
  const preset = useCases.find((u) => u.id === id);
  if (!preset?.promptTokens) return;
  $("prompt-tokens").value = preset.promptTokens.mean;
  $("output-tokens").value = preset.outputTokens.mean;
  const [first, second] = preset.slos;
  $("slo-metric").value = first.metric;
  $("slo-percentile").value = first.percentile;
  $("slo-target").value = first.targetMs;
  $("slo2-metric").value = second?.metric ?? "";
  $("slo2-percentile").value = second?.percentile ?? "";
  $("slo2-target").value = second?.targetMs ?? "";
}

function fromUrl() {
  const params = new URLSearchParams(location.search);
  $("use-case").value = params.get("use") ?? "chat";
  applyPreset($("use-case").value);
  for (const [id, key] of FIELDS) if (params.has(key)) $(id).value = params.get(key);
  if (params.has("precs")) {
    const allowed = params.get("precs").split(",");
    for (const box of document.querySelectorAll("#precisions input")) box.checked = allowed.includes(box.value);
  }
}

function toUrl() {
  const params = new URLSearchParams();
  // An empty second metric is kept ("none"), or the preset's would come back on reload.
  for (const [id, key] of FIELDS) if ($(id).value !== "" || id === "slo2-metric") params.set(key, $(id).value);
  params.set("precs", checkedPrecisions().join(","));
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

const checkedPrecisions = () => [...document.querySelectorAll("#precisions input:checked")].map((box) => box.value);
const number = (id) => { const text = $(id).value.trim(); return text === "" ? NaN : Number(text); };

// Imported benchmark runs (summaries only) and the last import's error.
let measuredRuns = [];
let measuredError = "";

function configFromForm() {
  const config = {};
  if ($("precision").value) config.precision = $("precision").value;
  if ($("tensor-parallel").value) config.tensorParallel = Number($("tensor-parallel").value);
  return config;
}

function scenarioFromForm() {
  const volume = number("volume");
  const burstiness = number("burstiness");
  const load = $("volume-unit").value === "per-hour" ? { requestsPerHour: volume } : { requestsPerSecond: volume };
  if ($("burstiness").value !== "") load.burstiness = burstiness;
  const scenario = {
    useCase: $("use-case").value,
    model: $("custom-params").value !== "" ? { paramsB: number("custom-params") } : $("model").value,
    fleet: { gpu: $("gpu").value, count: number("gpu-count") },
    workload: { promptTokens: number("prompt-tokens"), outputTokens: number("output-tokens"), load },
    slo: { metric: $("slo-metric").value, percentile: number("slo-percentile"), targetMs: number("slo-target") },
    precisions: checkedPrecisions(),
    seed: number("seed"),
  };
  if ($("engine").value !== "") scenario.engine = $("engine").value;
  if ($("slo2-metric").value !== "") {
    const second = { metric: $("slo2-metric").value, targetMs: number("slo2-target") };
    // A left-out percentile is the core's default (95).
    if ($("slo2-percentile").value !== "") second.percentile = number("slo2-percentile");
    scenario.slo = [scenario.slo, second];
  }
  if ($("price").value !== "") scenario.fleet.pricePerGpuHour = number("price");
  if (measuredRuns.length > 0) {
    scenario.measured = { config: { ...configFromForm(), maxBatch: number("measured-max-batch") }, runs: measuredRuns };
  }
  return scenario;
}

/** The same scenario as a CLI command (a custom model by its size, `--params-b`). */
function cliCommand(scenario) {
  const shellWord = (value) => (/^[\w.,:+=@%/-]*$/.test(value) ? value : `'${value}'`);
  const words = Object.entries(toFlags(scenario)).flatMap(([flag, values]) => [values].flat().map((value) => `--${flag} ${shellWord(value)}`));
  return ["npx inferplan advise", ...words].join(" ");
}

// ---- errors beside their fields ----

function clearErrors() {
  $("error").textContent = "";
  for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  for (const element of document.querySelectorAll(".field-error")) element.textContent = "";
  if (measuredError) showFieldError("measured-files", measuredError);
}

function showFieldError(inputId, message) {
  const input = inputId === "precisions" ? $("precisions").querySelector("input") : $(inputId);
  input?.setAttribute("aria-invalid", "true");
  input?.setAttribute("aria-describedby", `${inputId}-error`);
  $(`${inputId}-error`).textContent = message;
}

function showError(error) {
  const path = error.field ?? "";
  const inputId = FIELD_INPUTS[path] ?? FIELD_INPUTS[path.replace(/\[\d+\]/g, "")] ?? FIELD_INPUTS[path.split(".").slice(0, 2).join(".")];
  if (inputId) showFieldError(inputId, error.message);
  $("error").textContent = error.message;
}

// ---- rendering ----

const listItems = (items) => items.map((text) => Object.assign(document.createElement("li"), { textContent: text }));

/**
 * The answer: `prediction` is of the user's own configuration, if any; `calibrationReport` of
 * the page's calibration to the imported measurements, if any.
 */
function renderAnswer({ recommendation, prediction, calibrationReport }) {
  $("verdict").textContent = VERDICT_HEADLINES[recommendation.verdict];
  $("verdict").dataset.verdict = recommendation.verdict;
  $("summary").textContent = recommendation.summary;
  const need = describeNeed(recommendation, headroom);
  $("recommended").textContent = `Recommended: ${describePrediction(recommendation.prediction)}${need ? `; ${need}` : ""}.`;
  $("target-rows").replaceChildren(...recommendation.prediction.slos.map((check) => {
    const row = document.createElement("tr");
    const band = check.achievedMs === null ? "" : ` ${bandText(recommendation.prediction, check.metric)}`;
    const cells = [`p${check.percentile} ${check.metric.toUpperCase()}`, `${formatMs(check.achievedMs, DASH)} ms${band}`, `${formatMs(check.targetMs, DASH)} ms`, checkStatusText(check)];
    cells.forEach((text, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      if (i === 1 || i === 2) cell.className = "num";
      if (i === 3) cell.className = check.status === "at-risk" ? "at-risk" : check.met ? "met" : "missed";
      cell.textContent = text;
      row.append(cell);
    });
    return row;
  }));
  const cost = recommendation.prediction.costPerMillionOutputTokens;
  $("cost").textContent = cost !== undefined ? `Cost: $${formatNumber(cost, 2, DASH)} per million output tokens at this load.` : "";
  $("reasons").replaceChildren(...listItems(recommendation.reasons));
  $("tradeoff-chart").innerHTML = tradeoffChart(recommendation);
  $("load-chart").innerHTML = loadChart(recommendation, measuredSeries(recommendation.bindingSlo));
  renderDetails(prediction ?? recommendation.prediction, prediction !== undefined, calibrationReport);
}

/** The measured points of the binding metric, at its percentile, for the load chart. */
function measuredSeries(slo) {
  const key = `${slo.metric}Ms`;
  const statistic = [50, 90, 95, 99].includes(slo.percentile) ? `p${slo.percentile}` : "p95";
  return measuredRuns.flatMap((run) => run.points.map((point) => ({
    requestsPerSecond: point.requestsPerSecond ?? point.offered.requestsPerSecond,
    latencyMs: point[key]?.[statistic],
    label: `${run.tool} ${statistic}`,
  }))).filter((m) => Number.isFinite(m.requestsPerSecond) && Number.isFinite(m.latencyMs));
}

function renderDetails(prediction, ownConfig, calibrationReport) {
  const { memory } = prediction;
  $("details-heading").textContent = ownConfig ? "Details of your configuration" : "Details of the recommended configuration";
  $("status").textContent = prediction.feasible ? "Feasible" : "Infeasible";
  $("deployment").textContent = describePrediction(prediction);
  $("prediction-reasons").replaceChildren(...listItems(prediction.reasons));
  for (const metric of metrics) {
    const summary = prediction[`${metric}Ms`];
    for (const statistic of STATISTICS) $(`${metric}-${statistic}`).textContent = summary ? formatMs(summary[statistic], DASH) : DASH;
    $(`${metric}-band`).textContent = summary ? bandText(prediction, metric) : DASH;
  }
  $("error-band").textContent = describeErrorBand(prediction.errorBand);
  $("rps-served").textContent = formatNumber(prediction.requestsPerSecond, 2, DASH);
  $("tps").textContent = `${formatNumber(prediction.outputTokensPerSecond, 0, DASH)} (${formatNumber(prediction.outputTokensPerSecondPerGpu, 0, DASH)})`;
  $("weights-gb").textContent = `${formatNumber(memory.weightsGbPerGpu, 1, DASH)} GB`;
  $("kv-cache-gb").textContent = `${formatNumber(memory.kvCacheGbPerGpu, 1, DASH)} GB`;
  $("kv-tokens").textContent = `${formatNumber(memory.kvCapacityTokens, 0, DASH)} tokens`;
  // The factors the page fitted reach the core as given ones: say what they were fitted to.
  $("calibration-source").textContent = calibrationReport
    ? `Calibration: fitted to ${describeCalibration(calibrationReport)}.`
    : `Calibration: ${prediction.calibrationSource}.`;
  $("basis").textContent = prediction.simulation ? `${formatNumber(prediction.simulation.measuredRequests, 0, DASH)} simulated requests per replica; ${prediction.simulation.method}.` : "";
}

function renderMeasured() {
  $("measured").hidden = measuredRuns.length === 0;
  $("clear-measured").hidden = measuredRuns.length === 0;
  const cell = (text) => Object.assign(document.createElement("td"), { className: "num", textContent: text });
  $("measured-rows").replaceChildren(...measuredRuns.flatMap((run) => run.points.map((point) => {
    const offered = point.offered.requestsPerSecond !== undefined ? `${point.offered.requestsPerSecond} req/s`
      : point.offered.concurrency !== undefined ? `${point.offered.concurrency} users` : "unthrottled";
    const row = document.createElement("tr");
    row.append(Object.assign(document.createElement("th"), { scope: "row", textContent: `${run.tool}: ${offered}` }),
      cell(formatNumber(point.requestsPerSecond, 2, DASH)), cell(formatMs(point.ttftMs.p95, DASH)),
      cell(formatMs(point.itlMs.mean ?? point.tpotMs.mean, DASH)), cell(formatMs(point.e2eMs.p95, DASH)));
    return row;
  })));
  $("measured-notes").textContent = measuredRuns.flatMap((run) => run.notes).join(" · ");
}

// ---- computing in the worker: the newest request wins ----

const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
let latest = 0;
let firstAnswer = true;

worker.onmessage = ({ data }) => {
  // Tests (and anyone watching) can count the calibrations to imported measurements.
  if (data.fitted) document.body.dataset.calibrations = String(Number(document.body.dataset.calibrations ?? 0) + 1);
  if (data.id !== latest) return;
  $("result").setAttribute("aria-busy", "false");
  if (data.error) {
    showError(data.error);
    // An answer left from earlier inputs is marked, never shown as this input's.
    if (document.body.dataset.ready === "true") {
      $("answer").dataset.stale = "true";
      $("error").textContent += " The answer below is for the previous inputs.";
    }
  } else {
    delete $("answer").dataset.stale;
    renderAnswer(data);
    if (firstAnswer) {
      firstAnswer = false;
      document.body.dataset.firstAnswerMs = String(Math.round(performance.now() - started));
    }
    document.body.dataset.ready = "true";
  }
  // Tests (and anyone watching) can tell each answer, or error, has arrived.
  document.body.dataset.answers = String(Number(document.body.dataset.answers ?? 0) + 1);
};

let timer;
function recompute() {
  clearErrors();
  toUrl();
  clearTimeout(timer);
  // A short pause lets a burst of keystrokes become one computation.
  timer = setTimeout(() => {
    latest += 1;
    $("result").setAttribute("aria-busy", "true");
    const config = configFromForm();
    worker.postMessage({ id: latest, scenario: scenarioFromForm(), config: Object.keys(config).length > 0 ? config : undefined });
  }, 60);
}

async function importFiles(files) {
  measuredError = "";
  try {
    const run = importBenchmark(await Promise.all([...files].map((file) => file.text())));
    for (const point of run.points) delete point.samples;
    measuredRuns = [run];
  } catch (error) {
    measuredError = error.message;
  }
  renderMeasured();
  recompute();
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    $("copied").textContent = `${what} copied.`;
  } catch {
    $("copied").textContent = `Copy failed; here it is: ${text}`;
  }
}

// ---- events ----

$("inputs").addEventListener("input", (event) => {
  if (event.target.id === "measured-files") return;
  if (event.target.id === "use-case") applyPreset(event.target.value);
  if (event.target.id === "engine") $("measured-max-batch").value = measuredEngineMaxBatch();
  recompute();
});
$("inputs").addEventListener("submit", (event) => event.preventDefault());
$("measured-files").addEventListener("change", (event) => importFiles(event.target.files));
$("clear-measured").addEventListener("click", () => {
  measuredRuns = [];
  measuredError = "";
  $("measured-files").value = "";
  renderMeasured();
  recompute();
});
for (const type of ["dragenter", "dragover"]) {
  $("drop-zone").addEventListener(type, (event) => { event.preventDefault(); $("drop-zone").classList.add("dragging"); });
}
$("drop-zone").addEventListener("dragleave", () => $("drop-zone").classList.remove("dragging"));
$("drop-zone").addEventListener("drop", (event) => {
  event.preventDefault();
  $("drop-zone").classList.remove("dragging");
  $("measured-section").open = true;
  importFiles(event.dataTransfer.files);
});
$("copy-link").addEventListener("click", () => copy(location.href, "Link"));
$("copy-json").addEventListener("click", () => copy(JSON.stringify(scenarioFromForm(), null, 2), "Scenario JSON"));
$("copy-cli").addEventListener("click", () => copy(cliCommand(scenarioFromForm()), "CLI command"));

fromUrl();
recompute();
