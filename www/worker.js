// Runs the advisor off the main thread, so typing never waits for a simulation. Messages:
// { id, scenario, config? } -> { id, recommendation, prediction? } or { id, error: {message, field} }.
import init, { advise, predict } from "../pkg/web/index.js";

const ready = init();

self.onmessage = async ({ data }) => {
  await ready;
  const { id, scenario, config } = data;
  try {
    const started = performance.now();
    const recommendation = advise(scenario);
    const prediction = config ? predict(scenario, config) : undefined;
    self.postMessage({ id, recommendation, prediction, elapsedMs: performance.now() - started });
  } catch (error) {
    self.postMessage({ id, error: { message: error.message, field: error.field ?? "" } });
  }
};
