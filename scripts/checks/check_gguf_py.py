#!/usr/bin/env python3
"""`export --format gguf` read by gguf-py (llama.cpp's own Python reader):
metadata, tensor names and shapes, and every tensor dequantized by
gguf.quants against the engine's weights (the `merged` export of the same
base): F32 exact, F16 one rounding, Q8_0 within half a step of ggml's
reference quantizer, Q4_1 (from INT4 g32, on the tiny LLaMA fixture) within the float16 rounding of its
d and m (docs/exports.md)."""
# venv: gguf
# requires: gguf numpy safetensors
import json

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType
from gguf.quants import dequantize
from safetensors.numpy import load_file

import engine
from gguf_names import gguf_name, to_gguf_order

engine.require_inputs()
int4 = ("--quant", "int4", "--quant-group", "32")


def field(reader, key):
    f = reader.fields[key]
    v = f.parts[f.data[0]]
    return bytes(v).decode() if f.types[0].name == "STRING" else v.tolist()[0] if len(v) == 1 else v.tolist()


def check(kind, gguf_args, merged_args, bound, model=engine.MODEL):
    config = json.load(open(f"{model}/config.json"))
    path = engine.export("gguf", engine.work(f"model-{kind}.gguf"), "--gguf-type", kind, *gguf_args, model=model)
    ref_dir = engine.export("merged", engine.work(f"merged-for-{kind}"), *merged_args, "--out-dtype", "float32", model=model)
    ref = load_file(f"{ref_dir}/model.safetensors")
    r = GGUFReader(path)
    meta_ok = (field(r, "general.architecture") == "llama"
               and field(r, "llama.block_count") == config["num_hidden_layers"]
               and field(r, "llama.embedding_length") == config["hidden_size"]
               and field(r, "llama.attention.head_count") == config["num_attention_heads"]
               and field(r, "llama.attention.head_count_kv") == config.get("num_key_value_heads", config["num_attention_heads"])
               and len(r.fields["tokenizer.ggml.tokens"].data) == config["vocab_size"])
    tensors = {t.name: t for t in r.tensors}
    worst, missing = 0.0, []
    for hf, w in ref.items():
        name = gguf_name(hf)
        if hf.endswith("rotary_emb.inv_freq"):
            continue
        if name is None or name not in tensors:
            if not (hf == "lm_head.weight" and config.get("tie_word_embeddings")):
                missing.append(hf)
            continue
        t = tensors[name]
        want = to_gguf_order(hf, w.astype(np.float32), config)
        got = dequantize(t.data, t.tensor_type).reshape(want.shape).astype(np.float32)
        excess = float((np.abs(got - want) - bound(t, want, got)).max())
        worst = max(worst, excess)
    ok = meta_ok and not missing and worst <= 0
    print(f"{'ok  ' if ok else 'FAIL'} gguf-py {kind}: {len(r.tensors)} tensors, metadata {'as config.json' if meta_ok else 'WRONG'}, "
          f"missing {missing or 'none'}, worst excess over the bound {worst:.3g}")
    if not ok:
        engine.failures.append(f"gguf-py {kind}")


def exact(t, want, got):
    return 0.0


def f16_rounding(t, want, got):
    return np.abs(want) * 2.0 ** -11 + 6e-8  # round to nearest float16, subnormals included


def q8_0(t, want, got):
    if t.tensor_type != GGMLQuantizationType.Q8_0:
        return f16_rounding(t, want, got) if t.tensor_type == GGMLQuantizationType.F16 else 0.0
    blocks = want.reshape(-1, 32)
    d = np.abs(blocks).max(axis=1, keepdims=True) / 127
    return np.broadcast_to(d * (0.5 + 2.0 ** -11 * 128) + 1e-12, blocks.shape).reshape(want.shape)


def q4_1(t, want, got):
    if t.tensor_type != GGMLQuantizationType.Q4_1:
        return f16_rounding(t, want, got) if t.tensor_type == GGMLQuantizationType.F16 else 0.0
    raw = np.asarray(t.data, dtype=np.uint8).reshape(-1, 20)
    d = np.abs(raw[:, 0:2].copy().view(np.float16).astype(np.float64))
    m = np.abs(raw[:, 2:4].copy().view(np.float16).astype(np.float64))
    per_block = 1.001 * 2.0 ** -11 * (15 * d + m) + 1e-12
    return np.repeat(per_block, 32, axis=1).reshape(want.shape)


check("f32", (), (), exact)
check("f16", (), (), lambda t, w, g: f16_rounding(t, w, g) if t.tensor_type == GGMLQuantizationType.F16 else 0.0)
check("q8_0", (), (), q8_0)
check("q4_1", int4, int4, q4_1, model=engine.Q4_MODEL)
engine.finish()
