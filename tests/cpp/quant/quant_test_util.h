// Shared helpers of the quant tests: deterministic data (same values natively and in wasm, so no
// std::normal_distribution), and typed quantize/dequantize round trips through the dispatcher.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/quant/quant.h"

namespace chord::test {

// Standard normal samples from mt19937 via Box-Muller (fully specified, platform independent).
inline std::vector<float> gaussian(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i += 2) {
    const double u1 = (static_cast<double>(rng()) + 1.0) / 4294967296.0;  // (0, 1]
    const double u2 = static_cast<double>(rng()) / 4294967296.0;
    const double r = std::sqrt(-2.0 * std::log(u1));
    v[i] = static_cast<float>(scale * r * std::cos(6.283185307179586 * u2));
    if (i + 1 < n) v[i + 1] = static_cast<float>(scale * r * std::sin(6.283185307179586 * u2));
  }
  return v;
}

inline std::vector<float> constant(size_t n, float c) { return std::vector<float>(n, c); }

// llama.cpp tests/test-quantize-fns.cpp generate_data: 0.1 + amplitude * cos(i + offset).
inline std::vector<float> llama_test_data(size_t n, float offset, float amplitude = 2.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(0.1 + amplitude * std::cos(static_cast<float>(i) + offset));
  }
  return v;
}

// Bytes of n elements of type t.
inline size_t bytes_for(GgmlType t, int64_t n) { return static_cast<size_t>(row_size(t, n)); }

// quantize_row then dequantize_row.
inline std::vector<float> round_trip(GgmlType t, const std::vector<float>& x, std::vector<uint8_t>* q_out = nullptr) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(bytes_for(t, n));
  quant::quantize_row(t, x.data(), q.data(), n);
  std::vector<float> y(x.size());
  quant::dequantize_row(t, q.data(), y.data(), n);
  if (q_out) *q_out = std::move(q);
  return y;
}

inline double rms(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += static_cast<double>(v) * v;
  return std::sqrt(s / static_cast<double>(a.size()));
}

inline double rms_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    s += d * d;
  }
  return std::sqrt(s / static_cast<double>(a.size()));
}

}  // namespace chord::test
