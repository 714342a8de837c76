#!/usr/bin/env bash
# Least privilege in the dependency graph, as the template has it in IAM: only lookup's
# build can decrypt (the `decrypt` feature of mynumber-aws), and the purge and the
# backstop have no KMS client in their dependency tree at all. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
features() { cargo tree --offline -p "$1" -e features --prefix none 2>/dev/null | grep -o 'mynumber-aws feature "[a-z]*"' | sort -u; }
deps() { cargo tree --offline -p "$1" -e normal --prefix none 2>/dev/null; }
for f in intake purge backstop; do
  if features "$f" | grep -q '"decrypt"'; then
    echo "check-privileges: $f is built with mynumber-aws's decrypt feature" >&2
    status=1
  fi
done
for f in purge backstop; do
  if deps "$f" | grep -q '^aws-sdk-kms '; then
    echo "check-privileges: $f has aws-sdk-kms in its dependency tree" >&2
    status=1
  fi
done
features lookup | grep -q '"decrypt"' || { echo "check-privileges: lookup cannot decrypt" >&2; status=1; }
[ "$status" -eq 0 ] && echo "check-privileges: only lookup can decrypt; purge and backstop have no KMS client"
exit "$status"
