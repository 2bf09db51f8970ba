// Helpers for the hostile-input tests: load bytes as a model from an exactly sized buffer (so ASan
// and wasm bounds see any over-read), check a Status's code and message, and find the byte
// positions of header fields inside a written GGUF for patching.
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "runtime/model.h"
#include "tests/cpp/hostile/tiny_model.h"

namespace chord::test {

inline Result<std::shared_ptr<const Model>> load_bytes(const std::vector<uint8_t>& bytes, size_t len = SIZE_MAX) {
  auto owner = std::make_shared<std::vector<uint8_t>>(
      bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(len, bytes.size())));
  ModelBytes mb;
  mb.parts.emplace_back(owner->data(), owner->size());
  mb.owner = owner;
  return Model::load(std::move(mb));
}

inline Status load_status(const std::vector<uint8_t>& bytes, size_t len = SIZE_MAX) {
  auto r = load_bytes(bytes, len);
  return r.ok() ? Status::Ok() : r.status();
}

// Expects `code` and every needle in the message (which must not be empty).
inline void expect_error(const Status& s, Code code, std::initializer_list<std::string> needles = {}) {
  INFO(s.to_string());
  CHECK(s.code() == code);
  CHECK_FALSE(s.message().empty());
  for (const std::string& n : needles) CHECK(s.message().find(n) != std::string::npos);
}

inline void put_le(std::vector<uint8_t>& b, size_t at, uint64_t v, size_t width) {
  REQUIRE(at + width <= b.size());
  for (size_t k = 0; k < width; ++k) b[at + k] = static_cast<uint8_t>(v >> (8 * k));
}

// Position just after a GGUF string (u64 length + bytes) equal to `s`; SIZE_MAX if absent.
inline size_t after_string(const std::vector<uint8_t>& b, const std::string& s) {
  std::vector<uint8_t> needle(8 + s.size());
  const uint64_t n = s.size();
  std::memcpy(needle.data(), &n, 8);
  std::memcpy(needle.data() + 8, s.data(), s.size());
  auto it = std::search(b.begin(), b.end(), needle.begin(), needle.end());
  return it == b.end() ? SIZE_MAX : static_cast<size_t>(it - b.begin()) + needle.size();
}

// Byte positions of a tensor's info fields in a GGUF v3 file.
struct TensorInfoAt {
  size_t name_len;  // u64 length of the name
  size_t n_dims;    // u32
  size_t ne0;       // u64 ne[0], ne[1] follows at +8 ...
  size_t type;      // u32
  size_t offset;    // u64
};

inline TensorInfoAt tensor_info_at(const std::vector<uint8_t>& b, const std::string& name) {
  const size_t at = after_string(b, name);
  REQUIRE(at != SIZE_MAX);
  uint32_t n_dims = 0;
  std::memcpy(&n_dims, b.data() + at, 4);
  TensorInfoAt t;
  t.name_len = at - name.size() - 8;
  t.n_dims = at;
  t.ne0 = at + 4;
  t.type = at + 4 + 8 * n_dims;
  t.offset = t.type + 4;
  return t;
}

// Runs a short greedy generation on a loaded model: must not crash, every token in range.
inline void smoke_generate(const std::shared_ptr<const Model>& m, const std::string& prompt = "Once upon a time") {
  auto ctx = Context::create(m, {64, 8, 1});
  REQUIRE(ctx.ok());
  std::vector<Token> ids = m->tokenizer()->encode(prompt, true, false);
  for (Token id : ids) REQUIRE((id >= 0 && id < m->desc().n_vocab));
  ids.resize(std::min<size_t>(ids.size(), 48));
  if (ids.empty()) ids.push_back(0);
  GenerateOptions go;
  go.max_tokens = 4;
  go.sampling.temperature = 0;
  go.ignore_eos = true;
  auto g = Generator::start(**ctx, ids, go);
  REQUIRE(g.ok());
  while (!(*g)->done()) {
    auto s = (*g)->step();
    REQUIRE(s.ok());
    CHECK(s->token < m->desc().n_vocab);
  }
}

}  // namespace chord::test
