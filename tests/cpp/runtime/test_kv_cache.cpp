// KvCache: sliding-window rings give the same attention as a full-length cache (same rows, same
// order, thanks to the mirror slots), bound the memory, and tell what a truncation can keep.
#include <catch2/catch.hpp>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "runtime/context.h"
#include "runtime/kv_cache.h"
#include "tests/cpp/hostile/tiny_model.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;

TEST_CASE("kv cache: a window's ring attends exactly as the full cache, in bounded memory") {
  const int32_t W = 4, n_batch = 2, hd = 8, n_kv_head = 2;
  for (bool f32 : {false, true}) {
    // Layer 0 windowed (ring of W + n_batch - 1 = 5 slots + 3 mirrors), layer 1 full length.
    KvCacheShape ring{64, n_batch, n_kv_head * hd, hd, f32, {W, 0}};
    KvCacheShape full{64, n_batch, n_kv_head * hd, hd, f32, {W, W}};
    full.n_ctx = 8;  // ring + mirror would not be shorter: layer rows = n_ctx, window applied by masking
    CHECK(KvCache::layer_rows(ring, 0) == 8);
    CHECK(KvCache::layer_rows(ring, 1) == 64);
    KvCache a, b;
    a.allocate(ring);
    b.allocate(full);
    const auto rows = test::gaussian(size_t{8} * 2 * n_kv_head * hd, 5);
    const auto q = test::gaussian(size_t{2} * hd, 6);
    for (int32_t pos = 0; pos < 8; ++pos) {
      const float* k = rows.data() + pos * 2 * n_kv_head * hd;
      a.store(0, pos, k, k + n_kv_head * hd);
      b.store(0, pos, k, k + n_kv_head * hd);
      CHECK(a.window_span(0, pos) == std::min(pos + 1, W));
      for (int32_t kvh = 0; kvh < n_kv_head; ++kvh) {
        std::vector<float> sa(2 * W), sb(2 * W), oa(2 * hd), ob(2 * hd);
        a.attend(0, pos, 0, pos + 1, kvh, q.data(), hd, 2, 0.3f, 0.0f, sa.data(), oa.data(), hd);
        b.attend(0, pos, 0, pos + 1, kvh, q.data(), hd, 2, 0.3f, 0.0f, sb.data(), ob.data(), hd);
        INFO("f32 " << f32 << " pos " << pos << " kv head " << kvh);
        REQUIRE(std::memcmp(oa.data(), ob.data(), oa.size() * 4) == 0);
      }
    }
    // Positions 0..7 in 5 slots (slot s holds the last position = s mod 5): continuing at n needs
    // n - 3 .. n - 1, all still there for n = 6..8; at 5, position 2's slot holds 7: nothing is kept.
    CHECK(a.keepable(8) == 8);
    CHECK(a.keepable(7) == 7);
    CHECK(a.keepable(6) == 6);
    CHECK(a.keepable(5) == 0);
    CHECK(a.keepable(0) == 0);
    CHECK(b.keepable(3) == 3);  // full-length layers keep any prefix
    CHECK(a.bytes() < KvCache::bytes_for(KvCacheShape{64, n_batch, n_kv_head * hd, hd, f32, {0, 0}}));
  }
}

TEST_CASE("kv cache: sliding-window models give the same logits with and without rings; truncation") {
  for (const char* arch : {"gemma3", "phi3"}) {
    test::TinySpec spec;
    spec.arch = arch;
    spec.n_layer = 2;
    const std::vector<uint8_t> bytes = test::make_tiny(spec).bytes();
    auto m = Model::load(ModelBytes{{std::span<const uint8_t>(bytes)}, nullptr});
    REQUIRE(m.ok());
    const std::vector<Token> toks = {1, 5, 9, 2, 7, 3, 11, 4, 6, 8};
    // gemma3's window 2 with batches of 4: rings of 5 slots (+1 mirror); with batches of 10 the ring
    // (11 slots) would not be shorter than the 10-token context: full-length rows, masked.
    auto ring = Context::create(*m, {16, 4, 1});
    auto full = Context::create(*m, {10, 10, 1});
    REQUIRE(ring.ok());
    REQUIRE(full.ok());
    std::vector<float> a, b;
    REQUIRE((*ring)->eval(toks, true, a).ok());
    REQUIRE((*full)->eval(toks, true, b).ok());
    INFO(arch);
    REQUIRE(a.size() == b.size());
    CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
    const std::vector<float> last(a.end() - (*m)->desc().n_vocab, a.end());
    // Going back one position keeps the rest; evaluating the same token again gives the same logits.
    (*ring)->truncate(9);
    CHECK((*ring)->n_past() == 9);
    REQUIRE((*ring)->eval(std::span<const Token>(toks).subspan(9), false, a).ok());
    CHECK(std::memcmp(a.data(), last.data(), last.size() * 4) == 0);
    // Going back past what the rings still hold keeps nothing (llama.cpp re-processes the prompt).
    (*ring)->truncate(3);
    CHECK((*ring)->n_past() == (std::string(arch) == "gemma3" ? 0 : 3));
    CHECK((*ring)->common_prefix(toks) == (*ring)->n_past());
  }
}

// One layer's keys and values depend only on the token and its position, so after a shift a
// one-layer model's cache must equal a fresh evaluation of the shifted history: the next logits agree.
TEST_CASE("kv cache: a context shift re-rotates keys as if computed at the new positions") {
  for (const char* arch : {"llama", "qwen2"}) {  // normal and NeoX RoPE
    for (bool f32 : {true, false}) {
      test::TinySpec spec;
      spec.arch = arch;
      const std::vector<uint8_t> bytes = test::make_tiny(spec).bytes();
      auto m = Model::load(ModelBytes{{std::span<const uint8_t>(bytes)}, nullptr});
      REQUIRE(m.ok());
      std::vector<Token> toks;
      for (int32_t i = 0; i < 30; ++i) toks.push_back(1 + (i * 7) % 13);
      auto a = Context::create(*m, ContextOptions{32, 8, 1, f32});
      auto b = Context::create(*m, ContextOptions{32, 8, 1, f32});
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      std::vector<float> la, lb;
      REQUIRE((*a)->eval(toks, false, la).ok());
      REQUIRE((*a)->shift(4, 11).ok());
      REQUIRE((*a)->n_past() == 19);
      std::vector<Token> kept((*a)->history());
      CHECK(std::equal(kept.begin(), kept.begin() + 4, toks.begin()));
      CHECK(std::equal(kept.begin() + 4, kept.end(), toks.begin() + 15));
      const Token next = 5;
      REQUIRE((*a)->eval(std::span<const Token>(&next, 1), false, la).ok());
      kept.push_back(next);
      REQUIRE((*b)->eval(kept, false, lb).ok());
      double worst = 0, mag = 0;
      for (size_t i = 0; i < la.size(); ++i) {
        worst = std::max(worst, static_cast<double>(std::fabs(la[i] - lb[i])));
        mag = std::max(mag, static_cast<double>(std::fabs(lb[i])));
      }
      INFO(arch << " f32 " << f32 << " max |dlogit| " << worst << " of " << mag);
      // f32: only the rotation's rounding; f16: the moved keys are rounded to f16 twice.
      CHECK(worst <= (f32 ? 1e-5 : 2e-3) * std::max(1.0, mag));
    }
  }
  // Ring (sliding-window) caches cannot shift, as in llama.cpp.
  test::TinySpec spec;
  spec.arch = "gemma3";
  const std::vector<uint8_t> bytes = test::make_tiny(spec).bytes();
  auto m = Model::load(ModelBytes{{std::span<const uint8_t>(bytes)}, nullptr});
  REQUIRE(m.ok());
  auto c = Context::create(*m, {16, 4, 1});
  REQUIRE(c.ok());
  CHECK_FALSE((*c)->can_shift());
  std::vector<float> l;
  REQUIRE((*c)->eval(std::vector<Token>{1, 2, 3, 4, 5, 6}, false, l).ok());
  CHECK((*c)->shift(1, 2).code() == Code::unsupported);
}
