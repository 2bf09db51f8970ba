// K-quants (Q2_K..Q6_K, Q8_K): layouts checked by dequantizing random blocks against an
// element-by-element reading of the documented layout, hand-traced quantizations, properties of
// the scale searches, and round-trip error bounds.
//
// Facts from llama.cpp ggml/src/ggml-quants.c checked by hand here:
//  - make_qkx2_quants (Q2_K params: nmax 3, rmin -0.5, rdelta 0.1, 15 steps, MAD error) on
//    x = {0, 1, 4, 8}, w = |x|: initial fit L = {0, 0, 2, 3} (scale 8/3, error 6.33); step 0
//    (iscale 2.5/8) gives L = {0, 0, 1, 2} (nearest_int(2.5) = 2: ties to even), the least-squares
//    min 36/68 > 0 is clamped to 0 and scale = sum_xl / sum_l2 = 144/36 = 4, error 1 -> chosen.
//  - make_qx_quants (Q6_K, nmax 32) on x = -8..7: iscale = -32/-8 = 4 fits exactly (L = 4x + 32,
//    scale 0.25); no other iscale can beat an exact fit. Then Q6_K: iscale = -128/0.25 = -512,
//    d = f16(-1/512) = 0x9800, every 8-bit scale = -128.
//  - make_q3_quants on x = (i % 8) - 4: exact at iscale 1, the descent changes nothing, scale 1;
//    Q3_K stores l = clamp(nearest_int(-32 * 1)) + 32 = 0 in every 6-bit scale, d = f16(-1/32).
//  - Q4_K/Q5_K on x = i % 16 (i % 32): the min/max fit is exact (error 0, never beaten), mins are
//    -0.0 so dmin = 0 and every 6-bit min is 0, every scale is 63, d = f16(1/63).
//  - Q2_K on x = (i % 4) - 1: exact fit with scale 1 and min 1 in all 16 sub-blocks -> 4-bit
//    scale and min both 15 (byte 0xFF), d = dmin = f16(1/15).
//  - Q8_K: iscale = -127/max (not -128), nearest_int rounds ties to even, bsums are sums of 16.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/quant/quant.h"
#include "core/quant/quant_k_search.h"
#include "core/quant/rows.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;
using namespace chord::quant;

namespace {

template <class B>
B random_block(uint32_t seed) {
  B b;
  std::mt19937 rng(seed);
  auto* p = reinterpret_cast<uint8_t*>(&b);
  for (size_t i = 0; i < sizeof(B); ++i) p[i] = static_cast<uint8_t>(rng());
  return b;
}

uint16_t random_half(std::mt19937& rng) {  // a normal f16 of moderate size, either sign
  return static_cast<uint16_t>(((rng() & 1) << 15) | ((10 + rng() % 10) << 10) | (rng() & 0x3FF));
}

// 6-bit scale/min j of Q4_K/Q5_K read from the 96 bits as the layout comment in blocks.h says.
void k4_scale(const uint8_t* s, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 15) + 16 * (s[j - 4] >> 6);
    *m = (s[j + 4] >> 4) + 16 * (s[j] >> 6);
  }
}

void require_close(double got, double want, double scale) { REQUIRE(std::fabs(got - want) <= 1e-6 * scale); }

double weighted_error(const std::vector<float>& x, const std::vector<float>& w, const uint8_t* L, float scale,
                      float the_min, bool mad) {
  double e = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = static_cast<double>(scale) * L[i] - the_min - x[i];
    e += w[i] * (mad ? std::fabs(d) : d * d);
  }
  return e;
}

}  // namespace

TEST_CASE("K-quants dequantize random blocks as their documented layout says") {
  std::mt19937 rng(42);
  for (uint32_t seed = 0; seed < 20; ++seed) {
    float y[kQK_K];
    {
      auto b = random_block<BlockQ2_K>(seed);
      b.d = random_half(rng);
      b.dmin = random_half(rng);
      dequantize_row_q2_K(&b, y, kQK_K);
      const double d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
      for (int e = 0; e < kQK_K; ++e) {
        const int q = (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        const int sc = b.scales[e / 16] & 15, m = b.scales[e / 16] >> 4;
        require_close(y[e], d * sc * q - dmin * m, std::fabs(d) * 45 + std::fabs(dmin) * 15);
      }
    }
    {
      auto b = random_block<BlockQ3_K>(seed);
      b.d = random_half(rng);
      dequantize_row_q3_K(&b, y, kQK_K);
      const double d = fp16_to_fp32(b.d);
      for (int e = 0; e < kQK_K; ++e) {
        const int lo = (b.qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        const int hbit = (b.hmask[e % 32] >> (e / 32)) & 1;
        const int j = e / 16;
        const int low4 = j < 8 ? (b.scales[j] & 15) : (b.scales[j - 8] >> 4);
        const int high2 = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
        const int s = low4 + 16 * high2 - 32;
        require_close(y[e], d * s * (lo - (hbit ? 0 : 4)), std::fabs(d) * 128);
      }
    }
    {
      auto b = random_block<BlockQ4_K>(seed);
      b.d = random_half(rng);
      b.dmin = random_half(rng);
      dequantize_row_q4_K(&b, y, kQK_K);
      const double d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
      for (int e = 0; e < kQK_K; ++e) {
        const uint8_t byte = b.qs[32 * (e / 64) + e % 32];
        const int q = (e % 64) < 32 ? (byte & 15) : (byte >> 4);
        int sc, m;
        k4_scale(b.scales, e / 32, &sc, &m);
        require_close(y[e], d * sc * q - dmin * m, std::fabs(d) * 63 * 15 + std::fabs(dmin) * 63);
      }
    }
    {
      auto b = random_block<BlockQ5_K>(seed);
      b.d = random_half(rng);
      b.dmin = random_half(rng);
      dequantize_row_q5_K(&b, y, kQK_K);
      const double d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
      for (int e = 0; e < kQK_K; ++e) {
        const uint8_t byte = b.qs[32 * (e / 64) + e % 32];
        const int q = ((e % 64) < 32 ? (byte & 15) : (byte >> 4)) + 16 * ((b.qh[e % 32] >> (e / 32)) & 1);
        int sc, m;
        k4_scale(b.scales, e / 32, &sc, &m);
        require_close(y[e], d * sc * q - dmin * m, std::fabs(d) * 63 * 31 + std::fabs(dmin) * 63);
      }
    }
    {
      auto b = random_block<BlockQ6_K>(seed);
      b.d = random_half(rng);
      dequantize_row_q6_K(&b, y, kQK_K);
      const double d = fp16_to_fp32(b.d);
      for (int e = 0; e < kQK_K; ++e) {
        const int h = e / 128, k = (e % 128) / 32, l = e % 32;
        const uint8_t lbyte = b.ql[64 * h + 32 * (k & 1) + l];
        const int low = k < 2 ? (lbyte & 15) : (lbyte >> 4);
        const int high = (b.qh[32 * h + l] >> (2 * k)) & 3;
        require_close(y[e], d * b.scales[e / 16] * (low + 16 * high - 32), std::fabs(d) * 128 * 32);
      }
    }
    {
      auto b = random_block<BlockQ8_K>(seed);
      b.d = 0.03125f * static_cast<float>(seed + 1);
      dequantize_row_q8_K(&b, y, kQK_K);
      for (int e = 0; e < kQK_K; ++e) REQUIRE(y[e] == b.d * b.qs[e]);
    }
  }
}

TEST_CASE("make_qkx2_quants: hand-traced search step") {
  const float x[4] = {0, 1, 4, 8};
  const float w[4] = {0, 1, 4, 8};
  uint8_t L[4], Laux[4];
  float the_min = -1;
  const float scale = detail::make_qkx2_quants(4, 3, x, w, L, &the_min, Laux, -0.5f, 0.1f, 15, true);
  CHECK(scale == 4.0f);
  CHECK(the_min == 0.0f);
  CHECK(L[0] == 0);
  CHECK(L[1] == 0);
  CHECK(L[2] == 1);
  CHECK(L[3] == 2);
  // Without search steps the initial min/max fit is returned.
  const float s0 = detail::make_qkx2_quants(4, 3, x, w, L, &the_min, Laux, -0.5f, 0.1f, 0, true);
  CHECK(s0 == 1.0f / (3.0f / 8.0f));
  CHECK((L[0] == 0 && L[1] == 0 && L[2] == 2 && L[3] == 3));
}

TEST_CASE("K-quant scale searches never do worse than their starting point") {
  int improved = 0, total = 0;
  for (uint32_t seed = 0; seed < 200; ++seed) {
    for (const int n : {16, 32}) {
      auto x = test::gaussian(static_cast<size_t>(n), 1000 + seed);
      if (seed % 3 == 0)
        for (auto& v : x) v += 0.7f;  // some blocks mostly positive
      std::vector<float> w(x.size());
      float sum_x2 = 0;
      for (float v : x) sum_x2 += v * v;
      for (size_t i = 0; i < x.size(); ++i) w[i] = std::sqrt(sum_x2 / n) + std::fabs(x[i]);
      std::vector<uint8_t> L0(x.size()), L1(x.size()), aux(x.size());
      float m0, m1;
      const int nmax = n == 16 ? 3 : 15;
      const float s0 =
          detail::make_qkx2_quants(n, nmax, x.data(), w.data(), L0.data(), &m0, aux.data(), -1.f, 0.1f, 0, false);
      const float s1 =
          detail::make_qkx2_quants(n, nmax, x.data(), w.data(), L1.data(), &m1, aux.data(), -1.f, 0.1f, 20, false);
      const double e0 = weighted_error(x, w, L0.data(), s0, m0, false);
      const double e1 = weighted_error(x, w, L1.data(), s1, m1, false);
      REQUIRE(e1 <= e0 * (1 + 1e-5));
      for (uint8_t l : L1) REQUIRE(l <= nmax);
      REQUIRE(m1 >= 0.0f);
      improved += e1 < e0 * 0.999;
      ++total;
    }
    // make_qx_quants / make_q3_quants maximise sumlx^2 / suml2 (w = x^2) over symmetric grids.
    const auto x = test::gaussian(16, 5000 + seed);
    int8_t Lq[16];
    for (const int which : {0, 1}) {
      const float s =
          which == 0 ? detail::make_qx_quants(16, 32, x.data(), Lq) : detail::make_q3_quants(16, 4, x.data(), Lq);
      const int nmax = which == 0 ? 32 : 4;
      double err = 0, err_start = 0, amax = 0, max = 0;
      for (float v : x)
        if (std::fabs(v) > amax) {
          amax = std::fabs(v);
          max = v;
        }
      for (int i = 0; i < 16; ++i) {
        REQUIRE(Lq[i] >= 0);
        REQUIRE(Lq[i] < 2 * nmax);
        const double w2 = static_cast<double>(x[i]) * x[i];
        err += w2 * std::pow(x[i] - s * (Lq[i] - nmax), 2);
        // Starting point: L = round(-nmax / max * x), scale = 1 / iscale.
        const double l0 = std::clamp(std::nearbyint(-nmax / max * x[i]), -1.0 * nmax, nmax - 1.0);
        err_start += w2 * std::pow(x[i] - l0 * (-max / nmax), 2);
      }
      REQUIRE(err <= err_start * (1 + 1e-4) + 1e-12);
    }
  }
  CHECK(improved > total / 2);  // the search usually finds a better fit than min/max
}

TEST_CASE("K-quants quantize hand-traced blocks") {
  std::vector<float> x(kQK_K);
  SECTION("Q6_K of (i % 16) - 8") {
    for (int i = 0; i < kQK_K; ++i) x[i] = static_cast<float>(i % 16 - 8);
    BlockQ6_K b;
    quantize_row_q6_K(x.data(), &b, kQK_K);
    CHECK(b.d == 0x9800);  // -1/512
    for (int j = 0; j < 16; ++j) CHECK(b.scales[j] == -128);
    float y[kQK_K];
    dequantize_row_q6_K(&b, y, kQK_K);
    for (int i = 0; i < kQK_K; ++i) REQUIRE(y[i] == x[i]);
    CHECK(b.ql[0] == 0x00);   // elements 0 and 64: q = 4 * 0
    CHECK(b.ql[1] == 0x44);   // elements 1 and 65: q = 4 * 1 = 4 in both nibbles
    CHECK(b.qh[15] == 0xFF);  // elements 15, 47, 79, 111: q = 60 -> high bits 3 in every pair
  }
  SECTION("Q3_K of (i % 8) - 4") {
    for (int i = 0; i < kQK_K; ++i) x[i] = static_cast<float>(i % 8 - 4);
    BlockQ3_K b;
    quantize_row_q3_K(x.data(), &b, kQK_K);
    CHECK(b.d == 0xA800);                                  // -1/32
    for (int j = 0; j < 12; ++j) CHECK(b.scales[j] == 0);  // 6-bit value 0 = scale -32
    for (int l = 0; l < 32; ++l) {
      CHECK(b.hmask[l] == ((l % 8) >= 4 ? 0xFF : 0x00));  // q = x + 4 >= 4 for x >= 0
      CHECK(b.qs[l] == ((l % 8) & 3) * 0x55);
      CHECK(b.qs[32 + l] == ((l % 8) & 3) * 0x55);
    }
    float y[kQK_K];
    dequantize_row_q3_K(&b, y, kQK_K);
    for (int i = 0; i < kQK_K; ++i) REQUIRE(y[i] == x[i]);
  }
  SECTION("Q4_K of i % 16 and Q5_K of i % 32") {
    for (const bool five : {false, true}) {
      for (int i = 0; i < kQK_K; ++i) x[i] = static_cast<float>(i % (five ? 32 : 16));
      BlockQ4_K b4;
      BlockQ5_K b5;
      const uint8_t* scales;
      uint16_t d, dmin;
      float y[kQK_K];
      if (five) {
        quantize_row_q5_K(x.data(), &b5, kQK_K);
        scales = b5.scales, d = b5.d, dmin = b5.dmin;
        for (int l = 0; l < 32; ++l) {
          CHECK(b5.qh[l] == (l >= 16 ? 0xFF : 0x00));
          for (int c = 0; c < 4; ++c) CHECK(b5.qs[32 * c + l] == ((l & 15) | ((l & 15) << 4)));
        }
        dequantize_row_q5_K(&b5, y, kQK_K);
      } else {
        quantize_row_q4_K(x.data(), &b4, kQK_K);
        scales = b4.scales, d = b4.d, dmin = b4.dmin;
        for (int l = 0; l < 32; ++l) {
          for (int c = 0; c < 4; ++c) CHECK(b4.qs[32 * c + l] == ((l % 16) | ((l % 16) << 4)));
        }
        dequantize_row_q4_K(&b4, y, kQK_K);
      }
      CHECK(d == fp32_to_fp16(1.0f / 63.f));
      CHECK(dmin == 0);
      const uint8_t want[12] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x0F, 0x0F, 0x0F, 0x0F};
      for (int j = 0; j < 12; ++j) CHECK(scales[j] == want[j]);
      const float step = fp16_to_fp32(d) * 63;  // 1 up to the f16 rounding of 1/63
      for (int i = 0; i < kQK_K; ++i) REQUIRE(y[i] == step * x[i]);
    }
  }
  SECTION("Q2_K of (i % 4) - 1") {
    for (int i = 0; i < kQK_K; ++i) x[i] = static_cast<float>(i % 4 - 1);
    BlockQ2_K b;
    quantize_row_q2_K(x.data(), &b, kQK_K);
    CHECK(b.d == fp32_to_fp16(1.0f / 15.f));
    CHECK(b.dmin == b.d);
    for (int j = 0; j < 16; ++j) CHECK(b.scales[j] == 0xFF);
    for (int l = 0; l < 64; ++l) CHECK(b.qs[l] == (l % 4) * 0x55);  // q = x + 1 = i % 4
    float y[kQK_K];
    dequantize_row_q2_K(&b, y, kQK_K);
    for (int i = 0; i < kQK_K; ++i) REQUIRE(std::fabs(y[i] - x[i]) < 2e-3f);
  }
  SECTION("Q8_K: iscale -127/max, ties to even, bsums") {
    std::fill(x.begin(), x.end(), 0.0f);
    x[0] = -127.0f;  // max = -127 -> iscale = 1, d = 1
    x[1] = 2.5f;     // -> 2 (nearest_int rounds ties to even)
    x[2] = -3.5f;    // -> -4
    x[3] = 0.5f;     // -> 0
    x[4] = 1.5f;     // -> 2
    x[20] = 126.6f;  // -> 127
    x[255] = 127.0f;
    BlockQ8_K b;
    quantize_row_q8_K(x.data(), &b, kQK_K);
    CHECK(b.d == 1.0f);
    CHECK(b.qs[0] == -127);
    CHECK(b.qs[1] == 2);
    CHECK(b.qs[2] == -4);
    CHECK(b.qs[3] == 0);
    CHECK(b.qs[4] == 2);
    CHECK(b.qs[20] == 127);
    CHECK(b.qs[255] == 127);
    CHECK(b.bsums[0] == -127);
    CHECK(b.bsums[1] == 127);
    CHECK(b.bsums[15] == 127);
    for (int j = 2; j < 15; ++j) CHECK(b.bsums[j] == 0);
    // A positive max gives a negative d (x = d * q with q = -127 at the max).
    std::fill(x.begin(), x.end(), 0.0f);
    x[7] = 2.0f;
    quantize_row_q8_K(x.data(), &b, kQK_K);
    CHECK(b.d == 1.0f / (-127.f / 2.0f));
    CHECK(b.qs[7] == -127);
  }
}

TEST_CASE("K-quants: round-trip error bounds") {
  // Relative RMS error bounds on N(0,1) data: a uniform quantizer with step s has RMS error
  // s / sqrt(12); with s = (range of a sub-block) / levels that gives roughly 0.28, 0.14, 0.066,
  // 0.033, 0.017, 0.0068 for Q2_K..Q6_K, Q8_K. Measured here (19 seeds x 16 super-blocks):
  // 0.303, 0.154, 0.072, 0.037, 0.018, 0.0072. The bounds leave ~10% on top of that.
  struct Spec {
    GgmlType t;
    double rel_rms;
  };
  const Spec specs[] = {{GgmlType::Q2_K, 0.33},  {GgmlType::Q3_K, 0.17}, {GgmlType::Q4_K, 0.08},
                        {GgmlType::Q5_K, 0.041}, {GgmlType::Q6_K, 0.02}, {GgmlType::Q8_K, 0.008}};
  for (const Spec& s : specs) {
    INFO(type_info(s.t)->name);
    for (uint32_t seed = 1; seed < 6; ++seed) {
      const auto x = test::gaussian(4 * kQK_K, seed);
      CHECK(test::rms_diff(x, test::round_trip(s.t, x)) <= s.rel_rms * test::rms(x));
      const auto big = test::gaussian(4 * kQK_K, seed + 100, 1e4f);
      CHECK(test::rms_diff(big, test::round_trip(s.t, big)) <= s.rel_rms * test::rms(big));
    }
    // Zero in, zero out.
    for (float v : test::round_trip(s.t, test::constant(2 * kQK_K, 0.0f))) REQUIRE(v == 0.0f);
    // Constant blocks come back within 1e-3 relative (the f16 rounding of the scales).
    for (const float c : {1.2345f, -3.0f, 1000.0f}) {
      for (float v : test::round_trip(s.t, test::constant(kQK_K, c))) {
        REQUIRE(std::fabs(v - c) <= 1e-3f * std::fabs(c));
      }
    }
    // Tiny inputs: either reproduced (Q8_K has an f32 scale) or flushed to 0, never garbage.
    const auto tiny = test::gaussian(kQK_K, 9, 1e-30f);
    const auto yt = test::round_trip(s.t, tiny);
    for (size_t i = 0; i < tiny.size(); ++i) REQUIRE(std::fabs(yt[i] - tiny[i]) <= std::fabs(tiny[i]) + 1e-32f);
  }
}

TEST_CASE("every type meets llama.cpp test-quantize-fns' quantization error thresholds") {
  // tests/test-quantize-fns.cpp: data 0.1 + 2 cos(i), 4096 values, error sqrt(sum d^2) / n below
  // 0.002, or 0.0075 for Q2_K and 0.004 for Q3_K.
  const auto x = test::llama_test_data(4096, 0.0f);
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q8_1,
                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q8_K,
                     GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
    const auto y = test::round_trip(t, x);
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) sum += (static_cast<double>(x[i]) - y[i]) * (x[i] - y[i]);
    const double err = std::sqrt(sum) / static_cast<double>(x.size());
    const double limit = t == GgmlType::Q2_K ? 0.0075 : t == GgmlType::Q3_K ? 0.004 : 0.002;
    INFO(type_info(t)->name << " error " << err);
    CHECK(err < limit);
  }
}

TEST_CASE("every type survives non-finite and extreme inputs (no trap, no sanitizer report)") {
  // llama.cpp gives no meaning to these; we only require defined behaviour: in wasm a float->int
  // conversion of NaN or an out-of-range value would trap, natively it would be UB.
  std::vector<float> x = test::gaussian(2 * kQK_K, 11);
  x[3] = NAN;
  x[40] = INFINITY;
  x[77] = -INFINITY;
  x[300] = 3.4e38f;
  x[301] = -3.4e38f;
  x[400] = 1e-45f;                                // denormal
  for (size_t i = 256; i < 288; ++i) x[i] = NAN;  // a whole block of NaN
  for (GgmlType t : {GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                     GgmlType::Q8_0, GgmlType::Q8_1, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                     GgmlType::Q6_K, GgmlType::Q8_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
    INFO(type_info(t)->name);
    const auto y = test::round_trip(t, x);
    CHECK(y.size() == x.size());
    // For the 32-element formats the damage stays inside the bad blocks: [160, 192) is clean.
    if (type_info(t)->block_size == 32) {
      for (size_t i = 160; i < 192; ++i) CHECK(std::fabs(y[i] - x[i]) < 0.5f);
    }
  }
}
