// libFuzzer target: renders arbitrary bytes as a chat template against a fixed conversation (and
// parses them as JSON). Must never crash, hang or exhaust memory: every failure is a Status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/template/chat_template.h"

using namespace chord::tmpl;

namespace {
const char kContext[] = R"({
  "messages": [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hi <b>there</b> \"q\" é 🙂"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call0A1b2", "type": "function",
      "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
    {"role": "tool", "tool_call_id": "call0A1b2", "content": "{\"t\": 21.5}"},
    {"role": "assistant", "content": [{"type": "text", "text": "It is 21.5°C."}], "reasoning_content": "ok"}
  ],
  "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
  "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "documents": null,
  "n": 3, "f": 2.5, "flag": false
})";

const Value& context() {
  static const Value ctx = [] {
    auto r = parse_json(kContext);
    return r.ok() ? r.value() : Value::object();
  }();
  return ctx;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;  // long inputs add nothing but time
  std::string_view src(reinterpret_cast<const char*>(data), size);
  RenderOptions opts;
  opts.now_unix = 1741944413;
  opts.max_output_bytes = 1 << 16;
  opts.max_loop_iterations = 20000;
  opts.max_steps = 200000;
  auto out = render(src, context(), opts);
  if (out.ok() && out.value().size() > opts.max_output_bytes) __builtin_trap();
  auto json = parse_json(src);
  if (json.ok()) (void)to_json(json.value(), 2);
  return 0;
}
