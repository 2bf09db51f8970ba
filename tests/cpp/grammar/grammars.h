// GBNF grammars shared by the grammar tests and the bench: tests/fixtures/grammars/*.gbnf.
#pragma once
#include <cstdio>
#include <string>

namespace chord::test {

inline std::string grammar_fixture(const char* name) {
  const std::string path = std::string(CHORD_SOURCE_DIR) + "/tests/fixtures/grammars/" + name;
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
  }
  return out;  // "" if missing: the grammar then fails to parse and the test says so
}

inline const std::string kJsonGbnf = grammar_fixture("json.gbnf");
inline const std::string kArithmeticGbnf = grammar_fixture("arithmetic.gbnf");
inline const std::string kListGbnf = grammar_fixture("list.gbnf");

}  // namespace chord::test
