#include "ceres_varpro/slam/isotropic_translation_cost.h"

#include <algorithm>
#include <cmath>

#include "glog/logging.h"

namespace ceres_varpro {

template <int kDim>
IsotropicTranslationCost<kDim>::IsotropicTranslationCost(
    const Vector& measured_translation, double tau)
    : measured_translation_(measured_translation) {
  CHECK_GE(tau, 0.0);
  sqrt_tau_ = std::sqrt(tau);
}

template <int kDim>
bool IsotropicTranslationCost<kDim>::Evaluate(double const* const* parameters,
                                              double* residuals,
                                              double** jacobians) const {
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  const Eigen::Map<const Matrix> ri(parameters[0]);
  const Eigen::Map<const Vector> ti(parameters[1]);
  const Eigen::Map<const Vector> tj(parameters[2]);
  Eigen::Map<Vector> r(residuals);
  r = sqrt_tau_ * (tj - ti - ri * measured_translation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // Residual a = ... - √τ Σ_k R_i(a, k) t̃_k: row a of R_i only.
    double* j = jacobians[0];
    std::fill(j, j + kDim * kDim * kDim, 0.0);
    for (int a = 0; a < kDim; ++a) {
      for (int k = 0; k < kDim; ++k) {
        j[a * kDim * kDim + a + kDim * k] =
            -sqrt_tau_ * measured_translation_[k];
      }
    }
  }
  for (int block = 1; block < 3; ++block) {
    double* j = jacobians[block];
    if (j == nullptr) continue;
    const double value = block == 1 ? -sqrt_tau_ : sqrt_tau_;
    std::fill(j, j + kDim * kDim, 0.0);
    for (int a = 0; a < kDim; ++a) j[a * kDim + a] = value;
  }
  return true;
}

template class IsotropicTranslationCost<2>;
template class IsotropicTranslationCost<3>;

}  // namespace ceres_varpro
