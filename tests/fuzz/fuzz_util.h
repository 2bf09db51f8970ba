// Helpers shared by libFuzzer targets: where the shared model fixtures are (env CHORD_MODELS_DIR or
// WASM_CHORD_MODELS, else ../shared/models beside the checkout, else /work/shared/models), loading
// a tokenizer once, and a UTF-8 validity check. Missing fixtures abort at start-up, not mid-run.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace chord::fuzz {

// The checkout root, from this header's absolute path (CMake compiles with absolute paths).
inline const char* source_dir() {
  static const std::string dir = [] {
    std::string f = __FILE__;
    const std::string tail = "/tests/fuzz/fuzz_util.h";
    if (f.size() > tail.size() && f.compare(f.size() - tail.size(), tail.size(), tail) == 0)
      return f.substr(0, f.size() - tail.size());
    return std::string(".");
  }();
  return dir.c_str();
}

inline std::string models_dir() {
  for (const char* var : {"CHORD_MODELS_DIR", "WASM_CHORD_MODELS"})
    if (const char* e = std::getenv(var); e && *e) return e;
  const std::string beside = std::string(source_dir()) + "/../shared/models";
  if (FILE* f = std::fopen((beside + "/MODELS.md").c_str(), "rb")) {
    std::fclose(f);
    return beside;
  }
  return "/work/shared/models";
}

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "fuzz setup failed: %s\n", why.c_str());
  std::abort();
}

// Tokenizer of a GGUF under models_dir() (the tokenizer copies what it needs).
inline std::shared_ptr<const Tokenizer> load_tokenizer_file(const std::string& rel) {
  auto bytes = gguf::read_file(models_dir() + "/" + rel);
  if (!bytes.ok()) die(rel + ": " + bytes.status().to_string());
  auto file = gguf::File::parse(std::span<const uint8_t>(bytes->data(), bytes->size()));
  if (!file.ok()) die(rel + ": " + file.status().to_string());
  auto tok = Tokenizer::from_gguf(*file);
  if (!tok.ok()) die(rel + ": " + tok.status().to_string());
  return *tok;
}

inline std::shared_ptr<const Tokenizer> load_tokenizer_bytes(const std::vector<uint8_t>& bytes, const char* what) {
  auto file = gguf::File::parse(std::span<const uint8_t>(bytes.data(), bytes.size()));
  if (!file.ok()) die(std::string(what) + ": " + file.status().to_string());
  auto tok = Tokenizer::from_gguf(*file);
  if (!tok.ok()) die(std::string(what) + ": " + tok.status().to_string());
  return *tok;
}

inline bool valid_utf8(std::string_view s) { return unicode::is_valid_utf8(s); }

// Aborts with a message (libFuzzer then saves the input as a crash).
#define FUZZ_REQUIRE(cond)                                                                   \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "FUZZ_REQUIRE failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

}  // namespace chord::fuzz
