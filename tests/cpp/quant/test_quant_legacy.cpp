// Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1: dequantization of hand-built blocks, quantization of inputs whose
// blocks can be worked out by hand, and per-element round-trip error bounds on many inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/quant/quant.h"
#include "core/quant/rows.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;
using namespace chord::quant;
using chord::test::round_trip;

namespace {

uint32_t qh_word(const uint8_t* qh) {
  return qh[0] | (qh[1] << 8) | (qh[2] << 16) | (static_cast<uint32_t>(qh[3]) << 24);
}

// The input families every round-trip test runs on (n = 8 blocks of 32).
std::vector<std::vector<float>> legacy_inputs() {
  std::vector<std::vector<float>> v;
  v.push_back(test::gaussian(256, 1));
  v.push_back(test::gaussian(256, 2, 1e4f));    // large (|x| up to ~4e4 < 65504: d stays finite)
  v.push_back(test::gaussian(256, 3, 1e-30f));  // tiny: the f16 scales underflow to 0
  v.push_back(test::constant(256, 0.0f));
  v.push_back(test::constant(256, 1.2345f));
  v.push_back(test::constant(256, -3.0f));
  auto mixed = test::gaussian(256, 4);
  for (size_t i = 0; i < mixed.size(); i += 7) mixed[i] *= 100.0f;  // outliers
  for (size_t i = 64; i < 96; ++i) mixed[i] = 0.0f;                 // one all-zero block
  v.push_back(mixed);
  auto positive = test::gaussian(256, 5);
  for (auto& x : positive) x = std::fabs(x) + 10.0f;  // min far from 0: tests the Q4_1/Q5_1 min
  v.push_back(positive);
  return v;
}

}  // namespace

TEST_CASE("legacy formats dequantize hand-built blocks") {
  SECTION("Q4_0: x = d * (nibble - 8), low nibbles are elements 0..15") {
    BlockQ4_0 b{};
    b.d = 0x3800;  // 0.5
    for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    float y[32];
    dequantize_row_q4_0(&b, y, 32);
    for (int j = 0; j < 16; ++j) {
      CHECK(y[j] == 0.5f * static_cast<float>(j - 8));
      CHECK(y[j + 16] == 0.5f * static_cast<float>(7 - j));
    }
  }
  SECTION("Q4_1: x = d * nibble + m") {
    BlockQ4_1 b{};
    b.d = 0x3400;  // 0.25
    b.m = 0xBC00;  // -1
    for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
    float y[32];
    dequantize_row_q4_1(&b, y, 32);
    for (int j = 0; j < 16; ++j) {
      CHECK(y[j] == 0.25f * static_cast<float>(j) - 1.0f);
      CHECK(y[j + 16] == 0.25f * static_cast<float>(15 - j) - 1.0f);
    }
  }
  SECTION("Q5_0 / Q5_1: bit j of qh (little-endian) is the 5th bit of element j") {
    BlockQ5_0 b{};
    b.d = 0x4000;  // 2
    const uint32_t qh = 0xA5C3F00Fu;
    for (int k = 0; k < 4; ++k) b.qh[k] = static_cast<uint8_t>(qh >> (8 * k));
    for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(((3 * j) & 15) | (((5 * j + 1) & 15) << 4));
    float y[32];
    dequantize_row_q5_0(&b, y, 32);
    BlockQ5_1 b1{};
    b1.d = 0x4000;
    b1.m = 0x4200;  // 3
    std::memcpy(b1.qh, b.qh, 4);
    std::memcpy(b1.qs, b.qs, 16);
    float y1[32];
    dequantize_row_q5_1(&b1, y1, 32);
    for (int e = 0; e < 32; ++e) {
      const int lo = e < 16 ? (b.qs[e] & 15) : (b.qs[e - 16] >> 4);
      const int q = lo | static_cast<int>(((qh >> e) & 1u) << 4);
      CHECK(y[e] == 2.0f * static_cast<float>(q - 16));
      CHECK(y1[e] == 2.0f * static_cast<float>(q) + 3.0f);
    }
  }
  SECTION("Q8_0 / Q8_1: x = d * q") {
    BlockQ8_0 b{};
    b.d = 0xC000;  // -2
    BlockQ8_1 b1{};
    b1.d = 0xC000;
    b1.s = 0x7BFF;  // ignored by dequantization
    for (int j = 0; j < 32; ++j) b.qs[j] = b1.qs[j] = static_cast<int8_t>(j * 8 - 128);
    float y[32], y1[32];
    dequantize_row_q8_0(&b, y, 32);
    dequantize_row_q8_1(&b1, y1, 32);
    for (int j = 0; j < 32; ++j) {
      CHECK(y[j] == -2.0f * static_cast<float>(j * 8 - 128));
      CHECK(y1[j] == y[j]);
    }
  }
}

TEST_CASE("legacy formats quantize hand-computed blocks") {
  float ramp[32];  // -16 .. 15
  for (int j = 0; j < 32; ++j) ramp[j] = static_cast<float>(j - 16);

  SECTION("Q4_0 of -16..15: max = -16 so d = -16 / -8 = 2, q = trunc((x / 2) + 8.5)") {
    BlockQ4_0 b{};
    quantize_row_q4_0(ramp, &b, 32);
    CHECK(b.d == 0x4000);
    // x = j - 16: q = trunc(j / 2 + 0.5) = (j + 1) / 2, and x = 15 gives 16 -> clamped to 15.
    for (int j = 0; j < 16; ++j) {
      const int q0 = (j + 1) / 2, q1 = std::min(15, (j + 17) / 2);
      CHECK(b.qs[j] == (q0 | (q1 << 4)));
    }
  }
  SECTION("Q4_0 takes the sign of the largest magnitude: +4 max gives d = -0.5") {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j % 8) * 0.5f;  // 0 .. 3.5, max 3.5
    x[5] = 4.0f;
    BlockQ4_0 b{};
    quantize_row_q4_0(x, &b, 32);
    CHECK(b.d == 0xB800);  // -0.5
    float y[32];
    dequantize_row_q4_0(&b, y, 32);
    for (int j = 0; j < 32; ++j) CHECK(y[j] == x[j]);  // all on the grid: exact
    CHECK((b.qs[5] & 15) == 0);                        // the max maps to q = 0 (-8 * -0.5 = 4)
  }
  SECTION("Q4_1 of j % 16: min 0, max 15, d = 1, q = x") {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j % 16);
    BlockQ4_1 b{};
    quantize_row_q4_1(x, &b, 32);
    CHECK(b.d == 0x3C00);
    CHECK(b.m == 0x0000);
    for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == (j | (j << 4)));
  }
  SECTION("Q5_0 of -16..15: d = -16 / -16 = 1, q = x + 16") {
    BlockQ5_0 b{};
    quantize_row_q5_0(ramp, &b, 32);
    CHECK(b.d == 0x3C00);
    CHECK(qh_word(b.qh) == 0xFFFF0000u);  // elements 16..31 have q >= 16
    for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == (j | (j << 4)));
  }
  SECTION("Q5_1 of 10..41: min 10, d = 1, q = x - 10") {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j + 10);
    BlockQ5_1 b{};
    quantize_row_q5_1(x, &b, 32);
    CHECK(b.d == 0x3C00);
    CHECK(b.m == 0x4900);  // 10
    CHECK(qh_word(b.qh) == 0xFFFF0000u);
    for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == (j | (j << 4)));
  }
  SECTION("Q8_0 / Q8_1 of -16..15: d = 16/127, x * 127/16 rounded half away from zero") {
    BlockQ8_0 b{};
    quantize_row_q8_0(ramp, &b, 32);
    BlockQ8_1 b1{};
    quantize_row_q8_1(ramp, &b1, 32);
    CHECK(b.d == fp32_to_fp16(16.0f / 127.0f));
    CHECK(b1.d == b.d);
    // id = 1 / (16/127) = 7.9375 (exact in float), so x * id is exact: (j - 16) * 7.9375.
    CHECK(b.qs[0] == -127);
    CHECK(b.qs[8] == -64);  // -63.5 -> -64 (roundf: away from zero, not to even)
    CHECK(b.qs[24] == 64);  // 63.5 -> 64
    CHECK(b.qs[16] == 0);
    CHECK(b.qs[31] == 119);  // 119.0625
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      CHECK(b1.qs[j] == b.qs[j]);
      sum += b.qs[j];
    }
    // s is f16(d * sum(q)) with the f32 d before rounding to f16.
    CHECK(b1.s == fp32_to_fp16(static_cast<float>(sum) * (16.0f / 127.0f)));
    CHECK(sum == -127);  // x = +-k cancel (roundf is odd-symmetric), leaving q(-16) = -127
  }
  SECTION("Q8_0 rounds halves away from zero (roundf), unlike the K-quants' nearest_int") {
    float x[32] = {127.0f, 2.5f, -0.5f, 0.5f, -3.5f, 4.5f, 1.49999988f};
    BlockQ8_0 b{};
    quantize_row_q8_0(x, &b, 32);
    CHECK(b.d == 0x3C00);  // 127 / 127
    const int want[7] = {127, 3, -1, 1, -4, 5, 1};
    for (int j = 0; j < 7; ++j) CHECK(b.qs[j] == want[j]);
  }
}

TEST_CASE("legacy formats: per-element round-trip error within the format's step") {
  struct Spec {
    GgmlType t;
    bool symmetric;
    float levels;   // step = amax / levels (symmetric) or (max - min) / levels
    float qmax;     // largest |q| multiplying d when dequantizing
    float k_steps;  // allowed error in steps (1 for Q4_0/Q5_0: the clamped end loses a step)
  };
  const Spec specs[] = {{GgmlType::Q4_0, true, 8, 8, 1.0f},     {GgmlType::Q5_0, true, 16, 16, 1.0f},
                        {GgmlType::Q8_0, true, 127, 127, 0.5f}, {GgmlType::Q8_1, true, 127, 127, 0.5f},
                        {GgmlType::Q4_1, false, 15, 15, 0.5f},  {GgmlType::Q5_1, false, 31, 31, 0.5f}};
  const auto inputs = legacy_inputs();
  for (const Spec& s : specs) {
    for (size_t in = 0; in < inputs.size(); ++in) {
      const auto& x = inputs[in];
      std::vector<uint8_t> q;
      const auto y = round_trip(s.t, x, &q);
      const size_t bsize = type_info(s.t)->type_size;
      for (size_t b = 0; b < x.size() / 32; ++b) {
        const float* xb = &x[b * 32];
        float mn = xb[0], mx = xb[0], amax = 0;
        for (int j = 0; j < 32; ++j) {
          mn = std::min(mn, xb[j]);
          mx = std::max(mx, xb[j]);
          amax = std::max(amax, std::fabs(xb[j]));
        }
        // Blocks start with the f16 d (and m for the asymmetric types).
        uint16_t dh, mh = 0;
        std::memcpy(&dh, &q[b * bsize], 2);
        if (!s.symmetric) std::memcpy(&mh, &q[b * bsize + 2], 2);
        const double step = s.symmetric ? amax / s.levels : (static_cast<double>(mx) - mn) / s.levels;
        // The f16 scale differs from the exact step by its rounding (or underflow to 0).
        const double d_err = std::fabs(std::fabs(static_cast<double>(fp16_to_fp32(dh))) - step);
        const double m_err = s.symmetric ? 0.0 : std::fabs(static_cast<double>(fp16_to_fp32(mh)) - mn);
        const double bound = s.k_steps * step + s.qmax * d_err + m_err + 1e-6 * (amax + step);
        for (int j = 0; j < 32; ++j) {
          const double err = std::fabs(static_cast<double>(xb[j]) - y[b * 32 + j]);
          INFO(type_info(s.t)->name << " input " << in << " block " << b << " j " << j << " x " << xb[j] << " y "
                                    << y[b * 32 + j]);
          REQUIRE(err <= bound);
        }
      }
    }
  }
}

TEST_CASE("legacy formats: special inputs") {
  for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q8_1}) {
    INFO(type_info(t)->name);
    // All zero: every value comes back exactly 0.
    const auto z = round_trip(t, test::constant(64, 0.0f));
    for (float v : z) CHECK(v == 0.0f);
    // Tiny values: the f16 scale underflows, the output is 0 (never NaN or garbage).
    const auto tiny = test::gaussian(64, 7, 1e-30f);
    const auto yt = round_trip(t, tiny);
    for (float v : yt) CHECK(v == 0.0f);
    // Values on the f16-representable grid of a power-of-two step come back exactly.
    std::vector<float> grid(64);
    for (size_t i = 0; i < grid.size(); ++i) grid[i] = static_cast<float>(static_cast<int>(i % 8) - 4) * 0.25f;
    grid[3] = -1.0f;  // pin amax = 1 (= 4 steps of 0.25) in every block
    grid[35] = -1.0f;
    if (t == GgmlType::Q4_0 || t == GgmlType::Q5_0 || t == GgmlType::Q4_1 || t == GgmlType::Q5_1) {
      // Q4_0: d = -1/-8 = 0.125, grid of 0.25 is on it; Q4_1: d = 1.75/15 is not a power of two,
      // so only the symmetric ones are exact. Check Q4_0/Q5_0 exactly, the others within bound.
      const auto yg = round_trip(t, grid);
      if (t == GgmlType::Q4_0 || t == GgmlType::Q5_0) {
        for (size_t i = 0; i < grid.size(); ++i) CHECK(yg[i] == grid[i]);
      }
    }
  }
}
