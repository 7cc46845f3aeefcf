// The panic guard, written once here: scripts/build.sh puts it into both entries of the
// package (pkg/node/index.cjs and pkg/web/index.js) in place of their `// @guard` line; there
// `wasm` is the module wasm-bindgen generated.

/** Every error for bad input: its message names the field and the value, `field` holds the path. */
class InferplanError extends Error {
  constructor(message, field) {
    super(message);
    this.name = "InferplanError";
    this.field = field;
  }
}

/**
 * `fn`, with its errors for bad input as `InferplanError`s, and a Rust panic (a bug: no input should cause one) surfacing as an Error with the
 * panic's message rather than an opaque `RuntimeError: unreachable`. The instance keeps serving
 * later calls.
 */
function guard(fn) {
  return function guarded(...args) {
    try {
      return fn(...args);
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        const message = wasm.__takePanicMessage() ?? error.message;
        throw new Error(`inferplan internal error (please report it): ${message}`);
      }
      if (error instanceof Error && typeof error.field === "string") throw new InferplanError(error.message, error.field);
      throw error;
    }
  };
}
