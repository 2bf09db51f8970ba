// GELU·mul (llama.cpp's f16-rounded tanh form), soft-capping and scaling rows: the reference, the
// SIMD128 versions and the nn.h dispatch against double precision, sizes 1..2051, unaligned rows,
// the +-10 GELU cut-offs and extreme inputs.
#include <catch2/catch.hpp>
#include <cmath>
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

struct ActImpl {
  std::string name;
  void (*gelu_mul)(float*, const float*, int64_t);
  void (*softcap)(float*, int64_t, float);
  void (*scale)(float*, float, int64_t);
};

std::vector<ActImpl> impls() {
  namespace r = kernels::ref;
  namespace k = kernels;
  std::vector<ActImpl> v = {{"ref", r::gelu_mul, r::softcap, r::scale},
                            {"dispatch", k::gelu_mul, k::softcap, k::scale}};
#ifdef CHORD_SIMD128
  namespace s = kernels::simd128;
  v.push_back({"simd128", s::gelu_mul, s::softcap, s::scale});
#endif
  return v;
}

const int64_t kSizes[] = {1, 2, 3, 4, 7, 8, 16, 63, 64, 257, 2048, 2051};

// GELU of the f16-rounded input in double; results are f16 values: within one half ulp (2^-11
// relative, 2^-25 absolute for subnormal halves) of it plus the f32 evaluation's error before
// rounding: a few u relative, and 1 + tanh cancelling near x = -10 (tanh within u of -1: u |x| absolute).
double gelu_exact(float x) {
  const double h = quant::fp16_to_fp32(quant::fp32_to_fp16(x));
  return 0.5 * h * (1.0 + std::tanh(0.79788456080286535587989211986876 * h * (1.0 + 0.044715 * h * h)));
}

void check_gelu(const ActImpl& im, const std::vector<float>& x, const std::vector<float>& up, size_t offset) {
  const int64_t n = static_cast<int64_t>(x.size());
  Placed pg(x.data(), x.size() * 4, offset);
  float* g = reinterpret_cast<float*>(pg.data());
  im.gelu_mul(g, up.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    INFO(im.name << " n " << n << " x " << x[i] << " up " << up[i] << " got " << g[i]);
    if (x[i] >= 10.0f) {
      REQUIRE(g[i] == x[i] * up[i]);
    } else if (x[i] <= -10.0f) {
      REQUIRE(g[i] == 0.0f);
    } else {
      const double e = gelu_exact(x[i]);
      const double bound = (0x1p-11 + 64 * kU) * std::fabs(e) + 4 * kU * std::fabs(x[i]) + 0x1p-24;
      REQUIRE(std::fabs(g[i] - e * up[i]) <= bound * std::fabs(up[i]) * 1.0001);
    }
  }
}

}  // namespace

TEST_CASE("nn gelu_mul: f16-rounded tanh GELU within half an f16 ulp of double") {
  for (int64_t n : kSizes) {
    for (float scale : {0.5f, 3.0f, 12.0f}) {
      const auto x = gaussian(n, static_cast<uint32_t>(n) + 11, scale), up = gaussian(n, 13);
      for (const ActImpl& im : impls()) check_gelu(im, x, up, 4);
    }
  }
  // Cut-offs and saturation: exactly +-10 and their neighbours, huge values, zero, halves' edges.
  const std::vector<float> ext = {
      -1e30f, -10.5f, -10.0f, std::nextafter(-10.0f, 0.0f), -9.99f, -5.0f, -0.75f, -1e-6f, 0.0f, 1e-6f,
      0.75f,  5.0f,   9.99f,  std::nextafter(10.0f, 0.0f),  10.0f,  10.5f, 1e30f};
  for (const ActImpl& im : impls()) check_gelu(im, ext, std::vector<float>(ext.size(), -1.5f), 0);
}

TEST_CASE("nn softcap within a few u of cap * tanh(x / cap); scale is exact") {
  for (int64_t n : kSizes) {
    for (float cap : {30.0f, 50.0f, 0.5f}) {
      const auto x = gaussian(n, static_cast<uint32_t>(n) + 17, 3 * cap);
      for (const ActImpl& im : impls()) {
        Placed px(x.data(), x.size() * 4, 4);
        float* p = reinterpret_cast<float*>(px.data());
        im.softcap(p, n, cap);
        for (int64_t i = 0; i < n; ++i) {
          INFO(im.name << " n " << n << " cap " << cap << " x " << x[i] << " got " << p[i]);
          const double e = cap * std::tanh(static_cast<double>(x[i]) / cap);
          REQUIRE(std::fabs(p[i] - e) <= 8 * kU * (cap + std::fabs(e)));
          REQUIRE(std::fabs(p[i]) <= cap);
        }
        Placed ps(x.data(), x.size() * 4, 8);
        float* q = reinterpret_cast<float*>(ps.data());
        im.scale(q, 0.37f, n);
        for (int64_t i = 0; i < n; ++i) REQUIRE(q[i] == x[i] * 0.37f);
      }
    }
  }
  const std::vector<float> ext = {-1e30f, -1e4f, -1e-30f, 0.0f, 1e-30f, 1e4f, 1e30f};
  for (const ActImpl& im : impls()) {
    std::vector<float> p(ext);
    im.softcap(p.data(), static_cast<int64_t>(p.size()), 30.0f);
    for (size_t i = 0; i < ext.size(); ++i) {
      INFO(im.name << " x " << ext[i]);
      REQUIRE(std::fabs(p[i] - 30.0 * std::tanh(ext[i] / 30.0)) <= 8 * kU * 60.0);
    }
  }
}
