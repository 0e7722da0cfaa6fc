#!/usr/bin/env bash
# Installs what the browser end-to-end test (test/e2e/browser.test.mjs) needs: Debian's Chromium
# (skipped if /usr/bin/chromium is already there) and playwright-core, pinned in devDependencies
# and driving that Chromium (no browser download of its own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium from Debian ..." >&2
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >&2 || true
  $sudo_cmd apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
fi
/usr/bin/chromium --version 2>/dev/null >&2
PLAYWRIGHT_CORE_VERSION=1.65.1
if [ ! -f node_modules/playwright-core/package.json ] || \
   [ "$(node -p "require('./node_modules/playwright-core/package.json').version")" != "$PLAYWRIGHT_CORE_VERSION" ]; then
  # Normally `npm ci` has installed it already (it is a pinned devDependency).
  echo "Installing playwright-core@$PLAYWRIGHT_CORE_VERSION ..." >&2
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-save --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION" >&2
fi
echo "playwright-core $(node -p "require('./node_modules/playwright-core/package.json').version")" >&2
