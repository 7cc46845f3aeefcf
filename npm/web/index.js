// Browser and bundler entry. Call `await init()` once before the functions; it fetches
// inferplan_bg.wasm from next to this module (or from `input`), and is memoised: concurrent
// and later callers share one instance. Every function is behind the panic guard.
import wasmBindgenInit, * as wasm from "./inferplan.js";

// @guard (scripts/build.sh writes npm/guard.js here)

export const advise = guard(wasm.advise);
export const calibrate = guard(wasm.calibrate);
export const catalog = guard(wasm.catalog);
export const importBenchmark = guard(wasm.importBenchmark);
export const predict = guard(wasm.predict);
export const version = guard(wasm.version);
export { InferplanError };

export default async function init(input) {
  await wasmBindgenInit(input === undefined ? undefined : { module_or_path: input });
}

/** Instantiates from already-fetched bytes or a compiled module, synchronously. */
export function initSync(module) {
  wasm.initSync({ module });
}
