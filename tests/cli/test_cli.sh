#!/usr/bin/env bash
# The irqlora CLI as a user runs it: help, info, generate, demo, bench, and the
# documented exit codes with messages that name the bad file.
#   test_cli.sh IRQLORA FIXTURES_DIR [PART]
# PART (default all) runs one of the three parts, each with its own runs
# database and files: first (help, info, generate, tokenizers, quantize,
# GPTQ), eval (MMLU, tasks, perplexity, runs), train (finetune, recipes,
# export, hostile adapters and trainer states). CTest runs them as cli_first,
# cli_eval and cli_train, side by side: each is a third of the ~140 CLI
# starts, most of whose time is starting the engine.
set -u
irq="$1"; fixtures="$2"; part="${3:-all}"
case "$part" in all|first|eval|train) ;; *) echo "unknown part '$part' (all, first, eval, train)"; exit 2 ;; esac
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
export IRQ_RUNS_DB="$tmp/first-runs.sqlite"  # never the user's database
passed=0; failed=0
section=first
selected() { [ "$part" = all ] || [ "$part" = "$section" ]; }

check() {  # check NAME EXPECTED_EXIT REGEX -- command...  (a no-op outside the chosen part)
  selected || return 0
  local name="$1" want="$2" regex="$3"; shift 4
  local out rc
  out="$("$@" 2>&1)"; rc=$?
  if [ "$rc" = "$want" ] && printf '%s' "$out" | grep -Eq -- "$regex"; then
    passed=$((passed+1)); echo "ok   $name"
  else
    failed=$((failed+1)); echo "FAIL $name: exit $rc (want $want), output:"; printf '%s\n' "$out" | head -20
  fi
}

check "help"               0 "verbs:"                         -- "$irq" --help
check "no arguments"       2 "usage: irqlora VERB"            -- "$irq"
check "verb help"          0 "--max-new-tokens N"             -- "$irq" generate --help
check "help lists formats" 0 "--method M                nf4, int2, int3, int4, int8" -- "$irq" quantize --help
check "engine help formats" 0 "quantize the base in place first: nf4, int2" -- "$(dirname "$irq")/irqlora-engine" eval ppl --help
check "unknown verb"       2 "unknown verb 'frobnicate'"      -- "$irq" frobnicate
check "unknown option"     2 "unknown option --bogus"         -- "$irq" info "$fixtures/tiny_llama" --bogus
check "missing value"      2 "--max-new-tokens needs a value" -- "$irq" generate "$fixtures/tiny_llama" --max-new-tokens
check "bad integer"        2 "expects an integer"             -- "$irq" generate "$fixtures/tiny_llama" --max-new-tokens many
check "info"               0 "4 heads, 2 kv heads \\(GQA\\)"      -- "$irq" info "$fixtures/tiny_llama"
check "info json"          0 '"total_params": 127296'         -- "$irq" info "$fixtures/tiny_llama" --json
check "info tensors"       0 "model.layers.1.mlp.up_proj.weight +BF16 +\[96, 64\]" -- "$irq" info "$fixtures/tiny_llama" --tensors
check "generate"           0 "prompt tokens, 5 new"           -- "$irq" generate "$fixtures/tiny_llama" --prompt "the robot" --max-new-tokens 5 --device cpu
check "generate sampled"   0 "5 new"                          -- "$irq" generate "$fixtures/tiny_qwen2" --prompt "a" --max-new-tokens 5 --temperature 0.8 --top-k 20 --device cpu
# Chat templates (TinyLlama-chat's, from tests/fixtures/chat_templates): the prompt as the user's turn.
mkdir -p "$tmp/chat" "$tmp/badchat"
cp "$fixtures/tiny_llama/"* "$tmp/chat/"; cp "$fixtures/tiny_llama/"* "$tmp/badchat/"
printf '{"tokenizer_class": "LlamaTokenizer", "legacy": false, "bos_token": "<s>", "eos_token": "</s>"}' | tee "$tmp/chat/tokenizer_config.json" > "$tmp/badchat/tokenizer_config.json"
cp "$fixtures/chat_templates/tinyllama_chat.jinja" "$tmp/chat/chat_template.jinja"
printf 'ok\n{%% for m in messages %%}' > "$tmp/badchat/chat_template.jinja"
check "generate --chat"    0 "^<\|system\|>$"                  -- "$irq" generate "$tmp/chat" --chat --system "Be brief." --prompt "the robot" --max-new-tokens 3 --device cpu
check "generate --chat ids" 0 "^\[26 prompt tokens, 3 new"      -- "$irq" generate "$tmp/chat" --chat --prompt "the robot" --max-new-tokens 3 --device cpu
check "chat without template" 3 "tiny_llama: has no chat template" -- "$irq" generate "$fixtures/tiny_llama" --chat --prompt hi --device cpu
check "broken chat template" 3 "badchat/chat_template.jinja: line 2: the template ends inside a block: expected else or endfor" -- "$irq" generate "$tmp/badchat" --chat --prompt hi --device cpu
check "system without chat" 2 "system: a system message needs chat" -- "$irq" generate "$tmp/chat" --system "x" --prompt hi --device cpu
check "missing model dir"  4 "$tmp/absent: not a model directory" -- "$irq" info "$tmp/absent"

mkdir -p "$tmp/truncated"; cp "$fixtures/tiny_llama/config.json" "$tmp/truncated/"
head -c 100000 "$fixtures/tiny_llama/model.safetensors" > "$tmp/truncated/model.safetensors"
check "truncated weights"  3 "truncated/model.safetensors: tensor '.*'.*run past the end" -- "$irq" info "$tmp/truncated"

mkdir -p "$tmp/badcfg"; cp "$fixtures/tiny_llama/model.safetensors" "$tmp/badcfg/"
sed 's/"num_key_value_heads": 2/"num_key_value_heads": 3/' "$fixtures/tiny_llama/config.json" > "$tmp/badcfg/config.json"
check "wrong config field" 3 "badcfg/config.json: field 'num_key_value_heads' = 3" -- "$irq" info "$tmp/badcfg"

mkdir -p "$tmp/notok"; cp "$fixtures/tiny_llama/model.safetensors" "$fixtures/tiny_llama/config.json" "$tmp/notok/"
check "info without tokenizer" 0 "tokenizer +.*neither tokenizer.json nor tokenizer.model" -- "$irq" info "$tmp/notok"
mkdir -p "$tmp/tokdir/tokenizer.model"; cp "$fixtures/tiny_llama/config.json" "$fixtures/tiny_llama/model.safetensors" "$tmp/tokdir/"
check "tokenizer.model is a dir" 3 "tokdir/tokenizer.model: the tokenizer model is not a regular file" -- "$irq" generate "$tmp/tokdir" --prompt a --max-new-tokens 1 --device cpu
check "generate without tokenizer" 4 "notok: no tokenizer: neither tokenizer.json nor tokenizer.model" -- "$irq" generate "$tmp/notok" --prompt hi
# tokenizer.json folders (fixtures in the Llama 3 and Qwen2 layouts): BOS only where the tokenizer adds one.
check "tokenize llama3"    0 "^0 43 1666 1865$"               -- "$irq" tokenize "$fixtures/tokenizers/llama3" --text "Hello world"
check "tokenize qwen2 text" 0 "^42 1665 1819 94 291 65 359 485 94 32 1862$" -- "$irq" tokenize "$fixtures/tokenizers/qwen2" --text "Hello <|im_start|> world"
check "tokenize --special" 0 "^42 1665 223 1 1862$"           -- "$irq" tokenize "$fixtures/tokenizers/qwen2" --text "Hello <|im_start|> world" --special
check "tokenize --decode"  0 "^Grüße 東京$"                  -- "$irq" tokenize "$fixtures/tokenizers/llama3" --decode --text "0 $("$irq" tokenize "$fixtures/tokenizers/llama3" --text 'Grüße 東京' | cut -d' ' -f2-)"
check "tokenize both"      2 "exactly one of --text and --file" -- "$irq" tokenize "$fixtures/tokenizers/llama3" --text x --file y
check "tokenize bad id"    2 "'99999' is not a token id"      -- "$irq" tokenize "$fixtures/tokenizers/llama3" --decode --text "1 99999"
# Models by name: a fake hub cache laid out as huggingface_hub writes it.
hub="$tmp/hub/models--irq-test--tiny"
mkdir -p "$hub/refs" "$hub/snapshots/abc123"
cp "$fixtures/tiny_llama/"* "$hub/snapshots/abc123/"
echo abc123 > "$hub/refs/main"
check "repo id from the cache" 0 "4 heads, 2 kv heads"         -- env HF_HUB_CACHE="$tmp/hub" "$irq" info irq-test/tiny
check "repo id by commit"   0 "4 heads, 2 kv heads"            -- env HF_HUB_CACHE="$tmp/hub" "$irq" info irq-test/tiny --revision abc123
check "repo id unknown rev" 4 "revision 'v9' is not in this cache" -- env HF_HUB_CACHE="$tmp/hub" "$irq" info irq-test/tiny --revision v9
check "repo id missing"     4 "neither a folder nor a model in the Hugging Face cache \\(looked in $tmp/hub/models--irq-test--absent" -- env HF_HUB_CACHE="$tmp/hub" "$irq" info irq-test/absent
check "bench tokenize"     0 "skipped: '/nonexistent/python' cannot import tokenizers" -- "$irq" bench tokenize "$fixtures/tokenizers/llama3" --file "$fixtures/tokenizers/sample_text.txt" --repeats 1 --python /nonexistent/python
check "threads option"     0 "1 threads on"                   -- "$irq" --threads 1 bench load "$fixtures/tiny_llama" --repeats 1 --prompt-tokens 4 --decode-tokens 2

if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  check "generate on cuda"  0 "1 new"                           -- "$irq" generate "$fixtures/tiny_llama" --prompt a --max-new-tokens 1 --device cuda
else
  check "cuda without a GPU" 5 "CUDA is not available"          -- "$irq" generate "$fixtures/tiny_llama" --prompt a --max-new-tokens 1 --device cuda
fi
check "demo"               0 "$tmp/demo"                      -- "$irq" demo --out "$tmp/demo"
check "demo loads"         0 "4, hidden 256"                   -- "$irq" info "$tmp/demo"
check "bench load"         0 "ratio KV cache / recompute"     -- "$irq" bench load "$fixtures/tiny_llama" --repeats 1 --prompt-tokens 16 --decode-tokens 8 --device cpu

check "quantize nf4"        0 "model +[0-9.]+ +[0-9.]+ +\+0\.[0-9]+"  -- "$irq" quantize "$fixtures/tiny_llama" --method nf4 --stats "$tmp/stats.json" --out "$tmp/q4"
check "stats json"          0 '"entropy_gain"'               -- cat "$tmp/stats.json"
check "quantized generate"  0 "3 new"                        -- "$irq" generate "$tmp/q4" --prompt "the robot" --max-new-tokens 3 --device cpu
check "quantized info"      0 "ICQ-NF4"                      -- "$irq" info "$tmp/q4"
check "quantize no overwrite" 2 "q4: exists; pass --force"   -- "$irq" quantize "$fixtures/tiny_llama" --out "$tmp/q4"
check "quantize int3 plain" 0 "INT3 \(group 32\)"           -- "$irq" quantize "$fixtures/tiny_llama" --method int3 --group 32 --no-icq
check "quantize phases"     0 "^  quantize +[0-9.]+ s$" -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --device cpu --no-record
jq=(quantize "$fixtures/tiny_llama" --method int4 --device cpu --no-record --progress jsonl)
check "jsonl start"         0 '^\{"event":"start","verb":"quantize","pid":[0-9]+,"host":' -- "$irq" "${jq[@]}"
check "jsonl progress"      0 '^\{"event":"progress","stage":"quantize","done":14,"total":14,"elapsed_s":[0-9.e-]+,"eta_s":0' -- "$irq" "${jq[@]}"
if ! selected; then :
elif "$irq" "${jq[@]}" 2>&1 | grep -Eq 'quantize: [0-9]+/14 \(|\[#'; then
  failed=$((failed+1)); echo "FAIL jsonl no bar: the progress bar is drawn beside the events"
else
  passed=$((passed+1)); echo "ok   jsonl no bar"
fi
check "jsonl result"        0 '^\{"event":"result","exit_code":0,"error":null,"run_id":null,"seconds":[0-9.e-]+\}$' -- "$irq" "${jq[@]}"
check "jsonl error result"  4 '^\{"event":"result","exit_code":4,"error":".*nowhere.*","run_id":null' -- "$irq" quantize "$tmp/nowhere" --progress jsonl --no-record
check "jsonl recorded run"  0 '^\{"event":"run","run_id":[0-9]+,"db":".*jsonl.sqlite"\}$' -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --device cpu --db "$tmp/jsonl.sqlite" --progress jsonl
check "progress bad mode"   2 "--progress 'xml': expected bar or jsonl" -- "$irq" quantize "$fixtures/tiny_llama" --progress xml
check "quantize bad method" 2 "unknown quantization method"  -- "$irq" quantize "$fixtures/tiny_llama" --method fp5
check "bench icq"           0 "ratio fast / C\+\+ reference \(same 16 x 256 matrix\): [0-9.]+x" -- "$irq" bench icq --rows 64 --cols 512 --baseline-rows 16 --baseline-cols 256
calib="$fixtures/tokenizers/sample_text.txt"
gq=(--method int3 --group 32 --gptq --calib "$calib" --nsamples 4 --seqlen 16 --device cpu)
check "gptq quantize"       0 "GPTQ-ICQ-INT3 \(group 32, lambda 0.1, n 50, damp 0.01, 4 x 16 calibration tokens\)" -- "$irq" quantize "$fixtures/tiny_llama" "${gq[@]}" --out "$tmp/gq3"
check "gptq checkpoint"     0 "GPTQ-ICQ-INT3"                -- "$irq" info "$tmp/gq3"
check "gptq sym act-order"  0 "GPTQ-INT4 \(group 32, symmetric, act-order" -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --group 32 --no-icq --gptq --calib "$calib" --nsamples 4 --seqlen 16 --sym --act-order --device cpu
check "gptq per channel"    0 "GPTQ-ICQ-INT2 \(per channel"  -- "$irq" quantize "$fixtures/tiny_llama" --method int2 --group 0 --gptq --calib "$calib" --nsamples 4 --seqlen 16 --device cpu
check "gptq needs calib"    2 "--gptq needs calibration text" -- "$irq" quantize "$fixtures/tiny_llama" --method int3 --gptq
check "gptq not nf4"        2 "GPTQ quantizes to INT-k"       -- "$irq" quantize "$fixtures/tiny_llama" --method nf4 --gptq --calib "$calib"
check "sym needs gptq"      2 "--sym is a GPTQ option"        -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --sym
check "gptq short calib"    3 "sample_text.txt: calibration text has [0-9]+ tokens, fewer than one segment of 4096" -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --gptq --calib "$calib" --seqlen 4096 --device cpu
check "gptq missing calib"  4 "nowhere.txt"                   -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --gptq --calib "$tmp/nowhere.txt" --device cpu
check "eval ppl gptq base"  0 "^perplexity [0-9.]+ "          -- "$irq" eval ppl "$fixtures/tiny_llama" --text "$calib" --window 32 --stride 32 --quant int4 --quant-group 32 --gptq --calib "$calib" --nsamples 4 --seqlen 16 --device cpu --no-record
check "the INT format is built in" 0 "ICQ-INT4" -- "$irq" quantize "$fixtures/tiny_llama" --method int4 --targets q

section=eval
export IRQ_RUNS_DB="$tmp/runs.sqlite"
mmlu="$fixtures/mmlu_tiny"
check "eval mmlu"           0 "overall \(micro\) +[0-9.]+%  \([0-9]+/10\)" -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --out "$tmp/mmlu.json" --answers "$tmp/mmlu.csv" --device cpu
check "eval mmlu says its size" 0 "MMLU: 10 questions in 3 subjects, 0-shot" -- env IRQ_RUNS_DB="$tmp/limit-runs.sqlite" "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --shots 0 --device cpu
check "eval mmlu --limit"   0 "MMLU: 6 questions in 3 subjects, 0-shot \(--limit 2 per subject\)" -- env IRQ_RUNS_DB="$tmp/limit-runs.sqlite" "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --shots 0 --limit 2 --device cpu
check "eval mmlu quantized" 0 "ICQ-NF4 .* base: entropy"    -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --subjects anatomy --quant nf4 --device cpu
check "eval mmlu bad data"  4 "no test/ folder"              -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$tmp"
check "eval mmlu no adapter" 4 "adapter_config.json: cannot open" -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --adapter "$tmp"
printf 'Once upon a time, the robot counted the birds on the roof. Every morning it opened the window.\n' > "$tmp/text.txt"
mkdir -p "$tmp/tasks-model"; cp "$fixtures/tiny_llama/model.safetensors" "$fixtures/tiny_llama/tokenizer.model" "$tmp/tasks-model/"
sed 's/"max_position_embeddings": 64/"max_position_embeddings": 1024/' "$fixtures/tiny_llama/config.json" > "$tmp/tasks-model/config.json"
check "eval tasks"           0 "\|winogrande +\| +3\|acc +\| *0\.[0-9]{4}\|" -- env IRQ_RUNS_DB="$tmp/tasks-runs.sqlite" "$irq" eval tasks "$tmp/tasks-model" --data "$fixtures/tasks" --limit 3 --out "$tmp/tasks.json" --examples "$tmp/tasks.csv" --device cpu
check "eval tasks json"      0 '"acc_norm,none"'              -- cat "$tmp/tasks.json"
check "eval tasks recorded"  0 "eval-tasks +finished"         -- env IRQ_RUNS_DB="$tmp/tasks-runs.sqlite" "$irq" runs list
check "eval tasks says its size" 0 "tasks: 21 documents, 64 requests" -- "$irq" eval tasks "$tmp/tasks-model" --data "$fixtures/tasks" --limit 3 --device cpu --no-record
check "eval tasks unknown"   2 "unknown task 'lambada'"       -- "$irq" eval tasks "$tmp/tasks-model" --data "$fixtures/tasks" --tasks piqa,lambada
check "eval tasks missing"   4 "$tmp/piqa_validation.jsonl: no such file" -- "$irq" eval tasks "$tmp/tasks-model" --data "$tmp" --tasks piqa
printf '{"goal": "g", "sol1": "a", "sol2": "b", "label": 0}\n{"goal": "g", "sol1": "a", "label": 0}\n' > "$tmp/piqa_validation.jsonl"
check "eval tasks bad record" 3 "piqa_validation.jsonl: line 2: has no \"sol2\"" -- "$irq" eval tasks "$tmp/tasks-model" --data "$tmp" --tasks piqa
check "bench tasks"          0 "same predictions \(acc and acc_norm\) 14/14" -- "$irq" bench tasks "$tmp/tasks-model" --data "$fixtures/tasks" --limit 2 --device cpu
mkdir -p "$tmp/dir-as-file"
check "eval ppl text is a dir" 3 "dir-as-file: the text is not a regular file" -- "$irq" eval ppl "$fixtures/tiny_llama" --text "$tmp/dir-as-file" --window 16 --stride 8 --device cpu
check "finetune data is a dir" 3 "dir-as-file: the training data is not a regular file" -- "$irq" finetune "$fixtures/tiny_llama" --data "$tmp/dir-as-file" --out "$tmp/ft-dir" --steps 1 --device cpu
check "eval ppl text missing" 4 "nothing.txt: cannot open the text" -- "$irq" eval ppl "$fixtures/tiny_llama" --text "$tmp/nothing.txt" --window 16 --stride 8 --device cpu
check "eval ppl"            0 "perplexity [0-9.]+ "         -- "$irq" eval ppl "$fixtures/tiny_llama" --text "$tmp/text.txt" --window 16 --stride 8
check "runs list"           0 "3 +eval-ppl +finished"        -- "$irq" runs list
check "runs show"           0 "mmlu +anatomy"                -- "$irq" runs show 2
check "runs tag"            0 "tagged run 2: baseline"       -- "$irq" runs tag 2 baseline
check "runs note"           0 "noted run 2"                  -- "$irq" runs note 2 "first look"
check "runs show tags"      0 "tags +baseline"               -- "$irq" runs show 2
check "runs compare"        0 "config /quant/method +- +\"nf4\""  -- "$irq" runs compare 1 2
check "runs delete"         0 "deleted run 3"                -- "$irq" runs delete 3
check "runs show missing"   4 "no run 3"                     -- "$irq" runs show 3
check "bench load versus full" 0 "decode with KV cache .* nf4 / full +[0-9.]+x" -- "$irq" bench load "$fixtures/tiny_llama" --quant nf4 --versus-full --repeats 1 --prompt-tokens 8 --decode-tokens 2 --device cpu
check "bench mmlu"          0 "ratio shared / full"          -- "$irq" bench mmlu "$fixtures/tiny_llama" --data "$mmlu" --questions 2 --device cpu

section=train
export IRQ_RUNS_DB="$tmp/train-runs.sqlite"  # its finetune is run 1
check "finetune nf4 iec"    0 "finetuned 6 steps: loss"      -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --rank 8 --steps 6 --save-every 3 --lr 5e-3 --out "$tmp/ft" --device cpu
check "finetune says its size" 0 "finetune: 2 steps x batch 2 x accum [0-9]+ = [0-9]+ examples \([0-9.]+ epochs of 16 rows, [0-9]+ tokens per epoch\)" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --rank 8 --steps 2 --batch 2 --out "$tmp/ftsize" --device cpu
check "finetune files"      0 "adapter_model.safetensors"    -- ls "$tmp/ft/adapter" "$tmp/ft/checkpoint-3" "$tmp/ft/checkpoint-6"
jf=(finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --rank 8 --steps 2 --batch 2 --device cpu --no-record --progress jsonl)
check "jsonl train metrics" 0 '^\{"event":"metrics","run_id":null,"step":2,"values":\{.*"loss":[0-9.e-]+' -- "$irq" "${jf[@]}" --out "$tmp/ftj1"
check "jsonl train progress" 0 '^\{"event":"progress","stage":"train","done":2,"total":2,' -- "$irq" "${jf[@]}" --out "$tmp/ftj2"
check "jsonl artifact"      0 '^\{"event":"artifact","run_id":null,"kind":"adapter","path":"/.*ftj3/adapter"\}$' -- "$irq" "${jf[@]}" --out "$tmp/ftj3"
check "finetune resume"     0 "resumed from .*checkpoint-6 \(step 6\)" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --rank 8 --steps 9 --lr 5e-3 --out "$tmp/ft" --resume --device cpu
qa=(finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant int4 --quant-group 32 --qa-lora --rank 1 --steps 3 --lr 5e-3 --device cpu)
check "finetune qa-lora"    0 "finetuned 3 steps: loss"      -- "$irq" "${qa[@]}" --out "$tmp/qa"
check "qa-lora adapter"     0 '"qa_lora_group": 32'          -- cat "$tmp/qa/adapter/adapter_config.json"
check "qa-lora needs int"   2 "--qa-lora needs an INT base with groups" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --qa-lora --rank 1 --steps 1 --out "$tmp/qa-nf4" --device cpu
check "qa-lora merge"       0 "exported irq"                 -- "$irq" export "$fixtures/tiny_llama" --adapter "$tmp/qa/adapter" --format irq --merge-adapter --out "$tmp/qa-merged"
check "qa-lora merged q4_1" 0 "exported gguf"                -- "$irq" export "$tmp/qa-merged" --format gguf --gguf-type q4_1 --out "$tmp/qa-merged.gguf"
check "qa-lora as peft"     0 "exported peft"                -- "$irq" export "$fixtures/tiny_llama" --adapter "$tmp/qa/adapter" --format peft --out "$tmp/qa-peft-plain"
check "qa-lora peft A full" 0 '"r": 1'                       -- cat "$tmp/qa-peft-plain/adapter_config.json"
check "irq refuses adapter" 2 "fold a QA-LoRA adapter into the INT zero points with --merge-adapter" -- "$irq" export "$fixtures/tiny_llama" --adapter "$tmp/qa/adapter" --format irq --out "$tmp/qa-nomerge"
check "merge needs irq"     2 "--merge-adapter: folds an adapter" -- "$irq" export "$fixtures/tiny_llama" --adapter "$tmp/qa/adapter" --format peft --merge-adapter --out "$tmp/qa-peft"
check "finetune bad rank"   2 "rank 64 does not divide d_out = 32" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --steps 1 --out "$tmp/ft2" --device cpu
check "runs show finetune"  0 "metric +loss"                 -- "$irq" runs show 1
check "eval with adapter"   0 "overall \(micro\)"          -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$mmlu" --subjects anatomy --adapter "$tmp/ft/adapter" --device cpu

check "export peft"         0 "exported peft"                -- "$irq" export "$fixtures/tiny_llama" --format peft --adapter "$tmp/ft/adapter" --out "$tmp/peft"
check "export peft files"   0 "adapter_config.json"          -- ls "$tmp/peft"
check "export no force"     2 "peft: exists; pass --force"   -- "$irq" export "$fixtures/tiny_llama" --format peft --adapter "$tmp/ft/adapter" --out "$tmp/peft"
check "export merged"       0 "exported merged"              -- "$irq" export "$fixtures/tiny_llama" --format merged --adapter "$tmp/ft/adapter" --out "$tmp/merged"
check "merged loads"        0 "4 heads, 2 kv heads"          -- "$irq" info "$tmp/merged"
check "export gguf q4_1"    0 "exported gguf"                -- "$irq" export "$fixtures/tiny_llama" --format gguf --gguf-type q4_1 --quant int4 --quant-group 32 --out "$tmp/m.gguf"
check "export gguf adapter" 3 "trained on a .*nf4.*drop --quant"    -- "$irq" export "$fixtures/tiny_llama" --format gguf --gguf-type q4_1 --adapter "$tmp/ft/adapter" --quant int4 --quant-group 32 --out "$tmp/m2.gguf"
check "export bnb icq"      2 "bitsandbytes cannot store"    -- "$irq" export "$fixtures/tiny_llama" --format bnb-nf4 --quant nf4 --out "$tmp/bnb"
check "export irq"          0 "exported irq"                 -- "$irq" export "$fixtures/tiny_llama" --format irq --quant int4 --out "$tmp/irq"
check "irq loads"           0 "ICQ-INT4"                     -- "$irq" info "$tmp/irq" --tensors
check "export recorded"     0 "export +finished"             -- "$irq" runs list
check "logits"              0 "tokens x 512 logits"          -- "$irq" logits "$fixtures/tiny_llama" --prompt "the robot" --out "$tmp/l.safetensors" --device cpu

# The reference recipe: options given win, the rest are the recipe's (printed); held-out loss at the end.
check "recipe prints"       0 "--warmup-ratio 0 +HF get_scheduler"  -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --recipe ir-qlora --rank 8 --steps 2 --batch 2 --holdout 4 --eval-rows 3 --eval-every 0 --out "$tmp/rcp" --device cpu
check "recipe keeps given"  0 "kept --rank 8"                       -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --recipe qlora --rank 8 --steps 1 --batch 2 --holdout 4 --eval-every 0 --out "$tmp/rcp2" --device cpu
check "held-out loss"       0 "eval loss [0-9.]+ on 3 held-out rows" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --recipe ir-qlora --rank 8 --steps 2 --batch 2 --holdout 4 --eval-rows 3 --eval-every 0 --out "$tmp/rcp3" --device cpu
check "qlora dropout saved" 0 '"lora_dropout": 0.1'               -- cat "$tmp/rcp2/adapter/adapter_config.json"
check "unknown recipe"      2 "unknown recipe 'guanaco'"            -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --recipe guanaco --out "$tmp/rcp4"
check "holdout too large"   2 "leaves none of its 16 rows"          -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --holdout 16 --rank 8 --out "$tmp/rcp5" --device cpu
check "requantize needs adapter" 2 "--requantize-n rebuilds an adapter" -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$fixtures/mmlu_tiny" --requantize-n 125
check "requantize n 125"    0 "MMLU"                                -- "$irq" eval mmlu "$fixtures/tiny_llama" --data "$fixtures/mmlu_tiny" --adapter "$tmp/ft/adapter" --requantize-n 125 --shots 1 --device cpu

# An adapter naming a module that is no projection: a clean error naming the file (an uncaught c10::Error before).
cp -r "$tmp/ft/adapter" "$tmp/badad" && sed -i 's/"q_proj"/"foo_proj"/' "$tmp/badad/adapter_config.json"
check "adapter unknown target" 3 "badad/adapter_config.json: target module 'foo_proj' is not a decoder projection" -- "$irq" logits "$fixtures/tiny_llama" --prompt "the robot" --adapter "$tmp/badad" --out "$tmp/l2.safetensors" --device cpu

# Hostile adapter configs and trainer states: clean errors naming the file, before anything is allocated from them.
edit_json() {  # edit_json FILE PYTHON-EXPRESSION-ON-d
  python3 -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); exec(sys.argv[2]); json.dump(d, open(p, "w"))' "$1" "$2"
}
for case in 'r|d["r"] = 2**40|r = 1099511627776 \(must be 1 to 65536\)' \
            'peft|d["peft_type"] = ["LORA"]|not a LoRA adapter config' \
            'quant|d["irqlora"]["quantization"] = "nf4"|.irqlora.quantization. must be an object or null' \
            'alpha|d["lora_alpha"] = "big"|.lora_alpha. = "big" has the wrong type' \
            'targets|del d["target_modules"]|has no .target_modules.'; do
  IFS='|' read -r name expr want <<< "$case"
  rm -rf "$tmp/bad-$name"; cp -r "$tmp/ft/adapter" "$tmp/bad-$name"; edit_json "$tmp/bad-$name/adapter_config.json" "$expr"
  check "adapter config $name" 3 "bad-$name/adapter_config.json: .*$want" -- "$irq" logits "$fixtures/tiny_llama" --prompt "the robot" --adapter "$tmp/bad-$name" --out "$tmp/l3.safetensors" --device cpu
done
rm -rf "$tmp/ftbad"; cp -r "$tmp/ft" "$tmp/ftbad"; rm -rf "$tmp/ftbad/checkpoint-9"
edit_json "$tmp/ftbad/checkpoint-6/trainer_state.json" 'del d["losses"]'
check "trainer state no losses" 3 "checkpoint-6/trainer_state.json: has no 'losses'" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --rank 8 --steps 9 --lr 5e-3 --out "$tmp/ftbad" --resume --device cpu
edit_json "$tmp/ftbad/checkpoint-6/trainer_state.json" 'd["losses"] = [1.0]'
check "trainer state inconsistent" 3 "trainer_state.json: step 6, epoch [0-9]+ and 1 losses do not describe one run" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --rank 8 --steps 9 --lr 5e-3 --out "$tmp/ftbad" --resume --device cpu

# AdamW's moments offloaded to host memory: the plan moves them off the GPU; a checkpoint resumes in that mode.
mkdir -p "$tmp/cfg70b"
printf '{"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":8192,"intermediate_size":28672,"num_attention_heads":64,"num_key_value_heads":8,"num_hidden_layers":80,"vocab_size":32000,"max_position_embeddings":4096}\n' > "$tmp/cfg70b/config.json"
check "plan 70b offload fits 48 GB" 0 "host: AdamW moments \(2 x float32, pinned host memory\) +6\.17 GiB" -- "$irq" plan "$tmp/cfg70b" --quant nf4 --batch 1 --optimizer-offload --budget 44.7
check "plan 70b offload total" 0 "predicted peak .* 4[0-3]\.[0-9]+ GiB +fits 44\.70 GiB" -- "$irq" plan "$tmp/cfg70b" --quant nf4 --batch 1 --optimizer-offload --budget 44.7
check "plan 70b kept on GPU" 0 "predicted peak .* 49\.[0-9]+ GiB +does NOT fit" -- "$irq" plan "$tmp/cfg70b" --quant nf4 --batch 1 --budget 44.7
check "finetune resume offloaded" 0 "resumed from .*checkpoint-9 \(step 9\)" -- "$irq" finetune "$fixtures/tiny_llama" --data "$fixtures/alpaca_tiny.json" --quant nf4 --rank 8 --steps 11 --lr 5e-3 --out "$tmp/ft" --resume --optimizer-offload --device cpu

# bench icq --oracle runs the oracle as an argument vector: a quote in its path is a quote, not shell syntax.
# A stand-in "python" (passes the numpy probe, runs the script with sh) and an oracle printing the line bench parses.
printf '#!/bin/sh\n[ "$1" = -c ] && exit 0\nexec /bin/sh "$@"\n' > "$tmp/fakepy"; chmod +x "$tmp/fakepy"
evil="$tmp/o'; touch INJECTED; '.py"   # run from $tmp: a shell would create $tmp/INJECTED
printf 'echo "oracle 1.000 s, 4096 weights/s"\n' > "$evil"
check "oracle path is one argument" 0 "numpy oracle +16 x 256 +4096 weights/s" -- sh -c 'cd "$1" && shift && exec "$@"' _ "$tmp" env IRQ_ORACLE_PYTHON="$tmp/fakepy" "$irq" bench icq --rows 64 --cols 512 --baseline-rows 16 --baseline-cols 256 --oracle "$evil"
check "no shell injection"  0 "^absent$" -- sh -c 'test -e "$1" && echo present || echo absent' _ "$tmp/INJECTED"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
