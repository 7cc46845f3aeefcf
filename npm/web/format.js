// Numbers as inferplan prints them, in the terminal (the `inferplan` command), on the page, in
// <inferplan-advisor> and on the charts' axes: plain functions, no DOM, so Node and browsers
// both load this module.

/**
 * "1,234.5": grouped in thousands, with exactly `digits` decimals. A missing value (null,
 * undefined, NaN, an infinity) prints as `missing`: "-" in a terminal, an em dash on the page.
 */
export function formatNumber(value, digits = 0, missing = "-") {
  return Number.isFinite(value)
    ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : missing;
}

/** A latency in ms: one decimal under 100 ms ("42.7"), none from 100 ms up ("1,234"). */
export function formatMs(value, missing = "-") {
  return Number.isFinite(value) ? formatNumber(value, value < 100 ? 1 : 0) : missing;
}

/** A duration in the unit that reads best, as the core words it: "42.0 s", "12.5 min", "3.2 h". */
export function formatDuration(seconds) {
  if (seconds < 100) return `${seconds.toFixed(1)} s`;
  if (seconds < 6000) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** An axis label, at most four characters of digits: "12k", "1.5k", "250", "42.5", "3.14". */
export function formatCompact(value) {
  if (!Number.isFinite(value)) return "-";
  if (value >= 10000) return `${(value / 1000).toFixed(0)}k`;
  if (value >= 1000) return `${(value / 1000).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
