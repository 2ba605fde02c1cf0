"""What every export check shares: running the engine, its logits, one
adapter trained for the checks, and the pass/fail report.

Environment:
  IRQ_BIN          the irqlora binary (default: <repo>/build/bin/irqlora)
  IRQ_CHECK_MODEL  the model checked (default: ../shared/data/models/stories260K-hf)
  IRQ_CHECK_WORK   scratch folder for exports (default: /tmp/irqlora-checks)
  IRQ_CHECK_ALPACA Alpaca JSON for the adapter (default: tests/fixtures/alpaca_tiny.json)
"""
import hashlib
import os
import subprocess
import sys

import numpy as np
from safetensors.numpy import load_file

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IRQ = os.environ.get("IRQ_BIN", os.path.join(REPO, "build", "bin", "irqlora"))
MODEL = os.environ.get("IRQ_CHECK_MODEL", os.path.join(REPO, "..", "shared", "data", "models", "stories260K-hf"))
WORK = os.environ.get("IRQ_CHECK_WORK", "/tmp/irqlora-checks")
ALPACA = os.environ.get("IRQ_CHECK_ALPACA", os.path.join(REPO, "tests", "fixtures", "alpaca_tiny.json"))
# INT4 g32 -> Q4_1 needs every projection's width to be a multiple of 32
# (stories260K's down_proj has 172 columns): the committed tiny LLaMA
# fixture (llama3 RoPE scaling, untied output) is checked for it.
Q4_MODEL = os.path.join(REPO, "tests", "fixtures", "tiny_llama")
PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog"


def require_inputs():
    for path, what in ((IRQ, "the irqlora binary (build first, or set IRQ_BIN)"), (MODEL, "the model (set IRQ_CHECK_MODEL)")):
        if not os.path.exists(path):
            sys.exit(f"missing {what}: {path}")
    os.makedirs(WORK, exist_ok=True)


def irq(*args):
    """Runs the engine on the CPU, unrecorded; its stderr is shown when it fails."""
    cmd = [IRQ, *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"engine failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def work(name):
    return os.path.join(WORK, name)


def export(fmt, out, *args, model=None):
    irq("export", model or MODEL, "--format", fmt, "--out", out, "--force", "--no-record", *args)
    return out


def logits(*args, model=None, prompt=PROMPT):
    """(ids [T], logits [T, V]) of the engine's fp32 CPU forward (BOS prepended)."""
    key = hashlib.sha1(repr((model or MODEL, prompt, args)).encode()).hexdigest()[:12]
    out = work(f"logits-{key}.safetensors")
    irq("logits", model or MODEL, "--prompt", prompt, "--device", "cpu", "--out", out, *args)
    g = load_file(out)
    ids = g["input_ids"].reshape(-1).astype(np.int64)
    return ids, g["logits"].reshape(ids.shape[0], -1).astype(np.float32)


def adapter(*quant_args, name="adapter-icq-nf4-iec"):
    """An IEC-LoRA adapter trained for a few steps on the quantized base (cached in WORK)."""
    out = work(name)
    if not os.path.exists(os.path.join(out, "adapter", "adapter_config.json")) and not os.path.exists(
        os.path.join(out, "adapter_config.json")
    ):
        irq("finetune", MODEL, "--data", ALPACA, "--out", out, "--steps", 30, "--rank", 4, "--batch", 2, "--lr", "2e-3",
            "--device", "cpu", "--no-record", *quant_args)
    for d in (os.path.join(out, "adapter"), out):
        if os.path.exists(os.path.join(d, "adapter_config.json")):
            return d
    sys.exit(f"no adapter written under {out}")


failures = []


def report(name, got, want, tolerance):
    """Prints max |diff| and argmax agreement; remembers a failure. The argmax
    must agree wherever the engine's best logit leads the runner-up by more
    than twice the tolerance (closer calls may flip within the tolerance)."""
    got = np.asarray(got, dtype=np.float64).reshape(want.shape)
    diff = float(np.abs(got - want).max())
    same = got.argmax(-1) == want.argmax(-1)
    top2 = np.sort(want, axis=-1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > 2 * tolerance
    ok = diff <= tolerance and bool(same[decisive].all())
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max |logit diff| {diff:.3g} (tolerance {tolerance:g}), "
          f"argmax agreement {same.mean():.3f} ({int(same[decisive].sum())}/{int(decisive.sum())} decisive positions), "
          f"logits up to {float(np.abs(want).max()):.3g}")
    if not ok:
        failures.append(name)
    return diff


def finish():
    if failures:
        print("regressions: " + ", ".join(failures))
        sys.exit(1)
