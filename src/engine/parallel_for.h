#ifndef CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
#define CERES_VARPRO_ENGINE_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "engine/thread_pool.h"

namespace ceres_varpro::internal {

// A per-thread accumulator on its own cache line: threads adding to
// neighbouring plain doubles would fight over one line on every update.
template <typename T>
struct alignas(64) PerThread {
  T value{};
};

// Loops shorter than this run inline: waking a worker would cost more.
inline constexpr int kMinParallelLoopSize = 64;

// Runs f(thread_id, i) for i in [begin, end) on up to num_threads threads;
// thread_id < num_threads identifies the executor, for per-thread scratch.
// The range is cut into chunks that executors claim from a shared counter
// (residual blocks differ a lot in cost). The caller is one of the executors
// and returns when every chunk is done, without waiting for workers that
// were too late to claim any (a descheduled worker delays nothing).
template <typename F>
void ParallelFor(int num_threads, int begin, int end, const F& f) {
  const int n = end - begin;
  if (n <= 0) return;
  if (num_threads <= 1 || n < kMinParallelLoopSize) {
    for (int i = begin; i < end; ++i) f(0, i);
    return;
  }
  const int chunk = std::max(8, n / (num_threads * 16));
  const int num_chunks = (n + chunk - 1) / chunk;
  num_threads = std::min(num_threads, num_chunks);

  struct SharedState {
    std::atomic<int> next_chunk{0};
    std::atomic<int> next_thread_id{0};
    std::atomic<int> chunks_done{0};
    std::mutex mutex;
    std::condition_variable all_done;
  };
  auto state = std::make_shared<SharedState>();
  // Late executors hold `state` alive but never touch f: every chunk is
  // claimed before the caller can return.
  auto execute = [state, &f, begin, end, chunk, num_chunks]() {
    const int thread_id = state->next_thread_id.fetch_add(1);
    int done = 0;
    for (int c = state->next_chunk.fetch_add(1); c < num_chunks;
         c = state->next_chunk.fetch_add(1)) {
      const int last = std::min(end, begin + (c + 1) * chunk);
      for (int i = begin + c * chunk; i < last; ++i) f(thread_id, i);
      ++done;
    }
    if (done > 0 && state->chunks_done.fetch_add(done) + done == num_chunks) {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->all_done.notify_all();
    }
  };
  ThreadPool& pool = ThreadPool::Global();
  pool.EnsureWorkers(num_threads - 1);
  for (int t = 1; t < num_threads; ++t) pool.Schedule(execute);
  execute();
  std::unique_lock<std::mutex> lock(state->mutex);
  state->all_done.wait(lock,
                       [&] { return state->chunks_done.load() == num_chunks; });
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
