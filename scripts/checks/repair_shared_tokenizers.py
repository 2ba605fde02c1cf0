#!/usr/bin/env python3
"""Writes repaired copies of ../shared/data/tokenizers/{gpt2,llama2}/tokenizer.json.

The shared copies were altered on their way through third-party repositories,
and the `tokenizers` package refuses both (as the engine does):
- gpt2: vocab entry 40559 "ĠClaude" was rewritten to "ĠLLMProvider" (a
  find-and-replace over that repository), so merge 40303 "ĠCla ude" has no
  result token;
- llama2: four pieces with U+00A0 (ids 30081, 8655, 17891, 20246, as in
  tokenizer.model) were turned into U+0020, which makes merges 18917, 38142
  and 42805 unparseable.
  repair_shared_tokenizers.py SHARED_TOKENIZERS_DIR OUT_DIR
"""
import json
import os
import shutil
import sys

src, out = sys.argv[1], sys.argv[2]
nb = "\u00a0"
for name in ("gpt2", "llama2"):
    os.makedirs(f"{out}/{name}", exist_ok=True)
    j = json.load(open(f"{src}/{name}/tokenizer.json", encoding="utf-8"))
    m = j["model"]
    if name == "gpt2":
        v = m["vocab"]
        if "ĠLLMProvider" in v and "ĠClaude" not in v:
            v["ĠClaude"] = v.pop("ĠLLMProvider")
    else:
        inv = {i: t for t, i in m["vocab"].items()}
        fix = {30081: nb, 8655: nb * 2, 17891: nb * 4, 20246: "▁" + nb}
        for i, t in fix.items():
            m["vocab"].pop(inv[i], None)
            m["vocab"][t] = i
        merges = {18917: f"{nb} {nb}", 38142: f"{nb*2} {nb*2}", 42805: f"▁ {nb}"}
        for r, s in merges.items():
            m["merges"][r] = s
    json.dump(j, open(f"{out}/{name}/tokenizer.json", "w", encoding="utf-8"), ensure_ascii=False)
    for extra in ("tokenizer_config.json", "special_tokens_map.json"):
        if os.path.exists(f"{src}/{name}/{extra}"):
            shutil.copy(f"{src}/{name}/{extra}", f"{out}/{name}/{extra}")
print(out)
