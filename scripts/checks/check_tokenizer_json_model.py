#!/usr/bin/env python3
"""A model that ships tokenizer.json only, through the engine and back: a copy
of the checked model whose tokenizer.model is replaced by the tokenizer.json
transformers converts it to; the engine's ids against transformers' on it;
then its ICQ-NF4 `merged` export loaded back by the engine and by
transformers (tokenizer files carried over, the same ids, the same logits)."""
# venv: hf
# requires: torch transformers peft bitsandbytes accelerate safetensors tokenizers sentencepiece protobuf numpy
import os
import shutil

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import engine

kTolerance = 1e-4
kTexts = [engine.PROMPT, "about  abstract algebra.\n\nQuestion:", "Ünïcödé — “quotes”, tabs\tand   spaces", " leading space", "x" * 300]

engine.require_inputs()
src = engine.work("tokenizer-json-model")
shutil.rmtree(src, ignore_errors=True)
os.makedirs(src)
for f in os.listdir(engine.MODEL):
    if f.endswith(".safetensors") or f in ("config.json", "generation_config.json", "model.safetensors.index.json"):
        shutil.copy(os.path.join(engine.MODEL, f), src)
AutoTokenizer.from_pretrained(engine.MODEL).save_pretrained(src)
for f in ("tokenizer.model", "special_tokens_map.json"):
    if os.path.exists(os.path.join(src, f)):
        os.remove(os.path.join(src, f))
assert os.path.exists(os.path.join(src, "tokenizer.json")), "transformers wrote no tokenizer.json"


def engine_ids(model, text):
    return [int(t) for t in engine.irq("tokenize", model, "--text", text).split()]


def compare_ids(model, what):
    tok = AutoTokenizer.from_pretrained(model)
    bad = [t[:30] for t in kTexts if engine_ids(model, t) != tok(t)["input_ids"]]
    print(f"{'ok  ' if not bad else 'FAIL'} {what}: engine ids == transformers ids on {len(kTexts) - len(bad)}/{len(kTexts)} texts"
          + (f" (differ: {bad})" if bad else ""))
    if bad:
        engine.failures.append(what)


compare_ids(src, "tokenizer.json-only model")
out = engine.export("merged", engine.work("merged-from-tokenizer-json"), "--quant", "nf4", "--out-dtype", "float32", model=src)
carried = os.path.exists(os.path.join(out, "tokenizer.json")) and not os.path.exists(os.path.join(out, "tokenizer.model"))
print(f"{'ok  ' if carried else 'FAIL'} the export carries tokenizer.json (and no tokenizer.model)")
if not carried:
    engine.failures.append("tokenizer files of the export")
compare_ids(out, "its merged export")
ids, want = engine.logits("--quant", "nf4", model=src)
ids_back, back = engine.logits(model=out)
same = np.array_equal(ids, ids_back)
print(f"{'ok  ' if same else 'FAIL'} the engine tokenizes the prompt alike before and after export")
if not same:
    engine.failures.append("prompt ids after export")
engine.report("engine on its merged export vs its quantized source", back, want, kTolerance)
model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
with torch.no_grad():
    got = model(torch.from_numpy(ids)[None]).logits[0].numpy()
engine.report("transformers on the merged export", got, want, kTolerance)
engine.finish()
