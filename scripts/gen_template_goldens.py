#!/usr/bin/env python3
"""Render every chat template in shared/models/chat-templates with real jinja2, configured the way
Hugging Face transformers renders `tokenizer.chat_template`, and write goldens for the C++ renderer.

Output: tests/fixtures/chat-templates/_conversations.json (the shared inputs) and one
<template>.json per template with the expected text (or the expected error) for each conversation.
Usage: python3 scripts/gen_template_goldens.py [--templates DIR] [--out DIR]

--live FILE instead writes the cases of the live differential test (test_jinja2_live.cpp): every
template in the --templates dirs x every conversation, in the context our apply_chat_template()
builds (see live_context), plus --fuzz random templates from template_fuzz.py, each with jinja2's
text or error (type, message, template line).
"""
import argparse
import copy
import hashlib
import json
import os
import sys
import time
import traceback
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

# A fixed clock so strftime_now() is deterministic: 2025-03-14 09:26:53 UTC.
FIXED_NOW_UNIX = 1741944413
FIXED_NOW = datetime(2025, 3, 14, 9, 26, 53)
assert int((FIXED_NOW - datetime(1970, 1, 1)).total_seconds()) == FIXED_NOW_UNIX


class AssistantTracker(jinja2.ext.Extension):
    """transformers' {% generation %} tag: renders its body unchanged (no mask tracking here)."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env():
    # Mirrors transformers.utils.chat_template_utils._compile_jinja_template.
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit."},
            "days": {"type": "integer", "description": "Forecast days (1-7)."}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "search",
        "description": "Search the web & return <=3 results.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string", "description": "Query text"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "Filters"}},
            "required": ["query", "tags"]}}},
]

TOOL_CALL = {"id": "call0A1b2", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 2}}}
TOOL_CALL_STR = {"id": "call0A1b2", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"days\": 2}"}}
TOOL_RESULT = {"role": "tool", "tool_call_id": "call0A1b2", "name": "get_weather",
               "content": "{\"temperature\": 21.5, \"sky\": \"clear\"}"}
TOOL_CALL_2 = {"id": "call9Z8y7", "type": "function",
               "function": {"name": "search", "arguments": {"query": "Paris \"events\"", "tags": ["fr", "été"]}}}
TOOL_RESULT_2 = {"role": "tool", "tool_call_id": "call9Z8y7", "name": "search",
                 "content": "[\"Fête de la musique\", \"<b>Louvre</b> & co\"]"}


def conversations():
    sys_msg = {"role": "system", "content": "You are a helpful assistant."}
    u1 = {"role": "user", "content": "Hello! What can you do?"}
    a1 = {"role": "assistant", "content": "I can answer questions and help with tasks."}
    u2 = {"role": "user", "content": "Tell me a joke about cats."}
    a2 = {"role": "assistant", "content": "Why did the cat sit on the computer? To keep an eye on the mouse."}
    base = {"bos_token": "<s>", "eos_token": "</s>", "tools": None, "documents": None}
    convs = {
        "system_user": {"messages": [sys_msg, u1], "add_generation_prompt": True},
        "user_only": {"messages": [u1], "add_generation_prompt": False},
        "multi_turn_gen": {"messages": [u1, a1, u2], "add_generation_prompt": True},
        "multi_turn_nogen": {"messages": [sys_msg, u1, a1, u2, a2], "add_generation_prompt": False},
        "unicode": {"messages": [
            {"role": "system", "content": "Réponds en français.\n\tSois \"bref\" & précis."},
            {"role": "user", "content": "Ça va? 日本語 🙂 <b>bold</b> it's a \\ test\u2028end"}],
            "add_generation_prompt": True},
        "reasoning": {"messages": [
            u1, {"role": "assistant", "content": "Many things.", "reasoning_content": "The user greets me."},
            u2], "add_generation_prompt": True, "enable_thinking": True},
        "no_thinking": {"messages": [sys_msg, u2], "add_generation_prompt": True, "enable_thinking": False},
        "content_parts": {"messages": [
            {"role": "user", "content": [{"type": "text", "text": "Describe the weather."},
                                         {"type": "text", "text": "Be brief."}]}],
            "add_generation_prompt": True},
        "tools_available": {"messages": [sys_msg, {"role": "user", "content": "Weather in Paris?"}],
                            "tools": TOOLS, "add_generation_prompt": True},
        "tool_call_roundtrip": {"messages": [
            sys_msg, {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]}, TOOL_RESULT,
            {"role": "assistant", "content": "It is 21.5°C and clear in Paris."}],
            "tools": TOOLS, "add_generation_prompt": False},
        "tool_call_pending": {"messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]}, TOOL_RESULT],
            "tools": TOOLS, "add_generation_prompt": True},
        "tool_call_string_args": {"messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [TOOL_CALL_STR]}, TOOL_RESULT],
            "tools": TOOLS, "add_generation_prompt": True},
        "system_only": {"messages": [sys_msg], "add_generation_prompt": True},
        "parallel_tool_calls": {"messages": [
            sys_msg, {"role": "user", "content": "Weather in Paris, and events there?"},
            {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL, TOOL_CALL_2]},
            TOOL_RESULT, TOOL_RESULT_2], "tools": TOOLS, "add_generation_prompt": True},
        "thinking_on": {"messages": [sys_msg, u1, a1, u2], "add_generation_prompt": True,
                        "enable_thinking": True},
        "thinking_field": {"messages": [
            u1, {"role": "assistant", "content": "Many things.", "thinking": "A greeting; be brief."},
            u2], "add_generation_prompt": True, "enable_thinking": True},
        "reasoning_last": {"messages": [
            sys_msg, u1, {"role": "assistant", "content": "Hi!", "reasoning_content": "Say <hi> & \"wave\"."}],
            "add_generation_prompt": False, "enable_thinking": True},
        "quotes_html": {"messages": [
            {"role": "user", "content": "Print <|im_end|> and </s> and {{ not_a_var }} {% raw %}"},
            {"role": "assistant", "content": "Sure: \"<|im_end|>\" 'x' <tool_call>{\"a\": 1}</tool_call> ñ 😀"},
            {"role": "user", "content": "Merci — 謝謝 \u00a0 ok\n\nbye"}], "add_generation_prompt": True},
        # Like llama.cpp and other runtimes that leave `tools` undefined when there are none.
        "tools_undefined": {"messages": [sys_msg, u1, a1, u2], "add_generation_prompt": True,
                            "tools": "<omit>", "documents": "<omit>"},
    }
    out = {}
    for name, c in convs.items():
        ctx = dict(base)
        ctx.update(c)
        out[name] = {k: v for k, v in ctx.items() if v != "<omit>"}
    return out


def describe_error(e):
    # TemplateError raised by raise_exception() keeps its message exactly; the C++ test checks it.
    kind = type(e).__name__
    return {"type": kind, "message": str(e)}


def error_line(e):
    """The template line jinja2 blames: a syntax error's lineno, else the innermost template frame."""
    if isinstance(e, jinja2.exceptions.TemplateSyntaxError):
        return e.lineno or 0
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else 0


def live_context(ctx):
    """The context our apply_chat_template() builds for a conversation: like transformers', except
    that `tools` and `documents` are left undefined when there are none (llama.cpp does the same;
    transformers passes None, and `{% for tool in tools %}` then raises for a plain chat)."""
    return {k: v for k, v in ctx.items() if not (k in ("tools", "documents") and v in (None, "<omit>"))}


def render_case(tmpl_or_error, ctx):
    """{"expected": text} or {"error": {type, message, line}} for one render."""
    if isinstance(tmpl_or_error, dict):
        return {"error": tmpl_or_error}
    try:
        return {"expected": tmpl_or_error.render(**ctx)}
    except Exception as e:
        return {"error": dict(describe_error(e), line=error_line(e))}


def compile_or_error(env, source):
    try:
        return env.from_string(source)
    except Exception as e:
        return dict(describe_error(e), line=error_line(e))


def write_live_cases(env, dirs, out_path, fuzz_count, fuzz_seconds, seed):
    """Writes {conversations, templates: [{name, source, cases}], fuzz: {seed, context, cases}}."""
    convs = {name: live_context(c) for name, c in conversations().items()}
    templates = []
    for d in dirs:
        for name in sorted(os.listdir(d)):
            if not name.endswith(".jinja"):
                continue
            with open(os.path.join(d, name), encoding="utf-8") as f:
                source = f.read()
            tmpl = compile_or_error(env, source)
            cases = [dict(render_case(tmpl, ctx), conversation=cname) for cname, ctx in convs.items()]
            templates.append({"name": os.path.join(os.path.basename(d), name), "source": source,
                              "cases": cases})
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from template_fuzz import generate
    from template_snippets import CONTEXT
    # Deliberate exclusion: Python's unbounded integers. We stop at int64 (with a typed error), so
    # the fuzz context leaves out the floats whose int() or sum would pass it.
    context = dict(CONTEXT, floats=[x for x in CONTEXT["floats"] if abs(x) < 1e15])
    fuzz, excluded, t0 = [], 0, time.monotonic()
    for source in generate(seed, fuzz_count):
        if time.monotonic() - t0 > fuzz_seconds:
            break
        # A fresh copy each time: jinja2's indent filter appends "\n" to a list it is given.
        case = render_case(compile_or_error(env, source), copy.deepcopy(context))
        # Deliberate exclusion: Python object reprs hold memory addresses ("<generator object ...
        # at 0x7f...>"), which no other renderer reproduces.
        if " at 0x" in case.get("expected", "").lower():
            excluded += 1
            continue
        fuzz.append(dict(case, template=source))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "now_unix": FIXED_NOW_UNIX, "conversations": convs,
                   "templates": templates,
                   "fuzz": {"seed": seed, "excluded_addresses": excluded, "context": context, "cases": fuzz}},
                  f, ensure_ascii=False, separators=(",", ":"))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--templates", default=os.path.join(root, "..", "shared", "models", "chat-templates"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "chat-templates"))
    ap.add_argument("--live", metavar="FILE", help="write the live differential cases to FILE")
    ap.add_argument("--extra-templates", metavar="DIR", action="append", default=[],
                    help="(--live) more .jinja files, e.g. templates taken out of GGUFs")
    ap.add_argument("--fuzz", type=int, default=400, help="(--live) random templates to add")
    ap.add_argument("--fuzz-seconds", type=float, default=20, help="(--live) time box for them")
    ap.add_argument("--seed", type=int, default=12, help="(--live) random template seed")
    args = ap.parse_args()
    tdir = args.templates
    if not os.path.isdir(tdir):
        tdir = "/work/shared/models/chat-templates"
    env = make_env()
    if args.live:
        write_live_cases(env, [tdir] + args.extra_templates, args.live, args.fuzz, args.fuzz_seconds, args.seed)
        return 0
    os.makedirs(args.out, exist_ok=True)

    convs = conversations()
    with open(os.path.join(args.out, "_conversations.json"), "w", encoding="utf-8") as f:
        json.dump({"now_unix": FIXED_NOW_UNIX, "conversations": convs}, f, ensure_ascii=False,
                  separators=(",", ":"))
        f.write("\n")

    names = sorted(n for n in os.listdir(tdir) if n.endswith(".jinja"))
    with open(os.path.join(args.out, "_index.json"), "w", encoding="utf-8") as f:
        json.dump([n[:-len(".jinja")] + ".json" for n in names], f)
        f.write("\n")
    summary = []
    for name in names:
        with open(os.path.join(tdir, name), "rb") as f:
            raw = f.read()
        source = raw.decode("utf-8")
        cases = []
        try:
            tmpl = env.from_string(source)
            compile_error = None
        except Exception as e:  # a template jinja2 cannot even compile
            tmpl = None
            compile_error = describe_error(e)
        n_ok = 0
        for cname, ctx in convs.items():
            if tmpl is None:
                cases.append({"conversation": cname, "error": compile_error})
                continue
            try:
                text = tmpl.render(**ctx)
                cases.append({"conversation": cname, "expected": text})
                n_ok += 1
            except Exception as e:
                cases.append({"conversation": cname, "error": describe_error(e)})
        out = {"template": name, "sha256": hashlib.sha256(raw).hexdigest(), "cases": cases}
        with open(os.path.join(args.out, name[:-len(".jinja")] + ".json"), "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        summary.append(f"{name}: {n_ok}/{len(convs)} rendered")
    # Small templates covering the expression language, filters, tests and tojson.
    sys.path.insert(0, here)
    from template_snippets import CONTEXT, SNIPPETS
    snippets = []
    for src in SNIPPETS:
        try:
            text = env.from_string(src).render(**CONTEXT)
            if " at 0x" in text:  # object addresses are not reproducible
                print(f"skipping non-deterministic snippet: {src!r}")
                continue
            snippets.append({"template": src, "expected": text})
        except Exception as e:
            snippets.append({"template": src, "error": describe_error(e)})
    with open(os.path.join(args.out, "_snippets.json"), "w", encoding="utf-8") as f:
        json.dump({"now_unix": FIXED_NOW_UNIX, "context": CONTEXT, "snippets": snippets}, f,
                  ensure_ascii=False, indent=0)
        f.write("\n")
    print("\n".join(summary))
    print(f"{len(snippets)} snippets")
    print(f"jinja2 {jinja2.__version__}: {len(names)} templates x {len(convs)} conversations")


if __name__ == "__main__":
    sys.exit(main())
