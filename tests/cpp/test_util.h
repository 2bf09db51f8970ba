// Helpers shared by C++ tests: where the shared model fixtures live, file reading.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace chord::test {

// ../shared/models beside the checkout, overridable with WASM_CHORD_MODELS (native only: the wasm
// build sees no environment, so it tries the same fixed candidates).
inline std::string models_dir() {
  std::vector<std::string> candidates;
  if (const char* e = std::getenv("WASM_CHORD_MODELS")) candidates.push_back(e);
  candidates.push_back(std::string(CHORD_SOURCE_DIR) + "/../shared/models");
  candidates.push_back("/work/shared/models");
  for (const auto& c : candidates) {
    std::string probe = c + "/MODELS.md";
    if (FILE* f = std::fopen(probe.c_str(), "rb")) {
      std::fclose(f);
      return c;
    }
  }
  return candidates.front();
}

inline std::string model_path(const std::string& rel) { return models_dir() + "/" + rel; }

// Where tests may write scratch files (build tree).
inline std::string scratch_dir() {
  const char* t = std::getenv("TMPDIR");
  return t ? t : "/tmp";
}

}  // namespace chord::test
