// Thread pool and threaded matmul: every index covered exactly once across many back-to-back jobs
// (the spin/sleep hand-off), jobs after idle periods (workers asleep), and matmul results that do
// not depend on the thread count (bit for bit), through the op table the build selects.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "core/quant/iq_grids.h"
#include "core/quant/quant.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/thread_pool.h"
#include "tests/cpp/quant/quant_test_util.h"

using namespace chord;
using namespace chord::kernels;

TEST_CASE("thread pool: every index exactly once, back to back and after sleeping") {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(5000);
    for (int job = 0; job < 300; ++job) {
      const int64_t n = 1 + (job * 37) % 5000, grain = 1 + job % 40;
      for (int64_t i = 0; i < n; ++i) hits[i].store(0);
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, grain, [&](int64_t b, int64_t e, int t) {
        if (t < 0 || t >= pool.size()) bad_thread.fetch_add(1);
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      REQUIRE(bad_thread.load() == 0);
      for (int64_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
      // Now and then let the workers fall asleep before the next job.
      if (job % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

TEST_CASE("threaded matmul equals the single-thread result bit for bit") {
  const int64_t rows = 97, cols = 512, n_tok = 7;
  const auto wf = test::gaussian(rows * cols, 3);
  const auto x = test::gaussian(n_tok * cols, 4);
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::Q4_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K,
                     GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::IQ2_S, GgmlType::IQ1_M}) {
    INFO(type_info(t)->name);
    std::vector<uint8_t> wq(row_size(t, cols) * rows);
    for (int64_t r = 0; r < rows; ++r) {
      uint8_t* row = wq.data() + r * row_size(t, cols);
      if (quant::has_iq_unpack(t)) {  // no quantizer: random valid blocks
        quant::random_row_iq(t, static_cast<uint64_t>(r), 1.0f, row, cols);
      } else {
        quant::quantize_row(t, wf.data() + r * cols, row, cols);
      }
    }
    Matrix m{wq.data(), t, cols, rows, row_size(t, cols)};
    std::vector<float> y1(n_tok * rows), y2(n_tok * rows);
    std::vector<uint8_t> act(matmul_act_bytes(t, cols, n_tok));
    ThreadPool p1(1), p2(2);
    matmul(m, x.data(), n_tok, y1.data(), rows, act, p1);
    matmul(m, x.data(), n_tok, y2.data(), rows, act, p2);
    REQUIRE(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0);
    // And each entry is the table's vec_dot of that row and token.
    const TypeOps* op = ops(t);
    std::vector<uint8_t> a(row_size(op->act_type, cols));
    for (int64_t tk = 0; tk < n_tok; ++tk) {
      op->from_float(x.data() + tk * cols, a.data(), cols);
      for (int64_t r = 0; r < rows; ++r) {
        const float want = op->vec_dot(cols, m.row(r), a.data());
        REQUIRE(std::memcmp(&y1[tk * rows + r], &want, 4) == 0);
      }
    }
  }
}
