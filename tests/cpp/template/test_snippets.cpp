// Small templates (expression language, filters, tests, whitespace control, tojson) rendered
// with jinja2 by scripts/gen_template_goldens.py; each must render identically here.
#include <catch2/catch.hpp>
#include <string>

#include "core/template/chat_template.h"
#include "tests/cpp/template/jinja2_compare.h"

using namespace chord;
using namespace chord::tmpl;

TEST_CASE("snippets match jinja2") {
  auto doc =
      parse_json(jinja2::read_file(std::string(CHORD_SOURCE_DIR) + "/tests/fixtures/chat-templates/_snippets.json"));
  REQUIRE(doc.ok());
  const Value& ctx = (*doc)["context"];
  RenderOptions opts;
  opts.now_unix = (*doc)["now_unix"].as_int();
  std::size_t n_ok = 0, n_err = 0;
  for (const auto& s : (*doc)["snippets"].as_array()) {
    const std::string& src = s["template"].as_string();
    INFO("template: " << src);
    auto out = render(src, ctx, opts);
    std::string diff = jinja2::mismatch(out, s);
    INFO(diff);
    CHECK(diff.empty());
    if (s.find("expected"))
      ++n_ok;
    else
      ++n_err;
  }
  CHECK(n_ok > 120);
  CHECK(n_err > 20);
}
