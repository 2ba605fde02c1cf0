#!/usr/bin/env bash
# The workbench in a real X window (Xvfb), driven as a user drives it: xdotool
# moves the pointer and clicks or types into the experiment controls (tabs,
# the Weights tab's live settings and compare mode: another lambda, another
# method; Quantize, the heatmap's statistic, the Experiments loss
# smoothing, the Playground's chat template), and every step checks what the
# click changed, read from the workbench's widget probe (ui/widget_probe.h:
# IRQ_WIDGET_PROBE=FILE, the named widgets' rectangles and state as JSON),
# which the build tree's irqlora-workbench-shot installs (the same window as
# irqlora-workbench; app/gui/workbench_shot.cpp).
#   click_through.sh build/bin/irqlora-workbench-shot FIXTURES_DIR [SCREENSHOT_DIR]
# Exit 77 (CTest: skipped) without Xvfb, xdotool or python3.
set -uo pipefail
app=$1 fixtures=$2 shots=${3:-}
for tool in Xvfb xdotool python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh installs it)"; exit 77; }
done
# Seconds a step may take on a loaded 2-core machine (model load, a layer's
# quantization, the tiny model's whole quantization).
step_timeout=60
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# probe get NAME FIELD | probe center NAME | probe tab NAME TEXT | probe shown NAME
probe() {
  python3 - "$tmp/probe.json" "$@" <<'PY'
import json, sys
path, cmd, *a = sys.argv[1:]
try:
    w = json.load(open(path))["widgets"]
except Exception:
    sys.exit(1)
def center(r): print(r["x"] + r["w"] // 2, r["y"] + r["h"] // 2)
if a[0] not in w: sys.exit(1)
o = w[a[0]]
if cmd == "get":
    v = o.get(a[1])
    print(v if isinstance(v, str) else json.dumps(v))
elif cmd == "center":
    center(o["rect"])
elif cmd == "right":  # near the right end (a slider's page-up side)
    r = o["rect"]; print(r["x"] + r["w"] - 6, r["y"] + r["h"] // 2)
elif cmd == "tab":
    hits = [t["rect"] for t in o["tabs"] if t["text"] == a[1]]
    if not hits: sys.exit(1)
    center(hits[0])
elif cmd == "shown":
    sys.exit(0 if o["visible"] and o["enabled"] else 1)
PY
}

# until DESCRIPTION COMMAND...: polls (every 0.2 s) until the command succeeds.
until_ok() {
  local what=$1; shift
  local end=$((SECONDS + step_timeout))
  while ! "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then fail "$what (not within ${step_timeout} s)"; return 1; fi
    sleep 0.2
  done
  pass "$what"
}
equals() { [ "$(probe get "$1" "$2")" = "$3" ]; }
contains() { probe get "$1" "$2" | grep -q -- "$3"; }
differs() { [ "$(probe get "$1" "$2")" != "$3" ]; }
hidden_or_off() { ! probe shown "$1"; }
greater() { [ "$(probe get "$1" "$2")" -gt "$3" ]; }

click_at() { xdotool mousemove --sync "$1" "$2" click 1; }
click() { local xy; xy=$(probe center "$1") && click_at $xy; }
click_tab() { local xy; xy=$(probe tab main.tabs "$1") && click_at $xy; }
# A combo box: open its list with a click, close it, step to the next item.
next_item() { click "$1" && sleep 0.3 && xdotool key Escape && sleep 0.2 && xdotool key Down; }
shot() { [ -n "$shots" ] && command -v xwd >/dev/null && xwd -root -silent > "$shots/$1.xwd"; true; }

# An X server of our own.
exec 3>"$tmp/display"
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/display" ] && break; sleep 0.1; done
[ -s "$tmp/display" ] || { echo "SKIP: Xvfb did not start: $(cat "$tmp/xvfb.log")"; exit 77; }
export DISPLAY=":$(head -1 "$tmp/display")"
echo "X display $DISPLAY"

# The workbench on the tiny fixture (with TinyLlama-chat's template beside
# it, for the Playground), with its own settings and runs database.
mkdir -p "$tmp/home" "$tmp/model"
cp "$fixtures/tiny_llama/"* "$tmp/model/"
cp "$fixtures/chat_templates/tinyllama_chat.jinja" "$tmp/model/chat_template.jinja"
printf '{"tokenizer_class": "LlamaTokenizer", "legacy": false, "bos_token": "<s>", "eos_token": "</s>"}' > "$tmp/model/tokenizer_config.json"
HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" IRQ_WIDGET_PROBE="$tmp/probe.json" QT_QPA_PLATFORM=xcb \
  IRQ_NUM_THREADS=2 OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE \
  "$app" --model "$tmp/model" --db "$tmp/runs.sqlite" >"$tmp/app.log" 2>&1 &
app_pid=$!
pids+=($app_pid)
until_ok "the window is up and probed" probe get main.tabs text || { cat "$tmp/app.log"; exit 1; }
xdotool search --sync --onlyvisible --pid "$app_pid" >/dev/null 2>&1 && \
  xdotool windowsize "$(xdotool search --onlyvisible --pid "$app_pid" | head -1)" 1280 800

# Weights: quantize the first layer, then change the settings beside the plots.
click_tab Weights
until_ok "the Weights tab opens on a click" equals main.tabs text Weights
until_ok "the model's layers are listed" differs weights.layer text ""
click weights.inspect
until_ok "a layer is quantized: NF4 entropies shown" contains weights.info text "NF4"
next_item weights.method
until_ok "the method list steps to INT2 (the table order: nf4, int2, int3, int4, int8)" equals weights.method text INT2
until_ok "the layer is re-quantized as INT2" contains weights.info text "INT2"
before=$(probe get weights.info text)
xy=$(probe center weights.lambda) && xdotool mousemove --sync $xy click --repeat 3 1 && xdotool type --delay 50 "0.25" && xdotool key Tab
until_ok "lambda typed into its box" equals weights.lambda value 0.25
until_ok "the layer is re-quantized with the new lambda" differs weights.info text "$before"
graphs=$(probe get weights.search graphs)
click weights.compare
until_ok "compare mode is on" equals weights.compare checked true
until_ok "the search plot gains the compared setting's curves" greater weights.search graphs "$graphs"
next_item weights.compare_method
until_ok "the compared method steps to NF4" equals weights.compare_method text NF4
until_ok "the compared setting is re-quantized as NF4" contains weights.info text "compared (NF4 ICQ"
shot weights

# Quantize the whole model, then colour the heatmap by another statistic.
click_tab Quantize
until_ok "the Quantize tab opens" equals main.tabs text Quantize
click quantize.start
until_ok "the model is quantized" contains quantize.summary text "bits"
click_tab Heatmap
until_ok "the Heatmap tab opens" equals main.tabs text Heatmap
until_ok "the heatmap shows the Quantize tab's pass" contains heatmap.source text "Quantize tab"
first=$(probe get heatmap.statistic text)
next_item heatmap.statistic
until_ok "the statistic steps on" differs heatmap.statistic text "$first"
stat=$(probe get heatmap.statistic text)
until_ok "the colour bar is labelled with it" contains heatmap.plot texts "$stat"
shot heatmap

# Experiments: the loss curve's smoothing slider takes a click.
click_tab Experiments
until_ok "the Experiments tab opens" equals main.tabs text Experiments
smoothing=$(probe get experiments.smoothing value)
xy=$(probe right experiments.smoothing) && click_at $xy
until_ok "a click on the slider moves the smoothing" differs experiments.smoothing value "$smoothing"
shot experiments

# Playground: the model's chat template, off and on again with clicks, then
# a reply generated through it.
click_tab Playground
until_ok "the Playground tab opens" equals main.tabs text Playground
until_ok "the chat template is offered, and on" equals playground.chat checked true
click playground.chat
until_ok "a click turns the chat template off" equals playground.chat checked false
until_ok "the system message box goes off with it" hidden_or_off playground.system
click playground.chat
until_ok "a second click turns it on" equals playground.chat checked true
click playground.system && xdotool type --delay 30 "Be brief."
until_ok "a system message is typed" equals playground.system text "Be brief."
click playground.prompt && xdotool type --delay 30 "the robot"
until_ok "a prompt is typed" equals playground.prompt text "the robot"
click playground.generate
until_ok "pane A shows the template's rendering" contains playground.output_a text "<|system|>"
until_ok "pane A finishes with its tokens/s" contains playground.stats_a text "tokens/s"
shot playground

xdotool key ctrl+q
for _ in $(seq 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$app_pid" 2>/dev/null; then fail "Ctrl+Q closes the workbench"; else pass "Ctrl+Q closes the workbench"; fi
if [ "$failures" -gt 0 ]; then
  echo "--- workbench log"; tail -30 "$tmp/app.log"
  echo "$failures step(s) failed"; exit 1
fi
echo "all steps passed"
