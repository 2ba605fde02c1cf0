#!/usr/bin/env python3
"""The committed tiny model fixtures against transformers itself: logits of
golden.safetensors' input_ids (from the numpy reference) vs transformers'
float32 forward, and transformers' greedy continuation, written as
transformers_greedy.json beside each fixture for tests/core/test_llama_forward.cpp.

  transformers_parity.py [FIXTURE ...]   (default: tiny_llama tiny_qwen2 tiny_qwen3)

Not a project dependency: run it in a venv with torch, transformers, safetensors.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

kMaxLogitError = 1e-4
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures")
worst = 0.0
for name in sys.argv[1:] or ["tiny_llama", "tiny_qwen2", "tiny_qwen3"]:
    d = os.path.join(root, name)
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
    g = load_file(os.path.join(d, "golden.safetensors"))
    with torch.no_grad():
        logits = model(g["input_ids"]).logits
    diff = (logits - g["logits"]).abs().max().item()
    worst = max(worst, diff)
    prompt = g["input_ids"][0, :5].tolist()
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=0)
    ids = out[0].tolist()
    json.dump({"source": f"transformers greedy (do_sample=False), float32, {model.config.architectures[0]}",
               "prompt_ids": prompt, "ids": ids}, open(os.path.join(d, "transformers_greedy.json"), "w"), indent=1)
    print(f"{name}: transformers vs numpy reference logits max |diff| {diff:.2e}; greedy {ids[len(prompt):]}")
sys.exit(0 if worst < kMaxLogitError else 1)
