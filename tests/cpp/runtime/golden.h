// Reads the greedy goldens in shared/models/golden (JSON written by an independent float64 forward pass).
#pragma once
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace chord::test {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The numbers of the flat JSON array stored under "key".
inline std::vector<double> json_numbers(const std::string& json, const std::string& key) {
  std::vector<double> out;
  size_t k = json.find("\"" + key + "\"");
  if (k == std::string::npos) return out;
  size_t b = json.find('[', k), e = json.find(']', b);
  const char* p = json.c_str() + b + 1;
  const char* end = json.c_str() + e;
  while (p < end) {
    char* next = nullptr;
    double v = std::strtod(p, &next);
    if (next == p) {
      ++p;
      continue;
    }
    out.push_back(v);
    p = next;
  }
  return out;
}

}  // namespace chord::test
