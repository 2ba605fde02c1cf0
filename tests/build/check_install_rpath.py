#!/usr/bin/env python3
"""Every installed program and engine library finds the bundled LibTorch.

  check_install_rpath.py BUILD_DIR     exit 0 clean, 1 with a list

The package puts LibTorch and its CUDA libraries under lib/irqlora/
(packaging/CMakeLists.txt) and each ELF finds them through its own RUNPATH:
a program's RUNPATH does not reach the dependencies of the libraries it
loads, so every libirq_*.so needs its own. A library installed without one
loads in the build tree (its build RPATH) and fails only once installed
("libc10_cuda.so: cannot open shared object file"). This reads what
`cmake --install` will do (the build's cmake_install.cmake files): each
installed shared library and executable must get a RUNPATH that names
irqlora/torch/lib relative to $ORIGIN.
"""
import pathlib
import re
import sys

from check_report import report

INSTALL = re.compile(r'file\(INSTALL DESTINATION "[^"]*/(lib|bin)" TYPE (SHARED_LIBRARY|EXECUTABLE) FILES "([^"]+)"')
CHANGE = re.compile(r'file\(RPATH_CHANGE\s+FILE "[^"]*/(lib|bin)/([^"/]+)"\s+OLD_RPATH "[^"]*"\s+NEW_RPATH "([^"]*)"', re.S)


def main() -> int:
    build = pathlib.Path(sys.argv[1])
    installed, rpaths = {}, {}
    for script in build.rglob("cmake_install.cmake"):
        text = script.read_text(errors="replace")
        for folder, _, source in INSTALL.findall(text):
            installed[f"{folder}/{pathlib.Path(source).name}"] = script
        for folder, name, new in CHANGE.findall(text):
            rpaths[f"{folder}/{name}"] = new.replace("\\$", "$")
    problems = []
    for file in sorted(installed):
        want = "$ORIGIN/irqlora/torch/lib" if file.startswith("lib/") else "$ORIGIN/../lib/irqlora/torch/lib"
        have = rpaths.get(file)
        if have is None:
            problems.append(f"{file}: installed without a RUNPATH (set its INSTALL_RPATH)")
        elif want not in have.split(":"):
            problems.append(f"{file}: RUNPATH {have} does not name {want}")
    if not installed:
        problems.append(f"no installed programs or libraries found under {build}")
    return report(problems, "install RUNPATH", f"{len(installed)} installed programs and libraries find the bundled LibTorch")


if __name__ == "__main__":
    sys.exit(main())
