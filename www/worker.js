// Runs the advisor off the main thread, so typing never waits for a simulation. Messages:
// { id, scenario, config? } -> { id, recommendation, prediction?, calibrationReport?, fitted }
// or { id, error: { message, field } }.
//
// A scenario that carries measurements (`measured`) is calibrated here, once: the report is
// kept, and the advisor gets the scenario with the fitted factors (`calibration`) in place of
// the measurements. It is calibrated again only when something the fit depends on changes.
import init, { advise, calibrate, predict } from "../pkg/web/index.js";

const ready = init();

/** The last calibration: what it was fitted to (see `fitInputs`) and its report. */
let lastFit = { inputs: undefined, report: undefined };

/**
 * What a calibration may depend on, as text: the whole scenario but the fields the fit
 * provably ignores (the load, the targets, the seed, the price). Listing what to leave out
 * rather than what to keep means a field added to the scenario later refits rather than
 * reusing stale factors.
 */
function fitInputs({ workload: { load, ...lengths }, slo, seed, fleet: { pricePerGpuHour, ...fleet }, ...rest }) {
  return JSON.stringify({ ...rest, fleet, workload: lengths });
}

/**
 * The scenario with the factors fitted to its measurements in their place, the fit's report,
 * and whether it was fitted now (rather than kept from an earlier request).
 */
function withFittedFactors({ measured, ...scenario }) {
  const inputs = fitInputs({ measured, ...scenario });
  const fitted = lastFit.inputs !== inputs;
  if (fitted) lastFit = { inputs, report: calibrate({ measured, ...scenario }) };
  return { scenario: { ...scenario, calibration: lastFit.report.calibration }, calibrationReport: lastFit.report, fitted };
}

self.onmessage = async ({ data }) => {
  const { id, config } = data;
  try {
    await ready;
    const started = performance.now();
    const { scenario, calibrationReport, fitted = false } = data.scenario.measured
      ? withFittedFactors(data.scenario)
      : { scenario: data.scenario };
    const recommendation = advise(scenario);
    const prediction = config ? predict(scenario, config) : undefined;
    self.postMessage({ id, recommendation, prediction, calibrationReport, fitted, elapsedMs: performance.now() - started });
  } catch (error) {
    self.postMessage({ id, error: { message: error.message, field: error.field ?? "" } });
  }
};
