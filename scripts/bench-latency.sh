#!/usr/bin/env bash
# Latency and burst benchmark of the real-time engine against a loopback rsync
# daemon with auth (see scripts/bench-latency.ts for what is measured).
#   scripts/bench-latency.sh [--breakdown] [--daemon-nodelay] [--quiet-ms N] ...
# Set TMPDIR=/dev/shm/... to keep both sides on tmpfs (measures the engine, not
# the disk: on a slow disk, creating 5,000 files on the remote alone can take
# seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rsync >/dev/null 2>&1; then
  echo "bench-latency: rsync is not installed (sudo apt-get install -y rsync)" >&2
  exit 1
fi
npx tsc -p tsconfig.json >/dev/null || true
exec node dist/scripts/bench-latency.js "$@"
