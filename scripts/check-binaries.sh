#!/usr/bin/env bash
# The deployed functions must not contain development auth, and hold only the KMS calls
# their role allows. Two views of the same rule:
#   1. What `make build` compiles: each package's own features (`--package f`, arm64), as
#      cargo resolves them (`cargo tree`, no compiling): no `dev-auth` feature of any
#      workspace crate (scripts/check-privileges.sh reads the same graphs for AWS clients).
#   2. What the binaries hold: all functions built together without the development
#      features (their features' union, so a superset of each one's) in the dev profile
#      (features decide what is compiled in, not the profile; the unoptimised build keeps
#      every string the code holds): no development header name or the variable that
#      switched it on, and no KMS service name where the role has no KMS. One build, where
#      one per package compiled the SDK once per feature set (about 8 minutes of CI).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
eval "$(grep -m1 '^FUNCTIONS=' scripts/build.sh)"
started=$SECONDS
status=0

packages=()
for f in "${FUNCTIONS[@]}"; do
    packages+=(--package "$f")
    tree="$(cargo tree --quiet --package "$f" --target aarch64-unknown-linux-gnu \
        --edges normal,features --prefix none)"
    enabled="$(grep -E '^[a-z-]+ feature "dev-auth"' <<<"$tree" | sort -u || true)"
    if [ -n "$enabled" ]; then
        echo "check-binaries: $f's release build enables development auth:" >&2
        echo "$enabled" >&2
        status=1
    fi
done

t0=$SECONDS
cargo build --quiet --bins "${packages[@]}"
echo "check-binaries: built ${FUNCTIONS[*]} in $((SECONDS - t0)) s"
for f in "${FUNCTIONS[@]}"; do
    bin="target/debug/$f"
    # A string the function does contain: proves the search reads the binary.
    marker=TABLE_NAME
    [ "$f" = console ] && marker=OAUTH_TOKEN_URL
    if ! grep -qaF "$marker" "$bin"; then
        echo "check-binaries: $bin: cannot find $marker; is this the function?" >&2
        status=1
    fi
    for s in x-dev-sub x-dev-tenant x-dev-roles MYNUMBER_DEV_AUTH; do
        if grep -qaF "$s" "$bin"; then
            echo "check-binaries: $bin contains '$s': development auth is compiled in" >&2
            status=1
        fi
    done
    # KMS's service name is in every binary that has a KMS client (intake, lookup, collect,
    # certify).
    case "$f" in
        review | purge | backstop | notify | console)
            if grep -qaF TrentService "$bin"; then
                echo "check-binaries: $bin holds a KMS client; its role has no KMS" >&2
                status=1
            fi
            ;;
        *)
            if ! grep -qaF TrentService "$bin"; then
                echo "check-binaries: $bin: cannot find KMS's service name; is the check blind?" >&2
                status=1
            fi
            ;;
    esac
done
if [ "$status" -eq 0 ]; then
    echo "check-binaries: ${FUNCTIONS[*]}: no development auth in their release features or binaries; no KMS client in review, purge, backstop, notify or console ($((SECONDS - started)) s)"
fi
exit "$status"
