#include "ceres_varpro/slam/isotropic_rotation_cost.h"

#include <algorithm>
#include <cmath>

#include "glog/logging.h"

namespace ceres_varpro {

template <int kDim>
IsotropicRotationCost<kDim>::IsotropicRotationCost(
    const Matrix& measured_rotation, double kappa)
    : measured_rotation_(measured_rotation) {
  CHECK_GE(kappa, 0.0);
  sqrt_kappa_ = std::sqrt(kappa);
}

template <int kDim>
bool IsotropicRotationCost<kDim>::Evaluate(double const* const* parameters,
                                           double* residuals,
                                           double** jacobians) const {
  constexpr int n = kDim * kDim;
  const Eigen::Map<const Matrix> ri(parameters[0]);
  const Eigen::Map<const Matrix> rj(parameters[1]);
  Eigen::Map<Matrix> r(residuals);
  r = sqrt_kappa_ * (rj - ri * measured_rotation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // Residual (a, b) = -√κ Σ_k R_i(a, k) R̃(k, b): it sees row a of R_i
    // only, through column b of R̃.
    double* j = jacobians[0];
    std::fill(j, j + n * n, 0.0);
    for (int b = 0; b < kDim; ++b) {
      for (int a = 0; a < kDim; ++a) {
        double* row = j + (a + kDim * b) * n;
        for (int k = 0; k < kDim; ++k) {
          row[a + kDim * k] = -sqrt_kappa_ * measured_rotation_(k, b);
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

template class IsotropicRotationCost<2>;
template class IsotropicRotationCost<3>;

}  // namespace ceres_varpro
