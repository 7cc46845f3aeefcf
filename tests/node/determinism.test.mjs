// WebAssembly gives the same answers as native Rust, bit for bit: the JSON tests/determinism.rs
// wrote natively equals what the wasm build returns for the same scenarios. The native file
// must exist and be newer than the sources, or the comparison proves nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { advise, predict } from "../../pkg/index.js";

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
  const cases = JSON.parse(readFileSync(NATIVE, "utf8"));
  assert.ok(cases.length >= 4);
  for (const { scenario, prediction, recommendation } of cases) {
    assert.equal(JSON.stringify(predict(scenario)), JSON.stringify(prediction));
    assert.equal(JSON.stringify(advise(scenario)), JSON.stringify(recommendation));
  }
});
