#!/usr/bin/env python3
"""`export --format peft` in peft: the IEC-LoRA adapter (IEC folded into
plain LoRA) applied by peft to the `merged` export of its quantized base
without the adapter, against the engine's base + adapter."""
# venv: hf
# requires: torch transformers peft bitsandbytes accelerate safetensors tokenizers sentencepiece protobuf numpy
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

import engine

kTolerance = 1e-4  # the fold A' = A + beta_a G, B' = B + beta_b R is exact; fp32 rounding only

engine.require_inputs()
adapter = engine.adapter("--quant", "nf4")
base_dir = engine.export("merged", engine.work("merged-icq-nf4"), "--quant", "nf4", "--out-dtype", "float32")
peft_dir = engine.export("peft", engine.work("peft-icq-nf4-iec"), "--adapter", adapter)
ids, want = engine.logits("--adapter", adapter)
_, base = engine.logits("--quant", "nf4")
model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager")
model = PeftModel.from_pretrained(model, peft_dir).eval()
with torch.no_grad():
    got = model(torch.from_numpy(ids)[None]).logits[0].numpy()
print(f"     (the adapter itself moves the engine's logits by up to {abs(want - base).max():.3g})")
engine.report("peft adapter on the merged ICQ-NF4 base, fp32", got, want, kTolerance)
engine.finish()
