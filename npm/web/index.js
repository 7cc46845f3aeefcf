// Browser and bundler entry. Call `await init()` once before the functions; it fetches
// inferplan_bg.wasm from next to this module (or from `input`), and is memoised: concurrent
// and later callers share one instance.
import wasmBindgenInit, {
  initSync as wasmBindgenInitSync,
  advise,
  calibrate,
  catalog,
  importBenchmark,
  predict,
  version,
} from "./inferplan.js";

export { advise, calibrate, catalog, importBenchmark, predict, version };

export default async function init(input) {
  await wasmBindgenInit(input === undefined ? undefined : { module_or_path: input });
}

/** Instantiates from already-fetched bytes or a compiled module, synchronously. */
export function initSync(module) {
  wasmBindgenInitSync({ module });
}
