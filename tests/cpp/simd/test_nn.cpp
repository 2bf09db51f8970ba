// Row operations (RMSNorm, RoPE, softmax, SiLU*mul, add, attention over f16/f32 caches, soft-capped
// scores; GELU and soft-capping rows are in test_nn_act.cpp): the
// reference, the SIMD128 versions and the nn.h dispatch against double precision, with bounds from
// u = 2^-24; element-wise ops that do the reference's float operations in its order must match it
// bit for bit. Sizes 1..2051, unaligned rows, extreme inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/quant/fp16.h"
#include "kernels/nn.h"
#include "kernels/ref/nn_ref.h"
#include "tests/cpp/quant/quant_test_util.h"
#include "tests/cpp/simd/simd_test_util.h"
#ifdef CHORD_SIMD128
#include "kernels/simd128/nn_simd.h"
#endif

using namespace chord;
using namespace chord::test;

namespace {

struct NnImpl {
  std::string name;
  void (*rms_norm)(const float*, const float*, float*, int64_t, float);
  void (*rope)(float*, const float*, const float*, int32_t, bool);
  void (*softmax)(float*, int64_t);
  void (*silu_mul)(float*, const float*, int64_t);
  void (*add)(float*, const float*, int64_t);
  void (*f32_to_f16)(const float*, uint16_t*, int64_t);
  void (*attend_f16)(const float*, const uint16_t*, int64_t, const uint16_t*, int64_t, int64_t, int32_t, float, float*,
                     float*);
  void (*attend_f32)(const float*, const float*, int64_t, const float*, int64_t, int64_t, int32_t, float, float*,
                     float*);
};

std::vector<NnImpl> impls() {
  namespace r = kernels::ref;
  namespace k = kernels;
  std::vector<NnImpl> v;
  v.push_back(
      {"ref", r::rms_norm, r::rope, r::softmax, r::silu_mul, r::add, r::f32_to_f16, r::attend_f16, r::attend_f32});
  v.push_back(
      {"dispatch", k::rms_norm, k::rope, k::softmax, k::silu_mul, k::add, k::f32_to_f16, k::attend_f16, k::attend_f32});
#ifdef CHORD_SIMD128
  namespace s = kernels::simd128;
  v.push_back(
      {"simd128", s::rms_norm, s::rope, s::softmax, s::silu_mul, s::add, s::f32_to_f16, s::attend_f16, s::attend_f32});
#endif
  return v;
}

// Checks one head's output against double precision. Bound: each score has |err| <= E =
// (head_dim + 4) u scale sum_d |q_d k_d|; the softmax turns that into a relative error of at most
// e^(2E) - 1 + 16u per probability; the weighted sum adds (n_kv + 2) u sum_j p_j |v_j|. Over an f16
// cache q is rounded to f16 first (the expectation uses that q exactly) and each probability too:
// 2^-11 relative for normal halves plus 2^-25 absolute for subnormal ones.
// With cap > 0 the scores are soft-capped (cap tanh(s / cap), slope <= 1, so E carries through) and
// E grows by the tanh's absolute error, a few u times cap.
template <class KF, class VF>
void check_head(const float* q, int64_t n_kv, int32_t hd, float scale, bool f16, KF K, VF V, const float* out,
                float cap = 0.0f) {
  std::vector<double> s(n_kv);
  double mx = -INFINITY, sum = 0, E = 0;
  for (int64_t j = 0; j < n_kv; ++j) {
    double a = 0, m = 0;
    for (int d = 0; d < hd; ++d) {
      const float qd = f16 ? quant::fp16_to_fp32(quant::fp32_to_fp16(q[d])) : q[d];
      a += static_cast<double>(qd) * K(j, d), m += std::fabs(qd * K(j, d));
    }
    s[j] = cap > 0 ? cap * std::tanh(a * scale / cap) : a * scale;
    E = std::max(E, (hd + 4) * kU * scale * m + (cap > 0 ? 8 * kU * cap : 0.0));
    mx = std::max(mx, s[j]);
  }
  for (auto& x : s) sum += (x = std::exp(x - mx));
  const double rel = std::expm1(2 * E) + 16 * kU + (f16 ? 0x1p-11 : 0);
  for (int d = 0; d < hd; ++d) {
    double e = 0, mag = 0, vabs = 0;
    for (int64_t j = 0; j < n_kv; ++j) {
      e += s[j] / sum * V(j, d), mag += s[j] / sum * std::fabs(V(j, d));
      vabs += std::fabs(V(j, d));
    }
    REQUIRE(std::fabs(out[d] - e) <= mag * (2 * rel + (n_kv + 2) * kU) + (f16 ? 0x1p-25 * vabs : 0) + 1e-30);
  }
}

const int64_t kSizes[] = {1, 2, 3, 4, 7, 8, 16, 63, 64, 257, 2048, 2051};

// A row of n floats placed 4 bytes past a 16-byte boundary (copied back by the caller).
std::vector<float> row(size_t n, uint32_t seed, float scale = 1.0f) { return gaussian(n, seed, scale); }

}  // namespace

TEST_CASE("nn rms_norm within a few u of double; equal to the reference") {
  for (int64_t n : kSizes) {
    for (float scale : {1.0f, 1e-20f, 1e18f}) {
      const auto x = row(n, static_cast<uint32_t>(n), scale), w = row(n, 99);
      double ss = 0;
      for (float v : x) ss += static_cast<double>(v) * v;
      const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + 1e-5);
      std::vector<float> want(n);
      kernels::ref::rms_norm(x.data(), w.data(), want.data(), n, 1e-5f);
      for (const NnImpl& im : impls()) {
        Placed px(x.data(), n * 4, 4);
        float* p = reinterpret_cast<float*>(px.data());
        im.rms_norm(p, w.data(), p, n, 1e-5f);  // in place (out aliases x)
        for (int64_t i = 0; i < n; ++i) {
          INFO(im.name << " n " << n << " scale " << scale << " i " << i);
          const double exact = x[i] * inv * w[i];
          REQUIRE(std::fabs(p[i] - exact) <= 8 * kU * std::fabs(exact) + 1e-37);
          REQUIRE(std::fabs(p[i] - want[i]) <= 2 * kU * std::fabs(want[i]));
        }
      }
    }
  }
}

TEST_CASE("nn rope: bit-exact with the reference, close to double (both pair layouts)") {
  for (int32_t n_rot : {2, 4, 6, 8, 16, 64, 128, 130}) {
    for (bool neox : {false, true}) {
      std::vector<float> cs(n_rot / 2), sn(n_rot / 2);
      kernels::ref::rope_angles(1234, n_rot, 10000.0f, 1.0f, nullptr, cs.data(), sn.data());
      const auto x = row(n_rot + 6, static_cast<uint32_t>(n_rot));
      std::vector<float> want(x);
      kernels::ref::rope(want.data(), cs.data(), sn.data(), n_rot, neox);
      for (const NnImpl& im : impls()) {
        Placed px(x.data(), x.size() * 4, 4);
        float* p = reinterpret_cast<float*>(px.data());
        im.rope(p, cs.data(), sn.data(), n_rot, neox);
        INFO(im.name << " n_rot " << n_rot << " neox " << neox);
        REQUIRE(std::memcmp(p, want.data(), x.size() * 4) == 0);
        for (int32_t i = 0; i < n_rot / 2; ++i) {
          const int a = neox ? i : 2 * i, b = neox ? i + n_rot / 2 : 2 * i + 1;
          const double ea = static_cast<double>(x[a]) * cs[i] - static_cast<double>(x[b]) * sn[i];
          const double mag = std::fabs(x[a] * cs[i]) + std::fabs(x[b] * sn[i]);
          REQUIRE(std::fabs(p[a] - ea) <= 3 * kU * mag + 1e-37);
        }
        for (size_t i = n_rot; i < x.size(); ++i) REQUIRE(p[i] == x[i]);  // dims past n_rot untouched
      }
    }
  }
}

TEST_CASE("nn softmax and silu_mul within a few u of double") {
  for (int64_t n : kSizes) {
    for (float scale : {1.0f, 30.0f, 300.0f}) {
      const auto x = row(n, static_cast<uint32_t>(n) + 5, scale), up = row(n, 7);
      double mx = -INFINITY, sum = 0;
      for (float v : x) mx = std::max(mx, static_cast<double>(v));
      for (float v : x) sum += std::exp(v - mx);
      for (const NnImpl& im : impls()) {
        INFO(im.name << " n " << n << " scale " << scale);
        Placed px(x.data(), n * 4, 4);
        float* p = reinterpret_cast<float*>(px.data());
        im.softmax(p, n);
        for (int64_t i = 0; i < n; ++i) {
          const double e = std::exp(x[i] - mx) / sum;
          INFO("x " << x[i] << " mx " << mx << " got " << p[i] << " want " << e);
          // x - max is rounded to f32 first: exp turns that into a relative error of |x - max| u.
          REQUIRE(std::fabs(p[i] - e) <= (16 + 2 * std::fabs(x[i] - mx)) * kU * e + 1e-44);
        }
        Placed pg(x.data(), n * 4, 8);
        float* g = reinterpret_cast<float*>(pg.data());
        im.silu_mul(g, up.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double e = x[i] / (1.0 + std::exp(-static_cast<double>(x[i]))) * up[i];
          // Below g = -88.7 exp(-g) overflows to inf (reference too): g / inf = -0 instead of |.| < 3e-37.
          REQUIRE(std::fabs(g[i] - e) <= 16 * kU * std::fabs(e) + 1e-36);
        }
      }
    }
  }
  // Saturating inputs: silu of huge negatives is -0 or a tiny negative, of huge positives g * up.
  const std::vector<float> ext = {-1e30f, -100.0f, -88.5f, -87.0f, 88.0f, 88.9f, 100.0f, 1e30f};
  for (const NnImpl& im : impls()) {
    std::vector<float> g(ext), up(ext.size(), 1.0f);
    im.silu_mul(g.data(), up.data(), static_cast<int64_t>(g.size()));
    for (size_t i = 0; i < ext.size(); ++i) {
      INFO(im.name << " g " << ext[i]);
      const double e = ext[i] / (1.0 + std::exp(-static_cast<double>(ext[i])));
      REQUIRE(std::fabs(g[i] - e) <= 16 * kU * std::fabs(e) + 1e-36);
    }
  }
}

TEST_CASE("nn add and f32_to_f16 rows are exact") {
  for (int64_t n : kSizes) {
    const auto x = row(n, 3, 1e3f), y = row(n, 4);
    for (const NnImpl& im : impls()) {
      INFO(im.name << " n " << n);
      Placed py(y.data(), n * 4, 4);
      float* p = reinterpret_cast<float*>(py.data());
      im.add(p, x.data(), n);
      for (int64_t i = 0; i < n; ++i) REQUIRE(p[i] == y[i] + x[i]);
      std::vector<uint16_t> h(n + 1, 0xBEEF);
      im.f32_to_f16(x.data(), h.data(), n);
      for (int64_t i = 0; i < n; ++i) REQUIRE(h[i] == quant::fp32_to_fp16(x[i]));
      REQUIRE(h[n] == 0xBEEF);
    }
  }
}

TEST_CASE("nn attention over f16 and f32 caches within the derived bound of double") {
  for (int32_t hd : {4, 8, 12, 64, 128}) {
    for (int64_t n_kv : {1, 2, 3, 5, 64, 257}) {
      const int64_t stride = 2 * hd + 8;  // rows of other heads in between (kv_dim > head_dim)
      const auto q = row(hd, 11, 2.0f);
      const auto kf = row(n_kv * stride, 12, 2.0f), vf = row(n_kv * stride, 13);
      std::vector<uint16_t> kh(kf.size()), vh(vf.size());
      for (size_t i = 0; i < kf.size(); ++i) kh[i] = quant::fp32_to_fp16(kf[i]), vh[i] = quant::fp32_to_fp16(vf[i]);
      const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
      for (bool f16 : {true, false}) {
        auto K = [&](int64_t j, int d) { return f16 ? quant::fp16_to_fp32(kh[j * stride + d]) : kf[j * stride + d]; };
        auto V = [&](int64_t j, int d) { return f16 ? quant::fp16_to_fp32(vh[j * stride + d]) : vf[j * stride + d]; };
        for (const NnImpl& im : impls()) {
          INFO(im.name << " head_dim " << hd << " n_kv " << n_kv << " f16 " << f16);
          std::vector<float> scores(n_kv), out(hd + 1, 7.0f);
          if (f16) {
            im.attend_f16(q.data(), kh.data() + 8, stride, vh.data() + 8, stride, n_kv, hd, scale, scores.data(),
                          out.data());
          } else {
            im.attend_f32(q.data(), kf.data() + 8, stride, vf.data() + 8, stride, n_kv, hd, scale, scores.data(),
                          out.data());
          }
          REQUIRE(out[hd] == 7.0f);
          // Rows start 8 elements into the cache arrays.
          check_head(
              q.data(), n_kv, hd, scale, f16, [&](int64_t j, int d) { return K(j, d + 8); },
              [&](int64_t j, int d) { return V(j, d + 8); }, out.data());
        }
      }
    }
  }
}

#ifdef CHORD_SIMD128
TEST_CASE("simd exp_f32x4 within 4 u of exp over the whole float range") {
  std::vector<float> xs;
  for (float x = -110.0f; x <= 90.0f; x += 0.01173f) xs.push_back(x);
  for (float x : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.72f, 88.73f, -87.33f, -103.9f, -104.5f, 1e30f, -1e30f})
    xs.push_back(x);
  xs.push_back(std::numeric_limits<float>::infinity());
  xs.push_back(-std::numeric_limits<float>::infinity());
  while (xs.size() % 4) xs.push_back(0.5f);
  for (size_t i = 0; i < xs.size(); i += 4) {
    float got[4];
    wasm_v128_store(got, kernels::simd128::exp_f32x4(wasm_v128_load(&xs[i])));
    for (int k = 0; k < 4; ++k) {
      const double e = std::exp(static_cast<double>(xs[i + k]));
      INFO("x " << xs[i + k] << " got " << got[k] << " exp " << e);
      if (e > 3.4028234663852886e38) {
        REQUIRE(std::isinf(got[k]));
      } else {
        // Relative 4u for normal results; subnormal results are within half a subnormal step.
        REQUIRE(std::fabs(got[k] - e) <= 4 * kU * e + 1.5e-45);
      }
    }
  }
  float nan4[4] = {NAN, NAN, NAN, NAN}, got[4];
  wasm_v128_store(got, kernels::simd128::exp_f32x4(wasm_v128_load(nan4)));
  for (float g : got) REQUIRE(std::isnan(g));
}
#endif

TEST_CASE("nn grouped (GQA) attention: every head within the derived bound of double") {
  // Every head as the single-head case (check_head); 20 heads exceed the SIMD kernel's q buffer.
  struct GroupImpl {
    std::string name;
    decltype(&kernels::attend_group_f16) f16;
    decltype(&kernels::attend_group_f32) f32;
  };
  std::vector<GroupImpl> gi = {{"ref", kernels::ref::attend_group_f16, kernels::ref::attend_group_f32},
                               {"dispatch", kernels::attend_group_f16, kernels::attend_group_f32}};
#ifdef CHORD_SIMD128
  gi.push_back({"simd128", kernels::simd128::attend_group_f16, kernels::simd128::attend_group_f32});
#endif
  for (int32_t hd : {8, 12, 64, 128, 264}) {
    for (int32_t n_q : {1, 3, 8, 20}) {
      for (int64_t n_kv : {1, 3, 4, 6, 65}) {
        const int64_t stride = hd + 4, q_stride = hd + 8, o_stride = hd + 4;
        const auto q = row(n_q * q_stride, 21, 2.0f);
        const auto kf = row(n_kv * stride, 22, 2.0f), vf = row(n_kv * stride, 23);
        std::vector<uint16_t> kh(kf.size()), vh(vf.size());
        for (size_t i = 0; i < kf.size(); ++i) kh[i] = quant::fp32_to_fp16(kf[i]), vh[i] = quant::fp32_to_fp16(vf[i]);
        const float scale = 0.125f;
        for (float cap : {0.0f, 3.0f})
          for (bool f16 : {true, false}) {
            auto K = [&](int64_t j, int d) {
              return f16 ? quant::fp16_to_fp32(kh[j * stride + d]) : kf[j * stride + d];
            };
            auto V = [&](int64_t j, int d) {
              return f16 ? quant::fp16_to_fp32(vh[j * stride + d]) : vf[j * stride + d];
            };
            for (const GroupImpl& im : gi) {
              INFO(im.name << " hd " << hd << " n_q " << n_q << " n_kv " << n_kv << " f16 " << f16 << " cap " << cap);
              std::vector<float> scores(n_q * n_kv), out(n_q * o_stride, 7.0f);
              if (f16) {
                im.f16(q.data(), q_stride, n_q, kh.data(), stride, vh.data(), stride, n_kv, hd, scale, cap,
                       scores.data(), out.data(), o_stride);
              } else {
                im.f32(q.data(), q_stride, n_q, kf.data(), stride, vf.data(), stride, n_kv, hd, scale, cap,
                       scores.data(), out.data(), o_stride);
              }
              for (int32_t h = 0; h < n_q; ++h) {
                check_head(q.data() + h * q_stride, n_kv, hd, scale, f16, K, V, out.data() + h * o_stride, cap);
                REQUIRE(out[h * o_stride + hd] == 7.0f);  // nothing written between output rows
              }
            }
          }
      }
    }
  }
}
