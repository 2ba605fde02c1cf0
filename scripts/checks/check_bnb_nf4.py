#!/usr/bin/env python3
"""`export --format bnb-nf4` in transformers + bitsandbytes (which runs NF4 on
the CPU): each written weight dequantized by bitsandbytes' own
dequantize_4bit against the engine's dequantized weight (the `merged` export
of the same plain-NF4 base), then logits with fp32 compute against the
engine's fp32 forward, and the bf16 compute dtype's figure."""
# venv: hf
# requires: torch transformers peft bitsandbytes accelerate safetensors tokenizers sentencepiece protobuf numpy
import numpy as np
import torch
import bitsandbytes as bnb
import bitsandbytes.functional as F
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

import engine

kWeightTolerance = 0.0  # same codes, same nested absmax, same float32 arithmetic
kLogitTolerance = 1e-4  # fp32 compute: only the matmul's summation order differs

engine.require_inputs()
plain = ("--quant", "nf4", "--quant-no-icq")
out = engine.export("bnb-nf4", engine.work("bnb-nf4"), *plain)
merged = engine.export("merged", engine.work("merged-nf4"), *plain, "--out-dtype", "float32")

written, ref = load_file(f"{out}/model.safetensors"), load_file(f"{merged}/model.safetensors")
suffix = ".quant_state.bitsandbytes__nf4"
worst, count = 0.0, 0
for key in sorted(k for k in written if k.endswith(suffix)):
    w = key[: -len(suffix)]
    parts = {k[len(w) + 1:]: v for k, v in written.items() if k.startswith(w + ".")}
    state = F.QuantState.from_dict(parts, device=torch.device("cpu"))
    diff = (F.dequantize_4bit(written[w], state).float() - ref[w].float()).abs().max().item()
    if diff > kWeightTolerance:
        print(f"FAIL {w}: bitsandbytes dequantize_4bit differs from the engine's weight by {diff:.3g}")
        engine.failures.append(w)
    worst, count = max(worst, diff), count + 1
print(f"{'ok  ' if worst <= kWeightTolerance else 'FAIL'} dequantize_4bit of {count} weights vs the engine's: max |diff| {worst:.3g}")


def load(compute):
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    for m in model.modules():
        if isinstance(m, bnb.nn.Linear4bit):
            # bitsandbytes 0.50 repacks 4-bit weights for CPUs with AVX512-BF16
            # at the first eval forward and asserts out_features % 32 == 0
            # (stories260K has 172 and 32): the portable CPU path instead.
            m.support_avx512bf16_for_cpu = False
            m.compute_dtype, m.compute_type_is_set = compute, True
    return model.eval()


ids, want = engine.logits(*plain)
_, want_bf16 = engine.logits(*plain, "--dtype", "bfloat16")
x = torch.from_numpy(ids)[None]
with torch.no_grad():
    got = load(torch.float32)(x).logits[0].float().numpy()
    got_bf16 = load(torch.bfloat16)(x).logits[0].float().numpy()
engine.report("bnb-nf4 in transformers+bitsandbytes, fp32 compute", got, want, kLogitTolerance)
print(f"     bf16 compute dtype: max |diff| {abs(got_bf16 - want).max():.3g} against the engine's fp32 logits, "
      f"{abs(got_bf16 - want_bf16).max():.3g} against its bf16 forward (which is {abs(want_bf16 - want).max():.3g} "
      f"from its own fp32); argmax agreement {(got_bf16.argmax(-1) == want.argmax(-1)).mean():.3f}")
engine.finish()
