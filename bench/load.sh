#!/usr/bin/env bash
# Run a command while busy loops keep every core loaded (stress-style), then stop them.
#   bench/load.sh [-n LOOPS] COMMAND...      (LOOPS defaults to the number of cores)
# Used to check that timing-sensitive tests and `make test` hold on a loaded machine.
set -uo pipefail
loops=$(nproc)
if [ "${1:-}" = -n ]; then loops=$2; shift 2; fi
pids=()
for _ in $(seq "$loops"); do
  # Each loop mixes arithmetic with short-lived processes, as a busy build would.
  ( while :; do for _ in $(seq 2000); do :; done; /bin/true; done ) &
  pids+=($!)
done
stop() { kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; }
trap stop EXIT INT TERM
"$@"
