#!/usr/bin/env bash
# Quick start, command 1: sets everything up, builds, writes the built-in demo
# model and opens irqlora-workbench on it. Without a display it runs the window
# under Xvfb and saves a screenshot to build/workbench-demo.png instead (with
# the build tree's irqlora-workbench-shot: the same window, rendered to a PNG).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${IRQ_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
demo="$("$build/bin/irqlora" demo)"
echo "demo model: $demo"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec "$build/bin/irqlora-workbench" "$demo" "$@"
fi
echo "no display: rendering the workbench under Xvfb to $build/workbench-demo.png"
xvfb-run -a -s "-screen 0 1400x900x24" "$build/bin/irqlora-workbench-shot" "$demo" --screenshot "$build/workbench-demo.png" "$@"
