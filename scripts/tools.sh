#!/usr/bin/env bash
# Installs the pinned local tools (moto server, cargo-lambda) into ./.venv when missing.
# Idempotent: a stamp file records the requirements it was built from.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
req="$root/scripts/requirements-dev.txt"
stamp="$venv/.installed-from"
if [ -f "$stamp" ] && cmp -s "$stamp" "$req"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
echo "tools installed into $venv" >&2
