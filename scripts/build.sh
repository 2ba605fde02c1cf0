#!/usr/bin/env bash
# Configures and builds the project into build/ (Ninja, Release), after
# scripts/setup.sh has installed the dependencies. Extra arguments go to cmake.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${IRQ_BUILD_DIR:-$root/build}"
# ccache and precompiled headers: let ccache reuse PCH-built objects.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
if [ ! -f "$build/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
jobs="${IRQ_JOBS:-$(nproc)}"
cmake --build "$build" -j "$jobs"
