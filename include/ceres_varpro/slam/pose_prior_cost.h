#ifndef CERES_VARPRO_SLAM_POSE_PRIOR_COST_H_
#define CERES_VARPRO_SLAM_POSE_PRIOR_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// A prior on one pose (R, t) at (R̄, t̄): a relative-pose measurement from the
// fixed world frame, so the translation error is in the world frame and t
// enters with the constant Jacobian U_t (the Gram matrix stays constant).
//   r = U [ t - t̄ ;  Log(R̄ᵀ R) ]          (d + d(d-1)/2 residuals)
// UᵀU is the information in (translation, rotation) order. Parameter blocks
// (R: d² column-major on RotationManifold<d>, t: d).
template <int kDim>
class PosePriorCost final
    : public ceres::SizedCostFunction<kDim + kDim*(kDim - 1) / 2, kDim * kDim,
                                      kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "SE(2) or SE(3)");
  static constexpr int kTangentSize = kDim * (kDim - 1) / 2;
  static constexpr int kResidualSize = kDim + kTangentSize;
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  using PoseMatrix = Eigen::Matrix<double, kResidualSize, kResidualSize>;

  PosePriorCost(const Matrix& prior_rotation, const Vector& prior_translation,
                const PoseMatrix& sqrt_information)
      : prior_rotation_(prior_rotation),
        prior_translation_(prior_translation),
        sqrt_information_(sqrt_information) {}

  // U = SqrtInformation(information).
  static ceres::CostFunction* Create(const Matrix& prior_rotation,
                                     const Vector& prior_translation,
                                     const PoseMatrix& information);
  static ceres::CostFunction* CreateFromSqrtInformation(
      const Matrix& prior_rotation, const Vector& prior_translation,
      const PoseMatrix& sqrt_information) {
    return new PosePriorCost(prior_rotation, prior_translation,
                             sqrt_information);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Matrix prior_rotation_;
  Vector prior_translation_;
  PoseMatrix sqrt_information_;
};

// The isotropic (SE-Sync style) prior, linear in the matrix entries like
// IsotropicRotationCost:
//   r = [ √τ (t - t̄) ;  √κ vec(R - R̄) ]     (d + d² residuals)
// Parameter blocks (R: d², t: d). Both Jacobians are constant.
template <int kDim>
class IsotropicPosePriorCost final
    : public ceres::SizedCostFunction<kDim + kDim * kDim, kDim * kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "SE(2) or SE(3)");
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;

  // kappa, tau >= 0.
  IsotropicPosePriorCost(const Matrix& prior_rotation,
                         const Vector& prior_translation, double kappa,
                         double tau);
  static ceres::CostFunction* Create(const Matrix& prior_rotation,
                                     const Vector& prior_translation,
                                     double kappa, double tau) {
    return new IsotropicPosePriorCost(prior_rotation, prior_translation, kappa,
                                      tau);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Matrix prior_rotation_;
  Vector prior_translation_;
  double sqrt_kappa_;
  double sqrt_tau_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_POSE_PRIOR_COST_H_
