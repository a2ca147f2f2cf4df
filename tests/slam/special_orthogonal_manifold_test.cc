#include "ceres_varpro/slam/special_orthogonal_manifold.h"

#include "Eigen/Geometry"
#include "ceres/manifold_test_utils.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

// EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD names Ceres's helpers unqualified.
using namespace ceres;  // NOLINT(build/namespaces)

Eigen::Matrix3d RandomRotation(int seed) {
  Eigen::Vector3d w(std::sin(seed + 1.0), std::cos(2.0 * seed),
                    0.7 * std::sin(3.0 * seed));
  return Eigen::AngleAxisd(2.5 * w.norm() / std::sqrt(3.0), w.normalized())
      .toRotationMatrix();
}

TEST(SpecialOrthogonalManifold, So3InvariantsHold) {
  const SO3Manifold manifold;
  for (int seed = 0; seed < 5; ++seed) {
    const Eigen::Matrix3d r = RandomRotation(seed);
    const Eigen::Matrix3d s = RandomRotation(seed + 10);
    Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(r.data(), 9);
    Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(s.data(), 9);
    EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(
        manifold, x, Eigen::Vector3d(0.1, -0.2, 0.05), y, 1e-9);
  }
}

TEST(SpecialOrthogonalManifold, So2InvariantsHold) {
  const SO2Manifold manifold;
  for (double a : {0.0, 0.7, -2.5, 3.1}) {
    Eigen::Matrix2d r, s;
    r << std::cos(a), -std::sin(a), std::sin(a), std::cos(a);
    s << std::cos(a + 1), -std::sin(a + 1), std::sin(a + 1), std::cos(a + 1);
    Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(r.data(), 4);
    Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(s.data(), 4);
    Eigen::VectorXd delta(1);
    delta << 0.3;
    EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(manifold, x, delta, y, 1e-9);
  }
}

TEST(SpecialOrthogonalManifold, PlusIsRightMultiplicationByTheExponential) {
  const SO3Manifold manifold;
  const Eigen::Matrix3d r = RandomRotation(3);
  const Eigen::Vector3d w(0.3, -0.1, 0.2);
  Eigen::Matrix3d out;
  ASSERT_TRUE(manifold.Plus(r.data(), w.data(), out.data()));
  const Eigen::Matrix3d expected =
      r * Eigen::AngleAxisd(w.norm(), w.normalized()).toRotationMatrix();
  EXPECT_LT((out - expected).norm(), 1e-14);
  // Minus near π still recovers the rotation.
  const Eigen::Vector3d big = 3.1 * Eigen::Vector3d(0, 0.6, 0.8);
  ASSERT_TRUE(manifold.Plus(r.data(), big.data(), out.data()));
  Eigen::Vector3d back;
  ASSERT_TRUE(manifold.Minus(out.data(), r.data(), back.data()));
  EXPECT_LT((back - big).norm(), 1e-9);
}

}  // namespace
}  // namespace ceres_varpro
