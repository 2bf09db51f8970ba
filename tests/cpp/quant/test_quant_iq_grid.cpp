// Grid I-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M) and the ternary TQ1_0 / TQ2_0:
// grid entries and the sign table spot-checked against ggml-common.h's literals, hand-built blocks
// dequantized element by element (values worked out by hand from the layouts), dequantization of
// random blocks against the tests' independent decoder, and the random valid blocks chord-synth writes.
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "tests/cpp/kernels/decode_blocks.h"

using namespace chord;
using namespace chord::quant;

namespace {

// The grid I-quants and the ternary types (same unpacking, no quantizer).
constexpr GgmlType kGridTypes[] = {GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S,
                                   GgmlType::IQ3_XXS, GgmlType::IQ3_S,  GgmlType::IQ1_S,
                                   GgmlType::IQ1_M,   GgmlType::TQ1_0,  GgmlType::TQ2_0};

std::vector<float> dequant(GgmlType t, const void* block) {
  std::vector<float> y(256);
  dequantize_row(t, block, y.data(), 256);
  return y;
}

void put16(uint8_t* p, uint32_t v) { p[0] = v & 0xFF, p[1] = (v >> 8) & 0xFF; }
void put32(uint8_t* p, uint32_t v) { put16(p, v & 0xFFFF), put16(p + 2, v >> 16); }

}  // namespace

TEST_CASE("grid I-quants: grid entries and signs as ggml-common.h writes them") {
  CHECK(kIq2xxsGrid[1] == 0x080808080808082bull);
  CHECK(kIq2xxsGrid[255] == 0x2b2b2b1908081908ull);
  CHECK(kIq2xsGrid[300] == 0x1908190808191908ull);
  CHECK(kIq2xsGrid[511] == 0x2b2b2b2b2b2b2b2bull);
  CHECK(kIq2sGrid[700] == 0x1919082b2b080808ull);
  CHECK(kIq3xxsGrid[5] == 0x04040c3eu);
  CHECK(kIq3xxsGrid[255] == 0x3e341c04u);
  CHECK(kIq3sGrid[300] == 0x07030503u);
  CHECK(kIq3sGrid[511] == 0x0f0f0101u);
  CHECK(kIq1sGrid[0] == 0xffffffffffffffffull);
  CHECK(kIq1sGrid[1500] == 0x01ff00ff00ffff00ull);
  CHECK(kIq1sGrid[2047] == 0x0101010101010101ull);
  // ksigns_iq2xs: entries 0, 1, 2, 3, 64, 126, 127.
  CHECK(iq_signs8(0) == 0);
  CHECK(iq_signs8(1) == 129);
  CHECK(iq_signs8(2) == 130);
  CHECK(iq_signs8(3) == 3);
  CHECK(iq_signs8(64) == 192);
  CHECK(iq_signs8(126) == 126);
  CHECK(iq_signs8(127) == 255);
  for (uint32_t c = 0; c < 128; ++c) CHECK(std::popcount(static_cast<uint32_t>(iq_signs8(c))) % 2 == 0);
}

TEST_CASE("grid I-quants dequantize hand-built blocks") {
  SECTION("IQ2_XXS") {  // ib 1: indices 1, 255, 0, 0; group 0 sign code 1 (elements 0 and 7); s = 3
    uint8_t b[66] = {};
    put16(b, fp32_to_fp16(1.0f));
    b[2 + 8] = 1, b[2 + 9] = 255;
    put32(b + 2 + 12, 1u | (3u << 28));
    const auto y = dequant(GgmlType::IQ2_XXS, b);
    const float db = 0.875f;  // (0.5 + 3) / 4
    CHECK(y[32] == -db * 43);
    CHECK(y[33] == db * 8);
    CHECK(y[39] == -db * 8);
    CHECK(y[40] == db * 8);
    CHECK(y[41] == db * 25);
    CHECK(y[45] == db * 43);
    CHECK(y[0] == 1.0f);  // s = 0: 0.125 * 8
  }
  SECTION("IQ2_XS") {  // ib 2, group 3: index 300, sign code 5 (elements 0, 2); scales 4 / 7
    uint8_t b[74] = {};
    put16(b, fp32_to_fp16(2.0f));
    put16(b + 2 + 2 * 11, 300u | (5u << 9));
    b[66 + 2] = 0x74;
    const auto y = dequant(GgmlType::IQ2_XS, b);
    CHECK(y[88] == -3.75f * 8);  // 2 * (0.5 + 7) / 4
    CHECK(y[89] == 3.75f * 25);
    CHECK(y[90] == -3.75f * 25);
    CHECK(y[91] == 3.75f * 8);
    CHECK(y[72] == 2.25f * 8);  // group 1: low nibble 4
  }
  SECTION("IQ2_S") {  // ib 5, group 2: index 700 (high bits in qh), signs 0x81, scale 9
    uint8_t b[82] = {};
    put16(b, fp32_to_fp16(1.0f));
    b[2 + 22] = 700 & 255;
    b[66 + 5] = (700 >> 8) << 4;
    b[34 + 22] = 0x81;
    b[74 + 5] = 0x90;
    const auto y = dequant(GgmlType::IQ2_S, b);
    CHECK(y[176] == -2.375f * 8);  // (0.5 + 9) / 4
    CHECK(y[179] == 2.375f * 43);
    CHECK(y[183] == -2.375f * 25);
  }
  SECTION("IQ3_XXS") {  // ib 7, group 1: indices 5, 255; sign code 0x40 (elements 6, 7); s = 15
    uint8_t b[98] = {};
    put16(b, fp32_to_fp16(1.0f));
    b[2 + 58] = 5, b[2 + 59] = 255;
    put32(b + 66 + 28, (0x40u << 7) | (15u << 28));
    const auto y = dequant(GgmlType::IQ3_XXS, b);
    const float db = 7.75f;  // (0.5 + 15) / 2
    CHECK(y[232] == db * 62);
    CHECK(y[233] == db * 12);
    CHECK(y[236] == db * 4);
    CHECK(y[237] == db * 28);
    CHECK(y[238] == -db * 52);
    CHECK(y[239] == -db * 62);
  }
  SECTION("IQ3_S") {  // ib 3, group 2, second half: index 300 (bit 8 in qh bit 5), sign 0x80; s = 6
    uint8_t b[110] = {};
    put16(b, fp32_to_fp16(0.5f));
    b[2 + 29] = 300 & 255;
    b[66 + 3] = 0x20;
    b[74 + 14] = 0x80;
    b[106 + 1] = 0x60;
    const auto y = dequant(GgmlType::IQ3_S, b);
    CHECK(y[116] == 6.5f * 3);  // 0.5 * (1 + 2 * 6)
    CHECK(y[117] == 6.5f * 5);
    CHECK(y[118] == 6.5f * 3);
    CHECK(y[119] == -6.5f * 7);
    CHECK(y[112] == 6.5f);
  }
  SECTION("IQ1_S") {  // ib 4, group 1: index 1500 (high bits in qh), s = 6, delta -1/8
    uint8_t b[50] = {};
    put16(b, fp32_to_fp16(0.25f));
    b[2 + 17] = 1500 & 255;
    put16(b + 34 + 8, ((1500u >> 8) << 3) | (6u << 12) | 0x8000u);
    const auto y = dequant(GgmlType::IQ1_S, b);
    const float dl = 3.25f;  // 0.25 * 13
    CHECK(y[136] == dl * -0.125f);
    CHECK(y[137] == dl * -1.125f);
    CHECK(y[143] == dl * 0.875f);
    CHECK(y[128] == dl * -1.125f);  // group 0: index 0 (all -1)
  }
  SECTION("IQ1_M") {  // d = 0.5 in the scales' top nibbles; ib 6: s = 5 / 2; group 3 index 2047, delta -1/8
    uint8_t b[56] = {};
    b[48 + 5] = 0x80, b[48 + 6] = 5 | (2 << 3), b[48 + 7] = 0x30;  // f16 0x3800: nibbles 0, 0, 8, 3
    b[24] = 1;
    b[27] = 255;
    b[32 + 13] = 0xF0;
    CHECK(iq_block_d(GgmlType::IQ1_M, b) == 0x3800);
    const auto y = dequant(GgmlType::IQ1_M, b);
    CHECK(y[192] == 5.5f * 1.125f);  // 0.5 * 11
    CHECK(y[193] == 5.5f * -0.875f);
    CHECK(y[216] == 2.5f * 0.875f);  // 0.5 * 5
    CHECK(y[223] == 2.5f * 0.875f);
    CHECK(y[0] == 0.5f * -0.875f);
  }
}

TEST_CASE("ternary types dequantize hand-built blocks") {
  SECTION("TQ1_0") {  // byte 200 = digits 2, 1, 0, 0, 0 (2 * 81 + 27 = 189, * 256 / 243 rounded up)
    uint8_t b[54] = {};
    b[5] = 200, b[32 + 8] = 200, b[48 + 2] = 200;
    put16(b + 52, fp32_to_fp16(0.5f));
    const auto y = dequant(GgmlType::TQ1_0, b);
    const int first[5] = {5, 37, 69, 101, 133}, mid[3] = {168, 184, 200}, tail[4] = {242, 246, 250, 254};
    const float want[5] = {0.5f, 0.0f, -0.5f, -0.5f, -0.5f};
    for (int n = 0; n < 5; ++n) CHECK(y[first[n]] == want[n]);
    for (int n = 0; n < 3; ++n) CHECK(y[mid[n]] == want[n]);
    for (int n = 0; n < 4; ++n) CHECK(y[tail[n]] == want[n]);
    CHECK(y[0] == -0.5f);  // byte 0: every digit 0
  }
  SECTION("TQ2_0") {  // qs[33] codes 0, 1, 2, 3 in bits 0-1, 2-3, 4-5, 6-7
    uint8_t b[66] = {};
    b[33] = 0xE4;
    put16(b + 64, fp32_to_fp16(2.0f));
    const auto y = dequant(GgmlType::TQ2_0, b);
    CHECK(y[129] == -2.0f);
    CHECK(y[161] == 0.0f);
    CHECK(y[193] == 2.0f);
    CHECK(y[225] == 4.0f);
  }
}

TEST_CASE("grid I-quants: dequantization of random blocks matches the independent decoder") {
  std::mt19937 rng(99);
  for (GgmlType t : kGridTypes) {
    INFO(type_info(t)->name);
    const uint32_t bytes = type_info(t)->type_size;
    std::vector<uint8_t> b(bytes * 16);
    for (auto& v : b) v = static_cast<uint8_t>(rng());
    for (int i = 0; i < 16; ++i)
      iq_set_block_d(t, b.data() + i * bytes, fp32_to_fp16(i % 4 == 3 ? 65504.0f : 0.01f * i));
    std::vector<float> y(16 * 256);
    dequantize_row(t, b.data(), y.data(), 16 * 256);
    const double mul = iq_grid_mul(t);
    for (int i = 0; i < 16; ++i) {
      const uint8_t* p = b.data() + i * bytes;
      const test::Decoded d = test::decode_weights(t, p);
      const double bd = fp16_to_fp32(iq_block_d(t, p));
      for (int e = 0; e < 256; ++e) {
        const double want = mul * bd * d.scale16[e / 16] * (d.q[e] + d.delta8[e / 8] / 8.0);
        REQUIRE(std::isfinite(y[i * 256 + e]));
        REQUIRE(std::fabs(y[i * 256 + e] - want) <= 2.5e-7 * std::fabs(want));
      }
    }
  }
}

TEST_CASE("grid I-quants: random valid rows are deterministic with the requested RMS") {
  for (GgmlType t : kGridTypes) {
    INFO(type_info(t)->name);
    const int64_t n = 1024;
    std::vector<uint8_t> a(row_size(t, n)), b(a.size()), c(a.size());
    random_row_iq(t, 7, 0.02f, a.data(), n);
    random_row_iq(t, 7, 0.02f, b.data(), n);
    random_row_iq(t, 8, 0.02f, c.data(), n);
    CHECK(a == b);
    CHECK(a != c);
    std::vector<float> y(n);
    dequantize_row(t, a.data(), y.data(), n);
    for (int64_t blk = 0; blk < n / 256; ++blk) {
      double ss = 0;
      for (int e = 0; e < 256; ++e) ss += static_cast<double>(y[blk * 256 + e]) * y[blk * 256 + e];
      CHECK(std::sqrt(ss / 256) == Approx(0.02).epsilon(1e-3));  // d is a half: 2^-11 relative
    }
    random_row_iq(t, 7, 0.0f, a.data(), n);
    dequantize_row(t, a.data(), y.data(), n);
    for (float v : y) REQUIRE(v == 0.0f);
  }
}
