#include "ceres_varpro/slam/unit_circle_manifold.h"

#include <cmath>
#include <memory>

#include "ceres/manifold_test_utils.h"
#include "ceres/sphere_manifold.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

// EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD names Ceres's Vector and matchers
// unqualified.
using ceres::Vector;
using namespace ceres;  // NOLINT(build/namespaces)

Vector OnCircle(double angle) {
  Vector x(2);
  x << std::cos(angle), std::sin(angle);
  return x;
}

TEST(UnitCircleManifold, InvariantsHold) {
  const UnitCircleManifold manifold;
  const double angles[][2] = {
      {0.3, -2.0}, {3.0, -3.0}, {-1.2, 1.1}, {2.0, 2.0}};
  for (const auto& a : angles) {
    for (const double step : {1e-5, 0.8, -5.0, 6.2}) {
      Vector delta(1);
      delta << step;
      EXPECT_THAT_MANIFOLD_INVARIANTS_HOLD(manifold, OnCircle(a[0]), delta,
                                           OnCircle(a[1]), 1e-9);
    }
  }
}

// The same geodesics at the same speed as Ceres's sphere (its tangent
// coordinate may point the other way): a step t turns the bearing by t/2.
TEST(UnitCircleManifold, MovesAlongTheCircleLikeCeresSphere) {
  const UnitCircleManifold circle;
  const ceres::SphereManifold<ceres::DYNAMIC> sphere(2);
  const Vector x = OnCircle(0.7);
  for (const double step : {1e-3, 0.5, 2.0, -1.5}) {
    Vector ours(2), theirs(2);
    ASSERT_TRUE(circle.Plus(x.data(), &step, ours.data()));
    ASSERT_TRUE(sphere.Plus(x.data(), &step, theirs.data()));
    EXPECT_NEAR(ours.norm(), 1.0, 1e-15);
    EXPECT_NEAR(std::acos(std::min(1.0, ours.dot(x))), 0.5 * std::abs(step),
                1e-12);
    const double minus_step = -step;
    Vector mirrored(2);
    ASSERT_TRUE(circle.Plus(x.data(), &minus_step, mirrored.data()));
    EXPECT_LE(std::min((ours - theirs).norm(), (mirrored - theirs).norm()),
              1e-12)
        << step;
  }
}

}  // namespace
}  // namespace ceres_varpro
