#include "ceres_varpro/slam/special_orthogonal_manifold.h"

#include <cmath>

#include "Eigen/Core"

namespace ceres_varpro {
namespace {

using Matrix2 = Eigen::Matrix2d;
using Matrix3 = Eigen::Matrix3d;

Matrix3 Hat(const Eigen::Vector3d& w) {
  Matrix3 h;
  h << 0, -w[2], w[1], w[2], 0, -w[0], -w[1], w[0], 0;
  return h;
}

// Rodrigues, with the series near zero so tiny steps stay accurate.
Matrix3 Exp3(const Eigen::Vector3d& w) {
  const double theta2 = w.squaredNorm();
  const Matrix3 h = Hat(w);
  double a, b;
  if (theta2 < 1e-12) {
    a = 1.0 - theta2 / 6.0;
    b = 0.5 - theta2 / 24.0;
  } else {
    const double theta = std::sqrt(theta2);
    a = std::sin(theta) / theta;
    b = (1.0 - std::cos(theta)) / theta2;
  }
  return Matrix3::Identity() + a * h + b * h * h;
}

// Log from the skew-symmetric part v and atan2, which equals the usual
// logarithm on SO(3) and is smooth around it (so MinusJacobian, half the
// transposed PlusJacobian, is its derivative there too).
Eigen::Vector3d Log3(const Matrix3& r) {
  const Eigen::Vector3d v(r(2, 1) - r(1, 2), r(0, 2) - r(2, 0),
                          r(1, 0) - r(0, 1));
  const double s = 0.5 * v.norm();           // sin θ
  const double c = 0.5 * (r.trace() - 1.0);  // cos θ
  const double theta = std::atan2(s, c);
  if (s < 1e-8) {
    if (c > 0.0)
      return 0.5 * (1.0 + theta * theta / 6.0) * v;  // θ/(2 sin θ) → 1/2.
    // Near π: the axis from the symmetric part.
    const Matrix3 sym = 0.5 * (r + Matrix3::Identity());
    int k = 0;
    sym.diagonal().maxCoeff(&k);
    Eigen::Vector3d axis = sym.col(k) / std::sqrt(std::max(sym(k, k), 1e-300));
    axis.normalize();
    if (axis.dot(v) < 0) axis = -axis;
    return theta * axis;
  }
  return theta / (2.0 * s) * v;
}

}  // namespace

template <>
bool SpecialOrthogonalManifold<2>::Plus(const double* x, const double* delta,
                                        double* x_plus_delta) const {
  const Eigen::Map<const Matrix2> r(x);
  Matrix2 e;
  e << std::cos(delta[0]), -std::sin(delta[0]), std::sin(delta[0]),
      std::cos(delta[0]);
  Eigen::Map<Matrix2> out(x_plus_delta);
  out = r * e;
  return true;
}

template <>
bool SpecialOrthogonalManifold<3>::Plus(const double* x, const double* delta,
                                        double* x_plus_delta) const {
  const Eigen::Map<const Matrix3> r(x);
  Eigen::Map<Matrix3> out(x_plus_delta);
  out = r * Exp3(Eigen::Vector3d(delta[0], delta[1], delta[2]));
  return true;
}

// d/dδ vec(R Exp(δ)) at δ = 0 is vec(R G_k) for the generators G_k;
// row-major (ambient x tangent).
template <>
bool SpecialOrthogonalManifold<2>::PlusJacobian(const double* x,
                                                double* jacobian) const {
  const Eigen::Map<const Matrix2> r(x);
  Matrix2 g;
  g << 0, -1, 1, 0;
  const Matrix2 rg = r * g;
  for (int i = 0; i < 4; ++i) jacobian[i] = rg.data()[i];
  return true;
}

template <>
bool SpecialOrthogonalManifold<3>::PlusJacobian(const double* x,
                                                double* jacobian) const {
  const Eigen::Map<const Matrix3> r(x);
  for (int k = 0; k < 3; ++k) {
    const Matrix3 rg = r * Hat(Eigen::Vector3d::Unit(k));
    for (int i = 0; i < 9; ++i) jacobian[i * 3 + k] = rg.data()[i];
  }
  return true;
}

template <>
bool SpecialOrthogonalManifold<2>::Minus(const double* y, const double* x,
                                         double* y_minus_x) const {
  const Matrix2 d =
      Eigen::Map<const Matrix2>(x).transpose() * Eigen::Map<const Matrix2>(y);
  // Skew and symmetric parts: the angle on SO(2), smooth around it.
  y_minus_x[0] =
      std::atan2(0.5 * (d(1, 0) - d(0, 1)), 0.5 * (d(0, 0) + d(1, 1)));
  return true;
}

template <>
bool SpecialOrthogonalManifold<3>::Minus(const double* y, const double* x,
                                         double* y_minus_x) const {
  const Matrix3 d =
      Eigen::Map<const Matrix3>(x).transpose() * Eigen::Map<const Matrix3>(y);
  Eigen::Map<Eigen::Vector3d> out(y_minus_x);
  out = Log3(d);
  return true;
}

// The generators are orthogonal with ‖R G_k‖²_F = 2, so the pseudo-inverse of
// the PlusJacobian is half its transpose.
template <int kDim>
bool SpecialOrthogonalManifold<kDim>::MinusJacobian(const double* x,
                                                    double* jacobian) const {
  double plus[kAmbient * kTangent];
  PlusJacobian(x, plus);
  for (int i = 0; i < kAmbient; ++i) {
    for (int k = 0; k < kTangent; ++k)
      jacobian[k * kAmbient + i] = 0.5 * plus[i * kTangent + k];
  }
  return true;
}

template class SpecialOrthogonalManifold<2>;
template class SpecialOrthogonalManifold<3>;

}  // namespace ceres_varpro
