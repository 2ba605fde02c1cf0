#!/usr/bin/env bash
# Every external consumer of the exports, each in its own venv outside the
# project (see README.md, "Checking the exports"); non-zero if any regressed.
# Not part of CI's unit tests: it downloads torch, transformers, peft,
# bitsandbytes, gguf and builds llama.cpp (llama-cpp-python's sdist, ~10 min).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for check in check_merged.py check_peft.py check_bnb_nf4.py check_gguf_py.py check_gguf_llamacpp.py check_tokenizer_json_model.py; do
  echo "== $check"
  "$here/run_one.sh" "$check" || failed+=("$check")
done
if ((${#failed[@]})); then
  echo "regressed: ${failed[*]}"
  exit 1
fi
echo "all export checks passed"
