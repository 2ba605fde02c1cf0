#!/usr/bin/env python3
"""No quantization-method branches in core (issue 12 item 2).

  check_format_branches.py CORE_DIR     exit 0 clean, 1 with a list

A format's behaviour lives in its folder (plugins/<name>/) behind the traits
table of core/quant/quant_format.h; core looks a format up by the method
name and calls it, and never tests the name itself. This finds such tests:
comparisons of a `method` (or a method-like variable) with a string literal
naming a format, and prefix tests such as `rfind("int", 0)`.

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


def main() -> int:
    core = pathlib.Path(sys.argv[1])
    found = {}
    for path in sorted(core.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".cu", ".cuh"}:
            continue
        if path.relative_to(core).parts[0] == "text":  # the Jinja interpreter: "int" is a filter there
            continue
        text = COMMENT.sub("", path.read_text(encoding="utf-8", errors="replace"))
        n = sum(len(p.findall(line)) for line in text.splitlines() for p in PATTERNS)
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
    return report(problems, "method-branch", f"method branches: {sum(found.values())} left in {len(found)} file(s), all known")


if __name__ == "__main__":
    sys.exit(main())
