// Scalar reference versions of the transformer's row operations (the spec for kernels/simd128);
// kernels/nn.h documents each operation, kernels/nn.cpp dispatches to the best implementation.
#pragma once
#include <cstdint>

namespace chord::kernels::ref {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) noexcept;
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps) noexcept;
void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox) noexcept;
// The pairs i0 <= i < i1 of rope (the whole rotation is i0 = 0, i1 = n_rot / 2).
void rope_pairs(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox, int32_t i0,
                int32_t i1) noexcept;
void rope_angles(int32_t pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors, float* cos,
                 float* sin) noexcept;
void softmax(float* x, int64_t n) noexcept;
void silu_mul(float* gate, const float* up, int64_t n) noexcept;
void gelu_mul(float* gate, const float* up, int64_t n) noexcept;
void gelu(float* x, int64_t n) noexcept;
void softcap(float* x, int64_t n, float cap) noexcept;
void scale(float* x, float s, int64_t n) noexcept;
void add(float* y, const float* x, int64_t n) noexcept;
void f32_to_f16(const float* x, uint16_t* y, int64_t n) noexcept;
void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept;
void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) noexcept;

// n_q query heads (rows q + h * q_stride) sharing one KV head: attend_* per head, scores in
// scores + h * n_kv, outputs in out + h * out_stride.
void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride) noexcept;
void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride) noexcept;

}  // namespace chord::kernels::ref
