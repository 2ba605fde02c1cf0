#!/usr/bin/env python3
"""Names with internal linkage that two sources of one unity-built target share.

A unity build (IRQ_UNITY_BUILD, the default) compiles a target's sources in
batches, so the anonymous namespaces of the files in a batch become one: two
helpers with the same name and signature fail to compile, and two with the
same name but different parameters become overloads of each other, where a
call may silently pick the other file's helper. Which files share a batch
moves whenever a file is added, so this check holds every target to the
stronger rule: no name defined in an anonymous namespace (or `static` at
file scope) by more than one of its batched sources. Same-type aliases
(`using Clock = std::chrono::steady_clock;` twice) are legal and allowed.

  check_unity_names.py BUILD_DIR     exit 0 clean, 1 with a list, 77 without unity sources
"""
import collections
import pathlib
import re
import sys

OPEN_CLOSE = re.compile(r"[{};]")
FUNC = re.compile(r"(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:const)?\s*(?:noexcept)?\s*(?:->\s*[\w:<>]+)?\s*$")
TYPE = re.compile(r"\b(?:class|struct|enum(?:\s+class)?|union)\s+(\w+)")
VAR = re.compile(r"(?:constexpr|const)\s+[\w:<>,\s]+?\s+(\w+)\s*(?:=|\[|$)")
ALIAS = re.compile(r"^using\s+(\w+)\s*=\s*(.+)$", re.S)
KEYWORDS = {"if", "for", "while", "switch", "return", "catch", "sizeof", "decltype"}


def strip(src):
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    src = re.sub(r'R"(\w*)\(.*?\)\1"', '""', src, flags=re.S)
    src = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', src)
    return re.sub(r"'(?:\\.|[^'\\\n])*'", "''", src)


def internal_names(path):
    """{name: definition key} of one source's file-scope internal names."""
    src = strip(path.read_text(errors="replace"))
    src = re.sub(r"^\s*#[^\n]*", " ", src, flags=re.M)
    found = {}
    stack = []  # "ns", "anon" or "body"
    last = 0
    for m in OPEN_CLOSE.finditer(src):
        head = " ".join(src[last:m.start()].split())
        # A brace inside parentheses (a default argument `= {}`, a braced
        # initialiser in a call) belongs to the declaration being read.
        if stack and stack[-1] == "inner":
            if m.group() == "}":
                stack.pop()
            continue
        if m.group() == "{" and head.count("(") > head.count(")"):
            stack.append("inner")
            continue
        last = m.end()
        at_file_scope = all(k in ("ns", "anon") for k in stack)
        anon = "anon" in stack
        if m.group() == "{":
            if re.search(r"\bnamespace$", head):
                stack.append("anon")
                continue
            if re.search(r"\bnamespace [\w:]+$", head) or head.endswith('extern ""'):
                stack.append("ns")
                continue
            if at_file_scope:
                t = TYPE.search(head)
                f = FUNC.search(head)
                if t and anon and not f:
                    found[t.group(1)] = "type"
                elif f and f.group(1) not in KEYWORDS and (anon or re.search(r"\bstatic\b", head)):
                    found[f.group(1)] = "function"
                elif anon:
                    v = VAR.search(head)
                    if v:
                        found[v.group(1)] = "variable"
            stack.append("body")
        elif m.group() == "}":
            if stack:
                stack.pop()
        elif at_file_scope and (anon or head.startswith("static ")):
            a = ALIAS.match(head)
            v = VAR.search(head)
            if a:
                found[a.group(1)] = "alias " + a.group(2)
            elif v and "(" not in head:
                found[v.group(1)] = "variable"
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = pathlib.Path(sys.argv[1])
    targets = collections.defaultdict(list)
    for unity in sorted(build.rglob("CMakeFiles/*.dir/Unity/unity_*_cxx.cxx")):
        target = unity.parent.parent.name[: -len(".dir")]
        for inc in re.findall(r'#include "([^"]+)"', unity.read_text()):
            targets[target].append(pathlib.Path(inc))
    if not targets:
        print(f"no unity sources under {build} (IRQ_UNITY_BUILD=OFF): nothing to check")
        return 77
    clashes = []
    for target, sources in sorted(targets.items()):
        seen = collections.defaultdict(list)
        for src in sources:
            for name, key in internal_names(src).items():
                seen[name].append((src, key))
        for name, defs in sorted(seen.items()):
            keys = {k for _, k in defs}
            if len(defs) > 1 and not (len(keys) == 1 and next(iter(keys)).startswith("alias ")):
                files = ", ".join(str(s) for s, _ in defs)
                clashes.append(f"{target}: '{name}' has internal linkage in {len(defs)} files: {files}")
    checked = sum(len(v) for v in targets.values())
    if clashes:
        print("\n".join(clashes))
        print(f"{len(clashes)} name(s) shared inside a unity-built target: rename them, or move one shared copy to a header")
        return 1
    print(f"{checked} sources of {len(targets)} unity-built targets: no internal name defined twice in one target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
