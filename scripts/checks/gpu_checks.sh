#!/usr/bin/env bash
# The GPU checks and benchmarks in one run, for a GPU machine with torch
# 2.11 (CUDA build) but no compiler or -dev packages: the binaries come
# packed by scripts/checks/pack_for_gpu.sh. Figures go to stdout and OUT_DIR.
#   scripts/checks/gpu_checks.sh PACK_DIR WORK_DIR OUT_DIR [STEPS]
# STEPS (default "check bench tiny quant7b load7b"): any of
#   check    irqlora-check-cuda on tests/fixtures (CPU vs GPU, named tolerances)
#   bench    irqlora-bench-nf4-cuda (kernel times, 7B-shaped projections, GEMV)
#   tiny     a TinyLlama-1.1B-shaped random BF16 checkpoint: bench load on the
#            GPU, NF4 quantized on load vs the bf16 model, same run
#   quant7b  a LLaMA-7B-shaped random BF16 checkpoint: irqlora quantize on
#            the GPU, wall time, page cache dropped first where allowed
#   load7b   bench load of that checkpoint: NF4 on the GPU vs bf16, same run
set -uo pipefail
pack="$(cd "$1" && pwd)"
work="$2"
out="$3"
steps="${4:-check bench tiny quant7b load7b}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$work" "$out"
torch_lib="$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__) + "/lib")')"
export LD_LIBRARY_PATH="$pack/lib:$torch_lib:${LD_LIBRARY_PATH:-}"
irq="$pack/bin/irqlora"
step() { echo "=== $* ($(date +%T))"; }
# timed NAME CMD...: runs CMD with stdout to OUT/NAME.txt, stderr to OUT/NAME.err, prints its wall time.
timed() {
  local name="$1" t0 t1 r
  shift
  t0=$(date +%s.%N)
  "$@" > "$out/$name.txt" 2> "$work/$name.err"
  r=$?
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v n="$name" -v r="$r" 'BEGIN { printf "%s: wall %.2f s, rc %d\n", n, b - a, r }' | tee -a "$out/$name.txt"
  return $r
}
has() { [[ " $steps " == *" $1 "* ]]; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
rc=0
if has check; then
  step "irqlora-check-cuda"
  timeout 300 "$pack/bin/irqlora-check-cuda" "$root/tests/fixtures" 2>&1 | tee "$out/check_cuda.txt" || rc=1
fi
if has bench; then
  step "irqlora-bench-nf4-cuda"
  timeout 180 "$pack/bin/irqlora-bench-nf4-cuda" 2>&1 | tee "$out/bench_nf4_cuda.txt" || rc=1
fi
if has tiny; then
  step "TinyLlama-shaped checkpoint"
  [ -f "$work/tinyllama/config.json" ] ||
    python3 "$root/scripts/make_shaped_checkpoint.py" "$work/tinyllama" --shape tinyllama --dtype BF16 --torch
  step "bench load: NF4 on the GPU vs bf16"
  timeout 240 "$irq" bench load "$work/tinyllama" --device cuda --quant nf4 --versus-full --repeats 3 \
    --prompt-tokens 512 --decode-tokens 128 2>&1 | tee "$out/bench_load_tinyllama.txt" || rc=1
fi
if has quant7b; then
  step "LLaMA-7B-shaped checkpoint"
  [ -f "$work/7b/config.json" ] || python3 "$root/scripts/make_shaped_checkpoint.py" "$work/7b" --shape 7b --dtype BF16 --torch
  sync
  if echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; then echo "page cache dropped"; else echo "page cache NOT dropped"; fi
  step "irqlora quantize 7B on the GPU (from disk), checkpoint written"
  timed quantize_7b timeout 300 "$irq" quantize "$work/7b" --device cuda --no-record --out "$work/7b-nf4" --force || rc=1
  grep -E "weights/s|^model|wall" "$out/quantize_7b.txt"; tail -c 400 "$work/quantize_7b.err"
  step "irqlora quantize 7B on the GPU again (page cache warm), no checkpoint"
  timed quantize_7b_warm timeout 300 "$irq" quantize "$work/7b" --device cuda --no-record || rc=1
  grep -E "weights/s|^model|wall" "$out/quantize_7b_warm.txt"; tail -c 400 "$work/quantize_7b_warm.err"
fi
if has load7b; then
  step "bench load 7B: NF4 on the GPU vs bf16"
  timeout 300 "$irq" bench load "$work/7b" --device cuda --quant nf4 --versus-full --repeats 1 \
    --prompt-tokens 256 --decode-tokens 64 2>&1 | tee "$out/bench_load_7b.txt" || rc=1
fi
step "done, rc $rc"
exit $rc
