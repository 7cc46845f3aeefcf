// Browser and bundler entry. Call `await init()` once before the functions; it fetches
// inferplan_bg.wasm from next to this module (or from `input`), and is memoised: concurrent
// and later callers share one instance.
import wasmBindgenInit, * as wasm from "./inferplan.js";

/** A Rust panic (a bug) surfaces as an Error with its message; the instance keeps serving. */
function guard(fn) {
  return function guarded(...args) {
    try {
      return fn(...args);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        const message = wasm.__takePanicMessage() ?? error.message;
        throw new Error(`inferplan internal error (please report it): ${message}`);
      }
      throw error;
    }
  };
}

export const advise = guard(wasm.advise);
export const calibrate = guard(wasm.calibrate);
export const catalog = guard(wasm.catalog);
export const importBenchmark = guard(wasm.importBenchmark);
export const predict = guard(wasm.predict);
export const version = guard(wasm.version);
/** Panics on purpose (tests of the guard above; not part of the API). */
export const __panicForTests = guard(wasm.__panicForTests);

export default async function init(input) {
  await wasmBindgenInit(input === undefined ? undefined : { module_or_path: input });
}

/** Instantiates from already-fetched bytes or a compiled module, synchronously. */
export function initSync(module) {
  wasm.initSync({ module });
}
