// Reference (scalar, portable) conversion between f32 and every supported block format, through
// the type-traits table (types.h). These are the spec the SIMD kernels are tested against.
#pragma once
#include <cstdint>

#include "core/common/status.h"
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/types.h"

namespace chord::quant {

// IEEE half <-> float, round-to-nearest-even (as ggml's GGML_FP32_TO_FP16 reference), and
// bfloat16 <-> float (round-to-nearest-even, NaN kept quiet, as ggml_compute_fp32_to_bf16):
// fp16_to_fp32, fp32_to_fp16, bf16_to_fp32, fp32_to_bf16 are defined inline in fp16.h.
// Per-type row functions (quantize_row_q4_0(const float*, BlockQ4_0*, n), ...) are in rows.h.

// True when dequantize_row and quantize_row both handle the type.
constexpr bool has_reference(GgmlType t) noexcept {
  const TypeInfo* ti = type_info(t);
  return ti && ti->to_float && ti->from_float;
}
// True when dequantize_row handles the type (every type we compute with; the grid I-quants have no
// quantizer).
constexpr bool has_dequant(GgmlType t) noexcept {
  const TypeInfo* ti = type_info(t);
  return ti && ti->to_float;
}

// n must be a multiple of the type's block size (callers check; violations are bugs).
inline void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) noexcept {
  CHORD_CHECK(has_dequant(t) && "dequantize_row: type without a reference dequantizer");
  type_info(t)->to_float(src, dst, n);
}
// Reference quantizer, matching llama.cpp's quantize_row_*_ref bit for bit.
inline void quantize_row(GgmlType t, const float* src, void* dst, int64_t n) noexcept {
  CHORD_CHECK(has_reference(t) && "quantize_row: type without a reference implementation");
  type_info(t)->from_float(src, dst, n);
}

}  // namespace chord::quant
