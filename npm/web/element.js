// <inferplan-advisor>: the verdict and the trade-off chart, for documentation sites.
//
//   <script type="module" src="/inferplan/web/element.js"></script>   (pkg/web/ copied next to the pages)
//   <inferplan-advisor model="Llama-3.1-70B" gpu="H100-SXM" gpus="8" use-case="chat" rps="3"
//                      slo="ttft:p95<500ms"></inferplan-advisor>
//
// The scenario comes from the attributes, or from a JSON child
// (<script type="application/json">{...}</script>) that the attributes then override. `compact`
// shows only the verdict; `interactive` adds inputs for the volume and the target. The wasm is
// loaded once, relative to this module, and shared by every element on the page.
import init, { advise } from "./index.js";
import { CHART_STYLE, loadChart, tradeoffChart } from "./charts.js";
import { scenarioFromFlags } from "./flags.js";
import { describeChecks, describeDeployment, formatSlo, parseSlo, VERDICT_HEADLINES, wasmLoadFailure } from "./words.js";

/** The attributes that set the scenario: named, and read, like the command's flags. */
const SCENARIO_ATTRIBUTES = ["model", "params-b", "gpu", "gpus", "use-case", "slo", "rps", "per-hour", "prompt-tokens", "output-tokens", "price", "engine"];

/** Attributes any HTML element may carry (and `aria-*`, `data-*`, `on*`): never the element's input. */
const GLOBAL_ATTRIBUTES = new Set(["id", "class", "style", "title", "lang", "dir", "hidden", "slot", "part", "exportparts",
  "tabindex", "role", "is", "nonce", "translate", "inert", "autofocus", "draggable", "spellcheck", "contenteditable",
  "accesskey", "autocapitalize", "enterkeyhint", "inputmode", "popover", "itemscope", "itemprop", "itemtype", "itemid", "itemref"]);

/** An error naming the first attribute that is neither the element's nor a global one (a misspelling). */
function checkAttributes(element) {
  for (const { name } of element.attributes) {
    const known = InferplanAdvisor.observedAttributes.includes(name) || GLOBAL_ATTRIBUTES.has(name) ||
      /^(aria|data)-|^on/.test(name);
    if (!known) {
      const error = new Error(`${name}: unknown attribute; the attributes are ${InferplanAdvisor.observedAttributes.join(", ")}`);
      error.field = name;
      throw error;
    }
  }
}

const STYLE = `
:host { display: block; font: 14px/1.45 system-ui, sans-serif; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  /* The host's text colour, whatever its theme (a class, an attribute or the OS), and no
     background of its own: readable wherever the host's own text is. The series colours are
     mixed with it, so they lighten on dark pages and darken on light ones. */
  color: inherit; background: transparent; --fg: currentColor; --bg: transparent;
  --line: color-mix(in srgb, currentColor 45%, transparent);
  --accent: color-mix(in srgb, #1f6feb 65%, currentColor); --good: color-mix(in srgb, #1a7f37 65%, currentColor);
  --bad: color-mix(in srgb, #cf222e 65%, currentColor);
  /* The host's other inherited text styles stay out. */
  text-align: start; text-indent: 0; text-transform: none; letter-spacing: normal; word-spacing: normal;
  white-space: normal; font-style: normal; font-variant: normal; }
.verdict { font-size: 1.2rem; font-weight: 700; margin: 0 0 4px; }
.verdict.infeasible::before { content: "\\26A0\\FE0E  "; }
.summary { margin: 0 0 6px; }
.config { margin: 0 0 8px; }
.error { font-weight: 600; }
.error::before { content: "\\26A0\\FE0E  "; }
label { margin-right: 10px; }
input { width: 7em; font: inherit; color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 4px; padding: 2px 4px; }
ul { margin: 4px 0 0; padding-left: 18px; }
${CHART_STYLE}
`;

/**
 * The element's styles as a constructable stylesheet, shared by every instance: a strict
 * Content-Security-Policy (`style-src 'self'`) blocks inline `<style>`, not adopted sheets.
 * `undefined` where the browser has none (it then falls back to a `<style>`).
 */
const SHEET = (() => {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    return sheet;
  } catch {
    return undefined;
  }
})();


const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Where there is no DOM (a server importing the module), the class is defined but never used.
export class InferplanAdvisor extends (globalThis.HTMLElement ?? class {}) {
  static observedAttributes = [...SCENARIO_ATTRIBUTES, "compact", "interactive"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    if (SHEET) this.shadowRoot.adoptedStyleSheets = [SHEET];
    this.pending = undefined;
  }

  connectedCallback() {
    // A JSON child edited at runtime is a new scenario.
    this.observer ??= new MutationObserver(() => this.schedule());
    this.observer.observe(this, { childList: true, subtree: true, characterData: true });
    this.schedule();
  }

  disconnectedCallback() {
    this.observer?.disconnect();
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

  /** The scenario: the JSON child, then the attributes over it (`slo` comma-separated for several). */
  scenario() {
    checkAttributes(this);
    const child = this.querySelector('script[type="application/json"]');
    const base = child ? JSON.parse(child.textContent) : {};
    const flags = {};
    for (const name of SCENARIO_ATTRIBUTES) if (this.hasAttribute(name)) flags[name] = this.getAttribute(name);
    if (flags.slo !== undefined) flags.slo = flags.slo.split(",");
    // With both, the hourly volume wins, as it always has for this element.
    if (flags["per-hour"] !== undefined) delete flags.rps;
    // A fleet is never assumed: one GPU, silently, would answer another question.
    if (flags.gpus === undefined && base.fleet?.count === undefined) {
      throw Object.assign(new Error("gpus: give the GPU count (the gpus attribute, or fleet.count in the JSON child)"), { field: "gpus" });
    }
    // An error names the attribute as written here ("gpus must be a number"), without dashes.
    return scenarioFromFlags(flags, base, { prefix: "" });
  }

  /** The controls (once: re-rendering the answer keeps them, and the focus in them) and the answer's container. */
  frame(interactive) {
    if (this.answer?.isConnected && this.interactive === interactive) return this.answer;
    const controls = interactive
      ? `<p part="controls"><label>Requests/s <input type="number" min="0" step="any" data-attribute="rps"></label>` +
        `<label>Target (ms) <input type="number" min="1" step="any" data-attribute="target"></label></p>`
      : "";
    this.shadowRoot.innerHTML = `${SHEET ? "" : `<style>${STYLE}</style>`}${controls}<div aria-live="polite"></div>`;
    for (const input of this.shadowRoot.querySelectorAll("input[data-attribute]")) {
      input.addEventListener("change", () => this.fromControl(input));
    }
    this.interactive = interactive;
    this.answer = this.shadowRoot.querySelector("div[aria-live]");
    return this.answer;
  }

  async render() {
    try {
      await init();
    } catch (error) {
      this.answer = undefined;
      this.shadowRoot.innerHTML = `${SHEET ? "" : `<style>${STYLE}</style>`}<p class="error" role="alert" part="error">${escapeHtml(wasmLoadFailure(error))}</p>`;
      return;
    }
    const compact = this.hasAttribute("compact");
    const answer = this.frame(this.hasAttribute("interactive"));
    let body;
    let scenario;
    try {
      scenario = this.scenario();
      const recommendation = advise(scenario);
      body = `<p class="verdict${recommendation.verdict.startsWith("infeasible") ? " infeasible" : ""}" part="verdict" data-verdict="${recommendation.verdict}">${escapeHtml(VERDICT_HEADLINES[recommendation.verdict])}</p>
<p class="summary" part="summary">${escapeHtml(recommendation.summary)}</p>` +
        (compact ? "" : `<p class="config">Recommended: ${escapeHtml(describeDeployment(recommendation.config, recommendation.prediction.gpusUsed))}</p>
<p class="targets" part="targets">${escapeHtml(describeChecks(recommendation.prediction))}</p>
<div part="chart">${tradeoffChart(recommendation)}</div>
<details><summary>Latency against load, and the reasons</summary><div part="load-chart">${loadChart(recommendation)}</div>
<ul>${recommendation.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul></details>`);
    } catch (error) {
      body = `<p class="error" role="alert" part="error">${escapeHtml(error.message)}</p>`;
    }
    answer.innerHTML = body;
    // The controls show the scenario's values, but not over one being edited.
    const values = { rps: this.getAttribute("per-hour") ? String(Number(this.getAttribute("per-hour")) / 3600) : this.getAttribute("rps") ?? "", target: this.firstSlo(scenario)?.targetMs ?? "" };
    for (const input of this.shadowRoot.querySelectorAll("input[data-attribute]")) {
      if (this.shadowRoot.activeElement !== input) input.value = String(values[input.dataset.attribute]);
    }
  }

  /** The scenario's first SLO (from the attributes or the JSON child), or undefined; `scenario`
   * when it is already read. */
  firstSlo(scenario) {
    try {
      return [(scenario ?? this.scenario()).slo ?? []].flat()[0];
    } catch {
      return parseSlo((this.getAttribute("slo") ?? "").split(",")[0]) ?? undefined;
    }
  }

  fromControl(input) {
    const value = input.value.trim();
    if (value === "") {
      this.answer.innerHTML = `<p class="error" role="alert" part="error">${input.dataset.attribute === "rps" ? "Requests/s" : "Target (ms)"} is empty: enter a number.</p>`;
      return;
    }
    if (input.dataset.attribute === "rps") {
      // Requests/s typed here is the volume: an hourly one no longer applies.
      this.removeAttribute("per-hour");
      this.setAttribute("rps", value);
      return;
    }
    // The first SLO, its metric and percentile kept, with the new target (the others are
    // dropped, as they always have been).
    const first = this.firstSlo() ?? { metric: "ttft", percentile: 95 };
    this.setAttribute("slo", formatSlo({ ...first, targetMs: Number(value) }));
  }
}

if (globalThis.customElements && !customElements.get("inferplan-advisor")) {
  customElements.define("inferplan-advisor", InferplanAdvisor);
}
