// Node's CommonJS entry (and, through index.js, its ES-module one): the wasm build, every
// function behind the panic guard. The wasm is ready on load.
const wasm = require("./inferplan.js");

// @guard (scripts/build.sh writes npm/guard.js here)

/** Nothing to do in Node (the wasm is ready on load): browser-style `await init()` still works. */
async function init() {}

module.exports = {
  advise: guard(wasm.advise),
  predict: guard(wasm.predict),
  importBenchmark: guard(wasm.importBenchmark),
  calibrate: guard(wasm.calibrate),
  catalog: guard(wasm.catalog),
  version: guard(wasm.version),
  InferplanError,
  default: init,
  initSync() {},
};
