// SVG charts of a recommendation, drawn from the numbers `advise` returns: the trade-off
// (latency percentile against throughput per GPU for every candidate) and latency against load.
// Plain markup strings, no library; colours come from CSS custom properties so the charts
// follow the page's light or dark scheme, and every series also differs by shape or dash.
import { formatCompact } from "./format.js";
import { bandText, describeConfig, describeDeployment } from "./words.js";

const escapeXml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** Round tick values for a linear axis from 0 to `max`. */
function linearTicks(max) {
  if (!(max > 0)) return [0, 1];
  const step = 10 ** Math.floor(Math.log10(max / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => max / s <= 6) ?? step * 10;
  const ticks = [];
  for (let t = 0; t <= max * 1.0001; t += nice) ticks.push(t);
  return ticks;
}

/** Powers-of-ten ticks (with 2 and 5 between when the range is short) for a log axis. */
function logTicks(min, max) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e += 1) {
    for (const m of max / min < 100 ? [1, 2, 5] : [1]) {
      const t = m * 10 ** e;
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/** 1 + r for the recommendation's binding metric: the factor its measured value lies within (1 without a band). */
const bandFactor = (recommendation) => 1 + (recommendation.prediction?.errorBand?.[recommendation.bindingSlo.metric] ?? 0);

const SIZE = { width: 640, height: 360, left: 64, right: 20, top: 20, bottom: 72 };

/** The charts' own CSS, for the stylesheet of whatever shows them (a class, not a `style`
 * attribute, which a strict Content-Security-Policy blocks). */
export const CHART_STYLE = ".inferplan-chart { width: 100%; height: auto; font: 12px system-ui, sans-serif; color: var(--fg, currentColor); }";

function frame(title, description, body, legend) {
  const { width, height } = SIZE;
  const id = `t${Math.random().toString(36).slice(2, 9)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id} ${id}d" class="inferplan-chart">
<title id="${id}">${escapeXml(title)}</title><desc id="${id}d">${escapeXml(description)}</desc>
${body}
<g transform="translate(${SIZE.left},${height - 12})">${legend}</g>
</svg>`;
}

function axes({ x, y, xTicks, yTicks, xLabel, yLabel }) {
  const { width, height, left, right, top, bottom } = SIZE;
  let markup = `<g stroke="var(--line, #999)" stroke-width="1">`;
  for (const t of yTicks) markup += `<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke-opacity="0.35"/>`;
  markup += `<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}"/><line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}"/></g>`;
  markup += `<g fill="currentColor" text-anchor="end">`;
  for (const t of yTicks) markup += `<text x="${left - 6}" y="${y(t) + 4}">${formatCompact(t)}</text>`;
  markup += `</g><g fill="currentColor" text-anchor="middle">`;
  for (const t of xTicks) markup += `<text x="${x(t)}" y="${height - bottom + 16}">${formatCompact(t)}</text>`;
  markup += `</g><text x="${(left + width - right) / 2}" y="${height - bottom + 34}" text-anchor="middle" fill="currentColor">${escapeXml(xLabel)}</text>`;
  markup += `<text transform="translate(14 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle" fill="currentColor">${escapeXml(yLabel)}</text>`;
  return markup;
}

const marker = {
  meets: (cx, cy) => `<circle cx="${cx}" cy="${cy}" r="5" fill="var(--good, #1a7f37)"/>`,
  misses: (cx, cy) => `<path d="M${cx - 4} ${cy - 4}L${cx + 4} ${cy + 4}M${cx - 4} ${cy + 4}L${cx + 4} ${cy - 4}" stroke="var(--bad, #b42318)" stroke-width="2"/>`,
  recommended: (cx, cy) => {
    const points = Array.from({ length: 10 }, (_, i) => {
      const r = i % 2 === 0 ? 10 : 4.5;
      const a = (Math.PI / 5) * i - Math.PI / 2;
      return `${(cx + r * Math.cos(a)).toFixed(1)},${(cy + r * Math.sin(a)).toFixed(1)}`;
    });
    return `<polygon points="${points.join(" ")}" fill="var(--accent, #0a58ca)" stroke="var(--bg, #fff)" stroke-width="1"/>`;
  },
};

/**
 * The trade-off: each candidate deployment's binding-SLO percentile at the required load (log
 * scale) against its output tokens per second per GPU at SLO capacity. The region under the
 * target is shaded; the Pareto frontier is joined; the required volume is a dashed line.
 */
export function tradeoffChart(recommendation) {
  const points = recommendation.candidates.filter((p) => p.latencyMs !== null && p.latencyMs > 0);
  const slo = recommendation.bindingSlo;
  const metric = slo.metric.toUpperCase();
  const title = `Trade-off: p${slo.percentile} ${metric} against throughput per GPU`;
  if (points.length === 0) {
    return frame(title, "No candidate deployment fits in memory.", `<text x="${SIZE.width / 2}" y="${SIZE.height / 2}" text-anchor="middle" fill="currentColor">No deployment fits in memory</text>`, "");
  }
  // The error band of the binding metric: each point's measured value lies within this factor
  // of it four times in five.
  const band = bandFactor(recommendation);
  const bandLabel = bandText(recommendation.prediction, slo.metric);
  const latencies = points.map((p) => p.latencyMs).concat(slo.targetMs);
  const yMin = Math.min(...latencies) / 1.6 / band;
  const yMax = Math.max(...latencies) * 1.6 * band;
  const requiredPerGpu = recommendation.requiredOutputTokensPerSecondPerGpu ?? null;
  const xMax = Math.max(...points.map((p) => p.outputTokensPerSecondPerGpu), requiredPerGpu ?? 0) * 1.1 || 1;
  const { width, height, left, right, top, bottom } = SIZE;
  const x = (v) => left + (v / xMax) * (width - left - right);
  const y = (v) => top + (1 - (Math.log(v) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin))) * (height - top - bottom);
  let body = `<rect x="${left}" y="${y(slo.targetMs)}" width="${width - left - right}" height="${height - bottom - y(slo.targetMs)}" fill="var(--good, #1a7f37)" fill-opacity="0.08"/>`;
  body += axes({ x, y, xTicks: linearTicks(xMax), yTicks: logTicks(yMin, yMax), xLabel: "output tokens/s per GPU at SLO capacity", yLabel: `p${slo.percentile} ${metric} at the required load (ms, log)` });
  body += `<line x1="${left}" x2="${width - right}" y1="${y(slo.targetMs)}" y2="${y(slo.targetMs)}" stroke="var(--bad, #b42318)" stroke-width="1.5" stroke-dasharray="6 3"/>`;
  body += `<text x="${width - right - 4}" y="${y(slo.targetMs) - 5}" text-anchor="end" fill="currentColor">target ${formatCompact(slo.targetMs)} ms</text>`;
  if (requiredPerGpu !== null) {
    body += `<line x1="${x(requiredPerGpu)}" x2="${x(requiredPerGpu)}" y1="${top}" y2="${height - bottom}" stroke="currentColor" stroke-width="1" stroke-dasharray="2 3"/>`;
    body += `<text x="${x(requiredPerGpu) + 4}" y="${top + 12}" fill="currentColor">required</text>`;
  }
  const frontier = points.filter((p) => p.paretoOptimal).sort((a, b) => a.outputTokensPerSecondPerGpu - b.outputTokensPerSecondPerGpu);
  if (frontier.length > 1) {
    body += `<polyline points="${frontier.map((p) => `${x(p.outputTokensPerSecondPerGpu)},${y(p.latencyMs)}`).join(" ")}" fill="none" stroke="var(--accent, #0a58ca)" stroke-width="1.5" stroke-opacity="0.7"/>`;
  }
  for (const p of points) {
    const cx = x(p.outputTokensPerSecondPerGpu);
    const cy = y(p.latencyMs);
    if (band > 1) {
      body += `<line class="band" x1="${cx}" x2="${cx}" y1="${y(p.latencyMs * band)}" y2="${y(p.latencyMs / band)}" stroke="currentColor" stroke-opacity="0.35" stroke-width="1.5"/>`;
    }
    const label = `${describeConfig(p.config)}: ${formatCompact(p.latencyMs)} ms, ${formatCompact(p.outputTokensPerSecondPerGpu)} tok/s/GPU${p.meetsSlo ? "" : " (misses the target)"}`;
    body += `<g class="point${p.recommended ? " recommended" : ""}"><title>${escapeXml(label)}</title>${(p.recommended ? marker.recommended : p.meetsSlo ? marker.meets : marker.misses)(cx, cy)}</g>`;
    if (p.recommended) body += `<text x="${cx + 12}" y="${cy - 8}" fill="currentColor" font-weight="600">recommended</text>`;
  }
  const legend = `${marker.meets(6, 0)}<text x="16" y="4" fill="currentColor">meets target</text>` +
    `${marker.misses(112, 0)}<text x="122" y="4" fill="currentColor">misses</text>` +
    `${marker.recommended(186, 0)}<text x="200" y="4" fill="currentColor">recommended</text>` +
    `<line x1="292" x2="316" y1="0" y2="0" stroke="var(--accent, #0a58ca)" stroke-width="1.5"/><text x="320" y="4" fill="currentColor">Pareto frontier</text>` +
    `<rect x="420" y="-6" width="14" height="12" fill="var(--good, #1a7f37)" fill-opacity="0.15"/><text x="438" y="4" fill="currentColor">under target</text>` +
    (band > 1 ? `<line x1="530" x2="530" y1="-7" y2="7" stroke="currentColor" stroke-opacity="0.35" stroke-width="1.5"/><text x="536" y="4" fill="currentColor">${bandLabel} band</text>` : "");
  const recommended = points.find((p) => p.recommended);
  const description = `${points.length} candidate deployments, ${frontier.length} on the Pareto frontier; target ${formatCompact(slo.targetMs)} ms` +
    (band > 1 ? `; bars show the ${bandLabel} error band` : "") +
    (recommended ? `; recommended ${describeDeployment(recommended.config)} at ${formatCompact(recommended.latencyMs)} ms.` : ".");
  return frame(title, description, body, legend);
}

/**
 * Latency against load for the recommended deployment: p50, p95 and p99 as the rate rises.
 * `measured` (optional) are measured load levels, `{ requestsPerSecond, latencyMs, label }`, drawn
 * as hollow diamonds over the model's lines.
 */
export function loadChart(recommendation, measured = []) {
  const curve = recommendation.loadCurve ?? [];
  const slo = recommendation.bindingSlo;
  const metric = slo.metric.toUpperCase();
  const title = `${metric} against load for the recommended deployment`;
  if (curve.length < 2) {
    return frame(title, "The latency-against-load curve is drawn for request-rate loads.", `<text x="${SIZE.width / 2}" y="${SIZE.height / 2}" text-anchor="middle" fill="currentColor">Drawn for request-rate loads</text>`, "");
  }
  const { width, height, left, right, top, bottom } = SIZE;
  const xMax = Math.max(...curve.map((p) => p.requestsPerSecond), ...measured.map((m) => m.requestsPerSecond), recommendation.requiredLoad) * 1.05;
  // The error band around the target's percentile: measured values lie within it four times in five.
  const band = bandFactor(recommendation);
  const bandLabel = bandText(recommendation.prediction, slo.metric);
  const bandKey = curve[0][`p${slo.percentile}Ms`] !== undefined ? `p${slo.percentile}Ms` : "p95Ms";
  const yMax = Math.max(...curve.map((p) => Math.max(p.p99Ms, p[bandKey] * band)), ...measured.map((m) => m.latencyMs), slo.targetMs) * 1.15;
  const x = (v) => left + (v / xMax) * (width - left - right);
  const y = (v) => top + (1 - v / yMax) * (height - top - bottom);
  let body = axes({ x, y, xTicks: linearTicks(xMax), yTicks: linearTicks(yMax), xLabel: "requests/s (all replicas)", yLabel: `${metric} (ms)` });
  body += `<line x1="${left}" x2="${width - right}" y1="${y(slo.targetMs)}" y2="${y(slo.targetMs)}" stroke="var(--bad, #b42318)" stroke-width="1.5" stroke-dasharray="6 3"/>`;
  body += `<text x="${left + 6}" y="${y(slo.targetMs) - 5}" fill="currentColor">target p${slo.percentile} ${formatCompact(slo.targetMs)} ms</text>`;
  body += `<line x1="${x(recommendation.requiredLoad)}" x2="${x(recommendation.requiredLoad)}" y1="${top}" y2="${height - bottom}" stroke="currentColor" stroke-dasharray="2 3"/>`;
  body += `<text x="${x(recommendation.requiredLoad) + 4}" y="${top + 12}" fill="currentColor">required ${formatCompact(recommendation.requiredLoad)}</text>`;
  const series = [
    ["p50Ms", "p50", "", "circle"],
    ["p95Ms", "p95", "6 3", "square"],
    ["p99Ms", "p99", "2 3", "triangle"],
  ];
  const shape = (kind, cx, cy) => kind === "circle" ? `<circle cx="${cx}" cy="${cy}" r="3.5" fill="currentColor"/>`
    : kind === "square" ? `<rect x="${cx - 3.5}" y="${cy - 3.5}" width="7" height="7" fill="currentColor"/>`
      : `<path d="M${cx} ${cy - 4.5}L${cx + 4.5} ${cy + 3.5}L${cx - 4.5} ${cy + 3.5}Z" fill="currentColor"/>`;
  let legend = "";
  if (band > 1) {
    const upper = curve.map((p) => `${x(p.requestsPerSecond)},${y(p[bandKey] * band)}`);
    const lower = curve.map((p) => `${x(p.requestsPerSecond)},${y(p[bandKey] / band)}`).reverse();
    body += `<polygon class="band" points="${upper.concat(lower).join(" ")}" fill="var(--accent, #0a58ca)" fill-opacity="0.12"/>`;
    legend += `<rect x="240" y="-6" width="14" height="12" fill="var(--accent, #0a58ca)" fill-opacity="0.2"/><text x="258" y="4" fill="currentColor">${bandKey.slice(0, -2)} ${bandLabel}</text>`;
  }
  series.forEach(([key, label, dash, kind], i) => {
    body += `<polyline points="${curve.map((p) => `${x(p.requestsPerSecond)},${y(p[key])}`).join(" ")}" fill="none" stroke="var(--accent, #0a58ca)" stroke-width="2" stroke-dasharray="${dash}"/>`;
    for (const p of curve) {
      body += `<g><title>${escapeXml(`${formatCompact(p.requestsPerSecond)} req/s: ${label} ${formatCompact(p[key])} ms${p.fellBehind ? " (past capacity: the queue grows)" : ""}`)}</title>${shape(kind, x(p.requestsPerSecond), y(p[key]))}</g>`;
    }
    legend += `<line x1="${i * 90}" x2="${i * 90 + 24}" y1="0" y2="0" stroke="var(--accent, #0a58ca)" stroke-width="2" stroke-dasharray="${dash}"/>${shape(kind, i * 90 + 12, 0)}<text x="${i * 90 + 30}" y="4" fill="currentColor">${label}</text>`;
  });
  for (const m of measured) {
    const cx = x(m.requestsPerSecond);
    const cy = y(m.latencyMs);
    body += `<g class="measured"><title>${escapeXml(`measured ${m.label}: ${formatCompact(m.requestsPerSecond)} req/s, ${formatCompact(m.latencyMs)} ms`)}</title>` +
      `<path d="M${cx} ${cy - 6}L${cx + 6} ${cy}L${cx} ${cy + 6}L${cx - 6} ${cy}Z" fill="var(--bg, #fff)" stroke="var(--bad, #b42318)" stroke-width="2"/></g>`;
  }
  if (measured.length > 0) {
    legend += `<path d="M446 -6L452 0L446 6L440 0Z" fill="none" stroke="var(--bad, #b42318)" stroke-width="2"/><text x="458" y="4" fill="currentColor">measured p${slo.percentile}</text>`;
  }
  const past = curve.filter((p) => p.fellBehind);
  if (past.length > 0) {
    body += `<rect x="${x(past[0].requestsPerSecond)}" y="${top}" width="${width - right - x(past[0].requestsPerSecond)}" height="${height - top - bottom}" fill="var(--bad, #b42318)" fill-opacity="0.07"/>`;
    legend += `<rect x="334" y="-6" width="14" height="12" fill="var(--bad, #b42318)" fill-opacity="0.2"/><text x="352" y="4" fill="currentColor">past capacity</text>`;
  }
  const description = `p50, p95 and p99 ${metric} from ${formatCompact(curve[0].requestsPerSecond)} to ${formatCompact(curve[curve.length - 1].requestsPerSecond)} requests/s` +
    (band > 1 ? `, with the ${bandLabel} error band around ${bandKey.slice(0, -2)}.` : ".");
  return frame(title, description, body, legend);
}
