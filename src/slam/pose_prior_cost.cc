#include "ceres_varpro/slam/pose_prior_cost.h"

#include <algorithm>
#include <cmath>

#include "ceres_varpro/slam/information.h"
#include "glog/logging.h"
#include "slam/rotation_math.h"

namespace ceres_varpro {

template <int kDim>
ceres::CostFunction* PosePriorCost<kDim>::Create(
    const Matrix& prior_rotation, const Vector& prior_translation,
    const PoseMatrix& information) {
  const PoseMatrix sqrt_information = SqrtInformation(information);
  return new PosePriorCost(prior_rotation, prior_translation, sqrt_information);
}

template <int kDim>
bool PosePriorCost<kDim>::Evaluate(double const* const* parameters,
                                   double* residuals,
                                   double** jacobians) const {
  constexpr int n = kDim * kDim;
  using ErrorVector = Eigen::Matrix<double, kResidualSize, 1>;
  const Eigen::Map<const Matrix> r(parameters[0]);
  const Eigen::Map<const Vector> t(parameters[1]);
  ErrorVector e;
  e.template head<kDim>() = t - prior_translation_;
  const Matrix error_rotation = prior_rotation_.transpose() * r;
  Matrix dlog[kTangentSize];
  rotation_math::LogWithJacobian<kDim>(error_rotation, e.data() + kDim,
                                       jacobians != nullptr ? dlog : nullptr);
  Eigen::Map<ErrorVector> residual(residuals);
  residual = sqrt_information_ * e;
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    // dE = R̄ᵀ dR, so ∂Log_t/∂R = R̄ dlog_t.
    Eigen::Matrix<double, kResidualSize, n> je;
    je.template topRows<kDim>().setZero();
    for (int k = 0; k < kTangentSize; ++k) {
      const Matrix h = prior_rotation_ * dlog[k];
      je.row(kDim + k) =
          Eigen::Map<const Eigen::Matrix<double, 1, n>>(h.data());
    }
    Eigen::Map<Eigen::Matrix<double, kResidualSize, n, Eigen::RowMajor>> j(
        jacobians[0]);
    j = sqrt_information_ * je;
  }
  if (jacobians[1] != nullptr) {
    Eigen::Map<Eigen::Matrix<double, kResidualSize, kDim, Eigen::RowMajor>> j(
        jacobians[1]);
    j = sqrt_information_.template leftCols<kDim>();
  }
  return true;
}

template <int kDim>
IsotropicPosePriorCost<kDim>::IsotropicPosePriorCost(
    const Matrix& prior_rotation, const Vector& prior_translation, double kappa,
    double tau)
    : prior_rotation_(prior_rotation), prior_translation_(prior_translation) {
  CHECK_GE(kappa, 0.0);
  CHECK_GE(tau, 0.0);
  sqrt_kappa_ = std::sqrt(kappa);
  sqrt_tau_ = std::sqrt(tau);
}

template <int kDim>
bool IsotropicPosePriorCost<kDim>::Evaluate(double const* const* parameters,
                                            double* residuals,
                                            double** jacobians) const {
  constexpr int n = kDim * kDim;
  constexpr int m = kDim + n;
  const Eigen::Map<const Matrix> r(parameters[0]);
  const Eigen::Map<const Vector> t(parameters[1]);
  Eigen::Map<Vector> translation_residual(residuals);
  Eigen::Map<Matrix> rotation_residual(residuals + kDim);
  translation_residual = sqrt_tau_ * (t - prior_translation_);
  rotation_residual = sqrt_kappa_ * (r - prior_rotation_);
  if (jacobians == nullptr) return true;
  if (jacobians[0] != nullptr) {
    double* j = jacobians[0];
    std::fill(j, j + m * n, 0.0);
    for (int i = 0; i < n; ++i) j[(kDim + i) * n + i] = sqrt_kappa_;
  }
  if (jacobians[1] != nullptr) {
    double* j = jacobians[1];
    std::fill(j, j + m * kDim, 0.0);
    for (int i = 0; i < kDim; ++i) j[i * kDim + i] = sqrt_tau_;
  }
  return true;
}

template class PosePriorCost<2>;
template class PosePriorCost<3>;
template class IsotropicPosePriorCost<2>;
template class IsotropicPosePriorCost<3>;

}  // namespace ceres_varpro
