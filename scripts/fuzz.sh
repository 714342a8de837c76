#!/usr/bin/env bash
# Contract fuzzing (`make test` runs it after the cargo tests): schemathesis, pinned in
# scripts/requirements-fuzz.txt and installed into .local/venv-fuzz, generates requests from
# docs/openapi.json with every check on, a fixed seed and FUZZ_EXAMPLES examples per operation
# and phase, and sends them to the local stack (scripts/dev.sh: moto + bootstrap + the local
# gateway), which this script starts headless on free ports of its own, checks (each function
# answers one request with success) and stops again.
#
# Every scratch file (schemathesis' config, hooks and reports, .hypothesis/, the stack's logs)
# lives in a temporary directory outside the workspace.
#
#   FUZZ_EXAMPLES=N       examples per operation and phase (default 50: with the 31
#                         operations, about 2,600 cases, coverage + fuzzing + stateful;
#                         CI's 40 minutes on 2 cores set the figure)
#   FUZZ_SEED=N           the seed (default fixed, so that every run sends the same cases)
#   FUZZ_PORT, FUZZ_MOTO_PORT   ports of the stack (default: free ones)
#   FUZZ_URL=http://…     fuzz a stack already running there (e.g. `make dev`) instead
#   FUZZ_KEEP=1           keep the scratch directory (always kept when the run fails)
#
# Exit status: 0 only when schemathesis found no failure and no error; 1 when the stack did
# not come up, else schemathesis' own.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/tools.sh"

examples="${FUZZ_EXAMPLES:-50}"
seed="${FUZZ_SEED:-20261125}"
say() { printf 'fuzz: %s\n' "$*"; }

# The fuzzer in its own virtualenv, rebuilt when its pins change.
venv="$root/.local/venv-fuzz"
req="$root/scripts/requirements-fuzz.txt"
if ! { [ -f "$venv/.installed-from" ] && cmp -s "$venv/.installed-from" "$req"; }; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req"
  cp "$req" "$venv/.installed-from"
  say "schemathesis installed into $venv"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/mynumber-fuzz.XXXXXX")"
if [ -n "${FUZZ_PORT:-}" ] && [ -n "${FUZZ_MOTO_PORT:-}" ]; then
  port="$FUZZ_PORT" moto_port="$FUZZ_MOTO_PORT"
else
  read -r port moto_port < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
fi
base="http://127.0.0.1:$port"

# Every process of the stack inherits this mark, so that whatever dev.sh's own clean-up
# misses is found by its environment and stopped by its id.
mark="MYNUMBER_FUZZ_RUN=$work"
marked() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "$mark" && echo "${p#/proc/}"
  done
  return 0
}
stack=""
status=1
finish() {
  trap - EXIT INT TERM
  if [ -n "$stack" ]; then
    # dev.sh's trap stops moto, the functions and the log shipper.
    kill -TERM "$stack" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$stack" 2>/dev/null || break; sleep 0.1; done
    local left
    left="$(marked)"
    if [ -n "$left" ]; then
      # shellcheck disable=SC2086
      kill -TERM $left 2>/dev/null || true
      sleep 1
      left="$(marked)"
      # shellcheck disable=SC2086
      [ -z "$left" ] || kill -KILL $left 2>/dev/null || true
    fi
    wait "$stack" 2>/dev/null || true
    if [ -n "$(marked)" ]; then
      say "processes of the stack are still running: $(marked | tr '\n' ' ')"
      status=1
    fi
  fi
  if [ "$status" -eq 0 ] && [ "${FUZZ_KEEP:-0}" != 1 ]; then
    rm -rf "$work"
  else
    say "scratch files, reports and the stack's logs are in $work"
  fi
  exit "$status"
}
trap finish EXIT INT TERM

if [ -n "${FUZZ_URL:-}" ]; then
  base="$FUZZ_URL"
  say "fuzzing the stack at $base"
else
  say "starting the stack on $base (moto on port $moto_port; logs in $work/stack)"
  # Every request comes from this machine's one address: the per-client limit of the
  # employee's routes (tested in the suite) would answer most of them 429.
  env "$mark" PORT="$port" MOTO_PORT="$moto_port" DEV_HEADLESS=1 DEV_LOG_DIR="$work/stack" \
    CLIENT_LIMIT_PER_MINUTE=1000000 \
    setsid "$root/scripts/dev.sh" </dev/null >"$work/stack.out" 2>&1 &
  stack=$!
fi
alive() { [ -z "$stack" ] || kill -0 "$stack" 2>/dev/null; }

# The gateway answers once the functions are built and bootstrap is done (cold: minutes).
started=$SECONDS
deadline=$((SECONDS + ${FUZZ_STARTUP_TIMEOUT:-1800}))
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/" || true)" != 000 ]; do
  if ! alive || [ $SECONDS -ge $deadline ]; then
    say "the stack did not come up:"
    tail -n 30 "$work/stack.out" >&2 || true
    exit 1
  fi
  sleep 1
done

# Every function answers before fuzzing starts, each with a request it answers with success (in a tenant of its own, apart from the fuzzer's; 409 if an
# earlier try registered the warm-up record after all).
warm() {
  local name="$1" want="$2" code t0=$SECONDS
  shift 2
  while :; do
    code="$(curl -s -o "$work/warm-$name.json" -w '%{http_code}' --max-time 900 "$@" || true)"
    [[ "$code" =~ ^($want)$ ]] && break
    if ! alive || [ $SECONDS -ge $deadline ]; then
      say "$name did not answer $want (last: $code)"
      tail -n 30 "$work/stack/functions.log" >&2 || true
      exit 1
    fi
    sleep 2
  done
  say "$name answers ($((SECONDS - t0)) s)"
}
dev_headers=(-H 'x-dev-sub: fuzz-warmup' -H 'x-dev-tenant: fuzz-warmup')
warm intake '201|409' "$base/v1/records" "${dev_headers[@]}" -H 'x-dev-roles: registrar' \
  -H 'content-type: application/json' \
  -d '{"employee_id":"W1","relation":"self","purposes":["withholding_tax"],"refusal":{"reason":"warm-up","requested_on":"2026-01-05"}}'
warm lookup 200 "$base/v1/records?employee_id=W1" "${dev_headers[@]}" -H 'x-dev-roles: auditor'
warm review 200 "$base/v1/collections" "${dev_headers[@]}" -H 'x-dev-roles: registrar'
warm certify 200 "$base/v1/certificates" "${dev_headers[@]}" -H 'x-dev-roles: auditor'
warm collect 200 "$base/collect"
warm console 200 "$base/console"
warm purge 200 -X POST "$base/2015-03-31/functions/purge/invocations" -d @"$root/events/scheduled-event.json"
warm backstop 200 -X POST "$base/2015-03-31/functions/backstop/invocations" -d '{"Records":[]}'
say "stack ready in $((SECONDS - started)) s"

# Hooks: how to draw a `format: my-number` (12 digits whose last is the check digit of SPEC
# §2.1, written as HR staff type them). Bodies that are not UTF-8 go as they are: the local
# gateway hands them to the functions base64-encoded, as API Gateway does.
cat >"$work/hooks.py" <<'PY'
import schemathesis
from hypothesis import strategies as st

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def check_digit(first11):
    total = sum(int(first11[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = total % 11
    return 0 if r <= 1 else 11 - r


@st.composite
def my_numbers(draw):
    first11 = "".join(map(str, draw(st.lists(st.integers(0, 9), min_size=11, max_size=11))))
    n = first11 + str(check_digit(first11))
    style = draw(st.sampled_from(["plain", "hyphens", "spaces", "full-width"]))
    if style == "hyphens":
        return f"{n[:4]}-{n[4:8]}-{n[8:]}"
    if style == "spaces":
        return f"{n[:4]} {n[4:8]}\u3000{n[8:]}"
    if style == "full-width":
        return n.translate(FULL_WIDTH)
    return n


schemathesis.openapi.format("my-number", my_numbers())
PY

cat >"$work/schemathesis.toml" <<TOML
# Written by scripts/fuzz.sh. Every check is on (--checks all); what follows is only who
# calls, and the statuses that mean "valid but refused for the state it found".
# One worker: with two, CPython 3.11's ast.parse, which Hypothesis calls to describe its
# filters, fails now and then with "AST constructor recursion depth mismatch".
workers = 1
request-timeout = 60
hooks = "$work/hooks.py"

[cache]
enabled = false

[generation]
database = "none"

# The development principal (components.securitySchemes devSub, devTenant, devRoles): every
# role but admin, in a tenant of its own.
[auth.openapi.devSub]
api_key = "fuzz-user"
[auth.openapi.devTenant]
api_key = "fuzz"
[auth.openapi.devRoles]
api_key = "registrar,handler,auditor"

# A valid request may still meet the state it changes: 404 (no such record or employee), 409
# (a self record exists), 422 (an Idempotency-Key reused with another body), 429 (the reveal
# quota). The defaults plus 422; 400, 413 and 415 stay refusals.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
# An invalid request is refused with any 4xx the document declares; 413 (body over 16 KiB)
# is a refusal too. The defaults plus 413.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# Probes with methods the document does not declare never reach the functions: the local
# router, like API Gateway in AWS, answers a method without a route with its own 404.
[phases.coverage]
unexpected-methods = []

# A certificate's period runs forward (`from` not after `to`), which JSON Schema cannot say: a
# drawn period that runs backwards is the 400 `after_to` (tests/tests/suite/certificates.rs),
# not valid data refused. Only these operations take 400 for valid data.
[[operations]]
include-operation-id = "issueCertificate"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
# The same for the record of handling's period (`after_to`, and `range` past 366 days).
[[operations]]
include-operation-id = "listHandling"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]
TOML

cd "$work"
cmd=("$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$root/docs/openapi.json"
  --url "$base" --checks all --seed "$seed" --max-examples "$examples"
  --report junit --report-dir "$work/report" --no-color)
say "running: ${cmd[*]}"
t0=$SECONDS
set +e
"${cmd[@]}" 2>&1 | tee "$work/schemathesis.txt"
status=${PIPESTATUS[0]}
set -e
cases="$(awk '/^Test cases:/ { getline; print $1; exit }' "$work/schemathesis.txt")"
say "${cases:-?} cases in $((SECONDS - t0)) s, exit status $status"
