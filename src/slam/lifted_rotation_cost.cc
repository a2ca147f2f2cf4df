#include "ceres_varpro/slam/lifted_rotation_cost.h"

#include <algorithm>
#include <cmath>

#include "glog/logging.h"

namespace ceres_varpro {

LiftedRotationCost::LiftedRotationCost(const Eigen::MatrixXd& measured_rotation,
                                       double kappa, int rank)
    : measured_rotation_(measured_rotation), rank_(rank) {
  const int d = static_cast<int>(measured_rotation.rows());
  CHECK_EQ(measured_rotation.cols(), d);
  CHECK_GE(kappa, 0.0);
  CHECK_GE(rank, d);
  sqrt_kappa_ = std::sqrt(kappa);
  set_num_residuals(rank * d);
  mutable_parameter_block_sizes()->assign(2, rank * d);
}

bool LiftedRotationCost::Evaluate(double const* const* parameters,
                                  double* residuals, double** jacobians) const {
  const int d = static_cast<int>(measured_rotation_.rows());
  const int r = rank_, n = r * d;
  const Eigen::Map<const Eigen::MatrixXd> yi(parameters[0], r, d);
  const Eigen::Map<const Eigen::MatrixXd> yj(parameters[1], r, d);
  Eigen::Map<Eigen::MatrixXd>(residuals, r, d) =
      sqrt_kappa_ * (yj - yi * measured_rotation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // Residual (a, b) = -√κ Σ_k Y_i(a, k) R̃(k, b): row a of Y_i only.
    double* j = jacobians[0];
    std::fill(j, j + n * n, 0.0);
    for (int b = 0; b < d; ++b) {
      for (int a = 0; a < r; ++a) {
        double* row = j + (a + r * b) * n;
        for (int k = 0; k < d; ++k) {
          row[a + r * k] = -sqrt_kappa_ * measured_rotation_(k, b);
        }
      }
    }
  }
  if (jacobians[1] != nullptr) {
    double* j = jacobians[1];
    std::fill(j, j + n * n, 0.0);
    for (int i = 0; i < n; ++i) j[i * n + i] = sqrt_kappa_;
  }
  return true;
}

}  // namespace ceres_varpro
