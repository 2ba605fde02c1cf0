#!/usr/bin/env python3
"""MMLU with transformers as the reference, compared with the engine's
`irqlora eval mmlu ... --answers answers.csv` row by row: same prompts
(hendrycks format, k shots dropped until the prompt fits min(2048,
max_position_embeddings) tokens), AutoTokenizer ids, float32 forward,
softmax over the last-position logits of " A".." D" as the engine scores them.

  mmlu_transformers.py MODEL_DIR MMLU_DATA_DIR ENGINE_ANSWERS_CSV [--shots 5] [--golden OUT.json]

Prints: questions, answers equal, shots/tokens equal, max |p diff|, rows
with |p diff| > 1e-4. Exits 1 on any disagreement beyond 1e-4. Not a project
dependency: run it in a venv with torch and transformers.
"""
import argparse
import csv
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

kTolerance = 1e-4


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [(r[0], r[1:5], "ABCD".index(r[5].strip())) for r in csv.reader(f)]


def example(q, with_answer):
    s = q[0] + "".join(f"\n{'ABCD'[k]}. {q[1][k]}" for k in range(4)) + "\nAnswer:"
    return s + (f" {'ABCD'[q[2]]}\n\n" if with_answer else "")


def header(subject, dev, k):
    s = f"The following are multiple choice questions (with answers) about {''.join(' ' + p for p in subject.split('_'))}.\n\n"
    return s + "".join(example(q, True) for q in dev[:k])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("answers")
    ap.add_argument("--shots", type=int, default=5)
    ap.add_argument("--golden", help="also write the reference probabilities per question (JSON) for the integration test")
    a = ap.parse_args()
    golden = {}
    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="eager").eval()
    limit = min(2048, model.config.max_position_embeddings)
    letters = [tok(l, add_special_tokens=False)["input_ids"][-1] for l in "ABCD"]
    rows = list(csv.DictReader(open(a.answers, newline="")))
    cache = {}
    n = same_answer = same_shots = same_tokens = over = 0
    worst = 0.0
    for r in rows:
        subject, index = r["subject"], int(r["index"])
        if subject not in cache:
            cache[subject] = (load(os.path.join(a.data, "dev", f"{subject}_dev.csv")), load(os.path.join(a.data, "test", f"{subject}_test.csv")))
        dev, test = cache[subject]
        q = test[index]
        shots = min(a.shots, len(dev))
        ids = tok(header(subject, dev, shots) + example(q, False))["input_ids"]
        while len(ids) > limit and shots > 0:
            shots -= 1
            ids = tok(header(subject, dev, shots) + example(q, False))["input_ids"]
        ids = ids[-limit:]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
        p = torch.softmax(logits[letters].double(), dim=0).tolist()
        golden.setdefault(subject, []).append({"index": index, "probs": p, "shots": shots, "tokens": len(ids)})
        diff = max(abs(p[k] - float(r["p" + "ABCD"[k]])) for k in range(4))
        worst = max(worst, diff)
        over += diff > kTolerance
        n += 1
        same_answer += "ABCD"[max(range(4), key=lambda k: p[k])] == r["predicted"]
        same_shots += shots == int(r["shots"])
        same_tokens += len(ids) == int(r["tokens"])
    print(f"questions {n}  answers equal {same_answer}  shots equal {same_shots}  tokens equal {same_tokens}  "
          f"max |p diff| {worst:.2e}  rows over {kTolerance:g}: {over}")
    if a.golden:
        with open(a.golden, "w") as f:
            json.dump({"model": os.path.basename(os.path.normpath(a.model)), "shots": a.shots, "subjects": golden}, f)
    sys.exit(0 if same_answer == n and same_shots == n and same_tokens == n and over == 0 else 1)


if __name__ == "__main__":
    main()
