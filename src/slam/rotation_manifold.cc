#include "ceres_varpro/slam/rotation_manifold.h"

#include "Eigen/Core"
#include "slam/rotation_math.h"

namespace ceres_varpro {

template <>
bool RotationManifold<2>::Plus(const double* x, const double* delta,
                               double* x_plus_delta) const {
  Eigen::Map<Eigen::Matrix2d> out(x_plus_delta);
  out = Eigen::Map<const Eigen::Matrix2d>(x) * rotation_math::Exp2(delta[0]);
  return true;
}

template <>
bool RotationManifold<3>::Plus(const double* x, const double* delta,
                               double* x_plus_delta) const {
  Eigen::Map<Eigen::Matrix3d> out(x_plus_delta);
  out = Eigen::Map<const Eigen::Matrix3d>(x) *
        rotation_math::Exp3(Eigen::Vector3d(delta[0], delta[1], delta[2]));
  return true;
}

// Column k of the Jacobian at δ = 0 is vec(R [e_k]×); written out, these are
// signed copies of R's columns.
template <>
bool RotationManifold<2>::PlusJacobian(const double* x,
                                       double* jacobian) const {
  // R [0 -1; 1 0] = [r1, -r0].
  jacobian[0] = x[2];
  jacobian[1] = x[3];
  jacobian[2] = -x[0];
  jacobian[3] = -x[1];
  return true;
}

template <>
bool RotationManifold<3>::PlusJacobian(const double* x,
                                       double* jacobian) const {
  // R[e0]× = [0, r2, -r1], R[e1]× = [-r2, 0, r0], R[e2]× = [r1, -r0, 0].
  const double* r0 = x;
  const double* r1 = x + 3;
  const double* r2 = x + 6;
  for (int a = 0; a < 3; ++a) {
    // Rows of the entries (a, 0), (a, 1) and (a, 2) of R.
    double* in_c0 = jacobian + 3 * a;
    double* in_c1 = jacobian + 3 * (3 + a);
    double* in_c2 = jacobian + 3 * (6 + a);
    in_c0[0] = 0.0;
    in_c0[1] = -r2[a];
    in_c0[2] = r1[a];
    in_c1[0] = r2[a];
    in_c1[1] = 0.0;
    in_c1[2] = -r0[a];
    in_c2[0] = -r1[a];
    in_c2[1] = r0[a];
    in_c2[2] = 0.0;
  }
  return true;
}

template <int kDim>
bool RotationManifold<kDim>::RightMultiplyByPlusJacobian(
    const double* x, const int num_rows, const double* ambient_matrix,
    double* tangent_matrix) const {
  double plus[kAmbientSize * kTangentSize];
  PlusJacobian(x, plus);
  for (int row = 0; row < num_rows; ++row) {
    const double* a = ambient_matrix + row * kAmbientSize;
    double* t = tangent_matrix + row * kTangentSize;
    for (int k = 0; k < kTangentSize; ++k) {
      double sum = 0.0;
      for (int i = 0; i < kAmbientSize; ++i)
        sum += a[i] * plus[i * kTangentSize + k];
      t[k] = sum;
    }
  }
  return true;
}

template <>
bool RotationManifold<2>::Minus(const double* y, const double* x,
                                double* y_minus_x) const {
  const Eigen::Matrix2d e = Eigen::Map<const Eigen::Matrix2d>(x).transpose() *
                            Eigen::Map<const Eigen::Matrix2d>(y);
  y_minus_x[0] = rotation_math::Log2(e, nullptr);
  return true;
}

template <>
bool RotationManifold<3>::Minus(const double* y, const double* x,
                                double* y_minus_x) const {
  const Eigen::Matrix3d e = Eigen::Map<const Eigen::Matrix3d>(x).transpose() *
                            Eigen::Map<const Eigen::Matrix3d>(y);
  Eigen::Map<Eigen::Vector3d> out(y_minus_x);
  out = rotation_math::Log3(e, nullptr);
  return true;
}

// At y = x the derivative of Log(xᵀy) is ½ vee(skew(xᵀ dy)); since the
// columns vec(R [e_k]×) of the PlusJacobian are orthogonal with squared norm
// 2, that is half the transposed PlusJacobian (its pseudo-inverse).
template <int kDim>
bool RotationManifold<kDim>::MinusJacobian(const double* x,
                                           double* jacobian) const {
  double plus[kAmbientSize * kTangentSize];
  PlusJacobian(x, plus);
  for (int i = 0; i < kAmbientSize; ++i) {
    for (int k = 0; k < kTangentSize; ++k) {
      jacobian[k * kAmbientSize + i] = 0.5 * plus[i * kTangentSize + k];
    }
  }
  return true;
}

template class RotationManifold<2>;
template class RotationManifold<3>;

}  // namespace ceres_varpro
