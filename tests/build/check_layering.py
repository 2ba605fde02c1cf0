#!/usr/bin/env python3
"""Which way core's dependencies point (../shared/STYLE.md, issue 12 item 3).

  check_layering.py CORE_DIR     exit 0 clean, 1 with a list

Each folder of core/ may include only the folders below it:

  jobs ─► train · eval · export · quant · lora ─► model ─► io · text · runtime · common

model/ reaches quantized weights and adapters only through its own
interfaces (model/frozen_weight.h, model/adapter.h), which quant/ and lora/
implement. Crossings still to remove would be listed by file in KNOWN: a new
crossing fails, and so does a listed one that is gone.
"""
import pathlib
import re
import sys

from check_report import report

LOW = {"common", "io", "text", "runtime"}
ALLOWED = {
    "common": {"common"},
    "io": {"common", "io"},
    "text": {"common", "io", "text"},
    "runtime": {"common", "runtime"},
    "dist": {"common", "runtime", "dist", "gloo"},
    "model": LOW | {"model"},
    "quant": LOW | {"model", "quant"},
    "lora": LOW | {"model", "quant", "lora"},
    "eval": LOW | {"model", "eval"},
    "train": LOW | {"model", "quant", "lora", "dist", "train"},
    "export": LOW | {"model", "quant", "lora", "export"},
    "runs": {"common", "quant", "runs"},
    "experiments": {"common", "runs", "quant", "experiments"},
    "demo": LOW | {"model", "demo"},
}
# (file, included folder): known crossings to remove (none left: model/ calls
# the FrozenWeight and Adapter interfaces that quant/ and lora/ implement).
KNOWN: set = set()
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.M)


def main() -> int:
    core = pathlib.Path(sys.argv[1])
    found, problems = set(), []
    for path in sorted(core.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".cu", ".cuh"}:
            continue
        rel = path.relative_to(core)
        folder = rel.parts[0]
        if folder not in ALLOWED:  # jobs/ (the top) and files at core/'s root
            continue
        for dep in sorted(set(INCLUDE.findall(path.read_text(encoding="utf-8", errors="replace")))):
            if dep in ALLOWED[folder] or (dep not in ALLOWED and dep != "jobs"):
                continue  # a system or third-party folder (nlohmann/, torch/, ...)
            key = (rel.as_posix(), dep)
            if key in KNOWN:
                found.add(key)
            else:
                problems.append(f"{rel}: includes {dep}/, which {folder}/ may not depend on")
    for key in sorted(KNOWN - found):
        problems.append(f"{key[0]} no longer includes {key[1]}/: take it out of KNOWN in {pathlib.Path(__file__).name}")
    return report(problems, "layering", f"layering clean ({len(found)} known crossings left)")


if __name__ == "__main__":
    sys.exit(main())
