#!/usr/bin/env bash
# Quick start, command 2: sets everything up (Debian packages, .venv with
# torch 2.11.0), builds, and runs the whole test suite with CTest (offscreen
# Qt). Integration tests that need ../shared skip with a message without it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "${IRQ_BUILD_DIR:-$root/build}" --output-on-failure -j "${IRQ_TEST_JOBS:-2}" "$@"
