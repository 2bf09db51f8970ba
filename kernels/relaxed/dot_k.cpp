// Relaxed-SIMD dot products of the K-quants (Q2_K..Q6_K) and IQ4_XS with raw Q8_K activations, 1..4
// activation rows per weight row. A super-block is unpacked once into 256 weights of 0..127 in
// element order (offset formats as unsigned quants: Q3_K's q + 4, Q6_K's q + 32; IQ4_XS as low 7
// bits plus sign bits) and int16 scales per 16-element group; every activation row then takes per
// group one i16x8 relaxed dot (pair sums <= 32512), weighted by the group scale with
// i32x4.dot_i16x8. The offsets come back through the Q8_K group sums (bsums), as do the mins.
// Integer sums are exact and the float scaling is kernels/simd128/dot_k.cpp's.
#include "core/quant/blocks.h"
#include "core/quant/rows.h"
#include "kernels/relaxed/relaxed.h"
#include "kernels/relaxed/relaxed_util.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::relaxed {

namespace {

using quant::BlockIQ4_XS;
using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_K;
using simd128::bit_set;
using simd128::f16_table;
using simd128::hsum_i32;

// One super-block, unpacked.
struct Unpacked {
  alignas(16) uint8_t q[256];    // weights 0..127, element order
  alignas(16) uint8_t top[256];  // IQ4_XS: 1 where the codebook value is negative (value = q - 128 top)
  alignas(16) int16_t sc[16];    // per-16 group scale
  alignas(16) int16_t mins[16];  // per-16 min multiplier (Q2_K/Q4_K/Q5_K)
  float d = 0, dmin = 0;
};

// Per format: bytes, the unpacking, the offset subtracted from every stored quant as a shift of the
// group sums (-1: none), mins, sign bits, and whether groups 2j, 2j + 1 share a scale (and their
// pair sums may be added in int16: weights <= 31).
template <void (*Unpack)(const uint8_t*, Unpacked*), int WBytes, int Shift, bool Min, bool Signed, bool Pairs>
struct Fmt {
  static void unpack(const uint8_t* p, Unpacked* u) { Unpack(p, u); }
  static constexpr int kW = WBytes, kShift = Shift;
  static constexpr bool kMin = Min, kSigned = Signed, kPairs = Pairs;
};

inline void store_sc(int16_t* dst, const int8_t* sc16) {
  const v128_t v = wasm_v128_load(sc16);
  wasm_v128_store(dst, wasm_i16x8_extend_low_i8x16(v));
  wasm_v128_store(dst + 8, wasm_i16x8_extend_high_i8x16(v));
}

// Element 128h + 32k + l = bits 2k of qs[32h + l]; group 8h + 2k + l / 16; scale & 15, min >> 4.
void unpack_q2_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ2_K*>(p);
  const v128_t three = wasm_i8x16_splat(3);
  for (int h = 0; h < 2; ++h) {
    const v128_t q0 = wasm_v128_load(x.qs + 32 * h), q1 = wasm_v128_load(x.qs + 32 * h + 16);
    for (int k = 0; k < 4; ++k) {
      wasm_v128_store(u->q + 128 * h + 32 * k, wasm_v128_and(wasm_u8x16_shr(q0, 2 * k), three));
      wasm_v128_store(u->q + 128 * h + 32 * k + 16, wasm_v128_and(wasm_u8x16_shr(q1, 2 * k), three));
    }
  }
  const v128_t s = wasm_v128_load(x.scales);
  const v128_t lo = wasm_v128_and(s, wasm_i8x16_splat(0x0F)), m = wasm_u8x16_shr(s, 4);
  wasm_v128_store(u->sc, wasm_u16x8_extend_low_u8x16(lo));
  wasm_v128_store(u->sc + 8, wasm_u16x8_extend_high_u8x16(lo));
  wasm_v128_store(u->mins, wasm_u16x8_extend_low_u8x16(m));
  wasm_v128_store(u->mins + 8, wasm_u16x8_extend_high_u8x16(m));
  u->d = f16_table()[x.d];
  u->dmin = f16_table()[x.dmin];
}

// As Q2_K's layout; stored q + 4 = bits 2k of qs | 4 where bit 4h + k of hmask[l] is set (0..7).
void unpack_q3_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ3_K*>(p);
  alignas(16) int8_t sc[16];
  quant::unpack_q3_k_scales(x.scales, sc);
  store_sc(u->sc, sc);
  const v128_t three = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4);
  const v128_t hm0 = wasm_v128_load(x.hmask), hm1 = wasm_v128_load(x.hmask + 16);
  for (int h = 0; h < 2; ++h) {
    const v128_t q0 = wasm_v128_load(x.qs + 32 * h), q1 = wasm_v128_load(x.qs + 32 * h + 16);
    for (int k = 0; k < 4; ++k) {
      const v128_t lo0 = wasm_v128_and(wasm_u8x16_shr(q0, 2 * k), three);
      const v128_t lo1 = wasm_v128_and(wasm_u8x16_shr(q1, 2 * k), three);
      wasm_v128_store(u->q + 128 * h + 32 * k, wasm_v128_or(lo0, wasm_v128_and(bit_set(hm0, 4 * h + k), four)));
      wasm_v128_store(u->q + 128 * h + 32 * k + 16, wasm_v128_or(lo1, wasm_v128_and(bit_set(hm1, 4 * h + k), four)));
    }
  }
  u->d = f16_table()[x.d];
}

// Q4_K / Q5_K: element 64c + l (l < 32) is the low nibble of qs[32c + l], 64c + 32 + l the high
// one; Q5_K adds 16 where bit 2c / 2c + 1 of qh[l] is set. Sub-block scales/mins per 32.
void unpack_k4(const uint8_t* blk, const uint8_t* qs, const uint8_t* qh, Unpacked* u) {
  alignas(16) int16_t sc8[8];
  v128_t mins_lo, mins_hi;
  simd128::scales_mins_k4(blk + 4, sc8, &mins_lo, &mins_hi);
  const v128_t s = wasm_v128_load(sc8);
  wasm_v128_store(u->sc, wasm_i16x8_shuffle(s, s, 0, 0, 1, 1, 2, 2, 3, 3));
  wasm_v128_store(u->sc + 8, wasm_i16x8_shuffle(s, s, 4, 4, 5, 5, 6, 6, 7, 7));
  wasm_v128_store(u->mins, mins_lo);
  wasm_v128_store(u->mins + 8, mins_hi);
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
    uint8_t* q = u->q + 64 * c;
    wasm_v128_store(q, l0);
    wasm_v128_store(q + 16, l1);
    wasm_v128_store(q + 32, u0);
    wasm_v128_store(q + 48, u1);
  }
  u->d = f16_table()[simd128::load_u16(blk)];
  u->dmin = f16_table()[simd128::load_u16(blk + 2)];
}
void unpack_q4_k(const uint8_t* p, Unpacked* u) { unpack_k4(p, p + 16, nullptr, u); }
void unpack_q5_k(const uint8_t* p, Unpacked* u) { unpack_k4(p, p + 48, p + 16, u); }

// Element 128h + 32k + l: 4 bits from ql[64h + 32(k & 1) + l] (low nibble for k < 2), 2 bits from
// qh[32h + l] at bit 2k; stored q + 32 (0..63). Group 8h + 2k + l / 16, int8 scales.
void unpack_q6_k(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockQ6_K*>(p);
  store_sc(u->sc, x.scales);
  const v128_t nib = wasm_i8x16_splat(0x0F), m3 = wasm_i8x16_splat(0x30);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = x.ql + 64 * h;
    const v128_t qh0 = wasm_v128_load(x.qh + 32 * h), qh1 = wasm_v128_load(x.qh + 32 * h + 16);
    for (int k = 0; k < 4; ++k) {
      const v128_t a0 = wasm_v128_load(ql + 32 * (k & 1)), a1 = wasm_v128_load(ql + 32 * (k & 1) + 16);
      const v128_t lo0 = k < 2 ? wasm_v128_and(a0, nib) : wasm_u8x16_shr(a0, 4);
      const v128_t lo1 = k < 2 ? wasm_v128_and(a1, nib) : wasm_u8x16_shr(a1, 4);
      const v128_t hi0 = k < 2 ? wasm_i8x16_shl(qh0, 4 - 2 * k) : wasm_u8x16_shr(qh0, 2 * k - 4);
      const v128_t hi1 = k < 2 ? wasm_i8x16_shl(qh1, 4 - 2 * k) : wasm_u8x16_shr(qh1, 2 * k - 4);
      wasm_v128_store(u->q + 128 * h + 32 * k, wasm_v128_or(lo0, wasm_v128_and(hi0, m3)));
      wasm_v128_store(u->q + 128 * h + 32 * k + 16, wasm_v128_or(lo1, wasm_v128_and(hi1, m3)));
    }
  }
  u->d = f16_table()[x.d];
}

// Element 32j + l (l < 16): codebook value of the low nibble of qs[16j + l]; 32j + 16 + l: the high
// nibble; sub-block scale ls_j - 32.
void unpack_iq4_xs(const uint8_t* p, Unpacked* u) {
  const auto& x = *reinterpret_cast<const BlockIQ4_XS*>(p);
  const v128_t book = wasm_v128_load(quant::kIq4nlValues), nib = wasm_i8x16_splat(0x0F);
  const v128_t b7 = low7(book), bt = top1(book);
  for (int j = 0; j < 8; ++j) {
    const v128_t v = wasm_v128_load(x.qs + 16 * j);
    const v128_t lo = wasm_v128_and(v, nib), hi = wasm_u8x16_shr(v, 4);
    wasm_v128_store(u->q + 32 * j, wasm_i8x16_swizzle(b7, lo));
    wasm_v128_store(u->q + 32 * j + 16, wasm_i8x16_swizzle(b7, hi));
    wasm_v128_store(u->top + 32 * j, wasm_i8x16_swizzle(bt, lo));
    wasm_v128_store(u->top + 32 * j + 16, wasm_i8x16_swizzle(bt, hi));
    u->sc[2 * j] = u->sc[2 * j + 1] = static_cast<int16_t>(quant::iq4_xs_scale(x, j) - 32);
  }
  u->d = f16_table()[x.d];
}

// i32x4 partial sums of sum_g sc_g sum_{i in g} w_i q_i over the super-block (q: 256 quants).
template <class F>
inline v128_t block_partial(const Unpacked& u, const BlockQ8_K& y) {
  v128_t s = wasm_i32x4_splat(0);
  for (int g = 0; g < 16; g += 2) {
    const v128_t a0 = wasm_v128_load(y.qs + 16 * g), a1 = wasm_v128_load(y.qs + 16 * g + 16);
    const v128_t p0 = dot16(a0, wasm_v128_load(u.q + 16 * g)), p1 = dot16(a1, wasm_v128_load(u.q + 16 * g + 16));
    if constexpr (F::kPairs) {
      s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_add(p0, p1), wasm_v128_load16_splat(u.sc + g)));
    } else {
      s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(p0, wasm_v128_load16_splat(u.sc + g)));
      s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(p1, wasm_v128_load16_splat(u.sc + g + 1)));
    }
    if constexpr (F::kSigned) {  // sign bits: pair sums <= 256, two groups add in int16
      const v128_t t =
          wasm_i16x8_add(dot16(a0, wasm_v128_load(u.top + 16 * g)), dot16(a1, wasm_v128_load(u.top + 16 * g + 16)));
      s = wasm_i32x4_sub(s, wasm_i32x4_shl(wasm_i32x4_dot_i16x8(t, wasm_v128_load16_splat(u.sc + g)), 7));
    }
  }
  if constexpr (F::kShift >= 0) {  // stored q = quant + offset: subtract offset * sum_g sc_g bsum_g
    const v128_t o = wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(u.sc), wasm_v128_load(y.bsums)),
                                    wasm_i32x4_dot_i16x8(wasm_v128_load(u.sc + 8), wasm_v128_load(y.bsums + 8)));
    s = wasm_i32x4_sub(s, wasm_i32x4_shl(o, F::kShift));
  }
  return s;
}

inline int32_t min_sum(const Unpacked& u, const BlockQ8_K& y) {
  return hsum_i32(wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(u.mins), wasm_v128_load(y.bsums)),
                                 wasm_i32x4_dot_i16x8(wasm_v128_load(u.mins + 8), wasm_v128_load(y.bsums + 8))));
}

template <class F, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 256;
  float acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = 0.0f;
  Unpacked u;
  for (int64_t b = 0; b < nb; ++b) {
    F::unpack(w + b * F::kW, &u);
    for (int t = 0; t < NT; ++t) {
      const auto& y = reinterpret_cast<const BlockQ8_K*>(a + t * a_stride)[b];
      float term = static_cast<float>(hsum_i32(block_partial<F>(u, y))) * (u.d * y.d);
      if constexpr (F::kMin) term -= static_cast<float>(min_sum(u, y)) * (u.dmin * y.d);
      acc[t] += term;
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

template <class F>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  simd128::for_row_tiles(a, a_stride, n_act, out,
                         [&]<int NT>(const uint8_t* ap, float* o) { dot_nt<F, NT>(n, wp, ap, a_stride, o); });
}

template <class F>
int32_t block_int(const void* w_block, const void* a_block, int32_t* mins) {
  Unpacked u;
  F::unpack(static_cast<const uint8_t*>(w_block), &u);
  const auto& y = *static_cast<const BlockQ8_K*>(a_block);
  if (mins) *mins = F::kMin ? min_sum(u, y) : 0;
  return hsum_i32(block_partial<F>(u, y));
}

using Q2K = Fmt<unpack_q2_k, sizeof(BlockQ2_K), -1, true, false, false>;
using Q3K = Fmt<unpack_q3_k, sizeof(BlockQ3_K), 2, false, false, false>;
using Q4K = Fmt<unpack_q4_k, sizeof(BlockQ4_K), -1, true, false, true>;
using Q5K = Fmt<unpack_q5_k, sizeof(BlockQ5_K), -1, true, false, true>;
using Q6K = Fmt<unpack_q6_k, sizeof(BlockQ6_K), 5, false, false, false>;
using IQ4XS = Fmt<unpack_iq4_xs, sizeof(BlockIQ4_XS), -1, false, true, false>;

}  // namespace

#define CHORD_KQ(name, F)                                                                          \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                         \
    float r;                                                                                       \
    dot_nt<F, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &r);        \
    return r;                                                                                      \
  }                                                                                                \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, \
                            float* out) noexcept {                                                 \
    dot_multi<F>(n, w, a, a_stride, n_act, out);                                                   \
  }
CHORD_KQ(q2_K_q8_K, Q2K)
CHORD_KQ(q3_K_q8_K, Q3K)
CHORD_KQ(q4_K_q8_K, Q4K)
CHORD_KQ(q5_K_q8_K, Q5K)
CHORD_KQ(q6_K_q8_K, Q6K)
CHORD_KQ(iq4_xs_q8_K, IQ4XS)
#undef CHORD_KQ

int32_t block_dot_q2_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q2K>(w, a, m); }
int32_t block_dot_q3_K_q8_K(const void* w, const void* a) noexcept { return block_int<Q3K>(w, a, nullptr); }
int32_t block_dot_q4_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q4K>(w, a, m); }
int32_t block_dot_q5_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q5K>(w, a, m); }
int32_t block_dot_q6_K_q8_K(const void* w, const void* a) noexcept { return block_int<Q6K>(w, a, nullptr); }
int32_t block_dot_iq4_xs_q8_K(const void* w, const void* a) noexcept { return block_int<IQ4XS>(w, a, nullptr); }

}  // namespace chord::kernels::relaxed
