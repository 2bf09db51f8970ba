// Reference dot products of the 32-element formats with their 8-bit activations:
// Q4_0.Q8_0, Q4_1.Q8_1, Q5_0.Q8_0, Q5_1.Q8_1, Q8_0.Q8_0. Exact int32 block sums, then per block
// the float scaling exactly as llama.cpp's ggml_vec_dot_*_generic (same operation order).
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels::ref {

using quant::BlockQ4_0;
using quant::BlockQ4_1;
using quant::BlockQ5_0;
using quant::BlockQ5_1;
using quant::BlockQ8_0;
using quant::BlockQ8_1;
using quant::fp16_to_fp32;
using quant::kQK8_0;

namespace {

uint32_t load_qh(const uint8_t* qh) noexcept {
  return static_cast<uint32_t>(qh[0]) | (static_cast<uint32_t>(qh[1]) << 8) | (static_cast<uint32_t>(qh[2]) << 16) |
         (static_cast<uint32_t>(qh[3]) << 24);
}

}  // namespace

// Weights: element j in the low nibble of qs[j], element j + 16 in the high nibble.
int32_t block_dot_q4_0_q8_0(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockQ4_0*>(w_block);
  const auto& y = *static_cast<const BlockQ8_0*>(a_block);
  int32_t sum0 = 0, sum1 = 0;
  for (int j = 0; j < kQK8_0 / 2; ++j) {
    sum0 += ((x.qs[j] & 0x0F) - 8) * y.qs[j];
    sum1 += ((x.qs[j] >> 4) - 8) * y.qs[j + kQK8_0 / 2];
  }
  return sum0 + sum1;
}

int32_t block_dot_q4_1_q8_1(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockQ4_1*>(w_block);
  const auto& y = *static_cast<const BlockQ8_1*>(a_block);
  int32_t sum0 = 0, sum1 = 0;
  for (int j = 0; j < kQK8_0 / 2; ++j) {
    sum0 += (x.qs[j] & 0x0F) * y.qs[j];
    sum1 += (x.qs[j] >> 4) * y.qs[j + kQK8_0 / 2];
  }
  return sum0 + sum1;
}

// Bit j of qh is the 5th bit of element j.
int32_t block_dot_q5_0_q8_0(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockQ5_0*>(w_block);
  const auto& y = *static_cast<const BlockQ8_0*>(a_block);
  const uint32_t qh = load_qh(x.qh);
  int32_t sum0 = 0, sum1 = 0;
  for (int j = 0; j < kQK8_0 / 2; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
    const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    sum0 += (((x.qs[j] & 0x0F) | h0) - 16) * y.qs[j];
    sum1 += (((x.qs[j] >> 4) | h1) - 16) * y.qs[j + kQK8_0 / 2];
  }
  return sum0 + sum1;
}

int32_t block_dot_q5_1_q8_1(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockQ5_1*>(w_block);
  const auto& y = *static_cast<const BlockQ8_1*>(a_block);
  const uint32_t qh = load_qh(x.qh);
  int32_t sum0 = 0, sum1 = 0;
  for (int j = 0; j < kQK8_0 / 2; ++j) {
    const int h0 = static_cast<int>((qh >> j) & 1u) << 4;
    const int h1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    sum0 += ((x.qs[j] & 0x0F) | h0) * y.qs[j];
    sum1 += ((x.qs[j] >> 4) | h1) * y.qs[j + kQK8_0 / 2];
  }
  return sum0 + sum1;
}

int32_t block_dot_q8_0_q8_0(const void* w_block, const void* a_block) noexcept {
  const auto& x = *static_cast<const BlockQ8_0*>(w_block);
  const auto& y = *static_cast<const BlockQ8_0*>(a_block);
  int32_t sum = 0;
  for (int j = 0; j < kQK8_0; ++j) sum += x.qs[j] * y.qs[j];
  return sum;
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const int32_t sumi = block_dot_q4_0_q8_0(&x[i], &y[i]);
    sumf += static_cast<float>(sumi) * fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d);
  }
  return sumf;
}

// The min term: sum_j (d_w q_j + m_w) * a_j = d_w d_a sum q_j qa_j + m_w * s_a, s_a = d_a sum qa_j.
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const int32_t sumi = block_dot_q4_1_q8_1(&x[i], &y[i]);
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi) +
            fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const int32_t sumi = block_dot_q5_0_q8_0(&x[i], &y[i]);
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi);
  }
  return sumf;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const int32_t sumi = block_dot_q5_1_q8_1(&x[i], &y[i]);
    sumf += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi) +
            fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sumf;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const int32_t sumi = block_dot_q8_0_q8_0(&x[i], &y[i]);
    sumf += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sumf;
}

}  // namespace chord::kernels::ref
