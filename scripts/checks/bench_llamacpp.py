#!/usr/bin/env python3
"""Prefill and decode tokens/s of a GGUF in llama.cpp (llama-cpp-python), measured
as `irqlora bench load` measures the engine: random prompt ids, best of N
prefills, then single-token decode steps over the KV cache, on a fixed thread
count. For the ratio of the engine's quantized decode to llama.cpp's on the same
model (export it with `irqlora export MODEL --format gguf --gguf-type q4_1
--quant int4 --quant-group 32`). Not a project dependency: run it in the
verification venv (`pip install llama-cpp-python`; it builds llama.cpp).

  bench_llamacpp.py MODEL.gguf [--threads 2] [--prompt-tokens 256] [--decode-tokens 32] [--repeats 3]
"""
import argparse
import random
import time

from llama_cpp import Llama


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gguf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--decode-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    llm = Llama(model_path=a.gguf, n_threads=a.threads, n_threads_batch=a.threads, n_ctx=a.prompt_tokens + a.decode_tokens + 8,
                n_batch=a.prompt_tokens, verbose=False)
    rng = random.Random(1234)
    vocab = llm.n_vocab()
    ids = [rng.randrange(3, vocab) for _ in range(a.prompt_tokens + a.decode_tokens)]
    best = float("inf")
    for _ in range(a.repeats + 1):  # the first is a warm-up
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids[: a.prompt_tokens])
        best = min(best, time.perf_counter() - t0)
    t0 = time.perf_counter()
    for t in ids[a.prompt_tokens:]:
        llm.eval([t])
    decode = time.perf_counter() - t0
    print(f"llama.cpp {a.gguf}: {a.threads} threads")
    print(f"  prefill  {a.prompt_tokens} tokens        {a.prompt_tokens / best:10.1f} tokens/s")
    print(f"  decode with KV cache ({a.decode_tokens} steps) {a.decode_tokens / decode:10.1f} tokens/s")


if __name__ == "__main__":
    main()
