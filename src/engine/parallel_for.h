#ifndef CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
#define CERES_VARPRO_ENGINE_PARALLEL_FOR_H_

#include <omp.h>

#include <algorithm>

namespace ceres_varpro::internal {

// Runs f(thread_id, i) for i in [begin, end) on up to num_threads threads.
// Dynamic scheduling in chunks: residual blocks differ a lot in cost. Small
// loops run inline, where starting the team would cost more than the work.
template <typename F>
void ParallelFor(int num_threads, int begin, int end, const F& f) {
  const int n = end - begin;
  if (n <= 0) return;
  if (num_threads <= 1 || n < 64) {
    for (int i = begin; i < end; ++i) f(0, i);
    return;
  }
  const int chunk = std::max(8, n / (num_threads * 16));
#pragma omp parallel num_threads(num_threads)
  {
    const int thread_id = omp_get_thread_num();
#pragma omp for schedule(dynamic, chunk)
    for (int i = begin; i < end; ++i) f(thread_id, i);
  }
}

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_PARALLEL_FOR_H_
