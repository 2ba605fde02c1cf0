#!/usr/bin/env python3
"""Reference token ids from the PyPI `tokenizers` package (or transformers'
AutoTokenizer with --auto), for the engine's tokenizer parity checks.

  tokenizer_ids.py TOKENIZER_DIR TEXT_FILE [--auto] [--whole] [--dump OUT]

Reads TEXT_FILE as bytes and decodes it as UTF-8 with errors="replace" (as
the engine does), encodes each line (without its newline; --whole: the file
as one text) with add_special_tokens=True, and prints one summary line:
`docs N ids M fnv1a64 H` where H hashes every id (int32 little-endian) and a
-1 after each document. --dump writes the ids, one document per line.
Not a project dependency: run it in a separate venv (scripts/checks/README.md).
"""
import argparse
import struct


def fnv1a64(data: bytes, h: int = 0xCBF29CE484222325) -> int:
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("text")
    ap.add_argument("--auto", action="store_true", help="transformers.AutoTokenizer instead of tokenizers")
    ap.add_argument("--whole", action="store_true")
    ap.add_argument("--dump")
    a = ap.parse_args()
    text = open(a.text, "rb").read().decode("utf-8", errors="replace")
    docs = [text] if a.whole else text.split("\n")
    if a.auto:
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(a.dir)
        encode = lambda s: tok(s, add_special_tokens=True)["input_ids"]
    else:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(a.dir + "/tokenizer.json")
        encode = lambda s: tok.encode(s, add_special_tokens=True).ids
    h = 0xCBF29CE484222325
    total = 0
    out = open(a.dump, "w") if a.dump else None
    for d in docs:
        ids = encode(d)
        total += len(ids)
        h = fnv1a64(b"".join(struct.pack("<i", i) for i in ids) + struct.pack("<i", -1), h)
        if out:
            out.write(" ".join(map(str, ids)) + "\n")
    print(f"docs {len(docs)} ids {total} fnv1a64 {h:016x}")


if __name__ == "__main__":
    main()
