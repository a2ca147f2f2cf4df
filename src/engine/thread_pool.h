#ifndef CERES_VARPRO_ENGINE_THREAD_POOL_H_
#define CERES_VARPRO_ENGINE_THREAD_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ceres_varpro::internal {

// Worker threads that sleep on a condition variable while there is nothing to
// do. The engine used OpenMP teams before; their workers spin between
// parallel regions, which on a machine shared with another CPU-bound process
// turned every region into a wait for a descheduled thread (solves 2-15x
// slower). Sleeping workers cost a wake-up instead, and ParallelFor never
// waits for a worker to start: the calling thread does whatever the workers
// have not claimed.
class ThreadPool {
 public:
  // The process-wide pool; its workers are created on first need.
  static ThreadPool& Global();

  ThreadPool() = default;
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Makes sure at least num_workers threads exist (never shrinks).
  void EnsureWorkers(int num_workers);
  // Runs task on some worker, eventually.
  void Schedule(std::function<void()> task);
  int num_workers();

 private:
  void WorkerLoop();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_THREAD_POOL_H_
