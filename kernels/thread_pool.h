// A small fork-join thread pool: parallel_for splits [0, n) across the workers and the caller.
// Between jobs workers spin briefly (a decode step issues a job every few hundred microseconds)
// and then sleep on a condition variable; the caller likewise spins, then sleeps, for the join.
// Without CHORD_THREADS (single-thread wasm) or with one thread everything runs inline.
// Blocking waits are fine in Node and in a Web Worker (where the browser runtime runs).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace chord::kernels {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // total threads including the caller; clamped to >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Calls fn(begin, end, thread_index) on contiguous chunks covering [0, n); returns when all are done.
  // Chunks are handed out dynamically in units of `grain` so uneven threads balance.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn);

  static int hardware_threads();

 private:
  void worker(int index);
  void run_chunks(int thread_index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;                      // guards the sleeping side of the waits below
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0};  // bumped per job: workers wake on a change
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<int> sleepers_{0};         // workers asleep on wake_ (the caller notifies only then)
  std::atomic<bool> caller_asleep_{false};
  std::atomic<bool> stop_{false};
  // current job (written before generation_ is bumped, read after it is seen)
  const std::function<void(int64_t, int64_t, int)>* fn_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  std::atomic<int64_t> next_{0};
};

}  // namespace chord::kernels
