#!/usr/bin/env bash
# The engine with its formats, CLI and core tests under AddressSanitizer and
# UndefinedBehaviorSanitizer (CMakePresets.json "asan": build-asan/, no GUI, no
# CUDA), then the CTest suite under them (the CLI test included). Any report fails
# the run (UBSan halts on the first error; ASan always does). LibTorch itself is
# not instrumented; leaks inside it are suppressed (tests/sanitize/lsan.supp).
#   bash scripts/sanitize.sh [extra ctest arguments, e.g. -R test_export]
# About 7 min to build (unity batches) and 4 to test on 2 cores after
# scripts/setup.sh; not run by CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
[ -f build-asan/build.ninja ] || cmake --preset asan
cmake --build build-asan -j "${IRQ_JOBS:-$(nproc)}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_odr_violation=0:strict_init_order=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitize/ubsan.supp}"
# Sanitized code is 2-5x slower: give each test more time than CTest's 600 s.
QT_QPA_PLATFORM=offscreen ctest --test-dir build-asan -j "${IRQ_JOBS:-$(nproc)}" --output-on-failure --timeout 1800 "$@"
