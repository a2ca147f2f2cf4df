#include "ceres_varpro/slam/lifted_range_cost.h"

#include <algorithm>

#include "glog/logging.h"

namespace ceres_varpro {

LiftedRangeCost::LiftedRangeCost(double range, double sigma, int rank)
    : range_(range), rank_(rank) {
  CHECK_GT(sigma, 0.0);
  CHECK_GE(rank, 1);
  inverse_sigma_ = 1.0 / sigma;
  set_num_residuals(rank);
  mutable_parameter_block_sizes()->assign(3, rank);
}

bool LiftedRangeCost::Evaluate(double const* const* parameters,
                               double* residuals, double** jacobians) const {
  const int r = rank_;
  const double* ti = parameters[0];
  const double* tj = parameters[1];
  const double* b = parameters[2];
  for (int a = 0; a < r; ++a) {
    residuals[a] = inverse_sigma_ * (ti[a] - tj[a] - range_ * b[a]);
  }
  if (jacobians == nullptr) return true;
  const double values[3] = {inverse_sigma_, -inverse_sigma_,
                            -range_ * inverse_sigma_};
  for (int block = 0; block < 3; ++block) {
    double* j = jacobians[block];
    if (j == nullptr) continue;
    std::fill(j, j + r * r, 0.0);
    for (int a = 0; a < r; ++a) j[a * r + a] = values[block];
  }
  return true;
}

}  // namespace ceres_varpro
