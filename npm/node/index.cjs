// Node's CommonJS entry (and, through index.js, its ES-module one): the wasm build, with a
// Rust panic (a bug: no input should cause one) surfacing as an Error with its message rather
// than an opaque `RuntimeError: unreachable`. The instance keeps serving later calls.
const wasm = require("./inferplan.js");

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

module.exports = {
  advise: guard(wasm.advise),
  predict: guard(wasm.predict),
  importBenchmark: guard(wasm.importBenchmark),
  calibrate: guard(wasm.calibrate),
  catalog: guard(wasm.catalog),
  version: guard(wasm.version),
  __panicForTests: guard(wasm.__panicForTests),
};
