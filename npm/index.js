// Node's ES-module entry. It loads the same CommonJS build as `require("inferplan")`, so a
// process that uses both shares one wasm instance. The wasm is ready on import.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const inferplan = require("./node/index.cjs");

export const { version, catalog, predict, advise, importBenchmark, calibrate } = inferplan;
export default inferplan;
