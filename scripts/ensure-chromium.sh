#!/usr/bin/env bash
# Browser tests drive Debian's Chromium. Install it when missing and we may (root, apt-get).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
  echo "Chromium is not installed and we are not root: browser tests will be skipped."
  echo "Install it with: sudo apt-get install chromium"
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
