#!/usr/bin/env bash
# The benchmark, in one command (README "Performance"):
#
#   bash scripts/bench.sh              # sersync-ts vs lsyncd (delay 0 and 1) vs an
#                                      # inotifywait + rsync loop: latency, burst,
#                                      # churn, large file, CPU and memory; a table
#                                      # with PASS/FAIL per target
#   bash scripts/bench.sh --quick      # the same with smaller sizes (a few minutes)
#   bash scripts/bench.sh --scale      # 1,000,000 files / 50,000 directories: time to
#                                      # ready, RSS, a 10,000-file burst on top (needs
#                                      # ~1.1 M free inodes; creating the tree takes a while)
#   bash scripts/bench.sh [options]    # anything else goes to scripts/bench.ts
#                                      # (--tools, --scenarios, --json FILE, ...)
#
# Steps: system programs (rsync, lsyncd, inotify-tools; installed with apt-get when
# missing and running as root) → node_modules → build → run. Everything talks to an
# rsync daemon on 127.0.0.1 only. Exit status 1 when a target is missed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-deps.sh bench

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci" >&2
  npm ci --no-audit --no-fund </dev/null >&2
fi

echo "== build (tsc -p tsconfig.json)" >&2
if ! node_modules/.bin/tsc -p tsconfig.json >&2; then
  # tsc still emits; only a missing output is fatal here.
  echo "bench.sh: the build reported type errors (above); running the benchmark with what was emitted" >&2
fi
for f in dist/scripts/bench.js dist/scripts/bench-scale.js dist/src/cli/main.js; do
  [ -f "$f" ] || { echo "bench.sh: $f was not built" >&2; exit 2; }
done

if [ "${1:-}" = "--scale" ]; then
  shift
  exec node dist/scripts/bench-scale.js "$@"
fi
exec node dist/scripts/bench.js "$@"
