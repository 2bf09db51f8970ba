// The packed-activation path of Q4_0, Q4_1 and Q8_0 (see TypeOps::pack in kernels/ops.h; for
// Q5_0/Q5_1 spreading the 5th bits into these lanes cost more than it saved, they use dot_legacy).
// pack() appends to a Q8_0/Q8_1 row its quants widened to int16 in the lane order that the weights
// unpack to most cheaply, plus f32 scales and per-block sums; dot_packed then costs per block one
// weight load, a few shifts/masks and four i32x4.dot_i16x8 per activation row, and gives exactly
// the results of dot_legacy.cpp's vec_dot (same integer sums, same float expression and order).
//
// Lane order of a block's 32 values as four i16x8 (the weights' bytes read as u16 lanes give it):
//   v0 = elements 0, 2, .., 14   v1 = 1, 3, .., 15   v2 = 16, 18, .., 30   v3 = 17, 19, .., 31
// Packed part of a row of nb blocks, at align16(raw bytes): int16 q[nb][32] in that order, then
// f32 d[nb], then per block either int32 sum(q) (Q8_0) or f32 s (Q8_1).
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/types.h"
#include "kernels/ref/vec_dot.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128 {

namespace {

using quant::BlockQ4_0;
using quant::BlockQ4_1;
using quant::BlockQ8_0;
using quant::BlockQ8_1;

inline uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

// int8 bytes as i16 lanes: even-indexed bytes (sign-extended) and odd-indexed bytes.
inline v128_t even_i8(v128_t v) { return wasm_i16x8_shr(wasm_i16x8_shl(v, 8), 8); }
inline v128_t odd_i8(v128_t v) { return wasm_i16x8_shr(v, 8); }

// Nibbles of 16 bytes in the lane order above.
inline void nibbles(v128_t l, v128_t* w) {
  const v128_t m = wasm_i16x8_splat(0x0F);
  w[0] = wasm_v128_and(l, m);
  w[1] = wasm_v128_and(wasm_u16x8_shr(l, 8), m);
  w[2] = wasm_v128_and(wasm_u16x8_shr(l, 4), m);
  w[3] = wasm_u16x8_shr(l, 12);
}

// Per format: byte sizes, how the weights unpack, the offset subtracted from every quant (applied
// as offset * sum(q_a)), whether a min term m_w * s_a is added.
struct Q4_0 {
  static constexpr int kW = sizeof(BlockQ4_0), kA = sizeof(BlockQ8_0), kShift = 3;
  static constexpr bool kMin = false;
  static void unpack(const uint8_t* b, v128_t* w) { nibbles(wasm_v128_load(b + 2), w); }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q4_0_q8_0(n, w, a); }
};
struct Q4_1 {
  static constexpr int kW = sizeof(BlockQ4_1), kA = sizeof(BlockQ8_1), kShift = -1;
  static constexpr bool kMin = true;
  static void unpack(const uint8_t* b, v128_t* w) { nibbles(wasm_v128_load(b + 4), w); }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q4_1_q8_1(n, w, a); }
};
struct Q8_0 {
  static constexpr int kW = sizeof(BlockQ8_0), kA = sizeof(BlockQ8_0), kShift = -1;
  static constexpr bool kMin = false;
  static void unpack(const uint8_t* b, v128_t* w) {
    const v128_t a0 = wasm_v128_load(b + 2), a1 = wasm_v128_load(b + 18);
    w[0] = even_i8(a0), w[1] = odd_i8(a0), w[2] = even_i8(a1), w[3] = odd_i8(a1);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_q8_0_q8_0(n, w, a); }
};

inline v128_t dot_block(const v128_t* w, const int16_t* q) {
  v128_t s = wasm_i32x4_dot_i16x8(w[0], wasm_v128_load(q));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[1], wasm_v128_load(q + 8)));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[2], wasm_v128_load(q + 16)));
  return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(w[3], wasm_v128_load(q + 24)));
}

// Adds to out[t] the sums of blocks b .. b + 3 with the lanes where keep is 0 masked out: the last
// step of a block count that is not a multiple of four (once per row, kept out of the main loop).
template <class F, int NT>
__attribute__((noinline)) void masked_tail(const uint8_t* w, const uint8_t* a, uint64_t a_stride, int64_t nb,
                                           uint64_t p0, int64_t b, v128_t keep, float* out) {
  const float* lut = f16_table();
  const uint8_t* wb = w + b * F::kW;
  v128_t wv[4][4];
  for (int k = 0; k < 4; ++k) F::unpack(wb + k * F::kW, wv[k]);
  const v128_t dw = gather_f16x4(lut, wb, F::kW);
  v128_t mw = dw;
  if constexpr (F::kMin) mw = gather_f16x4(lut, wb + 2, F::kW);
  for (int t = 0; t < NT; ++t) {
    const uint8_t* row = a + t * a_stride;
    const auto* q = reinterpret_cast<const int16_t*>(row + p0) + b * 32;
    const uint8_t* d = row + p0 + nb * 64 + b * 4;
    const uint8_t* e = row + p0 + nb * 68 + b * 4;
    v128_t tot =
        hsum4_i32(dot_block(wv[0], q), dot_block(wv[1], q + 32), dot_block(wv[2], q + 64), dot_block(wv[3], q + 96));
    if constexpr (F::kShift >= 0) tot = wasm_i32x4_sub(tot, wasm_i32x4_shl(wasm_v128_load(e), F::kShift));
    v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dw, wasm_v128_load(d)));
    if constexpr (F::kMin) term = wasm_f32x4_add(term, wasm_f32x4_mul(mw, wasm_v128_load(e)));
    out[t] += hsum_f32(wasm_v128_and(term, keep));
  }
}

// Four blocks per step; a block count that is not a multiple of four ends with masked_tail over the
// last four blocks (exactly as dot_legacy.cpp, whose results these are); rows of fewer than four
// blocks go through the reference.
template <class F, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 32, nb4 = nb & ~int64_t{3};
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * F::kA);
  const float* lut = f16_table();
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f32x4_splat(0.0f);
  for (int64_t b = 0; b < nb4; b += 4) {
    const uint8_t* wb = w + b * F::kW;
    v128_t wv[4][4];
    for (int k = 0; k < 4; ++k) F::unpack(wb + k * F::kW, wv[k]);
    const v128_t dw = gather_f16x4(lut, wb, F::kW);
    v128_t mw = dw;
    if constexpr (F::kMin) mw = gather_f16x4(lut, wb + 2, F::kW);
    for (int t = 0; t < NT; ++t) {
      const uint8_t* row = a + t * a_stride;
      const auto* q = reinterpret_cast<const int16_t*>(row + p0) + b * 32;
      const uint8_t* d = row + p0 + nb * 64 + b * 4;
      const uint8_t* e = row + p0 + nb * 68 + b * 4;
      v128_t tot =
          hsum4_i32(dot_block(wv[0], q), dot_block(wv[1], q + 32), dot_block(wv[2], q + 64), dot_block(wv[3], q + 96));
      if constexpr (F::kShift >= 0) tot = wasm_i32x4_sub(tot, wasm_i32x4_shl(wasm_v128_load(e), F::kShift));
      v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dw, wasm_v128_load(d)));
      if constexpr (F::kMin) term = wasm_f32x4_add(term, wasm_f32x4_mul(mw, wasm_v128_load(e)));
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
    masked_tail<F, NT>(w, a, a_stride, nb, p0, nb - 4, keep, out);
  }
}

template <class F>
void dot_packed(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  for_row_tiles(a, a_stride, n_act, out,
                [&]<int NT>(const uint8_t* ap, float* o) { dot_nt<F, NT>(n, wp, ap, a_stride, o); });
}

// Appends the packed part to a Q8_0 (kA = 34, quants at 2) or Q8_1 (kA = 36, s at 2, quants at 4) row.
template <int kA>
void pack(void* row, int64_t n) {
  auto* r = static_cast<uint8_t*>(row);
  const int64_t nb = n / 32;
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * kA);
  auto* q = reinterpret_cast<int16_t*>(r + p0);
  float* d = reinterpret_cast<float*>(r + p0 + nb * 64);
  uint8_t* e = r + p0 + nb * 68;
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* y = r + i * kA;
    const uint8_t* qs = y + (kA == sizeof(BlockQ8_0) ? 2 : 4);
    const v128_t a0 = wasm_v128_load(qs), a1 = wasm_v128_load(qs + 16);
    const v128_t v[4] = {even_i8(a0), odd_i8(a0), even_i8(a1), odd_i8(a1)};
    for (int k = 0; k < 4; ++k) wasm_v128_store(q + 32 * i + 8 * k, v[k]);
    d[i] = quant::fp16_to_fp32(load_u16(y));
    if constexpr (kA == sizeof(BlockQ8_0)) {  // |sum| <= 32 * 128: the i16 adds cannot overflow
      const v128_t s16 = wasm_i16x8_add(wasm_i16x8_add(v[0], v[1]), wasm_i16x8_add(v[2], v[3]));
      const int32_t sum = hsum_i32(wasm_i32x4_extadd_pairwise_i16x8(s16));
      std::memcpy(e + 4 * i, &sum, 4);
    } else {
      const float s = quant::fp16_to_fp32(load_u16(y + 2));
      std::memcpy(e + 4 * i, &s, 4);
    }
  }
}

template <int kA>
uint64_t packed_bytes(int64_t n) {
  return align16(static_cast<uint64_t>(n / 32) * kA) + static_cast<uint64_t>(n / 32) * 72;
}

}  // namespace

uint64_t packed_bytes_q8_0(int64_t n) noexcept { return packed_bytes<sizeof(BlockQ8_0)>(n); }
uint64_t packed_bytes_q8_1(int64_t n) noexcept { return packed_bytes<sizeof(BlockQ8_1)>(n); }
void pack_q8_0(void* row, int64_t n) noexcept { pack<sizeof(BlockQ8_0)>(row, n); }
void pack_q8_1(void* row, int64_t n) noexcept { pack<sizeof(BlockQ8_1)>(row, n); }

#define CHORD_PACKED(name, F)                                                                                          \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept { \
    dot_packed<F>(n, w, a, a_stride, n_act, out);                                                                      \
  }
CHORD_PACKED(q4_0_q8_0, Q4_0)
CHORD_PACKED(q4_1_q8_1, Q4_1)
CHORD_PACKED(q8_0_q8_0, Q8_0)
#undef CHORD_PACKED

}  // namespace chord::kernels::simd128
