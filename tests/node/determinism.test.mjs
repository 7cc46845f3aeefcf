// WebAssembly gives the same answers as native Rust, bit for bit: every call tests/determinism.rs
// recorded natively (importBenchmark, calibrate, predict, advise) is repeated through the npm
// package, and the JSON must be the same bytes. The native file must exist and be newer than
// the sources, or the comparison proves nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as inferplan from "../../pkg/index.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const NATIVE = join(ROOT, "target/determinism-native.json");
const RUN = "run `cargo test --test determinism` (make test does)";

/** Every file under `dir`, recursively. */
const filesUnder = (dir) => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath ?? entry.path, entry.name));

test("wasm and native answers are byte-identical JSON", () => {
  assert.ok(existsSync(NATIVE), `target/determinism-native.json is missing: ${RUN}`);
  const written = statSync(NATIVE).mtimeMs;
  const newer = [...filesUnder(join(ROOT, "src")), join(ROOT, "Cargo.lock")].filter((file) => statSync(file).mtimeMs > written);
  assert.deepEqual(newer.map((file) => file.slice(ROOT.length)), [], `target/determinism-native.json is older than these sources: ${RUN}`);
  const calls = JSON.parse(readFileSync(NATIVE, "utf8"));
  const functions = new Set(calls.map(({ call }) => call));
  assert.deepEqual([...functions].sort(), ["advise", "calibrate", "importBenchmark", "predict"]);
  for (const { call, input, output } of calls) {
    assert.equal(JSON.stringify(inferplan[call](input)), JSON.stringify(output), `${call}(${JSON.stringify(input).slice(0, 120)})`);
  }
});
