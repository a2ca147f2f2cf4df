#ifndef CERES_VARPRO_SLAM_UNIT_CIRCLE_MANIFOLD_H_
#define CERES_VARPRO_SLAM_UNIT_CIRCLE_MANIFOLD_H_

#include "ceres/manifold.h"

namespace ceres_varpro {

// The circle S¹ = {x ∈ R² : |x| = 1} (a 2D range bearing), tangent size 1:
//
//   Plus(x, δ)  = R(δ/2)·x             rotation by half the step, the
//                                      metric of Ceres's SphereManifold
//                                      (whose Plus also turns by |δ|/2), so
//                                      a solve takes the same steps with
//                                      either, up to the tangent's sign;
//   Minus(y, x) = 2·(angle from x to y), the angle in (-π, π].
//
// Ceres 2.1's SphereManifold<2> does not compile and SphereManifold<DYNAMIC>
// allocates in every Plus (6 % of a 10,000-node SNL solve); this one is
// closed-form and allocation-free. Plus keeps |x|, so the circle through x.
class UnitCircleManifold final : public ceres::Manifold {
 public:
  int AmbientSize() const override { return 2; }
  int TangentSize() const override { return 1; }
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

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_UNIT_CIRCLE_MANIFOLD_H_
