#include "ceres_varpro/ba/bal_analytic_cost.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "Eigen/Core"
#include "Eigen/Geometry"
#include "slam/rotation_math.h"

namespace ceres_varpro {
namespace {

using Matrix3 = Eigen::Matrix3d;
using Vector3 = Eigen::Vector3d;
using rotation_math::Hat;

// R(ω)X and its derivatives in ω and X, as ceres::AngleAxisRotatePoint
// computes R(ω)X (first order below θ² = ε, where it uses X + ω × X).
struct Rotated {
  Vector3 value;
  Matrix3 d_omega;  // ∂(RX)/∂ω.
  Matrix3 d_point;  // ∂(RX)/∂X = R.
};

// What R(ω) costs to build (sin, cos and the products), kept per camera:
// every camera's ω is the same across its hundreds to thousands of
// observations until the solver moves it. Keyed by the camera's address and
// checked against ω bit for bit, so a hit returns exactly what would have
// been computed (any problem, any collision). One table per thread: no
// sharing, no locks.
struct RotationEntry {
  const double* camera = nullptr;
  double omega[3] = {0.0, 0.0, 0.0};
  bool small = false;  // θ² <= ε: R = I + ω^, first order.
  Matrix3 rotation;    // R(ω).
  Matrix3 left;        // J_l(ω), the left Jacobian of SO(3); not small.
};

constexpr int kRotationCacheSlots = 64;

RotationEntry& LookUpRotation(const double* camera, const Vector3& omega) {
  thread_local RotationEntry table[kRotationCacheSlots];
  const auto address = reinterpret_cast<std::uintptr_t>(camera);
  // Fibonacci hashing: the top bits of the product spread neighbouring
  // addresses over the slots.
  static_assert(kRotationCacheSlots == 64, "the hash keeps 6 bits");
  const int slot = static_cast<int>(((address >> 3) * 0x9E3779B97F4A7C15ull) >>
                                    58);  // 64 slots.
  RotationEntry& e = table[slot];
  if (e.camera == camera && e.omega[0] == omega.x() &&
      e.omega[1] == omega.y() && e.omega[2] == omega.z()) {
    return e;
  }
  e.camera = camera;
  e.omega[0] = omega.x();
  e.omega[1] = omega.y();
  e.omega[2] = omega.z();
  const double theta2 = omega.squaredNorm();
  e.small = theta2 <= std::numeric_limits<double>::epsilon();
  if (e.small) {
    e.rotation = Matrix3::Identity() + Hat(omega);
    return e;
  }
  const double theta = std::sqrt(theta2);
  const double c = std::cos(theta), s = std::sin(theta);
  const Vector3 w = omega / theta;
  const Matrix3 w_hat = Hat(w);
  e.rotation =
      c * Matrix3::Identity() + s * w_hat + (1.0 - c) * w * w.transpose();
  e.left = Matrix3::Identity() + (1.0 - c) / theta * w_hat +
           (1.0 - s / theta) * w_hat * w_hat;
  return e;
}

Rotated RotatePoint(const double* camera, const Vector3& omega,
                    const Vector3& x, bool want_d_omega) {
  const RotationEntry& e = LookUpRotation(camera, omega);
  Rotated out;
  out.d_point = e.rotation;
  if (e.small) {
    out.value = x + omega.cross(x);
    if (want_d_omega) out.d_omega = -Hat(x);
    return out;
  }
  out.value = out.d_point * x;
  // ∂(exp(ω^)X)/∂ω = -(RX)^ J_l(ω).
  if (want_d_omega) out.d_omega = -Hat(out.value) * e.left;
  return out;
}

}  // namespace

bool BalAnalyticCost::Evaluate(double const* const* parameters,
                               double* residuals, double** jacobians) const {
  const double* camera = parameters[0];
  const double* point = parameters[1];
  const bool want_camera = jacobians != nullptr && jacobians[0] != nullptr;
  const bool want_point = jacobians != nullptr && jacobians[1] != nullptr;
  const Rotated rotated =
      RotatePoint(camera, Vector3(camera[0], camera[1], camera[2]),
                  Vector3(point[0], point[1], point[2]), want_camera);
  const Vector3 p = rotated.value + Vector3(camera[3], camera[4], camera[5]);
  const double f = camera[6], k1 = camera[7], k2 = camera[8];
  const double xp = -p.x() / p.z();
  const double yp = -p.y() / p.z();
  const double r2 = xp * xp + yp * yp;
  const double distortion = 1.0 + r2 * (k1 + k2 * r2);
  residuals[0] = f * distortion * xp - observed_x_;
  residuals[1] = f * distortion * yp - observed_y_;
  if (!want_camera && !want_point) return true;

  // res = f d(u) u - obs with u = -(P.x, P.y) / P.z:
  // ∂res/∂u = f (d I + 2 (k1 + 2 k2 r2) u uᵀ), ∂u/∂P as below.
  const Eigen::Vector2d u(xp, yp);
  const Eigen::Matrix2d d_u =
      f * (distortion * Eigen::Matrix2d::Identity() +
           2.0 * (k1 + 2.0 * k2 * r2) * u * u.transpose());
  Eigen::Matrix<double, 2, 3> du_dp;
  du_dp << -1.0 / p.z(), 0.0, p.x() / (p.z() * p.z()), 0.0, -1.0 / p.z(),
      p.y() / (p.z() * p.z());
  const Eigen::Matrix<double, 2, 3> d_p = d_u * du_dp;
  if (want_point) {
    Eigen::Map<Eigen::Matrix<double, 2, 3, Eigen::RowMajor>> j(jacobians[1]);
    j = d_p * rotated.d_point;
  }
  if (want_camera) {
    Eigen::Map<Eigen::Matrix<double, 2, 9, Eigen::RowMajor>> j(jacobians[0]);
    j.block<2, 3>(0, 0) = d_p * rotated.d_omega;
    j.block<2, 3>(0, 3) = d_p;
    j.col(6) = distortion * u;
    j.col(7) = f * r2 * u;
    j.col(8) = f * r2 * r2 * u;
  }
  return true;
}

}  // namespace ceres_varpro
