#!/usr/bin/env bash
# Make sure a Chrome/Chromium binary and the fonts reports use are here (PDF and chart rendering),
# plus pdftoppm for the tests. On Debian/Ubuntu it installs the distribution's packages
# (no browser download by Playwright); elsewhere it says what to install.
set -euo pipefail

have_browser() {
  for b in "${PULSE_BROWSER:-}" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then return 0; fi
  done
  return 1
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  wanted=(fonts-dejavu-core fonts-noto-color-emoji poppler-utils)
  have_browser || wanted+=(chromium)
  missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "Installing Debian packages for rendering: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
  fi
  exit 0
fi

have_browser && exit 0
cat >&2 <<'MSG'
No Chrome or Chromium was found and this is not a Debian/Ubuntu system.
Install Chromium or Google Chrome with your package manager (e.g. `brew install --cask chromium`,
`dnf install chromium`), or point PULSE_BROWSER at the browser binary, then run the command again.
For the tests, also install poppler (pdftoppm).
MSG
exit 1
