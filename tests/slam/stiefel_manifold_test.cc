#include "ceres_varpro/slam/stiefel_manifold.h"

#include <utility>
#include <vector>

#include "Eigen/QR"
#include "ceres/manifold_test_utils.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

// EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD names Ceres's Vector and matchers
// unqualified.
using ceres::Vector;
using namespace ceres;  // NOLINT(build/namespaces)
using testing::TestRandom;

// A point of St(d, r) from the QR of a Gaussian matrix.
Vector RandomStiefel(int r, int d, TestRandom* random) {
  Eigen::MatrixXd g(r, d);
  for (int i = 0; i < g.size(); ++i) g(i) = random->Normal(1.0);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(r, d);
  return Eigen::Map<const Vector>(q.data(), r * d);
}

Vector RandomTangent(int size, double length, TestRandom* random) {
  Vector v(size);
  for (int i = 0; i < size; ++i) v[i] = random->Normal(1.0);
  return length * v.normalized();
}

const std::vector<std::pair<int, int>> kShapes = {
    {2, 2}, {3, 3}, {3, 2}, {4, 2}, {4, 3}, {5, 3}, {3, 1}, {5, 1}};

TEST(StiefelManifold, Sizes) {
  EXPECT_EQ(StiefelManifold(4, 3).AmbientSize(), 12);
  EXPECT_EQ(StiefelManifold(4, 3).TangentSize(), 6);  // 3 + 1·3
  EXPECT_EQ(StiefelManifold(3, 3).TangentSize(), 3);  // so(3)
  EXPECT_EQ(StiefelManifold(2, 2).TangentSize(), 1);  // so(2)
  EXPECT_EQ(StiefelManifold(5, 1).TangentSize(), 4);  // S^4
  EXPECT_EQ(StiefelManifold(5, 2).TangentSize(), 7);  // 1 + 3·2
}

// Plus/Minus round trips, PlusJacobian and MinusJacobian against numerical
// differentiation, MinusJacobian·PlusJacobian = I (Ceres's own checks).
TEST(StiefelManifold, InvariantsHold) {
  TestRandom random(11);
  for (const auto& [r, d] : kShapes) {
    const StiefelManifold manifold(r, d);
    for (double length : {1e-3, 0.4, 1.5}) {
      SCOPED_TRACE(::testing::Message()
                   << "St(" << d << ", " << r << "), |delta| = " << length);
      const Vector x = RandomStiefel(r, d, &random);
      const Vector delta =
          RandomTangent(manifold.TangentSize(), length, &random);
      // y within the polar retraction's reach from x.
      Vector y(r * d);
      ASSERT_TRUE(manifold.Plus(
          x.data(), RandomTangent(manifold.TangentSize(), 0.6, &random).data(),
          y.data()));
      EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(manifold, x, delta, y, 1e-8);
    }
  }
}

TEST(StiefelManifold, PlusStaysOnTheManifoldAndInSOd) {
  TestRandom random(12);
  for (const auto& [r, d] : kShapes) {
    const StiefelManifold manifold(r, d);
    Vector x = RandomStiefel(r, d, &random);
    if (r == d &&
        Eigen::Map<const Eigen::MatrixXd>(x.data(), d, d).determinant() < 0) {
      x.head(r) *= -1.0;  // Start in SO(d).
    }
    Vector y(r * d);
    ASSERT_TRUE(manifold.Plus(
        x.data(), RandomTangent(manifold.TangentSize(), 2.5, &random).data(),
        y.data()));
    const Eigen::Map<const Eigen::MatrixXd> ym(y.data(), r, d);
    EXPECT_LT((ym.transpose() * ym - Eigen::MatrixXd::Identity(d, d)).norm(),
              1e-14);
    // At r = d the manifold is O(d); a retraction never leaves SO(d).
    if (r == d) EXPECT_NEAR(ym.determinant(), 1.0, 1e-13);
  }
}

TEST(StiefelManifold, PlusRestoresOrthonormality) {
  TestRandom random(13);
  const StiefelManifold manifold(5, 3);
  Vector x = RandomStiefel(5, 3, &random);
  x *= 1.0 + 1e-6;  // Drift from rounding over many steps.
  const Vector zero = Vector::Zero(manifold.TangentSize());
  Vector y(15);
  ASSERT_TRUE(manifold.Plus(x.data(), zero.data(), y.data()));
  const Eigen::Map<const Eigen::MatrixXd> ym(y.data(), 5, 3);
  EXPECT_LT((ym.transpose() * ym - Eigen::Matrix3d::Identity()).norm(), 1e-14);
}

TEST(StiefelManifold, MinusRejectsPointsOutOfReach) {
  // polar(Y + V) never reaches -Y: Minus must say so, not return garbage.
  TestRandom random(14);
  const StiefelManifold manifold(4, 2);
  const Vector x = RandomStiefel(4, 2, &random);
  const Vector y = -x;
  Vector out(manifold.TangentSize());
  EXPECT_FALSE(manifold.Minus(y.data(), x.data(), out.data()));
}

}  // namespace
}  // namespace ceres_varpro
