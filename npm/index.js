// Node's ES-module entry. It loads the same CommonJS build as `require("inferplan")`, so a
// process that uses both shares one wasm instance. The wasm is ready on import; `init` and
// `initSync` exist so that browser-style code (`await init()`, as SSR frameworks and test
// runners run it in Node) works unchanged.
import inferplan from "./node/index.cjs";

export const { version, catalog, predict, advise, importBenchmark, calibrate, InferplanError } = inferplan;
export const { initSync } = inferplan;
export default inferplan.default;
