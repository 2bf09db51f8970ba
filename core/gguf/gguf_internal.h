// Helpers shared by the GGUF reader and writer (not part of the public interface).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/gguf/gguf.h"

namespace chord::gguf::detail {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // bytes "GGUF" read as a little-endian u32
inline constexpr uint32_t kDefaultAlignment = 32;   // GGUF_DEFAULT_ALIGNMENT in ggml
inline constexpr int kMaxArrayDepth = 8;            // arrays of arrays deeper than this are refused
inline constexpr uint32_t kMaxDims = 4;             // GGML_MAX_DIMS

// Bytes one element of `t` takes in a GGUF file; for string/array the smallest possible encoding
// (a u64 length; a u32 type + u64 count). 0 for ids GGUF does not define.
inline uint64_t min_encoded_size(uint32_t t) {
  switch (static_cast<ValueType>(t)) {
    case ValueType::u8:
    case ValueType::i8:
    case ValueType::boolean:
      return 1;
    case ValueType::u16:
    case ValueType::i16:
      return 2;
    case ValueType::u32:
    case ValueType::i32:
    case ValueType::f32:
      return 4;
    case ValueType::u64:
    case ValueType::i64:
    case ValueType::f64:
      return 8;
    case ValueType::string:
      return 8;
    case ValueType::array:
      return 12;
  }
  return 0;
}

inline bool is_pow2(uint64_t a) { return a != 0 && (a & (a - 1)) == 0; }

// Message building without iostreams: cat("tensor '", name, "' has ", n, " dims").
inline void cat_one(std::string& s, std::string_view v) { s += v; }
inline void cat_one(std::string& s, const char* v) { s += v; }
inline void cat_one(std::string& s, const std::string& v) { s += v; }
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
void cat_one(std::string& s, T v) {
  s += std::to_string(v);
}
template <class... A>
std::string cat(const A&... a) {
  std::string s;
  (cat_one(s, a), ...);
  return s;
}

}  // namespace chord::gguf::detail
