// Relaxed-SIMD dot products of the 32-element formats (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL) with
// Q8_0/Q8_1 activations, 1..4 activation rows per weight row, on the SIMD128 kernels' unpacking
// (simd128/unpack_legacy.h). Per block the activation bytes meet the unsigned weights directly (two
// i16x8 relaxed dots, 16 products each); the -8 / -16 offsets come from the activations' block
// sums (kept by pack(), or summed on the fly for raw rows) and signed weights (Q8_0, IQ4_NL
// codebook values) add a sign-bit dot scaled by -128. Four block sums are transposed into one i32x4
// and scaled by four (d_w * d_a) at once (as kernels/simd128); the last nb % 4 blocks are summed one
// by one after them. vec_dot, vec_dot_multi and dot_packed are one template, so they agree bit for
// bit.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "kernels/relaxed/relaxed.h"
#include "kernels/relaxed/relaxed_util.h"
#include "kernels/simd128/simd_util.h"
#include "kernels/simd128/unpack_legacy.h"

namespace chord::kernels::relaxed {

namespace {

using quant::BlockQ8_0;
using quant::BlockQ8_1;
using simd128::f16_table;
using simd128::gather_f16x4;
using simd128::hsum4_i32;
using simd128::hsum_f32;
using simd128::hsum_i32;
using simd128::legacy::IQ4_NL;
using simd128::legacy::Q4_0;
using simd128::legacy::Q4_1;
using simd128::legacy::Q5_0;
using simd128::legacy::Q5_1;
using simd128::legacy::Q8_0;

inline uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

// One weight block unpacked: w[0] = elements 0..15, w[1] = 16..31 (0..127); split formats also
// t[0], t[1]: 1 where the weight is negative (weight = w - 128 t).
struct Wv {
  v128_t w[2], t[2];
};

// The shared int8 unpacking (simd128/unpack_legacy.h) moved onto the 7-bit side: offset formats
// as v + 2^kShift, signed ones split into low 7 bits and sign bit.
template <class F>
inline void unpack(const uint8_t* b, Wv* u) {
  v128_t v[2];
  F::unpack(b, v);
  for (int h = 0; h < 2; ++h) {
    if constexpr (F::kSplit) {
      u->w[h] = low7(v[h]), u->t[h] = top1(v[h]);
    } else if constexpr (F::kShift >= 0) {
      u->w[h] = wasm_i8x16_add(v[h], wasm_i8x16_splat(1 << F::kShift));
    } else {
      u->w[h] = v[h];
    }
  }
}

// i32x4 partial sums of sum_i w_i q_i over one block (q: its 32 activation quants), offsets aside.
template <class F>
inline v128_t block_partial(const Wv& u, const int8_t* q) {
  const v128_t a0 = wasm_v128_load(q), a1 = wasm_v128_load(q + 16);
  if constexpr (F::kSplit) {  // low 7 bits: int16 pair sums up to 32512, widen before adding
    const v128_t s = dot32(a0, u.w[0], dot32(a1, u.w[1], wasm_i32x4_splat(0)));
    const v128_t t = widen(wasm_i16x8_add(dot16(a0, u.t[0]), dot16(a1, u.t[1])));
    return wasm_i32x4_sub(s, wasm_i32x4_shl(t, 7));
  } else {  // weights <= 31: two pair sums add up to at most 15872 in int16
    return widen(wasm_i16x8_add(dot16(a0, u.w[0]), dot16(a1, u.w[1])));
  }
}

// i32x4 partial sums of the 32 activation quants at q.
inline v128_t act_partial(const int8_t* q) {
  const v128_t one = wasm_i8x16_splat(1);
  return widen(wasm_i16x8_add(dot16(wasm_v128_load(q), one), dot16(wasm_v128_load(q + 16), one)));
}

// Per-block activation values for four blocks b..b+3 of a row: f32 scales, and int32 sums (Q8_0)
// or f32 s (Q8_1); from the packed tail or from the raw blocks (same values).
template <class F, bool Packed>
inline void act4(const uint8_t* row, int64_t nb, uint64_t p0, int64_t b, v128_t* d, v128_t* e) {
  if constexpr (Packed) {
    *d = wasm_v128_load(row + p0 + 4 * b);
    *e = wasm_v128_load(row + p0 + 4 * nb + 4 * b);
  } else {
    const float* lut = f16_table();
    const uint8_t* ab = row + b * F::kA;
    *d = gather_f16x4(lut, ab, F::kA);
    if constexpr (F::kMin) {
      *e = gather_f16x4(lut, ab + 2, F::kA);
    } else if constexpr (F::kShift >= 0) {
      const auto q = [&](int k) { return reinterpret_cast<const int8_t*>(ab + k * F::kA + F::kAq); };
      *e = hsum4_i32(act_partial(q(0)), act_partial(q(1)), act_partial(q(2)), act_partial(q(3)));
    }
  }
}

// The same for one block: scale, and the int32 sum (bit pattern) or f32 s.
template <class F, bool Packed>
inline void act1(const uint8_t* row, int64_t nb, uint64_t p0, int64_t b, float* d, uint32_t* e) {
  if constexpr (Packed) {
    std::memcpy(d, row + p0 + 4 * b, 4);
    std::memcpy(e, row + p0 + 4 * nb + 4 * b, 4);
  } else {
    const uint8_t* ab = row + b * F::kA;
    *d = f16_table()[simd128::load_u16(ab)];
    if constexpr (F::kMin) {
      std::memcpy(e, &f16_table()[simd128::load_u16(ab + 2)], 4);
    } else if constexpr (F::kShift >= 0) {
      *e = static_cast<uint32_t>(hsum_i32(act_partial(reinterpret_cast<const int8_t*>(ab + F::kAq))));
    }
  }
}

template <class F, bool Packed, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 32, nb4 = nb & ~int64_t{3};
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * F::kA);
  const float* lut = f16_table();
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f32x4_splat(0.0f);
  for (int64_t b = 0; b < nb4; b += 4) {
    const uint8_t* wb = w + b * F::kW;
    Wv u[4];
    for (int k = 0; k < 4; ++k) unpack<F>(wb + k * F::kW, &u[k]);
    const v128_t dw = gather_f16x4(lut, wb, F::kW);
    v128_t mw = dw;
    if constexpr (F::kMin) mw = gather_f16x4(lut, wb + 2, F::kW);
    for (int t = 0; t < NT; ++t) {
      const uint8_t* row = a + t * a_stride;
      const auto q = [&](int k) { return reinterpret_cast<const int8_t*>(row + (b + k) * F::kA + F::kAq); };
      v128_t tot = hsum4_i32(block_partial<F>(u[0], q(0)), block_partial<F>(u[1], q(1)), block_partial<F>(u[2], q(2)),
                             block_partial<F>(u[3], q(3)));
      v128_t da, e = wasm_i32x4_splat(0);
      act4<F, Packed>(row, nb, p0, b, &da, &e);
      if constexpr (F::kShift >= 0) tot = wasm_i32x4_sub(tot, wasm_i32x4_shl(e, F::kShift));
      v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dw, da));
      if constexpr (F::kMin) term = wasm_f32x4_add(term, wasm_f32x4_mul(mw, e));
      acc[t] = wasm_f32x4_add(acc[t], term);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum_f32(acc[t]);
  for (int64_t b = nb4; b < nb; ++b) {  // the last nb % 4 blocks, in order
    const uint8_t* wb = w + b * F::kW;
    Wv u;
    unpack<F>(wb, &u);
    const float dw = lut[simd128::load_u16(wb)];
    for (int t = 0; t < NT; ++t) {
      const uint8_t* row = a + t * a_stride;
      int32_t tot = hsum_i32(block_partial<F>(u, reinterpret_cast<const int8_t*>(row + b * F::kA + F::kAq)));
      float da;
      uint32_t e = 0;
      act1<F, Packed>(row, nb, p0, b, &da, &e);
      if constexpr (F::kShift >= 0) tot -= static_cast<int32_t>(e << F::kShift);
      float term = static_cast<float>(tot) * (dw * da);
      if constexpr (F::kMin) {
        float s;
        std::memcpy(&s, &e, 4);
        term += lut[simd128::load_u16(wb + 2)] * s;
      }
      out[t] += term;
    }
  }
}

template <class F, bool Packed>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  simd128::for_row_tiles(a, a_stride, n_act, out,
                         [&]<int NT>(const uint8_t* ap, float* o) { dot_nt<F, Packed, NT>(n, wp, ap, a_stride, o); });
}

template <class F>
int32_t block_int(const void* w_block, const void* a_block) {
  Wv u;
  unpack<F>(static_cast<const uint8_t*>(w_block), &u);
  const auto* q = static_cast<const int8_t*>(a_block) + F::kAq;
  int32_t tot = hsum_i32(block_partial<F>(u, q));
  if constexpr (F::kShift >= 0) tot -= hsum_i32(act_partial(q)) << F::kShift;
  return tot;
}

// Appends f32 d[nb] and int32 sum(q)[nb] (Q8_0, kA = 34) or f32 s[nb] (Q8_1, kA = 36) at align16.
template <int kA>
void pack(void* row, int64_t n) {
  auto* r = static_cast<uint8_t*>(row);
  const int64_t nb = n / 32;
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * kA);
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* y = r + i * kA;
    const float d = quant::fp16_to_fp32(simd128::load_u16(y));
    std::memcpy(r + p0 + 4 * i, &d, 4);
    if constexpr (kA == sizeof(BlockQ8_0)) {
      const int32_t s = hsum_i32(act_partial(reinterpret_cast<const int8_t*>(y + 2)));
      std::memcpy(r + p0 + 4 * nb + 4 * i, &s, 4);
    } else {
      const float s = quant::fp16_to_fp32(simd128::load_u16(y + 2));
      std::memcpy(r + p0 + 4 * nb + 4 * i, &s, 4);
    }
  }
}

template <int kA>
uint64_t packed_bytes(int64_t n) {
  return align16(static_cast<uint64_t>(n / 32) * kA) + static_cast<uint64_t>(n / 32) * 8;
}

}  // namespace

uint64_t packed_bytes_q8_0(int64_t n) noexcept { return packed_bytes<sizeof(BlockQ8_0)>(n); }
uint64_t packed_bytes_q8_1(int64_t n) noexcept { return packed_bytes<sizeof(BlockQ8_1)>(n); }
void pack_q8_0(void* row, int64_t n) noexcept { pack<sizeof(BlockQ8_0)>(row, n); }
void pack_q8_1(void* row, int64_t n) noexcept { pack<sizeof(BlockQ8_1)>(row, n); }

#define CHORD_LEGACY(name, F)                                                                                          \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                                             \
    float r;                                                                                                           \
    dot_nt<F, false, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &r);                     \
    return r;                                                                                                          \
  }                                                                                                                    \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,                     \
                            float* out) noexcept {                                                                     \
    dot_multi<F, false>(n, w, a, a_stride, n_act, out);                                                                \
  }                                                                                                                    \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept { \
    dot_multi<F, true>(n, w, a, a_stride, n_act, out);                                                                 \
  }                                                                                                                    \
  int32_t block_dot_##name(const void* w_block, const void* a_block) noexcept { return block_int<F>(w_block, a_block); }
CHORD_LEGACY(q4_0_q8_0, Q4_0)
CHORD_LEGACY(q4_1_q8_1, Q4_1)
CHORD_LEGACY(q5_0_q8_0, Q5_0)
CHORD_LEGACY(q5_1_q8_1, Q5_1)
CHORD_LEGACY(q8_0_q8_0, Q8_0)
CHORD_LEGACY(iq4_nl_q8_0, IQ4_NL)
#undef CHORD_LEGACY

}  // namespace chord::kernels::relaxed
