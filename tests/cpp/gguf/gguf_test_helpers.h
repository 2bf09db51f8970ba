// Helpers for the GGUF tests: cached fixture bytes, deep Value comparison, byte patching.
#pragma once
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/gguf/gguf.h"
#include "tests/cpp/test_util.h"

namespace chord::test {

// Whole fixture file, read once per test run (REQUIREs that it exists).
inline const std::vector<uint8_t>& fixture(const std::string& rel) {
  static std::map<std::string, std::vector<uint8_t>> cache;
  auto it = cache.find(rel);
  if (it == cache.end()) {
    auto r = gguf::read_file(model_path(rel));
    if (!r.ok()) {
      std::fprintf(stderr, "fixture %s: %s\n", rel.c_str(), r.status().to_string().c_str());
      std::abort();
    }
    it = cache.emplace(rel, std::move(r).value()).first;
  }
  return it->second;
}

// Exact equality of two metadata values (numbers compared bit for bit through ==; no NaNs here).
inline bool same_value(const gguf::Value& a, const gguf::Value& b) {
  using gguf::ValueType;
  if (a.type != b.type) return false;
  switch (a.type) {
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
    case ValueType::u64:
    case ValueType::boolean:
      return a.u == b.u;
    case ValueType::i8:
    case ValueType::i16:
    case ValueType::i32:
    case ValueType::i64:
      return a.i == b.i;
    case ValueType::f32:
    case ValueType::f64:
      return a.f == b.f;
    case ValueType::string:
      return a.s == b.s;
    case ValueType::array:
      if (a.elem_type != b.elem_type || a.array_size() != b.array_size()) return false;
      if (a.strings != b.strings || a.numbers != b.numbers) return false;
      for (size_t k = 0; k < a.items.size(); ++k) {
        if (!same_value(a.items[k], b.items[k])) return false;
      }
      return true;
  }
  return false;
}

// Position of the first occurrence of `needle` at or after `from`, or npos.
inline size_t find_bytes(const std::vector<uint8_t>& hay, std::string_view needle, size_t from = 0) {
  if (needle.size() > hay.size()) return std::string::npos;
  for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (std::memcmp(hay.data() + i, needle.data(), needle.size()) == 0) return i;
  }
  return std::string::npos;
}

// Position just after a GGUF string (u64 length + bytes) equal to `s`: a key or tensor name.
inline size_t after_gguf_string(const std::vector<uint8_t>& bytes, std::string_view s) {
  std::string enc(8, '\0');
  const uint64_t n = s.size();
  std::memcpy(enc.data(), &n, 8);
  enc += s;
  const size_t at = find_bytes(bytes, enc);
  return at == std::string::npos ? at : at + enc.size();
}

// A tensor's bytes as a span (nbytes is u64; size_t is 32-bit in wasm32).
inline std::span<const uint8_t> data_of(const gguf::TensorInfo& t) { return {t.data, static_cast<size_t>(t.nbytes)}; }

template <class T>
void poke(std::vector<uint8_t>& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

template <class T>
T peek(const std::vector<uint8_t>& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

inline gguf::Value int_value(gguf::ValueType t, int64_t x) {
  gguf::Value v;
  v.type = t;
  if (t == gguf::ValueType::i8 || t == gguf::ValueType::i16 || t == gguf::ValueType::i32 || t == gguf::ValueType::i64) {
    v.i = x;
  } else {
    v.u = static_cast<uint64_t>(x);
  }
  return v;
}

}  // namespace chord::test
