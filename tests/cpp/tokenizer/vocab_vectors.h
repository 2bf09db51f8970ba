// Test helpers shared by tokenizer tests: load a tokenizer from a GGUF path, and read llama.cpp's
// tokenizer test vectors (X.gguf.inp / X.gguf.out, the format of tests/test-tokenizer-0.cpp).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "core/tokenizer/tokenizer.h"
#include "tests/cpp/test_util.h"

namespace chord::test {

// A whole file as bytes; false if it cannot be read.
inline bool read_text_file(const std::string& path, std::string& out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out.clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return true;
}

// Tokenizer of the GGUF at `path` (relative paths are under models_dir()). The tokenizer copies
// what it needs, so the file bytes are released on return.
inline Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
  const std::string full = (!path.empty() && path[0] == '/') ? path : model_path(path);
  auto bytes = gguf::read_file(full);
  if (!bytes.ok()) return bytes.status();
  auto file = gguf::File::parse(std::span<const uint8_t>(bytes->data(), bytes->size()));
  if (!file.ok()) return file.status();
  return Tokenizer::from_gguf(*file);
}

struct VocabCase {
  std::string text;        // input string, exactly as between the separators
  std::vector<Token> ids;  // expected ids (no BOS/EOS: llama.cpp tokenizes with add_special=false)
};

// Reads `<gguf>.inp` (tests separated by "\n__ggml_vocab_test__\n", the file ending in one) and
// `<gguf>.out` (one line of space-separated ids per test; an empty line is an empty list), the
// way llama.cpp's test-tokenizer-0 does. Those tests run with add_special = false and
// parse_special = false. Returns an empty list and sets `error` on any mismatch.
inline std::vector<VocabCase> load_vocab_vectors(const std::string& gguf_path, std::string& error) {
  const std::string base = (!gguf_path.empty() && gguf_path[0] == '/') ? gguf_path : model_path(gguf_path);
  std::string inp, outp;
  if (!read_text_file(base + ".inp", inp) || !read_text_file(base + ".out", outp)) {
    error = "cannot read " + base + ".inp/.out";
    return {};
  }
  std::vector<std::string> texts;
  const std::string sep = "\n__ggml_vocab_test__\n";
  for (size_t pos = 0; pos < inp.size();) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<std::vector<Token>> ids;
  for (size_t pos = 0; pos < outp.size();) {
    size_t end = outp.find('\n', pos);
    if (end == std::string::npos) end = outp.size();
    std::vector<Token> line;
    const char* p = outp.c_str() + pos;
    const char* e = outp.c_str() + end;
    while (p < e) {
      while (p < e && (*p == ' ' || *p == '\r' || *p == '\t')) ++p;
      if (p >= e) break;
      char* q = nullptr;
      const long v = std::strtol(p, &q, 10);
      if (q == p) {
        error = "bad id in " + base + ".out";
        return {};
      }
      line.push_back(static_cast<Token>(v));
      p = q;
    }
    ids.push_back(std::move(line));
    pos = end + 1;
  }
  if (texts.size() != ids.size() || texts.empty()) {
    error = base + ": " + std::to_string(texts.size()) + " inputs but " + std::to_string(ids.size()) + " outputs";
    return {};
  }
  std::vector<VocabCase> cases;
  for (size_t i = 0; i < texts.size(); ++i) cases.push_back({std::move(texts[i]), std::move(ids[i])});
  return cases;
}

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool is_valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace chord::test
