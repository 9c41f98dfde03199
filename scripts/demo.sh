#!/usr/bin/env bash
# The README's "run it" command: a loopback rsync daemon, a demo directory and
# sersync2 mirroring it, with a few changes made for you. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rsync >/dev/null 2>&1; then
  echo "sersync-ts demo: rsync is not installed. Install it first:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y rsync" >&2
  exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
exec node dist/scripts/demo.js "$@"
