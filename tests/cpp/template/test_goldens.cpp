// Renders every chat template in shared/models/chat-templates with every conversation and compares
// with the jinja2 goldens from scripts/gen_template_goldens.py (tests/fixtures/chat-templates).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/template/chat_template.h"
#include "tests/cpp/template/jinja2_compare.h"
#include "tests/cpp/test_util.h"

using namespace chord;
using namespace chord::tmpl;

namespace {

using jinja2::read_file;

std::string fixtures_dir() { return std::string(CHORD_SOURCE_DIR) + "/tests/fixtures/chat-templates"; }

std::vector<std::string> golden_files() {
  // The list of templates lives in the conversations file's sibling index (written by the generator).
  std::vector<std::string> names;
  auto idx = parse_json(read_file(fixtures_dir() + "/_index.json"));
  if (!idx.ok()) return names;
  for (const auto& v : idx->as_array()) names.push_back(v.as_string());
  return names;
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
      std::string diff = jinja2::mismatch(out, c);
      INFO(diff);
      CHECK(diff.empty());
      if (c.find("expected"))
        ++rendered;
      else
        ++errors;
    }
  }
  CHECK(rendered > 500);
  WARN("rendered " << rendered << " cases, " << errors << " expected errors, " << files.size() << " templates");
}

TEST_CASE("tool-use templates render a plain chat when no tools are given") {
  // Command R+ and Hermes 2 Pro / 3 tool_use iterate `tools` unconditionally: with tools undefined
  // (apply_chat_template's context) they render, as jinja2 does; with None they would raise.
  auto msgs = parse_json(R"([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"},
                             {"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "A joke?"}])");
  REQUIRE(msgs.ok());
  for (const char* name : {"CohereForAI-c4ai-command-r-plus-tool_use", "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
                           "NousResearch-Hermes-3-Llama-3.1-8B-tool_use"}) {
    std::string source = read_file(test::model_path(std::string("chat-templates/") + name + ".jinja"));
    INFO(name);
    REQUIRE(!source.empty());
    auto out = apply_chat_template(source, *msgs, true, "<s>", "</s>");
    INFO((out.ok() ? out.value() : out.status().to_string()));
    REQUIRE(out.ok());
    CHECK(out.value().find("Hello there") != std::string::npos);
    CHECK(out.value().find("A joke?") != std::string::npos);
  }
}
