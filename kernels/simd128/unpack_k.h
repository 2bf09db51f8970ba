// The 256-element super-blocks of the K-quants (Q2_K..Q6_K) and IQ4_XS unpacked to int8 groups:
// the one block walk per format used by both the SIMD128 kernels (superblock.h: int16 weights times
// scale) and the relaxed-SIMD kernels (kernels/relaxed/dot_k.cpp: 7-bit weights and group scales).
// The grid I-quants and ternary types follow the same scheme in unpack_grid.h. Only included from
// kernels/simd128/*.cpp and kernels/relaxed/*.cpp.
//
// A walk calls, on a sink S:
//   s.group(g, v, scale)   for g = 0..15: v = elements 16g .. 16g + 15 in element order as the
//                          reference's integer quants (int8), scale = the group's integer scale
//   s.mins(lo, hi)         formats with mins: the 16 group mins as two i16x8 (groups 0-7, 8-15)
//   s.scale(d, dmin)       the block's float scale (and min scale)
// Walks are always inlined into their caller: out of line, TQ2_0's SIMD128 matvec lost a third.
// Format traits:
//   kW         block bytes
//   kMin       a min term -dmin * sum_g min_g bsum_g is subtracted
//   kUnsigned  v is in 0..255 (else signed)
//   kShift     >= 0: v + 2^kShift lies in 0..127 (the relaxed kernels add it and take it back
//              through the Q8_K group sums); -1: v is already there, or (kSplit) v spans the int8
//              range and the relaxed kernels split it into low 7 bits and sign bit
//   kPairs     groups 2j, 2j + 1 share a scale and v + offset <= 63 (two relaxed pair sums of 16
//              products each may be added in int16)
#pragma once
#include <wasm_simd128.h>

#include <cstdint>

#include "core/quant/blocks.h"
#include "core/quant/rows.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128::fmt {

// Element 128h + 32k + l = bits 2k of qs[32h + l]; group 8h + 2k + l / 16; scale & 15, min >> 4.
struct Q2K {
  static constexpr int kW = sizeof(quant::BlockQ2_K), kShift = -1;
  static constexpr bool kMin = true, kUnsigned = true, kSplit = false, kPairs = false;
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockQ2_K*>(p);
    const v128_t three = wasm_i8x16_splat(3);
    for (int h = 0; h < 2; ++h) {
      const v128_t q0 = wasm_v128_load(x.qs + 32 * h), q1 = wasm_v128_load(x.qs + 32 * h + 16);
      for (int k = 0; k < 4; ++k) {
        const int g = 8 * h + 2 * k;
        s.group(g, wasm_v128_and(wasm_u8x16_shr(q0, 2 * k), three), x.scales[g] & 0xF);
        s.group(g + 1, wasm_v128_and(wasm_u8x16_shr(q1, 2 * k), three), x.scales[g + 1] & 0xF);
      }
    }
    const v128_t m = wasm_u8x16_shr(wasm_v128_load(x.scales), 4);
    s.mins(wasm_u16x8_extend_low_u8x16(m), wasm_u16x8_extend_high_u8x16(m));
    s.scale(f16_table()[x.d], f16_table()[x.dmin]);
  }
};

// As Q2_K's layout: bits 2k of qs[32h + l], minus 4 unless bit 4h + k of hmask[l] is set.
struct Q3K {
  static constexpr int kW = sizeof(quant::BlockQ3_K), kShift = 2;
  static constexpr bool kMin = false, kUnsigned = false, kSplit = false, kPairs = false;
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockQ3_K*>(p);
    int8_t sc[16];
    quant::unpack_q3_k_scales(x.scales, sc);
    const v128_t three = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4);
    const v128_t hm0 = wasm_v128_load(x.hmask), hm1 = wasm_v128_load(x.hmask + 16);
    for (int h = 0; h < 2; ++h) {
      const v128_t q0 = wasm_v128_load(x.qs + 32 * h), q1 = wasm_v128_load(x.qs + 32 * h + 16);
      for (int k = 0; k < 4; ++k) {
        const int g = 8 * h + 2 * k;
        const v128_t lo0 = wasm_v128_and(wasm_u8x16_shr(q0, 2 * k), three);
        const v128_t lo1 = wasm_v128_and(wasm_u8x16_shr(q1, 2 * k), three);
        s.group(g, wasm_i8x16_sub(lo0, wasm_v128_andnot(four, bit_set(hm0, 4 * h + k))), sc[g]);
        s.group(g + 1, wasm_i8x16_sub(lo1, wasm_v128_andnot(four, bit_set(hm1, 4 * h + k))), sc[g + 1]);
      }
    }
    s.scale(f16_table()[x.d], 0.0f);
  }
};

// Q4_K / Q5_K: element 64c + l (l < 32) is the low nibble of qs[32c + l], 64c + 32 + l the high
// one, with scales sc[2c] / sc[2c + 1]; Q5_K adds 16 where bit 2c / 2c + 1 of qh[l] is set.
template <bool Five>
struct K4 {
  static constexpr int kW = Five ? sizeof(quant::BlockQ5_K) : sizeof(quant::BlockQ4_K), kShift = -1;
  static constexpr bool kMin = true, kUnsigned = true, kSplit = false, kPairs = true;
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    alignas(16) int16_t sc[8];
    v128_t mins_lo, mins_hi;
    scales_mins_k4(p + 4, sc, &mins_lo, &mins_hi);
    const uint8_t* qs = p + (Five ? 48 : 16);
    const v128_t nib = wasm_i8x16_splat(0x0F), b4 = wasm_i8x16_splat(0x10);
    v128_t h0 = wasm_i8x16_splat(0), h1 = h0;
    if constexpr (Five) h0 = wasm_v128_load(p + 16), h1 = wasm_v128_load(p + 32);
    for (int c = 0; c < 4; ++c) {
      const v128_t v0 = wasm_v128_load(qs + 32 * c), v1 = wasm_v128_load(qs + 32 * c + 16);
      v128_t l0 = wasm_v128_and(v0, nib), l1 = wasm_v128_and(v1, nib);
      v128_t u0 = wasm_u8x16_shr(v0, 4), u1 = wasm_u8x16_shr(v1, 4);
      if constexpr (Five) {
        l0 = wasm_v128_or(l0, wasm_v128_and(bit_set(h0, 2 * c), b4));
        l1 = wasm_v128_or(l1, wasm_v128_and(bit_set(h1, 2 * c), b4));
        u0 = wasm_v128_or(u0, wasm_v128_and(bit_set(h0, 2 * c + 1), b4));
        u1 = wasm_v128_or(u1, wasm_v128_and(bit_set(h1, 2 * c + 1), b4));
      }
      s.group(4 * c, l0, sc[2 * c]);
      s.group(4 * c + 1, l1, sc[2 * c]);
      s.group(4 * c + 2, u0, sc[2 * c + 1]);
      s.group(4 * c + 3, u1, sc[2 * c + 1]);
    }
    s.mins(mins_lo, mins_hi);
    s.scale(f16_table()[load_u16(p)], f16_table()[load_u16(p + 2)]);
  }
};
using Q4K = K4<false>;
using Q5K = K4<true>;

// Element 128h + 32k + l: 4 bits from ql[64h + 32(k & 1) + l] (low nibble for k < 2), 2 bits
// from qh[32h + l] at bit 2k, minus 32; group 8h + 2k + l / 16, int8 scales.
struct Q6K {
  static constexpr int kW = sizeof(quant::BlockQ6_K), kShift = 5;
  static constexpr bool kMin = false, kUnsigned = false, kSplit = false, kPairs = false;
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockQ6_K*>(p);
    const v128_t nib = wasm_i8x16_splat(0x0F), m3 = wasm_i8x16_splat(0x30), off = wasm_i8x16_splat(32);
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x.ql + 64 * h;
      const v128_t qh0 = wasm_v128_load(x.qh + 32 * h), qh1 = wasm_v128_load(x.qh + 32 * h + 16);
      for (int k = 0; k < 4; ++k) {
        const v128_t a0 = wasm_v128_load(ql + 32 * (k & 1)), a1 = wasm_v128_load(ql + 32 * (k & 1) + 16);
        const v128_t lo0 = k < 2 ? wasm_v128_and(a0, nib) : wasm_u8x16_shr(a0, 4);
        const v128_t lo1 = k < 2 ? wasm_v128_and(a1, nib) : wasm_u8x16_shr(a1, 4);
        // Bits 2k..2k+1 of qh moved to bits 4..5.
        const v128_t hi0 = k < 2 ? wasm_i8x16_shl(qh0, 4 - 2 * k) : wasm_u8x16_shr(qh0, 2 * k - 4);
        const v128_t hi1 = k < 2 ? wasm_i8x16_shl(qh1, 4 - 2 * k) : wasm_u8x16_shr(qh1, 2 * k - 4);
        const int g = 8 * h + 2 * k;
        s.group(g, wasm_i8x16_sub(wasm_v128_or(lo0, wasm_v128_and(hi0, m3)), off), x.scales[g]);
        s.group(g + 1, wasm_i8x16_sub(wasm_v128_or(lo1, wasm_v128_and(hi1, m3)), off), x.scales[g + 1]);
      }
    }
    s.scale(f16_table()[x.d], 0.0f);
  }
};

// Element 32j + l (l < 16): codebook value of the low nibble of qs[16j + l]; 32j + 16 + l: the
// high nibble; sub-block scale ls_j - 32.
struct IQ4XS {
  static constexpr int kW = sizeof(quant::BlockIQ4_XS), kShift = -1;
  static constexpr bool kMin = false, kUnsigned = false, kSplit = true, kPairs = false;
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ4_XS*>(p);
    const v128_t book = wasm_v128_load(quant::kIq4nlValues), nib = wasm_i8x16_splat(0x0F);
    for (int j = 0; j < 8; ++j) {
      const v128_t v = wasm_v128_load(x.qs + 16 * j);
      const int sc = quant::iq4_xs_scale(x, j) - 32;
      s.group(2 * j, wasm_i8x16_swizzle(book, wasm_v128_and(v, nib)), sc);
      s.group(2 * j + 1, wasm_i8x16_swizzle(book, wasm_u8x16_shr(v, 4)), sc);
    }
    s.scale(f16_table()[x.d], 0.0f);
  }
};

}  // namespace chord::kernels::simd128::fmt
