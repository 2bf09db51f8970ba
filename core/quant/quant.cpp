// Dispatch of the reference row conversions on GgmlType (plain types converted here).
#include <cstring>

#include "core/common/status.h"
#include "core/quant/quant.h"
#include "core/quant/rows.h"

namespace chord::quant {

bool has_reference(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16:
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1:
    case GgmlType::Q8_0: case GgmlType::Q8_1:
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K:
    case GgmlType::Q6_K: case GgmlType::Q8_K:
      return true;
    default:
      return false;
  }
}

void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) noexcept {
  switch (t) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
      return;
    }
    case GgmlType::BF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
      return;
    }
    case GgmlType::Q4_0: return dequantize_row_q4_0(static_cast<const BlockQ4_0*>(src), dst, n);
    case GgmlType::Q4_1: return dequantize_row_q4_1(static_cast<const BlockQ4_1*>(src), dst, n);
    case GgmlType::Q5_0: return dequantize_row_q5_0(static_cast<const BlockQ5_0*>(src), dst, n);
    case GgmlType::Q5_1: return dequantize_row_q5_1(static_cast<const BlockQ5_1*>(src), dst, n);
    case GgmlType::Q8_0: return dequantize_row_q8_0(static_cast<const BlockQ8_0*>(src), dst, n);
    case GgmlType::Q8_1: return dequantize_row_q8_1(static_cast<const BlockQ8_1*>(src), dst, n);
    case GgmlType::Q2_K: return dequantize_row_q2_K(static_cast<const BlockQ2_K*>(src), dst, n);
    case GgmlType::Q3_K: return dequantize_row_q3_K(static_cast<const BlockQ3_K*>(src), dst, n);
    case GgmlType::Q4_K: return dequantize_row_q4_K(static_cast<const BlockQ4_K*>(src), dst, n);
    case GgmlType::Q5_K: return dequantize_row_q5_K(static_cast<const BlockQ5_K*>(src), dst, n);
    case GgmlType::Q6_K: return dequantize_row_q6_K(static_cast<const BlockQ6_K*>(src), dst, n);
    case GgmlType::Q8_K: return dequantize_row_q8_K(static_cast<const BlockQ8_K*>(src), dst, n);
    default:
      CHORD_CHECK(false && "dequantize_row: type without a reference implementation");
  }
}

void quantize_row(GgmlType t, const float* src, void* dst, int64_t n) noexcept {
  switch (t) {
    case GgmlType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
      return;
    }
    case GgmlType::BF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
      return;
    }
    case GgmlType::Q4_0: return quantize_row_q4_0(src, static_cast<BlockQ4_0*>(dst), n);
    case GgmlType::Q4_1: return quantize_row_q4_1(src, static_cast<BlockQ4_1*>(dst), n);
    case GgmlType::Q5_0: return quantize_row_q5_0(src, static_cast<BlockQ5_0*>(dst), n);
    case GgmlType::Q5_1: return quantize_row_q5_1(src, static_cast<BlockQ5_1*>(dst), n);
    case GgmlType::Q8_0: return quantize_row_q8_0(src, static_cast<BlockQ8_0*>(dst), n);
    case GgmlType::Q8_1: return quantize_row_q8_1(src, static_cast<BlockQ8_1*>(dst), n);
    case GgmlType::Q2_K: return quantize_row_q2_K(src, static_cast<BlockQ2_K*>(dst), n);
    case GgmlType::Q3_K: return quantize_row_q3_K(src, static_cast<BlockQ3_K*>(dst), n);
    case GgmlType::Q4_K: return quantize_row_q4_K(src, static_cast<BlockQ4_K*>(dst), n);
    case GgmlType::Q5_K: return quantize_row_q5_K(src, static_cast<BlockQ5_K*>(dst), n);
    case GgmlType::Q6_K: return quantize_row_q6_K(src, static_cast<BlockQ6_K*>(dst), n);
    case GgmlType::Q8_K: return quantize_row_q8_K(src, static_cast<BlockQ8_K*>(dst), n);
    default:
      CHORD_CHECK(false && "quantize_row: type without a reference implementation");
  }
}

}  // namespace chord::quant
