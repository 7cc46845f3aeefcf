// Types for Node's ES-module entry: the functions are ready to call, no init needed.
export * from "./types.js";
export * from "./api.js";
