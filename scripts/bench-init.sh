#!/usr/bin/env bash
# make bench: init time of each function next to a hello-world lambda_runtime function,
# all built here (x86_64, the release profile) in this run. Each function is built on its
# own, as scripts/build.sh builds it, so that it has exactly its own features.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for p in hello-lambda intake review lookup collect purge backstop notify console certify; do
  cargo build --quiet --release -p "$p" --bin "$p"
  cp "target/release/$p" "$out/$p"
done
cargo run --quiet -p mynumber-tests --bin bench-init -- "$out" "${INIT_ROUNDS:-20}"
