#!/usr/bin/env bash
# Debian's Chromium and chromedriver, for the HTML report's browser tests
# (tests/report/test_browser.py; without them those tests skip). Python's driver, selenium,
# comes with the dev / browser extra. Nothing to do when both are already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium and chromedriver already installed: $(chromium --version 2>/dev/null | head -n1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver
echo "installed: $(chromium --version 2>/dev/null | head -n1), $(chromedriver --version | head -n1)"
