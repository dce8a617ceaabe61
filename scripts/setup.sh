#!/usr/bin/env bash
# Installs what Plumb needs from the system: Z3 and zlib development files.
# Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
pkg-config --exists z3 2>/dev/null || missing+=(libz3-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
