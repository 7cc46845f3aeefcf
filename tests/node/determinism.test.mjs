// WebAssembly gives the same answers as native Rust, bit for bit: the JSON tests/determinism.rs
// wrote natively equals what the wasm build returns for the same scenarios.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { advise, predict } from "../../pkg/index.js";

const NATIVE = new URL("../../target/determinism-native.json", import.meta.url);

test("wasm and native answers are byte-identical JSON", { skip: !existsSync(NATIVE) && "run `cargo test` first (make test does)" }, () => {
  const cases = JSON.parse(readFileSync(NATIVE, "utf8"));
  assert.ok(cases.length >= 4);
  for (const { scenario, prediction, recommendation } of cases) {
    assert.equal(JSON.stringify(predict(scenario)), JSON.stringify(prediction));
    assert.equal(JSON.stringify(advise(scenario)), JSON.stringify(recommendation));
  }
});
