// The functions of inferplan (Node: ready on import; browsers: after `await init()`).
import type {
  CalibrationReport,
  Catalog,
  Config,
  ImportOptions,
  MeasuredRun,
  Prediction,
  Recommendation,
  Scenario,
} from "./types.js";

/** Latency or throughput first for this scenario, the recommended deployment and why. Throws an `InferplanError` naming the field on bad input. */
export declare function advise(scenario: Scenario): Recommendation;
/** One deployment under the scenario's load: memory, latency percentiles, throughput. */
export declare function predict(scenario: Scenario, config?: Config): Prediction;
/** Reads a benchmark file, or several files of one sweep, into a measured run. */
export declare function importBenchmark(text: string | string[], options?: ImportOptions): MeasuredRun;
/** Fits the cost model to the measurements a scenario carries (`scenario.measured`). */
export declare function calibrate(scenario: Scenario): CalibrationReport;
/** The built-in GPUs, models and precisions, each figure with its source; the use cases, engines, metrics and benchmark formats; the advisor's defaults. */
export declare function catalog(): Catalog;
/** The library version. */
export declare function version(): string;

/** The error every function throws for bad input: its message names the field and the value, and `field` holds the JSON path ("" for the whole input). A Rust panic (a bug) is a plain `Error`. */
export declare class InferplanError extends Error {
  readonly name: "InferplanError";
  readonly field: string;
}
