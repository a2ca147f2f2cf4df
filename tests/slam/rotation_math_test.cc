#include "slam/rotation_math.h"

#include <cmath>

#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using rotation_math::Exp3;
using rotation_math::Hat;
using rotation_math::InverseRightJacobian3;
using rotation_math::Log2;
using rotation_math::Log3;
using testing::RandomRotation;
using testing::Rotation3;
using testing::RotationWithAngle;
using testing::TestRandom;

// ‖analytic - numeric‖ / ‖numeric‖ for ∂Log3/∂E, central differences in
// the nine ambient entries.
double Log3AmbientJacobianError(const Eigen::Matrix3d& e) {
  Eigen::Matrix3d analytic[3];
  Log3(e, analytic);
  Eigen::Matrix<double, 3, 9> a, n;
  const double h = 1e-6;
  for (int i = 0; i < 9; ++i) {
    Eigen::Matrix3d plus = e, minus = e;
    plus.data()[i] += h;
    minus.data()[i] -= h;
    n.col(i) = (Log3(plus, nullptr) - Log3(minus, nullptr)) / (2 * h);
    for (int m = 0; m < 3; ++m) a(m, i) = analytic[m].data()[i];
  }
  return (a - n).norm() / n.norm();
}

// The same along the tangent space only: ∂/∂φ Log(E Exp(φ)) at 0.
double Log3TangentJacobianError(const Eigen::Matrix3d& e) {
  Eigen::Matrix3d analytic[3];
  const Eigen::Vector3d w = Log3(e, analytic);
  Eigen::Matrix3d a, n;
  const double h = 1e-6;
  for (int k = 0; k < 3; ++k) {
    const Eigen::Vector3d step = h * Eigen::Vector3d::Unit(k);
    Eigen::Vector3d plus = Log3(e * Exp3(step), nullptr);
    Eigen::Vector3d minus = Log3(e * Exp3(-step), nullptr);
    // Across the cut at π the two sides differ by 2π along the axis.
    if ((plus - w).norm() > 1.0) plus -= 2 * M_PI * plus.normalized();
    if ((minus - w).norm() > 1.0) minus -= 2 * M_PI * minus.normalized();
    n.col(k) = (plus - minus) / (2 * h);
    const Eigen::Matrix3d direction = e * Hat(Eigen::Vector3d::Unit(k));
    for (int m = 0; m < 3; ++m) {
      a(m, k) = (analytic[m].array() * direction.array()).sum();
    }
  }
  return (a - n).norm() / n.norm();
}

TEST(RotationMath, ExpMatchesAngleAxis) {
  TestRandom random(1);
  for (double length : {0.0, 1e-9, 1e-5, 0.3, 2.0, 3.1}) {
    const Eigen::Vector3d w = length * random.Vector3(1.0).normalized();
    EXPECT_LT((Exp3(w) - Rotation3(w)).norm(), 1e-15) << length;
  }
}

TEST(RotationMath, LogInvertsExp) {
  TestRandom random(2);
  for (double length : {0.0, 1e-10, 1e-4, 0.2, 1.5, 3.0, 3.139, M_PI}) {
    const Eigen::Vector3d w = length * random.Vector3(1.0).normalized();
    const Eigen::Vector3d back = Log3(Exp3(w), nullptr);
    if (length == M_PI) {
      EXPECT_NEAR(std::abs(back.dot(w)), M_PI * M_PI, 1e-9);
    } else {
      EXPECT_LT((back - w).norm(), 1e-12 * std::max(length, 1e-3)) << length;
    }
  }
}

// Away from θ ≈ π the reported derivative is the exact derivative w.r.t.
// all nine entries, also slightly off SO(3) (where numeric differentiation
// of a cost function evaluates it).
TEST(RotationMath, LogAmbientJacobianIsExact) {
  TestRandom random(3);
  for (double angle : {0.0, 1e-7, 1e-3, 0.05, 0.8, 2.0, 3.0, 3.13}) {
    for (double off : {0.0, 1e-3}) {
      Eigen::Matrix3d e = RotationWithAngle<3>(angle, &random);
      for (int i = 0; i < 9; ++i) e.data()[i] += off * random.Normal(1.0);
      EXPECT_LT(Log3AmbientJacobianError(e), 1e-7)
          << "angle " << angle << " off " << off;
    }
  }
}

// Near π the derivative is exact along SO(3), which is what Ceres uses.
TEST(RotationMath, LogJacobianNearPiIsExactAlongTheManifold) {
  TestRandom random(4);
  for (double angle : {3.0, 3.135, 3.14, M_PI - 1e-5}) {
    const Eigen::Matrix3d e = RotationWithAngle<3>(angle, &random);
    EXPECT_LT(Log3TangentJacobianError(e), 1e-6) << angle;
  }
}

TEST(RotationMath, InverseRightJacobianMatchesDifferences) {
  TestRandom random(5);
  for (double angle : {0.0, 1e-4, 0.5, 2.5, 3.1}) {
    const Eigen::Vector3d w = angle * random.Vector3(1.0).normalized();
    const Eigen::Matrix3d e = Exp3(w);
    Eigen::Matrix3d n;
    const double h = 1e-6;
    for (int k = 0; k < 3; ++k) {
      const Eigen::Vector3d step = h * Eigen::Vector3d::Unit(k);
      n.col(k) =
          (Log3(e * Exp3(step), nullptr) - Log3(e * Exp3(-step), nullptr)) /
          (2 * h);
    }
    EXPECT_LT((InverseRightJacobian3(w) - n).norm(), 1e-7) << angle;
  }
}

TEST(RotationMath, So2LogAndItsJacobian) {
  TestRandom random(6);
  for (double angle : {0.0, 1e-8, 1.0, -2.5, 3.14}) {
    Eigen::Matrix2d e = RandomRotation<2>(&random) *
                        Eigen::Rotation2Dd(angle).toRotationMatrix();
    e(0, 1) += 1e-3;  // Slightly off SO(2).
    Eigen::Matrix2d analytic;
    Log2(e, &analytic);
    const double h = 1e-6;
    for (int i = 0; i < 4; ++i) {
      Eigen::Matrix2d plus = e, minus = e;
      plus.data()[i] += h;
      minus.data()[i] -= h;
      const double numeric =
          (Log2(plus, nullptr) - Log2(minus, nullptr)) / (2 * h);
      EXPECT_NEAR(analytic.data()[i], numeric, 1e-8) << angle << " " << i;
    }
  }
  EXPECT_NEAR(Log2(Eigen::Rotation2Dd(3.0).toRotationMatrix(), nullptr), 3.0,
              1e-15);
  EXPECT_NEAR(Log2(Eigen::Rotation2Dd(-3.0).toRotationMatrix(), nullptr), -3.0,
              1e-15);
}

}  // namespace
}  // namespace ceres_varpro
