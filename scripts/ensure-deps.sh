#!/usr/bin/env bash
# Installs the system programs the test suite needs, when they are missing:
#   rsync, sshd (openssh-server), ssh + ssh-keygen (openssh-client).
# With the argument `bench`, also lsyncd and inotify-tools (for scripts/bench*).
# Idempotent and quiet when everything is already there. Needs root (apt-get) only
# when something is missing; otherwise prints the command to run and exits 1.
set -euo pipefail

want_bench=no
for arg in "$@"; do
  case "$arg" in
    bench) want_bench=yes ;;
    *) echo "ensure-deps.sh: unknown argument '$arg' (expected: bench)" >&2; exit 2 ;;
  esac
done

# A program is present when it is on PATH (or at its fixed path for sshd,
# which lives in /usr/sbin, often not on a normal user's PATH).
missing=()
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
{ command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1; } || missing+=(openssh-client)
if [ "$want_bench" = yes ]; then
  command -v lsyncd >/dev/null 2>&1 || missing+=(lsyncd)
  command -v inotifywait >/dev/null 2>&1 || missing+=(inotify-tools)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deps.sh: missing packages: ${missing[*]}" >&2
  echo "ensure-deps.sh: run as root:  $install_cmd" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-deps.sh: missing packages: ${missing[*]}, and apt-get is not available; install them by hand" >&2
  exit 1
fi

echo "ensure-deps.sh: installing ${missing[*]}" >&2
log="$(mktemp "${TMPDIR:-/tmp}/ensure-deps.XXXXXX.log")"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
  cat "$log" >&2
  echo "ensure-deps.sh: installing ${missing[*]} failed (log above)" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
