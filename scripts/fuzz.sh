#!/usr/bin/env bash
# The parsers under libFuzzer with AddressSanitizer and UndefinedBehaviorSanitizer
# (tests/fuzz/CMakeLists.txt, standalone mode): builds every target (all torch-free)
# with clang into build-fuzz/, then runs each for SECONDS (default 60) from
# its committed seeds, growing a working corpus in build-fuzz/corpus-<target>.
# A finding is saved as build-fuzz/crash-<target>-*; the script exits 1.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs clang and libclang-rt (Debian: clang, libclang-rt-14-dev or llvm).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${IRQ_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(json config safetensors tokenizer quant_meta gguf csv alpaca tasks chat_template)
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt install clang)"; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j "${IRQ_JOBS:-$(nproc)}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
found=0
for t in "${targets[@]}"; do
  work="$build/corpus-$t"; mkdir -p "$work"
  echo "== fuzz_$t: ${seconds} s"
  if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$build/crash-$t-" "$work" "$root/tests/fuzz/corpus/$t" > "$build/fuzz_$t.log" 2>&1; then
    found=1; echo "   FINDING: see $build/fuzz_$t.log and $build/crash-$t-*"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "$build/fuzz_$t.log" | sed 's/^/   /' || true
done
exit "$found"
