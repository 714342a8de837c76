#!/usr/bin/env bash
# make build: the nine Lambda functions as release arm64 zips for infra/template.yaml,
#   target/lambda/{intake,review,lookup,collect,purge,backstop,notify,console,certify}/bootstrap.zip   (the template's CodeUri; SAM uploads
#                                                        a .zip CodeUri as it is)
# Installs what is missing first: the pinned tools of scripts/tools.sh (cargo-lambda), the
# pinned ziglang of scripts/requirements-infra.txt ([venv]) and the rustup target. Only the
# function binaries are built: not the local helpers mynumber-bootstrap and bench-purge.
# Fails when a zip is over 2.5 MB (2,500,000 bytes), the size `make bench` holds every
# function to (issue 14); certify's limit is that plus what its compiled-in font file (the
# PDF's Japanese glyphs: IPA Gothic, Debian's fonts-ipafont-gothic, or CERTIFICATE_FONT)
# takes in a zip, deflated at the highest level: the rest of certify keeps to 2.5 MB too;
# lookup's is that plus 0.4 MB for the spreadsheet writer of the exports' .xlsx.
set -euo pipefail

FUNCTIONS=(intake review lookup collect purge backstop notify console certify)
MAX_ZIP_BYTES=2500000
TARGET=aarch64-unknown-linux-gnu

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"

./scripts/tools.sh

# ziglang (the cross linker cargo-lambda uses) at its pinned version.
zig_pin="$(awk '/^# \[/ { on = ($0 == "# [venv]"); next } on && /^ziglang==/ { print; exit }' \
    scripts/requirements-infra.txt)"
if [ -z "$zig_pin" ]; then
    echo "build: no ziglang pin in the [venv] section of scripts/requirements-infra.txt" >&2
    exit 1
fi
have_zig="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ziglang"))' 2>/dev/null || true)"
if [ "ziglang==$have_zig" != "$zig_pin" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input "$zig_pin"
    echo "build: installed $zig_pin into .venv" >&2
fi

if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

export PATH="$venv/bin:$PATH"
started=$SECONDS
# One package at a time: built together, the functions would share one feature set of
# mynumber-aws, and the purge would link lookup's Decrypt.
for f in "${FUNCTIONS[@]}"; do
    cargo lambda build --release --arm64 --output-format zip --package "$f"
done
echo "build: cargo lambda build took $((SECONDS - started)) s"

status=0
for f in "${FUNCTIONS[@]}"; do
    zip="target/lambda/$f/bootstrap.zip"
    if [ ! -f "$zip" ]; then
        echo "build: $zip is missing" >&2
        status=1
        continue
    fi
    bytes=$(stat -c %s "$zip")
    mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1000000 }')
    limit=$MAX_ZIP_BYTES
    if [ "$f" = certify ]; then
        font="${CERTIFICATE_FONT:-/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf}"
        font_zipped="$(python3 -c 'import sys, zlib
print(len(zlib.compress(open(sys.argv[1], "rb").read(), 9)))' "$font")"
        limit=$((MAX_ZIP_BYTES + font_zipped))
        echo "build: certify's font $font: $(stat -c %s "$font") bytes, $font_zipped deflated"
    fi
    if [ "$f" = lookup ]; then
        # The export's file as .xlsx (issue 28): rust_xlsxwriter with the zip and zlib-rs
        # deflate it needs, which no crate feature leaves out, measured at 0.35 MB
        # (2,628,386 bytes in all on 2026-12-08). Only lookup, which makes the file, links it.
        limit=$((MAX_ZIP_BYTES + 400000))
    fi
    if [ "$bytes" -gt "$limit" ]; then
        printf 'build: %-7s %s  %10d bytes  %s MB  TOO LARGE (limit %d bytes)\n' \
            "$f" "$zip" "$bytes" "$mb" "$limit" >&2
        status=1
    else
        printf 'build: %-7s %s  %10d bytes  %s MB\n' "$f" "$zip" "$bytes" "$mb"
    fi
done
exit "$status"
