// Reference dot products of the I-quants with llama.cpp's activation formats (its vec_dot_type):
// IQ4_NL.Q8_0 and IQ4_XS.Q8_K. Weights are codebook values (kIq4nlValues) picked by nibbles;
// exact int32 block sums, then one float scaling per block.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels::ref {

using quant::BlockIQ4_NL;
using quant::BlockIQ4_XS;
using quant::BlockQ8_0;
using quant::BlockQ8_K;
using quant::fp16_to_fp32;
using quant::kIq4nlValues;

namespace {

// 32 codebook weights from 16 nibble bytes (element j low nibble, j + 16 high) . 32 int8 activations.
int32_t dot_nibbles32(const uint8_t* qs, const int8_t* a) noexcept {
  int32_t s0 = 0, s1 = 0;
  for (int j = 0; j < 16; ++j) {
    s0 += kIq4nlValues[qs[j] & 0xF] * a[j];
    s1 += kIq4nlValues[qs[j] >> 4] * a[j + 16];
  }
  return s0 + s1;
}

}  // namespace

int32_t block_dot_iq4_nl_q8_0(const void* w_block, const void* a_block) noexcept {
  return dot_nibbles32(static_cast<const BlockIQ4_NL*>(w_block)->qs, static_cast<const BlockQ8_0*>(a_block)->qs);
}

// Sum over the 8 sub-blocks of (6-bit scale - 32) * their codebook dot.
int32_t block_dot_iq4_xs_q8_K(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockIQ4_XS*>(w_block);
  const auto& y = *static_cast<const BlockQ8_K*>(a_block);
  int32_t sum = 0;
  for (int ib = 0; ib < 8; ++ib)
    sum += (quant::iq4_xs_scale(x, ib) - 32) * dot_nibbles32(x.qs + 16 * ib, y.qs + 32 * ib);
  return sum;
}

float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockIQ4_NL*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / quant::kQK4_NL; ++i) {
    const float d = fp16_to_fp32(y[i].d) * fp16_to_fp32(x[i].d);
    sumf += d * static_cast<float>(block_dot_iq4_nl_q8_0(&x[i], &y[i]));
  }
  return sumf;
}

float vec_dot_iq4_xs_q8_K(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockIQ4_XS*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / quant::kQK_K; ++i) {
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    sumf += d * static_cast<float>(block_dot_iq4_xs_q8_K(&x[i], &y[i]));
  }
  return sumf;
}

}  // namespace chord::kernels::ref
