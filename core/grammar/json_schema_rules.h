// Pieces of the JSON Schema converter kept apart from the walk over the schema: llama.cpp's
// primitive rules, literal formatting, integer-range and repetition builders, regex patterns.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace chord::grammar::schema {

struct Primitive {
  const char* name;
  const char* body;               // GBNF right-hand side
  std::vector<const char*> deps;  // primitives it references
};
// The primitive rules (boolean, number, integer, value, object, array, uuid, char, string, null,
// ...) and string formats (date, time, date-time and their "-string" forms); nullptr if unknown.
const Primitive* find_primitive(std::string_view name);
const Primitive* find_format(std::string_view name);
bool is_reserved_name(std::string_view name);

constexpr const char* kSpaceRule = R"(| " " | "\n"{1,2} [ \t]{0,20})";
constexpr int kNoMax = std::numeric_limits<int>::max();
constexpr int64_t kNoMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kNoMaxInt = std::numeric_limits<int64_t>::max();

// A GBNF string literal for raw bytes: \r \n " \ escaped, everything else as is.
std::string format_literal(std::string_view s);
// `item` repeated min..max times (kNoMax: unbounded), items separated by `sep` when given.
std::string build_repetition(const std::string& item, int min_n, int max_n, const std::string& sep = "");
// Alternatives matching exactly the decimal integers in [min, max] (either bound may be absent).
std::string build_min_max_int(int64_t min_v, int64_t max_v);

// Converts an anchored regex (^...$) the way llama.cpp does: literals, ., [...] sets, groups,
// |, * + ? and {m,n}. `add_rule(name, body)` registers helper rules and returns their names.
struct PatternResult {
  std::string body;   // the rule body (JSON string quotes and trailing space included)
  std::string error;  // non-empty on failure
};
PatternResult convert_pattern(std::string_view pattern, const std::string& name,
                              const std::function<std::string(const std::string&, const std::string&)>& add_rule);

}  // namespace chord::grammar::schema
