#!/usr/bin/env python3
"""Zero-shot task log-likelihoods with transformers, as lm-evaluation-harness
(v0.4, HFLM) computes them, written independently of the engine: the
reference the engine's `eval tasks` is tested against.

Per task config (lm_eval/tasks/*): the prompt and choices of each record;
per HFLM: trailing context whitespace moved to the continuation, the pair
tokenized whole with the tokenizer's default special tokens and split at
the length of the context's own tokens, input (ctx + cont)[-(L+1):][:-1],
the continuation's log_softmax summed; acc = argmax ll, acc_norm = argmax
ll / len(choice). One request per forward, float32 on the CPU.

  tasks_transformers.py MODEL_DIR TASK_DIR OUT.json [--limit N]
  tasks_transformers.py --fixtures      # regenerates the committed goldens

--fixtures builds the two fixture models the unit test builds (tiny_llama's
weights with a 1024-token context, its tokenizer.model with
sp_tokenizer_config.json as tokenizer_config.json, and the same with the
tokenizer.json transformers converts it to, committed as
tests/fixtures/tasks/tokenizer_json/) and, when ../shared is present,
stories260K-hf; writes tests/fixtures/tasks/golden_<name>.json, and golden_prompts.json (every
record's (context, continuation) pairs, choices and gold index).
Not a project dependency: run it in a venv with torch and transformers.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(REPO, "tests", "fixtures", "tasks")
SPLITS = {"hellaswag": "validation", "piqa": "validation", "winogrande": "validation", "arc_easy": "test",
          "arc_challenge": "test", "boolq": "validation", "openbookqa": "test"}
NORM = {"hellaswag", "piqa", "arc_easy", "arc_challenge", "openbookqa"}


def hs_pre(text):
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    return text.replace("  ", " ")


def requests(task, d):
    """-> (list of (context, continuation), choices, gold)"""
    if task == "hellaswag":
        ctx = d["ctx_a"] + " " + d["ctx_b"].capitalize()
        q, ch = hs_pre(d["activity_label"] + ": " + ctx), [hs_pre(e) for e in d["endings"]]
        return [(q, " " + c) for c in ch], ch, int(d["label"])
    if task == "piqa":
        ch = [d["sol1"], d["sol2"]]
        return [(f"Question: {d['goal']}\nAnswer:", " " + c) for c in ch], ch, d["label"]
    if task == "winogrande":
        i = d["sentence"].index("_")
        ch = [d["sentence"][:i] + o for o in (d["option1"], d["option2"])]
        tgt = d["sentence"][i + 1:].strip()
        return [(c, " " + tgt) for c in ch], ch, {"1": 0, "2": 1}[d["answer"]]
    if task in ("arc_easy", "arc_challenge"):
        ch = d["choices"]["text"]
        return [(f"Question: {d['question']}\nAnswer:", " " + c) for c in ch], ch, d["choices"]["label"].index(d["answerKey"])
    if task == "boolq":
        ch = ["no", "yes"]
        gold = int(d["answer"]) if "answer" in d else d["label"]
        return [(f"{d['passage']}\nQuestion: {d['question']}?\nAnswer:", " " + c) for c in ch], ch, gold
    if task == "openbookqa":
        ch = d["choices"]["text"]
        return [(d["question_stem"], " " + c) for c in ch], ch, d["choices"]["label"].index(d["answerKey"].lstrip())
    raise ValueError(task)


def encode_pair(tok, context, continuation):
    n = len(context) - len(context.rstrip())
    if n > 0:
        continuation = context[-n:] + continuation
        context = context[:-n]
    whole = tok(context + continuation).input_ids
    ctx = tok(context).input_ids
    return ctx, whole[len(ctx):]


@torch.no_grad()
def loglikelihood(model, max_len, ctx, cont):
    inp = (ctx + cont)[-(max_len + 1):][:-1]
    logits = torch.log_softmax(model(torch.tensor([inp])).logits[0].float(), dim=-1)
    n = len(cont)
    picked = logits[len(inp) - n:len(inp)].gather(1, torch.tensor(cont[-n:]).unsqueeze(1)).squeeze(1)
    return float(picked.sum())


def score(model_dir, task_dir, limit=0):
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    max_len = model.config.max_position_embeddings
    out = {"model": os.path.basename(os.path.normpath(model_dir)), "tokenizer": type(tok).__name__, "max_length": max_len, "tasks": {}}
    for task, split in SPLITS.items():
        with open(os.path.join(task_dir, f"{task}_{split}.jsonl"), encoding="utf-8") as f:
            docs = [json.loads(line) for line in f if line.strip()]
        if limit:
            docs = docs[:limit]
        rows = []
        for d in docs:
            reqs, choices, gold = requests(task, d)
            lls, ntok = [], []
            for c, t in reqs:
                ctx, cont = encode_pair(tok, c, t)
                lls.append(loglikelihood(model, max_len, ctx, cont))
                ntok.append(len(cont))
            norm = [ll / len(ch) for ll, ch in zip(lls, choices)]
            rows.append({"gold": gold, "logprobs": lls, "tokens": ntok, "pred": max(range(len(lls)), key=lambda i: (lls[i], -i)),
                         "pred_norm": max(range(len(norm)), key=lambda i: (norm[i], -i))})
        out["tasks"][task] = rows
        acc = sum(r["pred"] == r["gold"] for r in rows) / len(rows)
        print(f"  {task:14s} {len(rows)} docs, acc {acc:.4f}" + (f", acc_norm {sum(r['pred_norm'] == r['gold'] for r in rows) / len(rows):.4f}" if task in NORM else ""))
    return out


def fixture_model(dst, tokenizer):
    """tiny_llama's weights, a 1024-token context, and the given tokenizer files."""
    src = os.path.join(REPO, "tests", "fixtures", "tiny_llama")
    os.makedirs(dst, exist_ok=True)
    shutil.copy(os.path.join(src, "model.safetensors"), dst)
    with open(os.path.join(src, "config.json")) as f:
        cfg = json.load(f)
    cfg["max_position_embeddings"] = 1024
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if tokenizer == "sentencepiece":  # LlamaTokenizer's settings stated, as a Llama 2 checkpoint states them
        shutil.copy(os.path.join(src, "tokenizer.model"), dst)
        shutil.copy(os.path.join(FIX, "sp_tokenizer_config.json"), os.path.join(dst, "tokenizer_config.json"))
    else:
        for name in os.listdir(os.path.join(FIX, "tokenizer_json")):
            shutil.copy(os.path.join(FIX, "tokenizer_json", name), dst)
    return dst


def fixtures():
    work = tempfile.mkdtemp(prefix="irq-tasks-")
    sp = fixture_model(os.path.join(work, "tiny_llama_sp"), "sentencepiece")
    # The tokenizer.json model: transformers' own conversion of tokenizer.model.
    conv = os.path.join(work, "conv")
    AutoTokenizer.from_pretrained(sp).save_pretrained(conv)
    os.makedirs(os.path.join(FIX, "tokenizer_json"), exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(conv, name), os.path.join(FIX, "tokenizer_json", name))
    js = fixture_model(os.path.join(work, "tiny_llama_json"), "json")
    models = [("tiny_llama_sp", sp), ("tiny_llama_json", js)]
    shared = os.path.join(REPO, "..", "shared", "data", "models", "stories260K-hf")
    if os.path.isdir(shared):
        models.append(("stories260k", shared))
    prompts = {}
    for task, split in SPLITS.items():
        with open(os.path.join(FIX, f"{task}_{split}.jsonl"), encoding="utf-8") as f:
            docs = [json.loads(line) for line in f if line.strip()]
        prompts[task] = [dict(zip(("requests", "choices", "gold"), requests(task, d))) for d in docs]
    with open(os.path.join(FIX, "golden_prompts.json"), "w", encoding="utf-8") as f:
        json.dump(prompts, f, indent=1, ensure_ascii=False)
    for name, path in models:
        print(name)
        g = score(path, FIX)
        with open(os.path.join(FIX, f"golden_{name}.json"), "w") as f:
            json.dump(g, f, indent=1)
    shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("tasks", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--fixtures", action="store_true")
    a = ap.parse_args()
    if a.fixtures:
        return fixtures()
    if not a.out:
        sys.exit("usage: tasks_transformers.py MODEL_DIR TASK_DIR OUT.json | --fixtures")
    with open(a.out, "w") as f:
        json.dump(score(a.model, a.tasks, a.limit), f, indent=1)


if __name__ == "__main__":
    main()
