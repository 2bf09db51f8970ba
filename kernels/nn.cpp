// Dispatch of the transformer's row operations (see nn.h): the SIMD128 kernels in wasm SIMD
// builds, the scalar references (kernels/ref/nn_ref.cpp) otherwise.
#include "kernels/nn.h"

#include "kernels/ref/nn_ref.h"
#ifdef CHORD_SIMD128
#include "kernels/simd128/nn_simd.h"
namespace impl = chord::kernels::simd128;
#else
namespace impl = chord::kernels::ref;
#endif

namespace chord::kernels {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) { impl::rms_norm(x, w, out, n, eps); }

// LayerNorm and the ungated GELU serve encoder models only (once per row, cheap beside the matmuls):
// the scalar references everywhere.
void layer_norm(const float* x, const float* w, const float* b, float* out, int64_t n, float eps) {
  ref::layer_norm(x, w, b, out, n, eps);
}

void gelu(float* x, int64_t n) { ref::gelu(x, n); }

void rope(float* x, const float* cos, const float* sin, int32_t n_rot, bool neox) {
  impl::rope(x, cos, sin, n_rot, neox);
}

void rope_angles(int32_t pos, int32_t n_rot, float base, float freq_scale, const float* freq_factors, float* cos,
                 float* sin) {
  ref::rope_angles(pos, n_rot, base, freq_scale, freq_factors, cos, sin);  // once per token: not hot
}

void softmax(float* x, int64_t n) { impl::softmax(x, n); }

void silu_mul(float* gate, const float* up, int64_t n) { impl::silu_mul(gate, up, n); }

void gelu_mul(float* gate, const float* up, int64_t n) { impl::gelu_mul(gate, up, n); }

void softcap(float* x, int64_t n, float cap) { impl::softcap(x, n, cap); }

void scale(float* x, float s, int64_t n) { impl::scale(x, s, n); }

void add(float* y, const float* x, int64_t n) { impl::add(y, x, n); }

void f32_to_f16(const float* x, uint16_t* y, int64_t n) { impl::f32_to_f16(x, y, n); }

void attend_f16(const float* q, const uint16_t* k, int64_t k_stride, const uint16_t* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) {
  impl::attend_f16(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
}

void attend_f32(const float* q, const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n_kv,
                int32_t head_dim, float scale, float* scores, float* out) {
  impl::attend_f32(q, k, k_stride, v, v_stride, n_kv, head_dim, scale, scores, out);
}

void attend_group_f16(const float* q, int64_t q_stride, int32_t n_q, const uint16_t* k, int64_t k_stride,
                      const uint16_t* v, int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap,
                      float* scores, float* out, int64_t out_stride) {
  impl::attend_group_f16(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores, out,
                         out_stride);
}

void attend_group_f32(const float* q, int64_t q_stride, int32_t n_q, const float* k, int64_t k_stride, const float* v,
                      int64_t v_stride, int64_t n_kv, int32_t head_dim, float scale, float softcap, float* scores,
                      float* out, int64_t out_stride) {
  impl::attend_group_f32(q, q_stride, n_q, k, k_stride, v, v_stride, n_kv, head_dim, scale, softcap, scores, out,
                         out_stride);
}

}  // namespace chord::kernels
