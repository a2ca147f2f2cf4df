#include "ceres_varpro/slam/unit_circle_manifold.h"

#include <cmath>

namespace ceres_varpro {

bool UnitCircleManifold::Plus(const double* x, const double* delta,
                              double* x_plus_delta) const {
  const double c = std::cos(0.5 * delta[0]);
  const double s = std::sin(0.5 * delta[0]);
  x_plus_delta[0] = c * x[0] - s * x[1];
  x_plus_delta[1] = s * x[0] + c * x[1];
  return true;
}

// d/dδ R(δ/2)x at δ = 0: half of x turned by a quarter.
bool UnitCircleManifold::PlusJacobian(const double* x, double* jacobian) const {
  jacobian[0] = -0.5 * x[1];
  jacobian[1] = 0.5 * x[0];
  return true;
}

bool UnitCircleManifold::RightMultiplyByPlusJacobian(
    const double* x, int num_rows, const double* ambient_matrix,
    double* tangent_matrix) const {
  for (int r = 0; r < num_rows; ++r) {
    tangent_matrix[r] =
        0.5 * (ambient_matrix[2 * r + 1] * x[0] - ambient_matrix[2 * r] * x[1]);
  }
  return true;
}

bool UnitCircleManifold::Minus(const double* y, const double* x,
                               double* y_minus_x) const {
  y_minus_x[0] =
      2.0 * std::atan2(x[0] * y[1] - x[1] * y[0], x[0] * y[0] + x[1] * y[1]);
  return true;
}

// The derivative of Minus(·, x) at x; the inverse of PlusJacobian there.
bool UnitCircleManifold::MinusJacobian(const double* x,
                                       double* jacobian) const {
  const double norm2 = x[0] * x[0] + x[1] * x[1];
  if (!(norm2 > 0.0)) return false;
  jacobian[0] = -2.0 * x[1] / norm2;
  jacobian[1] = 2.0 * x[0] / norm2;
  return true;
}

}  // namespace ceres_varpro
