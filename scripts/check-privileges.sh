#!/usr/bin/env bash
# Least privilege in the dependency graph, as the template has it in IAM: only intake's
# and collect's builds can encrypt and only lookup's can decrypt (mynumber-aws's `encrypt` and `decrypt`
# features), and the review, the purge and the backstop have no KMS client in their
# dependency tree at all; intake, lookup and the backstop have no S3 client (photos are
# collect's, the review's and the purge's); only the review has an SES client (it has no
# KMS key); the console has no AWS client at all (no mynumber-aws, no aws-sdk-*: it holds
# static pages and draws QR codes); certify's build signs with the certificate key and can
# neither encrypt nor decrypt (mynumber-aws's `sign`). Fails closed: a function whose graph cannot be read fails the check. Run by
# scripts/test.sh; scripts/check-binaries.sh then reads the functions' binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
fail() { echo "check-privileges: $*" >&2; status=1; }

console_deps="$(cargo tree --offline -p console -e normal --prefix none)" || fail "cannot read console's dependencies"
[ -n "$console_deps" ] || fail "console has an empty dependency graph"
if grep -Eq '^(mynumber-aws|aws-sdk-[a-z0-9]+|aws-config) ' <<<"$console_deps"; then
    fail "console has an AWS client in its dependency tree"
fi

for f in intake review lookup collect purge backstop notify certify; do
    features="$(cargo tree --offline -p "$f" -e features --prefix none)" || { fail "cannot read $f's features"; continue; }
    deps="$(cargo tree --offline -p "$f" -e normal --prefix none)" || { fail "cannot read $f's dependencies"; continue; }
    [ -n "$deps" ] || { fail "$f has an empty dependency graph"; continue; }
    has() { grep -q "mynumber-aws feature \"$1\"" <<<"$features"; }
    kms=no
    grep -q '^aws-sdk-kms ' <<<"$deps" && kms=yes
    s3=no
    grep -q '^aws-sdk-s3 ' <<<"$deps" && s3=yes
    ses=no
    grep -q '^aws-sdk-sesv2 ' <<<"$deps" && ses=yes
    # Email (SES): the review (a link by email) and notify (reminders) only; no function
    # that holds a KMS key.
    case "$f" in
        review | notify) has mail || fail "$f has no mailer" ;;
        *) [ "$ses" = no ] || fail "$f has aws-sdk-sesv2 in its dependency tree" ;;
    esac
    # Document photos: collect, the review and the purge only (the template's S3 statements).
    case "$f" in
        intake | lookup | backstop | notify | certify) [ "$s3" = no ] || fail "$f has aws-sdk-s3 in its dependency tree" ;;
        *) has documents || fail "$f has no documents bucket client" ;;
    esac
    # The scheduled functions take no HTTP request: no HTTP layer, no JWT verification.
    case "$f" in
        purge | backstop | notify)
            ! grep -Eq '^(lambda_http|mynumber-http|mynumber-auth|jsonwebtoken) ' <<<"$deps" ||
                fail "$f links an HTTP or JWT crate it does not use" ;;
    esac
    case "$f" in
        intake) has encrypt || fail "intake cannot encrypt"; ! has decrypt || fail "intake can decrypt" ;;
        lookup) has decrypt || fail "lookup cannot decrypt"; ! has encrypt || fail "lookup can encrypt" ;;
        collect) has encrypt || fail "collect cannot encrypt"; ! has decrypt || fail "collect can decrypt" ;;
        # The certificate key only: it signs, and holds no data key and no MAC key.
        certify) has sign || fail "certify cannot sign"; ! has encrypt && ! has decrypt || fail "certify can encrypt or decrypt" ;;
        *) [ "$kms" = no ] || fail "$f has aws-sdk-kms in its dependency tree" ;;
    esac
done
[ "$status" -eq 0 ] && echo "check-privileges: intake and collect encrypt, lookup alone decrypts, review, purge and backstop have no KMS client, intake, lookup and backstop no S3 client, purge and backstop no HTTP or JWT crate, only review and notify send email, certify only signs, console no AWS client"
exit "$status"
