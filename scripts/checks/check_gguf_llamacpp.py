#!/usr/bin/env python3
"""`export --format gguf` in llama.cpp itself (llama-cpp-python, built from
its PyPI sdist): F32, F16 and Q8_0 of the model, Q4_1 of the tiny LLaMA fixture's INT4 g32 base,
and Q4_1 of that base with a QA-LoRA + IEC adapter merged into its zero points
(finetune --qa-lora, export --format irq --merge-adapter), each fed the
engine's token ids; logits against the engine's fp32 forward of the same
weights (the plain model; for Q4_1 the INT4 model, with the adapter for the
merged one)."""
# venv: llamacpp
# requires: llama-cpp-python numpy safetensors gguf
import os

import numpy as np
from llama_cpp import Llama

import engine

# llama.cpp keeps its KV cache in float16 and quantizes activations for
# Q8_0 / Q4_1 dot products (q8_0 / q8_1), so these are measured bounds with
# headroom, not rounding-exact: docs/exports.md gives the figures.
kTolerance = {"f32": 0.03, "f16": 0.05, "q8_0": 0.5, "q4_1": 0.08}

engine.require_inputs()
int4 = ("--quant", "int4", "--quant-group", "32")
threads = max(1, len(os.sched_getaffinity(0)))
for kind, args, model in (("f32", (), engine.MODEL), ("f16", (), engine.MODEL), ("q8_0", (), engine.MODEL),
                          ("q4_1", int4, engine.Q4_MODEL)):
    path = engine.export("gguf", engine.work(f"model-{kind}.gguf"), "--gguf-type", kind, *args, model=model)
    ids, want = engine.logits(*args, model=model)
    llm = Llama(model_path=path, n_ctx=256, logits_all=True, verbose=False, n_threads=threads, n_batch=256)
    llm.eval(ids.tolist())
    got = np.array(llm.scores[: len(ids)], dtype=np.float32)
    engine.report(f"llama.cpp {kind}" + (" (INT4 g32 tiny LLaMA fixture)" if args else ""), got, want, kTolerance[kind])
    del llm
# QA-LoRA: trained on the INT4 g32 base, folded into its zero points; llama.cpp
# runs the merged Q4_1 against the engine's base + adapter (not merged).
qa = engine.work("qa-lora")
if not os.path.exists(os.path.join(qa, "adapter", "adapter_config.json")):
    engine.irq("finetune", engine.Q4_MODEL, "--data", engine.ALPACA, "--out", qa, "--steps", 20, "--rank", 1, "--lr", "5e-3",
               "--device", "cpu", "--no-record", "--qa-lora", *int4)
merged = engine.export("irq", engine.work("qa-merged"), "--adapter", os.path.join(qa, "adapter"), "--merge-adapter",
                       model=engine.Q4_MODEL)
path = engine.export("gguf", engine.work("qa-merged-q4_1.gguf"), "--gguf-type", "q4_1", model=merged)
ids, want = engine.logits("--adapter", os.path.join(qa, "adapter"), model=engine.Q4_MODEL)
llm = Llama(model_path=path, n_ctx=256, logits_all=True, verbose=False, n_threads=threads, n_batch=256)
llm.eval(ids.tolist())
got = np.array(llm.scores[: len(ids)], dtype=np.float32)
engine.report("llama.cpp q4_1 of a QA-LoRA-merged INT4 g32 model", got, want, kTolerance["q4_1"])
del llm
engine.finish()
