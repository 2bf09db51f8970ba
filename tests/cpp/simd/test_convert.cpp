// Activation quantizers and f16/bf16 conversions: the SIMD128 versions write exactly the reference
// bytes (ties, zeros, tiny, huge, NaN/inf blocks, every half), and the reference Q8 quantizers meet
// their defining property against double precision (|x - d q| <= d / 2, q within int8).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/quant/fp16.h"
#include "core/quant/quant.h"
#include "tests/cpp/quant/quant_test_util.h"
#include "tests/cpp/simd/simd_test_util.h"
#ifdef CHORD_SIMD128
#include "kernels/simd128/simd128.h"
#endif

using namespace chord;
using namespace chord::test;

namespace {

// Rows that stress the quantizers: ties after scaling, zeros, subnormals, huge values, NaN/inf.
std::vector<std::vector<float>> hard_rows(size_t n) {
  std::vector<std::vector<float>> rows;
  rows.push_back(gaussian(n, 3));
  std::vector<float> ties(n);
  for (size_t i = 0; i < n; ++i)
    ties[i] = (i % 32 == 0) ? 127.0f : static_cast<float>(static_cast<int>(i % 40) - 20) + 0.5f;
  rows.push_back(ties);  // Q8_0: d = 1, x * id = k + 0.5 exactly: round half away from zero
  std::vector<float> kties(n);
  for (size_t i = 0; i < n; ++i)
    kties[i] = (i % 256 == 7) ? -127.0f : static_cast<float>(static_cast<int>(i % 9) - 4) - 0.5f;
  rows.push_back(kties);  // Q8_K: iscale = 1, nearest_int ties to even
  rows.push_back(std::vector<float>(n, 0.0f));
  std::vector<float> mixed = gaussian(n, 4);
  for (size_t i = 0; i < n; ++i) {
    if (i % 7 == 0) mixed[i] = 0.0f;
    if (i % 11 == 0) mixed[i] = -mixed[i] * 1e30f;
    if (i % 13 == 0) mixed[i] = 1e-40f;  // subnormal
  }
  rows.push_back(mixed);
  std::vector<float> special = gaussian(n, 5);
  special[n / 3] = std::numeric_limits<float>::quiet_NaN();
  special[n / 2] = std::numeric_limits<float>::infinity();
  special[n - 1] = -std::numeric_limits<float>::infinity();
  rows.push_back(special);
  std::vector<float> tiny = gaussian(n, 6, 1e-38f);
  rows.push_back(tiny);
  return rows;
}

}  // namespace

TEST_CASE("simd from_float: same bytes as the reference quantizers") {
#ifdef CHORD_SIMD128
  namespace s = kernels::simd128;
  struct Q {
    GgmlType t;
    void (*fn)(const float*, void*, int64_t) noexcept;
  };
  const Q qs[] = {{GgmlType::Q8_0, s::from_float_q8_0},
                  {GgmlType::Q8_1, s::from_float_q8_1},
                  {GgmlType::Q8_K, s::from_float_q8_K},
                  {GgmlType::F16, s::from_float_f16},
                  {GgmlType::BF16, s::from_float_bf16}};
  for (const Q& q : qs) {
    for (size_t blocks : {1, 2, 3, 7, 64, 257}) {
      const size_t n = blocks * (q.t == GgmlType::Q8_K ? 256 : 32) +
                       (q.t == GgmlType::F16 || q.t == GgmlType::BF16 ? blocks % 7 : 0);
      for (const auto& x : hard_rows(n)) {
        std::vector<uint8_t> want(bytes_for(q.t, n)), got(want.size() + 64, 0xAB);
        quant::quantize_row(q.t, x.data(), want.data(), static_cast<int64_t>(n));
        Placed px(x.data(), n * 4, 4);  // unaligned input
        uint8_t* out = got.data() + 4;
        q.fn(reinterpret_cast<const float*>(px.data()), out, static_cast<int64_t>(n));
        INFO(type_info(q.t)->name << " n " << n << " first " << x[0]);
        REQUIRE(std::memcmp(out, want.data(), want.size()) == 0);
        REQUIRE(out[want.size()] == 0xAB);  // nothing written past the row
      }
    }
  }
#else
  SUCCEED("no SIMD in this build");
#endif
}

TEST_CASE("f16/bf16 conversions: SIMD equals the scalar reference on every half and rounding edge") {
  // Every half widened; every half's neighbourhood (midpoints, +-1 ulp of the float) narrowed.
  std::vector<uint16_t> halves(65536);
  for (uint32_t i = 0; i < 65536; ++i) halves[i] = static_cast<uint16_t>(i);
  std::vector<float> wide(65536);
  for (uint32_t i = 0; i < 65536; ++i) wide[i] = quant::fp16_to_fp32(halves[i]);
  std::vector<float> probes;
  for (uint32_t i = 0; i < 0x7C00; ++i) {
    const float a = quant::fp16_to_fp32(static_cast<uint16_t>(i)),
                b = quant::fp16_to_fp32(static_cast<uint16_t>(i + 1));
    const float mid = static_cast<float>((static_cast<double>(a) + b) / 2);
    for (float v : {a, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)}) {
      probes.push_back(v);
      probes.push_back(-v);
    }
  }
  std::mt19937 rng(9);
  for (int i = 0; i < 200000; ++i) {
    const uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    probes.push_back(f);  // includes NaNs, infinities, huge and subnormal floats
  }
  // The reference conversions against the exact value (double) where it is a finite half.
  for (size_t i = 0; i < probes.size(); i += 97) {
    const float f = probes[i];
    if (!std::isfinite(f) || std::fabs(f) >= 65504.0f) continue;
    const double back = quant::fp16_to_fp32(quant::fp32_to_fp16(f));
    const double ulp = std::ldexp(1.0, std::max(std::ilogb(std::fabs(f) > 0 ? f : 1.0f), -14) - 10);
    REQUIRE(std::fabs(back - f) <= ulp / 2);
  }
#ifdef CHORD_SIMD128
  namespace s = kernels::simd128;
  std::vector<float> got(65536 + 3);
  Placed ph(halves.data(), halves.size() * 2, 2);
  s::f16_to_f32_row(reinterpret_cast<const uint16_t*>(ph.data()), got.data() + 1, 65536);
  for (uint32_t i = 0; i < 65536; ++i) {
    INFO("half " << i);
    REQUIRE(std::memcmp(&got[i + 1], &wide[i], 4) == 0);
  }
  std::vector<uint16_t> h(probes.size()), b(probes.size());
  s::from_float_f16(probes.data(), h.data(), static_cast<int64_t>(probes.size()));
  s::from_float_bf16(probes.data(), b.data(), static_cast<int64_t>(probes.size()));
  for (size_t i = 0; i < probes.size(); ++i) {
    INFO("probe " << i << " value " << probes[i]);
    REQUIRE(h[i] == quant::fp32_to_fp16(probes[i]));
    REQUIRE(b[i] == quant::fp32_to_bf16(probes[i]));
  }
#endif
}

TEST_CASE("reference Q8 quantizers against double precision") {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q8_K}) {
    const size_t qk = t == GgmlType::Q8_K ? 256 : 32;
    const auto x = gaussian(7 * qk, 21, 3.0f);
    std::vector<uint8_t> q(bytes_for(t, static_cast<int64_t>(x.size())));
    quant::quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
    std::vector<float> y(x.size());
    quant::dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(x.size()));
    for (size_t b = 0; b < 7; ++b) {
      double amax = 0;
      for (size_t i = 0; i < qk; ++i) amax = std::max(amax, std::fabs(static_cast<double>(x[b * qk + i])));
      const double d = amax / 127;
      for (size_t i = 0; i < qk; ++i) {
        // |x - d q| <= d / 2, plus the f16 rounding of d (Q8_0: relative 2^-11 of |q| d).
        const double err = std::fabs(static_cast<double>(x[b * qk + i]) - y[b * qk + i]);
        REQUIRE(err <= d * (0.5 + 127.0 / 2048) + 1e-6);
      }
    }
  }
}
