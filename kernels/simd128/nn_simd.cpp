// SIMD128 row operations of the transformer (see nn_simd.h). Rows whose length is not a multiple of
// the vector width: element-wise ops send the tail to the reference, softmax pads its last vector,
// rms_norm and attention with head sizes that are not a multiple of 8 (or over 256) use the
// reference for the whole row.
#include "kernels/simd128/nn_simd.h"

#include <algorithm>
#include <cmath>

#include "kernels/ref/nn_ref.h"
#include "kernels/simd128/simd128.h"
#include "kernels/simd128/simd_util.h"

namespace chord::kernels::simd128 {

// Range reduction x = n ln2 + r (|r| <= ln2/2, ln2 split so n * kLn2Hi is exact), Taylor series
// to r^7 (truncation < 6e-9 relative), then 2^n applied as two exact power-of-two multiplies so
// that n from -150 to 128 (subnormal results, overflow to inf) needs no special case.
v128_t exp_f32x4(v128_t x) noexcept {
  constexpr float kLog2e = 1.44269504088896341f, kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-104.0f)), wasm_f32x4_splat(89.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(kLog2e)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(kLn2Hi)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(kLn2Lo)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  const v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);
  const v128_t n1 = wasm_i32x4_shr(ni, 1), n2 = wasm_i32x4_sub(ni, n1);  // each in -75..64
  const v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  const v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
}

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) noexcept {
  if (n % 4 != 0) return ref::rms_norm(x, w, out, n, eps);
  // Squares in double as the reference (exact), summed in two f64x2 lanes pairs.
  v128_t a0 = wasm_f64x2_splat(0.0), a1 = a0;
  for (int64_t i = 0; i < n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t lo = wasm_f64x2_promote_low_f32x4(v),
                 hi = wasm_f64x2_promote_low_f32x4(wasm_i64x2_shuffle(v, v, 1, 1));
    a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(lo, lo));
    a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(hi, hi));
  }
  const double sum = hsum_f64(wasm_f64x2_add(a0, a1));
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
  const v128_t s = wasm_f32x4_splat(scale);
  for (int64_t i = 0; i < n; i += 4) {
    v128_t v = wasm_f32x4_mul(wasm_v128_load(x + i), s);
    if (w) v = wasm_f32x4_mul(v, wasm_v128_load(w + i));
    wasm_v128_store(out + i, v);
  }
}

void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox) noexcept {
  const int32_t half = n_rot / 2;
  int32_t i = 0;
  for (; i + 4 <= half; i += 4) {
    const v128_t c = wasm_v128_load(cos + i), s = wasm_v128_load(sin + i);
    if (neox) {  // pairs (i, i + half): two contiguous runs
      const v128_t x0 = wasm_v128_load(x + i), x1 = wasm_v128_load(x + i + half);
      wasm_v128_store(x + i, wasm_f32x4_sub(wasm_f32x4_mul(x0, c), wasm_f32x4_mul(x1, s)));
      wasm_v128_store(x + i + half, wasm_f32x4_add(wasm_f32x4_mul(x0, s), wasm_f32x4_mul(x1, c)));
    } else {  // pairs (2i, 2i + 1): de-interleave 8 floats into evens / odds, rotate, re-interleave
      const v128_t v0 = wasm_v128_load(x + 2 * i), v1 = wasm_v128_load(x + 2 * i + 4);
      const v128_t ev = wasm_i32x4_shuffle(v0, v1, 0, 2, 4, 6), od = wasm_i32x4_shuffle(v0, v1, 1, 3, 5, 7);
      const v128_t ne = wasm_f32x4_sub(wasm_f32x4_mul(ev, c), wasm_f32x4_mul(od, s));
      const v128_t no = wasm_f32x4_add(wasm_f32x4_mul(ev, s), wasm_f32x4_mul(od, c));
      wasm_v128_store(x + 2 * i, wasm_i32x4_shuffle(ne, no, 0, 4, 1, 5));
      wasm_v128_store(x + 2 * i + 4, wasm_i32x4_shuffle(ne, no, 2, 6, 3, 7));
    }
  }
  if (i < half) ref::rope_pairs(x, cos, sin, n_rot, neox, i, half);
}

void softmax(float* x, int64_t n) noexcept {
  // The last n % 4 elements go through the same vector code in a padded vector whose extra lanes
  // are -inf for the max and masked to 0 for the sum and the store.
  const int64_t n4 = n & ~int64_t{3};
  const int rem = static_cast<int>(n - n4);
  alignas(16) float tail[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  for (int i = 0; i < rem; ++i) tail[i] = x[n4 + i];
  const v128_t live = wasm_i32x4_gt(wasm_i32x4_splat(rem), wasm_i32x4_make(0, 1, 2, 3));
  v128_t mx = wasm_f32x4_splat(-INFINITY);
  for (int64_t i = 0; i < n4; i += 4) mx = wasm_f32x4_pmax(mx, wasm_v128_load(x + i));
  if (rem) mx = wasm_f32x4_pmax(mx, wasm_v128_load(tail));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 2, 3, 0, 1));
  mx = wasm_f32x4_pmax(mx, wasm_i32x4_shuffle(mx, mx, 1, 0, 3, 2));
  v128_t sum = wasm_f64x2_splat(0.0);
  for (int64_t i = 0; i < n4; i += 4) {
    const v128_t e = exp_f32x4(wasm_f32x4_sub(wasm_v128_load(x + i), mx));
    wasm_v128_store(x + i, e);
    sum = add_f32x4_to_f64(sum, e);
  }
  v128_t te = wasm_f32x4_splat(0.0f);
  if (rem) {
    te = wasm_v128_and(exp_f32x4(wasm_f32x4_sub(wasm_v128_load(tail), mx)), live);
    sum = add_f32x4_to_f64(sum, te);
  }
  const v128_t inv = wasm_f32x4_splat(static_cast<float>(1.0 / hsum_f64(sum)));
  for (int64_t i = 0; i < n4; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), inv));
  if (rem) {
    wasm_v128_store(tail, wasm_f32x4_mul(te, inv));
    for (int i = 0; i < rem; ++i) x[n4 + i] = tail[i];
  }
}

void silu_mul(float* gate, const float* up, int64_t n) noexcept {
  int64_t i = 0;
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    const v128_t g = wasm_v128_load(gate + i);
    const v128_t sg = wasm_f32x4_div(g, wasm_f32x4_add(one, exp_f32x4(wasm_f32x4_neg(g))));
    wasm_v128_store(gate + i, wasm_f32x4_mul(sg, wasm_v128_load(up + i)));
  }
  if (i < n) ref::silu_mul(gate + i, up + i, n - i);
}

namespace {
// Four floats rounded to f16 and widened back (quant::fp32_to_fp16's rounding).
inline v128_t round_f16x4(v128_t x) {
  const v128_t h = f32x4_to_f16(x);  // halves in the low 16 bits of i32 lanes
  return f16x8_lo(pack_u16(h, h));
}
}  // namespace

// 0.5 h (1 + tanh t) is computed as h / (1 + e^(-2t)) (the same value without tanh's cancellation
// near -1); both the input and the GELU are rounded to f16 as the reference's table.
void gelu_mul(float* gate, const float* up, int64_t n) noexcept {
  constexpr float kGeluCoefA = 0.044715f, kSqrt2OverPi = 0.79788456080286535587989211986876f;
  const v128_t one = wasm_f32x4_splat(1.0f), lo = wasm_f32x4_splat(-10.0f), hi = wasm_f32x4_splat(10.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t x = wasm_v128_load(gate + i), u = wasm_v128_load(up + i);
    const v128_t h = round_f16x4(x);
    const v128_t t =
        wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_splat(kSqrt2OverPi), h),
                       wasm_f32x4_add(one, wasm_f32x4_mul(wasm_f32x4_splat(kGeluCoefA), wasm_f32x4_mul(h, h))));
    const v128_t e = exp_f32x4(wasm_f32x4_mul(wasm_f32x4_splat(-2.0f), t));
    const v128_t g = round_f16x4(wasm_f32x4_div(h, wasm_f32x4_add(one, e)));
    v128_t y = wasm_f32x4_mul(g, u);
    y = wasm_v128_bitselect(wasm_f32x4_mul(x, u), y, wasm_f32x4_ge(x, hi));
    y = wasm_v128_andnot(y, wasm_f32x4_le(x, lo));
    wasm_v128_store(gate + i, y);
  }
  if (i < n) ref::gelu_mul(gate + i, up + i, n - i);
}

// tanh(y) = sign(y) (1 - e) / (1 + e) with e = e^(-2|y|): within a few ulp of 1 absolutely.
void softcap(float* x, int64_t n, float cap) noexcept {
  const v128_t inv = wasm_f32x4_splat(1.0f / cap), c = wasm_f32x4_splat(cap), one = wasm_f32x4_splat(1.0f);
  const v128_t sign_bit = wasm_i32x4_splat(static_cast<int32_t>(0x80000000u));
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t y = wasm_f32x4_mul(wasm_v128_load(x + i), inv);
    const v128_t e = exp_f32x4(wasm_f32x4_mul(wasm_f32x4_splat(-2.0f), wasm_f32x4_abs(y)));
    const v128_t t = wasm_f32x4_div(wasm_f32x4_sub(one, e), wasm_f32x4_add(one, e));
    const v128_t signed_t = wasm_v128_or(t, wasm_v128_and(y, sign_bit));
    wasm_v128_store(x + i, wasm_f32x4_mul(signed_t, c));
  }
  if (i < n) ref::softcap(x + i, n - i, cap);
}

void scale(float* x, float s, int64_t n) noexcept {
  int64_t i = 0;
  const v128_t v = wasm_f32x4_splat(s);
  for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), v));
  if (i < n) ref::scale(x + i, s, n - i);
}

void add(float* y, const float* x, int64_t n) noexcept {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
  if (i < n) ref::add(y + i, x + i, n - i);
}

void f32_to_f16(const float* x, uint16_t* y, int64_t n) noexcept { from_float_f16(x, y, n); }

namespace {

// Eight cached elements at p as two f32x4.
inline void load8(const float* p, v128_t* lo, v128_t* hi) {
  *lo = wasm_v128_load(p);
  *hi = wasm_v128_load(p + 4);
}
inline void load8(const uint16_t* p, v128_t* lo, v128_t* hi) {
  const v128_t h = wasm_v128_load(p);
  *lo = f16x8_lo(h);
  *hi = f16x8_hi(h);
}

constexpr int32_t kMaxGroupDim = 256, kMaxGroupHeads = 16;

// Over an f16 cache, q and the probabilities are rounded to f16 (see kernels/nn.h): n % 4 == 0.
template <class T>
inline void round_for_cache(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    if (sizeof(T) == 2) {
      const v128_t h = f32x4_to_f16(v);  // halves in the low 16 bits of i32 lanes
      wasm_v128_store(y + i, f16x8_lo(pack_u16(h, h)));
    } else {
      wasm_v128_store(y + i, v);
    }
  }
}

template <class T>
inline void round_probs(float* p, int64_t n) {
  if (sizeof(T) != 2) return;
  const int64_t n4 = n & ~int64_t{3};
  round_for_cache<T>(p, p, n4);
  alignas(16) float tail[4] = {0, 0, 0, 0};
  for (int64_t i = n4; i < n; ++i) tail[i - n4] = p[i];
  round_for_cache<T>(tail, tail, 4);
  for (int64_t i = n4; i < n; ++i) p[i] = tail[i - n4];
}

// head_dim is a multiple of 8, at most kMaxGroupDim. The weighted sum over V runs in chunks of up
// to 32 dimensions kept in registers; each output element is the reference's sequential sum over
// positions.
template <class T>
void attend(const float* q, const T* k, int64_t k_stride, const T* v, int64_t v_stride, int64_t n_kv, int32_t head_dim,
            float scale, float* scores, float* out) {
  alignas(16) float qr[kMaxGroupDim];
  round_for_cache<T>(q, qr, head_dim);
  q = qr;
  for (int64_t j = 0; j < n_kv; ++j) {
    const T* kj = k + j * k_stride;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
    for (int32_t d = 0; d < head_dim; d += 8) {
      v128_t lo, hi;
      load8(kj + d, &lo, &hi);
      s0 = madd_f32(wasm_v128_load(q + d), lo, s0);
      s1 = madd_f32(wasm_v128_load(q + d + 4), hi, s1);
    }
    scores[j] = hsum_f32(wasm_f32x4_add(s0, s1)) * scale;
  }
  softmax(scores, n_kv);
  round_probs<T>(scores, n_kv);
  for (int32_t d0 = 0; d0 < head_dim; d0 += 32) {
    const int32_t nv = (head_dim - d0 >= 32 ? 32 : head_dim - d0) / 8;  // 8-element groups in this chunk
    v128_t acc[8];
    for (int g = 0; g < 8; ++g) acc[g] = wasm_f32x4_splat(0.0f);
    for (int64_t j = 0; j < n_kv; ++j) {
      const v128_t p = wasm_f32x4_splat(scores[j]);
      const T* vj = v + j * v_stride + d0;
      for (int g = 0; g < nv; ++g) {
        v128_t lo, hi;
        load8(vj + 8 * g, &lo, &hi);
        acc[2 * g] = madd_f32(p, lo, acc[2 * g]);
        acc[2 * g + 1] = madd_f32(p, hi, acc[2 * g + 1]);
      }
    }
    for (int g = 0; g < 2 * nv; ++g) wasm_v128_store(out + d0 + 4 * g, acc[g]);
  }
}

// A cache row as f32: f32 rows are used in place, f16 rows widened into buf.
inline const float* widen(const float* src, float*, int32_t) { return src; }
inline const float* widen(const uint16_t* src, float* buf, int32_t hd) {
  for (int32_t d = 0; d < hd; d += 8) {
    const v128_t h = wasm_v128_load(src + d);
    wasm_v128_store(buf + d, f16x8_lo(h));
    wasm_v128_store(buf + d + 4, f16x8_hi(h));
  }
  return buf;
}

// head_dim a multiple of 8, at most kMaxGroupDim. Cache rows are widened once per position for
// all n_q heads; scores four positions at a time (one transposed sum), the weighted sum four
// positions per pass over each output row, adding them one after the other (the reference's order).
template <class T>
void attend_group(const float* q, int64_t q_stride, int32_t n_q, const T* k, int64_t k_stride, const T* v,
                  int64_t v_stride, int64_t n_kv, int32_t hd, float scale, float cap, float* scores, float* out,
                  int64_t out_stride) {
  if (n_q > kMaxGroupHeads) {  // in runs of kMaxGroupHeads heads (the q buffer's size)
    for (int32_t h = 0; h < n_q; h += kMaxGroupHeads)
      attend_group(q + h * q_stride, q_stride, std::min(kMaxGroupHeads, n_q - h), k, k_stride, v, v_stride, n_kv, hd,
                   scale, cap, scores + h * n_kv, out + h * out_stride, out_stride);
    return;
  }
  alignas(16) float qr[kMaxGroupHeads * kMaxGroupDim];
  for (int32_t h = 0; h < n_q; ++h) round_for_cache<T>(q + h * q_stride, qr + h * hd, hd);
  q = qr;
  q_stride = hd;
  alignas(16) float buf[4][kMaxGroupDim];
  const v128_t sc = wasm_f32x4_splat(scale);
  int64_t j = 0;
  for (; j + 4 <= n_kv; j += 4) {
    const float* r[4];
    for (int i = 0; i < 4; ++i) r[i] = widen(k + (j + i) * k_stride, buf[i], hd);
    for (int32_t h = 0; h < n_q; ++h) {
      const float* qh = q + h * q_stride;
      v128_t a[4];
      for (int i = 0; i < 4; ++i) a[i] = wasm_f32x4_splat(0.0f);
      for (int32_t d = 0; d < hd; d += 4) {
        const v128_t qv = wasm_v128_load(qh + d);
        for (int i = 0; i < 4; ++i) a[i] = madd_f32(qv, wasm_v128_load(r[i] + d), a[i]);
      }
      wasm_v128_store(scores + h * n_kv + j, wasm_f32x4_mul(hsum4_f32(a[0], a[1], a[2], a[3]), sc));
    }
  }
  for (; j < n_kv; ++j) {
    const float* r = widen(k + j * k_stride, buf[0], hd);
    for (int32_t h = 0; h < n_q; ++h) {
      v128_t a = wasm_f32x4_splat(0.0f);
      for (int32_t d = 0; d < hd; d += 4) a = madd_f32(wasm_v128_load(q + h * q_stride + d), wasm_v128_load(r + d), a);
      scores[h * n_kv + j] = hsum_f32(a) * scale;
    }
  }
  for (int32_t h = 0; h < n_q; ++h) {
    if (cap > 0) softcap(scores + h * n_kv, n_kv, cap);
    softmax(scores + h * n_kv, n_kv);
    round_probs<T>(scores + h * n_kv, n_kv);
    for (int32_t d = 0; d < hd; d += 4) wasm_v128_store(out + h * out_stride + d, wasm_f32x4_splat(0.0f));
  }
  for (j = 0; j < n_kv;) {
    const int m = n_kv - j >= 4 ? 4 : 1;
    const float* r[4];
    for (int i = 0; i < m; ++i) r[i] = widen(v + (j + i) * v_stride, buf[i], hd);
    for (int32_t h = 0; h < n_q; ++h) {
      float* oh = out + h * out_stride;
      v128_t p[4];
      for (int i = 0; i < m; ++i) p[i] = wasm_f32x4_splat(scores[h * n_kv + j + i]);
      for (int32_t d = 0; d < hd; d += 4) {
        v128_t o = wasm_v128_load(oh + d);
        for (int i = 0; i < m; ++i) o = madd_f32(p[i], wasm_v128_load(r[i] + d), o);
        wasm_v128_store(oh + d, o);
      }
    }
    j += m;
  }
}

}  // namespace

void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride) noexcept {
  if (head_dim % 8 != 0 || head_dim > kMaxGroupDim)
    return ref::attend_group_f16(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores,
                                 out, out_stride);
  attend_group(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores, out, out_stride);
}

void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride) noexcept {
  if (head_dim % 8 != 0 || head_dim > kMaxGroupDim)
    return ref::attend_group_f32(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores,
                                 out, out_stride);
  attend_group(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores, out, out_stride);
}

void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept {
  if (head_dim % 8 != 0 || head_dim > kMaxGroupDim)
    return ref::attend_f16(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
  attend(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
}

void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept {
  if (head_dim % 8 != 0 || head_dim > kMaxGroupDim)
    return ref::attend_f32(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
  attend(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
}

}  // namespace chord::kernels::simd128
