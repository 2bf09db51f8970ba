// Reference dot products of the grid I-quants and the ternary types with Q8_K (llama.cpp's
// vec_dot_type for all of them): exact int32 block sums over the shared integer unpacking (quant::iq_unpack), then one
// float scaling per block and the type's power-of-two factor at the end, as ggml's *_generic do.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/iq_grids.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels::ref {

using quant::BlockQ8_K;

int32_t block_dot_iq_grid_q8_K(GgmlType t, const void* w_block, const void* a_block, int32_t* delta_sum) noexcept {
  const auto& y = *static_cast<const BlockQ8_K*>(a_block);
  quant::IqSubBlock s;
  int32_t sum = 0, dsum = 0;
  for (int ib = 0; ib < quant::kQK_K / 32; ++ib) {
    quant::iq_unpack(t, w_block, ib, s);
    const int8_t* a = y.qs + 32 * ib;
    for (int h = 0; h < 2; ++h) {
      int32_t qa = 0, da = 0;
      for (int e = 16 * h; e < 16 * h + 16; ++e) {
        qa += s.q[e] * a[e];
        da += s.delta[e / 8] * a[e];
      }
      sum += s.scale[h] * qa;
      dsum += s.scale[h] * da;
    }
  }
  *delta_sum = dsum;
  return sum;
}

namespace {

float vec_dot_grid(GgmlType t, int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const uint8_t*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const uint32_t bytes = type_info(t)->type_size;
  float sumf = 0;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    const uint8_t* xb = x + i * bytes;
    int32_t dsum;
    const int32_t sum = block_dot_iq_grid_q8_K(t, xb, &y[i], &dsum);
    const float d = quant::fp16_to_fp32(quant::iq_block_d(t, xb)) * y[i].d;
    sumf += d * (static_cast<float>(sum) + quant::kIq1Delta * static_cast<float>(dsum));
  }
  return quant::iq_grid_mul(t) * sumf;
}

}  // namespace

float vec_dot_iq2_xxs_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ2_XXS, n, w, a);
}
float vec_dot_iq2_xs_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ2_XS, n, w, a);
}
float vec_dot_iq2_s_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ2_S, n, w, a);
}
float vec_dot_iq3_xxs_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ3_XXS, n, w, a);
}
float vec_dot_iq3_s_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ3_S, n, w, a);
}
float vec_dot_iq1_s_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ1_S, n, w, a);
}
float vec_dot_iq1_m_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::IQ1_M, n, w, a);
}
float vec_dot_tq1_0_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::TQ1_0, n, w, a);
}
float vec_dot_tq2_0_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_grid(GgmlType::TQ2_0, n, w, a);
}

}  // namespace chord::kernels::ref
