#!/usr/bin/env python3
"""No quantization-method branches in core, and no format's payload part
named there (issue 12 item 2).

  check_format_branches.py CORE_DIR     exit 0 clean, 1 with a list

A format's behaviour lives in its folder (plugins/<name>/) behind the traits
table of core/quant/quant_format.h; core looks a format up by the method
name and calls it, and never tests the name itself. This finds such tests:
comparisons of a `method` (or a method-like variable) with a string literal
naming a format, and prefix tests such as `rfind("int", 0)`.

A format owns its payload: its parts (plugins/<name>/*_description.cpp
declares them, e.g. {"absmax_q", DType::kU8, ...}) are read and written in
its folder only; core moves named parts without knowing them. So no part
name but "codes" (every format's packed codes) may appear in core as a
string literal.

Branches still to move would be listed by file, with their count, in KNOWN
(none are left): a new branch fails, and so does a file whose count dropped
without KNOWN following.
"""
import pathlib
import re
import sys

from check_report import report

FORMAT_WORDS = r'(?:nf4|int[0-9]?)'
PATTERNS = [
    re.compile(r'[=!]=\s*"' + FORMAT_WORDS + r'"'),              # x == "nf4"
    re.compile(r'"' + FORMAT_WORDS + r'"\s*[=!]='),              # "nf4" == x
    re.compile(r'rfind\(\s*"' + FORMAT_WORDS + r'"\s*,\s*0\s*\)'),  # prefix tests
    re.compile(r'starts_with\(\s*"' + FORMAT_WORDS + r'"'),
]
COMMENT = re.compile(r'//.*?$|/\*.*?\*/', re.S | re.M)

# file -> branches on a method name it still holds (to move into the formats).
KNOWN: dict = {}


PART_DECL = re.compile(r'\{\s*"([a-z_0-9]+)"\s*,\s*DType::k')
STRING = re.compile(r'"\.?([a-z_0-9]+)"')  # "absmax_q", or ".absmax_q" as a tensor-name suffix
# The types that carry a payload through core; a member named for a part would be a field of one format.
CARRIERS = {"quant/quantized_tensor.h": "QuantizedTensor", "quant/quantized_weight.h": "QuantizedWeight",
            "quant/quant_format.h": "DeviceQuantTensor"}


def part_names(plugins: pathlib.Path) -> set:
    names = set()
    for path in plugins.rglob("*_description.cpp"):
        names.update(PART_DECL.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names - {"codes"}


def main() -> int:
    core = pathlib.Path(sys.argv[1])
    parts = part_names(core.parent / "plugins")
    if not parts:
        print(f"no payload parts declared under {core.parent / 'plugins'}: the check cannot run")
        return 1
    named = []
    found = {}
    for path in sorted(core.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".cu", ".cuh"}:
            continue
        if path.relative_to(core).parts[0] == "text":  # the Jinja interpreter: "int" is a filter there
            continue
        text = COMMENT.sub("", path.read_text(encoding="utf-8", errors="replace"))
        n = sum(len(p.findall(line)) for line in text.splitlines() for p in PATTERNS)
        for i, line in enumerate(text.splitlines(), 1):
            for word in STRING.findall(line):
                if word in parts:
                    named.append(f"{path.relative_to(core).as_posix()}:{i}: names the payload part \"{word}\": "
                                 "only its format's plugin reads it")
        carrier = CARRIERS.get(path.relative_to(core).as_posix())
        body = re.search(r'struct ' + carrier + r'\b[^{;]*\{(.*?)\n\};', text, re.S) if carrier else None
        if carrier and not body:
            named.append(f"{path.relative_to(core).as_posix()}: struct {carrier} not found (update CARRIERS)")
        elif body:
            for word in sorted(parts):
                if re.search(r'\b' + word + r'\b\s*[;,=]', body.group(1)):
                    named.append(f"{path.relative_to(core).as_posix()}: struct {carrier} has a member '{word}', "
                                 "a format's payload part: hold it as a named part")
        if n:
            found[path.relative_to(core).as_posix()] = n
    problems = []
    for f, n in sorted(found.items()):
        known = KNOWN.get(f, 0)
        if n > known:
            problems.append(f"{f}: {n} branch(es) on a method name ({known} known): call the format's traits instead")
        elif n < known:
            problems.append(f"{f}: {n} branch(es) left, KNOWN says {known}: lower it in {pathlib.Path(__file__).name}")
    for f in sorted(set(KNOWN) - set(found)):
        problems.append(f"{f} has no branch left: take it out of KNOWN in {pathlib.Path(__file__).name}")
    problems += named
    return report(problems, "method-branch",
                  f"method branches: {sum(found.values())} left in {len(found)} file(s), all known; "
                  f"none of the formats' {len(parts)} payload parts ({', '.join(sorted(parts))}) named in core")


if __name__ == "__main__":
    sys.exit(main())
