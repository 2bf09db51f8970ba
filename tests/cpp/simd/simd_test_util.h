// Shared helpers of the SIMD-vs-reference tests: the implementations under test (reference always,
// SIMD128 in wasm SIMD builds), deterministic random data, byte buffers at chosen misalignments.
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/quant/fp16.h"
#include "core/quant/types.h"
#include "kernels/ops.h"

namespace chord::test {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24, f32 unit roundoff

inline const GgmlType kDotTypes[] = {
    GgmlType::F32,     GgmlType::F16,    GgmlType::BF16,   GgmlType::Q4_0,    GgmlType::Q4_1,   GgmlType::Q5_0,
    GgmlType::Q5_1,    GgmlType::Q8_0,   GgmlType::Q2_K,   GgmlType::Q3_K,    GgmlType::Q4_K,   GgmlType::Q5_K,
    GgmlType::Q6_K,    GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S,
    GgmlType::IQ3_XXS, GgmlType::IQ3_S,  GgmlType::IQ1_S,  GgmlType::IQ1_M,   GgmlType::TQ1_0,  GgmlType::TQ2_0};

inline bool is_float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// An op table under test.
struct DotImpl {
  std::string name;
  const kernels::TypeOps* ops;
};

// Reference first; the active table (reference with the SIMD128 entries over it, and the
// relaxed-SIMD ones over those in relaxed builds) in SIMD builds.
inline std::vector<DotImpl> dot_impls(GgmlType t) {
  std::vector<DotImpl> v{{"ref", kernels::ref_ops(t)}};
#ifdef CHORD_SIMD128
  v.push_back({kernels::kernel_set(), kernels::ops(t)});
#endif
  return v;
}

// Bytes placed at `offset` past a 16-byte boundary (so SIMD loads see unaligned addresses while the
// block structs keep their natural alignment when offset is a multiple of it).
class Placed {
 public:
  Placed(const void* src, size_t n, size_t offset) : buf_(n + offset + 32), offset_(offset) {
    uintptr_t base = reinterpret_cast<uintptr_t>(buf_.data());
    pad_ = (16 - base % 16) % 16;
    if (n) std::memcpy(data(), src, n);
  }
  Placed(size_t n, size_t offset) : buf_(n + offset + 32), offset_(offset) {
    pad_ = (16 - reinterpret_cast<uintptr_t>(buf_.data()) % 16) % 16;
  }
  uint8_t* data() { return buf_.data() + pad_ + offset_; }

 private:
  std::vector<uint8_t> buf_;
  size_t offset_, pad_ = 0;
};

// A random finite half of magnitude within [lo, hi] (either sign).
inline uint16_t random_half(std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  const float v = u(rng) * ((rng() & 1) ? -1.0f : 1.0f);
  return quant::fp32_to_fp16(v);
}

inline void put_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace chord::test
