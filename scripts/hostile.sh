#!/usr/bin/env bash
# Repeats the hostile-user cases plumb must survive (interrupts, absurd options, damaged images,
# many files, bad output paths, typos) against the release binary, and says for each whether
# plumb behaved as it should. Exits 1 if any case did not.
#
#   swift build -c release && bash scripts/hostile.sh [WORKDIR]
#
# WORKDIR (default: a new temporary folder, removed after) holds the generated traces and
# images. Takes about two minutes on two cores.
set -uo pipefail
cd "$(dirname "$0")/.."
plumb=$(pwd)/.build/release/plumb
[ -x "$plumb" ] || { echo "build first: swift build -c release" >&2; exit 2; }
if [ $# -ge 1 ]; then work=$1; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
export SWIFT_BACKTRACE=enable=no
failures=0

ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; failures=$((failures + 1)); }

# expect NAME CODE PATTERN COMMAND...: the command exits CODE and its output matches PATTERN.
expect() {
  local name=$1 code=$2 pattern=$3
  shift 3
  local out status
  out=$("$@" 2>&1)
  status=$?
  if [ "$status" -eq "$code" ] && grep -qE -- "$pattern" <<<"$out"; then
    ok "$name (exit $status)"
  else
    bad "$name: exit $status, wanted $code and /$pattern/; output: $(head -c 300 <<<"$out")"
  fi
}

# interrupt NAME SIGNAL AFTER CODE PATTERN COMMAND...: the signal AFTER seconds in stops the
# command with exit CODE, a stderr matching PATTERN, and no verdict on stdout.
interrupt() {
  local name=$1 signal=$2 after=$3 code=$4 pattern=$5
  shift 5
  "$@" >"$work/out" 2>"$work/err" &
  local pid=$!
  sleep "$after"
  local sent
  sent=$(date +%s.%N)
  kill -"$signal" "$pid"
  wait "$pid"
  local status=$?
  local took
  took=$(python3 -c "print(round($(date +%s.%N) - $sent, 3))")
  if [ "$status" -eq "$code" ] && grep -qE -- "$pattern" "$work/err" && ! grep -qE "^(PASS|FAIL|INCONCLUSIVE)" "$work/out"; then
    ok "$name (exit $status, ${took} s after SIG$signal)"
  else
    bad "$name: exit $status, wanted $code; stderr: $(head -c 300 "$work/err"); stdout: $(head -c 200 "$work/out")"
  fi
}

echo "plumb hostile cases ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"

# 1. Ctrl-C during a long check (Z3): no verdict, exit 130 (143 for SIGTERM). The trace (4M
# events, 400 MB) takes a release build about 1.6 s to check on an idle 2-core machine, so the
# signal comes half a second in.
"$plumb" record mirror --records 600000 --streams 8 --paths 4 --out "$work/big" >/dev/null 2>&1
interrupt "check: SIGINT mid-run" INT 0.5 130 "interrupted by SIGINT" "$plumb" check "$work/big"
interrupt "check: SIGTERM mid-run" TERM 0.5 143 "interrupted by SIGTERM" "$plumb" check "$work/big"

# 2. A recording cut short is recognisable: only .partial files, which check DIR skips.
"$plumb" record mirror --records 2000000 --out "$work/cut" >/dev/null 2>&1 &
pid=$!
sleep 4
kill -9 "$pid"
wait "$pid" 2>/dev/null
if ls "$work/cut" | grep -qvE '\.partial$'; then bad "killed recording: a file without .partial: $(ls "$work/cut")"
else ok "killed recording: $(ls "$work/cut" | tr '\n' ' ')"; fi
expect "check DIR of a cut recording skips .partial" 2 "partial" "$plumb" check "$work/cut"

# 3. Absurd numbers are refused in validate(), never a trap.
expect "explore --time inf" 2 "out of range" "$plumb" explore mirror --time inf
expect "explore --time 1e308" 2 "out of range" "$plumb" explore mirror --time 1e308
expect "check --timeout inf" 2 "out of range" "$plumb" check --timeout inf "$work/big"

# 4. --jobs is bounded and --time honoured.
expect "explore --jobs 100000 --time 3" 2 "out of range" "$plumb" explore mirror --jobs 100000 --time 3
expect "explore --jobs 8 --time 3 stops on time" 0 "budget" "$plumb" explore mirror --records 10 --jobs 8 --time 3

# 5. A flipped byte in the driver's ledger is refused, the image left byte for byte.
"$plumb" record driver --device "$work/d.img" --size 32MiB --staging 4MiB --requests 400000 --out "$work/d" >/dev/null 2>&1 &
pid=$!
sleep 4
kill -9 "$pid"
wait "$pid" 2>/dev/null
for offset in 8192 8205 8248; do
  cp "$work/d.img" "$work/flip.img"
  python3 -c "import sys; f=open(sys.argv[1],'r+b'); f.seek($offset); b=f.read(1); f.seek($offset); f.write(bytes([b[0]^0x10]))" "$work/flip.img"
  cp "$work/flip.img" "$work/flip.orig"
  expect "driver: ledger byte $offset flipped" 2 "ledger" "$plumb" record driver --device "$work/flip.img" --requests 10 --out "$work/flipout"
  cmp -s "$work/flip.img" "$work/flip.orig" && ok "driver: image unchanged after the refusal" || bad "driver: the refused image changed"
done

# 8. Many files: one rotated log in 25,000 files, with few descriptors.
mkdir -p "$work/many"
python3 - "$work/many" <<'EOF'
import sys
d = sys.argv[1]
for i in range(25000):
    with open(f"{d}/log-{i:05d}.jsonl", "w") as f:
        f.write('{"format":"plumb-trace","version":1,"system":"driver"}\n')
        s = 2 * i
        f.write(f'{{"node":"driver","seq":{s+1},"ev":"submit","iface":0,"id":{i+1},"off":0,"len":512}}\n')
        f.write(f'{{"node":"driver","seq":{s+2},"ev":"stage","id":{i+1},"region":0}}\n')
EOF
start=$(date +%s.%N)
expect "check 25,000 files (ulimit -n 256)" 0 "PASS" bash -c "ulimit -n 256 && '$plumb' check --engine graph '$work/many'"
echo "      25,000 files took $(python3 -c "print(round($(date +%s.%N) - $start, 2))") s"

# Also: one merged file whose line order strays far from happens-before holds at most
# --max-pending waiting events, then stops with an error naming the bound.
python3 - "$work/strays.jsonl" <<'EOF_PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"format":"plumb-trace","version":1,"system":"mirror"}\n')
    n = 5000
    # The secondary's events come first in line order, each caused by a primary event that
    # only comes at the end.
    for i in range(n):
        f.write(f'{{"node":"secondary","seq":{i+1},"ev":"recv","stream":0,"sn":{i+1},"path":0,"cause":{{"node":"primary","seq":{i+1}}}}}\n')
    for i in range(n):
        f.write(f'{{"node":"primary","seq":{i+1},"ev":"assign","stream":0,"path":0}}\n')
EOF_PY
expect "merged file straying from happens-before: bounded" 2 "max-pending" \
  "$plumb" check --engine graph --max-pending 1000 "$work/strays.jsonl"

# 9. Output errors exit 2 with the path and the reason.
token=$("$plumb" explore mirror --streams 1 --paths 1 --records 1 --crashes 0 --inject-fault commitsBeforeAck \
  --out "$work/cx" --format json 2>/dev/null | python3 -c "import sys,json; print(json.load(sys.stdin)['violations'][0]['token'])")
expect "replay --out /missing/dir" 2 "does not exist" "$plumb" replay "$token" --out /missing/dir/x.jsonl
touch "$work/afile"
expect "record recovery --out under a file" 2 "not a folder" "$plumb" record recovery --out "$work/afile/sub"

# 10. Ctrl-C on explore prints what was covered.
interrupt "explore: SIGINT prints what was covered" INT 2 130 "covered so far" \
  "$plumb" explore mirror --records 10 --crashes 1

# 11. Typos are named: graph keys, event names, nodes without a file.
echo '{"consumers":[{"name":"a"},{"name":"b","dep":["a"]}]}' >"$work/graph.json"
expect "graph with \"dep\" for \"deps\"" 2 'did you mean "deps"' "$plumb" record recovery --graph "$work/graph.json" --out "$work/g"
printf '%s\n' '{"format":"plumb-trace","version":1,"system":"mirror"}' \
  '{"node":"primary","seq":1,"ev":"asign","stream":0,"path":0}' >"$work/typo.jsonl"
expect "misspelled event" 2 'did you mean "assign"' "$plumb" check "$work/typo.jsonl"
printf '%s\n' '{"format":"plumb-trace","version":1,"system":"mirror"}' \
  '{"node":"primary","seq":1,"ev":"assign","stream":0,"path":0}' \
  '{"node":"primary","seq":2,"ev":"acked","stream":0,"sn":1,"cause":{"node":"secondary","seq":4}}' >"$work/nofile.jsonl"
expect "cause naming a node no file holds" 2 'no file given holds' "$plumb" check "$work/nofile.jsonl"

# 6 and 7. A mirror secondary facing hostile peers: random bytes, a bad CRC and a huge declared
# length are each refused and logged once with the peer; 64 connections that never finish the
# handshake neither make it hold memory nor stop it.
"$plumb" mirror keygen "$work/mirror.key" >/dev/null
port=$((20000 + RANDOM % 20000))
"$plumb" mirror secondary --listen "127.0.0.1:$port" --key-file "$work/mirror.key" --log "$work/s.log" \
  --trace "$work/s.jsonl" --verbose >"$work/secondary.out" 2>&1 &
secondary=$!
sleep 1
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$secondary/status"; }
before=$(rss)
python3 - "$port" <<'EOF_PY'
import os, socket, struct, sys, time
port = int(sys.argv[1])
def send(data):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    time.sleep(0.2)
    s.close()
send(os.urandom(4096))                                     # garbage
send(struct.pack(">II", 4, 0xDEADBEEF) + b"\x02\x00\x00\x00")  # a frame with a bad CRC
send(struct.pack(">II", 0xFFFFFFFF, 0))                    # a declared length of 4 GiB
flood = []
for _ in range(64):                                        # never finish the handshake
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.sendall(struct.pack(">II", 16 << 20, 0) + os.urandom(65536))
    except OSError:
        pass
    flood.append(s)
time.sleep(1)
EOF_PY
after=$(rss)
refused=$(grep -c "refused connection from .*127.0.0.1" "$work/secondary.out")
if [ "$refused" -ge 3 ] && grep -q "checksumMismatch" "$work/secondary.out" && grep -q "4294967295" "$work/secondary.out"; then
  ok "mirror: garbage, a bad CRC and a 4 GiB length refused and logged with the peer ($refused refusals)"
else
  bad "mirror: refusals not logged; log: $(head -c 400 "$work/secondary.out")"
fi
if [ -n "$before" ] && [ -n "$after" ] && [ $((after - before)) -lt 64 ] && kill -0 "$secondary" 2>/dev/null; then
  ok "mirror: 64 unauthenticated connections: resident memory ${before} MiB before, ${after} MiB after"
else
  bad "mirror: 64 unauthenticated connections took the secondary from ${before:-?} MiB to ${after:-?} MiB"
fi
kill -TERM "$secondary" 2>/dev/null
wait "$secondary" 2>/dev/null

echo "$failures case(s) failed"
[ "$failures" -eq 0 ]
