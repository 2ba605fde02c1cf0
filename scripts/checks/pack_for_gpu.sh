#!/usr/bin/env bash
# Packs a built tree's CLI, GPU check and benchmark, engine libraries
# (the formats included) and the non-system shared libraries they need into one folder, to
# run on a GPU machine that has torch (same version) but not this machine's
# -dev packages or a compiler (the device checks of docs/gpu.md):
#   scripts/checks/pack_for_gpu.sh BUILD_DIR OUT_DIR
# There:
#   TORCH_LIB=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__) + "/lib")')
#   LD_LIBRARY_PATH=OUT_DIR/lib:$TORCH_LIB OUT_DIR/bin/irqlora ...
set -euo pipefail
build="$1"
out="$2"
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
for b in irqlora irqlora-engine irqlora-check-cuda irqlora-bench-nf4-cuda; do cp "$build/bin/$b" "$out/bin/"; done
cp -a "$build"/lib/libirq_*.so* "$out/lib/"
# Shared libraries outside glibc, the compiler runtime and torch's own folder.
for f in "$out"/bin/* "$out"/lib/*.so.*; do
  ldd "$f" | awk '/=> \// {print $3}'
done | sort -u | grep -v -E '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+)\.so|/torch/lib/|/nvidia/|libirq_' |
  while read -r lib; do cp -L "$lib" "$out/lib/"; done
strip --strip-unneeded "$out"/bin/* "$out"/lib/*.so* 2>/dev/null || true
du -sh "$out"
