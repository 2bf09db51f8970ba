// Fork-join pool (see thread_pool.h). Publishing a job is one store to next_; workers claim chunks
// with a CAS on it and count themselves in inflight_ around each claim; the caller closes the job
// once it finds no work left and waits for inflight_ to drain. Sleep/wake decisions use seq_cst
// operations checked on both sides (flag, then re-check under the mutex), so no wake-up is lost.
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

constexpr int kJobShift = 40;
constexpr uint64_t kIndexMask = (uint64_t{1} << kJobShift) - 1;
constexpr uint64_t kClosed = kIndexMask;

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

ThreadPool::ThreadPool(int n_threads) : n_threads_(kHaveThreads ? std::max(1, n_threads) : 1), next_(kClosed) {
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

uint64_t ThreadPool::run_chunks(int thread_index) {
  for (;;) {
    inflight_.fetch_add(1);
    uint64_t cur = next_.load();
    for (;;) {
      const uint64_t idx = cur & kIndexMask;
      // n_/grain_/fn_ belong to the job in cur while it is open: the caller closes next_ before
      // it rewrites them, which makes the CAS below fail for anyone who read stale values.
      const int64_t n = n_.load(std::memory_order_relaxed), grain = grain_.load(std::memory_order_relaxed);
      if (idx == kClosed || static_cast<int64_t>(idx) >= n) {
        if (inflight_.fetch_sub(1) == 1 && caller_asleep_.load()) {
          std::lock_guard<std::mutex> lk(mu_);
          done_.notify_one();
        }
        return cur;
      }
      if (next_.compare_exchange_weak(cur, cur + static_cast<uint64_t>(grain))) {
        const Fn* fn = fn_.load(std::memory_order_relaxed);
        (*fn)(static_cast<int64_t>(idx), std::min(n, static_cast<int64_t>(idx) + grain), thread_index);
        break;
      }
    }
    if (inflight_.fetch_sub(1) == 1 && caller_asleep_.load()) {
      std::lock_guard<std::mutex> lk(mu_);
      done_.notify_one();
    }
  }
}

void ThreadPool::worker(int index) {
  uint64_t idle_at = kClosed;  // the value of next_ that last showed no work
  for (;;) {
    auto changed = [&] { return stop_.load() || next_.load() != idle_at; };
    if (!spin_until(changed)) {
      std::unique_lock<std::mutex> lk(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lk, changed);
      sleepers_.fetch_sub(1);
    }
    if (stop_.load()) return;
    idle_at = run_chunks(index);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain) {
    fn(0, n, 0);
    return;
  }
  fn_.store(&fn, std::memory_order_relaxed);
  n_.store(n, std::memory_order_relaxed);
  grain_.store(grain, std::memory_order_relaxed);
  ++job_;
  next_.store((job_ << kJobShift) & ~kIndexMask);  // opens the job (seq_cst: before the sleepers_ check)
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lk(mu_);
    wake_.notify_all();
  }
  run_chunks(0);
  next_.store((job_ << kJobShift) | kClosed);  // no claim of this job can succeed any more
  auto drained = [&] { return inflight_.load() == 0; };
  if (!spin_until(drained)) {
    std::unique_lock<std::mutex> lk(mu_);
    caller_asleep_.store(true);
    done_.wait(lk, drained);
    caller_asleep_.store(false);
  }
}

}  // namespace chord::kernels
