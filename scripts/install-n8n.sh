#!/usr/bin/env bash
# Installs the pinned n8n used by the end-to-end tests, the demo, `npm run dev` and the benchmark,
# once, into a cache folder outside the repository; later runs reuse it. Prints where it is.
# Another version: `scripts/install-n8n.sh 1.123.81` (or N8N_VERSION=1.123.81), each in its own folder.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/node24.sh"
N8N_VERSION="${1:-${N8N_VERSION:-2.41.1}}"
dir="$PROCORE_CACHE/n8n-$N8N_VERSION"
if [ -x "$dir/node_modules/.bin/n8n" ] && [ -f "$dir/.ready" ]; then
  echo "$dir"; exit 0
fi
echo "Installing n8n $N8N_VERSION into $dir" >&2
echo "(first time only: about 5-8 minutes and ~3 GB of disk; later runs reuse it)" >&2
mkdir -p "$dir"
started=$SECONDS

# npm shows no progress when its output is not a terminal (and its log is minutes of silence even
# when it is), so report the size of the folder as it fills, every 20 seconds, until the step ends.
with_progress() {
  local what="$1"; shift
  "$@" >&2 &
  local pid=$!
  while ! wait_or_tick "$pid"; do
    printf '  ... %s: %s on disk so far (%d s)\n' "$what" "$(du -sh "$dir" 2>/dev/null | cut -f1)" "$((SECONDS - started))" >&2
  done
  wait "$pid"
}
# Succeeds once the process has ended; fails after 20 s while it is still running.
wait_or_tick() {
  local i
  for i in $(seq 1 20); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 1
  done
  return 1
}

# --ignore-scripts: the Kafka node's install script downloads from the internet, which fails here.
# The two native addons n8n itself needs are rebuilt from source below, offline.
# n8n 1.x's nodes-base takes xlsx from a URL outside the registry, which cannot be reached here;
# the registry's xlsx 0.18.5 stands in for it (npm applies overrides only from the top package.json).
if [ "${N8N_VERSION%%.*}" = "1" ]; then
  printf '{ "private": true, "overrides": { "xlsx": "0.18.5" } }\n' >"$dir/package.json"
fi
echo "Downloading n8n and its packages from the npm registry ..." >&2
with_progress downloading npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error "n8n@$N8N_VERSION"
# n8n 1.x has no isolated-vm: only the addons that are there are built.
addons=""
for addon in sqlite3 isolated-vm; do
  [ -d "$dir/node_modules/$addon" ] && addons="$addons $addon"
done
echo "Building n8n's native addons ($addons ) for Node $(node --version), about 1-2 minutes ..." >&2
with_progress building bash -c 'cd "$1" && shift && npm rebuild "$@"' _ "$dir" $addons
touch "$dir/.ready"
echo "n8n $N8N_VERSION is ready ($(du -sh "$dir" | cut -f1), $((SECONDS - started)) s)" >&2
echo "$dir"
