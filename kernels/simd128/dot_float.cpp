// SIMD128 dot products of the float formats (F32.F32, F16.F16, BF16.BF16) for 1..4 activation rows.
// Products in f32 as the reference; each 16-element chunk is summed in f32 (depth 2 per lane), then
// widened and accumulated in f64, so the error stays within a few u of sum |w_i a_i|. Relaxed-SIMD
// builds fuse half the products into the adds (f32x4.relaxed_madd; fewer roundings, same bound).
#include "core/quant/fp16.h"
#include "kernels/ref/vec_dot.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128 {

namespace {

// Loads 16 elements of a row as four f32x4.
struct F32 {
  using T = float;
  static void load16(const float* p, v128_t* v) {
    for (int i = 0; i < 4; ++i) v[i] = wasm_v128_load(p + 4 * i);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_f32_f32(n, w, a); }
};
struct F16 {
  using T = uint16_t;
  static void load16(const uint16_t* p, v128_t* v) {
    const v128_t h0 = wasm_v128_load(p), h1 = wasm_v128_load(p + 8);
    v[0] = f16x8_lo(h0), v[1] = f16x8_hi(h0), v[2] = f16x8_lo(h1), v[3] = f16x8_hi(h1);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_f16_f16(n, w, a); }
};
struct BF16 {
  using T = uint16_t;
  static void load16(const uint16_t* p, v128_t* v) {
    const v128_t h0 = wasm_v128_load(p), h1 = wasm_v128_load(p + 8);
    v[0] = bf16x8_lo(h0), v[1] = bf16x8_hi(h0), v[2] = bf16x8_lo(h1), v[3] = bf16x8_hi(h1);
  }
  static float ref(int64_t n, const void* w, const void* a) { return ref::vec_dot_bf16_bf16(n, w, a); }
};

template <class F, int NT>
void dot_nt(int64_t n, const typename F::T* w, const uint8_t* a, uint64_t a_stride, float* out) {
  using T = typename F::T;
  const int64_t n16 = n & ~int64_t{15};
  v128_t acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = wasm_f64x2_splat(0.0);
  for (int64_t i = 0; i < n16; i += 16) {
    v128_t wv[4];
    F::load16(w + i, wv);
    for (int t = 0; t < NT; ++t) {
      v128_t av[4];
      F::load16(reinterpret_cast<const T*>(a + t * a_stride) + i, av);
      // (w0 a0 + w1 a1) + (w2 a2 + w3 a3); with relaxed SIMD the second product of each pair fused.
      const v128_t s = wasm_f32x4_add(madd_f32(wv[1], av[1], wasm_f32x4_mul(wv[0], av[0])),
                                      madd_f32(wv[3], av[3], wasm_f32x4_mul(wv[2], av[2])));
      acc[t] = add_f32x4_to_f64(acc[t], s);
    }
  }
  for (int t = 0; t < NT; ++t) {
    double s = hsum_f64(acc[t]);
    if (n16 < n) s += F::ref(n - n16, w + n16, reinterpret_cast<const T*>(a + t * a_stride) + n16);
    out[t] = static_cast<float>(s);
  }
}

template <class F>
void dot_multi(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) {
  const auto* wp = static_cast<const typename F::T*>(w);
  for_row_tiles(a, a_stride, n_act, out,
                [&]<int NT>(const uint8_t* ap, float* o) { dot_nt<F, NT>(n, wp, ap, a_stride, o); });
}

}  // namespace

#define CHORD_FLOAT_DOT(name, F)                                                                   \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept {                         \
    float r;                                                                                       \
    dot_nt<F, 1>(n, static_cast<const F::T*>(w), static_cast<const uint8_t*>(a), 0, &r);           \
    return r;                                                                                      \
  }                                                                                                \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, \
                            float* out) noexcept {                                                 \
    dot_multi<F>(n, w, a, a_stride, n_act, out);                                                   \
  }
CHORD_FLOAT_DOT(f32_f32, F32)
CHORD_FLOAT_DOT(f16_f16, F16)
CHORD_FLOAT_DOT(bf16_bf16, BF16)
#undef CHORD_FLOAT_DOT

}  // namespace chord::kernels::simd128
