// SIMD128 dot products of the K-quants (Q2_K..Q6_K) with Q8_K activations, for 1..4 activation
// rows at once. Each 256-element super-block is unpacked once into int16 weights already
// multiplied by their sub-block scale (|q * scale| <= 32 * 127 fits int16), then every activation
// row takes 32 i32x4.dot_i16x8 against it; the min term (Q2_K/Q4_K/Q5_K) is the int16 dot of the
// per-16 mins with the activation's bsums.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/rows.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128 {

namespace {

using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_K;

// One super-block, unpacked.
struct Unpacked {
  alignas(16) int16_t w[256];    // q * sub-block scale, element order
  alignas(16) int16_t mins[16];  // per-16 min multiplier (0 for types without mins)
  float d = 0, dmin = 0;
};

// Writes the 16 int8 values of v times scale as 16 int16 at w.
inline void store_scaled_s(v128_t v, int scale, int16_t* w) {
  const v128_t s = wasm_i16x8_splat(static_cast<int16_t>(scale));
  wasm_v128_store(w, wasm_i16x8_mul(wasm_i16x8_extend_low_i8x16(v), s));
  wasm_v128_store(w + 8, wasm_i16x8_mul(wasm_i16x8_extend_high_i8x16(v), s));
}
inline void store_scaled_u(v128_t v, int scale, int16_t* w) {
  const v128_t s = wasm_i16x8_splat(static_cast<int16_t>(scale));
  wasm_v128_store(w, wasm_i16x8_mul(wasm_u16x8_extend_low_u8x16(v), s));
  wasm_v128_store(w + 8, wasm_i16x8_mul(wasm_u16x8_extend_high_u8x16(v), s));
}

// 0xFF in byte l where (v[l] & bit) != 0.
inline v128_t bit_set(v128_t v, int bit) {
  const v128_t b = wasm_i8x16_splat(static_cast<int8_t>(1 << bit));
  return wasm_i8x16_eq(wasm_v128_and(v, b), b);
}

// Element 128h + 32k + l = bits 2k of qs[32h + l]; group 8h + 2k + l / 16.
void unpack_q2_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ2_K*>(p);
  const v128_t three = wasm_i8x16_splat(3);
  for (int h = 0; h < 2; ++h) {
    const v128_t q0 = wasm_v128_load(x.qs + 32 * h), q1 = wasm_v128_load(x.qs + 32 * h + 16);
    for (int k = 0; k < 4; ++k) {
      const int g = 8 * h + 2 * k;
      store_scaled_u(wasm_v128_and(wasm_u8x16_shr(q0, 2 * k), three), x.scales[g] & 0xF, u->w + 16 * g);
      store_scaled_u(wasm_v128_and(wasm_u8x16_shr(q1, 2 * k), three), x.scales[g + 1] & 0xF, u->w + 16 * g + 16);
    }
  }
  const v128_t sc = wasm_v128_load(x.scales);
  const v128_t m = wasm_u8x16_shr(sc, 4);
  wasm_v128_store(u->mins, wasm_u16x8_extend_low_u8x16(m));
  wasm_v128_store(u->mins + 8, wasm_u16x8_extend_high_u8x16(m));
  u->d = f16_table()[x.d];
  u->dmin = f16_table()[x.dmin];
}

// Element 128h + 32k + l: bits 2k of qs[32h + l], minus 4 unless bit 4h + k of hmask[l] is set.
void unpack_q3_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ3_K*>(p);
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
      const v128_t v0 = wasm_i8x16_sub(lo0, wasm_v128_andnot(four, bit_set(hm0, 4 * h + k)));
      const v128_t v1 = wasm_i8x16_sub(lo1, wasm_v128_andnot(four, bit_set(hm1, 4 * h + k)));
      store_scaled_s(v0, sc[g], u->w + 16 * g);
      store_scaled_s(v1, sc[g + 1], u->w + 16 * g + 16);
    }
  }
  u->d = f16_table()[x.d];
}

// Q4_K / Q5_K: element 64c + l (l < 32) is the low nibble of qs[32c + l], 64c + 32 + l the high
// one, with scales sc[2c] / sc[2c + 1]; Q5_K adds 16 where bit 2c / 2c + 1 of qh[l] is set.
void unpack_k4(const uint8_t* scales, const uint8_t* qs, const uint8_t* qh, uint16_t d, uint16_t dmin, Unpacked* u) {
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) quant::scale_min_k4(j, scales, &sc[j], &m[j]);
  const v128_t nib = wasm_i8x16_splat(0x0F), b4 = wasm_i8x16_splat(0x10);
  v128_t h0 = wasm_i8x16_splat(0), h1 = h0;
  if (qh) h0 = wasm_v128_load(qh), h1 = wasm_v128_load(qh + 16);
  for (int c = 0; c < 4; ++c) {
    const v128_t v0 = wasm_v128_load(qs + 32 * c), v1 = wasm_v128_load(qs + 32 * c + 16);
    v128_t l0 = wasm_v128_and(v0, nib), l1 = wasm_v128_and(v1, nib);
    v128_t u0 = wasm_u8x16_shr(v0, 4), u1 = wasm_u8x16_shr(v1, 4);
    if (qh) {
      l0 = wasm_v128_or(l0, wasm_v128_and(bit_set(h0, 2 * c), b4));
      l1 = wasm_v128_or(l1, wasm_v128_and(bit_set(h1, 2 * c), b4));
      u0 = wasm_v128_or(u0, wasm_v128_and(bit_set(h0, 2 * c + 1), b4));
      u1 = wasm_v128_or(u1, wasm_v128_and(bit_set(h1, 2 * c + 1), b4));
    }
    int16_t* w = u->w + 64 * c;
    store_scaled_u(l0, sc[2 * c], w);
    store_scaled_u(l1, sc[2 * c], w + 16);
    store_scaled_u(u0, sc[2 * c + 1], w + 32);
    store_scaled_u(u1, sc[2 * c + 1], w + 48);
  }
  for (int g = 0; g < 16; ++g) u->mins[g] = m[g / 2];
  u->d = f16_table()[d];
  u->dmin = f16_table()[dmin];
}

void unpack_q4_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ4_K*>(p);
  unpack_k4(x.scales, x.qs, nullptr, x.d, x.dmin, u);
}

void unpack_q5_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ5_K*>(p);
  unpack_k4(x.scales, x.qs, x.qh, x.d, x.dmin, u);
}

// Element 128h + 32k + l: 4 bits from ql[64h + 32(k & 1) + l] (low nibble for k < 2), 2 bits
// from qh[32h + l] at bit 2k, minus 32.
void unpack_q6_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ6_K*>(p);
  const v128_t nib = wasm_i8x16_splat(0x0F), m3 = wasm_i8x16_splat(0x30), off = wasm_i8x16_splat(32);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = x.ql + 64 * h;
    const v128_t qh0 = wasm_v128_load(x.qh + 32 * h), qh1 = wasm_v128_load(x.qh + 32 * h + 16);
    for (int k = 0; k < 4; ++k) {
      const v128_t a0 = wasm_v128_load(ql + 32 * (k & 1)), a1 = wasm_v128_load(ql + 32 * (k & 1) + 16);
      const v128_t lo0 = k < 2 ? wasm_v128_and(a0, nib) : wasm_u8x16_shr(a0, 4);
      const v128_t lo1 = k < 2 ? wasm_v128_and(a1, nib) : wasm_u8x16_shr(a1, 4);
      // Bits 2k..2k+1 of qh moved to bits 4..5.
      v128_t hi0, hi1;
      if (k < 2) {
        hi0 = wasm_i8x16_shl(qh0, 4 - 2 * k), hi1 = wasm_i8x16_shl(qh1, 4 - 2 * k);
      } else {
        hi0 = wasm_u8x16_shr(qh0, 2 * k - 4), hi1 = wasm_u8x16_shr(qh1, 2 * k - 4);
      }
      const v128_t v0 = wasm_i8x16_sub(wasm_v128_or(lo0, wasm_v128_and(hi0, m3)), off);
      const v128_t v1 = wasm_i8x16_sub(wasm_v128_or(lo1, wasm_v128_and(hi1, m3)), off);
      const int g = 8 * h + 2 * k;
      store_scaled_s(v0, x.scales[g], u->w + 16 * g);
      store_scaled_s(v1, x.scales[g + 1], u->w + 16 * g + 16);
    }
  }
  u->d = f16_table()[x.d];
}

// i32x4 partial sums of the 256 products of the unpacked weights with activation quants q.
inline v128_t dot256(const int16_t* w, const int8_t* q) {
  v128_t s0 = wasm_i32x4_splat(0), s1 = s0;
  for (int i = 0; i < 16; ++i) {
    const v128_t a = wasm_v128_load(q + 16 * i);
    s0 = wasm_i32x4_add(s0, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 16 * i), wasm_i16x8_extend_low_i8x16(a)));
    s1 = wasm_i32x4_add(s1, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 16 * i + 8), wasm_i16x8_extend_high_i8x16(a)));
  }
  return wasm_i32x4_add(s0, s1);
}

// i32x4 partial sums of mins . bsums.
inline v128_t dot_mins(const int16_t* mins, const int16_t* bsums) {
  return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(mins), wasm_v128_load(bsums)),
                        wasm_i32x4_dot_i16x8(wasm_v128_load(mins + 8), wasm_v128_load(bsums + 8)));
}

template <void (*Unpack)(const uint8_t*, Unpacked*), int WBytes, bool Min, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f32x4_splat(0.0f);
  Unpacked u;
  for (int64_t b = 0; b < n / 256; ++b) {
    Unpack(w + b * WBytes, &u);
    for (int t = 0; t < NT; ++t) {
      const auto* y = reinterpret_cast<const BlockQ8_K*>(a + t * a_stride) + b;
      const v128_t isum = dot256(u.w, y->qs);
      v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(isum), wasm_f32x4_splat(u.d * y->d));
      if constexpr (Min) {
        const v128_t ms = dot_mins(u.mins, y->bsums);
        term = wasm_f32x4_sub(term, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(ms), wasm_f32x4_splat(u.dmin * y->d)));
      }
      acc[t] = wasm_f32x4_add(acc[t], term);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum_f32(acc[t]);
}

template <void (*Unpack)(const uint8_t*, Unpacked*), int WBytes, bool Min>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  const auto* ap = static_cast<const uint8_t*>(a);
  for (; n_act >= 4; n_act -= 4, ap += 4 * a_stride, out += 4) dot_nt<Unpack, WBytes, Min, 4>(n, wp, ap, a_stride, out);
  switch (n_act) {
    case 3: dot_nt<Unpack, WBytes, Min, 3>(n, wp, ap, a_stride, out); break;
    case 2: dot_nt<Unpack, WBytes, Min, 2>(n, wp, ap, a_stride, out); break;
    case 1: dot_nt<Unpack, WBytes, Min, 1>(n, wp, ap, a_stride, out); break;
    default: break;
  }
}

template <void (*Unpack)(const uint8_t*, Unpacked*)>
int32_t block_int(const void* w_block, const void* a_block, int32_t* min_sum) {
  Unpacked u;
  Unpack(static_cast<const uint8_t*>(w_block), &u);
  const auto* y = static_cast<const BlockQ8_K*>(a_block);
  if (min_sum) *min_sum = hsum_i32(dot_mins(u.mins, y->bsums));
  return hsum_i32(dot256(u.w, y->qs));
}

}  // namespace

#define CHORD_KQ(name, unpack, Block, Min)                                                                   \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                                  \
    float r;                                                                                                 \
    dot_nt<unpack, sizeof(Block), Min, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), \
                                          0, &r);                                                           \
    return r;                                                                                                \
  }                                                                                                          \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,           \
                            float* out) noexcept {                                                           \
    dot_multi<unpack, sizeof(Block), Min>(n, w, a, a_stride, n_act, out);                                    \
  }
CHORD_KQ(q2_K_q8_K, unpack_q2_k, BlockQ2_K, true)
CHORD_KQ(q3_K_q8_K, unpack_q3_k, BlockQ3_K, false)
CHORD_KQ(q4_K_q8_K, unpack_q4_k, BlockQ4_K, true)
CHORD_KQ(q5_K_q8_K, unpack_q5_k, BlockQ5_K, true)
CHORD_KQ(q6_K_q8_K, unpack_q6_k, BlockQ6_K, false)
#undef CHORD_KQ

int32_t block_dot_q2_K_q8_K(const void* w, const void* a, int32_t* min_sum) noexcept {
  return block_int<unpack_q2_k>(w, a, min_sum);
}
int32_t block_dot_q3_K_q8_K(const void* w, const void* a) noexcept { return block_int<unpack_q3_k>(w, a, nullptr); }
int32_t block_dot_q4_K_q8_K(const void* w, const void* a, int32_t* min_sum) noexcept {
  return block_int<unpack_q4_k>(w, a, min_sum);
}
int32_t block_dot_q5_K_q8_K(const void* w, const void* a, int32_t* min_sum) noexcept {
  return block_int<unpack_q5_k>(w, a, min_sum);
}
int32_t block_dot_q6_K_q8_K(const void* w, const void* a) noexcept { return block_int<unpack_q6_k>(w, a, nullptr); }

}  // namespace chord::kernels::simd128
