#!/usr/bin/env bash
# Makes (once) and prints the Python of a verification venv outside the
# project: scripts/checks/venv.sh NAME PACKAGE...
# The venvs live in $IRQ_CHECK_VENVS (default ~/.cache/irqlora-checks); they
# are verification tools, never dependencies of the engine.
set -euo pipefail
name=$1; shift
root=${IRQ_CHECK_VENVS:-$HOME/.cache/irqlora-checks}
dir=$root/$name
stamp=$dir/.requirements
want=$(printf '%s\n' "$@")
if [[ ! -x $dir/bin/python || ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  mkdir -p "$root"
  python3 -m venv "$dir" >&2
  "$dir/bin/pip" install --quiet --upgrade pip >&2
  "$dir/bin/pip" install --quiet "$@" >&2
  printf '%s' "$want" > "$stamp"
fi
echo "$dir/bin/python"
