// Unit tests of the template engine's own API: JSON parse/dump edge cases, Value builders,
// apply_chat_template, error messages (line + construct) and the resource limits.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "core/template/chat_template.h"

using namespace chord;
using namespace chord::tmpl;

namespace {
Status render_status(const std::string& src, const Value& ctx = Value::object(), RenderOptions opts = {}) {
  auto r = render(src, ctx, opts);
  return r.ok() ? Status::Ok() : r.status();
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST_CASE("parse_json reads JSON into values") {
  auto v =
      parse_json(R"( {"a": [1, -2, 3.5, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "e": {}} )");
  REQUIRE(v.ok());
  const Value& a = (*v)["a"];
  REQUIRE(a.size() == 6);
  CHECK(a[0].as_int() == 1);
  CHECK(a[1].as_int() == -2);
  CHECK(a[2].as_real() == 3.5);
  CHECK(a[3].as_bool());
  CHECK(a[5].is_null());
  CHECK((*v)["s"].as_string() == "x\"\\/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  CHECK((*v)["e"].is_object());
  CHECK((*v)["missing"].is_null());

  auto big = parse_json("[9223372036854775807, 9223372036854775808, -0.0, 1e400, NaN, -Infinity]");
  REQUIRE(big.ok());
  CHECK((*big)[0].as_int() == INT64_MAX);
  CHECK((*big)[1].is_real());  // beyond int64: a double (Python would keep a big int)
  CHECK(std::signbit((*big)[2].as_real()));
  CHECK(std::isinf((*big)[3].as_real()));
  CHECK(std::isnan((*big)[4].as_real()));

  auto dup = parse_json(R"({"k": 1, "j": 2, "k": 3})");  // Python: last value, first position
  REQUIRE(dup.ok());
  CHECK(to_json(*dup) == R"({"k": 3, "j": 2})");

  for (const char* bad : {"", "[1,]", "{\"a\" 1}", "[1 2]", "\"unterminated", "\"ctrl\x01\"", "01", "1.", "-",
                          "{'a': 1}", "[1] x", "tru", "\"\\x41\""}) {
    INFO("input: " << bad);
    auto r = parse_json(bad);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Code::template_error);
  }
  CHECK(!parse_json(std::string(100000, '[')).ok());  // nesting limit, no stack overflow
  CHECK(parse_json(repeat("[", 150) + repeat("]", 150)).ok());
}

TEST_CASE("to_json matches Python json.dumps") {
  Value v = Value::object();
  v.set("b", Value(1));
  v.set("a", Value::array({Value(0.1), Value(1e-5), Value(1e16), Value(123.0), Value(-0.0), Value(5e-324),
                           Value(1.7976931348623157e308), Value(0.1 + 0.2)}));
  CHECK(to_json(v) ==
        R"({"b": 1, "a": [0.1, 1e-05, 1e+16, 123.0, -0.0, 5e-324, 1.7976931348623157e+308, 0.30000000000000004]})");
  CHECK(to_json(v, 2) ==
        "{\n  \"b\": 1,\n  \"a\": [\n    0.1,\n    1e-05,\n    1e+16,\n    123.0,\n    -0.0,\n"
        "    5e-324,\n    1.7976931348623157e+308,\n    0.30000000000000004\n  ]\n}");
  CHECK(to_json(Value(std::string("tab\t nl\n q\" bs\\ \x01 \x7f \xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80"))) ==
        "\"tab\\t nl\\n q\\\" bs\\\\ \\u0001 \x7f \xC3\xA9 \xE2\x80\xA8 \xF0\x9F\x98\x80\"");
  JsonOptions ascii;
  ascii.ensure_ascii = true;
  auto a = dump_json(Value(std::string("\x7f \xC3\xA9 \xF0\x9F\x98\x80")), ascii);
  REQUIRE(a.ok());
  CHECK(a.value() == "\"\\u007f \\u00e9 \\ud83d\\ude00\"");
  JsonOptions sorted;
  sorted.sort_keys = true;
  sorted.item_sep = ",";
  sorted.key_sep = ":";
  CHECK(dump_json(v, sorted).value().substr(0, 6) == R"({"a":[)");
  CHECK(to_json(Value::array()) == "[]");
  CHECK(to_json(Value::object(), 4) == "{}");
  CHECK(to_json(Value(std::nan(""))) == "NaN");
  CHECK(to_json(Value(-HUGE_VAL)) == "-Infinity");
  CHECK(!dump_json(Value::undefined(), JsonOptions{}).ok());
}

TEST_CASE("Value builders copy on write") {
  Value a = Value::array({Value(1)});
  Value b = a;
  b.push_back(Value(2));
  CHECK(a.size() == 1);
  CHECK(b.size() == 2);
  Value o;
  o.set("x", Value("1"));
  Value p = o;
  p.set("x", Value("2"));
  CHECK(o["x"].as_string() == "1");
  CHECK(p["x"].as_string() == "2");
  CHECK(p.find("nope") == nullptr);
  CHECK(Value(3).as_double() == 3.0);
  CHECK(Value(std::string_view("sv")).as_string() == "sv");
}

TEST_CASE("apply_chat_template builds the transformers context, tools undefined when absent") {
  const char* chatml =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
      "{{ 'tools=' ~ (tools is defined) }} {{ bos_token }}{{ eos_token }}{{ extra_flag | default('') }}"
      "{% for t in tools %}{{ t }}{% endfor %}{{ documents | length }}";
  auto msgs = parse_json(R"([{"role": "user", "content": "Hi"}])");
  REQUIRE(msgs.ok());
  // No tools: undefined (iterable as empty), as llama.cpp does, not None as transformers passes.
  auto out = apply_chat_template(chatml, *msgs, true, "<s>", "</s>");
  REQUIRE(out.ok());
  CHECK(out.value() == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\ntools=False <s></s>0");
  Value null_tools;
  null_tools.set("tools", Value());
  null_tools.set("documents", Value());
  out = apply_chat_template(chatml, *msgs, true, "<s>", "</s>", null_tools);
  REQUIRE(out.ok());
  CHECK(out.value() == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\ntools=False <s></s>0");
  Value extra;
  extra.set("extra_flag", Value("!"));
  extra.set("tools", Value::array());
  out = apply_chat_template(chatml, *msgs, false, "", "", extra);
  REQUIRE(out.ok());
  CHECK(out.value() == "<|im_start|>user\nHi<|im_end|>\ntools=True !0");
  CHECK(!apply_chat_template(chatml, Value("not a list"), false, "", "").ok());

  auto t = Template::parse("{{ n * 2 }}");  // parse once, render many
  REQUIRE(t.ok());
  for (int i = 0; i < 3; ++i) {
    Value ctx;
    ctx.set("n", Value(i));
    CHECK(t->render(ctx).value() == std::to_string(i * 2));
  }
}

TEST_CASE("strftime_now uses the configured clock") {
  RenderOptions opts;
  opts.now_unix = 951782400;  // 2000-02-29 00:00:00 UTC, a leap day
  auto r = render("{{ strftime_now('%Y-%m-%d %a %A %b %j %H:%M:%S %I %p %-d %e|%%|%Z') }}", Value::object(), opts);
  REQUIRE(r.ok());
  CHECK(r.value() == "2000-02-29 Tue Tuesday Feb 060 00:00:00 12 AM 29 29|%|");
  opts.now_unix = 0;
  CHECK(render("{{ strftime_now('%d %B %Y') }}", Value::object(), opts).value() == "01 January 1970");
}

TEST_CASE("errors name the line and the construct") {
  Value ctx;
  ctx.set("xs", Value());
  Status s = render_status("line one\n{{ 'ok' }}\n{{ xs | length }}", ctx);
  CHECK(s.code() == Code::template_error);
  CHECK(s.message().find("line 3") != std::string::npos);
  CHECK(s.message().find("filter 'length'") != std::string::npos);
  CHECK(s.message().find("NoneType") != std::string::npos);

  s = render_status(
      "{% if true %}\n  {{ raise_exception('Only user and assistant roles are supported!') }}\n{% endif %}");
  CHECK(s.message().find("line 2") != std::string::npos);
  CHECK(s.message().find("Only user and assistant roles are supported!") != std::string::npos);

  s = render_status("ok\n{% for x in %}");
  CHECK(s.message().find("line 2") != std::string::npos);
  s = render_status("\n\n{{ xs | from_json }}");
  CHECK(s.message() == "line 3: No filter named 'from_json'.");
  s = render_status("{% if false %}{{ xs | from_json }}{% endif %}");  // jinja2: only when reached
  CHECK(s.ok());
  s = render_status("{% macro m() %}{{ caller() }}{% endmacro %}{{ m() }}");
  CHECK(!s.ok());
  s = render_status("{% block b %}{% endblock %}");
  CHECK(s.message().find("unsupported tag 'block'") != std::string::npos);
  s = render_status("{{ cycler(1, 2) }}");
  CHECK(s.message().find("cycler() is not supported") != std::string::npos);
  s = render_status("{{ [1, 2] | groupby('x') }}");
  CHECK(s.message().find("filter 'groupby' is not supported") != std::string::npos);
  CHECK(render_status("{{ 1 }}", Value("not an object")).code() == Code::invalid_argument);
}

TEST_CASE("hostile templates fail cleanly within limits") {
  // Parser nesting and expression height.
  CHECK(!render_status("{{ " + repeat("(", 5000) + "1" + repeat(")", 5000) + " }}").ok());
  CHECK(!render_status("{{ " + repeat("[", 5000) + " }}").ok());
  CHECK(!render_status("{{ 1" + repeat(" + 1", 5000) + " }}").ok());
  CHECK(!render_status("{{ x" + repeat("|trim", 5000) + " }}").ok());
  CHECK(!render_status(repeat("{% if true %}", 2000) + repeat("{% endif %}", 2000)).ok());
  CHECK(!render_status("{{ " + repeat("not ", 5000) + "1 }}").ok());
  CHECK(!render_status("{{ " + repeat("- ", 5000) + "1 }}").ok());
  CHECK(render_status("{{ 1" + repeat(" + 1", 100) + " }}").ok());
  CHECK(render_status(repeat("{% if true %}", 40) + repeat("{% endif %}", 40)).ok());

  // Deepest C++ stack the limits allow: recursion through nested statements and expressions.
  std::string deep = "{% macro f(n) %}" + repeat("{% if true %}", 45) + "{{ " + repeat("[", 45) + "f(n + 1)" +
                     repeat("]", 45) + " }}" + repeat("{% endif %}", 45) + "{% endmacro %}{{ f(0) }}";
  Status ds = render_status(deep);
  CHECK(ds.message().find("too deeply nested or recursive") != std::string::npos);

  // Unbounded recursion, loops, output and memory.
  CHECK(!render_status("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").ok());
  CHECK(!render_status("{% macro f() %}{% call f() %}x{% endcall %}{% endmacro %}{{ f() }}").ok());
  RenderOptions small;  // the defaults allow 1M iterations and 8 MB; smaller limits keep this test fast
  small.max_loop_iterations = 20000;
  small.max_output_bytes = 100000;
  CHECK(!render_status("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                       Value::object(), small)
             .ok());
  CHECK(!render_status("{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", Value::object(), small).ok());
  CHECK(!render_status("{{ 'x' * 1000000000 }}").ok());
  CHECK(!render_status("{{ [1] * 1000000000 }}").ok());
  CHECK(
      !render_status("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
           .ok());
  CHECK(
      !render_status("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}")
           .ok());
  CHECK(!render_status("{% set ns = namespace(x=1) %}{% for i in range(5000) %}{% set ns.x = [ns.x] %}{% endfor %}")
             .ok());
  CHECK(
      !render_status("{% set ns = namespace(x=1) %}{% for i in range(5000) %}{% set ns.x = {'k': ns.x} %}{% endfor %}")
           .ok());
  CHECK(!render_status("{% set ns = namespace(l=0) %}{% for i in range(5000) %}{% for x in [ns.l] %}{% set ns.l = loop "
                       "%}{% endfor %}{% endfor %}")
             .ok());
  CHECK(!render_status("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").ok());  // self-reference
  CHECK(render_status("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me.me is defined }}").ok());
  CHECK(!render_status("{{ range(1000000) | list }}").ok());
  RenderOptions tiny;
  tiny.max_output_bytes = 10;
  CHECK(!render_status("{{ 'abcdefghijklmnop' }}", Value::object(), tiny).ok());
  tiny.max_output_bytes = 1 << 20;
  tiny.max_steps = 1000;
  CHECK(!render_status("{% for i in range(10000) %}{{ i }}{% endfor %}", Value::object(), tiny).ok());

  // A self-referential loop.changed() must not leak (checked by LeakSanitizer in the ASan build).
  CHECK(render_status("{% for x in [1, 2] %}{{ loop.changed(loop) }}{% endfor %}").ok());
  CHECK(render_status("{% macro m() %}{% endmacro %}{% set ns = namespace(f=m) %}{{ ns.f() }}").ok());
}
