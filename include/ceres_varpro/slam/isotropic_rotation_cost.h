#ifndef CERES_VARPRO_SLAM_ISOTROPIC_ROTATION_COST_H_
#define CERES_VARPRO_SLAM_ISOTROPIC_ROTATION_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// The rotation term of the SE-Sync pose-graph model:
//   r = √κ vec(R_j - R_i R̃_ij)                  (d² residuals)
// Parameter blocks (R_i: d², R_j: d²), rotation matrices stored column-major
// (use RotationManifold<d>). Jacobians are w.r.t. the d² ambient entries;
// Ceres applies the manifold's PlusJacobian itself. The residual is linear
// in the matrix entries, so the Jacobians do not depend on the point.
template <int kDim>
class IsotropicRotationCost final
    : public ceres::SizedCostFunction<kDim * kDim, kDim * kDim, kDim * kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "SO(2) or SO(3)");
  using Matrix = Eigen::Matrix<double, kDim, kDim>;

  // `measured_rotation` is R̃_ij = R_iᵀR_j measured; kappa >= 0.
  IsotropicRotationCost(const Matrix& measured_rotation, double kappa);
  static ceres::CostFunction* Create(const Matrix& measured_rotation,
                                     double kappa) {
    return new IsotropicRotationCost(measured_rotation, kappa);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Matrix measured_rotation_;
  double sqrt_kappa_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_ISOTROPIC_ROTATION_COST_H_
