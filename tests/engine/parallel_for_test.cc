#include "engine/parallel_for.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

TEST(ParallelFor, VisitsEveryIndexOnceWithValidThreadIds) {
  for (int num_threads : {1, 2, 3, 8}) {
    for (int n : {0, 1, 63, 64, 1000, 12345}) {
      std::vector<std::atomic<int>> visits(n);
      std::atomic<bool> bad_id{false};
      ParallelFor(num_threads, 0, n, [&](int thread_id, int i) {
        if (thread_id < 0 || thread_id >= std::max(1, num_threads)) {
          bad_id = true;
        }
        visits[i].fetch_add(1);
      });
      EXPECT_FALSE(bad_id) << num_threads << " threads, n = " << n;
      for (int i = 0; i < n; ++i) {
        ASSERT_EQ(visits[i].load(), 1) << "index " << i << ", n = " << n;
      }
    }
  }
}

TEST(ParallelFor, ThreadIdsAreExclusiveWhileRunning) {
  // Per-thread scratch indexed by thread_id must never be shared.
  constexpr int kThreads = 4;
  std::vector<std::atomic<int>> in_use(kThreads);
  std::atomic<bool> shared{false};
  for (int repeat = 0; repeat < 50; ++repeat) {
    ParallelFor(kThreads, 0, 4000, [&](int thread_id, int) {
      if (in_use[thread_id].fetch_add(1) != 0) shared = true;
      volatile double x = 0.0;
      for (int k = 0; k < 50; ++k) x = x + k;
      in_use[thread_id].fetch_sub(1);
    });
  }
  EXPECT_FALSE(shared);
}

TEST(ParallelFor, RangeOffsetAndNestedCalls) {
  std::vector<int> outer(200, 0);
  std::atomic<long> inner_total{0};
  ParallelFor(2, 100, 300, [&](int, int i) {
    outer[i - 100] = i;
    ParallelFor(2, 0, 100, [&](int, int j) { inner_total.fetch_add(j); });
  });
  for (int i = 0; i < 200; ++i) EXPECT_EQ(outer[i], i + 100);
  EXPECT_EQ(inner_total.load(), 200L * (99 * 100 / 2));
}

TEST(ThreadPool, RunsScheduledTasks) {
  ThreadPool pool;
  pool.EnsureWorkers(3);
  EXPECT_EQ(pool.num_workers(), 3);
  std::atomic<int> count{0};
  for (int i = 0; i < 100; ++i) pool.Schedule([&] { count.fetch_add(1); });
  while (count.load() < 100) std::this_thread::yield();
  EXPECT_EQ(count.load(), 100);
}

}  // namespace
}  // namespace ceres_varpro::internal
