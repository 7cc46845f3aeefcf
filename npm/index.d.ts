// Types for Node's ES-module entry: the functions are ready to call, no init needed.
export * from "./types.js";
export * from "./api.js";

/** Nothing to do in Node (the wasm is ready on import): browser-style `await init()` works unchanged. */
export default function init(input?: unknown): Promise<void>;
/** Nothing to do in Node; for browser-style code. */
export declare function initSync(module?: unknown): void;
