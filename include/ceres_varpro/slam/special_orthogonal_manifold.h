#ifndef CERES_VARPRO_SLAM_SPECIAL_ORTHOGONAL_MANIFOLD_H_
#define CERES_VARPRO_SLAM_SPECIAL_ORTHOGONAL_MANIFOLD_H_

#include "ceres/manifold.h"

namespace ceres_varpro {

// SO(d), d = 2 or 3, on a rotation matrix stored column-major in d² doubles
// (Eigen's default layout). Plus(R, δ) = R·Exp(δ) (right perturbation;
// δ is the angle in 2D, a rotation vector in 3D), Minus(S, R) = Log(RᵀS).
// Keeping the matrix itself as the parameter makes the SE-Sync residuals
// R_j - R_i R̃ linear in the parameters.
template <int kDim>
class SpecialOrthogonalManifold final : public ceres::Manifold {
 public:
  static_assert(kDim == 2 || kDim == 3, "SO(2) or SO(3)");
  static constexpr int kAmbient = kDim * kDim;
  static constexpr int kTangent = kDim * (kDim - 1) / 2;

  int AmbientSize() const override { return kAmbient; }
  int TangentSize() const override { return kTangent; }
  bool Plus(const double* x, const double* delta,
            double* x_plus_delta) const override;
  bool PlusJacobian(const double* x, double* jacobian) const override;
  bool Minus(const double* y, const double* x,
             double* y_minus_x) const override;
  bool MinusJacobian(const double* x, double* jacobian) const override;
};

using SO2Manifold = SpecialOrthogonalManifold<2>;
using SO3Manifold = SpecialOrthogonalManifold<3>;

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_SPECIAL_ORTHOGONAL_MANIFOLD_H_
