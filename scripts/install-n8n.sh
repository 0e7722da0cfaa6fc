#!/usr/bin/env bash
# Installs the pinned n8n used by the end-to-end tests, the demo, `npm run dev` and the benchmark,
# once, into a cache folder outside the repository; later runs reuse it. Prints where it is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/node24.sh"
N8N_VERSION="${N8N_VERSION:-2.41.1}"
dir="$PROCORE_CACHE/n8n-$N8N_VERSION"
if [ -x "$dir/node_modules/.bin/n8n" ] && [ -f "$dir/.ready" ]; then
  echo "$dir"; exit 0
fi
echo "Installing n8n $N8N_VERSION into $dir (first time only: about 5-8 minutes, ~3 GB) ..." >&2
mkdir -p "$dir"
# --ignore-scripts: the Kafka node's install script downloads from the internet, which fails here.
# The two native addons n8n itself needs are rebuilt from source below, offline.
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error "n8n@$N8N_VERSION" >&2
echo "Building n8n's native addons (sqlite3, isolated-vm) for Node $(node --version) ..." >&2
(cd "$dir" && npm rebuild sqlite3 isolated-vm >&2)
touch "$dir/.ready"
echo "$dir"
