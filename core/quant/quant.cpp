// Reference row conversions of the plain types (f32, f16, bf16); the block formats are in
// quant_legacy.cpp, quant_k.cpp and dequant_k.cpp.
#include <cstring>

#include "core/quant/fp16.h"
#include "core/quant/rows.h"

namespace chord::quant {

void quantize_row_f32(const float* x, float* y, int64_t n) noexcept {
  std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}
void dequantize_row_f32(const float* x, float* y, int64_t n) noexcept {
  std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}
void quantize_row_f16(const float* x, uint16_t* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_fp16(x[i]);
}
void dequantize_row_f16(const uint16_t* x, float* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(x[i]);
}
void quantize_row_bf16(const float* x, uint16_t* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] = fp32_to_bf16(x[i]);
}
void dequantize_row_bf16(const uint16_t* x, float* y, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(x[i]);
}

}  // namespace chord::quant
