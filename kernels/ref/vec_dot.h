// Scalar reference dot products, one per (weight type, activation type) pair that llama.cpp's CPU
// backend uses (its vec_dot_type). n elements; w is a weight row, a an activation row already
// converted by TypeOps::from_float. Integer block sums are exact int32, float scaling in
// llama.cpp's order (ggml-cpu/quants.c *_generic, vec.cpp), so results are within float
// rounding of llama.cpp's. They cannot fail and do not allocate.
#pragma once
#include <cstdint>

#include "core/quant/types.h"

namespace chord::kernels::ref {

float vec_dot_f32_f32(int64_t n, const void* w, const void* a) noexcept;    // sum in double
float vec_dot_f16_f16(int64_t n, const void* w, const void* a) noexcept;    // sum in double
float vec_dot_bf16_bf16(int64_t n, const void* w, const void* a) noexcept;  // sum in double

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) noexcept;

float vec_dot_q2_K_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q3_K_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) noexcept;

float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq4_xs_q8_K(int64_t n, const void* w, const void* a) noexcept;
// Grid I-quants, all against Q8_K (vec_dot_iq_grid.cpp).
float vec_dot_iq2_xxs_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq2_xs_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq2_s_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq3_xxs_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq3_s_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq1_s_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_iq1_m_q8_K(int64_t n, const void* w, const void* a) noexcept;
float vec_dot_tq1_0_q8_K(int64_t n, const void* w, const void* a) noexcept;  // ternary, same path
float vec_dot_tq2_0_q8_K(int64_t n, const void* w, const void* a) noexcept;

// Per-block integer parts (exposed so SIMD kernels can be tested against them bit for bit).
// Legacy: sum over the block of q_w * q_a (Q4_0/Q5_0 with the -8/-16 offset applied; Q4_1/Q5_1
// unsigned). K-quants: the scale-weighted sum sum_j scale_j * sum_{i in j} q_w * q_a, and for the
// asymmetric types the min term sum_j min_j * bsum_j.
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
// I-quants: codebook values times activations; IQ4_XS weighted by its sub-block scales - 32.
int32_t block_dot_iq4_nl_q8_0(const void* w_block, const void* a_block) noexcept;
int32_t block_dot_iq4_xs_q8_K(const void* w_block, const void* a_block) noexcept;
// Grid I-quants and ternary types (quant::has_iq_unpack(t)): sum_e scale * q * q_a over the block (quant::IqSubBlock's
// integers), and in *delta_sum the IQ1 shift part sum_e scale * delta * q_a (0 for the others).
// A block contributes mul(t) * d_w * d_a * (sum + delta_sum / 8).
int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w_block, const void* a_block, int32_t* delta_sum) noexcept;

}  // namespace chord::kernels::ref
