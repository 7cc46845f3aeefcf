#!/usr/bin/env bash
# Installs what the build and the tests need, only when missing (a second run installs nothing):
#   the wasm32 Rust target, the wasm-bindgen CLI pinned in Cargo.toml (into .tools/),
#   the npm dev dependencies (binaryen's wasm-opt, playwright-core), and with --browser,
#   Debian's Chromium for the headless page tests.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
want_fuzz=false
for flag in "$@"; do
  case "$flag" in
    --browser) want_browser=true ;;
    --fuzz) want_fuzz=true ;;
  esac
done

say() { printf 'setup: %s\n' "$*" >&2; }

# 1. Rust's wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. The wasm-bindgen CLI, the exact version the crate pins (they must match).
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || { say "Cargo.toml must pin wasm-bindgen with an exact version (=x.y.z)"; exit 1; }
installed=$(.tools/bin/wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$installed" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version into .tools/ (about 3 minutes, once)"
  # No --locked: it fails against this registry.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --root .tools --force
fi

# 3. cargo-fuzz for the fuzz targets (libFuzzer; run on the stable toolchain, see Makefile).
fuzz_version=0.13.2
if $want_fuzz && [ "$(.tools/bin/cargo-fuzz --version 2>/dev/null | awk '{print $2}')" != "$fuzz_version" ]; then
  say "installing cargo-fuzz $fuzz_version into .tools/ (about 2 minutes, once)"
  cargo install cargo-fuzz --version "$fuzz_version" --root .tools --force
fi

# 4. npm dev dependencies, when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  touch node_modules/.package-lock.json
fi

# 5. Chromium for the page tests (never a browser downloaded by a test tool).
if $want_browser && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium chromium-driver
fi
exit 0
