#!/usr/bin/env bash
# Installs what Plumb needs from the system: Z3 and zlib development files to build it; with
# --tests also what only the tests and CI use: what the fuzz build needs (clang, lld, gzip) where
# the Swift toolchain does not bring it, and Chromium for the test that renders an HTML report;
# with --bench what `plumb bench explore` runs beside Plumb: SPIN and the C compiler its
# verifiers are built with. Safe to run again: it installs only what is missing.
set -euo pipefail

tests=false
bench=false
for arg in "$@"; do
  case "$arg" in
    --tests) tests=true ;;
    --bench) bench=true ;;
    *) echo "usage: bash scripts/setup.sh [--tests] [--bench]" >&2; exit 2 ;;
  esac
done

missing=()
pkg-config --exists z3 2>/dev/null || missing+=(libz3-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if $tests; then
  # The fuzz build (scripts/fuzz.sh) links through clang with lld (the Swift toolchain ships both)
  # and gzips its seeds.
  toolchain=""
  command -v swift >/dev/null 2>&1 && toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
  [ -n "$toolchain" ] && [ -x "$toolchain/clang" ] || command -v clang >/dev/null 2>&1 || missing+=(clang)
  [ -n "$toolchain" ] && [ -x "$toolchain/ld.lld" ] || command -v ld.lld >/dev/null 2>&1 || missing+=(lld)
  command -v gzip >/dev/null 2>&1 || missing+=(gzip)
  # The end-to-end test of `plumb check --html` renders its page in a headless browser.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
if $bench; then
  # SPIN writes a C verifier (pan.c) that gcc builds.
  command -v spin >/dev/null 2>&1 || missing+=(spin)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
