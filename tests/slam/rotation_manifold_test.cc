#include "ceres_varpro/slam/rotation_manifold.h"

#include <cmath>

#include "ceres/manifold_test_utils.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

// EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD names Ceres's Vector and matchers
// unqualified.
using ceres::Vector;
using namespace ceres;  // NOLINT(build/namespaces)
using testing::RandomRotation;
using testing::Rotation2;
using testing::Rotation3;
using testing::TestRandom;

template <int kDim>
Vector Ambient(const Eigen::Matrix<double, kDim, kDim>& r) {
  return Eigen::Map<const Vector>(r.data(), kDim * kDim);
}

TEST(RotationManifold, Sizes) {
  EXPECT_EQ(SO2Manifold().AmbientSize(), 4);
  EXPECT_EQ(SO2Manifold().TangentSize(), 1);
  EXPECT_EQ(SO3Manifold().AmbientSize(), 9);
  EXPECT_EQ(SO3Manifold().TangentSize(), 3);
}

TEST(RotationManifold, So3InvariantsHold) {
  const SO3Manifold manifold;
  TestRandom random(7);
  for (int trial = 0; trial < 6; ++trial) {
    const Vector x = Ambient<3>(RandomRotation<3>(&random));
    const Vector y = Ambient<3>(RandomRotation<3>(&random));
    // Small, moderate and large (near π) steps.
    const double length = trial < 2 ? 1e-3 : trial < 4 ? 0.7 : 3.0;
    const Vector delta = length * random.Vector3(1.0).normalized();
    EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(manifold, x, delta, y, 1e-9);
  }
}

TEST(RotationManifold, So2InvariantsHold) {
  const SO2Manifold manifold;
  TestRandom random(8);
  for (double step : {1e-4, 0.3, -2.0, 3.1}) {
    const Vector x = Ambient<2>(RandomRotation<2>(&random));
    const Vector y = Ambient<2>(RandomRotation<2>(&random));
    Vector delta(1);
    delta << step;
    EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(manifold, x, delta, y, 1e-9);
  }
}

TEST(RotationManifold, PlusIsRightMultiplicationByTheExponential) {
  const SO3Manifold so3;
  TestRandom random(9);
  const Eigen::Matrix3d r = RandomRotation<3>(&random);
  for (double length : {0.0, 1e-12, 1e-7, 1e-3, 0.5, 2.0, 3.1}) {
    const Eigen::Vector3d w = length * random.Vector3(1.0).normalized();
    Eigen::Matrix3d out;
    ASSERT_TRUE(so3.Plus(r.data(), w.data(), out.data()));
    EXPECT_LT((out - r * Rotation3(w)).norm(), 1e-15) << length;
    EXPECT_LT((out.transpose() * out - Eigen::Matrix3d::Identity()).norm(),
              1e-14);
    EXPECT_NEAR(out.determinant(), 1.0, 1e-14);
  }
  const SO2Manifold so2;
  const Eigen::Matrix2d r2 = RandomRotation<2>(&random);
  for (double angle : {0.0, 1e-9, 0.4, -3.0}) {
    Eigen::Matrix2d out;
    ASSERT_TRUE(so2.Plus(r2.data(), &angle, out.data()));
    EXPECT_LT((out - r2 * Rotation2(angle)).norm(), 1e-15);
  }
}

// Tiny steps are recovered to relative precision (no cancellation in Exp or
// Log), and steps up to π are recovered too.
TEST(RotationManifold, MinusRecoversStepsFromTinyToPi) {
  const SO3Manifold manifold;
  TestRandom random(10);
  const Eigen::Matrix3d identity = Eigen::Matrix3d::Identity();
  const Eigen::Matrix3d r = RandomRotation<3>(&random);
  for (double length : {1e-12, 1e-8, 1e-4, 1.0, 3.0, 3.14, M_PI - 1e-7}) {
    const Eigen::Vector3d w = length * random.Vector3(1.0).normalized();
    Eigen::Vector3d back;
    // From the identity Exp and Log round-trip to relative precision ...
    const Eigen::Matrix3d e = Rotation3(w);
    ASSERT_TRUE(manifold.Minus(e.data(), identity.data(), back.data()));
    EXPECT_LT((back - w).norm(), 1e-12 * length) << length;
    // ... elsewhere up to the rounding of forming RᵀS.
    const Eigen::Matrix3d y = r * e;
    ASSERT_TRUE(manifold.Minus(y.data(), r.data(), back.data()));
    EXPECT_LT((back - w).norm(), 1e-12 * length + 1e-14) << length;
  }
  // Exactly π: either sign of the axis is the same rotation.
  const Eigen::Vector3d axis = random.Vector3(1.0).normalized();
  const Eigen::Matrix3d y = r * Rotation3(M_PI * axis);
  Eigen::Vector3d back;
  ASSERT_TRUE(manifold.Minus(y.data(), r.data(), back.data()));
  EXPECT_NEAR(back.norm(), M_PI, 1e-9);
  EXPECT_NEAR(std::abs(back.normalized().dot(axis)), 1.0, 1e-9);
  Eigen::Matrix3d again;
  ASSERT_TRUE(manifold.Plus(r.data(), back.data(), again.data()));
  EXPECT_LT((again - y).norm(), 1e-9);
}

TEST(RotationManifold, So2MinusWrapsTheAngle) {
  const SO2Manifold manifold;
  const Eigen::Matrix2d r = Rotation2(3.0);
  const Eigen::Matrix2d s = Rotation2(-3.0);
  double d;
  ASSERT_TRUE(manifold.Minus(s.data(), r.data(), &d));
  EXPECT_NEAR(d, 2.0 * M_PI - 6.0, 1e-14);
}

// Column k of the PlusJacobian is vec(R [e_k]×), Jacobians row-major.
TEST(RotationManifold, PlusJacobianColumnsAreRotatedGenerators) {
  TestRandom random(11);
  const Eigen::Matrix3d r = RandomRotation<3>(&random);
  Eigen::Matrix<double, 9, 3, Eigen::RowMajor> j;
  ASSERT_TRUE(SO3Manifold().PlusJacobian(r.data(), j.data()));
  for (int k = 0; k < 3; ++k) {
    Eigen::Matrix3d generator = Eigen::Matrix3d::Zero();
    const int a = (k + 1) % 3, b = (k + 2) % 3;
    generator(b, a) = 1.0;
    generator(a, b) = -1.0;
    const Eigen::Matrix3d expected = r * generator;
    EXPECT_LT((j.col(k) - Eigen::Map<const Eigen::VectorXd>(expected.data(), 9))
                  .norm(),
              1e-15)
        << k;
  }
  const Eigen::Matrix2d r2 = Rotation2(0.8);
  Eigen::Vector4d j2;
  ASSERT_TRUE(SO2Manifold().PlusJacobian(r2.data(), j2.data()));
  Eigen::Matrix2d generator;
  generator << 0, -1, 1, 0;
  const Eigen::Matrix2d expected = r2 * generator;
  EXPECT_LT((j2 - Eigen::Map<const Eigen::Vector4d>(expected.data())).norm(),
            1e-15);
}

}  // namespace
}  // namespace ceres_varpro
