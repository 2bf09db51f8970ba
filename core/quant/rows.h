// Typed reference row conversions, one pair per format (the type-traits table in types.h points
// at them by GgmlType).
// quantize_row_* reproduce llama.cpp's quantize_row_*_ref bit for bit; dequantize_row_* its
// dequantize_row_*. n is the element count and must be a multiple of the block size.
#pragma once
#include <cstdint>

#include "core/quant/blocks.h"

namespace chord::quant {

// Plain types (quant.cpp): f32 copy, IEEE half and bfloat16 per element (fp16.h).
void quantize_row_f32(const float* x, float* y, int64_t n) noexcept;
void quantize_row_f16(const float* x, uint16_t* y, int64_t n) noexcept;
void quantize_row_bf16(const float* x, uint16_t* y, int64_t n) noexcept;
void dequantize_row_f32(const float* x, float* y, int64_t n) noexcept;
void dequantize_row_f16(const uint16_t* x, float* y, int64_t n) noexcept;
void dequantize_row_bf16(const uint16_t* x, float* y, int64_t n) noexcept;

// Legacy 32-element blocks (quant_legacy.cpp).
void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n) noexcept;
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n) noexcept;
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n) noexcept;
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n) noexcept;
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n) noexcept;
void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n) noexcept;
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n) noexcept;
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n) noexcept;
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n) noexcept;
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n) noexcept;
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n) noexcept;
void dequantize_row_q8_1(const BlockQ8_1* x, float* y, int64_t n) noexcept;

// K-quants, 256-element super-blocks (quant_k.cpp, dequant_k.cpp).
void quantize_row_q2_K(const float* x, BlockQ2_K* y, int64_t n) noexcept;
void quantize_row_q3_K(const float* x, BlockQ3_K* y, int64_t n) noexcept;
void quantize_row_q4_K(const float* x, BlockQ4_K* y, int64_t n) noexcept;
void quantize_row_q5_K(const float* x, BlockQ5_K* y, int64_t n) noexcept;
void quantize_row_q6_K(const float* x, BlockQ6_K* y, int64_t n) noexcept;
void quantize_row_q8_K(const float* x, BlockQ8_K* y, int64_t n) noexcept;
void dequantize_row_q2_K(const BlockQ2_K* x, float* y, int64_t n) noexcept;
void dequantize_row_q3_K(const BlockQ3_K* x, float* y, int64_t n) noexcept;
void dequantize_row_q4_K(const BlockQ4_K* x, float* y, int64_t n) noexcept;
void dequantize_row_q5_K(const BlockQ5_K* x, float* y, int64_t n) noexcept;
void dequantize_row_q6_K(const BlockQ6_K* x, float* y, int64_t n) noexcept;
void dequantize_row_q8_K(const BlockQ8_K* x, float* y, int64_t n) noexcept;

// Non-linear 4-bit I-quants (quant_iq4.cpp): quantizers search per-32 scales as llama.cpp's
// quantize_row_iq4_nl_impl does without an importance matrix.
void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, int64_t n) noexcept;
void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, int64_t n) noexcept;
void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, int64_t n) noexcept;
void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, int64_t n) noexcept;

// Grid I-quants and ternary types (dequant_iq.cpp): dequantization only (no quantizer here; see random_row_iq).
void dequantize_row_iq2_xxs(const BlockIQ2_XXS* x, float* y, int64_t n) noexcept;
void dequantize_row_iq2_xs(const BlockIQ2_XS* x, float* y, int64_t n) noexcept;
void dequantize_row_iq2_s(const BlockIQ2_S* x, float* y, int64_t n) noexcept;
void dequantize_row_iq3_xxs(const BlockIQ3_XXS* x, float* y, int64_t n) noexcept;
void dequantize_row_iq3_s(const BlockIQ3_S* x, float* y, int64_t n) noexcept;
void dequantize_row_iq1_s(const BlockIQ1_S* x, float* y, int64_t n) noexcept;
void dequantize_row_iq1_m(const BlockIQ1_M* x, float* y, int64_t n) noexcept;
void dequantize_row_tq1_0(const BlockTQ1_0* x, float* y, int64_t n) noexcept;
void dequantize_row_tq2_0(const BlockTQ2_0* x, float* y, int64_t n) noexcept;

// Q4_K / Q5_K: unpack the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes
// (llama.cpp's get_scale_min_k4 layout: j < 4 in the low 6 bits of bytes j and j + 4; j >= 4
// split between the nibbles of byte j + 4 and the top 2 bits of bytes j - 4 and j).
inline void scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) noexcept {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q3_K: the 16 signed scales (-32..31) from the 12 packed bytes: scale j has its low 4 bits in
// byte j (j < 8, low nibble) or byte j - 8 (high nibble), and its high 2 bits in byte 8 + j % 4
// at bit 2 * (j / 4).
inline void unpack_q3_k_scales(const uint8_t* packed, int8_t* out) noexcept {
  for (int j = 0; j < 16; ++j) {
    const int lo = j < 8 ? (packed[j] & 0xF) : (packed[j - 8] >> 4);
    const int hi = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = static_cast<int8_t>((lo | (hi << 4)) - 32);
  }
}

}  // namespace chord::quant
