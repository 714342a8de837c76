#!/usr/bin/env bash
# The browser tests' real browser: Debian's Chromium and ChromeDriver, and a small Japanese
# font (without one, Japanese renders as empty boxes in headless Chromium; the certificate
# PDF compiles the same font in: functions/certify/build.rs); and poppler-utils, whose
# pdftotext, pdfinfo and pdffonts read the certificate PDFs back in the tests. Installed with
# apt-get from Debian's archive when missing; nothing else is downloaded (the tests start
# chromedriver themselves, and Chromium never fetches anything: see tests/src/browser.rs).
# And axe-core, pinned, from the npm registry into .local/ (npm checks the package's
# integrity): the tests inject it into the pages they drive to find WCAG violations; the
# pages themselves never load it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
AXE_VERSION=4.14.1
axe_dir="$root/.local/axe-core-$AXE_VERSION"
if [ ! -f "$axe_dir/axe.min.js" ]; then
  mkdir -p "$axe_dir"
  tarball="$(cd "$axe_dir" && npm pack --silent "axe-core@$AXE_VERSION")"
  tar -xzf "$axe_dir/$tarball" -C "$axe_dir" --strip-components=1 package/axe.min.js package/LICENSE
  rm -f "$axe_dir/$tarball"
  echo "browser-deps: axe-core $AXE_VERSION in $axe_dir"
fi
want=(chromium chromium-driver fonts-ipafont-gothic poppler-utils)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "browser-deps: installing ${missing[*]} (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
chromium --version
chromedriver --version
