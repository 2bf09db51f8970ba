// wasm SIMD128 kernels (built only with CHORD_SIMD128): dot products per weight type with the same
// activation formats as the reference kernels, activation quantizers writing the reference bytes,
// and the per-block integer sums exposed so tests can compare them bit for bit with kernels/ref.
#pragma once
#include <cstdint>

#include "core/quant/types.h"

namespace chord::kernels::simd128 {

// Dot products of one weight row with n_act (1..4) activation rows a + t * a_stride (bytes):
// out[t] = vec_dot(n, w, a + t * a_stride). vec_dot_* below is the n_act = 1 case (bit-identical).
#define CHORD_SIMD_DOT(name)                                              \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept; \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
CHORD_SIMD_DOT(f32_f32)
CHORD_SIMD_DOT(f16_f16)
CHORD_SIMD_DOT(bf16_bf16)
CHORD_SIMD_DOT(q4_0_q8_0)
CHORD_SIMD_DOT(q4_1_q8_1)
CHORD_SIMD_DOT(q5_0_q8_0)
CHORD_SIMD_DOT(q5_1_q8_1)
CHORD_SIMD_DOT(q8_0_q8_0)
CHORD_SIMD_DOT(q2_K_q8_K)
CHORD_SIMD_DOT(q3_K_q8_K)
CHORD_SIMD_DOT(q4_K_q8_K)
CHORD_SIMD_DOT(q5_K_q8_K)
CHORD_SIMD_DOT(q6_K_q8_K)
CHORD_SIMD_DOT(iq4_nl_q8_0)
CHORD_SIMD_DOT(iq4_xs_q8_K)
CHORD_SIMD_DOT(iq2_xxs_q8_K)
CHORD_SIMD_DOT(iq2_xs_q8_K)
CHORD_SIMD_DOT(iq2_s_q8_K)
CHORD_SIMD_DOT(iq3_xxs_q8_K)
CHORD_SIMD_DOT(iq3_s_q8_K)
CHORD_SIMD_DOT(iq1_s_q8_K)
CHORD_SIMD_DOT(iq1_m_q8_K)
CHORD_SIMD_DOT(tq1_0_q8_K)
CHORD_SIMD_DOT(tq2_0_q8_K)
#undef CHORD_SIMD_DOT

// Packed-activation path of Q4_0/Q4_1/Q8_0 (TypeOps::pack / dot_packed, dot_packed.cpp):
// results identical to vec_dot_*.
uint64_t packed_bytes_q8_0(int64_t n) noexcept;
uint64_t packed_bytes_q8_1(int64_t n) noexcept;
void pack_q8_0(void* row, int64_t n) noexcept;
void pack_q8_1(void* row, int64_t n) noexcept;
void dot_packed_q4_0_q8_0(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
void dot_packed_q4_1_q8_1(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
void dot_packed_q8_0_q8_0(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
// Q4_K / Q5_K (dot_k.cpp): Q8_K rows packed to int16 (per 16 elements: evens, then odds).
uint64_t packed_bytes_q8_K(int64_t n) noexcept;
void pack_q8_K(void* row, int64_t n) noexcept;
void dot_packed_q4_K_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
void dot_packed_q5_K_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
// IQ4_XS on the same packed Q8_K rows (dot_k.cpp).
void dot_packed_iq4_xs_q8_K(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
// The grid I-quants and ternary types on the same packed Q8_K rows (dot_iq_grid.cpp).
#define CHORD_SIMD_PACKED(name) \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
CHORD_SIMD_PACKED(iq2_xxs_q8_K)
CHORD_SIMD_PACKED(iq2_xs_q8_K)
CHORD_SIMD_PACKED(iq2_s_q8_K)
CHORD_SIMD_PACKED(iq3_xxs_q8_K)
CHORD_SIMD_PACKED(iq3_s_q8_K)
CHORD_SIMD_PACKED(iq1_s_q8_K)
CHORD_SIMD_PACKED(iq1_m_q8_K)
CHORD_SIMD_PACKED(tq1_0_q8_K)
CHORD_SIMD_PACKED(tq2_0_q8_K)
#undef CHORD_SIMD_PACKED

// Integer parts of one block through the SIMD unpacking (same meaning as ref::block_dot_*).
int32_t block_dot_q4_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q4_1_q8_1(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q5_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q5_1_q8_1(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q8_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q2_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q3_K_q8_K(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q4_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q5_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q6_K_q8_K(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_iq4_nl_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_iq4_xs_q8_K(const void* w_block, const void* a_block) noexcept;
// Grid I-quants and ternary types: sum_e scale * q * q_a as ref::block_dot_iq_grid_q8_K; IQ1_S / IQ1_M fold the
// shift in: sum_e scale * (8 q + delta) * q_a = 8 sum + delta_sum.
int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w_block, const void* a_block) noexcept;

// Activation quantizers: the same bytes as quant::quantize_row_q8_0/_q8_1/_q8_K and
// fp32_to_fp16/bf16 per element (blocks with non-finite values go through the reference).
void from_float_q8_0(const float* x, void* y, int64_t n) noexcept;
void from_float_q8_1(const float* x, void* y, int64_t n) noexcept;
void from_float_q8_K(const float* x, void* y, int64_t n) noexcept;
void from_float_f16(const float* x, void* y, int64_t n) noexcept;
void from_float_bf16(const float* x, void* y, int64_t n) noexcept;

// f16 row -> f32 row (exact).
void f16_to_f32_row(const uint16_t* x, float* y, int64_t n) noexcept;

}  // namespace chord::kernels::simd128
