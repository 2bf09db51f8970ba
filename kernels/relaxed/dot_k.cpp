// Relaxed-SIMD dot products of the K-quants (Q2_K..Q6_K), IQ4_XS, the grid I-quants (IQ2_XXS,
// IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M) and the ternary TQ1_0 / TQ2_0 with raw Q8_K
// activations, 1..4 activation rows per weight row. A super-block goes through the SIMD128 kernels'
// block walk (simd128/unpack_k.h, unpack_grid.h) into 256 weights of 0..127 in element order
// (signed formats as value + 2^kShift: Q3_K + 4, Q6_K + 32, IQ2 / IQ3_XXS + 64, IQ3_S / IQ1 + 16,
// ternary + 1; IQ4_XS as low 7 bits plus sign bits) and int16 scales per 16-element group; every
// activation row then takes per group one i16x8 relaxed dot (pair sums <= 2 * 128 * 126 = 32256),
// weighted by the group scale with i32x4.dot_i16x8. The offsets come back through the Q8_K group
// sums (bsums), as do the mins. Integer sums are exact; four super-blocks' sums are reduced
// together (one transposed sum) and scaled in f32x4 lanes.
#include "core/quant/blocks.h"
#include "kernels/relaxed/relaxed.h"
#include "kernels/relaxed/relaxed_util.h"
#include "kernels/simd128/simd_util.h"
#include "kernels/simd128/unpack_grid.h"
#include "kernels/simd128/unpack_k.h"

namespace chord::kernels::relaxed {

namespace {

using quant::BlockQ8_K;
using simd128::hsum_i32;
namespace fmt = simd128::fmt;

// One super-block, unpacked.
struct Unpacked {
  alignas(16) uint8_t q[256];    // weights 0..127, element order
  alignas(16) uint8_t top[256];  // kSplit (IQ4_XS): 1 where the value is negative (value = q - 128 top)
  alignas(16) int16_t sc[16];    // per-16 group scale
  alignas(16) int16_t mins[16];  // per-16 min multiplier (Q2_K/Q4_K/Q5_K)
  float d = 0, dmin = 0;
};

// The sink of the shared block walks (simd128/unpack_k.h, unpack_grid.h) for format F: the int8
// groups moved onto the 7-bit side (v + 2^kShift, or low 7 bits and sign bit), scales as int16.
template <class F>
struct Sink {
  Unpacked* u;
  void group(int g, v128_t v, int scale) {
    if constexpr (F::kSplit) {
      wasm_v128_store(u->q + 16 * g, low7(v));
      wasm_v128_store(u->top + 16 * g, top1(v));
    } else if constexpr (F::kShift >= 0) {
      wasm_v128_store(u->q + 16 * g, wasm_i8x16_add(v, wasm_i8x16_splat(static_cast<int8_t>(1 << F::kShift))));
    } else {
      wasm_v128_store(u->q + 16 * g, v);
    }
    u->sc[g] = static_cast<int16_t>(scale);
  }
  void mins(v128_t lo, v128_t hi) {
    wasm_v128_store(u->mins, lo);
    wasm_v128_store(u->mins + 8, hi);
  }
  void scale(float d, float dmin) { u->d = d, u->dmin = dmin; }
};

template <class F>
[[gnu::always_inline]] inline void unpack(const uint8_t* p, Unpacked* u) {
  Sink<F> s{u};
  F::walk(p, s);
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
    if constexpr (F::kSplit) {  // sign bits: pair sums <= 256, two groups add in int16
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

inline v128_t min_partial(const Unpacked& u, const BlockQ8_K& y) {
  return wasm_i32x4_add(wasm_i32x4_dot_i16x8(wasm_v128_load(u.mins), wasm_v128_load(y.bsums)),
                        wasm_i32x4_dot_i16x8(wasm_v128_load(u.mins + 8), wasm_v128_load(y.bsums + 8)));
}

// NT activation rows, four super-blocks per step: their integer partial sums are reduced together
// (one transposed sum) and scaled in f32x4 lanes, blocks past the row's end masked by zero scales.
template <class F, int NT>
void dot_nt(int64_t n, const uint8_t* w, const uint8_t* a, uint64_t a_stride, float* out) {
  const int64_t nb = n / 256;
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f32x4_splat(0.0f);
  Unpacked u;
  for (int64_t b0 = 0; b0 < nb; b0 += 4) {
    const int kb = nb - b0 < 4 ? static_cast<int>(nb - b0) : 4;
    v128_t part[NT][4], mpart[NT][4];
    alignas(16) float dw[4] = {0, 0, 0, 0}, dm[4] = {0, 0, 0, 0}, da[NT][4];
    for (int k = 0; k < 4; ++k) {
      if (k < kb) {
        unpack<F>(w + (b0 + k) * F::kW, &u);
        dw[k] = u.d, dm[k] = u.dmin;
      }
      for (int t = 0; t < NT; ++t) {
        if (k >= kb) {
          part[t][k] = mpart[t][k] = wasm_i32x4_splat(0);
          da[t][k] = 0.0f;
          continue;
        }
        const auto& y = reinterpret_cast<const BlockQ8_K*>(a + t * a_stride)[b0 + k];
        part[t][k] = block_partial<F>(u, y);
        if constexpr (F::kMin) mpart[t][k] = min_partial(u, y);
        da[t][k] = y.d;
      }
    }
    const v128_t dwv = wasm_v128_load(dw), dmv = wasm_v128_load(dm);
    for (int t = 0; t < NT; ++t) {
      const v128_t dat = wasm_v128_load(da[t]);
      const v128_t tot = simd128::hsum4_i32(part[t][0], part[t][1], part[t][2], part[t][3]);
      v128_t term = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(tot), wasm_f32x4_mul(dwv, dat));
      if constexpr (F::kMin) {
        const v128_t ms = simd128::hsum4_i32(mpart[t][0], mpart[t][1], mpart[t][2], mpart[t][3]);
        term = wasm_f32x4_sub(term, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(ms), wasm_f32x4_mul(dmv, dat)));
      }
      acc[t] = wasm_f32x4_add(acc[t], term);
    }
  }
  for (int t = 0; t < NT; ++t) out[t] = simd128::hsum_f32(acc[t]);
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
  unpack<F>(static_cast<const uint8_t*>(w_block), &u);
  const auto& y = *static_cast<const BlockQ8_K*>(a_block);
  if (mins) *mins = F::kMin ? hsum_i32(min_partial(u, y)) : 0;
  return hsum_i32(block_partial<F>(u, y));
}

using fmt::IQ1M;
using fmt::IQ1S;
using fmt::IQ2S;
using fmt::IQ2XS;
using fmt::IQ2XXS;
using fmt::IQ3S;
using fmt::IQ3XXS;
using fmt::IQ4XS;
using fmt::Q2K;
using fmt::Q3K;
using fmt::Q4K;
using fmt::Q5K;
using fmt::Q6K;
using fmt::TQ1;
using fmt::TQ2;

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
CHORD_KQ(iq2_xxs_q8_K, IQ2XXS)
CHORD_KQ(iq2_xs_q8_K, IQ2XS)
CHORD_KQ(iq2_s_q8_K, IQ2S)
CHORD_KQ(iq3_xxs_q8_K, IQ3XXS)
CHORD_KQ(iq3_s_q8_K, IQ3S)
CHORD_KQ(iq1_s_q8_K, IQ1S)
CHORD_KQ(iq1_m_q8_K, IQ1M)
CHORD_KQ(tq1_0_q8_K, TQ1)
CHORD_KQ(tq2_0_q8_K, TQ2)
#undef CHORD_KQ

int32_t block_dot_q2_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q2K>(w, a, m); }
int32_t block_dot_q3_K_q8_K(const void* w, const void* a) noexcept { return block_int<Q3K>(w, a, nullptr); }
int32_t block_dot_q4_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q4K>(w, a, m); }
int32_t block_dot_q5_K_q8_K(const void* w, const void* a, int32_t* m) noexcept { return block_int<Q5K>(w, a, m); }
int32_t block_dot_q6_K_q8_K(const void* w, const void* a) noexcept { return block_int<Q6K>(w, a, nullptr); }
int32_t block_dot_iq4_xs_q8_K(const void* w, const void* a) noexcept { return block_int<IQ4XS>(w, a, nullptr); }

int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w, const void* a) noexcept {
  switch (t) {
    case GgmlType::IQ2_XXS:
      return block_int<IQ2XXS>(w, a, nullptr);
    case GgmlType::IQ2_XS:
      return block_int<IQ2XS>(w, a, nullptr);
    case GgmlType::IQ2_S:
      return block_int<IQ2S>(w, a, nullptr);
    case GgmlType::IQ3_XXS:
      return block_int<IQ3XXS>(w, a, nullptr);
    case GgmlType::IQ3_S:
      return block_int<IQ3S>(w, a, nullptr);
    case GgmlType::IQ1_S:
      return block_int<IQ1S>(w, a, nullptr);
    case GgmlType::IQ1_M:
      return block_int<IQ1M>(w, a, nullptr);
    case GgmlType::TQ1_0:
      return block_int<TQ1>(w, a, nullptr);
    case GgmlType::TQ2_0:
      return block_int<TQ2>(w, a, nullptr);
    default:
      return 0;
  }
}

}  // namespace chord::kernels::relaxed
