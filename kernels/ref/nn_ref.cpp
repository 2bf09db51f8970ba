// Scalar reference implementations of the transformer's row operations (see kernels/nn.h).
// Sums are accumulated in double where ggml does (rms_norm, softmax) to stay close to llama.cpp.
#include "kernels/ref/nn_ref.h"

#include <cmath>

#include "core/quant/fp16.h"

namespace chord::kernels::ref {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) noexcept {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
  if (w) {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  }
}

void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps) noexcept {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  double sum2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float c = x[i] - mean;
    sum2 += static_cast<double>(c) * c;
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum2 / static_cast<double>(n)) + eps);
  for (int64_t i = 0; i < n; ++i) {
    float y = (x[i] - mean) * scale;
    if (w) y *= w[i];
    if (b) y += b[i];
    out[i] = y;
  }
}

void rope_angles(int32_t pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors, float* cos,
                 float* sin) noexcept {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(n_rot));
  float theta = static_cast<float>(pos) * freq_scale;
  for (int32_t i = 0; i < n_rot / 2; ++i) {
    const float t = freq_factors ? theta / freq_factors[i] : theta;
    cos[i] = std::cos(t);
    sin[i] = std::sin(t);
    theta *= theta_scale;  // as ggml: repeated multiplication, not pow per dimension
  }
}

void rope_pairs(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox, int32_t i0,
                int32_t i1) noexcept {
  const int32_t half = n_rot / 2;
  for (int32_t i = i0; i < i1; ++i) {
    const int32_t a = neox ? i : 2 * i;
    const int32_t b = neox ? i + half : 2 * i + 1;
    const float x0 = x[a], x1 = x[b];
    x[a] = x0 * cos[i] - x1 * sin[i];
    x[b] = x0 * sin[i] + x1 * cos[i];
  }
}

void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox) noexcept {
  rope_pairs(x, cos, sin, n_rot, neox, 0, n_rot / 2);
}

void softmax(float* x, int64_t n) noexcept {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void silu_mul(float* gate, const float* up, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// ggml's GELU constants (ggml-cpu/vec.h): sqrt(2/pi) and the cubic coefficient of the tanh form.
constexpr float kGeluCoefA = 0.044715f, kSqrt2OverPi = 0.79788456080286535587989211986876f;

// GELU of one value as llama.cpp's CPU table gives it: 0 at <= -10, x at >= 10, else the f16-rounded
// input's GELU (tanh form, f32) rounded to f16.
inline float gelu_table(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  const float h = quant::fp16_to_fp32(quant::fp32_to_fp16(x));
  const float g = 0.5f * h * (1.0f + std::tanh(kSqrt2OverPi * h * (1.0f + kGeluCoefA * h * h)));
  return quant::fp16_to_fp32(quant::fp32_to_fp16(g));
}

void gelu_mul(float* gate, const float* up, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) gate[i] = gelu_table(gate[i]) * up[i];
}

void gelu(float* x, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) x[i] = gelu_table(x[i]);
}

void softcap(float* x, int64_t n, float cap) noexcept {
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

void scale(float* x, float s, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void add(float* y, const float* x, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void f32_to_f16(const float* x, uint16_t* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] = quant::fp32_to_fp16(x[i]);
}

namespace {
inline float round_f16(float x) { return quant::fp16_to_fp32(quant::fp32_to_fp16(x)); }

// Scores, softmax, weighted sum; `load` widens one cached element to f32. Over an f16 cache q and
// the probabilities are rounded to f16 first, as llama.cpp's f16 matrix products convert their f32
// operand to the cache's type (the products of two halves are then exact in f32).
template <class T, class Load>
void attend(const float* q, const T* k, int64_t k_stride, const T* v, int64_t v_stride, int64_t n_kv, int32_t head_dim,
            float scale, float cap, float* scores, float* out, Load load) {
  constexpr bool kHalf = sizeof(T) == 2;
  for (int64_t j = 0; j < n_kv; ++j) {
    const T* kj = k + j * k_stride;
    float s = 0;
    for (int32_t d = 0; d < head_dim; ++d) s += (kHalf ? round_f16(q[d]) : q[d]) * load(kj[d]);
    scores[j] = s * scale;
  }
  if (cap > 0) softcap(scores, n_kv, cap);
  softmax(scores, n_kv);
  if (kHalf)
    for (int64_t j = 0; j < n_kv; ++j) scores[j] = round_f16(scores[j]);
  for (int32_t d = 0; d < head_dim; ++d) out[d] = 0;
  for (int64_t j = 0; j < n_kv; ++j) {
    const T* vj = v + j * v_stride;
    const float p = scores[j];
    for (int32_t d = 0; d < head_dim; ++d) out[d] += p * load(vj[d]);
  }
}
}  // namespace

void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept {
  attend(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, 0.0f, scores, out,
         [](uint16_t h) { return quant::fp16_to_fp32(h); });
}

void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept {
  attend(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, 0.0f, scores, out, [](float x) { return x; });
}

void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride) noexcept {
  for (int32_t h = 0; h < n_q; ++h)
    attend(q + h * q_stride, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores + h * n_kv,
           out + h * out_stride, [](uint16_t x) { return quant::fp16_to_fp32(x); });
}

void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride) noexcept {
  for (int32_t h = 0; h < n_q; ++h)
    attend(q + h * q_stride, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores + h * n_kv,
           out + h * out_stride, [](float x) { return x; });
}

}  // namespace chord::kernels::ref
