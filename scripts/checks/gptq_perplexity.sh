#!/usr/bin/env bash
# The GPTQ report of the paper's INT path on stories260K: perplexity on
# held-out TinyStories text for INT2/3/4 with groups of 32, round-to-nearest
# against GPTQ, each with and without ICQ, and the GPTQ time on this machine.
# Calibration: the first 60% of the TinyStories sample (cut at a story
# boundary), 128 segments of 512 tokens; evaluation: the remaining 40%,
# windows of 256 tokens, stride 256. Engine only (no verification venv).
#   bash scripts/checks/gptq_perplexity.sh [OUT.md]   (after scripts/build.sh; needs ../shared)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
irq="${IRQ_BIN:-$root/build/bin/irqlora}"
shared="${IRQ_SHARED_DATA:-$root/../shared/data}"
model="$shared/models/stories260K-hf"
text="$shared/tinystories/tinystories_validation_head.txt"
out="${1:-$root/docs/results/stories260k-gptq.md}"
[ -d "$model" ] && [ -f "$text" ] || { echo "gptq_perplexity: $shared is absent (needs stories260K-hf and tinystories)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$text" "$tmp" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
cut = t.index("\n\n", len(t) * 6 // 10) + 2
open(sys.argv[2] + "/calib.txt", "w", encoding="utf-8").write(t[:cut])
open(sys.argv[2] + "/heldout.txt", "w", encoding="utf-8").write(t[cut:])
PY
calib=(--calib "$tmp/calib.txt" --nsamples 128 --seqlen 512)
ppl() {  # prints the perplexity of the model with the given extra options
  "$irq" eval ppl "$model" --text "$tmp/heldout.txt" --window 256 --stride 256 --device cpu --no-record "$@" 2>/dev/null |
    sed -n 's/^perplexity \([0-9.]*\) .*/\1/p'
}
fp="$(ppl)"
{
  echo "# GPTQ and ICQ on stories260K (INT-k, groups of 32)"
  echo
  echo "Perplexity on held-out TinyStories text (the last 40% of"
  echo "\`shared/data/tinystories/tinystories_validation_head.txt\`, windows of 256 tokens, stride 256);"
  echo "GPTQ calibrated on the first 60% (128 segments of 512 tokens, seed 0). Full precision: **$fp**."
  echo "Made by \`bash scripts/checks/gptq_perplexity.sh\` on $(nproc) CPU cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| bits | RTN | RTN + ICQ | GPTQ | GPTQ + ICQ |"
  echo "| --- | --- | --- | --- | --- |"
} > "$tmp/report.md"
for bits in 4 3 2; do
  q=(--quant "int$bits" --quant-group 32)
  row="| INT$bits | $(ppl "${q[@]}" --quant-no-icq) | $(ppl "${q[@]}") | $(ppl "${q[@]}" --quant-no-icq --gptq "${calib[@]}") | $(ppl "${q[@]}" --gptq "${calib[@]}") |"
  echo "$row" >> "$tmp/report.md"
  echo "$row" >&2
done
# The GPTQ time of the whole model (ICQ inside), from irqlora quantize's own report.
secs="$("$irq" quantize "$model" --method int3 --group 32 --gptq "${calib[@]}" --device cpu --no-record | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')"
{
  echo
  echo "GPTQ + ICQ INT3 g32 of all 35 projections, calibration forward passes included: $secs s"
  echo "(\`irqlora quantize stories260K-hf --method int3 --group 32 --gptq --calib ... --nsamples 128 --seqlen 512 --device cpu\`)."
} >> "$tmp/report.md"
mkdir -p "$(dirname "$out")"
cp "$tmp/report.md" "$out"
cat "$out"
