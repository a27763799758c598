#!/usr/bin/env bash
# Make sure a headless-capable Chromium is at /usr/bin/chromium (for the `browser` vitest project, which
# playwright drives with launchOptions.executablePath, and the report and example-page tests).
# Idempotent: does nothing when it is already installed. Installs the Debian `chromium` package
# otherwise (needs root and apt-get). Exits non-zero with a clear message on failure.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

fail() {
  echo "ensure-chromium: $*" >&2
  exit 1
}

if [[ -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: $CHROMIUM is present: $("$CHROMIUM" --version 2>/dev/null || echo 'version unknown')"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "$CHROMIUM is missing and apt-get is not available; install Chromium by hand."

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || fail "$CHROMIUM is missing and installing it needs root (no sudo found)."
  SUDO=(sudo)
fi

echo "ensure-chromium: $CHROMIUM is missing; running: ${SUDO[*]} apt-get update"
"${SUDO[@]}" apt-get update || fail "apt-get update failed."

echo "ensure-chromium: running: ${SUDO[*]} apt-get install -y --no-install-recommends chromium"
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends chromium \
  || fail "apt-get install chromium failed."

[[ -x "$CHROMIUM" ]] || fail "the chromium package installed but $CHROMIUM is still missing."
echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
