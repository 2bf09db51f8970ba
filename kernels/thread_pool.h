// A small fork-join thread pool: parallel_for splits [0, n) across the workers and the caller.
// Chunks are claimed dynamically and the caller waits only for chunks actually in flight, so a
// worker that is descheduled (a busy machine, a throttled tab) costs at most the chunk it holds,
// never a whole time slice per job. Idle workers spin briefly (a decode step issues a job every few
// hundred microseconds), then sleep on a condition variable; the caller likewise for the join.
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
  using Fn = std::function<void(int64_t, int64_t, int)>;

  explicit ThreadPool(int n_threads);  // total threads including the caller; clamped to >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Calls fn(begin, end, thread_index) on contiguous chunks covering [0, n); returns when all are done.
  // Chunks are handed out dynamically in units of `grain` so uneven threads balance.
  void parallel_for(int64_t n, int64_t grain, const Fn& fn);

  static int hardware_threads();

 private:
  void worker(int index);
  // Claims and runs chunks of the open job until none is left; returns the value of next_ that
  // showed no more work.
  uint64_t run_chunks(int thread_index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  // next_ = (job number << kJobShift) | index of the next unclaimed element; index kClosed means
  // no job is open. A claim is a CAS on it, so a stale claim (older job) always fails.
  std::atomic<uint64_t> next_;
  std::atomic<int> inflight_{0};  // threads between "about to claim" and "chunk finished"
  std::atomic<const Fn*> fn_{nullptr};
  std::atomic<int64_t> n_{0}, grain_{1};
  uint64_t job_ = 0;  // caller only
  std::mutex mu_;     // guards the sleeping side of the waits below
  std::condition_variable wake_, done_;
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_asleep_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace chord::kernels
