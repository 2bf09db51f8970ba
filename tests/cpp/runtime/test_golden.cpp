// The forward pass against goldens from an independent float64 implementation (shared/models/golden).
#include <catch2/catch.hpp>
#include <cmath>

#include "runtime/context.h"
#include "runtime/generator.h"
#include "tests/cpp/runtime/golden.h"
#include "tests/cpp/test_util.h"

using namespace chord;

namespace {

struct Golden {
  std::vector<Token> generated;
  std::vector<double> logits0;
};

Golden read_golden(const std::string& rel) {
  std::string j = test::slurp(test::model_path(rel));
  Golden g;
  for (double v : test::json_numbers(j, "generated")) g.generated.push_back(static_cast<Token>(v));
  g.logits0 = test::json_numbers(j, "logits_pos0");
  return g;
}

std::shared_ptr<const Model> load(const std::string& rel) {
  auto m = Model::load_file(test::model_path(rel));
  INFO(m.status().to_string());
  REQUIRE(m.ok());
  return *m;
}

// Greedy decoding from BOS, token by token, as the golden was made.
std::vector<Token> greedy_from_bos(const std::shared_ptr<const Model>& m, int n, std::vector<float>* logits0,
                                   bool kv_f32) {
  auto ctx = Context::create(m, {256, 64, 1, kv_f32});
  REQUIRE(ctx.ok());
  std::vector<Token> out;
  std::vector<float> logits;
  Token t = m->tokenizer()->bos();
  for (int i = 0; i < n; ++i) {
    REQUIRE((*ctx)->eval(std::span<const Token>(&t, 1), false, logits).ok());
    if (i == 0 && logits0) *logits0 = logits;
    t = static_cast<Token>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("stories260K: greedy 200 tokens and first logits match the float64 golden") {
  auto m = load("gguf/stories260K.gguf");
  Golden g = read_golden("golden/stories260K.greedy200.json");
  REQUIRE(g.generated.size() == 200);
  REQUIRE(g.logits0.size() == 512);
  // KV in f32: nothing but f32 arithmetic between us and the float64 golden. The golden has 6
  // significant digits (|logit| < 10 -> rounding <= 5e-6); f32 accumulation adds ~1e-6.
  // KV in f16 (the default, as llama.cpp): at position 0 attention returns V itself, rounded to f16
  // (relative 2^-11 ~ 4.9e-4); through wo and the output projection that moves logits of
  // magnitude ~8 by up to ~8 * 4.9e-4 ~ 4e-3.
  for (bool kv_f32 : {true, false}) {
    std::vector<float> logits0;
    std::vector<Token> got = greedy_from_bos(m, 200, &logits0, kv_f32);
    CHECK(got == g.generated);
    double max_err = 0;
    for (size_t i = 0; i < g.logits0.size(); ++i) max_err = std::max(max_err, std::abs(logits0[i] - g.logits0[i]));
    INFO("kv_f32=" << kv_f32 << " max |logit - golden| = " << max_err);
    CHECK(max_err < (kv_f32 ? 1e-4 : 4e-3));
    // The decoded text equals llama2.c's expected output.
    std::string text = m->tokenizer()->decode(got, false);
    CHECK(text == test::slurp(test::model_path("golden/stories260K.greedy200.txt")));
  }
}

TEST_CASE("llama-2-tiny-random (F16): first logits and greedy tokens match the float64 golden") {
  auto m = load("gguf/llama-2-tiny-random.gguf");
  Golden g = read_golden("golden/llama-2-tiny-random.greedy32.json");
  REQUIRE(g.logits0.size() == 32000);
  std::vector<float> logits0;
  std::vector<Token> got = greedy_from_bos(m, 32, &logits0, /*kv_f32=*/false);
  double max_err = 0, max_abs = 0;
  for (size_t i = 0; i < g.logits0.size(); ++i) {
    max_err = std::max(max_err, std::abs(logits0[i] - g.logits0[i]));
    max_abs = std::max(max_abs, std::abs(g.logits0[i]));
  }
  INFO("max |logit - golden| = " << max_err << " (max |logit| " << max_abs << ")");
  // As llama.cpp does, F16 weights are multiplied with activations rounded to F16 (relative error
  // 2^-11 per element). With |logit| <= ~0.2 over an 8-wide dot product the error stays below
  // ~2^-11 * sum|w x| ~ 1e-4; the golden's own rounding is 5e-7.
  CHECK(max_err < 2e-4);
  // Greedy tokens agree up to the first position whose golden top-2 margin is within that error.
  CHECK(got == g.generated);
}
