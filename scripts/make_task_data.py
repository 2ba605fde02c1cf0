#!/usr/bin/env python3
"""Writes the zero-shot task files `irqlora eval tasks --data DIR` reads:
DIR/<task>_<split>.jsonl, one record per line with the Hugging Face dataset's
own fields, from the datasets lm-evaluation-harness's task configs name.

  python3 scripts/make_task_data.py DIR [--tasks hellaswag,piqa,...] [--cache-dir C]

Needs the `datasets` package (pip install datasets) and either network
access to the Hugging Face Hub or the datasets already in its cache
(HF_DATASETS_OFFLINE=1 uses only the cache). Without `datasets`, any tool
that writes one JSON object per line with the fields below works:
  hellaswag_validation.jsonl    ctx_a, ctx_b, ctx, activity_label, endings, label
  piqa_validation.jsonl         goal, sol1, sol2, label
  winogrande_validation.jsonl   sentence, option1, option2, answer
  arc_easy_test.jsonl           question, choices {text, label}, answerKey
  arc_challenge_test.jsonl      question, choices {text, label}, answerKey
  boolq_validation.jsonl        question, passage, label (0/1) or answer (bool)
  openbookqa_test.jsonl         question_stem, choices {text, label}, answerKey
"""
import argparse
import json
import os
import sys

# task -> (dataset path, config name, split), as lm-eval's task YAMLs name them.
SOURCES = {
    "hellaswag": ("Rowan/hellaswag", None, "validation"),
    "piqa": ("baber/piqa", None, "validation"),
    "winogrande": ("allenai/winogrande", "winogrande_xl", "validation"),
    "arc_easy": ("allenai/ai2_arc", "ARC-Easy", "test"),
    "arc_challenge": ("allenai/ai2_arc", "ARC-Challenge", "test"),
    "boolq": ("aps/super_glue", "boolq", "validation"),
    "openbookqa": ("allenai/openbookqa", "main", "test"),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--tasks", default=",".join(SOURCES))
    ap.add_argument("--cache-dir")
    a = ap.parse_args()
    try:
        from datasets import load_dataset
    except ImportError:
        sys.exit("make_task_data.py needs the datasets package: pip install datasets (or write the JSONL files yourself, see --help)")
    os.makedirs(a.out, exist_ok=True)
    for task in a.tasks.split(","):
        if task not in SOURCES:
            sys.exit(f"unknown task {task!r} (known: {', '.join(SOURCES)})")
        path, name, split = SOURCES[task]
        ds = load_dataset(path, name, split=split, cache_dir=a.cache_dir)
        target = os.path.join(a.out, f"{task}_{split}.jsonl")
        tmp = target + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            for record in ds:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, target)
        print(f"{target}: {len(ds)} records from {path}" + (f" ({name})" if name else ""))


if __name__ == "__main__":
    main()
