// IQ4_NL / IQ4_XS reference conversions: dequantization of hand-built blocks as ggml-common.h lays
// them out, the quantizer on a hand-traced block, its nearest-codebook property and its error
// against the linear 4-bit formats on Gaussian data.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/quant/quant.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;
using namespace chord::quant;

namespace {

constexpr int kBook[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Stored scale of each 32 elements (IQ4_XS: d * (ls - 32)) and the codes, from the raw bytes.
struct Coded {
  std::vector<float> scale;  // per 32 elements
  std::vector<int> code;     // per element
};
Coded decode(GgmlType t, const std::vector<uint8_t>& q, size_t n) {
  Coded c;
  for (size_t b = 0; b < n / 32; ++b) {
    const uint8_t* qs;
    if (t == GgmlType::IQ4_NL) {
      const uint8_t* blk = q.data() + 18 * b;
      c.scale.push_back(fp16_to_fp32(static_cast<uint16_t>(blk[0] | blk[1] << 8)));
      qs = blk + 2;
    } else {
      const auto& x = reinterpret_cast<const BlockIQ4_XS*>(q.data())[b / 8];
      c.scale.push_back(fp16_to_fp32(x.d) * static_cast<float>(iq4_xs_scale(x, static_cast<int>(b % 8)) - 32));
      qs = x.qs + 16 * (b % 8);
    }
    for (int j = 0; j < 32; ++j) c.code.push_back(j < 16 ? qs[j] & 15 : qs[j - 16] >> 4);
  }
  return c;
}

}  // namespace

TEST_CASE("IQ4_NL / IQ4_XS dequantize hand-built blocks") {
  BlockIQ4_NL nl{};
  nl.d = fp32_to_fp16(0.5f);
  for (int j = 0; j < 16; ++j) nl.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);
  float y[256];
  dequantize_row(GgmlType::IQ4_NL, &nl, y, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y[j] == 0.5f * kBook[j]);
    CHECK(y[j + 16] == 0.5f * kBook[15 - j]);
  }

  BlockIQ4_XS xs{};
  xs.d = fp32_to_fp16(0.25f);
  const int ls[8] = {0, 63, 32, 31, 33, 16, 47, 1};  // 6-bit scales, used as ls - 32
  for (int j = 0; j < 8; ++j) {
    xs.scales_l[j / 2] |= static_cast<uint8_t>((ls[j] & 15) << (4 * (j % 2)));
    xs.scales_h |= static_cast<uint16_t>((ls[j] >> 4) << (2 * j));
    REQUIRE(iq4_xs_scale(xs, j) == ls[j]);
  }
  for (int i = 0; i < 128; ++i) xs.qs[i] = static_cast<uint8_t>((i * 7) % 16 | ((i * 3 + 5) % 16) << 4);
  dequantize_row(GgmlType::IQ4_XS, &xs, y, 256);
  for (int e = 0; e < 256; ++e) {
    const int j = e / 32, l = e % 32;
    const uint8_t byte = xs.qs[16 * j + l % 16];
    const int q = l < 16 ? byte & 15 : byte >> 4;
    INFO("element " << e);
    CHECK(y[e] == 0.25f * static_cast<float>(ls[j] - 32) * static_cast<float>(kBook[q]));
  }
}

TEST_CASE("IQ4_NL quantizes a block on the codebook exactly (hand-traced)") {
  // x = 0.01 * book[j % 16]: the scale candidate (0 - 127) / max = 100 reproduces the codes.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = 0.01f * static_cast<float>(kBook[j % 16]);
  std::vector<uint8_t> q;
  const auto y = test::round_trip(GgmlType::IQ4_NL, x, &q);
  const auto& b = *reinterpret_cast<const BlockIQ4_NL*>(q.data());
  CHECK(b.d == fp32_to_fp16(0.01f));
  for (int j = 0; j < 16; ++j) CHECK(b.qs[j] == (j | j << 4));
  for (int j = 0; j < 32; ++j) CHECK(std::fabs(y[j] - x[j]) <= 1e-3f * std::fabs(x[j]));
}

TEST_CASE("IQ4 quantizers: every code is the nearest codebook value under the stored scale") {
  for (GgmlType t : {GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
    for (uint32_t seed = 1; seed < 5; ++seed) {
      const auto x = test::gaussian(1024, seed, seed == 4 ? 1e3f : 1.0f);
      std::vector<uint8_t> q;
      test::round_trip(t, x, &q);
      const Coded c = decode(t, q, x.size());
      for (size_t e = 0; e < x.size(); ++e) {
        const float s = c.scale[e / 32];
        const double got = std::fabs(x[e] - s * kBook[c.code[e]]);
        double best = got;
        for (int k = 0; k < 16; ++k) best = std::min(best, std::fabs(static_cast<double>(x[e]) - s * kBook[k]));
        INFO(type_info(t)->name << " seed " << seed << " element " << e);
        // Codes are chosen with the scale before its f16 rounding (as llama.cpp does).
        CHECK(got <= best + 2e-3 * std::fabs(s) * 127);
      }
    }
  }
}

TEST_CASE("IQ4 quantizers: round-trip error below the linear 4-bit formats, zeros and constants") {
  // Measured on N(0,1) (8 seeds x 4096): relative RMS error IQ4_NL 0.0759 vs Q4_0 0.0852, IQ4_XS
  // 0.0765 vs Q4_K 0.0712 (Q4_K spends 0.25 more bits per weight, on mins).
  double e_nl = 0, e_q40 = 0, e_xs = 0, e_q4k = 0, r = 0;
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    const auto x = test::gaussian(4096, seed);
    e_nl += test::rms_diff(x, test::round_trip(GgmlType::IQ4_NL, x));
    e_xs += test::rms_diff(x, test::round_trip(GgmlType::IQ4_XS, x));
    e_q40 += test::rms_diff(x, test::round_trip(GgmlType::Q4_0, x));
    e_q4k += test::rms_diff(x, test::round_trip(GgmlType::Q4_K, x));
    r += test::rms(x);
  }
  INFO("relative RMS: iq4_nl " << e_nl / r << " q4_0 " << e_q40 / r << " iq4_xs " << e_xs / r << " q4_K " << e_q4k / r);
  CHECK(e_nl < 0.93 * e_q40);
  CHECK(e_xs < 1.0 * e_q40);
  CHECK(e_xs / r < 0.08);
  for (GgmlType t : {GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
    INFO(type_info(t)->name);
    for (float v : test::round_trip(t, test::constant(512, 0.0f))) REQUIRE(v == 0.0f);
    for (const float c : {1.2345f, -3.0f, 1000.0f}) {
      for (float v : test::round_trip(t, test::constant(256, c))) REQUIRE(std::fabs(v - c) <= 1e-3f * std::fabs(c));
    }
  }
}
