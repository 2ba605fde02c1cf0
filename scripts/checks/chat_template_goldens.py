#!/usr/bin/env python3
"""Golden renders of chat templates by transformers' own Jinja environment,
for the engine's chat template interpreter (core/text/jinja).

  chat_template_goldens.py [FIXTURE_DIR]   (default tests/fixtures/chat_templates)

Renders every FIXTURE_DIR/*.jinja (templates of real model families) over a
set of conversations, and a list of small feature templates (whitespace
control, scoping, loops, filters, tests, methods, macros, errors), with
transformers.utils.chat_template_utils' compiled environment (the one
apply_chat_template uses: ImmutableSandboxedEnvironment, trim_blocks,
lstrip_blocks, loopcontrols, its tojson, raise_exception, namespace), and
encodes some of them with AutoTokenizer.apply_chat_template(tokenize=True)
on the tokenizer fixtures (tests/fixtures/tokenizers, and tiny_llama's
tokenizer.model with a LlamaTokenizer config). Writes
FIXTURE_DIR/goldens.json; tests/core/test_chat_template.cpp holds the engine
to it. A render that raises is recorded with its error.
Not a project dependency: run it in a verification venv with transformers
and jinja2 (scripts/checks/README.md).
"""
import json
import pathlib
import shutil
import sys
import tempfile

import transformers
from transformers.utils.chat_template_utils import _compile_jinja_template

ROOT = pathlib.Path(__file__).resolve().parents[2]

SPECIAL = {
    "smollm2": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>"},
    "qwen25": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "qwen3": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama2_chat": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "tinyllama_chat": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "mistral_v03": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "llama3_instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "llama31_instruct": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "gemma": {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"},
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city — °C",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

CONVERSATIONS = [
    ("user_only", [{"role": "user", "content": "Hello!"}], {}),
    ("system_user", [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}], {}),
    ("multi_turn", [
        {"role": "system", "content": "  Answer briefly.  "},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": " Four. "},
        {"role": "user", "content": "And 3+3?  \n"},
    ], {}),
    ("no_system_turns", [
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "Another?"},
    ], {}),
    ("assistant_first", [{"role": "assistant", "content": "I start."}, {"role": "user", "content": "Hm."}], {}),
    ("unicode", [{"role": "user", "content": "Grüße 👋 — \"quotes\" and 'single'\n second line\tTab"}], {}),
    ("thinking", [
        {"role": "user", "content": "Think first."},
        {"role": "assistant", "content": "<think>\nsteps\n</think>\n\nDone."},
        {"role": "user", "content": "Again."},
    ], {"enable_thinking": False}),
    ("tools", [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "abc123def", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "°C"}}}]},
        {"role": "tool", "content": "18 degrees", "tool_call_id": "abc123def"},
    ], {"tools": [WEATHER_TOOL], "date_string": "04 Dec 2026"}),
]

# (name, template, variables): one behaviour each, compared one by one.
FEATURES = [
    ("text_only", "plain text\n  with lines\n", {}),
    ("trim_blocks", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\n  y {# c #}\n z", {}),
    ("lstrip_after_text", "a  {% if true %}b{% endif %}", {}),
    ("dash_both", "a\n  {%- if true %}b{% endif -%}  \n c", {}),
    ("dash_var", "a \n {{- 'x' -}} \n b", {}),
    ("plus_keeps", "  {%+ if true %}x{% endif +%}\ny", {}),
    ("comment_dash", "a  {#- note -#}  b\n{# n #}\nc", {}),
    ("iteration_scope", "{% for i in [1,2,3] %}{% if i==1 %}{% set x = 5 %}{% endif %}[{{ x }}]{% set x = i %}{% endfor %}|{{ x }}", {}),
    ("outer_scope", "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = 7 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("loop_vars", "{% for m in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}", {}),
    ("loop_filter_else", "{% for m in [1,2,3] if m != 2 %}{{ loop.index }}/{{ loop.length }} {% else %}E{% endfor %}{% for m in [] %}x{% else %}E{% endfor %}", {}),
    ("break_continue", "{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("loop_cycle", "{% for i in range(5) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("nested_loops", "{% for a in [1,2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }},{% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("unpack", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k, v in d | items %}{{ k }}{% endfor %}{% set a, b = 1, 2 %}{{ a + b }}", {"d": {"b": 1, "a": 2}}),
    ("dict_iteration", "{% for k in d %}{{ k }}{% endfor %} {{ d | length }} {{ d.get('a') }} {{ d.get('z', 'none') }} {{ d.keys() | list }} {{ d.values() | list }}", {"d": {"b": 1, "a": 2}}),
    ("printing", "{{ [1, 2.5, 'a', none, true, \"it's\"] }} {{ {'a': 1, 'b': [1, (2, 3)]} }} {{ (1,) }} {{ 1e20 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-05 }} {{ 123456789.0 }}", {}),
    ("arithmetic", "{{ 3 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2.0 }} {{ 'ab' * 2 }} {{ -(3) }} {{ 5.5 // 2 }}", {}),
    ("concat_and_compare", "{{ 'ab' ~ 1 ~ none }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 3 }} {{ 'a' != 'a' }} {{ 1 == true }}", {}),
    ("in_operator", "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in d }} {{ 'z' not in d }} {{ 3 not in [1, 2] }}", {"d": {"k": 1}}),
    ("boolean_ops", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ none or [] }} {{ not 0 }} {{ 'a' if false }}|{{ 'a' if false else 'b' }} {{ 1 if true else 2 if false else 3 }}", {}),
    ("undefined_behaviour", "{{ x }}|{{ x is defined }}|{{ d.k }}|{{ d.k is defined }}|{{ x | length }}|{{ x | default('dflt') }}|{% for i in x %}no{% endfor %}|{{ '' | default('e', true) }}", {"d": {}}),
    ("none_tests", "{{ n is none }} {{ n is not none }} {{ 1 is none }} {{ b is true }} {{ b is false }} {{ 1 is true }}", {"n": None, "b": True}),
    ("type_tests", "{{ 'a' is string }} {{ 1 is number }} {{ 1.5 is number }} {{ 1 is integer }} {{ 1.5 is float }} {{ d is mapping }} {{ l is sequence }} {{ 's' is iterable }} {{ d is iterable }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'x' is equalto 'x' }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ none is sameas none }} {{ true is boolean }}", {"d": {"a": 1}, "l": [1]}),
    ("string_methods", "{{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n a'.lstrip() }}|{{ 'a\\n\\n'.rstrip('\\n') }}|{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'hello'.find('l') }}{{ 'hello'.count('l') }}|{{ '-'.join(['a', 'b']) }}", {}),
    ("modulo_extremes", "{{ (-9223372036854775807-1) % 3 }} {{ -9223372036854775807 % 3 }} {{ 9223372036854775807 % -2 }} {{ (-9223372036854775807-1) % 9223372036854775807 }} {{ -7 % 3 }} {{ 7 % -3 }}", {}),
    ("slice_extreme_steps", "{{ 'abc'[::-9223372036854775807-1] }} {{ [1,2,3][::-9223372036854775807-1] }} {{ 'abcdef'[1::9223372036854775807] }} {{ [1,2,3][2:-9223372036854775807-1:-9223372036854775807-1] }}", {}),
    ("slices", "{{ [1,2,3,4][1:] }} {{ [1,2,3,4][:-1] }} {{ [1,2,3,4][::-1] }} {{ [1,2,3,4][::2] }} {{ 'héllo'[1:3] }} {{ 'abc'[-1] }} {{ [1,2,3][-1] }} {{ (1,2,3)[1:] }} {{ [1,2,3][5:] }} {{ 'abcdef'[4:1:-1] }}", {}),
    ("filters_text", "{{ '  a b  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}|{{ 'a b' | title }}|{{ 'ab' | capitalize }}|{{ 'abc' | replace('b', 'X') }}|{{ 'héllo' | length }}|{{ 42 | string }}|{{ 'a b c' | wordcount }}|{{ 'abc' | reverse }}|{{ 'l1\\nl2\\n\\nl3' | indent(2) }}|{{ 'l1\\nl2' | indent(2, true) }}", {}),
    ("filters_lists", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ [1, 2] | join(', ') }} {{ [1, 2, 2, 3] | unique | list }} {{ [1, 2] | first }} {{ [1, 2] | last }} {{ [1, 2, 3] | sum }} {{ [1, 3, 2] | max }} {{ [1, 3, 2] | min }} {{ [1, 2] | reverse | list }} {{ 'ab' | list }} {{ [4, 5] | length }} {{ [1, 2] | count }}", {}),
    ("filters_select", "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }} {{ [1, 2, 3, 4] | select('odd') | list }} {{ [0, 1, 2] | select | list }} {{ [1, 2] | map('string') | list }} {{ msgs | map(attribute='role') | unique | list }} {{ msgs | sort(attribute='content') | map(attribute='content') | first }} {{ ['code_interpreter', 'search'] | reject('equalto', 'code_interpreter') | join(', ') }}", {"msgs": [{"role": "user", "content": "b"}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "c"}]}),
    ("filters_numbers", "{{ '42' | int }} {{ 'x' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.675 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }}", {}),
    ("tojson", "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ 'é\"\\n' | tojson }}|{{ [1.5, none, true] | tojson }}|{{ {} | tojson }}|{{ d | tojson(sort_keys=true) }}", {"d": {"z": [1, {"b": "é"}], "a": None, "m": {}}}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c') }} {{ greet('d') | upper }}", {}),
    ("macro_sees_globals", "{% macro show() %}{{ top }}-{{ messages | length }}{% endmacro %}{% set top = 'T' %}{{ show() }}", {"messages": [1, 2]}),
    ("set_block", "{% set x %}a{{ 1 + 1 }}b{% endset %}[{{ x }}]", {}),
    ("string_escapes", "{{ 'a\\tb\\\\c\\'d\\x41\\u00e9\\U0001F600\\q' }}{{ \"x\" \"y\" }}", {}),
    ("messages_slice_reassign", "{% set messages = messages[1:] %}{{ messages | length }}{% for m in messages %}{{ m.role }}{% endfor %}", {"messages": [{"role": "system"}, {"role": "user"}, {"role": "assistant"}]}),
    ("item_access", "{{ m['role'] }} {{ m.role }} {{ l[0] }} {{ l.0 }} {{ m['missing'] is defined }} {{ l[9] is defined }}", {"m": {"role": "user"}, "l": ["z"]}),
    ("generation_tag", "{% for m in messages %}{% generation %}[{{ m }}]{% endgeneration %}{% endfor %}", {"messages": ["a", "b"]}),
    ("dict_global", "{{ dict(a=1, b='x') }} {{ dict(a=1).a }}", {}),
    ("percent_format", "{{ '%s-%d' % ('a', 3) }} {{ '%s!' % 'x' }}", {}),
    ("error_raise", "{{ raise_exception('No system role, please') }}", {}),
    ("error_undefined_attr", "{{ nothing.there }}", {}),
    ("error_unknown_filter", "{{ 'a' | no_such_filter }}", {}),
    ("error_type", "{{ 1 + 'a' }}", {}),
    ("error_unclosed", "{% if true %}x", {}),
    ("error_list_append", "{% set l = [] %}{{ l.append(1) }}", {}),
]


def render(template, variables):
    try:
        return {"expected": _compile_jinja_template(template).render(**variables)}
    except Exception as e:  # noqa: BLE001 - recorded for the test
        return {"error": f"{type(e).__name__}: {e}"}


def main() -> None:
    fixtures = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/fixtures/chat_templates"
    templates = {p.stem: p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.jinja"))}
    renders = []
    for name, text in templates.items():
        for conv_name, messages, extra in CONVERSATIONS:
            for gen in (True, False):
                variables = {**SPECIAL[name], "messages": messages, "add_generation_prompt": gen, **extra}
                renders.append({"template": name, "conversation": conv_name, "variables": variables, **render(text, variables)})
    features = [{"name": n, "template": t, "variables": v, **render(t, v)} for n, t, v in FEATURES]

    ids = []
    # (tokenizer fixture, tokenizer_config.json to use instead of its own, template)
    sp_config = {"tokenizer_class": "LlamaTokenizer", "legacy": False, "bos_token": "<s>", "eos_token": "</s>"}
    pairs = [("tokenizers/llama3", None, "llama3_instruct"), ("tokenizers/qwen2", None, "qwen25"),
             ("tokenizers/smollm", None, "smollm2"), ("tokenizers/mistral", None, "mistral_v03"),
             ("tiny_llama", sp_config, "tinyllama_chat")]
    with tempfile.TemporaryDirectory() as scratch:
        for tok_dir, config, name in pairs:
            src = ROOT / "tests/fixtures" / tok_dir
            work = pathlib.Path(scratch) / tok_dir.replace("/", "_")
            work.mkdir()
            for f in ("tokenizer.json", "tokenizer.model", "tokenizer_config.json"):
                if (src / f).exists():
                    shutil.copy(src / f, work / f)
            if config is not None:
                (work / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
            tok = transformers.AutoTokenizer.from_pretrained(str(work))
            tok.chat_template = templates[name]
            for conv_name, messages, extra in CONVERSATIONS[:4] + CONVERSATIONS[5:6]:
                for gen in (True, False):
                    try:
                        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
                        out = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=gen)
                    except Exception:  # noqa: BLE001 - the template refuses this conversation
                        continue
                    if hasattr(out, "keys"):
                        out = out["input_ids"]
                    ids.append({"tokenizer": tok_dir, "tokenizer_config": config, "template": name, "conversation": conv_name,
                                "messages": messages, "add_generation_prompt": gen, "text": text, "ids": list(out)})

    out = {"generator": f"transformers {transformers.__version__}, jinja2 {__import__('jinja2').__version__}",
           "renders": renders, "features": features, "ids": ids}
    (fixtures / "goldens.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    errors = sum("error" in r for r in renders + features)
    print(f"{len(renders)} renders, {len(features)} features, {len(ids)} encodings ({errors} raise) -> {fixtures / 'goldens.json'}")


if __name__ == "__main__":
    main()
