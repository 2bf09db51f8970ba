// SIMD128 dot products of the K-quants (Q2_K..Q6_K) and IQ4_XS with Q8_K activations, for 1..4 activation
// rows at once. Each 256-element super-block is unpacked once (unpack_k.h) into int16 weights already
// multiplied by their sub-block scale (|q * scale| <= 32 * 127 fits int16), then every activation
// row takes 32 i32x4.dot_i16x8 against it; the min term (Q2_K/Q4_K/Q5_K) is the int16 dot of the
// per-16 mins with the activation's bsums. Weights are stored per 16-element group as even- then
// odd-indexed elements, the order in which packed activations (pack_q8_K) hold their quants.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/rows.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"
#include "kernels/simd128/superblock.h"
#include "kernels/simd128/unpack_k.h"

namespace chord::kernels::simd128 {

namespace {

using quant::BlockIQ4_XS;
using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_K;

using namespace superblock;

constexpr auto unpack_q2_k = unpack<fmt::Q2K>;
constexpr auto unpack_q3_k = unpack<fmt::Q3K>;
constexpr auto unpack_q4_k = unpack<fmt::Q4K>;
constexpr auto unpack_q5_k = unpack<fmt::Q5K>;
constexpr auto unpack_q6_k = unpack<fmt::Q6K>;
constexpr auto unpack_iq4_xs = unpack<fmt::IQ4XS>;

// Q4_K / Q5_K with packed activations, unpacking fused into the dot: the nibbles of 16 qs bytes
// read as u16 lanes are already in the packed lane order (lane k: bytes 2k, 2k + 1), so no widening
// is needed; the sub-block scales multiply the int16 weights once per super-block for all rows.
//   lanes & 0xF = elements 64c + 2k      (>> 8) & 0xF = 64c + 2k + 1
//   (>> 4) & 0xF = 64c + 32 + 2k          >> 12       = 64c + 32 + 2k + 1   (bytes l = 0..15; +16 for l >= 16)
template <bool Five, int NT>
void dot_k4_packed_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  constexpr int kW = Five ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  const int64_t nb = n / 256;
  const uint64_t p0 = align16(static_cast<uint64_t>(nb) * sizeof(BlockQ8_K));
  const float* lut = f16_table();
  float acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = 0.0f;
  const v128_t m4 = wasm_i16x8_splat(0x0F), b4 = wasm_i16x8_splat(0x10);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * kW;
    alignas(16) int16_t sc[8];
    v128_t mins_lo, mins_hi;
    scales_mins_k4(blk + 4, sc, &mins_lo, &mins_hi);
    const uint8_t* qs = blk + (Five ? 48 : 16);
    v128_t isum[NT];
    for (int t = 0; t < NT; ++t) isum[t] = wasm_i32x4_splat(0);
    for (int c = 0; c < 4; ++c) {
      v128_t wv[8];
      for (int h = 0; h < 2; ++h) {  // h: bytes l = 16h .. 16h + 15
        const v128_t l = wasm_v128_load(qs + 32 * c + 16 * h);
        wv[4 * h + 0] = wasm_v128_and(l, m4);
        wv[4 * h + 1] = wasm_v128_and(wasm_u16x8_shr(l, 8), m4);
        wv[4 * h + 2] = wasm_v128_and(wasm_u16x8_shr(l, 4), m4);
        wv[4 * h + 3] = wasm_u16x8_shr(l, 12);
        if constexpr (Five) {  // bit 2c (low nibble elements) / 2c + 1 (high) of qh[l], moved to bit 4
          const v128_t hb = wasm_u16x8_shr(wasm_v128_load(blk + 16 + 16 * h), 2 * c);
          wv[4 * h + 0] = wasm_v128_or(wv[4 * h + 0], wasm_v128_and(wasm_i16x8_shl(hb, 4), b4));
          wv[4 * h + 1] = wasm_v128_or(wv[4 * h + 1], wasm_v128_and(wasm_u16x8_shr(hb, 4), b4));
          wv[4 * h + 2] = wasm_v128_or(wv[4 * h + 2], wasm_v128_and(wasm_i16x8_shl(hb, 3), b4));
          wv[4 * h + 3] = wasm_v128_or(wv[4 * h + 3], wasm_v128_and(wasm_u16x8_shr(hb, 5), b4));
        }
      }
      // The sub-block scales multiply the weights (q <= 31, scale <= 63: int16), once for all rows.
      const v128_t s_lo = wasm_v128_load16_splat(sc + 2 * c), s_hi = wasm_v128_load16_splat(sc + 2 * c + 1);
      for (int h = 0; h < 2; ++h) {
        wv[4 * h + 0] = wasm_i16x8_mul(wv[4 * h + 0], s_lo);
        wv[4 * h + 1] = wasm_i16x8_mul(wv[4 * h + 1], s_lo);
        wv[4 * h + 2] = wasm_i16x8_mul(wv[4 * h + 2], s_hi);
        wv[4 * h + 3] = wasm_i16x8_mul(wv[4 * h + 3], s_hi);
      }
      for (int t = 0; t < NT; ++t) {
        // Packed groups 4c .. 4c + 3 (elements 64c .. 64c + 63), each as 8 evens then 8 odds.
        const int16_t* q = reinterpret_cast<const int16_t*>(a + t * a_stride + p0) + b * 256 + 64 * c;
        v128_t s = isum[t];
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[0], wasm_v128_load(q)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[1], wasm_v128_load(q + 8)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[4], wasm_v128_load(q + 16)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[5], wasm_v128_load(q + 24)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[2], wasm_v128_load(q + 32)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[3], wasm_v128_load(q + 40)));
        s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[6], wasm_v128_load(q + 48)));
        isum[t] = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wv[7], wasm_v128_load(q + 56)));
      }
    }
    const float d = lut[load_u16(blk)], dmin = lut[load_u16(blk + 2)];
    for (int t = 0; t < NT; ++t) {
      const auto* y = reinterpret_cast<const BlockQ8_K*>(a + t * a_stride) + b;
      const v128_t ms = wasm_i32x4_add(wasm_i32x4_dot_i16x8(mins_lo, wasm_v128_load(y->bsums)),
                                       wasm_i32x4_dot_i16x8(mins_hi, wasm_v128_load(y->bsums + 8)));
      acc[t] += static_cast<float>(hsum_i32(isum[t])) * (d * y->d) - static_cast<float>(hsum_i32(ms)) * (dmin * y->d);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = acc[t];
}

template <bool Five>
void dot_k4_packed(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const uint8_t*>(w);
  for_row_tiles(a, a_stride, n_act, out,
                [&]<int NT>(const uint8_t* ap, float* o) { dot_k4_packed_nt<Five, NT>(n, wp, ap, a_stride, o); });
}

}  // namespace

#define CHORD_KQ(name, unpack, Block, Min)                                                                             \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                                             \
    float r;                                                                                                           \
    dot_nt<unpack, sizeof(Block), Min, false, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, \
                                                 &r);                                                                  \
    return r;                                                                                                          \
  }                                                                                                                    \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,                     \
                            float* out) noexcept {                                                                     \
    dot_multi<unpack, sizeof(Block), Min, false>(n, w, a, a_stride, n_act, out);                                       \
  }
CHORD_KQ(q2_K_q8_K, unpack_q2_k, BlockQ2_K, true)
CHORD_KQ(q3_K_q8_K, unpack_q3_k, BlockQ3_K, false)
CHORD_KQ(q4_K_q8_K, unpack_q4_k, BlockQ4_K, true)
CHORD_KQ(q5_K_q8_K, unpack_q5_k, BlockQ5_K, true)
CHORD_KQ(q6_K_q8_K, unpack_q6_k, BlockQ6_K, false)
CHORD_KQ(iq4_xs_q8_K, unpack_iq4_xs, BlockIQ4_XS, false)
#undef CHORD_KQ

void dot_packed_q4_K_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept {
  dot_k4_packed<false>(n, w, a, a_stride, n_act, out);
}
void dot_packed_q5_K_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept {
  dot_k4_packed<true>(n, w, a, a_stride, n_act, out);
}
void dot_packed_iq4_xs_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act,
                            float* out) noexcept {
  dot_multi<unpack_iq4_xs, sizeof(BlockIQ4_XS), false, true>(n, w, a, a_stride, n_act, out);
}

// Packed Q8_K rows: the raw blocks, then at align16 their quants as int16, per 16-element group
// the 8 even-indexed elements then the 8 odd-indexed ones (the weights' unpacked order).
uint64_t packed_bytes_q8_K(int64_t n) noexcept {
  return align16(static_cast<uint64_t>(n / 256) * sizeof(BlockQ8_K)) + static_cast<uint64_t>(n / 256) * 512;
}

void pack_q8_K(void* row, int64_t n) noexcept {
  auto* r = static_cast<uint8_t*>(row);
  const int64_t nb = n / 256;
  auto* q = reinterpret_cast<int16_t*>(r + align16(static_cast<uint64_t>(nb) * sizeof(BlockQ8_K)));
  for (int64_t b = 0; b < nb; ++b) {
    const int8_t* qs = reinterpret_cast<const BlockQ8_K*>(r)[b].qs;
    for (int g = 0; g < 16; ++g) {
      const v128_t v = wasm_v128_load(qs + 16 * g);
      wasm_v128_store(q + 256 * b + 16 * g, wasm_i16x8_shr(wasm_i16x8_shl(v, 8), 8));
      wasm_v128_store(q + 256 * b + 16 * g + 8, wasm_i16x8_shr(v, 8));
    }
  }
}

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
int32_t block_dot_iq4_xs_q8_K(const void* w, const void* a) noexcept { return block_int<unpack_iq4_xs>(w, a, nullptr); }

}  // namespace chord::kernels::simd128
