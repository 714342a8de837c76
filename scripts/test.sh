#!/usr/bin/env bash
# `make test`: lints, then every test of the workspace, then one closing summary line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Each phase's time, so that the CI budget (40 minutes on 2 cores) is watched where it goes.
phase() { printf 'test.sh: %s done at %d s\n' "$1" "$SECONDS"; }
"$root/scripts/tools.sh"
"$root/scripts/browser-deps.sh" # Chromium + chromedriver for the browser tests (apt-get)
phase tools
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
phase clippy
"$root/scripts/check-privileges.sh"
"$root/scripts/infra-check.sh"
phase infra-check
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
# The local stack's binaries first: the suite's journeys through the local gateway run them.
"$root/scripts/build-local.sh"
cargo test --workspace --all-targets 2>&1 | tee "$log" || status=$?
phase "cargo test"
"$root/scripts/fuzz.sh" || status=1 # schemathesis against the local stack, from docs/openapi.json
phase fuzz
# The functions' release features and binaries hold no development auth.
"$root/scripts/check-binaries.sh" || status=1
phase check-binaries
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
