#!/usr/bin/env bash
# The deployed functions must not contain development auth, and hold only the KMS calls
# their role allows. Builds the functions with the features `make build` gives them — each
# package on its own (so no other function or test crate can switch a feature on through
# unification), in the dev profile (features decide what is compiled in, not the profile;
# the unoptimised build keeps every string the code holds, and it reuses the dependencies
# the contract fuzzer's stack compiled per function just before, where a profile of its
# own compiled the whole SDK again: about 5 minutes of CI) — which also proves each
# compiles with its own features alone; then fails
# if a binary holds a development header name or the variable that switched it on, or if
# the review, the purge, the backstop or notify holds a KMS client at all.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
eval "$(grep -m1 '^FUNCTIONS=' scripts/build.sh)"
started=$SECONDS
took=()
for f in "${FUNCTIONS[@]}"; do
    t0=$SECONDS
    cargo build --quiet --bins --package "$f"
    took+=("$f $((SECONDS - t0)) s")
done
# Where its minutes go (CI's budget is watched per phase).
(IFS=,; echo "check-binaries: builds: ${took[*]}")
status=0
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
    # KMS's service name is in every binary that has a KMS client (intake, lookup, collect).
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
    echo "check-binaries: ${FUNCTIONS[*]}: builds with their release features hold no development auth; no KMS client in review, purge, backstop, notify or console ($((SECONDS - started)) s)"
fi
exit "$status"
