#!/usr/bin/env python3
"""`export --format merged` in transformers: an ICQ-NF4 base with an IEC-LoRA
adapter merged, loaded as a plain LlamaForCausalLM (fp32, eager attention),
against the engine's own forward of the same base + adapter."""
# venv: hf
# requires: torch transformers peft bitsandbytes accelerate safetensors tokenizers sentencepiece protobuf numpy
import torch
from transformers import AutoModelForCausalLM

import engine

kTolerance = 1e-4  # fp32 on both sides; only summation order differs

engine.require_inputs()
adapter = engine.adapter("--quant", "nf4")
merged = engine.export("merged", engine.work("merged-icq-nf4-iec"), "--adapter", adapter, "--out-dtype", "float32")
ids, want = engine.logits("--adapter", adapter)
_, base = engine.logits("--quant", "nf4")
model = AutoModelForCausalLM.from_pretrained(merged, dtype=torch.float32, attn_implementation="eager").eval()
with torch.no_grad():
    got = model(torch.from_numpy(ids)[None]).logits[0].numpy()
print(f"     (the adapter itself moves the engine's logits by up to {abs(want - base).max():.3g})")
engine.report("merged (ICQ-NF4 + IEC adapter) in transformers, fp32", got, want, kTolerance)
engine.finish()
