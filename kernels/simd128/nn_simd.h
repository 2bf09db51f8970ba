// SIMD128 versions of the transformer's row operations (same signatures and meaning as
// kernels/ref/nn_ref.h). Element-wise float ops (RMSNorm scaling, RoPE, adds, the attention's
// weighted sum) do the reference's operations in the reference's order, so they are bit-exact given
// the same inputs; sums (norms, dots, softmax) differ only in summation order, exp is a polynomial.
// Relaxed-SIMD builds fuse the attention's multiply-adds (QK dots and the weighted sum over V) with
// f32x4.relaxed_madd (madd_f32): one rounding per step where the engine fuses, so never less accurate.
#pragma once
#include <wasm_simd128.h>

#include <cstdint>

namespace chord::kernels::simd128 {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) noexcept;
void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox) noexcept;
void softmax(float* x, int64_t n) noexcept;
void silu_mul(float* gate, const float* up, int64_t n) noexcept;
void gelu_mul(float* gate, const float* up, int64_t n) noexcept;
void softcap(float* x, int64_t n, float cap) noexcept;
void scale(float* x, float s, int64_t n) noexcept;
void add(float* y, const float* x, int64_t n) noexcept;
void f32_to_f16(const float* x, uint16_t* y, int64_t n) noexcept;
void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept;
void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept;
void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride) noexcept;
void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride) noexcept;

// e^x for four floats, within ~2 ulp of expf over the whole range (inf above ~88.72, 0 or
// subnormal below ~-87.3, NaN kept).
v128_t exp_f32x4(v128_t x) noexcept;

}  // namespace chord::kernels::simd128
