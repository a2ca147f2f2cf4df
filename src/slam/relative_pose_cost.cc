#include "ceres_varpro/slam/relative_pose_cost.h"

#include "ceres_varpro/slam/information.h"
#include "slam/rotation_math.h"

namespace ceres_varpro {

template <int kDim>
ceres::CostFunction* RelativePoseCost<kDim>::Create(
    const Matrix& measured_rotation, const Vector& measured_translation,
    const PoseMatrix& information) {
  const PoseMatrix sqrt_information = SqrtInformation(information);
  return new RelativePoseCost(measured_rotation, measured_translation,
                              sqrt_information);
}

template <int kDim>
bool RelativePoseCost<kDim>::Evaluate(double const* const* parameters,
                                      double* residuals,
                                      double** jacobians) const {
  constexpr int n = kDim * kDim;
  using ErrorVector = Eigen::Matrix<double, kResidualSize, 1>;
  using AmbientRow = Eigen::Matrix<double, 1, n>;
  using RotationBlock =
      Eigen::Matrix<double, kResidualSize, n, Eigen::RowMajor>;
  const Eigen::Map<const Matrix> ri(parameters[0]);
  const Eigen::Map<const Vector> ti(parameters[1]);
  const Eigen::Map<const Matrix> rj(parameters[2]);
  const Eigen::Map<const Vector> tj(parameters[3]);

  const Vector delta = tj - ti;
  ErrorVector e;
  e.template head<kDim>() = ri.transpose() * delta - measured_translation_;
  // E = M R_j with M = R̃ᵀR_iᵀ.
  const Matrix m = measured_rotation_.transpose() * ri.transpose();
  const Matrix error_rotation = m * rj;
  Matrix dlog[kTangentSize];  // dlog[t](p, q) = ∂Log_t / ∂E(p, q).
  rotation_math::LogWithJacobian<kDim>(error_rotation, e.data() + kDim,
                                       jacobians != nullptr ? dlog : nullptr);
  Eigen::Map<ErrorVector> r(residuals);
  r = sqrt_information_ * e;
  if (jacobians == nullptr) return true;

  if (jacobians[0] != nullptr) {
    // Translation rows: ∂(R_iᵀΔ)_k / ∂R_i(a, k') = δ(k, k') Δ_a.
    // Rotation rows: dE = R̃ᵀ dR_iᵀ R_j, so ∂Log_t/∂R_i = R_j dlog_tᵀ R̃ᵀ.
    Eigen::Matrix<double, kResidualSize, n> je;
    je.setZero();
    for (int k = 0; k < kDim; ++k) {
      for (int a = 0; a < kDim; ++a) je(k, a + kDim * k) = delta[a];
    }
    for (int t = 0; t < kTangentSize; ++t) {
      const Matrix g =
          rj * dlog[t].transpose() * measured_rotation_.transpose();
      je.row(kDim + t) = Eigen::Map<const AmbientRow>(g.data());
    }
    Eigen::Map<RotationBlock> j(jacobians[0]);
    j = sqrt_information_ * je;
  }
  if (jacobians[2] != nullptr) {
    // dE = M dR_j, so ∂Log_t/∂R_j = Mᵀ dlog_t; translation rows are zero.
    Eigen::Matrix<double, kResidualSize, n> je;
    je.template topRows<kDim>().setZero();
    for (int t = 0; t < kTangentSize; ++t) {
      const Matrix h = m.transpose() * dlog[t];
      je.row(kDim + t) = Eigen::Map<const AmbientRow>(h.data());
    }
    Eigen::Map<RotationBlock> j(jacobians[2]);
    j = sqrt_information_ * je;
  }
  if (jacobians[1] != nullptr || jacobians[3] != nullptr) {
    using Block = Eigen::Matrix<double, kResidualSize, kDim, Eigen::RowMajor>;
    const Block a =
        sqrt_information_.template leftCols<kDim>() * ri.transpose();
    if (jacobians[1] != nullptr) {
      Eigen::Map<Block> j(jacobians[1]);
      j = -a;
    }
    if (jacobians[3] != nullptr) {
      Eigen::Map<Block> j(jacobians[3]);
      j = a;
    }
  }
  return true;
}

template class RelativePoseCost<2>;
template class RelativePoseCost<3>;

}  // namespace ceres_varpro
