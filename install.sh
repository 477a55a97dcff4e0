#!/usr/bin/env bash
# One command installs everything the pipeline and its tests need:
#   * the package with its test dependencies, in the active Python environment;
#   * Debian's chromium, which the executive-dashboard test drives headless (only when it
#     is missing, and only where apt-get can run as root; elsewhere it says what to do).
set -euo pipefail
cd "$(dirname "$0")"

python -m pip install -q -e ".[dev]"

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
else
  echo "install.sh: chromium is not installed; the dashboard browser test needs it" \
       "(Debian/Ubuntu: sudo apt-get install chromium)." >&2
fi
