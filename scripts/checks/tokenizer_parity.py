#!/usr/bin/env python3
"""Tokenizer parity goldens on the shared corpora (>= 2 MB of mixed text):
TinyStories, Alpaca, every MMLU dev and test CSV (file names sorted
bytewise) and tests/fixtures/tokenizers/unicode_stress.txt, concatenated,
decoded as UTF-8 with errors="replace", encoded line by line with the PyPI
`tokenizers` package (add_special_tokens=True). Writes
tests/fixtures/tokenizers/shared_parity.json: per tokenizer the number of
lines, of ids and an FNV-1a 64 hash of the ids, which
tests/integration/test_tokenizer_parity.cpp checks the engine against.
Tokenizers: the repaired shared gpt2 and llama2 (repair_shared_tokenizers.py
says what was broken) and the four committed fixtures.

  tokenizer_parity.py SHARED_DIR     (run in a venv with `tokenizers`)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

shared = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
fixtures = os.path.join(root, "tests", "fixtures", "tokenizers")


def corpus_bytes():
    d = os.path.join(shared, "data")
    files = [os.path.join(d, "tinystories", "tinystories_validation_head.txt"), os.path.join(d, "alpaca", "alpaca_data_1k.json")]
    for split in ("dev", "test"):
        folder = os.path.join(d, "mmlu", "data", split)
        files += [os.path.join(folder, f) for f in sorted(os.listdir(folder), key=lambda s: s.encode()) if f.endswith(".csv")]
    files.append(os.path.join(fixtures, "unicode_stress.txt"))
    return b"".join(open(f, "rb").read() for f in files)


def fnv(ids_per_doc):
    h = 0xCBF29CE484222325
    for ids in ids_per_doc:
        for b in b"".join(struct.pack("<i", i) for i in ids) + struct.pack("<i", -1):
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


data = corpus_bytes()
docs = data.decode("utf-8", errors="replace").split("\n")
repaired = tempfile.mkdtemp()
subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "repair_shared_tokenizers.py"),
                os.path.join(shared, "data", "tokenizers"), repaired], check=True, stdout=subprocess.DEVNULL)
dirs = {"gpt2": os.path.join(repaired, "gpt2"), "llama2": os.path.join(repaired, "llama2")}
for name in ("llama3", "qwen2", "smollm", "mistral"):
    dirs[name] = os.path.join(fixtures, name)
out = {"corpus_bytes": len(data), "lines": len(docs), "tokenizers": {}}
for name, d in dirs.items():
    tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    ids = [e.ids for e in tok.encode_batch(docs, add_special_tokens=True)]
    out["tokenizers"][name] = {"ids": sum(map(len, ids)), "fnv1a64": fnv(ids)}
    print(name, out["tokenizers"][name], flush=True)
# A tokenizer.model-only folder: transformers' AutoTokenizer (its conversion) is the reference.
from transformers import AutoTokenizer
auto = AutoTokenizer.from_pretrained(os.path.join(shared, "data", "models", "stories260K-hf"))
ids = [auto(d, add_special_tokens=True)["input_ids"] for d in docs]
out["tokenizers"]["stories260k_auto"] = {"ids": sum(map(len, ids)), "fnv1a64": fnv(ids)}
print("stories260k_auto", out["tokenizers"]["stories260k_auto"], flush=True)
json.dump(out, open(os.path.join(fixtures, "shared_parity.json"), "w"), indent=1)
