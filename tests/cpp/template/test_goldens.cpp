// Renders every chat template in shared/models/chat-templates with every conversation and compares
// with the jinja2 goldens from scripts/gen_template_goldens.py (tests/fixtures/chat-templates).
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "core/template/chat_template.h"
#include "tests/cpp/test_util.h"

using namespace chord;
using namespace chord::tmpl;

namespace {

std::string read_file(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

std::string fixtures_dir() { return std::string(CHORD_SOURCE_DIR) + "/tests/fixtures/chat-templates"; }

std::vector<std::string> golden_files() {
  // The list of templates lives in the conversations file's sibling index (written by the generator).
  std::vector<std::string> names;
  auto idx = parse_json(read_file(fixtures_dir() + "/_index.json"));
  if (!idx.ok()) return names;
  for (const auto& v : idx->as_array()) names.push_back(v.as_string());
  return names;
}

// First differing position, shown with some context, for readable failures.
std::string diff_hint(const std::string& want, const std::string& got) {
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  std::size_t b = i > 60 ? i - 60 : 0;
  return "first difference at byte " + std::to_string(i) + "\n  want: ..." + want.substr(b, 160) +
         "\n  got:  ..." + got.substr(b, 160);
}

}  // namespace

TEST_CASE("every chat template matches jinja2 on every conversation") {
  auto convs_json = parse_json(read_file(fixtures_dir() + "/_conversations.json"));
  REQUIRE(convs_json.ok());
  const Value& convs = (*convs_json)["conversations"];
  RenderOptions opts;
  opts.now_unix = (*convs_json)["now_unix"].as_int();

  std::vector<std::string> files = golden_files();
  REQUIRE(files.size() >= 50);
  std::size_t rendered = 0, errors = 0;
  for (const auto& name : files) {
    auto golden = parse_json(read_file(fixtures_dir() + "/" + name));
    REQUIRE(golden.ok());
    std::string tpath = test::model_path("chat-templates/" + (*golden)["template"].as_string());
    std::string source = read_file(tpath);
    INFO("template " << tpath);
    REQUIRE(!source.empty());
    auto tmpl = Template::parse(source);
    for (const auto& c : (*golden)["cases"].as_array()) {
      const std::string& conv = c["conversation"].as_string();
      INFO("conversation " << conv);
      const Value* ctx = convs.find(conv);
      REQUIRE(ctx);
      Result<std::string> out = tmpl.ok() ? tmpl->render(*ctx, opts) : Result<std::string>(tmpl.status());
      if (const Value* want = c.find("expected")) {
        INFO((out.ok() ? diff_hint(want->as_string(), out.value()) : out.status().to_string()));
        CHECK((out.ok() && out.value() == want->as_string()));
        ++rendered;
      } else {
        const Value& e = c["error"];
        INFO("jinja2 raised " << e["type"].as_string() << ": " << e["message"].as_string());
        REQUIRE(!out.ok());
        CHECK(out.status().code() == Code::template_error);
        // raise_exception() messages come from the template itself and must survive verbatim.
        if (e["type"].as_string() == "TemplateError")
          CHECK(out.status().message().find(e["message"].as_string()) != std::string::npos);
        ++errors;
      }
    }
  }
  CHECK(rendered > 500);
  WARN("rendered " << rendered << " cases, " << errors << " expected errors, " << files.size() << " templates");
}
