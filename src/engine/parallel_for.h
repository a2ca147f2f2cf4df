#ifndef CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
#define CERES_VARPRO_ENGINE_PARALLEL_FOR_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "engine/thread_pool.h"
#include "engine/wall_time.h"

namespace ceres_varpro::internal {

// A per-thread accumulator on its own cache line: threads adding to
// neighbouring plain doubles would fight over one line on every update.
template <typename T>
struct alignas(64) PerThread {
  T value{};
};

// Loops shorter than this run inline: waking a worker would cost more.
inline constexpr int kMinParallelLoopSize = 64;
// Work below which ParallelFor does not wake workers (see RunChunks).
inline constexpr double kMinParallelWorkSeconds = 100e-6;

// Runs f(thread_id, i) for i in [begin, end) on up to num_threads threads;
// thread_id < num_threads identifies the executor, for per-thread scratch.
// The range is cut into chunks that executors claim from a shared counter
// (residual blocks differ a lot in cost). The caller is one of the executors
// and returns when every chunk is done, without waiting for workers that
// were too late to claim any (a descheduled worker delays nothing).
template <typename F>
void ParallelFor(int num_threads, int begin, int end, const F& f);

namespace parallel_for_internal {

// ParallelFor's scheduler: chunks of `chunk` indices, claimed in turn. With
// wake_on_demand the caller first times a few indices alone and wakes the
// workers only if the rest of the loop, at that pace, would take
// kMinParallelWorkSeconds or more: a wake-up costs a system call and the
// worker's start (~80 us on a 2-core virtual machine), more than the short
// loops of a small problem take (~480 wake-ups per kitti_00 solve).
template <typename F>
void RunChunks(int num_threads, int begin, int end, int chunk,
               bool wake_on_demand, const F& f) {
  const int num_chunks = (end - begin + chunk - 1) / chunk;
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
  auto work = [state, &f, begin, end, chunk, num_chunks](int thread_id) {
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
  auto wake_workers = [&] {
    if (num_threads <= 1) return;
    ThreadPool& pool = ThreadPool::Global();
    pool.EnsureWorkers(num_threads - 1);
    for (int t = 1; t < num_threads; ++t) {
      pool.Schedule(
          [state, work] { work(state->next_thread_id.fetch_add(1)); });
    }
  };
  const int caller_id = state->next_thread_id.fetch_add(1);
  if (wake_on_demand) {
    // The caller claims the first chunk and times its first eighth.
    state->next_chunk.fetch_add(1);
    const int chunk_end = std::min(end, begin + chunk);
    const int probe_end = std::min(chunk_end, begin + std::max(1, chunk / 8));
    const double start = WallTimeInSeconds();
    for (int i = begin; i < probe_end; ++i) f(caller_id, i);
    const double rest =
        (WallTimeInSeconds() - start) * (end - probe_end) / (probe_end - begin);
    if (rest < kMinParallelWorkSeconds) num_threads = 1;
    wake_workers();
    for (int i = probe_end; i < chunk_end; ++i) f(caller_id, i);
    state->chunks_done.fetch_add(1);
  } else {
    wake_workers();
  }
  work(caller_id);
  if (state->chunks_done.load() == num_chunks) return;
  std::unique_lock<std::mutex> lock(state->mutex);
  state->all_done.wait(lock,
                       [&] { return state->chunks_done.load() == num_chunks; });
}

}  // namespace parallel_for_internal

template <typename F>
void ParallelFor(int num_threads, int begin, int end, const F& f) {
  const int n = end - begin;
  if (n <= 0) return;
  if (num_threads <= 1 || n < kMinParallelLoopSize) {
    for (int i = begin; i < end; ++i) f(0, i);
    return;
  }
  parallel_for_internal::RunChunks(num_threads, begin, end,
                                   std::max(8, n / (num_threads * 16)),
                                   /*wake_on_demand=*/true, f);
}

// Runs f(part) for each part in [0, num_parts) on up to num_threads threads,
// for work already cut into a few large pieces. Which executor runs a part
// does not matter to f, so results that are summed per part and then in part
// order repeat bit for bit.
template <typename F>
void ParallelForParts(int num_threads, int num_parts, const F& f) {
  if (num_threads <= 1 || num_parts <= 1) {
    for (int p = 0; p < num_parts; ++p) f(p);
    return;
  }
  parallel_for_internal::RunChunks(num_threads, 0, num_parts, 1,
                                   /*wake_on_demand=*/false,
                                   [&](int, int p) { f(p); });
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
