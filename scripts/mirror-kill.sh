#!/usr/bin/env bash
# Kills the primary controller with SIGKILL at a random point, RUNS times (default 5), with the
# two controllers as two processes on loopback (4 paths over 2 ports), and says for each run how
# many records the primary had committed (its trace's `commit` events), how many of them the
# secondary's log does not hold (must be 0), and `plumb check --truncated`'s verdict on the two
# traces (must pass). Exits 1 if any run lost a committed record or failed the check.
#
#   swift build -c release && bash scripts/mirror-kill.sh [RUNS]
#
# Each run writes up to a few hundred MB of traces in a temporary folder, removed after.
set -uo pipefail
cd "$(dirname "$0")/.."
plumb=$(pwd)/.build/release/plumb
[ -x "$plumb" ] || { echo "build first: swift build -c release" >&2; exit 2; }
runs=${1:-5}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
"$plumb" mirror keygen key >/dev/null
failures=0
for i in $(seq 1 "$runs"); do
  rm -f s.log secondary.jsonl primary.jsonl primary.jsonl.partial
  port=$((20000 + RANDOM % 20000))
  listen=127.0.0.1:$port,127.0.0.1:$((port + 1))
  "$plumb" mirror secondary --listen "$listen" --paths 4 --key-file key --log s.log \
    --trace secondary.jsonl >secondary.out 2>&1 &
  secondary=$!
  sleep 0.5
  "$plumb" mirror primary --connect "$listen" --paths 4 --key-file key --trace primary.jsonl \
    --records 100000000 >primary.out 2>&1 &
  primary=$!
  delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + 2.7 * r / 32767 }')
  sleep "$delay"
  kill -9 "$primary"
  wait "$primary" 2>/dev/null
  wait "$secondary"
  status=$?
  grep '"ev":"commit"' primary.jsonl.partial | sed 's/.*"lsn":\([0-9]*\).*/\1/' | sort -n >committed
  "$plumb" mirror log s.log --lsns | grep -E '^[0-9]+$' | sort -n >held
  missing=$(comm -23 committed held | wc -l)
  "$plumb" check --truncated primary.jsonl.partial secondary.jsonl >check.out 2>&1
  check=$?
  echo "run $i: primary killed after ${delay} s; $(wc -l <committed) records committed, $missing of them" \
    "missing at the secondary (exit $status); plumb check --truncated: $(head -1 check.out | cut -d: -f1) (exit $check)"
  if [ "$missing" -ne 0 ] || [ "$check" -ne 0 ] || [ "$status" -ne 0 ]; then failures=$((failures + 1)); fi
done
[ "$failures" -eq 0 ] || { echo "$failures of $runs runs failed"; exit 1; }
echo "all $runs runs: nothing committed was lost, the traces pass"
