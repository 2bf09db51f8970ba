// KvCache: sliding-window rings give the same attention as a full-length cache (same rows, same
// order, thanks to the mirror slots), bound the memory, and tell what a truncation can keep.
#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/kv_cache.h"
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
        a.attend(0, pos, kvh, q.data(), hd, 2, 0.3f, 0.0f, sa.data(), oa.data(), hd);
        b.attend(0, pos, kvh, q.data(), hd, 2, 0.3f, 0.0f, sb.data(), ob.data(), hd);
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
