// Reference IQ4_NL / IQ4_XS conversions: dequantization, and a real quantizer in llama.cpp's way
// (quantize_row_iq4_nl_impl without an importance matrix): per 32 elements a scale search over 15
// candidates with nearest-codebook assignment, weighting each element by x^2; IQ4_XS then
// quantizes the 8 sub-block scales to 6 bits under one f16 super-scale and re-assigns the codes.
#include <cmath>
#include <cstring>

#include "core/quant/quant_util.h"
#include "core/quant/rows.h"

namespace chord::quant {

namespace {

constexpr float kGroupMaxEps = 1e-15f;  // ggml-quants.c GROUP_MAX_EPS
constexpr int kTries = 7;               // scale candidates (itry - 127) / max, itry in -7..7

// Index of the codebook value nearest x (values ascending); on a tie the lower one.
int nearest_code(float x) noexcept {
  const int8_t* v = kIq4nlValues;
  if (x <= v[0]) return 0;
  if (x >= v[15]) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    (x < v[mid] ? hi : lo) = mid;
  }
  return x - v[hi - 1] < v[hi] - x ? hi - 1 : hi;
}

// Least-squares scale of block xb (n elements, weights w) for codes chosen with inverse scale id:
// returns {sum w q x, sum w q^2}, and the codes in L when L is not null.
struct Fit {
  float sumqx = 0, sumq2 = 0;
};
Fit fit(const float* xb, const float* w, int n, float id, uint8_t* L) noexcept {
  Fit f;
  for (int j = 0; j < n; ++j) {
    const int l = nearest_code(id * xb[j]);
    if (L) L[j] = static_cast<uint8_t>(l);
    const float q = kIq4nlValues[l];
    f.sumqx += w[j] * q * xb[j];
    f.sumq2 += w[j] * q * q;
  }
  return f;
}

// Best scale for one 32-element sub-block (codes of the best start in L); 0 for an all-zero block.
float best_scale(const float* xb, uint8_t* L) noexcept {
  float w[32], amax = 0, max = 0;
  for (int j = 0; j < 32; ++j) {
    w[j] = xb[j] * xb[j];
    if (std::fabs(xb[j]) > amax) amax = std::fabs(xb[j]), max = xb[j];
  }
  if (amax < kGroupMaxEps) return 0;
  // Start: the largest element on the codebook's end value -127, then least squares.
  Fit f = fit(xb, w, 32, 1 / (-max / kIq4nlValues[0]), L);
  float d = f.sumqx / f.sumq2, best = d * f.sumqx;
  for (int t = -kTries; t <= kTries; ++t) {
    f = fit(xb, w, 32, (static_cast<float>(t) + kIq4nlValues[0]) / max, nullptr);
    if (f.sumq2 > 0 && f.sumqx * f.sumqx > best * f.sumq2) d = f.sumqx / f.sumq2, best = d * f.sumqx;
  }
  return d;
}

// Codes L (32 per sub-block) -> nibbles: element j of a sub-block low, j + 16 high.
void pack_nibbles(const uint8_t* L, uint8_t* qs, int n) noexcept {
  for (int i = 0; i < n / 32; ++i)
    for (int j = 0; j < 16; ++j) qs[16 * i + j] = static_cast<uint8_t>(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
}

}  // namespace

void quantize_row_iq4_nl(const float* x, BlockIQ4_NL* y, int64_t n) noexcept {
  for (int64_t b = 0; b < n / kQK4_NL; ++b, x += kQK4_NL) {
    uint8_t L[32] = {};
    const float d = best_scale(x, L);
    y[b].d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0.f;
    for (int j = 0; j < 32; ++j) L[j] = static_cast<uint8_t>(nearest_code(id * x[j]));
    pack_nibbles(L, y[b].qs, 32);
  }
}

void quantize_row_iq4_xs(const float* x, BlockIQ4_XS* y, int64_t n) noexcept {
  for (int64_t b = 0; b < n / kQK_K; ++b, x += kQK_K) {
    float scales[8];
    uint8_t L[kQK_K] = {};
    float amax_scale = 0, max_scale = 0;
    for (int ib = 0; ib < 8; ++ib) {
      scales[ib] = best_scale(x + 32 * ib, L + 32 * ib);
      if (std::fabs(scales[ib]) > amax_scale) amax_scale = std::fabs(scales[ib]), max_scale = scales[ib];
    }
    BlockIQ4_XS& o = y[b];
    std::memset(&o, 0, sizeof o);
    // 6-bit sub-block scales l - 32 in -32..31 times d; the largest maps to -32.
    const float d = -max_scale / 32;
    o.d = fp32_to_fp16(d);
    const float id = d != 0 ? 1 / d : 0.f;
    for (int ib = 0; ib < 8; ++ib) {
      int l = detail::nearest_int(id * scales[ib]);
      l = l < -32 ? -32 : l > 31 ? 31 : l;
      const float dl = d * static_cast<float>(l);
      const float idl = dl != 0 ? 1 / dl : 0.f;
      for (int j = 0; j < 32; ++j) L[32 * ib + j] = static_cast<uint8_t>(nearest_code(idl * x[32 * ib + j]));
      l += 32;
      o.scales_l[ib / 2] |= static_cast<uint8_t>((l & 0xF) << (4 * (ib % 2)));
      o.scales_h |= static_cast<uint16_t>((l >> 4) << (2 * ib));
    }
    pack_nibbles(L, o.qs, kQK_K);
  }
}

void dequantize_row_iq4_nl(const BlockIQ4_NL* x, float* y, int64_t n) noexcept {
  for (int64_t b = 0; b < n / kQK4_NL; ++b, y += kQK4_NL) {
    const float d = fp16_to_fp32(x[b].d);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * kIq4nlValues[x[b].qs[j] & 0xF];
      y[j + 16] = d * kIq4nlValues[x[b].qs[j] >> 4];
    }
  }
}

void dequantize_row_iq4_xs(const BlockIQ4_XS* x, float* y, int64_t n) noexcept {
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const float d = fp16_to_fp32(x[b].d);
    for (int ib = 0; ib < 8; ++ib, y += 32) {
      const float dl = d * static_cast<float>(iq4_xs_scale(x[b], ib) - 32);
      const uint8_t* qs = x[b].qs + 16 * ib;
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * kIq4nlValues[qs[j] & 0xF];
        y[j + 16] = dl * kIq4nlValues[qs[j] >> 4];
      }
    }
  }
}

}  // namespace chord::quant
