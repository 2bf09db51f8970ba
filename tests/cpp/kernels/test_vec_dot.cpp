// Reference vec_dot kernels: the op tables, integer block sums (exact, against an independent
// decoding of the block layouts), and float results against a double-precision dot product of the
// dequantized weights and dequantized activations, within a derived rounding bound.
//
// The bound. Let u = 2^-24 (f32 unit roundoff), nb the number of blocks. Dequantized weights and
// activations are (up to one rounding each, which the reference also sees) exactly the values the
// kernels' integer sums and scales represent, so the kernel's only deviation is float rounding:
//  - per block, the scale products (d_w * d_a, then * int sum; the min term likewise) add <= 3u
//    relative to that block's terms;
//  - the running f32 sum over blocks adds <= (nb - 1)u times the sum of the block terms
//    (recursive summation); the 8-lane K-quant layout adds <= 7u for the final lane sum;
//  - the dequantization roundings (Q4_K/Q5_K: d*sc*q - dmin*m; Q8_K: d * q) add <= 2u.
// Every block term is bounded by T = sum_i |w_i a_i| (+ 2 sum_i |m_i a_i| for formats with a
// min m, whose scale and min parts can cancel), so |kernel - ref| <= (nb + 12) u T.
// Q4_1/Q5_1 additionally use Q8_1's s = f16(d_a * sum q_a) where the exact math has
// f16(d_a) * sum q_a: that format error, sum_b |m_b| |s_b - d_b sum q_a|, is added to the bound.
// F32/F16/BF16 multiply in f32 (u each) and add in double: |kernel - ref| <= 3u T.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "kernels/ops.h"
#include "kernels/ref/vec_dot.h"
#include "tests/cpp/kernels/decode_blocks.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;
using namespace chord::kernels;

namespace {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24

const GgmlType kWeightTypes[] = {
    GgmlType::F32,     GgmlType::F16,    GgmlType::BF16,   GgmlType::Q4_0,    GgmlType::Q4_1,   GgmlType::Q5_0,
    GgmlType::Q5_1,    GgmlType::Q8_0,   GgmlType::Q2_K,   GgmlType::Q3_K,    GgmlType::Q4_K,   GgmlType::Q5_K,
    GgmlType::Q6_K,    GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::IQ2_XXS, GgmlType::IQ2_XS, GgmlType::IQ2_S,
    GgmlType::IQ3_XXS, GgmlType::IQ3_S,  GgmlType::IQ1_S,  GgmlType::IQ1_M,   GgmlType::TQ1_0,  GgmlType::TQ2_0};

bool is_float(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }
bool has_min(GgmlType t) {
  return t == GgmlType::Q4_1 || t == GgmlType::Q5_1 || t == GgmlType::Q2_K || t == GgmlType::Q4_K ||
         t == GgmlType::Q5_K;
}

// The reference integer part of one block, through the exported block_dot_* functions (grid
// I-quants: the IQ1 shift part in *delta_sum).
int64_t kernel_block_int(GgmlType t, const uint8_t* w, const uint8_t* a, int32_t* min_sum, int32_t* delta_sum) {
  *min_sum = *delta_sum = 0;
  if (quant::has_iq_unpack(t)) return ref::block_dot_iq_grid_q8_K(t, w, a, delta_sum);
  switch (t) {
    case GgmlType::Q4_0:
      return ref::block_dot_q4_0_q8_0(w, a);
    case GgmlType::Q4_1:
      return ref::block_dot_q4_1_q8_1(w, a);
    case GgmlType::Q5_0:
      return ref::block_dot_q5_0_q8_0(w, a);
    case GgmlType::Q5_1:
      return ref::block_dot_q5_1_q8_1(w, a);
    case GgmlType::Q8_0:
      return ref::block_dot_q8_0_q8_0(w, a);
    case GgmlType::Q2_K:
      return ref::block_dot_q2_K_q8_K(w, a, min_sum);
    case GgmlType::Q3_K:
      return ref::block_dot_q3_K_q8_K(w, a);
    case GgmlType::Q4_K:
      return ref::block_dot_q4_K_q8_K(w, a, min_sum);
    case GgmlType::Q5_K:
      return ref::block_dot_q5_K_q8_K(w, a, min_sum);
    case GgmlType::Q6_K:
      return ref::block_dot_q6_K_q8_K(w, a);
    case GgmlType::IQ4_NL:
      return ref::block_dot_iq4_nl_q8_0(w, a);
    case GgmlType::IQ4_XS:
      return ref::block_dot_iq4_xs_q8_K(w, a);
    default:
      return 0;
  }
}

// Weight/activation inputs of n values (family 0..4).
std::vector<float> input(int family, size_t n, uint32_t seed) {
  auto v = test::gaussian(n, seed);
  switch (family) {
    case 1:  // large magnitudes with outliers
      for (size_t i = 0; i < n; ++i) v[i] *= (i % 13 == 0) ? 3e3f : 30.0f;
      break;
    case 2:  // zero stretches (whole blocks of zeros and single zeros)
      for (size_t i = 0; i < n; ++i) {
        if ((i / 32) % 3 == 1 || i % 5 == 0) v[i] = 0.0f;
      }
      break;
    case 3:  // all positive, far from zero: exercises the mins
      for (auto& x : v) x = std::fabs(x) + 4.0f;
      break;
    case 4:  // tiny
      for (auto& x : v) x *= 1e-3f;
      break;
    default:
      break;
  }
  return v;
}

struct DotCheck {
  double ref = 0;    // double dot of dequantized rows
  double bound = 0;  // allowed |kernel - ref|
  float got = 0;     // kernel result
};

DotCheck run_dot(GgmlType wt, const std::vector<float>& wf, const std::vector<float>& af) {
  const TypeOps* op = ref_ops(wt);
  REQUIRE(op != nullptr);
  const auto n = static_cast<int64_t>(wf.size());
  std::vector<uint8_t> wq(test::bytes_for(wt, n)), aq(test::bytes_for(op->act_type, n) + 8);
  if (quant::has_iq_unpack(wt)) {  // no quantizer: random blocks with wf's RMS (zero rows stay zero)
    uint32_t seed;
    std::memcpy(&seed, wf.data(), 4);
    quant::random_row_iq(wt, seed + static_cast<uint64_t>(n), static_cast<float>(test::rms(wf)), wq.data(), n);
  } else {
    quant::quantize_row(wt, wf.data(), wq.data(), n);
  }
  op->from_float(af.data(), aq.data(), n);
  // from_float writes exactly what the reference quantizer / converter writes for act_type.
  std::vector<uint8_t> aq2(aq.size());
  quant::quantize_row(op->act_type, af.data(), aq2.data(), n);
  REQUIRE(std::memcmp(aq.data(), aq2.data(), test::bytes_for(op->act_type, n)) == 0);

  std::vector<float> wd(wf.size()), ad(af.size());
  quant::dequantize_row(wt, wq.data(), wd.data(), n);
  quant::dequantize_row(op->act_type, aq.data(), ad.data(), n);
  DotCheck c;
  double T = 0;
  for (int64_t i = 0; i < n; ++i) {
    c.ref += static_cast<double>(wd[i]) * ad[i];
    T += std::fabs(static_cast<double>(wd[i]) * ad[i]);
  }
  c.got = op->vec_dot(n, wq.data(), aq.data());
  if (is_float(wt)) {
    c.bound = 3 * kU * T + 1e-30;
    return c;
  }
  // Per-block integer parts (exact) and the min-related terms of the bound.
  const uint32_t bs = type_info(wt)->block_size;
  const size_t wbytes = type_info(wt)->type_size, abytes = type_info(op->act_type)->type_size;
  const int64_t nb = n / bs;
  double s_err = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* wb = wq.data() + b * wbytes;
    const uint8_t* ab = aq.data() + b * abytes;
    const test::Decoded dw = test::decode_weights(wt, wb);
    const int8_t* qa = test::activation_quants(op->act_type, ab);
    int64_t want = 0, want_min = 0, want_delta = 0;
    for (uint32_t e = 0; e < bs; ++e) {
      want += static_cast<int64_t>(dw.scale16[e / 16]) * dw.q[e] * qa[e];
      want_min += static_cast<int64_t>(dw.min16[e / 16]) * qa[e];
      want_delta += static_cast<int64_t>(dw.scale16[e / 16]) * dw.delta8[e / 8] * qa[e];
    }
    int32_t min_sum, delta_sum;
    const int64_t got = kernel_block_int(wt, wb, ab, &min_sum, &delta_sum);
    REQUIRE(got == want);
    REQUIRE(min_sum == want_min);
    REQUIRE(delta_sum == want_delta);
    if (!has_min(wt)) continue;
    // Magnitude of the min part of each weight: |m| (Q4_1/Q5_1) or |dmin * min_g| (K-quants).
    uint16_t mh;
    std::memcpy(&mh, wb + (wt == GgmlType::Q2_K ? 82 : 2), 2);
    const double m = std::fabs(static_cast<double>(quant::fp16_to_fp32(mh)));
    for (uint32_t e = 0; e < bs; ++e) {
      const double me = (wt == GgmlType::Q4_1 || wt == GgmlType::Q5_1) ? m : m * dw.min16[e / 16];
      T += 2 * me * std::fabs(static_cast<double>(ad[b * bs + e]));
    }
    if (wt == GgmlType::Q4_1 || wt == GgmlType::Q5_1) {
      uint16_t dh, sh;
      std::memcpy(&dh, ab, 2);
      std::memcpy(&sh, ab + 2, 2);
      int64_t sum_qa = 0;
      for (uint32_t e = 0; e < bs; ++e) sum_qa += qa[e];
      s_err += m * std::fabs(static_cast<double>(quant::fp16_to_fp32(sh)) -
                             static_cast<double>(quant::fp16_to_fp32(dh)) * static_cast<double>(sum_qa));
    }
  }
  c.bound = static_cast<double>(nb + 12) * kU * T + s_err + 1e-30;
  return c;
}

}  // namespace

TEST_CASE("op tables: activation types are llama.cpp's vec_dot_type") {
  CHECK(ref_ops(GgmlType::F32)->act_type == GgmlType::F32);
  CHECK(ref_ops(GgmlType::F16)->act_type == GgmlType::F16);
  CHECK(ref_ops(GgmlType::BF16)->act_type == GgmlType::BF16);
  CHECK(ref_ops(GgmlType::Q4_0)->act_type == GgmlType::Q8_0);
  CHECK(ref_ops(GgmlType::Q4_1)->act_type == GgmlType::Q8_1);
  CHECK(ref_ops(GgmlType::Q5_0)->act_type == GgmlType::Q8_0);
  CHECK(ref_ops(GgmlType::Q5_1)->act_type == GgmlType::Q8_1);
  CHECK(ref_ops(GgmlType::Q8_0)->act_type == GgmlType::Q8_0);
  for (GgmlType t : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    CHECK(ref_ops(t)->act_type == GgmlType::Q8_K);
  }
  CHECK(ref_ops(GgmlType::IQ4_NL)->act_type == GgmlType::Q8_0);
  CHECK(ref_ops(GgmlType::IQ4_XS)->act_type == GgmlType::Q8_K);
  for (GgmlType t : kWeightTypes) {
    if (quant::has_iq_unpack(t)) CHECK(ref_ops(t)->act_type == GgmlType::Q8_K);  // TQ1_0 / TQ2_0 too
  }
  for (GgmlType t : {GgmlType::Q8_1, GgmlType::Q8_K, GgmlType::I8, GgmlType::MXFP4}) {
    CHECK(ref_ops(t) == nullptr);
    CHECK(ops(t) == nullptr);
  }
  for (GgmlType t : kWeightTypes) {
    INFO(type_info(t)->name);
    REQUIRE(ops(t) != nullptr);
    CHECK(ops(t)->act_type == ref_ops(t)->act_type);  // SIMD entries keep the activation type
    CHECK(quant::has_dequant(t));                     // get_row dequantizes any weight type
  }
}

TEST_CASE("ref vec_dot: exact integer block sums, float result within the derived bound") {
  for (GgmlType wt : kWeightTypes) {
    const uint32_t bs = type_info(wt)->block_size;
    // Element counts: 1, 2, 3, 7, 64 blocks (float types: that many elements, plus 257, 1000).
    std::vector<int64_t> counts = {1, 2, 3, 7, 64};
    if (is_float(wt)) counts.insert(counts.end(), {257, 1000});
    for (int64_t blocks : counts) {
      for (int family = 0; family < 5; ++family) {
        const auto n = static_cast<size_t>(blocks * bs);
        const uint32_t seed = static_cast<uint32_t>(blocks * 31 + family * 7 + static_cast<uint32_t>(wt));
        const auto wf = input(family, n, seed);
        const auto af = input((family + 2) % 5, n, seed + 1000);
        INFO(type_info(wt)->name << " blocks " << blocks << " family " << family);
        const DotCheck c = run_dot(wt, wf, af);
        INFO("ref " << c.ref << " got " << c.got << " bound " << c.bound);
        REQUIRE(std::isfinite(c.got));
        REQUIRE(std::fabs(static_cast<double>(c.got) - c.ref) <= c.bound);
      }
    }
  }
}

TEST_CASE("ref vec_dot: all-zero rows and one-hot rows") {
  for (GgmlType wt : kWeightTypes) {
    INFO(type_info(wt)->name);
    const uint32_t bs = type_info(wt)->block_size;
    const size_t n = is_float(wt) ? 64 : 3 * bs;
    const auto x = test::gaussian(n, 77);
    CHECK(run_dot(wt, std::vector<float>(n, 0.0f), x).got == 0.0f);
    CHECK(run_dot(wt, x, std::vector<float>(n, 0.0f)).got == 0.0f);
    // One-hot activation picks a single (dequantized) weight.
    std::vector<float> onehot(n, 0.0f);
    onehot[n / 2 + 1] = 1.0f;
    const DotCheck c = run_dot(wt, x, onehot);
    REQUIRE(std::fabs(static_cast<double>(c.got) - c.ref) <= c.bound);
  }
}

TEST_CASE("quantize + vec_dot meet llama.cpp test-quantize-fns' dot product thresholds") {
  // tests/test-quantize-fns.cpp: 4096 values of 0.1 + 2 cos(i + offset) (offsets 0 and 1); the
  // error |vec_dot(quantized) - dot(f32)| / n must stay below 0.02 (0.04 for Q2_K).
  const auto x = test::llama_test_data(4096, 0.0f);
  const auto y = test::llama_test_data(4096, 1.0f);
  double exact = 0;
  for (size_t i = 0; i < x.size(); ++i) exact += x[i] * y[i];  // as llama.cpp: f32 products
  for (GgmlType wt : kWeightTypes) {
    if (!quant::has_reference(wt)) continue;  // the grid I-quants have no quantizer here
    const TypeOps* op = ref_ops(wt);
    std::vector<uint8_t> wq(test::bytes_for(wt, 4096)), aq(test::bytes_for(op->act_type, 4096));
    quant::quantize_row(wt, x.data(), wq.data(), 4096);
    op->from_float(y.data(), aq.data(), 4096);
    const double err = std::fabs(op->vec_dot(4096, wq.data(), aq.data()) - exact) / 4096;
    INFO(type_info(wt)->name << " error " << err);
    CHECK(err < (wt == GgmlType::Q2_K ? 0.04 : 0.02));
  }
}
