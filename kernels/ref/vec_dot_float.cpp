// Reference dot products of the plain float formats: f32.f32, f16.f16, bf16.bf16. As llama.cpp's
// scalar ggml_vec_dot_f32/_f16/_bf16: each product in f32, accumulated in double.
#include "core/quant/fp16.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels::ref {

float vec_dot_f32_f32(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

float vec_dot_f16_f16(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(quant::fp16_to_fp32(x[i]) * quant::fp16_to_fp32(y[i]));
  }
  return static_cast<float>(sum);
}

float vec_dot_bf16_bf16(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(quant::bf16_to_fp32(x[i]) * quant::bf16_to_fp32(y[i]));
  }
  return static_cast<float>(sum);
}

}  // namespace chord::kernels::ref
