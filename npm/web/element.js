// <inferplan-advisor>: the verdict and the trade-off chart, for documentation sites.
//
//   <script type="module" src="https://unpkg.com/inferplan/web/element.js"></script>
//   <inferplan-advisor model="Llama-3.1-70B" gpu="H100-SXM" gpus="8" use-case="chat" rps="3"
//                      slo="ttft:p95<500ms"></inferplan-advisor>
//
// The scenario comes from the attributes, or from a JSON child
// (<script type="application/json">{...}</script>) that the attributes then override. `compact`
// shows only the verdict; `interactive` adds inputs for the volume and the target. The wasm is
// loaded once, relative to this module, and shared by every element on the page.
import init, { advise } from "./index.js";
import { loadChart, tradeoffChart } from "./charts.js";
import { parseSlo as parseSloText, VERDICT_HEADLINES } from "./words.js";

const STYLE = `
:host { display: block; --fg: CanvasText; --bg: Canvas; --line: #8c959f; --accent: #0a58ca; --good: #1a7f37; --bad: #b42318;
  color: var(--fg); font: 14px/1.45 system-ui, sans-serif; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
@media (prefers-color-scheme: dark) { :host { --accent: #6cb6ff; --good: #56d364; --bad: #ff7b72; } }
.verdict { font-size: 1.2rem; font-weight: 700; margin: 0 0 4px; }
.verdict.infeasible { color: var(--bad); }
.summary { margin: 0 0 6px; }
.config { margin: 0 0 8px; opacity: 0.85; }
.error { color: var(--bad); }
label { margin-right: 10px; }
input { width: 7em; font: inherit; }
ul { margin: 4px 0 0; padding-left: 18px; }
`;

/** "ttft:p95<500ms" -> { metric, percentile, targetMs }, or an error saying the form. */
function parseSlo(text) {
  const slo = parseSloText(text);
  if (!slo) throw new Error(`slo must look like ttft:p95<500ms, got "${text}"`);
  return slo;
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export class InferplanAdvisor extends HTMLElement {
  static observedAttributes = ["model", "gpu", "gpus", "use-case", "slo", "rps", "per-hour", "prompt-tokens", "output-tokens", "price", "compact", "interactive"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this.pending = undefined;
  }

  connectedCallback() {
    this.schedule();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.schedule();
  }

  /** Renders once per turn, however many attributes changed. */
  schedule() {
    if (this.pending) return;
    this.pending = Promise.resolve().then(() => {
      this.pending = undefined;
      return this.render();
    });
  }

  /** The scenario: the JSON child, then the attributes over it. */
  scenario() {
    const child = this.querySelector('script[type="application/json"]');
    const scenario = child ? JSON.parse(child.textContent) : {};
    const attribute = (name) => this.getAttribute(name);
    const numeric = (name) => (attribute(name) === null ? undefined : Number(attribute(name)));
    scenario.fleet = { ...(scenario.fleet ?? {}) };
    scenario.workload = { ...(scenario.workload ?? {}) };
    if (attribute("model") !== null) scenario.model = attribute("model");
    if (attribute("gpu") !== null) scenario.fleet.gpu = attribute("gpu");
    if (attribute("gpus") !== null) scenario.fleet.count = numeric("gpus");
    scenario.fleet.count ??= 1;
    if (attribute("price") !== null) scenario.fleet.pricePerGpuHour = numeric("price");
    if (attribute("use-case") !== null) scenario.useCase = attribute("use-case");
    if (attribute("prompt-tokens") !== null) scenario.workload.promptTokens = numeric("prompt-tokens");
    if (attribute("output-tokens") !== null) scenario.workload.outputTokens = numeric("output-tokens");
    if (attribute("rps") !== null) scenario.workload.load = { requestsPerSecond: numeric("rps") };
    if (attribute("per-hour") !== null) scenario.workload.load = { requestsPerHour: numeric("per-hour") };
    if (attribute("slo") !== null) scenario.slo = attribute("slo").split(",").map(parseSlo);
    return scenario;
  }

  async render() {
    await init();
    const compact = this.hasAttribute("compact");
    const interactive = this.hasAttribute("interactive");
    let body;
    try {
      const scenario = this.scenario();
      const recommendation = advise(scenario);
      const config = recommendation.config;
      const replicas = config.replicas === 1 ? "" : ` × ${config.replicas}`;
      body = `<p class="verdict${recommendation.verdict.startsWith("infeasible") ? " infeasible" : ""}" part="verdict" data-verdict="${recommendation.verdict}">${escapeHtml(VERDICT_HEADLINES[recommendation.verdict])}</p>
<p class="summary" part="summary">${escapeHtml(recommendation.summary)}</p>` +
        (compact ? "" : `<p class="config">Recommended: TP${config.tensorParallel}${replicas} in ${config.precision} (${recommendation.prediction.gpusUsed} GPUs)</p>
<div part="chart">${tradeoffChart(recommendation)}</div>
<details><summary>Latency against load, and the reasons</summary><div part="load-chart">${loadChart(recommendation)}</div>
<ul>${recommendation.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul></details>`);
    } catch (error) {
      body = `<p class="error" role="alert" part="error">${escapeHtml(error.message)}</p>`;
    }
    const controls = interactive
      ? `<p><label>Requests/s <input type="number" min="0" step="any" data-attribute="rps" value="${escapeHtml(this.getAttribute("rps") ?? "")}"></label>` +
        `<label>Target (ms) <input type="number" min="1" step="any" data-attribute="target" value="${escapeHtml(this.targetMs() ?? "")}"></label></p>`
      : "";
    this.shadowRoot.innerHTML = `<style>${STYLE}</style>${controls}<div aria-live="polite">${body}</div>`;
    for (const input of this.shadowRoot.querySelectorAll("input[data-attribute]")) {
      input.addEventListener("change", () => this.fromControl(input));
    }
  }

  targetMs() {
    const slo = this.getAttribute("slo");
    try {
      return slo ? parseSlo(slo.split(",")[0]).targetMs : undefined;
    } catch {
      return undefined;
    }
  }

  fromControl(input) {
    if (input.dataset.attribute === "rps") {
      this.setAttribute("rps", input.value);
    } else {
      const first = (this.getAttribute("slo") ?? "ttft:p95<500ms").split(",")[0];
      const [metric, rest] = first.split(":");
      this.setAttribute("slo", `${metric}:${rest.split("<")[0]}<${input.value}ms`);
    }
  }
}

if (!customElements.get("inferplan-advisor")) customElements.define("inferplan-advisor", InferplanAdvisor);
