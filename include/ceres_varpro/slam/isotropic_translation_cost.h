#ifndef CERES_VARPRO_SLAM_ISOTROPIC_TRANSLATION_COST_H_
#define CERES_VARPRO_SLAM_ISOTROPIC_TRANSLATION_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// The translation term of the SE-Sync pose-graph model:
//   r = √τ (t_j - t_i - R_i t̃_ij)                (d residuals)
// Parameter blocks (R_i: d² column-major, t_i: d, t_j: d). Affine in t_i and
// t_j with the constant Jacobian ∓√τ I, so the translations' Gram matrix is
// a fixed weighted graph Laplacian (VarPro regime 1).
template <int kDim>
class IsotropicTranslationCost final
    : public ceres::SizedCostFunction<kDim, kDim * kDim, kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "SE(2) or SE(3)");
  using Vector = Eigen::Matrix<double, kDim, 1>;

  // `measured_translation` is t̃_ij = R_iᵀ(t_j - t_i) measured; tau >= 0.
  IsotropicTranslationCost(const Vector& measured_translation, double tau);
  static ceres::CostFunction* Create(const Vector& measured_translation,
                                     double tau) {
    return new IsotropicTranslationCost(measured_translation, tau);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Vector measured_translation_;
  double sqrt_tau_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_ISOTROPIC_TRANSLATION_COST_H_
