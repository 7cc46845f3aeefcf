// Types for the browser and bundler entry.
export * from "../types.js";
export * from "../api.js";

/** Where the wasm comes from: a URL or path, a fetch Response, its bytes, or a compiled module. */
export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/** Loads the wasm (once; later calls share the instance). Defaults to inferplan_bg.wasm next to this module. */
export default function init(input?: InitInput | Promise<InitInput>): Promise<void>;
/** Instantiates synchronously from bytes or a compiled module. */
export declare function initSync(module: BufferSource | WebAssembly.Module): void;
