#!/usr/bin/env bash
# Make sure a Chrome/Chromium binary exists for PDF and chart rendering.
# On Debian/Ubuntu it installs the distribution's `chromium` package (no browser download by Playwright).
set -euo pipefail
for b in "${PULSE_BROWSER:-}" chromium chromium-browser google-chrome google-chrome-stable; do
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
    exit 0
  fi
done
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "No Chromium found: installing Debian's 'chromium' package (and poppler-utils, fonts)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q chromium poppler-utils fonts-dejavu-core >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
No Chrome or Chromium was found and this is not a Debian/Ubuntu system.
Install Chromium or Google Chrome with your package manager (e.g. `brew install --cask chromium`,
`dnf install chromium`), or point PULSE_BROWSER at the browser binary, then run the command again.
MSG
exit 1
