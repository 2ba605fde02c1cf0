#!/usr/bin/env bash
# Regenerates resources/demo/tokenizer.model, the built-in demo model's
# sentencepiece BPE tokenizer (512 pieces with byte fallback, LLaMA ids:
# unk 0, bos 1, eos 2), trained on resources/demo/corpus.txt, text written for
# this project. Needs Debian's `sentencepiece` package (spm_train). The
# committed file is what builds use; run this only to change the tokenizer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
spm_train --input="$root/resources/demo/corpus.txt" --model_prefix="$tmp/demo" --model_type=bpe \
  --vocab_size=512 --byte_fallback=true --character_coverage=1.0 --add_dummy_prefix=true \
  --remove_extra_whitespaces=false --normalization_rule_name=identity \
  --bos_id=1 --eos_id=2 --unk_id=0 --pad_id=-1 --num_threads=1 --minloglevel=1
cp "$tmp/demo.model" "$root/resources/demo/tokenizer.model"
echo "wrote resources/demo/tokenizer.model"
