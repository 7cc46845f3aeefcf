# The two commands of the README: `make serve` and `make test`. Both install what is missing
# first (scripts/setup.sh, idempotent), then build pkg/ when its sources changed.
# `make help` lists every target with the line after its `##`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WASM_TEST_RUNNER := $(CURDIR)/.tools/bin/wasm-bindgen-test-runner
PKG_SOURCES := $(shell find src npm -type f) Cargo.toml Cargo.lock README.md LICENSE scripts/build.sh
TOOL := cargo run --release --quiet -p inferplan-tools --bin
# The package variant whose wasm can panic on purpose, for the tests of the panic guard.
TEST_PANIC_PKG := target/pkg-test-panic/node/index.cjs

.PHONY: help setup setup-browser setup-fuzz build build-test-panic serve test check lint test-rust \
	test-wasm test-node test-browser test-fuzz fuzz calibrate accuracy bench compare clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

setup: ## install what the build needs, only what is missing (Rust wasm target, wasm-bindgen CLI, npm tools)
	@scripts/setup.sh

setup-browser: ## ... and Debian's Chromium for the page tests
	@scripts/setup.sh --browser

setup-fuzz: ## ... and cargo-fuzz
	@scripts/setup.sh --fuzz

pkg/package.json: $(PKG_SOURCES) | setup
	@scripts/build.sh

build: pkg/package.json ## build the npm package into pkg/ (when its sources changed)

$(TEST_PANIC_PKG): $(PKG_SOURCES) | setup
	@scripts/build.sh --test-panic

build-test-panic: $(TEST_PANIC_PKG) ## build the test-only package variant whose wasm can panic on purpose

serve: build ## build pkg/ and serve the page on 127.0.0.1
	@node scripts/serve.mjs

test: setup-browser setup-fuzz build lint test-rust test-wasm test-node test-browser test-fuzz ## every test: formatting and lints, native Rust, wasm in Node, the npm package in Node, the page in Chromium, a short fuzz

check: lint test-rust ## the fast loop for every commit: formatting, lints, native tests (under a minute warm)

lint: setup ## cargo fmt --check and clippy with warnings as errors: the crate and the tools natively, the wasm boundary for wasm32
	cargo fmt --all --check
	cargo clippy --quiet --workspace --all-targets -- -D warnings
	cargo clippy --quiet --target wasm32-unknown-unknown --all-targets --features test-panic -- -D warnings

test-rust: ## the native Rust tests (they also write target/determinism-native.json for test-node)
	cargo test --quiet

test-wasm: setup ## the JavaScript boundary's tests, in Node, through wasm-bindgen-test
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=$(WASM_TEST_RUNNER) cargo test --target wasm32-unknown-unknown --test wasm

# The npm package: lint its manifest and its types (./web and ./element are for browsers, ES
# modules only by design), then use it from Node.
test-node: build build-test-panic ## the npm package in Node: publint, attw, the API, the CLI, wasm against native answers
	node_modules/.bin/publint pkg --strict
	node_modules/.bin/attw --pack pkg --exclude-entrypoints ./web ./element ./wasm ./web/inferplan_bg.wasm --format table-flipped
	node --test tests/node/

test-browser: setup-browser build build-test-panic ## the page and the element in headless Chromium
	node --test tests/browser/

# Fuzzing with libFuzzer through cargo-fuzz. The stable toolchain runs it without a sanitizer
# (RUSTC_BOOTSTRAP lets cargo-fuzz pass its flags); seeds are the sample files, numbers.dict the
# numeric edge values (every limit and its neighbours; the property tests read it too); the growing
# corpus and any crash stay in fuzz/ (git-ignored). A crash found becomes a regression test.
FUZZ := cd fuzz && RUSTC_BOOTSTRAP=1 ../.tools/bin/cargo-fuzz run --sanitizer none --release
FUZZ_TARGETS := import_benchmark scenario

fuzz-run = for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target && \
	  ( $(FUZZ) $$target corpus/$$target seeds/$$target -- -max_total_time=$(1) -timeout=10 -rss_limit_mb=2048 -dict=numbers.dict ) || exit 1; \
	done

test-fuzz: setup-fuzz ## each fuzz target for 15 seconds
	@$(call fuzz-run,15) 2>&1 | grep -E "^Done|ERROR|panicked|SUMMARY|deadly"

fuzz: setup-fuzz ## each fuzz target for ten minutes
	$(call fuzz-run,600)

calibrate: ## refit the cost model's factors and error bands on data/*.csv into src/perf/fitted.rs (about three minutes)
	$(TOOL) calibrate > src/perf/fitted.rs.new
	mv src/perf/fitted.rs.new src/perf/fitted.rs
	rustfmt --edition 2021 src/perf/fitted.rs

accuracy: ## error against data/*.csv, in-sample and cross-validated by GPU, model, family and engine, and the error bands' coverage (about four minutes)
	$(TOOL) accuracy

bench: build ## speed natively and in wasm under Node
	$(TOOL) bench
	@echo
	node scripts/bench-wasm.mjs

compare: ## byte-compare every answer to a few hundred random scenarios with revision BASE (make compare BASE=main)
	@scripts/compare-outputs.sh $(BASE)

clean: ## remove what the build and the tests wrote
	rm -rf pkg target test-output
