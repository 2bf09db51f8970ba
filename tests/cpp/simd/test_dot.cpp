// Dot products of every weight type, SIMD128 (wasm SIMD builds), relaxed SIMD (relaxed builds, over
// the SIMD128 table) and reference (always), against a double-precision dot of the dequantized rows:
// integer block sums bit-exact (SIMD == relaxed == reference == an independent decoding), float results within (nb +
// 12) u T (T = sum |w_i a_i| plus the min terms; derivation in tests/cpp/kernels/test_vec_dot.cpp; the SIMD order —
// four block sums per f32x4 lane step, a pairwise lane sum, the reference for leftover blocks — stays inside it), on 1,
// 2, 3, 7, 64 and 257 blocks, unaligned rows, raw random blocks (every quant bit pattern, blocks of one repeated byte,
// activations all -128 / all 127 / mixed, max-magnitude f16 scales) and quantized float data.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "kernels/ref/vec_dot.h"
#include "tests/cpp/kernels/decode_blocks.h"
#include "tests/cpp/quant/quant_test_util.h"
#include "tests/cpp/simd/simd_test_util.h"
#ifdef CHORD_SIMD128
#include "kernels/simd128/simd128.h"
#endif
#ifdef CHORD_RELAXED_SIMD
#include "kernels/relaxed/relaxed.h"
#endif

using namespace chord;
using namespace chord::test;
using kernels::TypeOps;

namespace {

bool has_min(GgmlType t) {
  return t == GgmlType::Q4_1 || t == GgmlType::Q5_1 || t == GgmlType::Q2_K || t == GgmlType::Q4_K ||
         t == GgmlType::Q5_K;
}

// Offsets of a weight block's f16 scale fields (d first), for raw blocks.
std::vector<size_t> half_fields(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_1:
    case GgmlType::Q5_1:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
      return {0, 2};
    case GgmlType::Q2_K:
      return {80, 82};
    case GgmlType::Q3_K:
      return {108};
    case GgmlType::Q6_K:
      return {208};
    case GgmlType::IQ1_M:
      return {};  // its d lives in the scales' top nibbles (raw_weights sets it)
    case GgmlType::TQ1_0:
      return {52};
    case GgmlType::TQ2_0:
      return {64};
    default:
      return {0};
  }
}

// Raw weight blocks: random bytes or one repeated byte, finite scales (every 5th block at the f16
// maximum).
std::vector<uint8_t> raw_weights(GgmlType t, int64_t nb, std::mt19937& rng) {
  const size_t bs = type_info(t)->type_size;
  std::vector<uint8_t> w(bs * nb);
  for (auto& b : w) b = static_cast<uint8_t>(rng());
  // Every third block one byte repeated: all quant bits set / clear, Q8_0 all -128 or all 127.
  constexpr uint8_t kFills[] = {0xFF, 0x80, 0x7F, 0x00};
  for (int64_t b = 1; b < nb; b += 3) std::memset(w.data() + b * bs, kFills[(b / 3) % 4], bs);
  for (int64_t b = 0; b < nb; ++b) {
    for (size_t off : half_fields(t)) {
      const uint16_t h = b % 5 == 4 ? 0x7BFF : random_half(rng, 1e-3f, 2.0f);
      put_u16(w.data() + b * bs + off, h);
    }
    if (t == GgmlType::IQ1_M)
      quant::iq_set_block_d(t, w.data() + b * bs, b % 5 == 4 ? 0x7BFF : random_half(rng, 1e-3f, 2.0f));
  }
  return w;
}

// Weight rows from float data: the type's quantizer, or for the grid I-quants (no quantizer)
// random valid blocks with the data's RMS.
std::vector<uint8_t> weight_row(GgmlType t, const std::vector<float>& x, uint32_t seed) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> w(bytes_for(t, n));
  if (quant::has_iq_unpack(t)) {
    quant::random_row_iq(t, seed, static_cast<float>(rms(x)), w.data(), n);
  } else {
    quant::quantize_row(t, x.data(), w.data(), n);
  }
  return w;
}

// Raw activation blocks: random quants, alternating 127 / -128, all -128, all 127, or random with
// extra 127s; consistent s / bsums.
std::vector<uint8_t> raw_acts(GgmlType t, int64_t nb, std::mt19937& rng) {
  const size_t bs = type_info(t)->type_size;
  const int qk = t == GgmlType::Q8_K ? 256 : 32;
  std::vector<uint8_t> a(bs * nb);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* p = a.data() + b * bs;
    int8_t* qs = reinterpret_cast<int8_t*>(p + (t == GgmlType::Q8_0 ? 2 : 4));
    const int mode = static_cast<int>(rng() % 5);
    for (int i = 0; i < qk; ++i) {
      const int r = static_cast<int>(rng() % 256) - 128;
      qs[i] = static_cast<int8_t>(mode == 0   ? r
                                  : mode == 1 ? (i % 2 ? -128 : 127)
                                  : mode == 2 ? -128
                                  : mode == 3 ? 127
                                              : (r % 3 ? r : 127));
    }
    if (t == GgmlType::Q8_K) {
      const float d = std::ldexp(static_cast<float>(rng() % 1000 + 1), -10);
      std::memcpy(p, &d, 4);
      int16_t bsums[16];
      for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int i = 0; i < 16; ++i) s += qs[16 * g + i];
        bsums[g] = static_cast<int16_t>(s);
      }
      std::memcpy(p + 260, bsums, sizeof bsums);
    } else {
      // Max-magnitude scale every 7th block (Q8_1: 8, so that s = d * sum stays a finite half).
      const uint16_t d = b % 7 == 6 ? (t == GgmlType::Q8_1 ? 0x4800 : 0x7BFF) : random_half(rng, 1e-3f, 1.0f);
      put_u16(p, static_cast<uint16_t>(d & 0x7FFF));
      if (t == GgmlType::Q8_1) {
        int s = 0;
        for (int i = 0; i < 32; ++i) s += qs[i];
        put_u16(p + 2, quant::fp32_to_fp16(quant::fp16_to_fp32(d & 0x7FFF) * static_cast<float>(s)));
      }
    }
  }
  return a;
}

// Quantizable inputs: gaussian, large with outliers, zero stretches, positive (mins), tiny.
std::vector<float> family_input(int family, size_t n, uint32_t seed) {
  auto v = gaussian(n, seed);
  for (size_t i = 0; i < n; ++i) {
    if (family == 1) v[i] *= (i % 13 == 0) ? 3e3f : 30.0f;
    if (family == 2 && ((i / 32) % 3 == 1 || i % 5 == 0)) v[i] = 0.0f;
    if (family == 3) v[i] = std::fabs(v[i]) + 4.0f;
    if (family == 4) v[i] *= 1e-3f;
  }
  return v;
}

#ifdef CHORD_RELAXED_SIMD
// The relaxed kernels' integer block sum (and min term) of one block.
int64_t relaxed_block_sum(GgmlType wt, const uint8_t* pw, const uint8_t* pa, int32_t* min) {
  namespace r = kernels::relaxed;
  switch (wt) {
    case GgmlType::Q4_0:
      return r::block_dot_q4_0_q8_0(pw, pa);
    case GgmlType::Q4_1:
      return r::block_dot_q4_1_q8_1(pw, pa);
    case GgmlType::Q5_0:
      return r::block_dot_q5_0_q8_0(pw, pa);
    case GgmlType::Q5_1:
      return r::block_dot_q5_1_q8_1(pw, pa);
    case GgmlType::Q8_0:
      return r::block_dot_q8_0_q8_0(pw, pa);
    case GgmlType::IQ4_NL:
      return r::block_dot_iq4_nl_q8_0(pw, pa);
    case GgmlType::Q2_K:
      return r::block_dot_q2_K_q8_K(pw, pa, min);
    case GgmlType::Q3_K:
      return r::block_dot_q3_K_q8_K(pw, pa);
    case GgmlType::Q4_K:
      return r::block_dot_q4_K_q8_K(pw, pa, min);
    case GgmlType::Q5_K:
      return r::block_dot_q5_K_q8_K(pw, pa, min);
    case GgmlType::Q6_K:
      return r::block_dot_q6_K_q8_K(pw, pa);
    case GgmlType::IQ4_XS:
      return r::block_dot_iq4_xs_q8_K(pw, pa);
    default:
      return 0;
  }
}
#endif

// Double-precision dot of the dequantized rows and the allowed deviation of a kernel.
struct Expect {
  double ref = 0, bound = 0;
};

Expect expect(GgmlType wt, const uint8_t* w, const uint8_t* a, int64_t n) {
  const GgmlType at = kernels::ref_ops(wt)->act_type;
  std::vector<float> wd(n), ad(n);
  quant::dequantize_row(wt, w, wd.data(), n);
  quant::dequantize_row(at, a, ad.data(), n);
  Expect e;
  double T = 0;
  for (int64_t i = 0; i < n; ++i) {
    e.ref += static_cast<double>(wd[i]) * ad[i];
    T += std::fabs(static_cast<double>(wd[i]) * ad[i]);
  }
  if (is_float_type(wt)) {
    e.bound = 4 * kU * T + 1e-30;  // products in f32 (u), f32 chunk sums of depth 2, f64 accumulation
    return e;
  }
  const uint32_t bs = type_info(wt)->block_size;
  const size_t wbytes = type_info(wt)->type_size, abytes = type_info(at)->type_size;
  const int64_t nb = n / bs;
  double s_err = 0;
  for (int64_t b = 0; b < nb && has_min(wt); ++b) {
    const uint8_t* wb = w + b * wbytes;
    const uint8_t* ab = a + b * abytes;
    const Decoded dw = decode_weights(wt, wb);
    uint16_t mh;
    std::memcpy(&mh, wb + (wt == GgmlType::Q2_K ? 82 : 2), 2);
    const double m = std::fabs(static_cast<double>(quant::fp16_to_fp32(mh)));
    for (uint32_t i = 0; i < bs; ++i) {
      const double me = (wt == GgmlType::Q4_1 || wt == GgmlType::Q5_1) ? m : m * dw.min16[i / 16];
      T += 2 * me * std::fabs(static_cast<double>(ad[b * bs + i]));
    }
    if (wt == GgmlType::Q4_1 || wt == GgmlType::Q5_1) {  // Q8_1's s = f16(d * sum q) vs f16(d) * sum q
      uint16_t dh, sh;
      std::memcpy(&dh, ab, 2);
      std::memcpy(&sh, ab + 2, 2);
      int64_t sum_qa = 0;
      const int8_t* qa = activation_quants(at, ab);
      for (uint32_t i = 0; i < bs; ++i) sum_qa += qa[i];
      s_err += m * std::fabs(static_cast<double>(quant::fp16_to_fp32(sh)) -
                             static_cast<double>(quant::fp16_to_fp32(dh)) * static_cast<double>(sum_qa));
    }
  }
  e.bound = static_cast<double>(nb + 12) * kU * T + s_err + 1e-30;
  return e;
}

// Runs every implementation on (w, a) placed at several misalignments; all must meet the bound,
// and the multi-row entry must reproduce vec_dot bit for bit.
void check_all(GgmlType wt, const std::vector<uint8_t>& w, const std::vector<std::vector<uint8_t>>& acts, int64_t n) {
  const Expect e0 = expect(wt, w.data(), acts[0].data(), n);
  const size_t align = wt == GgmlType::F32 || kernels::ref_ops(wt)->act_type == GgmlType::Q8_K ? 4 : 2;
  for (const DotImpl& impl : dot_impls(wt)) {
    INFO(impl.name << " " << type_info(wt)->name << " n " << n);
    REQUIRE(impl.ops != nullptr);
    for (size_t mis : {size_t{0}, align, 3 * align, 5 * align}) {
      Placed pw(w.data(), w.size(), mis), pa(acts[0].data(), acts[0].size(), (mis + align) % 16);
      const float got = impl.ops->vec_dot(n, pw.data(), pa.data());
      INFO("misalign " << mis << " ref " << e0.ref << " got " << got << " bound " << e0.bound);
      REQUIRE(std::fabs(static_cast<double>(got) - e0.ref) <= e0.bound);
    }
    if (!impl.ops->vec_dot_multi) continue;
    const size_t row = acts[0].size(), stride = row + align;
    Placed pa(acts.size() * stride, align);
    for (size_t t = 0; t < acts.size(); ++t) std::memcpy(pa.data() + t * stride, acts[t].data(), row);
    Placed pw(w.data(), w.size(), align);
    for (int n_act = 1; n_act <= static_cast<int>(acts.size()); ++n_act) {
      std::vector<float> out(n_act, -1.0f);
      impl.ops->vec_dot_multi(n, pw.data(), pa.data(), stride, n_act, out.data());
      for (int t = 0; t < n_act; ++t) {
        INFO("multi n_act " << n_act << " row " << t);
        const float single = impl.ops->vec_dot(n, pw.data(), pa.data() + t * stride);
        REQUIRE(std::memcmp(&out[t], &single, 4) == 0);
      }
    }
    if (!impl.ops->dot_packed) continue;
    // Packed rows (from_float bytes + pack()) give exactly vec_dot's results.
    REQUIRE(impl.ops->pack != nullptr);
    REQUIRE(impl.ops->packed_bytes != nullptr);
    const uint64_t pstride = (impl.ops->packed_bytes(n) + 15) / 16 * 16 + 16;
    REQUIRE(impl.ops->packed_bytes(n) >= row);
    Placed pp(acts.size() * pstride, 0);
    for (size_t t = 0; t < acts.size(); ++t) {
      std::memcpy(pp.data() + t * pstride, acts[t].data(), row);
      impl.ops->pack(pp.data() + t * pstride, n);
      REQUIRE(std::memcmp(pp.data() + t * pstride, acts[t].data(), row) == 0);  // raw bytes kept
    }
    for (int n_act = 1; n_act <= static_cast<int>(acts.size()); ++n_act) {
      std::vector<float> out(n_act, -1.0f);
      impl.ops->dot_packed(n, pw.data(), pp.data(), pstride, n_act, out.data());
      for (int t = 0; t < n_act; ++t) {
        INFO("packed n_act " << n_act << " row " << t);
        const float single = impl.ops->vec_dot(n, pw.data(), pa.data() + t * stride);
        REQUIRE(std::memcmp(&out[t], &single, 4) == 0);
      }
    }
  }
}

}  // namespace

TEST_CASE("simd dot: integer block sums are bit-exact (SIMD == reference == decoded)") {
  std::mt19937 rng(12345);
  for (GgmlType wt : kDotTypes) {
    if (is_float_type(wt)) continue;
    const GgmlType at = kernels::ref_ops(wt)->act_type;
    INFO(type_info(wt)->name);
    const int64_t nb = 300;
    const auto w = raw_weights(wt, nb, rng);
    const auto a = raw_acts(at, nb, rng);
    const size_t wb = type_info(wt)->type_size, ab = type_info(at)->type_size;
    const uint32_t qk = type_info(wt)->block_size;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* pw = w.data() + b * wb;
      const uint8_t* pa = a.data() + b * ab;
      const Decoded dw = decode_weights(wt, pw);
      const int8_t* qa = activation_quants(at, pa);
      int64_t want = 0, want_min = 0, want_delta = 0;
      for (uint32_t i = 0; i < qk; ++i) {
        want += static_cast<int64_t>(dw.scale16[i / 16]) * dw.q[i] * qa[i];
        want_min += static_cast<int64_t>(dw.min16[i / 16]) * qa[i];
        want_delta += static_cast<int64_t>(dw.scale16[i / 16]) * dw.delta8[i / 8] * qa[i];
      }
      int32_t ref_min = 0, ref_delta = 0;
      int64_t ref_sum = 0;
      if (quant::has_iq_unpack(wt)) ref_sum = kernels::ref::block_dot_iq_grid_q8_K(wt, pw, pa, &ref_delta);
      switch (wt) {
        case GgmlType::Q4_0:
          ref_sum = kernels::ref::block_dot_q4_0_q8_0(pw, pa);
          break;
        case GgmlType::Q4_1:
          ref_sum = kernels::ref::block_dot_q4_1_q8_1(pw, pa);
          break;
        case GgmlType::Q5_0:
          ref_sum = kernels::ref::block_dot_q5_0_q8_0(pw, pa);
          break;
        case GgmlType::Q5_1:
          ref_sum = kernels::ref::block_dot_q5_1_q8_1(pw, pa);
          break;
        case GgmlType::Q8_0:
          ref_sum = kernels::ref::block_dot_q8_0_q8_0(pw, pa);
          break;
        case GgmlType::Q2_K:
          ref_sum = kernels::ref::block_dot_q2_K_q8_K(pw, pa, &ref_min);
          break;
        case GgmlType::Q3_K:
          ref_sum = kernels::ref::block_dot_q3_K_q8_K(pw, pa);
          break;
        case GgmlType::Q4_K:
          ref_sum = kernels::ref::block_dot_q4_K_q8_K(pw, pa, &ref_min);
          break;
        case GgmlType::Q5_K:
          ref_sum = kernels::ref::block_dot_q5_K_q8_K(pw, pa, &ref_min);
          break;
        case GgmlType::Q6_K:
          ref_sum = kernels::ref::block_dot_q6_K_q8_K(pw, pa);
          break;
        case GgmlType::IQ4_NL:
          ref_sum = kernels::ref::block_dot_iq4_nl_q8_0(pw, pa);
          break;
        case GgmlType::IQ4_XS:
          ref_sum = kernels::ref::block_dot_iq4_xs_q8_K(pw, pa);
          break;
        default:
          break;
      }
      INFO("block " << b);
      REQUIRE(ref_sum == want);
      REQUIRE(ref_delta == want_delta);
      if (has_min(wt) && wt != GgmlType::Q4_1 && wt != GgmlType::Q5_1) REQUIRE(ref_min == want_min);
#ifdef CHORD_SIMD128
      if (quant::has_iq_unpack(wt)) {  // IQ1 types fold the shift into the sum (8 sum + delta_sum)
        const bool iq1 = wt == GgmlType::IQ1_S || wt == GgmlType::IQ1_M;
        REQUIRE(kernels::simd128::block_dot_iq_grid_q8_K(wt, pw, pa) == (iq1 ? 8 * ref_sum + ref_delta : ref_sum));
#ifdef CHORD_RELAXED_SIMD
        REQUIRE(kernels::relaxed::block_dot_iq_grid_q8_K(wt, pw, pa) == (iq1 ? 8 * ref_sum + ref_delta : ref_sum));
#endif
        continue;
      }
      namespace s = kernels::simd128;
      int32_t simd_min = 0;
      int64_t simd_sum = 0;
      switch (wt) {
        case GgmlType::Q4_0:
          simd_sum = s::block_dot_q4_0_q8_0(pw, pa);
          break;
        case GgmlType::Q4_1:
          simd_sum = s::block_dot_q4_1_q8_1(pw, pa);
          break;
        case GgmlType::Q5_0:
          simd_sum = s::block_dot_q5_0_q8_0(pw, pa);
          break;
        case GgmlType::Q5_1:
          simd_sum = s::block_dot_q5_1_q8_1(pw, pa);
          break;
        case GgmlType::Q8_0:
          simd_sum = s::block_dot_q8_0_q8_0(pw, pa);
          break;
        case GgmlType::Q2_K:
          simd_sum = s::block_dot_q2_K_q8_K(pw, pa, &simd_min);
          break;
        case GgmlType::Q3_K:
          simd_sum = s::block_dot_q3_K_q8_K(pw, pa);
          break;
        case GgmlType::Q4_K:
          simd_sum = s::block_dot_q4_K_q8_K(pw, pa, &simd_min);
          break;
        case GgmlType::Q5_K:
          simd_sum = s::block_dot_q5_K_q8_K(pw, pa, &simd_min);
          break;
        case GgmlType::Q6_K:
          simd_sum = s::block_dot_q6_K_q8_K(pw, pa);
          break;
        case GgmlType::IQ4_NL:
          simd_sum = s::block_dot_iq4_nl_q8_0(pw, pa);
          break;
        case GgmlType::IQ4_XS:
          simd_sum = s::block_dot_iq4_xs_q8_K(pw, pa);
          break;
        default:
          break;
      }
      REQUIRE(simd_sum == ref_sum);
      REQUIRE(simd_min == ref_min);
#endif
#ifdef CHORD_RELAXED_SIMD
      int32_t relaxed_min = 0;
      REQUIRE(relaxed_block_sum(wt, pw, pa, &relaxed_min) == ref_sum);
      REQUIRE(relaxed_min == ref_min);
#endif
    }
  }
}

TEST_CASE("simd dot: raw random blocks (extreme quants and scales) within the derived bound") {
  std::mt19937 rng(777);
  for (GgmlType wt : kDotTypes) {
    if (is_float_type(wt)) continue;
    const GgmlType at = kernels::ref_ops(wt)->act_type;
    const uint32_t qk = type_info(wt)->block_size;
    for (int64_t nb : {1, 2, 3, 4, 5, 7, 8, 64, 257}) {
      const auto w = raw_weights(wt, nb, rng);
      std::vector<std::vector<uint8_t>> acts;
      for (int t = 0; t < 6; ++t) acts.push_back(raw_acts(at, nb, rng));
      check_all(wt, w, acts, nb * qk);
    }
  }
}

TEST_CASE("simd dot: quantized float rows of every type and size within the derived bound") {
  for (GgmlType wt : kDotTypes) {
    const uint32_t bs = is_float_type(wt) ? 32 : type_info(wt)->block_size;
    const kernels::TypeOps* op = kernels::ref_ops(wt);
    std::vector<int64_t> counts = {1, 2, 3, 7, 64, 257};
    for (int64_t blocks : counts) {
      if (bs == 256 && blocks == 257 && wt != GgmlType::Q4_K) continue;  // keep the run short
      for (int family = 0; family < 5; ++family) {
        const int64_t n = blocks * bs + (is_float_type(wt) ? blocks % 7 : 0);  // float rows: odd tails
        const uint32_t seed = static_cast<uint32_t>(blocks * 31 + family * 7 + static_cast<uint32_t>(wt));
        const auto wf = family_input(family, n, seed);
        const std::vector<uint8_t> wq = weight_row(wt, wf, seed);
        std::vector<std::vector<uint8_t>> acts;
        for (int t = 0; t < 5; ++t) {
          const auto af = family_input((family + 2 + t) % 5, n, seed + 1000 + t);
          std::vector<uint8_t> aq(bytes_for(op->act_type, n));
          op->from_float(af.data(), aq.data(), n);
          acts.push_back(std::move(aq));
        }
        INFO("family " << family);
        check_all(wt, wq, acts, n);
      }
    }
  }
}

TEST_CASE("simd dot: zero rows give exactly zero") {
  for (GgmlType wt : kDotTypes) {
    const int64_t n = is_float_type(wt) ? 100 : 3 * type_info(wt)->block_size;
    const kernels::TypeOps* op = kernels::ref_ops(wt);
    std::vector<float> zero(n, 0.0f);
    const auto x = gaussian(n, 5);
    const std::vector<uint8_t> wz = weight_row(wt, zero, 1), wx = weight_row(wt, x, 2);
    std::vector<uint8_t> az(bytes_for(op->act_type, n)), ax(bytes_for(op->act_type, n));
    op->from_float(zero.data(), az.data(), n);
    op->from_float(x.data(), ax.data(), n);
    for (const DotImpl& impl : dot_impls(wt)) {
      INFO(impl.name << " " << type_info(wt)->name);
      CHECK(impl.ops->vec_dot(n, wz.data(), ax.data()) == 0.0f);
      CHECK(impl.ops->vec_dot(n, wx.data(), az.data()) == 0.0f);
    }
  }
}
