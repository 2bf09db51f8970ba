// libFuzzer target for the JSON Schema converter: any input converts or fails with
// invalid_argument; a converted schema is always a grammar the GBNF parser accepts and whose
// start state matches something.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/grammar/gbnf.h"
#include "core/grammar/json_schema.h"
#include "core/grammar/matcher.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  auto r = chord::grammar::json_schema_to_gbnf(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) {
    FUZZ_REQUIRE(r.status().code() == chord::Code::invalid_argument);
    return 0;
  }
  auto g = chord::grammar::parse_gbnf(r.value());
  FUZZ_REQUIRE(g.ok());
  chord::grammar::Matcher m(std::make_shared<const chord::grammar::Grammar>(std::move(g.value())));
  const auto s = m.initial();
  FUZZ_REQUIRE(s != chord::grammar::Matcher::kDead || !m.error().ok());
  return 0;
}
