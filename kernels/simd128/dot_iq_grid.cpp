// SIMD128 dot products of the grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M)
// and the ternary TQ1_0 / TQ2_0 with Q8_K, on the super-block framework of superblock.h (multi-row and packed
// activations). Per 16 elements the grid entries are gathered into one vector (two 8-byte or four 4-byte entries),
// signs applied as (v ^ m) - m with m the sign bits spread to byte masks, then scaled to int16.
// IQ1 weights are unpacked as 8 q + delta (|15 * 9| fits int16) with d / 8 as the block scale, so
// the shift term rides in the same integer sum: exactly the reference's d * (sum + delta_sum / 8).
#include "core/quant/fp16.h"
#include "core/quant/iq_grids.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/superblock.h"

namespace chord::kernels::simd128 {

namespace {

using namespace superblock;
using quant::BlockIQ1_M;
using quant::BlockIQ1_S;
using quant::BlockIQ2_S;
using quant::BlockIQ2_XS;
using quant::BlockIQ2_XXS;
using quant::BlockIQ3_S;
using quant::BlockIQ3_XXS;
using quant::iq_signs8;

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

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

// Elements 32ib + 8l + j; groups 2h, 2h + 1 form the 16 elements stored at w + 32ib + 16h.
void unpack_iq2_xxs(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ2_XXS*>(p);
  const auto* q = reinterpret_cast<const uint8_t*>(x.qs);
  for (int ib = 0; ib < 8; ++ib, q += 8) {
    const uint32_t aux = load_u32(q + 4);
    const int s = 2 * static_cast<int>(aux >> 28) + 1;
    for (int h = 0; h < 2; ++h) {
      const v128_t v = grid8x2(quant::kIq2xxsGrid, q[2 * h], q[2 * h + 1]);
      const v128_t m = sign_mask(iq_signs8(aux >> (14 * h)), iq_signs8(aux >> (14 * h + 7)));
      store_scaled_s(apply_signs(v, m), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d] * 0.125f;
}

void unpack_iq2_xs(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ2_XS*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    for (int h = 0; h < 2; ++h) {
      const uint32_t q0 = x.qs[4 * ib + 2 * h], q1 = x.qs[4 * ib + 2 * h + 1];
      const v128_t v = grid8x2(quant::kIq2xsGrid, q0 & 511, q1 & 511);
      const int s = 2 * ((x.scales[ib] >> (4 * h)) & 15) + 1;
      store_scaled_s(apply_signs(v, sign_mask(iq_signs8(q0 >> 9), iq_signs8(q1 >> 9))), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d] * 0.125f;
}

void unpack_iq2_s(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ2_S*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    const uint32_t qh = x.qh[ib];
    for (int h = 0; h < 2; ++h) {
      const int l = 2 * h;
      const v128_t v = grid8x2(quant::kIq2sGrid, x.qs[4 * ib + l] | (((qh >> (2 * l)) & 3) << 8),
                               x.qs[4 * ib + l + 1] | (((qh >> (2 * l + 2)) & 3) << 8));
      const v128_t m = sign_mask(x.qs[32 + 4 * ib + l], x.qs[32 + 4 * ib + l + 1]);
      store_scaled_s(apply_signs(v, m), 2 * ((x.scales[ib] >> (4 * h)) & 15) + 1, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d] * 0.125f;
}

void unpack_iq3_xxs(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ3_XXS*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    const uint8_t* q = x.qs + 8 * ib;
    const uint32_t aux = load_u32(x.qs + 64 + 4 * ib);
    const int s = 2 * static_cast<int>(aux >> 28) + 1;
    for (int h = 0; h < 2; ++h) {
      const uint8_t* k = q + 4 * h;
      const v128_t v = grid4x4(quant::kIq3xxsGrid, k[0], k[1], k[2], k[3]);
      const v128_t m = sign_mask(iq_signs8(aux >> (14 * h)), iq_signs8(aux >> (14 * h + 7)));
      store_scaled_s(apply_signs(v, m), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d] * 0.25f;
}

void unpack_iq3_s(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ3_S*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    const uint8_t* q = x.qs + 8 * ib;
    const uint32_t qh = x.qh[ib];
    const int s = 2 * ((x.scales[ib / 2] >> (4 * (ib % 2))) & 15) + 1;
    for (int h = 0; h < 2; ++h) {
      const int k = 4 * h;  // entries k..k+3, their 9th index bits at qh bits k..k+3
      const v128_t v = grid4x4(quant::kIq3sGrid, q[k] | (((qh >> k) & 1) << 8), q[k + 1] | (((qh >> (k + 1)) & 1) << 8),
                               q[k + 2] | (((qh >> (k + 2)) & 1) << 8), q[k + 3] | (((qh >> (k + 3)) & 1) << 8));
      const v128_t m = sign_mask(x.signs[4 * ib + 2 * h], x.signs[4 * ib + 2 * h + 1]);
      store_scaled_s(apply_signs(v, m), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d];
}

// 8 * grid + delta per byte: delta d0 on lanes 0..7, d1 on 8..15 (each +-1).
inline v128_t iq1_values(v128_t g, int d0, int d1) {
  return wasm_i8x16_add(wasm_i8x16_shl(g, 3), bytes8x2(static_cast<uint32_t>(d0), static_cast<uint32_t>(d1)));
}

void unpack_iq1_s(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ1_S*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    const uint32_t qh = x.qh[ib];
    const int s = 2 * static_cast<int>((qh >> 12) & 7) + 1, delta = qh & 0x8000 ? -1 : 1;
    for (int h = 0; h < 2; ++h) {
      const int l = 2 * h;
      const v128_t g = grid8x2(quant::kIq1sGrid, x.qs[4 * ib + l] | (((qh >> (3 * l)) & 7) << 8),
                               x.qs[4 * ib + l + 1] | (((qh >> (3 * l + 3)) & 7) << 8));
      store_scaled_s(iq1_values(g, delta, delta), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[x.d] * 0.125f;
}

void unpack_iq1_m(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ1_M*>(p);
  for (int ib = 0; ib < 8; ++ib) {
    const uint32_t sc = (x.scales[2 * (ib / 2)] | (x.scales[2 * (ib / 2) + 1] << 8)) >> (6 * (ib % 2));
    for (int h = 0; h < 2; ++h) {
      const uint32_t qh = x.qh[2 * ib + h];  // low nibble: group 2h, high nibble: group 2h + 1
      const v128_t g = grid8x2(quant::kIq1sGrid, x.qs[4 * ib + 2 * h] | ((qh & 7) << 8),
                               x.qs[4 * ib + 2 * h + 1] | (((qh >> 4) & 7) << 8));
      const int s = 2 * static_cast<int>((sc >> (3 * h)) & 7) + 1;
      store_scaled_s(iq1_values(g, qh & 0x08 ? -1 : 1, qh & 0x80 ? -1 : 1), s, u->w + 32 * ib + 16 * h);
    }
  }
  u->d = f16_table()[quant::iq_block_d(GgmlType::IQ1_M, p)] * 0.125f;
}

// Ternary: 16 codes in 0..2 (u8) -> -1..1, scale 1.
inline void store_ternary(v128_t codes, int16_t* w) {
  store_scaled_s(wasm_i8x16_sub(codes, wasm_i8x16_splat(1)), 1, w);
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

// Elements 32n + m from qs[m] (m < 32), 160 + 16n + m from qs[32 + m], 240 + 4n + j from qh[j].
void unpack_tq1_0(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const quant::BlockTQ1_0*>(p);
  constexpr int16_t kPow3[5] = {1, 3, 9, 27, 81};
  const v128_t a0 = wasm_v128_load(x.qs), a1 = wasm_v128_load(x.qs + 16), a2 = wasm_v128_load(x.qs + 32);
  for (int n = 0; n < 5; ++n) {
    const v128_t pw = wasm_i16x8_splat(kPow3[n]);
    store_ternary(tq1_digits(a0, pw, pw), u->w + 32 * n);
    store_ternary(tq1_digits(a1, pw, pw), u->w + 32 * n + 16);
    store_ternary(tq1_digits(a2, pw, pw), u->w + 160 + 16 * n);
  }
  uint32_t qh;
  std::memcpy(&qh, x.qh, 4);
  const v128_t b = wasm_i32x4_splat(static_cast<int32_t>(qh));  // lane 4n + j: qh[j]
  store_ternary(tq1_digits(b, wasm_i16x8_make(1, 1, 1, 1, 3, 3, 3, 3), wasm_i16x8_make(9, 9, 9, 9, 27, 27, 27, 27)),
                u->w + 240);
  u->d = f16_table()[x.d];
}

// Element 128h + 32l + m: bits 2l of qs[32h + m].
void unpack_tq2_0(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const quant::BlockTQ2_0*>(p);
  const v128_t three = wasm_i8x16_splat(3);
  for (int h = 0; h < 2; ++h) {
    for (int k = 0; k < 2; ++k) {
      const v128_t v = wasm_v128_load(x.qs + 32 * h + 16 * k);
      for (int l = 0; l < 4; ++l)
        store_ternary(wasm_v128_and(wasm_u8x16_shr(v, 2 * l), three), u->w + 128 * h + 32 * l + 16 * k);
    }
  }
  u->d = f16_table()[x.d];
}

}  // namespace

#define CHORD_IQG(name, unpack, Block)                                                                                 \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                                             \
    float r;                                                                                                           \
    dot_nt<unpack, sizeof(Block), false, false, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a),  \
                                                   0, &r);                                                             \
    return r;                                                                                                          \
  }                                                                                                                    \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,                     \
                            float* out) noexcept {                                                                     \
    dot_multi<unpack, sizeof(Block), false, false>(n, w, a, a_stride, n_act, out);                                     \
  }                                                                                                                    \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept { \
    dot_multi<unpack, sizeof(Block), false, true>(n, w, a, a_stride, n_act, out);                                      \
  }
CHORD_IQG(iq2_xxs_q8_K, unpack_iq2_xxs, BlockIQ2_XXS)
CHORD_IQG(iq2_xs_q8_K, unpack_iq2_xs, BlockIQ2_XS)
CHORD_IQG(iq2_s_q8_K, unpack_iq2_s, BlockIQ2_S)
CHORD_IQG(iq3_xxs_q8_K, unpack_iq3_xxs, BlockIQ3_XXS)
CHORD_IQG(iq3_s_q8_K, unpack_iq3_s, BlockIQ3_S)
CHORD_IQG(iq1_s_q8_K, unpack_iq1_s, BlockIQ1_S)
CHORD_IQG(iq1_m_q8_K, unpack_iq1_m, BlockIQ1_M)
CHORD_IQG(tq1_0_q8_K, unpack_tq1_0, quant::BlockTQ1_0)
CHORD_IQG(tq2_0_q8_K, unpack_tq2_0, quant::BlockTQ2_0)
#undef CHORD_IQG

int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w, const void* a) noexcept {
  switch (t) {
    case GgmlType::IQ2_XXS:
      return block_int<unpack_iq2_xxs>(w, a, nullptr);
    case GgmlType::IQ2_XS:
      return block_int<unpack_iq2_xs>(w, a, nullptr);
    case GgmlType::IQ2_S:
      return block_int<unpack_iq2_s>(w, a, nullptr);
    case GgmlType::IQ3_XXS:
      return block_int<unpack_iq3_xxs>(w, a, nullptr);
    case GgmlType::IQ3_S:
      return block_int<unpack_iq3_s>(w, a, nullptr);
    case GgmlType::IQ1_S:
      return block_int<unpack_iq1_s>(w, a, nullptr);
    case GgmlType::IQ1_M:
      return block_int<unpack_iq1_m>(w, a, nullptr);
    case GgmlType::TQ1_0:
      return block_int<unpack_tq1_0>(w, a, nullptr);
    case GgmlType::TQ2_0:
      return block_int<unpack_tq2_0>(w, a, nullptr);
    default:
      return 0;
  }
}

}  // namespace chord::kernels::simd128
