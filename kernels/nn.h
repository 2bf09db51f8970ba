// Element-wise and row operations of the transformer, on f32 rows: RMSNorm, RoPE, softmax,
// SiLU·mul, GELU·mul, soft-capping, scaling, and attention of query heads over an f16 or f32 KV cache. Dispatches to
// the SIMD128 kernels in wasm SIMD builds and to the scalar references (kernels/ref/nn_ref.h) otherwise.
#pragma once
#include <cstdint>

namespace chord::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]  (w may be null: no scaling). out may alias x.
void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps);

// LayerNorm (ggml_norm, then weight and bias as llama.cpp's build_norm): out[i] = (x[i] - mean) /
// sqrt(var + eps) * w[i] + b[i], mean and variance over the n values (w, b may be null). out may alias x.
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps);

// Rotates pairs of x (one head of head_dim values) by the angles in cos/sin (n_rot/2 each).
// neox: pairs (i, i + n_rot/2); normal: pairs (2i, 2i+1). Dims past n_rot are left alone.
void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox);
// Angles for one position: theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factors[i].
void rope_angles(int32_t pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors, float* cos,
                 float* sin);

// In place: x = exp(x - max) / sum.
void softmax(float* x, int64_t n);

// gate[i] = silu(gate[i]) * up[i]
void silu_mul(float* gate, const float* up, int64_t n);

// gate[i] = gelu(gate[i]) * up[i], GELU's tanh form as llama.cpp's CPU backend computes it: the
// input rounded to f16 and the GELU looked up in a table of f16 values (so also rounded to f16);
// inputs <= -10 give 0, inputs >= 10 pass unchanged.
void gelu_mul(float* gate, const float* up, int64_t n);

// x[i] = gelu(x[i]) as gelu_mul computes it (llama.cpp's f16 table), without a gate: BERT's FFN.
void gelu(float* x, int64_t n);

// Soft-capping (Gemma 2): x[i] = tanh(x[i] * (1 / cap)) * cap.
void softcap(float* x, int64_t n, float cap);

// x[i] *= s
void scale(float* x, float s, int64_t n);

// y[i] += x[i]
void add(float* y, const float* x, int64_t n);

// f32 <-> f16 rows
void f32_to_f16(const float* x, uint16_t* y, int64_t n);

// One query head attending over n_kv cached positions:
// out = softmax(scale * q.K^T) V, with K and V rows of head_dim f16 at the given strides (elements).
// As llama.cpp's f16 matrix products, q and the probabilities are rounded to f16 before they are
// multiplied with the cache. scores: scratch of n_kv floats.
void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out);

// The same over an f32 KV cache.
void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out);

// GQA: n_q query heads (rows q + h * q_stride) that share one KV head, each as attend_f16/_f32
// (outputs out + h * out_stride); the cache rows are read and widened once for all of them.
// softcap > 0 soft-caps the scaled scores before the softmax (softcap() above; Gemma 2 scales q
// beforehand and passes scale 1, as llama.cpp). scores: scratch of n_q * n_kv floats.
void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride);
void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride);

}  // namespace chord::kernels
