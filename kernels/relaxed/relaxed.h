// Relaxed-SIMD kernels (built only with CHORD_RELAXED_SIMD, on top of the SIMD128 ones): quantized
// dot products on i16x8.relaxed_dot_i8x16_i7x16_s / i32x4.relaxed_dot_i8x16_i7x16_add_s, which
// multiply int8 activations by 7-bit weights 16 at a time. The 7-bit operand is kept in 0..127
// everywhere (x64 engines read a set top bit as unsigned): unsigned quants go there as they are,
// offsets (Q4_0's -8, Q6_K's -32, ...) are applied through per-block activation sums, and signed
// 8-bit weights (Q8_0, the IQ4 codebook) are split into their low 7 bits and their sign bit.
// Pair sums stay inside int16 (|a| <= 128, w <= 127: 2 * 128 * 127 < 32768), so the relaxed
// instructions never saturate and every integer sum is exact, as in the reference.
#pragma once
#include <cstdint>

#include "core/quant/types.h"

namespace chord::kernels::relaxed {

#define CHORD_RELAXED_DOT(name)                                           \
  float vec_dot_##name(int64_t n, const void* w, const void* a) noexcept; \
  void vec_dot_multi_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
CHORD_RELAXED_DOT(q4_0_q8_0)
CHORD_RELAXED_DOT(q4_1_q8_1)
CHORD_RELAXED_DOT(q5_0_q8_0)
CHORD_RELAXED_DOT(q5_1_q8_1)
CHORD_RELAXED_DOT(q8_0_q8_0)
CHORD_RELAXED_DOT(iq4_nl_q8_0)
CHORD_RELAXED_DOT(q2_K_q8_K)
CHORD_RELAXED_DOT(q3_K_q8_K)
CHORD_RELAXED_DOT(q4_K_q8_K)
CHORD_RELAXED_DOT(q5_K_q8_K)
CHORD_RELAXED_DOT(q6_K_q8_K)
CHORD_RELAXED_DOT(iq4_xs_q8_K)
CHORD_RELAXED_DOT(iq2_xxs_q8_K)
CHORD_RELAXED_DOT(iq2_xs_q8_K)
CHORD_RELAXED_DOT(iq2_s_q8_K)
CHORD_RELAXED_DOT(iq3_xxs_q8_K)
CHORD_RELAXED_DOT(iq3_s_q8_K)
CHORD_RELAXED_DOT(iq1_s_q8_K)
CHORD_RELAXED_DOT(iq1_m_q8_K)
CHORD_RELAXED_DOT(tq1_0_q8_K)
CHORD_RELAXED_DOT(tq2_0_q8_K)
#undef CHORD_RELAXED_DOT

// Packed Q8_0 / Q8_1 rows for the 32-element formats (dot_legacy.cpp): the raw blocks, then at
// align16 the f32 scales and per block either int32 sum(q) (Q8_0) or f32 s (Q8_1).
uint64_t packed_bytes_q8_0(int64_t n) noexcept;
uint64_t packed_bytes_q8_1(int64_t n) noexcept;
void pack_q8_0(void* row, int64_t n) noexcept;
void pack_q8_1(void* row, int64_t n) noexcept;
#define CHORD_RELAXED_PACKED(name) \
  void dot_packed_##name(int64_t n, const void* w, const void* a, uint64_t a_stride, int n_act, float* out) noexcept;
CHORD_RELAXED_PACKED(q4_0_q8_0)
CHORD_RELAXED_PACKED(q4_1_q8_1)
CHORD_RELAXED_PACKED(q5_0_q8_0)
CHORD_RELAXED_PACKED(q5_1_q8_1)
CHORD_RELAXED_PACKED(q8_0_q8_0)
CHORD_RELAXED_PACKED(iq4_nl_q8_0)
#undef CHORD_RELAXED_PACKED

// Integer parts of one block (same meaning as ref::block_dot_*), for the bit-exactness tests.
int32_t block_dot_q4_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q4_1_q8_1(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q5_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q5_1_q8_1(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q8_0_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_iq4_nl_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q2_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q3_K_q8_K(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_q4_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q5_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept;
int32_t block_dot_q6_K_q8_K(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_iq4_xs_q8_K(const void* w_block, const void* a_block) noexcept;
// Grid I-quants and ternary types: as simd128::block_dot_iq_grid_q8_K (IQ1_S / IQ1_M: 8 sum + delta_sum).
int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w_block, const void* a_block) noexcept;

}  // namespace chord::kernels::relaxed
