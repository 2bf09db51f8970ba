// Reference (scalar, portable) conversion between f32 and every supported block format.
// These are the spec the SIMD kernels are tested against; layouts are in blocks.h.
#pragma once
#include <cstdint>

#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/types.h"

namespace chord::quant {

// IEEE half <-> float, round-to-nearest-even (as ggml's GGML_FP32_TO_FP16 reference), and
// bfloat16 <-> float (round-to-nearest-even, NaN kept quiet, as ggml_compute_fp32_to_bf16):
// fp16_to_fp32, fp32_to_fp16, bf16_to_fp32, fp32_to_bf16 are defined inline in fp16.h.
// Per-type row functions (quantize_row_q4_0(const float*, BlockQ4_0*, n), ...) are in rows.h.

// True when dequantize_row/quantize_row handle the type
// (F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q2_K Q3_K Q4_K Q5_K Q6_K Q8_K).
bool has_reference(GgmlType t) noexcept;

// n must be a multiple of the type's block size (callers check; violations are bugs).
void dequantize_row(GgmlType t, const void* src, float* dst, int64_t n) noexcept;
// Reference quantizer, matching llama.cpp's quantize_row_*_ref bit for bit.
void quantize_row(GgmlType t, const float* src, void* dst, int64_t n) noexcept;

}  // namespace chord::quant
