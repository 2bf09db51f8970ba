// Shared by the template tests that compare with jinja2 (pre-generated goldens, snippets and the
// live differential test): reading fixture files and judging one render against jinja2's result.
#pragma once
#include <cctype>
#include <cstdio>
#include <string>

#include "core/template/chat_template.h"

namespace chord::tmpl::jinja2 {

inline std::string read_file(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// First differing byte, shown with some context, for readable failures.
inline std::string diff_hint(const std::string& want, const std::string& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  std::size_t b = i > 60 ? i - 60 : 0;
  return "first difference at byte " + std::to_string(i) + " (want " + std::to_string(want.size()) + " bytes, got " +
         std::to_string(got.size()) + ")\n  want: ..." + want.substr(b, 160) + "\n  got:  ..." + got.substr(b, 160);
}

// `jinja` is one case as scripts/gen_template_goldens.py writes it: {"expected": text} or
// {"error": {"type", "message", "line"?}}. Returns "" when our result is the same: the same bytes,
// or, where jinja2 raised, a template_error that names a template line and, for raise_exception(),
// carries the template's own message verbatim. Otherwise says what differs.
inline std::string mismatch(const Result<std::string>& out, const Value& jinja) {
  if (const Value* want = jinja.find("expected")) {
    if (!out.ok()) return "jinja2 rendered, we failed: " + out.status().to_string();
    if (out.value() != want->as_string()) return diff_hint(want->as_string(), out.value());
    return {};
  }
  const Value& e = jinja["error"];
  std::string raised = "jinja2 raised " + e["type"].as_string() + ": " + e["message"].as_string();
  if (out.ok()) return raised + "; we rendered: " + out.value().substr(0, 300);
  if (out.status().code() != Code::template_error) return raised + "; we failed with " + out.status().to_string();
  const std::string& msg = out.status().message();
  if (msg.rfind("line ", 0) != 0 || msg.size() < 6 || !std::isdigit(static_cast<unsigned char>(msg[5])))
    return raised + "; our message names no template line: " + msg;
  if (e["type"].as_string() == "TemplateError" && msg.find(e["message"].as_string()) == std::string::npos)
    return raised + "; our message lacks it: " + msg;
  return {};
}

// For an error both raised: does ours name the line jinja2 blames? Not required: jinja2 blames the
// line its parser gave the outermost expression of the failing statement (for `a +\n b + c` the
// line of the last operator), we blame the innermost expression that failed.
inline bool same_error_line(const Result<std::string>& out, const Value& jinja) {
  const Value* line = jinja["error"].find("line");
  if (out.ok() || !line || !line->is_int()) return false;
  std::string tag = "line " + std::to_string(line->as_int());
  const std::string& msg = out.status().message();
  return msg.rfind(tag, 0) == 0 &&
         (msg.size() == tag.size() || !std::isdigit(static_cast<unsigned char>(msg[tag.size()])));
}

}  // namespace chord::tmpl::jinja2
