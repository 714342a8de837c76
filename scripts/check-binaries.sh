#!/usr/bin/env bash
# The deployed functions must not contain development auth. Builds the functions exactly
# as `make build` selects them — the same packages, the release profile, no features (so
# no test crate can switch `dev-auth` on through feature unification) — and fails if a
# binary holds a development header name or the variable that switched it on.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
eval "$(grep -m1 '^FUNCTIONS=' scripts/build.sh)"
packages=()
for f in "${FUNCTIONS[@]}"; do
    packages+=(--package "$f")
done
started=$SECONDS
cargo build --quiet --release --bins "${packages[@]}"
status=0
for f in "${FUNCTIONS[@]}"; do
    bin="target/release/$f"
    # A string every function does contain: proves the search reads the binary.
    if ! grep -qaF TABLE_NAME "$bin"; then
        echo "check-binaries: $bin: cannot find TABLE_NAME; is this the function?" >&2
        status=1
    fi
    for s in x-dev-sub x-dev-tenant x-dev-roles MYNUMBER_DEV_AUTH; do
        if grep -qaF "$s" "$bin"; then
            echo "check-binaries: $bin contains '$s': development auth is compiled in" >&2
            status=1
        fi
    done
done
if [ "$status" -eq 0 ]; then
    echo "check-binaries: ${FUNCTIONS[*]}: release builds hold no development auth ($((SECONDS - started)) s)"
fi
exit "$status"
