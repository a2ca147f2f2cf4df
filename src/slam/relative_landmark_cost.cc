#include "ceres_varpro/slam/relative_landmark_cost.h"

namespace ceres_varpro {

template <int kDim>
bool RelativeLandmarkCost<kDim>::Evaluate(double const* const* parameters,
                                          double* residuals,
                                          double** jacobians) const {
  using RowMajor = Eigen::Matrix<double, kDim, kDim, Eigen::RowMajor>;
  const Eigen::Map<const Matrix> ri(parameters[0]);
  const Eigen::Map<const Vector> ti(parameters[1]);
  const Eigen::Map<const Vector> lj(parameters[2]);
  Eigen::Map<Vector> r(residuals);
  r = sqrt_information_ * (lj - ti - ri * measured_translation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // ∂(R_i t̃)_a / ∂R_i(a', k) = δ(a, a') t̃_k, mixed by S.
    double* j = jacobians[0];
    for (int c = 0; c < kDim; ++c) {
      for (int k = 0; k < kDim; ++k) {
        for (int a = 0; a < kDim; ++a) {
          j[c * kDim * kDim + a + kDim * k] =
              -sqrt_information_(c, a) * measured_translation_[k];
        }
      }
    }
  }
  if (jacobians[1] != nullptr) {
    Eigen::Map<RowMajor> j(jacobians[1]);
    j = -sqrt_information_;
  }
  if (jacobians[2] != nullptr) {
    Eigen::Map<RowMajor> j(jacobians[2]);
    j = sqrt_information_;
  }
  return true;
}

template <int kDim>
bool RelativeLandmarkBodyFrameCost<kDim>::Evaluate(
    double const* const* parameters, double* residuals,
    double** jacobians) const {
  using RowMajor = Eigen::Matrix<double, kDim, kDim, Eigen::RowMajor>;
  const Eigen::Map<const Matrix> ri(parameters[0]);
  const Eigen::Map<const Vector> ti(parameters[1]);
  const Eigen::Map<const Vector> lj(parameters[2]);
  const Vector delta = lj - ti;
  Eigen::Map<Vector> r(residuals);
  r = sqrt_information_ * (ri.transpose() * delta - measured_translation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // ∂(R_iᵀΔ)_k / ∂R_i(a, k') = δ(k, k') Δ_a, mixed by U.
    double* j = jacobians[0];
    for (int c = 0; c < kDim; ++c) {
      for (int k = 0; k < kDim; ++k) {
        for (int a = 0; a < kDim; ++a) {
          j[c * kDim * kDim + a + kDim * k] =
              sqrt_information_(c, k) * delta[a];
        }
      }
    }
  }
  if (jacobians[1] != nullptr || jacobians[2] != nullptr) {
    const Matrix u_rt = sqrt_information_ * ri.transpose();
    if (jacobians[1] != nullptr) {
      Eigen::Map<RowMajor> j(jacobians[1]);
      j = -u_rt;
    }
    if (jacobians[2] != nullptr) {
      Eigen::Map<RowMajor> j(jacobians[2]);
      j = u_rt;
    }
  }
  return true;
}

template class RelativeLandmarkCost<2>;
template class RelativeLandmarkCost<3>;
template class RelativeLandmarkBodyFrameCost<2>;
template class RelativeLandmarkBodyFrameCost<3>;

}  // namespace ceres_varpro
