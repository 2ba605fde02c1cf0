#!/usr/bin/env bash
# Runs one check in its verification venv, made by venv.sh from the script's
# "# venv: NAME" and "# requires: PACKAGE..." lines (the checks that need
# torch share one): scripts/checks/run_one.sh check_bnb_nf4.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$here/$(basename "$1")
requires=$(sed -n 's/^# requires: //p' "$script")
[[ -n $requires ]] || { echo "$script has no '# requires:' line" >&2; exit 2; }
name=$(sed -n 's/^# venv: //p' "$script")
[[ -n $name ]] || { echo "$script has no '# venv:' line" >&2; exit 2; }
# shellcheck disable=SC2086
python=$("$here/venv.sh" "$name" $requires)
cd "$here" && exec "$python" "$script"
