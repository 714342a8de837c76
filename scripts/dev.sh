#!/usr/bin/env bash
# `make dev`: moto server + table/keys/log groups + the functions behind the local gateway
# (tools/gateway) on one origin (http://127.0.0.1:$PORT). Ctrl-C stops everything this script started.
# Headless (scripts/fuzz.sh): DEV_HEADLESS=1 prints no banner, and DEV_LOG_DIR puts moto.log
# and functions.log elsewhere than .local/ (so a second stack does not share them).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/tools.sh"

PORT="${PORT:-9000}"
MOTO_PORT="${MOTO_PORT:-5050}"
log_dir="${DEV_LOG_DIR:-$root/.local}"
mkdir -p "$log_dir"
export PATH="$root/.venv/bin:$PATH"
# Dummy credentials: moto accepts any; they never reach AWS.
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=ap-northeast-1
export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}"

killtree() {
  local c
  for c in $(pgrep -P "$1"); do killtree "$c"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  for c in $(pgrep -P $$); do killtree "$c"; done
  wait 2>/dev/null || true
  echo "stopped moto server, the functions and the log shipper"
}
trap cleanup EXIT INT TERM

# The suite's moto (scripts/moto_test.py): transactions isolated and rolled back per item,
# not by a deep copy of the whole table per item, which made a long fuzzing run (thousands
# of items) slower with every write until requests timed out.
"$root/scripts/moto-test-server" -H 127.0.0.1 -p "$MOTO_PORT" >"$log_dir/moto.log" 2>&1 &
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$MOTO_PORT") 2>/dev/null && break
  sleep 0.1
done

echo "creating the table, keys, documents bucket, mail identity and log groups on moto (${AWS_ENDPOINT_URL})…"
# PUBLIC_BASE_URL: the form's origin, the only one the bucket's CORS lets PUT photos.
# scripts/build-local.sh builds every binary of the stack, the bootstrap too.
"$root/scripts/build-local.sh" bootstrap
settings="$(PUBLIC_BASE_URL="http://127.0.0.1:${PORT}" "$root/target/debug/mynumber-bootstrap")"
# Lines are KEY=value with ids only.
eval "$settings"

if [ "${DEV_HEADLESS:-0}" = 1 ]; then
  echo "mynumber-vault is starting on http://127.0.0.1:${PORT} (moto on ${AWS_ENDPOINT_URL})"
else
cat <<MSG

mynumber-vault is starting on http://127.0.0.1:${PORT}

The HR console: http://127.0.0.1:${PORT}/console — pick a principal (registrar, handler,
auditor) at the top of the page; it sets the development headers below for you.

Local mode: the principal comes from x-dev-sub / x-dev-tenant / x-dev-roles headers.

Mail the vault sends (a link created with "email") is kept by moto, not delivered:
  curl -s ${AWS_ENDPOINT_URL}/moto-api/data.json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["ses"]["Message"], ensure_ascii=False, indent=1))'

  # register a number (registrar)
  curl -s http://127.0.0.1:${PORT}/v1/records -H 'content-type: application/json' \\
    -H 'x-dev-sub: hr-sato' -H 'x-dev-tenant: acme' -H 'x-dev-roles: registrar' \\
    -d '{"employee_id":"E0001","relation":"self","my_number":"123456789018",
         "purposes":["withholding_tax","social_insurance"],
         "verification":{"number_check":"my_number_card","identity_check":"my_number_card","verified_on":"2026-04-01"}}'

  # reveal it for a stated purpose (handler); use the record_id printed above
  curl -s -X POST http://127.0.0.1:${PORT}/v1/records/RECORD_ID/reveal -H 'content-type: application/json' \\
    -H 'x-dev-sub: payroll-suzuki' -H 'x-dev-tenant: acme' -H 'x-dev-roles: handler' \\
    -d '{"purpose":"withholding_tax"}'

  # list an employee's records (registrar, handler or auditor)
  curl -s 'http://127.0.0.1:${PORT}/v1/records?employee_id=E0001' \\
    -H 'x-dev-sub: audit-tanaka' -H 'x-dev-tenant: acme' -H 'x-dev-roles: auditor'

  # open a collection link for an employee (registrar); the employee opens its "url"
  # (http://127.0.0.1:${PORT}/collect#TOKEN) on a phone or in a browser and submits
  curl -s http://127.0.0.1:${PORT}/v1/collections -H 'content-type: application/json' \\
    -H 'x-dev-sub: hr-sato' -H 'x-dev-tenant: acme' -H 'x-dev-roles: registrar' \\
    -d '{"employee_id":"E0002","purposes":["withholding_tax"],"include_family":true}'

  # review what was submitted: confirm with the verification used (registrar)
  curl -s -X POST http://127.0.0.1:${PORT}/v1/records/RECORD_ID/confirm -H 'content-type: application/json' \\
    -H 'x-dev-sub: hr-sato' -H 'x-dev-tenant: acme' -H 'x-dev-roles: registrar' \\
    -d '{"verification":{"number_check":"notification_card","identity_check":"photo_id","verified_on":"2026-04-01"}}'

  # run the daily purge now
  curl -s -X POST http://127.0.0.1:${PORT}/2015-03-31/functions/purge/invocations -d @events/scheduled-event.json

  # audit review of this session (from moto's CloudWatch Logs, while this runs)
  AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=ap-northeast-1 \\
    target/debug/mynumber-audit review --since $(date -u +%Y-%m-%dT%H:%M:%SZ)

Ctrl-C stops everything.
MSG
fi

# The functions' environment, as the template sets it in AWS (the gateway passes its own
# environment on to them).
export TABLE_NAME KMS_KEY_ID MAC_KEY_ID CERTIFICATE_KEY_ID DOCUMENTS_BUCKET MAIL_FROM
export PUBLIC_BASE_URL="http://127.0.0.1:${PORT}"
export MYNUMBER_DEV_AUTH=1
export STORAGE_ORIGIN="${AWS_ENDPOINT_URL}"
export RUST_LOG="${RUST_LOG:-info}"
functions="$(cd functions && ls -d -- * | paste -sd, -)"
echo "building the functions, the gateway and the audit CLI…"
"$root/scripts/build-local.sh"
# As Lambda sends function output to CloudWatch Logs in AWS, the functions' audit lines go
# to moto's log groups here, so `mynumber-audit review` reads the local stack like a real one.
log="$log_dir/functions.log"
: >"$log"
tail -n0 -F "$log" 2>/dev/null | "$root/target/debug/mynumber-audit" ship --stack mynumber-vault >/dev/null 2>&1 &
# Development auth (and the console's principal picker) exists only in builds with the
# dev-auth features, which `make build` never enables (scripts/check-binaries.sh checks).
# The gateway (tools/gateway) stands for API Gateway and Lambda: the route table of the
# workspace Cargo.toml on one origin, each function's binary under a runtime API of its own.
# A change to the code takes effect when `make dev` is started again.
"$root/target/debug/mynumber-gateway" --listen "127.0.0.1:${PORT}" --manifest "$root/Cargo.toml" \
  --bin-dir "$root/target/debug" --functions "$functions" 2>&1 | tee -a "$log" &
wait $!
