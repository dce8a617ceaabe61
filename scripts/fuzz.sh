#!/usr/bin/env bash
# Builds a libFuzzer target and runs it for a fixed time.
#
#   bash scripts/fuzz.sh TARGET [SECONDS] [LIBFUZZER-FLAG...]
#
# TARGET: trace-line (EventParser on single lines and headers), trace-file (whole plain files
# through TraceFileReader and LineSource), trace-gzip (gzip files: raw bytes, or text compressed
# in members and damaged), token (ReplayToken(decoding:) and the replay of what decodes), or all
# (each in turn). SECONDS: how long each target runs (default 60). Further arguments go to
# libFuzzer (e.g. -only_ascii=1 -seed=1).
#
# Seeds: every trace in Traces/ under 16 KiB (gzipped for trace-gzip) and tokens of real
# executions (token), copied into a temporary corpus; set PLUMB_FUZZ_CORPUS=DIR to keep the
# corpus in DIR across runs instead. Prints executions per second and coverage. Exits non-zero
# on a finding (crash, trap, timeout, memory past the limit), printing the input's path under
# .build/fuzz/findings/TARGET/ and the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: bash scripts/fuzz.sh trace-line|trace-file|trace-gzip|token|all [SECONDS] [LIBFUZZER-FLAG...]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
target=$1
shift
seconds=60
if [ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

if [ "$target" = all ]; then
  status=0
  for t in trace-line trace-file trace-gzip token; do
    bash "$0" "$t" "$seconds" "$@" || status=1
  done
  exit $status
fi

case $target in
  trace-line) product=FuzzTrace mode=line dict=scripts/fuzz/trace.dict ;;
  trace-file) product=FuzzTrace mode=file dict=scripts/fuzz/trace.dict ;;
  trace-gzip) product=FuzzTrace mode=gzip dict=scripts/fuzz/trace.dict ;;
  token) product=FuzzToken mode="" dict=scripts/fuzz/token.dict ;;
  *) usage ;;
esac

build_path=.build/fuzz
scratch=$(mktemp -d "${TMPDIR:-/tmp}/plumb-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
start=$(date +%s)
if ! swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld --build-path "$build_path" \
  --product "$product" > "$scratch/build.log" 2>&1; then
  cat "$scratch/build.log" >&2
  echo "fuzz $target: the build of $product failed" >&2
  exit 2
fi
binary=$build_path/release/$product
echo "fuzz $target: $product built in $(( $(date +%s) - start )) s"

# Without this the Swift backtracer hangs after a crash.
export SWIFT_BACKTRACE=enable=no
export PLUMB_FUZZ_MODE=$mode

corpus=${PLUMB_FUZZ_CORPUS:-$scratch/corpus}
mkdir -p "$corpus"
seeds=$scratch/seeds
mkdir -p "$seeds"
n=0
if [ "$target" = token ]; then
  PLUMB_FUZZ_WRITE_SEEDS=$seeds "$binary" >/dev/null
else
  while IFS= read -r -d '' file; do
    n=$((n + 1))
    case $target in
      trace-gzip)
        # Raw form (first byte even): one member, and two members of the same text.
        { printf '\000'; gzip -c -n "$file"; } > "$seeds/raw-$n"
        { printf '\000'; gzip -c -n "$file"; gzip -c -n -1 "$file"; } > "$seeds/raw2-$n"
        # Built form (first byte odd): 1 member at level 6 / 2 members at level 1, undamaged.
        { printf '\001\030\000\000\000'; cat "$file"; } > "$seeds/built-$n"
        { printf '\001\005\000\000\000'; cat "$file"; } > "$seeds/built2-$n"
        ;;
      *) cp "$file" "$seeds/seed-$n" ;;
    esac
  done < <(find Traces -name '*.jsonl' -size -16k -print0 | sort -z)
fi

findings=$build_path/findings/$target
mkdir -p "$findings"
log=$scratch/fuzz.log
echo "fuzz $target: $seconds s, $(ls "$seeds" | wc -l) seeds, corpus $corpus"
rc=0
"$binary" "$corpus" "$seeds" -dict="$dict" -max_total_time="$seconds" -max_len=16384 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$findings/" "$@" > "$log" 2>&1 || rc=$?

# libFuzzer's last status line ("#N DONE cov: C ft: F corp: ...") and final statistics.
last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
stat() { grep -E "^stat::$1:" "$log" | tail -1 | awk '{print $2}'; }
cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | awk '{print $2}')
ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | awk '{print $2}')
corp=$(echo "$last" | grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' | awk '{print $2}')
echo "fuzz $target: $(stat number_of_executed_units) executions, $(stat average_exec_per_sec) exec/s," \
  "cov: ${cov:-?} ft: ${ft:-?} corpus: ${corp:-?} peak rss: $(stat peak_rss_mb) MB"

artifact=$(grep -oE "(Test unit|input) written to [^ ]+" "$log" | tail -1 | awk '{print $NF}' || true)
if [ "$rc" -ne 0 ] || [ -n "$artifact" ]; then
  echo "fuzz $target: FINDING (libFuzzer exit $rc); the end of its output:" >&2
  grep -vE '^#[0-9]+[[:space:]]|^[[:space:]]+NEW_FUNC' "$log" | tail -n 50 >&2
  if [ -n "$artifact" ]; then
    echo "fuzz $target: the input is $artifact" >&2
    echo "fuzz $target: re-run it: SWIFT_BACKTRACE=enable=no${mode:+ PLUMB_FUZZ_MODE=$mode} $binary $artifact" >&2
  fi
  exit 1
fi
