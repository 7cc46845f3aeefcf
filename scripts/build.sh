#!/usr/bin/env bash
# Builds pkg/, the npm package: one release wasm, bound twice by wasm-bindgen (pkg/web for
# browsers and bundlers, pkg/node for Node), each shrunk by binaryen's wasm-opt, plus the
# hand-written parts from npm/ and a package.json carrying the crate's version.
#
# `--test-panic` builds instead target/pkg-test-panic/, the two entries of a package whose wasm
# has the `test-panic` feature (a function that panics on purpose, exported as
# `__panicForTests`), for the tests of the panic guard: a quick debug build, not shrunk.
set -euo pipefail
cd "$(dirname "$0")/.."

test_panic=false
case "${1:-}" in
  "") ;;
  --test-panic) test_panic=true ;;
  *) echo "usage: scripts/build.sh [--test-panic]" >&2; exit 2 ;;
esac

if $test_panic; then
  out=target/pkg-test-panic
  wasm=target/wasm32-unknown-unknown/debug/inferplan.wasm
  cargo build --target wasm32-unknown-unknown --lib --features test-panic --quiet
else
  # The `wasm` profile (Cargo.toml): optimised for size.
  out=pkg
  wasm=target/wasm32-unknown-unknown/wasm/inferplan.wasm
  cargo build --profile wasm --target wasm32-unknown-unknown --lib --quiet
fi

rm -rf "$out"
mkdir -p "$out"
for target in web nodejs; do
  dir=$out/${target%js}
  .tools/bin/wasm-bindgen --target "$target" --out-dir "$dir" --out-name inferplan "$wasm"
  $test_panic && continue
  # The features Rust enables by default for wasm32 (bulk memory, sign extension,
  # non-trapping float-to-int, multi-value, reference types, mutable globals).
  node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-multivalue --enable-reference-types --enable-mutable-globals \
    "$dir/inferplan_bg.wasm" -o "$dir/inferplan_bg.wasm"
done
# wasm-bindgen's Node glue is CommonJS; the package itself is ESM.
echo '{ "type": "commonjs" }' > "$out/node/package.json"
# One wasm for both entries: the Node glue reads the web build's (identical bytes). The
# generated declarations of the raw bindings are not the package's API (npm/*.d.ts are).
if ! $test_panic; then
  cmp -s "$out/node/inferplan_bg.wasm" "$out/web/inferplan_bg.wasm" ||
    { echo "build.sh: the node and web wasm differ" >&2; exit 1; }
  grep -q '^const wasmPath = `${__dirname}/inferplan_bg.wasm`;$' "$out/node/inferplan.js" ||
    { echo "build.sh: wasm-bindgen's Node glue no longer names its wasm as expected" >&2; exit 1; }
  sed -i 's|^const wasmPath = `${__dirname}/inferplan_bg.wasm`;$|const wasmPath = `${__dirname}/../web/inferplan_bg.wasm`;|' "$out/node/inferplan.js"
  rm "$out/node/inferplan_bg.wasm" "$out/node/inferplan.d.ts" "$out/node/inferplan_bg.wasm.d.ts" \
    "$out/web/inferplan.d.ts" "$out/web/inferplan_bg.wasm.d.ts"
fi

# The entries, each with the one panic guard (npm/guard.js) in place of its `// @guard` line.
with_guard() {
  grep -q '^// @guard' "$1" || { echo "build.sh: $1 has no // @guard line" >&2; exit 1; }
  awk '/^\/\/ @guard/ { while ((getline line < "npm/guard.js") > 0) print line; next } { print }' "$1" > "$2"
}
with_guard npm/node/index.cjs "$out/node/index.cjs"
with_guard npm/web/index.js "$out/web/index.js"

if $test_panic; then
  echo 'module.exports.__panicForTests = guard(wasm.__panicForTests);' >> "$out/node/index.cjs"
  echo 'export const __panicForTests = guard(wasm.__panicForTests);' >> "$out/web/index.js"
  printf 'built %s/ (the test-panic wasm, for the tests of the panic guard)\n' "$out"
  exit 0
fi

cp npm/index.js npm/index.d.ts npm/api.d.ts npm/cli.js pkg/
for file in npm/web/*; do
  [ "$file" = npm/web/index.js ] || cp "$file" pkg/web/
done
cp npm/types.d.ts pkg/types.d.ts
# CommonJS consumers (require) get .d.cts twins, as TypeScript's node16 resolution requires.
cp npm/types.d.ts pkg/types.d.cts
sed 's|"./types.js"|"./types.cjs"|' npm/api.d.ts > pkg/api.d.cts
sed 's|"./types.js"|"./types.cjs"|; s|"./api.js"|"./api.cjs"|; s|ES-module entry|CommonJS entry|' npm/index.d.ts > pkg/index.d.cts
chmod +x pkg/cli.js
# The package's own README (npm install and usage by package name); the repository's has the
# developer commands.
cp npm/README.md pkg/README.md
cp LICENSE pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json

printf 'built pkg/ (inferplan %s): %s bytes of wasm, shared by the web and node entries\n' "$version" \
  "$(wc -c < pkg/web/inferplan_bg.wasm)"
