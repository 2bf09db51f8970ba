// Reference dot products of the K-quants with Q8_K activations (Q2_K..Q6_K . Q8_K). As llama.cpp's
// ggml_vec_dot_*_q8_K_generic: weights expanded to int8, scale-weighted int32 sums kept in 8 lanes
// (element index mod 8) for Q3_K..Q6_K, lanes scaled into 8 float sums, added at the end; the min
// term of Q2_K/Q4_K/Q5_K comes from the activation's bsums.
#include "core/quant/blocks.h"
#include "core/quant/fp16.h"
#include "core/quant/rows.h"
#include "kernels/ref/vec_dot.h"

namespace chord::kernels::ref {

using quant::BlockQ2_K;
using quant::BlockQ3_K;
using quant::BlockQ4_K;
using quant::BlockQ5_K;
using quant::BlockQ6_K;
using quant::BlockQ8_K;
using quant::fp16_to_fp32;
using quant::kQK_K;

namespace {

// lanes[l] += sum over 16-element groups g of scale16[g] * sum_{i in g, i % 8 == l} q[i] * w[i].
void accumulate_lanes(const int8_t* w, const int8_t* q, const int32_t* scale16, int32_t* lanes) noexcept {
  for (int g = 0; g < kQK_K / 16; ++g) {
    for (int half = 0; half < 2; ++half) {
      for (int l = 0; l < 8; ++l) {
        const int i = 16 * g + 8 * half + l;
        lanes[l] += scale16[g] * (static_cast<int32_t>(q[i]) * w[i]);
      }
    }
  }
}

// Element e = 128h + 32k + l: bits 2k of qs[32h + l], minus 4 unless bit e/32 of hmask[l] is set.
void expand_q3_k(const BlockQ3_K& x, int8_t* w) noexcept {
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const int low = (x.qs[32 * h + l] >> (2 * k)) & 3;
    const int high = (x.hmask[l] >> (e / 32)) & 1;
    w[e] = static_cast<int8_t>(low - (high ? 0 : 4));
  }
}

// Element 64c + l is the low nibble of qs[32c + l], 64c + 32 + l the high one; Q5_K adds 16 when
// bit e/32 of qh[l] is set.
void expand_q4_k(const uint8_t* qs, const uint8_t* qh, int8_t* w) noexcept {
  for (int c = 0; c < kQK_K / 64; ++c) {
    for (int l = 0; l < 32; ++l) {
      int lo = qs[32 * c + l] & 0xF, hi = qs[32 * c + l] >> 4;
      if (qh) {
        lo += ((qh[l] >> (2 * c)) & 1) << 4;
        hi += ((qh[l] >> (2 * c + 1)) & 1) << 4;
      }
      w[64 * c + l] = static_cast<int8_t>(lo);
      w[64 * c + 32 + l] = static_cast<int8_t>(hi);
    }
  }
}

// Element 128h + 32k + l: 4 bits from ql[64h + 32(k&1) + l] (low nibble for k < 2), 2 bits from
// qh[32h + l] at bit 2k, minus 32.
void expand_q6_k(const BlockQ6_K& x, int8_t* w) noexcept {
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, k = (e % 128) / 32, l = e % 32;
    const uint8_t lb = x.ql[64 * h + 32 * (k & 1) + l];
    const int low = k < 2 ? (lb & 0xF) : (lb >> 4);
    const int high = (x.qh[32 * h + l] >> (2 * k)) & 3;
    w[e] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

// Q4_K/Q5_K: 6-bit scales per 32 elements repeated per 16-element group; min term from bsums.
int32_t k4_min_sum(const uint8_t* packed, const BlockQ8_K& y, int32_t* scale16) noexcept {
  int32_t min_sum = 0;
  for (int j = 0; j < kQK_K / 32; ++j) {
    uint8_t sc, m;
    quant::scale_min_k4(j, packed, &sc, &m);
    scale16[2 * j] = scale16[2 * j + 1] = sc;
    min_sum += (y.bsums[2 * j] + y.bsums[2 * j + 1]) * m;
  }
  return min_sum;
}

void lanes_q3_k(const BlockQ3_K& x, const BlockQ8_K& y, int32_t* lanes) noexcept {
  int8_t w[kQK_K];
  expand_q3_k(x, w);
  int8_t s[16];
  quant::unpack_q3_k_scales(x.scales, s);
  int32_t scale16[16];
  for (int g = 0; g < 16; ++g) scale16[g] = s[g];
  accumulate_lanes(w, y.qs, scale16, lanes);
}

int32_t lanes_q4_k(const BlockQ4_K& x, const BlockQ8_K& y, int32_t* lanes) noexcept {
  int8_t w[kQK_K];
  expand_q4_k(x.qs, nullptr, w);
  int32_t scale16[16];
  const int32_t min_sum = k4_min_sum(x.scales, y, scale16);
  accumulate_lanes(w, y.qs, scale16, lanes);
  return min_sum;
}

int32_t lanes_q5_k(const BlockQ5_K& x, const BlockQ8_K& y, int32_t* lanes) noexcept {
  int8_t w[kQK_K];
  expand_q4_k(x.qs, x.qh, w);
  int32_t scale16[16];
  const int32_t min_sum = k4_min_sum(x.scales, y, scale16);
  accumulate_lanes(w, y.qs, scale16, lanes);
  return min_sum;
}

void lanes_q6_k(const BlockQ6_K& x, const BlockQ8_K& y, int32_t* lanes) noexcept {
  int8_t w[kQK_K];
  expand_q6_k(x, w);
  int32_t scale16[16];
  for (int g = 0; g < 16; ++g) scale16[g] = x.scales[g];
  accumulate_lanes(w, y.qs, scale16, lanes);
}

int32_t lane_total(const int32_t* lanes) noexcept {
  int32_t t = 0;
  for (int l = 0; l < 8; ++l) t += lanes[l];
  return t;
}

}  // namespace

// Q2_K: element 128h + 32k + l is bits 2k of qs[32h + l]; 4-bit scale (low) and min (high) per 16.
int32_t block_dot_q2_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept {
  const auto& x = *static_cast<const BlockQ2_K*>(w_block);
  const auto& y = *static_cast<const BlockQ8_K*>(a_block);
  int32_t summs = 0;
  for (int j = 0; j < 16; ++j) summs += y.bsums[j] * (x.scales[j] >> 4);
  int32_t isum = 0;
  for (int g = 0; g < 16; ++g) {  // g = 8h + 2k + (l >= 16)
    const int h = g / 8, k = (g % 8) / 2, l0 = 16 * (g % 2);
    int32_t s = 0;
    for (int l = l0; l < l0 + 16; ++l) s += y.qs[128 * h + 32 * k + l] * ((x.qs[32 * h + l] >> (2 * k)) & 3);
    isum += (x.scales[g] & 0xF) * s;
  }
  *min_sum = summs;
  return isum;
}

int32_t block_dot_q3_K_q8_K(const void* w_block, const void* a_block) noexcept {
  int32_t lanes[8] = {};
  lanes_q3_k(*static_cast<const BlockQ3_K*>(w_block), *static_cast<const BlockQ8_K*>(a_block), lanes);
  return lane_total(lanes);
}

int32_t block_dot_q4_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept {
  int32_t lanes[8] = {};
  *min_sum = lanes_q4_k(*static_cast<const BlockQ4_K*>(w_block), *static_cast<const BlockQ8_K*>(a_block), lanes);
  return lane_total(lanes);
}

int32_t block_dot_q5_K_q8_K(const void* w_block, const void* a_block, int32_t* min_sum) noexcept {
  int32_t lanes[8] = {};
  *min_sum = lanes_q5_k(*static_cast<const BlockQ5_K*>(w_block), *static_cast<const BlockQ8_K*>(a_block), lanes);
  return lane_total(lanes);
}

int32_t block_dot_q6_K_q8_K(const void* w_block, const void* a_block) noexcept {
  int32_t lanes[8] = {};
  lanes_q6_k(*static_cast<const BlockQ6_K*>(w_block), *static_cast<const BlockQ8_K*>(a_block), lanes);
  return lane_total(lanes);
}

float vec_dot_q2_K_q8_K(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int32_t summs;
    const int32_t isum = block_dot_q2_K_q8_K(&x[i], &y[i], &summs);
    const float dall = y[i].d * fp16_to_fp32(x[i].d);
    const float dmin = y[i].d * fp16_to_fp32(x[i].dmin);
    sumf += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
  }
  return sumf;
}

float vec_dot_q3_K_q8_K(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sums[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int32_t lanes[8] = {};
    lanes_q3_k(x[i], y[i], lanes);
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
  }
  float sumf = 0;
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

namespace {

// Q4_K and Q5_K share the float part: lanes scaled by d, min term subtracted per block.
template <class Block, int32_t (*Lanes)(const Block&, const BlockQ8_K&, int32_t*)>
float vec_dot_k4(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sums[8] = {};
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int32_t lanes[8] = {};
    const int32_t min_sum = Lanes(x[i], y[i], lanes);
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
    const float dmin = fp16_to_fp32(x[i].dmin) * y[i].d;
    sumf -= dmin * static_cast<float>(min_sum);
  }
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace

float vec_dot_q4_K_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_k4<BlockQ4_K, lanes_q4_k>(n, w, a);
}

float vec_dot_q5_K_q8_K(int64_t n, const void* w, const void* a) noexcept {
  return vec_dot_k4<BlockQ5_K, lanes_q5_k>(n, w, a);
}

float vec_dot_q6_K_q8_K(int64_t n, const void* w, const void* a) noexcept {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sums[8] = {};
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int32_t lanes[8] = {};
    lanes_q6_k(x[i], y[i], lanes);
    const float d = fp16_to_fp32(x[i].d) * y[i].d;
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
  }
  float sumf = 0;
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace chord::kernels::ref
