#!/usr/bin/env bash
# Byte-compares every answer of this working tree with those of revision BASE: the snapshot tool
# (tools/snapshot.rs, taken from this tree) runs against both over the same few hundred random
# scenarios (predict, advise, calibrate, import, catalog, and the errors of invalid input). A
# refactoring must leave them identical. BASE must have the tools/ crate.
#   scripts/compare-outputs.sh BASE [COUNT]
set -euo pipefail
base=${1:?usage: scripts/compare-outputs.sh BASE_REVISION [SCENARIO_COUNT]}
count=${2:-500}
cd "$(dirname "$0")/.."
root=$PWD
checkout=$root/target/compare-base
mkdir -p target
git worktree remove --force "$checkout" >/dev/null 2>&1 || rm -rf "$checkout"
git worktree prune
git worktree add --detach --quiet "$checkout" "$base"
trap 'git -C "$root" worktree remove --force "$checkout" >/dev/null 2>&1 || true' EXIT
cp tools/snapshot.rs "$checkout/tools/snapshot.rs"

snapshot() { # directory, output file
  (cd "$1" && cargo run --release --quiet -p inferplan-tools --bin snapshot -- "$count") > "$2"
}
echo "compare: answering $count scenarios at $base and in this tree" >&2
snapshot "$checkout" target/compare-base.jsonl
snapshot "$root" target/compare-here.jsonl
if cmp -s target/compare-base.jsonl target/compare-here.jsonl; then
  echo "compare: all $(wc -l < target/compare-here.jsonl) answers byte-identical"
else
  echo "compare: answers differ (target/compare-base.jsonl against target/compare-here.jsonl):"
  diff target/compare-base.jsonl target/compare-here.jsonl | cut -c1-400 | head -20
  exit 1
fi
