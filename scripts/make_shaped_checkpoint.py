#!/usr/bin/env python3
"""Writes a Hugging Face LLaMA checkpoint of a real model's shape with random
weights, for memory and speed measurements at scale (no download needed).

  make_shaped_checkpoint.py OUT_DIR [--shape tinyllama|7b|70b] [--shards 3]
                            [--dtype F16|BF16|F32] [--sparse] [--torch] [--tokenizer tokenizer.model]

--torch draws the values with PyTorch (on a GPU when there is one), much
faster than numpy for 7B-sized shapes; the values then differ from numpy's.
--sparse writes the headers and leaves the data as holes in sparse files
(a 70B-shaped "header set" takes no disk space: for opening/inspection
benchmarks only, its weights read as zeros). Uses only the standard library
and numpy (random weights, normal(0, 0.02)).
"""
import argparse
import json
import os
import shutil
import struct

import numpy as np

SHAPES = {
    "tinyllama": dict(hidden_size=2048, intermediate_size=5632, num_attention_heads=32, num_key_value_heads=4,
                      num_hidden_layers=22, vocab_size=32000, max_position_embeddings=2048),
    "7b": dict(hidden_size=4096, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32,
               num_hidden_layers=32, vocab_size=32000, max_position_embeddings=4096),
    "70b": dict(hidden_size=8192, intermediate_size=28672, num_attention_heads=64, num_key_value_heads=8,
                num_hidden_layers=80, vocab_size=32000, max_position_embeddings=4096),
}
SIZE = {"F16": 2, "BF16": 2, "F32": 4}


def tensors(c):
    C, F, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    kv = c["num_key_value_heads"] * C // c["num_attention_heads"]
    yield "model.embed_tokens.weight", [V, C]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "self_attn.q_proj.weight", [C, C]
        yield p + "self_attn.k_proj.weight", [kv, C]
        yield p + "self_attn.v_proj.weight", [kv, C]
        yield p + "self_attn.o_proj.weight", [C, C]
        yield p + "mlp.gate_proj.weight", [F, C]
        yield p + "mlp.up_proj.weight", [F, C]
        yield p + "mlp.down_proj.weight", [C, F]
        yield p + "input_layernorm.weight", [C]
        yield p + "post_attention_layernorm.weight", [C]
    yield "model.norm.weight", [C]
    yield "lm_head.weight", [V, C]


def write_shard(path, items, dtype, sparse, rng):
    header, offset = {}, 0
    for name, shape in items:
        n = int(np.prod(shape)) * SIZE[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * ((8 - len(blob) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob)
        if sparse:
            f.truncate(8 + len(blob) + offset)
            return
        for name, shape in items:
            n = int(np.prod(shape))
            for start in range(0, n, 1 << 24):
                k = min(1 << 24, n - start)
                x = (np.ones(k, np.float32) if name.endswith("norm.weight") else rng(k))
                if dtype == "F16":
                    f.write(x.astype(np.float16).tobytes())
                elif dtype == "BF16":
                    f.write((x.view(np.uint32) >> 16).astype(np.uint16).tobytes())
                else:
                    f.write(x.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--shape", default="tinyllama", choices=SHAPES)
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--dtype", default="F16", choices=SIZE)
    ap.add_argument("--sparse", action="store_true")
    ap.add_argument("--torch", action="store_true")
    ap.add_argument("--tokenizer")
    a = ap.parse_args()
    c = dict(SHAPES[a.shape])
    os.makedirs(a.out, exist_ok=True)
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2,
              "torch_dtype": {"F16": "float16", "BF16": "bfloat16", "F32": "float32"}[a.dtype], **c}
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=1)
    items = list(tensors(c))
    total = sum(int(np.prod(s)) for _, s in items) * SIZE[a.dtype]
    per, shards, cur, size = total / a.shards, [], [], 0
    for it in items:
        cur.append(it)
        size += int(np.prod(it[1])) * SIZE[a.dtype]
        if size >= per * (len(shards) + 1) and len(shards) < a.shards - 1:
            shards.append(cur)
            cur = []
    shards.append(cur)
    if a.torch:
        import torch
        device = "cuda" if torch.cuda.is_available() else "cpu"
        gen = torch.Generator(device=device).manual_seed(0)
        rng = lambda k: (torch.randn(k, generator=gen, device=device) * 0.02).cpu().numpy()
    else:
        np_rng = np.random.default_rng(0)
        rng = lambda k: np_rng.normal(0, 0.02, k).astype(np.float32)
    weight_map = {}
    for i, sh in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_shard(os.path.join(a.out, fname), sh, a.dtype, a.sparse, rng)
        weight_map.update({n: fname for n, _ in sh})
    json.dump({"metadata": {"total_size": total}, "weight_map": weight_map},
              open(os.path.join(a.out, "model.safetensors.index.json"), "w"), indent=1)
    if a.tokenizer:
        shutil.copy(a.tokenizer, os.path.join(a.out, "tokenizer.model"))
    print(f"{a.out}: {a.shape}, {len(items)} tensors, {total / 1e9:.2f} GB {a.dtype} in {len(shards)} shards{' (sparse)' if a.sparse else ''}")


if __name__ == "__main__":
    main()
