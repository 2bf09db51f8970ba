// Small templates (expression language, filters, tests, whitespace control, tojson) rendered
// with jinja2 by scripts/gen_template_goldens.py; each must render identically here.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "core/template/chat_template.h"

using namespace chord;
using namespace chord::tmpl;

namespace {
std::string slurp(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}
}  // namespace

TEST_CASE("snippets match jinja2") {
  auto doc = parse_json(slurp(std::string(CHORD_SOURCE_DIR) + "/tests/fixtures/chat-templates/_snippets.json"));
  REQUIRE(doc.ok());
  const Value& ctx = (*doc)["context"];
  RenderOptions opts;
  opts.now_unix = (*doc)["now_unix"].as_int();
  std::size_t n_ok = 0, n_err = 0;
  for (const auto& s : (*doc)["snippets"].as_array()) {
    const std::string& src = s["template"].as_string();
    INFO("template: " << src);
    auto out = render(src, ctx, opts);
    if (const Value* want = s.find("expected")) {
      INFO("want: " << want->as_string());
      INFO("got:  " << (out.ok() ? out.value() : out.status().to_string()));
      CHECK((out.ok() && out.value() == want->as_string()));
      ++n_ok;
    } else {
      const Value& e = s["error"];
      INFO("jinja2 raised " << e["type"].as_string() << ": " << e["message"].as_string());
      INFO("got: " << (out.ok() ? "'" + out.value() + "'" : out.status().to_string()));
      REQUIRE(!out.ok());
      CHECK(out.status().code() == Code::template_error);
      if (e["type"].as_string() == "TemplateError")
        CHECK(out.status().message().find(e["message"].as_string()) != std::string::npos);
      ++n_err;
    }
  }
  CHECK(n_ok > 120);
  CHECK(n_err > 20);
}
