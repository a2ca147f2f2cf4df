#ifndef CERES_VARPRO_ENGINE_WALL_TIME_H_
#define CERES_VARPRO_ENGINE_WALL_TIME_H_

#include <chrono>

namespace ceres_varpro::internal {

inline double WallTimeInSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Adds the lifetime of the object to *total.
class ScopedTimer {
 public:
  explicit ScopedTimer(double* total)
      : total_(total), start_(WallTimeInSeconds()) {}
  ~ScopedTimer() { *total_ += WallTimeInSeconds() - start_; }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double* total_;
  double start_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_WALL_TIME_H_
