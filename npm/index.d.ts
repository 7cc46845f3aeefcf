// Types for Node (both `import` and `require`): the functions are ready to call, no init needed.
export * from "./node/inferplan.js";
