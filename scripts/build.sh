#!/usr/bin/env bash
# Builds pkg/, the npm package: one release wasm, bound twice by wasm-bindgen (pkg/web for
# browsers and bundlers, pkg/node for Node), each shrunk by binaryen's wasm-opt, plus the
# hand-written parts from npm/ and a package.json carrying the crate's version.
set -euo pipefail
cd "$(dirname "$0")/.."

# The `wasm` profile (Cargo.toml): optimised for size.
wasm=target/wasm32-unknown-unknown/wasm/inferplan.wasm
cargo build --profile wasm --target wasm32-unknown-unknown --lib --quiet

rm -rf pkg
mkdir -p pkg
for target in web nodejs; do
  dir=pkg/${target%js}
  .tools/bin/wasm-bindgen --target "$target" --out-dir "$dir" --out-name inferplan "$wasm"
  # The features Rust enables by default for wasm32 (bulk memory, sign extension,
  # non-trapping float-to-int, multi-value, reference types, mutable globals).
  node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
    --enable-multivalue --enable-reference-types --enable-mutable-globals \
    "$dir/inferplan_bg.wasm" -o "$dir/inferplan_bg.wasm"
done
# wasm-bindgen's Node glue is CommonJS; the package itself is ESM.
echo '{ "type": "commonjs" }' > pkg/node/package.json

cp npm/index.js npm/index.d.ts npm/api.d.ts npm/cli.js pkg/
cp npm/node/index.cjs pkg/node/
cp npm/web/index.js npm/web/index.d.ts npm/web/charts.js npm/web/words.js npm/web/element.js npm/web/element.d.ts pkg/web/
cp npm/types.d.ts pkg/types.d.ts
# CommonJS consumers (require) get .d.cts twins, as TypeScript's node16 resolution requires.
cp npm/types.d.ts pkg/types.d.cts
sed 's|"./types.js"|"./types.cjs"|' npm/api.d.ts > pkg/api.d.cts
sed 's|"./types.js"|"./types.cjs"|; s|"./api.js"|"./api.cjs"|; s|ES-module entry|CommonJS entry|' npm/index.d.ts > pkg/index.d.cts
chmod +x pkg/cli.js
cp README.md LICENSE pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
sed "s/\"version\": \"0.0.0\"/\"version\": \"$version\"/" npm/package.json > pkg/package.json

printf 'built pkg/ (inferplan %s): web %s bytes, node %s bytes of wasm\n' "$version" \
  "$(wc -c < pkg/web/inferplan_bg.wasm)" "$(wc -c < pkg/node/inferplan_bg.wasm)"
