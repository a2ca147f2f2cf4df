#ifndef CERES_VARPRO_SLAM_ROTATION_MATH_H_
#define CERES_VARPRO_SLAM_ROTATION_MATH_H_

// Exp and Log on SO(2) and SO(3) for rotation matrices stored column-major,
// shared by RotationManifold and the costs that measure rotation errors
// (Hat also by the ba module's analytic BAL cost). Internal to the library;
// everything is fixed-size and allocation-free because the costs call it
// inside Evaluate.

#include <algorithm>
#include <cmath>

#include "Eigen/Core"

namespace ceres_varpro {
namespace rotation_math {

inline Eigen::Matrix3d Hat(const Eigen::Vector3d& w) {
  Eigen::Matrix3d h;
  h << 0.0, -w[2], w[1], w[2], 0.0, -w[0], -w[1], w[0], 0.0;
  return h;
}

inline Eigen::Matrix2d Exp2(double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  Eigen::Matrix2d r;
  r << c, -s, s, c;
  return r;
}

// Rodrigues: I + (sin θ/θ) [w]× + (1 - cos θ)/θ² [w]×². The second
// coefficient is written as 2 sin²(θ/2)/θ², which has no cancellation for
// small θ; only θ ≈ 0 needs the series.
inline Eigen::Matrix3d Exp3(const Eigen::Vector3d& w) {
  const double theta2 = w.squaredNorm();
  double a, b;
  if (theta2 < 1e-12) {
    a = 1.0 - theta2 / 6.0;
    b = 0.5 - theta2 / 24.0;
  } else {
    const double theta = std::sqrt(theta2);
    const double half_sin = std::sin(0.5 * theta);
    a = std::sin(theta) / theta;
    b = 2.0 * half_sin * half_sin / theta2;
  }
  const Eigen::Matrix3d h = Hat(w);
  return Eigen::Matrix3d::Identity() + a * h + b * (h * h);
}

// The angle of a 2x2 matrix E from its rotation-like part:
// atan2(E10 - E01, E00 + E11), in (-π, π]. It equals the SO(2) logarithm on
// rotations and is a smooth function of all four entries around them.
// `jacobian` (optional) receives ∂θ/∂E(p, q) as a 2x2 matrix.
inline double Log2(const Eigen::Matrix2d& e, Eigen::Matrix2d* jacobian) {
  const double y = e(1, 0) - e(0, 1);
  const double x = e(0, 0) + e(1, 1);
  if (jacobian != nullptr) {
    const double n2 = x * x + y * y;
    (*jacobian) << -y / n2, -x / n2, x / n2, -y / n2;
  }
  return std::atan2(y, x);
}

// J_r⁻¹(ω), the inverse right Jacobian of SO(3): d Log(E Exp(φ)) / dφ at 0
// where ω = Log(E). Bounded on the whole ball |ω| ≤ π.
inline Eigen::Matrix3d InverseRightJacobian3(const Eigen::Vector3d& w) {
  const double theta2 = w.squaredNorm();
  double k;  // 1/θ² - (1 + cos θ)/(2θ sin θ) = 1/θ² - cot(θ/2)/(2θ).
  if (theta2 < 1e-6) {
    k = 1.0 / 12.0 + theta2 / 720.0;
  } else {
    const double theta = std::sqrt(theta2);
    const double half = 0.5 * theta;
    k = 1.0 / theta2 - std::cos(half) / (2.0 * theta * std::sin(half));
  }
  const Eigen::Matrix3d h = Hat(w);
  return Eigen::Matrix3d::Identity() + 0.5 * h + k * (h * h);
}

// The rotation vector of a 3x3 matrix E. With v = vee(E - Eᵀ), s = |v|/2 and
// c = (tr E - 1)/2 (sin θ and cos θ on SO(3)), θ = atan2(s, c) and
// Log(E) = θ/(2s) v. This is the SO(3) logarithm on rotations and a smooth
// function of the nine entries around them, so its ambient derivative is
// well defined: the costs report it, and Ceres's numeric-diff checks of them
// (in ambient coordinates) agree.
//
// Within 0.01 rad of θ = π the logarithm is discontinuous across the
// cut and s is too small to carry the axis: the axis then comes from the
// symmetric part, (E + Eᵀ)/2 = cI + (1 - c) aaᵀ, and the reported
// derivative is one that is exact along the tangent space of SO(3) at E
// (all Ceres uses after multiplying by the manifold's PlusJacobian):
// dω = J_r⁻¹(ω) vee(skew(Eᵀ dE)).
//
// `jacobian` (optional) receives ∂ω_m/∂E(p, q) in jacobian[m](p, q).
inline Eigen::Vector3d Log3(const Eigen::Matrix3d& e,
                            Eigen::Matrix3d* jacobian) {
  const Eigen::Vector3d v(e(2, 1) - e(1, 2), e(0, 2) - e(2, 0),
                          e(1, 0) - e(0, 1));
  const double s = 0.5 * v.norm();
  const double c = 0.5 * (e.trace() - 1.0);
  constexpr double kNearPiSin = 0.01;
  if (c < 0.0 && s < kNearPiSin) {
    const double theta = std::atan2(s, c);
    const Eigen::Matrix3d outer =
        (0.5 * (e + e.transpose()) - c * Eigen::Matrix3d::Identity()) /
        (1.0 - c);
    int k = 0;
    outer.diagonal().maxCoeff(&k);
    Eigen::Vector3d axis = outer.col(k) / std::sqrt(std::max(outer(k, k), 0.0));
    axis.normalize();
    if (axis.dot(v) < 0.0) axis = -axis;
    const Eigen::Vector3d w = theta * axis;
    if (jacobian != nullptr) {
      const Eigen::Matrix3d jinv = InverseRightJacobian3(w);
      for (int m = 0; m < 3; ++m) {
        jacobian[m] = 0.5 * e * Hat(jinv.row(m).transpose());
      }
    }
    return w;
  }
  // f = θ/(2s) and g = (∂f/∂s)/s as functions of (s, c); series in
  // x = s/c when x is small (f and g are both even in x there).
  double f, g;
  const double r2 = s * s + c * c;
  if (c > 0.0 && s < 1e-2 * c) {
    const double x2 = (s / c) * (s / c);
    f = (1.0 - x2 * (1.0 / 3.0 - x2 * (1.0 / 5.0 - x2 / 7.0))) / (2.0 * c);
    g = -(1.0 / 3.0 - x2 * (2.0 / 5.0 - x2 * (3.0 / 7.0 - x2 * 4.0 / 9.0))) /
        (c * c * c);
  } else {
    const double theta = std::atan2(s, c);
    f = theta / (2.0 * s);
    g = (s * c / r2 - theta) / (2.0 * s * s * s);
  }
  if (jacobian != nullptr) {
    // dω = (f I + g/4 v vᵀ) dv + v f_c dc, f_c = -1/(2(s² + c²)),
    // dc = tr(dE)/2, and dv = vee(dE - dEᵀ).
    const Eigen::Matrix3d a =
        f * Eigen::Matrix3d::Identity() + 0.25 * g * v * v.transpose();
    const Eigen::Vector3d h = (-0.25 / r2) * v;
    for (int m = 0; m < 3; ++m) {
      jacobian[m] = Hat(a.row(m).transpose());
      jacobian[m].diagonal().setConstant(h[m]);
    }
  }
  return f * v;
}

// Log and its derivative for either dimension, in the shape the costs use:
// `error` has d(d-1)/2 entries, `jacobian` as many d x d matrices.
template <int kDim>
inline void LogWithJacobian(const Eigen::Matrix<double, kDim, kDim>& e,
                            double* error,
                            Eigen::Matrix<double, kDim, kDim>* jacobian) {
  if constexpr (kDim == 2) {
    error[0] = Log2(e, jacobian);
  } else {
    const Eigen::Vector3d w = Log3(e, jacobian);
    error[0] = w[0];
    error[1] = w[1];
    error[2] = w[2];
  }
}

}  // namespace rotation_math
}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_ROTATION_MATH_H_
