// SIMD128 dot products of the 32-element formats (Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 IQ4_NL) with Q8_0/Q8_1
// activations, for 1..4 activation rows at once: four weight blocks are unpacked once
// (unpack_legacy.h) to int16 and reused for every activation row; int16 x int16 pairs go through
// i32x4.dot_i16x8 (exact), four block sums are transposed into one i32x4 and scaled by four
// (d_w * d_a) at once.
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"
#include "kernels/simd128/unpack_legacy.h"

namespace chord::kernels::simd128 {

namespace {

using legacy::IQ4_NL;
using legacy::Q4_0;
using legacy::Q4_1;
using legacy::Q5_0;
using legacy::Q5_1;
using legacy::Q8_0;

// Stores the 32 int8 weights of a block, elements 0..15 in lo and 16..31 in hi, as 32 int16.
inline void store_i16(v128_t lo, v128_t hi, int16_t* w) {
  wasm_v128_store(w, wasm_i16x8_extend_low_i8x16(lo));
  wasm_v128_store(w + 8, wasm_i16x8_extend_high_i8x16(lo));
  wasm_v128_store(w + 16, wasm_i16x8_extend_low_i8x16(hi));
  wasm_v128_store(w + 24, wasm_i16x8_extend_high_i8x16(hi));
}

// One weight block as 32 int16 (the shared int8 unpacking, widened).
template <class F>
inline void unpack16(const uint8_t* b, int16_t* w) {
  v128_t v[2];
  F::unpack(b, v);
  store_i16(v[0], v[1], w);
}

// i32x4 partial sums of the 32 products of int16 weights w and the int8 activations at q.
inline v128_t dot32(const int16_t* w, const uint8_t* q) {
  const v128_t a0 = wasm_v128_load(q), a1 = wasm_v128_load(q + 16);
  v128_t s = wasm_i32x4_dot_i16x8(wasm_v128_load(w), wasm_i16x8_extend_low_i8x16(a0));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 8), wasm_i16x8_extend_high_i8x16(a0)));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 16), wasm_i16x8_extend_low_i8x16(a1)));
  return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_v128_load(w + 24), wasm_i16x8_extend_high_i8x16(a1)));
}

template <class F>
int32_t block_dot(const void* w_block, const void* a_block) {
  alignas(16) int16_t w[32];
  unpack16<F>(static_cast<const uint8_t*>(w_block), w);
  return hsum_i32(dot32(w, static_cast<const uint8_t*>(a_block) + F::kAq));
}

// Adds to out[t] the sums of blocks b .. b + 3 with the lanes where keep is 0 masked out: the last
// step of a block count that is not a multiple of four (once per row, kept out of the main loop).
template <class F, int NT>
__attribute__((noinline)) void masked_tail(const uint8_t* w, const uint8_t* a, uint64_t a_stride, int64_t b,
                                           v128_t keep, float* out) {
  const float* lut = f16_table();
  alignas(16) int16_t wq[4][32];
  const uint8_t* wb = w + b * F::kW;
  for (int k = 0; k < 4; ++k) unpack16<F>(wb + k * F::kW, wq[k]);
  const v128_t dw = gather_f16x4(lut, wb, F::kW);
  v128_t mw = dw;
  if constexpr (F::kMin) mw = gather_f16x4(lut, wb + 2, F::kW);
  for (int t = 0; t < NT; ++t) {
    const uint8_t* ab = a + t * a_stride + b * F::kA;
    const v128_t tot = hsum4_i32(dot32(wq[0], ab + F::kAq), dot32(wq[1], ab + F::kA + F::kAq),
                                 dot32(wq[2], ab + 2 * F::kA + F::kAq), dot32(wq[3], ab + 3 * F::kA + F::kAq));
    v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dw, gather_f16x4(lut, ab, F::kA)));
    if constexpr (F::kMin) term = wasm_f32x4_add(term, wasm_f32x4_mul(mw, gather_f16x4(lut, ab + 2, F::kA)));
    out[t] += hsum_f32(wasm_v128_and(term, keep));
  }
}

// NT activation rows, four blocks per step. A block count that is not a multiple of four ends with
// masked_tail over the last four blocks; rows of fewer than four blocks go through the reference.
template <class F, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 32, nb4 = nb & ~int64_t{3};
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f32x4_splat(0.0f);
  alignas(16) int16_t wq[4][32];
  const float* lut = f16_table();
  for (int64_t b = 0; b < nb4; b += 4) {
    const uint8_t* wb = w + b * F::kW;
    for (int k = 0; k < 4; ++k) unpack16<F>(wb + k * F::kW, wq[k]);
    const v128_t dw = gather_f16x4(lut, wb, F::kW);
    v128_t mw = dw;
    if constexpr (F::kMin) mw = gather_f16x4(lut, wb + 2, F::kW);
    for (int t = 0; t < NT; ++t) {
      const uint8_t* ab = a + t * a_stride + b * F::kA;
      const v128_t tot = hsum4_i32(dot32(wq[0], ab + F::kAq), dot32(wq[1], ab + F::kA + F::kAq),
                                   dot32(wq[2], ab + 2 * F::kA + F::kAq), dot32(wq[3], ab + 3 * F::kA + F::kAq));
      v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dw, gather_f16x4(lut, ab, F::kA)));
      if constexpr (F::kMin) term = wasm_f32x4_add(term, wasm_f32x4_mul(mw, gather_f16x4(lut, ab + 2, F::kA)));
      acc[t] = wasm_f32x4_add(acc[t], term);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = hsum_f32(acc[t]);
  if (nb4 < nb) {
    if (nb < 4) {  // too short for a masked step
      for (int t = 0; t < NT; ++t) out[t] = F::ref(n, w, a + t * a_stride);
      return;
    }
    const v128_t keep =
        wasm_i32x4_ge(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(static_cast<int32_t>(4 - (nb - nb4))));
    masked_tail<F, NT>(w, a, a_stride, nb - 4, keep, out);
  }
}

template <class F>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  for_row_tiles(a, a_stride, n_act, out,
                [&]<int NT>(const uint8_t* ap, float* o) { dot_nt<F, NT>(n, wp, ap, a_stride, o); });
}

template <class F>
float dot_one(int64_t n, const void* w, const void* a) {
  float r;
  dot_nt<F, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &r);
  return r;
}

}  // namespace

#define CHORD_LEGACY(name, F)                                                                            \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept { return dot_one<F>(n, w, a); } \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,       \
                            float* out) noexcept {                                                       \
    dot_multi<F>(n, w, a, a_stride, n_act, out);                                                         \
  }                                                                                                      \
  int32_t block_dot_##name(const void* w_block, const void* a_block) noexcept { return block_dot<F>(w_block, a_block); }
CHORD_LEGACY(q4_0_q8_0, Q4_0)
CHORD_LEGACY(q4_1_q8_1, Q4_1)
CHORD_LEGACY(q5_0_q8_0, Q5_0)
CHORD_LEGACY(q5_1_q8_1, Q5_1)
CHORD_LEGACY(q8_0_q8_0, Q8_0)
CHORD_LEGACY(iq4_nl_q8_0, IQ4_NL)
#undef CHORD_LEGACY

}  // namespace chord::kernels::simd128
