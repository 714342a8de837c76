#!/usr/bin/env bash
# The local stack's binaries, as `make dev` runs them: every function, the gateway in front
# of them (tools/gateway), the audit CLI and (on its own) the bootstrap, built with the workspace's features (no `-p`)
# plus the development ones: one set of dependencies, the one `cargo test` compiled, where a
# package's own features would compile the SDK again. scripts/dev.sh runs them; the suite's
# journeys through the gateway (tests/src/local.rs) run them too, so scripts/test.sh builds
# them before `cargo test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dev_features=mynumber-http/dev-auth,console/dev-auth
# `build-local.sh bootstrap`: only the bootstrap (scripts/dev.sh runs it first), with the
# feature that gives it its AWS set-up code.
if [ "${1:-}" = bootstrap ]; then
  exec cargo build --quiet --features "$dev_features,mynumber-aws/bootstrap" --bin mynumber-bootstrap
fi
bins=()
for f in functions/*/; do bins+=(--bin "$(basename "$f")"); done
cargo build --quiet --features "$dev_features" "${bins[@]}" --bin mynumber-gateway --bin mynumber-audit
