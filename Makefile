# The two commands of the README: `make serve` and `make test`. Both install what is missing
# first (scripts/setup.sh, idempotent), then build pkg/ when its sources changed.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WASM_TEST_RUNNER := $(CURDIR)/.tools/bin/wasm-bindgen-test-runner
PKG_SOURCES := $(shell find src npm -type f) Cargo.toml Cargo.lock README.md LICENSE scripts/build.sh
# The package variant whose wasm can panic on purpose, for the tests of the panic guard.
TEST_PANIC_PKG := target/pkg-test-panic/node/index.cjs

.PHONY: help setup setup-browser setup-fuzz build build-test-panic serve test test-rust test-wasm test-node test-browser test-fuzz fuzz calibrate accuracy bench clean

help:
	@echo "make serve   build pkg/ and serve the page on 127.0.0.1"
	@echo "make test    every test: native Rust, wasm in Node, the npm package in Node, the page in Chromium"
	@echo "make accuracy  error against the published measurements in data/calibration.csv, with cross-validation"
	@echo "make calibrate refit the cost model's factors on data/calibration.csv into src/perf/fitted.rs"
	@echo "make bench     speed of the simulator and of predict, natively"

setup:
	@scripts/setup.sh

setup-browser:
	@scripts/setup.sh --browser

setup-fuzz:
	@scripts/setup.sh --fuzz

pkg/package.json: $(PKG_SOURCES) | setup
	@scripts/build.sh

build: pkg/package.json

$(TEST_PANIC_PKG): $(PKG_SOURCES) | setup
	@scripts/build.sh --test-panic

build-test-panic: $(TEST_PANIC_PKG)

serve: build
	@node scripts/serve.mjs

test: setup-browser setup-fuzz build test-rust test-wasm test-node test-browser test-fuzz

test-rust:
	cargo test --quiet

test-wasm: setup
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$(WASM_TEST_RUNNER) cargo test --target wasm32-unknown-unknown --test wasm

# The npm package: lint its manifest and its types (./web and ./element are for browsers, ES
# modules only by design), then use it from Node.
test-node: build build-test-panic
	node_modules/.bin/publint pkg --strict
	node_modules/.bin/attw --pack pkg --exclude-entrypoints ./web ./element --format table-flipped
	node --test tests/node/

test-browser: setup-browser build build-test-panic
	node --test tests/browser/

# Fuzzing with libFuzzer through cargo-fuzz. The stable toolchain runs it without a sanitizer
# (RUSTC_BOOTSTRAP lets cargo-fuzz pass its flags); seeds are the sample files, the growing
# corpus and any crash stay in fuzz/ (git-ignored). A crash found becomes a regression test.
FUZZ := cd fuzz && RUSTC_BOOTSTRAP=1 ../.tools/bin/cargo-fuzz run --sanitizer none --release
FUZZ_TARGETS := import_benchmark scenario

fuzz-run = for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target && \
	  ( $(FUZZ) $$target corpus/$$target seeds/$$target -- -max_total_time=$(1) -timeout=10 -rss_limit_mb=2048 ) || exit 1; \
	done

# A short run of each target (seconds), part of make test.
test-fuzz: setup-fuzz
	@$(call fuzz-run,15) 2>&1 | grep -E "^Done|ERROR|panicked|SUMMARY|deadly"

# A longer run: ten minutes per target.
fuzz: setup-fuzz
	$(call fuzz-run,600)

# Refit the calibration factors (about half a minute) and write them into the source.
calibrate:
	cargo run --release --quiet --example calibrate > src/perf/fitted.rs.new
	mv src/perf/fitted.rs.new src/perf/fitted.rs

# Accuracy against the published measurements, in-sample and cross-validated (about two minutes).
accuracy:
	cargo run --release --quiet --example accuracy

# Speed natively and in wasm under Node.
bench: build
	cargo run --release --quiet --example bench
	@echo
	node scripts/bench-wasm.mjs

clean:
	rm -rf pkg target test-output
