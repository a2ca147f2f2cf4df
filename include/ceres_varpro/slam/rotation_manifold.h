#ifndef CERES_VARPRO_SLAM_ROTATION_MANIFOLD_H_
#define CERES_VARPRO_SLAM_ROTATION_MANIFOLD_H_

#include "ceres/manifold.h"

namespace ceres_varpro {

// SO(d), d = 2 or 3, on a rotation matrix R stored column-major in d²
// doubles (Eigen's default Eigen::Map<Eigen::Matrix<double, d, d>>).
//
//   Plus(R, δ)  = R·Exp(δ)   right perturbation; δ is the angle in 2D, a
//                            rotation vector in 3D (Rodrigues).
//   Minus(S, R) = Log(RᵀS)   in (-π, π] / the ball |ω| ≤ π.
//
// Keeping the matrix itself as the parameter (rather than a quaternion)
// makes the SE-Sync residuals R_j - R_i R̃_ij linear in the parameters.
// Jacobians are row-major, as Ceres expects: PlusJacobian is d² x tangent,
// MinusJacobian tangent x d². Minus is computed from the skew and trace of
// RᵀS, so it is smooth in all d² ambient entries around SO(d) and
// MinusJacobian is its exact ambient derivative.
template <int kDim>
class RotationManifold final : public ceres::Manifold {
 public:
  static_assert(kDim == 2 || kDim == 3, "SO(2) or SO(3)");
  static constexpr int kAmbientSize = kDim * kDim;
  static constexpr int kTangentSize = kDim * (kDim - 1) / 2;

  int AmbientSize() const override { return kAmbientSize; }
  int TangentSize() const override { return kTangentSize; }
  bool Plus(const double* x, const double* delta,
            double* x_plus_delta) const override;
  bool PlusJacobian(const double* x, double* jacobian) const override;
  bool RightMultiplyByPlusJacobian(const double* x, int num_rows,
                                   const double* ambient_matrix,
                                   double* tangent_matrix) const override;
  bool Minus(const double* y, const double* x,
             double* y_minus_x) const override;
  bool MinusJacobian(const double* x, double* jacobian) const override;
};

using SO2Manifold = RotationManifold<2>;
using SO3Manifold = RotationManifold<3>;

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_ROTATION_MANIFOLD_H_
