// Fork-join pool: a job is published by bumping an atomic generation; workers spin on it for a
// while (cheap hand-off between the many short matmuls of a decode step) before sleeping on a
// condition variable, pull chunks from an atomic counter, and the last one to finish wakes the
// caller if it went to sleep. Sleep/wake decisions use seq_cst flags checked on both sides, so a
// wake-up cannot be lost.
#include "kernels/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace chord::kernels {

#if defined(CHORD_THREADS) || !defined(__EMSCRIPTEN__)
constexpr bool kHaveThreads = true;
#else
constexpr bool kHaveThreads = false;
#endif

namespace {

// How long a waiting thread spins before sleeping: longer than the gap between two jobs of a
// decode step (row ops between matmuls), short enough not to burn a core when idle.
constexpr std::chrono::microseconds kSpin{300};

// Spins until done() or the spin budget runs out; true if done() became true.
template <class Done>
bool spin_until(Done done) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (done()) return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() - t0 > kSpin) return done();
  }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(kHaveThreads ? std::max(1, n_threads) : 1) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::run_chunks(int thread_index) {
  for (;;) {
    int64_t b = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (b >= n_) return;
    (*fn_)(b, std::min(n_, b + grain_), thread_index);
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto changed = [&] { return stop_.load() || generation_.load() != seen; };
    if (!spin_until(changed)) {
      std::unique_lock<std::mutex> lk(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lk, changed);
      sleepers_.fetch_sub(1);
    }
    if (stop_.load()) return;
    seen = generation_.load();
    run_chunks(index);
    if (pending_.fetch_sub(1) == 1 && caller_asleep_.load()) {
      std::lock_guard<std::mutex> lk(mu_);
      done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  pending_.store(n_threads_ - 1);
  generation_.fetch_add(1);  // publishes the job (seq_cst: ordered before the sleepers_ check)
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lk(mu_);
    wake_.notify_all();
  }
  run_chunks(0);
  auto finished = [&] { return pending_.load() == 0; };
  if (!spin_until(finished)) {
    std::unique_lock<std::mutex> lk(mu_);
    caller_asleep_.store(true);
    done_.wait(lk, finished);
    caller_asleep_.store(false);
  }
  fn_ = nullptr;
}

}  // namespace chord::kernels
