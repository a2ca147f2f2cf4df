#include "ceres_varpro/slam/lifted_translation_cost.h"

#include <algorithm>
#include <cmath>

#include "glog/logging.h"

namespace ceres_varpro {

LiftedTranslationCost::LiftedTranslationCost(
    const Eigen::VectorXd& measured_translation, double tau, int rank)
    : measured_translation_(measured_translation), rank_(rank) {
  const int d = static_cast<int>(measured_translation.size());
  CHECK_GE(d, 1);
  CHECK_GE(tau, 0.0);
  CHECK_GE(rank, d);
  sqrt_tau_ = std::sqrt(tau);
  set_num_residuals(rank);
  *mutable_parameter_block_sizes() = {rank * d, rank, rank};
}

bool LiftedTranslationCost::Evaluate(double const* const* parameters,
                                     double* residuals,
                                     double** jacobians) const {
  const int d = static_cast<int>(measured_translation_.size());
  const int r = rank_;
  const Eigen::Map<const Eigen::MatrixXd> yi(parameters[0], r, d);
  const Eigen::Map<const Eigen::VectorXd> ti(parameters[1], r);
  const Eigen::Map<const Eigen::VectorXd> tj(parameters[2], r);
  Eigen::Map<Eigen::VectorXd>(residuals, r) =
      sqrt_tau_ * (tj - ti - yi * measured_translation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // Residual a = ... - √τ Σ_k Y_i(a, k) t̃_k: row a of Y_i only.
    double* j = jacobians[0];
    std::fill(j, j + r * r * d, 0.0);
    for (int a = 0; a < r; ++a) {
      for (int k = 0; k < d; ++k) {
        j[a * r * d + a + r * k] = -sqrt_tau_ * measured_translation_[k];
      }
    }
  }
  for (int block = 1; block < 3; ++block) {
    double* j = jacobians[block];
    if (j == nullptr) continue;
    const double value = block == 1 ? -sqrt_tau_ : sqrt_tau_;
    std::fill(j, j + r * r, 0.0);
    for (int a = 0; a < r; ++a) j[a * r + a] = value;
  }
  return true;
}

}  // namespace ceres_varpro
