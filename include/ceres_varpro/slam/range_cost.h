#ifndef CERES_VARPRO_SLAM_RANGE_COST_H_
#define CERES_VARPRO_SLAM_RANGE_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// (x_a - x_b - r b_ab) / σ: a range measurement with the unit bearing b_ab as
// its own parameter block (use ceres::SphereManifold<d>), which makes the
// positions x_a, x_b enter linearly (range-aided SLAM, sensor-network
// localisation). Parameter blocks (x_a: d, x_b: d, b_ab: d).
template <int kDim>
class RangeCost final
    : public ceres::SizedCostFunction<kDim, kDim, kDim, kDim> {
 public:
  RangeCost(double range, double sigma)
      : range_(range), inverse_sigma_(1.0 / sigma) {}

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    for (int k = 0; k < kDim; ++k) {
      residuals[k] = inverse_sigma_ * (parameters[0][k] - parameters[1][k] -
                                       range_ * parameters[2][k]);
    }
    if (jacobians == nullptr) return true;
    const double values[3] = {inverse_sigma_, -inverse_sigma_,
                              -range_ * inverse_sigma_};
    for (int block = 0; block < 3; ++block) {
      if (jacobians[block] == nullptr) continue;
      for (int i = 0; i < kDim * kDim; ++i) jacobians[block][i] = 0.0;
      for (int i = 0; i < kDim; ++i)
        jacobians[block][i * kDim + i] = values[block];
    }
    return true;
  }

 private:
  double range_;
  double inverse_sigma_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RANGE_COST_H_
