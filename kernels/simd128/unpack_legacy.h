// The weight blocks of the 32-element formats (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL) unpacked to int8:
// the one unpacking used by both kernels/simd128/dot_legacy.cpp (widened to int16 for
// i32x4.dot_i16x8) and kernels/relaxed/dot_legacy.cpp (moved onto the 7-bit operand of the relaxed
// int8 dot). Only included from kernels/simd128/*.cpp and kernels/relaxed/*.cpp.
#pragma once
#include <wasm_simd128.h>

#include <cstdint>

#include "core/quant/blocks.h"
#include "kernels/ref/vec_dot.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128::legacy {

// Per format:
//   kW, kA      weight / activation block bytes; kAq: where the activation quants start
//   kMin        a min term m_w * s_a is added (Q4_1, Q5_1 with Q8_1)
//   unpack      v[0] = elements 0..15, v[1] = 16..31: the reference's integer weights as int8
//   kShift      >= 0: v + 2^kShift lies in 0..127 (the relaxed kernels add it and take it back
//               through the activations' block sums); -1: v is already in 0..127, or (kSplit) it
//               spans the int8 range and the relaxed kernels split it into low 7 bits and sign bit
//   ref         the reference dot (short rows of the SIMD128 kernels)
struct Q4_0 {
  static constexpr int kW = sizeof(quant::BlockQ4_0), kA = sizeof(quant::BlockQ8_0), kAq = 2, kShift = 3;
  static constexpr bool kMin = false, kSplit = false;
  static void unpack(const uint8_t* b, v128_t* v) {
    const v128_t q = wasm_v128_load(b + 2), off = wasm_i8x16_splat(8);
    v[0] = wasm_i8x16_sub(wasm_v128_and(q, wasm_i8x16_splat(0x0F)), off);
    v[1] = wasm_i8x16_sub(wasm_u8x16_shr(q, 4), off);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q4_0_q8_0(n, w, a); }
};

struct Q4_1 {
  static constexpr int kW = sizeof(quant::BlockQ4_1), kA = sizeof(quant::BlockQ8_1), kAq = 4, kShift = -1;
  static constexpr bool kMin = true, kSplit = false;
  static void unpack(const uint8_t* b, v128_t* v) {
    const v128_t q = wasm_v128_load(b + 4);
    v[0] = wasm_v128_and(q, wasm_i8x16_splat(0x0F));
    v[1] = wasm_u8x16_shr(q, 4);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q4_1_q8_1(n, w, a); }
};

// Five-bit quants: the nibbles of the 16 bytes at qs, bit 4 from the 32 bits at qh.
inline void unpack5(const uint8_t* qh, const uint8_t* qs, v128_t* v) {
  const uint32_t h = load_u32(qh);
  const v128_t q = wasm_v128_load(qs);
  v[0] = wasm_v128_or(wasm_v128_and(q, wasm_i8x16_splat(0x0F)), qh_bits(h, 0));
  v[1] = wasm_v128_or(wasm_u8x16_shr(q, 4), qh_bits(h, 1));
}

struct Q5_0 {
  static constexpr int kW = sizeof(quant::BlockQ5_0), kA = sizeof(quant::BlockQ8_0), kAq = 2, kShift = 4;
  static constexpr bool kMin = false, kSplit = false;
  static void unpack(const uint8_t* b, v128_t* v) {
    unpack5(b + 2, b + 6, v);
    const v128_t off = wasm_i8x16_splat(16);
    v[0] = wasm_i8x16_sub(v[0], off);
    v[1] = wasm_i8x16_sub(v[1], off);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q5_0_q8_0(n, w, a); }
};

struct Q5_1 {
  static constexpr int kW = sizeof(quant::BlockQ5_1), kA = sizeof(quant::BlockQ8_1), kAq = 4, kShift = -1;
  static constexpr bool kMin = true, kSplit = false;
  static void unpack(const uint8_t* b, v128_t* v) { unpack5(b + 4, b + 8, v); }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q5_1_q8_1(n, w, a); }
};

struct Q8_0 {
  static constexpr int kW = sizeof(quant::BlockQ8_0), kA = sizeof(quant::BlockQ8_0), kAq = 2, kShift = -1;
  static constexpr bool kMin = false, kSplit = true;
  static void unpack(const uint8_t* b, v128_t* v) {
    v[0] = wasm_v128_load(b + 2);
    v[1] = wasm_v128_load(b + 18);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q8_0_q8_0(n, w, a); }
};

// The 16 nibble indices looked up in the IQ4_NL codebook: one i8x16.swizzle each.
struct IQ4_NL {
  static constexpr int kW = sizeof(quant::BlockIQ4_NL), kA = sizeof(quant::BlockQ8_0), kAq = 2, kShift = -1;
  static constexpr bool kMin = false, kSplit = true;
  static void unpack(const uint8_t* b, v128_t* v) {
    const v128_t q = wasm_v128_load(b + 2);
    const v128_t book = wasm_v128_load(quant::kIq4nlValues);
    v[0] = wasm_i8x16_swizzle(book, wasm_v128_and(q, wasm_i8x16_splat(0x0F)));
    v[1] = wasm_i8x16_swizzle(book, wasm_u8x16_shr(q, 4));
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_iq4_nl_q8_0(n, w, a); }
};

}  // namespace chord::kernels::simd128::legacy
