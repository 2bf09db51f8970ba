// The 256-element super-blocks of the grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S,
// IQ1_M) and the ternary TQ1_0 / TQ2_0 unpacked to int8 groups: the one block walk per format used
// by both the SIMD128 kernels (dot_iq_grid.cpp on superblock.h) and the relaxed-SIMD ones
// (kernels/relaxed/dot_k.cpp); the sink and the format traits are unpack_k.h's. Per 16 elements the
// grid entries are gathered into one vector (two 8-byte or four 4-byte entries), signs applied as
// (v ^ m) - m with m the sign bits spread to byte masks. IQ1 values are 8 q + delta (|9|) with d / 8
// as the block scale, so the shift term rides in the same integer sum: exactly the reference's
// d * (sum + delta_sum / 8). Relaxed offsets: grid magnitudes <= 43 (IQ2) / 62 (IQ3_XXS) take +64,
// IQ3_S (<= 15) and IQ1 (<= 9) +16, ternary -1..1 +1. Only included from kernels/simd128/*.cpp and
// kernels/relaxed/*.cpp.
#pragma once
#include <wasm_simd128.h>

#include <cstdint>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/iq_grids.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128::fmt {

// Byte b0 in lanes 0..7, b1 in lanes 8..15.
inline v128_t bytes8x2(uint32_t b0, uint32_t b1) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  return wasm_i64x2_make(static_cast<int64_t>((b0 & 0xFF) * kOnes), static_cast<int64_t>((b1 & 0xFF) * kOnes));
}

// Lanes 0..7 from s0's bits, 8..15 from s1's: 0xFF where the element is negative.
inline v128_t sign_mask(uint32_t s0, uint32_t s1) {
  const v128_t bits = wasm_i8x16_make(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return wasm_i8x16_eq(wasm_v128_and(bytes8x2(s0, s1), bits), bits);
}
// v negated where m is set.
inline v128_t apply_signs(v128_t v, v128_t m) { return wasm_i8x16_sub(wasm_v128_xor(v, m), m); }

// Two 8-byte grid entries (groups of 8) as one vector; four 4-byte entries likewise.
inline v128_t grid8x2(const uint64_t* g, uint32_t i0, uint32_t i1) {
  return wasm_i64x2_make(static_cast<int64_t>(g[i0]), static_cast<int64_t>(g[i1]));
}
inline v128_t grid4x4(const uint32_t* g, uint32_t i0, uint32_t i1, uint32_t i2, uint32_t i3) {
  return wasm_i32x4_make(static_cast<int32_t>(g[i0]), static_cast<int32_t>(g[i1]), static_cast<int32_t>(g[i2]),
                         static_cast<int32_t>(g[i3]));
}

// 8 * grid + delta per byte: delta d0 on lanes 0..7, d1 on 8..15 (each +-1).
inline v128_t iq1_values(v128_t g, int d0, int d1) {
  return wasm_i8x16_add(wasm_i8x16_shl(g, 3), bytes8x2(static_cast<uint32_t>(d0), static_cast<uint32_t>(d1)));
}

// Base-3 digit per lane: ((b * p mod 256) * 3) >> 8 of 16 bytes b with per-lane powers p (u16 lanes).
inline v128_t tq1_digits(v128_t b, v128_t p_lo, v128_t p_hi) {
  const v128_t lo = wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(b), p_lo);
  const v128_t hi = wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(b), p_hi);
  const v128_t m = wasm_i16x8_splat(0xFF), three = wasm_i16x8_splat(3);
  const v128_t dlo = wasm_u16x8_shr(wasm_i16x8_mul(wasm_v128_and(lo, m), three), 8);
  const v128_t dhi = wasm_u16x8_shr(wasm_i16x8_mul(wasm_v128_and(hi, m), three), 8);
  return wasm_u8x16_narrow_i16x8(dlo, dhi);
}

// Ternary codes 0..2 -> -1..1.
inline v128_t ternary(v128_t codes) { return wasm_i8x16_sub(codes, wasm_i8x16_splat(1)); }

// Traits of the signed grid formats (see unpack_k.h): no mins; kShift and kPairs per format.
template <int Shift, bool Pairs>
struct GridTraits {
  static constexpr int kShift = Shift;
  static constexpr bool kMin = false, kUnsigned = false, kSplit = false, kPairs = Pairs;
};

// Elements 32ib + 8l + j; groups 2ib (l = 0, 1) and 2ib + 1 (l = 2, 3).
struct IQ2XXS : GridTraits<6, false> {
  static constexpr int kW = sizeof(quant::BlockIQ2_XXS);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ2_XXS*>(p);
    const auto* q = reinterpret_cast<const uint8_t*>(x.qs);
    for (int ib = 0; ib < 8; ++ib, q += 8) {
      const uint32_t aux = load_u32(q + 4);
      const int sc = 2 * static_cast<int>(aux >> 28) + 1;
      for (int h = 0; h < 2; ++h) {
        const v128_t v = grid8x2(quant::kIq2xxsGrid, q[2 * h], q[2 * h + 1]);
        const v128_t m = sign_mask(quant::iq_signs8(aux >> (14 * h)), quant::iq_signs8(aux >> (14 * h + 7)));
        s.group(2 * ib + h, apply_signs(v, m), sc);
      }
    }
    s.scale(f16_table()[x.d] * 0.125f, 0.0f);
  }
};

struct IQ2XS : GridTraits<6, false> {
  static constexpr int kW = sizeof(quant::BlockIQ2_XS);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ2_XS*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      for (int h = 0; h < 2; ++h) {
        const uint32_t q0 = x.qs[4 * ib + 2 * h], q1 = x.qs[4 * ib + 2 * h + 1];
        const v128_t v = grid8x2(quant::kIq2xsGrid, q0 & 511, q1 & 511);
        const v128_t m = sign_mask(quant::iq_signs8(q0 >> 9), quant::iq_signs8(q1 >> 9));
        s.group(2 * ib + h, apply_signs(v, m), 2 * ((x.scales[ib] >> (4 * h)) & 15) + 1);
      }
    }
    s.scale(f16_table()[x.d] * 0.125f, 0.0f);
  }
};

struct IQ2S : GridTraits<6, false> {
  static constexpr int kW = sizeof(quant::BlockIQ2_S);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ2_S*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      const uint32_t qh = x.qh[ib];
      for (int h = 0; h < 2; ++h) {
        const int l = 2 * h;
        const v128_t v = grid8x2(quant::kIq2sGrid, x.qs[4 * ib + l] | (((qh >> (2 * l)) & 3) << 8),
                                 x.qs[4 * ib + l + 1] | (((qh >> (2 * l + 2)) & 3) << 8));
        const v128_t m = sign_mask(x.qs[32 + 4 * ib + l], x.qs[32 + 4 * ib + l + 1]);
        s.group(2 * ib + h, apply_signs(v, m), 2 * ((x.scales[ib] >> (4 * h)) & 15) + 1);
      }
    }
    s.scale(f16_table()[x.d] * 0.125f, 0.0f);
  }
};

struct IQ3XXS : GridTraits<6, false> {
  static constexpr int kW = sizeof(quant::BlockIQ3_XXS);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ3_XXS*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t* q = x.qs + 8 * ib;
      const uint32_t aux = load_u32(x.qs + 64 + 4 * ib);
      const int sc = 2 * static_cast<int>(aux >> 28) + 1;
      for (int h = 0; h < 2; ++h) {
        const uint8_t* k = q + 4 * h;
        const v128_t v = grid4x4(quant::kIq3xxsGrid, k[0], k[1], k[2], k[3]);
        const v128_t m = sign_mask(quant::iq_signs8(aux >> (14 * h)), quant::iq_signs8(aux >> (14 * h + 7)));
        s.group(2 * ib + h, apply_signs(v, m), sc);
      }
    }
    s.scale(f16_table()[x.d] * 0.25f, 0.0f);
  }
};

struct IQ3S : GridTraits<4, true> {
  static constexpr int kW = sizeof(quant::BlockIQ3_S);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ3_S*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      const uint8_t* q = x.qs + 8 * ib;
      const uint32_t qh = x.qh[ib];
      const int sc = 2 * ((x.scales[ib / 2] >> (4 * (ib % 2))) & 15) + 1;
      for (int h = 0; h < 2; ++h) {
        const int k = 4 * h;  // entries k..k+3, their 9th index bits at qh bits k..k+3
        const v128_t v =
            grid4x4(quant::kIq3sGrid, q[k] | (((qh >> k) & 1) << 8), q[k + 1] | (((qh >> (k + 1)) & 1) << 8),
                    q[k + 2] | (((qh >> (k + 2)) & 1) << 8), q[k + 3] | (((qh >> (k + 3)) & 1) << 8));
        const v128_t m = sign_mask(x.signs[4 * ib + 2 * h], x.signs[4 * ib + 2 * h + 1]);
        s.group(2 * ib + h, apply_signs(v, m), sc);
      }
    }
    s.scale(f16_table()[x.d], 0.0f);
  }
};

struct IQ1S : GridTraits<4, true> {
  static constexpr int kW = sizeof(quant::BlockIQ1_S);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ1_S*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      const uint32_t qh = x.qh[ib];
      const int sc = 2 * static_cast<int>((qh >> 12) & 7) + 1, delta = qh & 0x8000 ? -1 : 1;
      for (int h = 0; h < 2; ++h) {
        const int l = 2 * h;
        const v128_t g = grid8x2(quant::kIq1sGrid, x.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8),
                                 x.qs[4 * ib + l + 1] | (((qh >> (3 * l + 3)) & 7) << 8));
        s.group(2 * ib + h, iq1_values(g, delta, delta), sc);
      }
    }
    s.scale(f16_table()[x.d] * 0.125f, 0.0f);
  }
};

struct IQ1M : GridTraits<4, false> {
  static constexpr int kW = sizeof(quant::BlockIQ1_M);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockIQ1_M*>(p);
    for (int ib = 0; ib < 8; ++ib) {
      const uint32_t sc = (x.scales[2 * (ib / 2)] | (x.scales[2 * (ib / 2) + 1] << 8)) >> (6 * (ib % 2));
      for (int h = 0; h < 2; ++h) {
        const uint32_t qh = x.qh[2 * ib + h];  // low nibble: group 2h, high nibble: group 2h + 1
        const v128_t g = grid8x2(quant::kIq1sGrid, x.qs[4 * ib + 2 * h] | ((qh & 7) << 8),
                                 x.qs[4 * ib + 2 * h + 1] | (((qh >> 4) & 7) << 8));
        s.group(2 * ib + h, iq1_values(g, qh & 0x08 ? -1 : 1, qh & 0x80 ? -1 : 1),
                2 * static_cast<int>((sc >> (3 * h)) & 7) + 1);
      }
    }
    s.scale(f16_table()[quant::iq_block_d(GgmlType::IQ1_M, p)] * 0.125f, 0.0f);
  }
};

// Elements 32n + m from qs[m] (m < 32), 160 + 16n + m from qs[32 + m], 240 + 4n + j from qh[j].
struct TQ1 : GridTraits<0, true> {
  static constexpr int kW = sizeof(quant::BlockTQ1_0);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockTQ1_0*>(p);
    constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
    const v128_t a0 = wasm_v128_load(x.qs), a1 = wasm_v128_load(x.qs + 16), a2 = wasm_v128_load(x.qs + 32);
    for (int n = 0; n < 5; ++n) {
      const v128_t pw = wasm_i16x8_splat(kPow3[n]);
      s.group(2 * n, ternary(tq1_digits(a0, pw, pw)), 1);
      s.group(2 * n + 1, ternary(tq1_digits(a1, pw, pw)), 1);
      s.group(10 + n, ternary(tq1_digits(a2, pw, pw)), 1);
    }
    uint32_t qh;
    std::memcpy(&qh, x.qh, 4);
    const v128_t b = wasm_i32x4_splat(static_cast<int32_t>(qh));  // lane 4n + j: qh[j]
    s.group(
        15,
        ternary(tq1_digits(b, wasm_i16x8_make(1, 1, 1, 1, 3, 3, 3, 3), wasm_i16x8_make(9, 9, 9, 9, 27, 27, 27, 27))),
        1);
    s.scale(f16_table()[x.d], 0.0f);
  }
};

// Element 128h + 32l + m: bits 2l of qs[32h + m].
struct TQ2 : GridTraits<0, true> {
  static constexpr int kW = sizeof(quant::BlockTQ2_0);
  template <class S>
  [[gnu::always_inline]] static void walk(const uint8_t* p, S& s) {
    const auto& x = *reinterpret_cast<const quant::BlockTQ2_0*>(p);
    const v128_t three = wasm_i8x16_splat(3);
    for (int h = 0; h < 2; ++h) {
      for (int k = 0; k < 2; ++k) {
        const v128_t v = wasm_v128_load(x.qs + 32 * h + 16 * k);
        for (int l = 0; l < 4; ++l)
          s.group(8 * h + 2 * l + k, ternary(wasm_v128_and(wasm_u8x16_shr(v, 2 * l), three)), 1);
      }
    }
    s.scale(f16_table()[x.d], 0.0f);
  }
};

}  // namespace chord::kernels::simd128::fmt
