// Live differential test against Python's jinja2 (hidden tag [jinja2]; scripts/test.sh runs it as
// its own suite, native only): scripts/gen_template_goldens.py --live renders every shared chat
// template (and every chat template embedded in a shared GGUF) x every conversation shape, plus a
// few hundred random templates (scripts/template_fuzz.py), with jinja2 configured as transformers'
// apply_chat_template; each must come out of our engine byte for byte the same, or fail where
// jinja2 fails with a template_error that names a template line.
//
// Normalisation (a deliberate llama.cpp-style difference, applied to both sides):
// - no tools / documents: left undefined in the context (apply_chat_template does so, like
//   llama.cpp) where transformers passes None; see live_context() in the script.
// Exclusions from the random templates (see write_live_cases() in the script):
// - outputs holding a Python object address ("<generator object ... at 0x7f...>");
// - Python's unbounded integers: the fuzz context has no floats >= 1e15 (we stop at int64 with a
//   typed error); a negative number to a fractional power (a Python complex) is a typed error
//   here and the generator does not write one.
// Error lines are reported, not required to match: see jinja2::same_error_line().
// Env: TEMPLATE_FUZZ_SEED (default 12), TEMPLATE_FUZZ_COUNT (default 400).
#include <catch2/catch.hpp>

#ifndef __EMSCRIPTEN__  // needs a Python process; the wasm build checks the pre-generated goldens
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/gguf/keys.h"
#include "core/template/chat_template.h"
#include "tests/cpp/template/jinja2_compare.h"
#include "tests/cpp/test_util.h"

using namespace chord;
using namespace chord::tmpl;
namespace fs = std::filesystem;

namespace {

// Writes the chat template of every GGUF under `models` to dir/<relative path>.jinja; returns how many.
int extract_gguf_templates(const std::string& models, const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(models, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".gguf" || it->file_size() > (64u << 20)) continue;
    std::string bytes = jinja2::read_file(it->path().string());
    auto file = gguf::File::parse({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    if (!file.ok()) continue;  // legacy / hostile fixtures
    auto t = file->get_string(keys::kChatTemplate);
    if (!t || t->empty()) continue;
    std::string name = fs::relative(it->path(), models).string();
    for (char& c : name) c = c == '/' ? '_' : c;
    FILE* f = std::fopen((dir + "/" + name + ".jinja").c_str(), "wb");
    if (!f) continue;
    std::fwrite(t->data(), 1, t->size(), f);
    std::fclose(f);
    ++n;
  }
  return n;
}

// A Python that imports jinja2: python3 on PATH, else Debian's (scripts/setup.sh installs
// python3-jinja2 there).
std::string find_python() {
  for (const char* py : {"python3", "/usr/bin/python3"}) {
    std::string cmd = std::string(py) + " -c 'import jinja2' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return {};
}

std::string env_or(const char* name, const char* dflt) {
  const char* v = std::getenv(name);
  return v && *v ? v : dflt;
}

}  // namespace

TEST_CASE("chat templates and random templates render exactly as jinja2 does", "[.jinja2]") {
  std::string py = find_python();
  if (py.empty()) FAIL("no Python with jinja2 (scripts/setup.sh installs python3-jinja2)");

  std::string models = chord::test::models_dir();
  std::string work = chord::test::scratch_dir() + "/chord-jinja2-live-" + std::to_string(::getpid());
  std::string gguf_dir = work + "/gguf";
  fs::create_directories(gguf_dir);
  int n_gguf = extract_gguf_templates(models, gguf_dir);
  std::string cases_path = work + "/cases.json";
  std::string seed = env_or("TEMPLATE_FUZZ_SEED", "12");
  std::string cmd = py + " -W ignore " + CHORD_SOURCE_DIR + "/scripts/gen_template_goldens.py --live '" + cases_path +
                    "' --templates '" + models + "/chat-templates' --extra-templates '" + gguf_dir + "' --seed " +
                    seed + " --fuzz " + env_or("TEMPLATE_FUZZ_COUNT", "400");
  if (std::system(cmd.c_str()) != 0) FAIL("failed: " << cmd);
  auto doc = parse_json(jinja2::read_file(cases_path));
  fs::remove_all(work);
  REQUIRE(doc.ok());
  RenderOptions opts;
  opts.now_unix = (*doc)["now_unix"].as_int();
  const std::string jinja_version = (*doc)["jinja2"].as_string();
  std::vector<std::string> failures;  // printed together at the end, readable without Catch2's wrapping
  std::size_t errors = 0, same_line = 0;
  auto judge = [&](const std::string& what, const Result<std::string>& out, const Value& jinja) {
    std::string diff = jinja2::mismatch(out, jinja);
    if (!diff.empty()) failures.push_back(what + "\n" + diff);
    if (diff.empty() && jinja.find("error")) {
      ++errors;
      same_line += jinja2::same_error_line(out, jinja);
    }
    return diff.empty();
  };

  // Every template x conversation through the public apply_chat_template().
  const Value& convs = (*doc)["conversations"];
  std::size_t total = 0, same = 0, rendered = 0;
  for (const Value& t : (*doc)["templates"].as_array()) {
    for (const Value& c : t["cases"].as_array()) {
      const Value& ctx = convs[c["conversation"].as_string()];
      Object extra;
      for (const auto& [k, v] : ctx.as_object().entries)
        if (k != "messages" && k != "add_generation_prompt" && k != "bos_token" && k != "eos_token") extra.set(k, v);
      auto out = apply_chat_template(t["source"].as_string(), ctx["messages"], ctx["add_generation_prompt"].as_bool(),
                                     ctx["bos_token"].as_string(), ctx["eos_token"].as_string(),
                                     Value::object(std::move(extra)), opts);
      ++total;
      same += judge(t["name"].as_string() + " x " + c["conversation"].as_string(), out, c);
      rendered += c.find("expected") != nullptr;
    }
  }
  std::printf(
      "chat templates vs jinja2 %s: %zu/%zu identical (%zu templates, %d from GGUFs, x %zu conversations; "
      "%zu rendered, %zu raised by both)\n",
      jinja_version.c_str(), same, total, (*doc)["templates"].size(), n_gguf, convs.size(), rendered, total - rendered);

  // Random small templates.
  const Value& fuzz = (*doc)["fuzz"];
  const std::string context_json = to_json(fuzz["context"]);  // values are immutable: no render may change it
  std::size_t f_total = 0, f_same = 0, f_rendered = 0;
  for (const Value& c : fuzz["cases"].as_array()) {
    auto out = render(c["template"].as_string(), fuzz["context"], opts);
    ++f_total;
    f_same += judge("random template:\n" + c["template"].as_string(), out, c);
    f_rendered += c.find("expected") != nullptr;
  }
  std::printf(
      "random templates vs jinja2 (seed %s): %zu/%zu identical (%zu rendered, %zu raised by both; "
      "%lld excluded: output holds a Python object address)\n",
      seed.c_str(), f_same, f_total, f_rendered, f_total - f_rendered,
      static_cast<long long>(fuzz["excluded_addresses"].as_int()));
  std::printf("errors raised by both: %zu/%zu name the line jinja2 blames (see jinja2_compare.h)\n", same_line, errors);
  std::size_t show = std::stoul(env_or("TEMPLATE_DIFF_SHOW", "40"));
  if (to_json(fuzz["context"]) != context_json) failures.push_back("a render changed the shared context");
  for (std::size_t i = 0; i < failures.size() && i < show; ++i) std::printf("--- %s\n", failures[i].c_str());
  CHECK(failures.empty());
  CHECK(total >= 1000);
  CHECK(f_total >= 300);
}
#endif
