#include "ceres_varpro/slam/range_cost.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::EvaluateCost;
using testing::Flat;
using testing::MaxRelativeJacobianError;
using testing::RandomVector;
using testing::TestRandom;

template <typename T>
class RangeCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(RangeCostTest, Dimensions);

TYPED_TEST(RangeCostTest, SizesAndResidual) {
  constexpr int d = TypeParam::value;
  TestRandom random(1);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto tj = RandomVector<d>(5.0, &random);
  const auto b = RandomVector<d>(1.0, &random).normalized().eval();
  std::unique_ptr<ceres::CostFunction> cost(RangeCost<d>::Create(2.5, 0.5));
  EXPECT_EQ(cost->num_residuals(), d);
  EXPECT_EQ(cost->parameter_block_sizes(), (std::vector<int32_t>{d, d, d}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(ti), Flat(tj), Flat(b)}, &r, nullptr));
  EXPECT_LT((r - (ti - tj - 2.5 * b) / 0.5).norm(), 1e-13);
}

// At the optimal bearing the residual is the usual range error, and zero
// when the range is exact.
TYPED_TEST(RangeCostTest, OptimalBearingGivesTheRangeError) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto tj = RandomVector<d>(5.0, &random);
  const auto b = (ti - tj).normalized().eval();
  const double range = (ti - tj).norm();
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(RangeCost<d>(range, 0.1),
                           {Flat(ti), Flat(tj), Flat(b)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
  ASSERT_TRUE(EvaluateCost(RangeCost<d>(range + 0.3, 0.1),
                           {Flat(ti), Flat(tj), Flat(b)}, &r, nullptr));
  EXPECT_NEAR(r.norm(), 3.0, 1e-12);
  const auto p = RandomVector<d>(5.0, &random);
  const auto bp = (ti - p).normalized().eval();
  ASSERT_TRUE(EvaluateCost(RangeToKnownPointCost<d>(p, (ti - p).norm(), 0.2),
                           {Flat(ti), Flat(bp)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
}

TYPED_TEST(RangeCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  for (int trial = 0; trial < 3; ++trial) {
    const auto ti = RandomVector<d>(5.0, &random);
    const auto tj = RandomVector<d>(5.0, &random);
    const auto b = RandomVector<d>(1.0, &random).normalized().eval();
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(RangeCost<d>(3.0, 0.4),
                                       {Flat(ti), Flat(tj), Flat(b)}, &report),
              1e-6)
        << report;
    EXPECT_LE(
        MaxRelativeJacobianError(
            RangeToKnownPointCost<d>(RandomVector<d>(5.0, &random), 3.0, 0.4),
            {Flat(ti), Flat(b)}, &report),
        1e-6)
        << report;
  }
}

// The positions enter affinely with constant Jacobians ±I/σ.
TYPED_TEST(RangeCostTest, PositionsEnterAffinely) {
  constexpr int d = TypeParam::value;
  TestRandom random(4);
  const RangeCost<d> cost(3.0, 0.5);
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> a, b;
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomVector<d>(5.0, &random)), Flat(RandomVector<d>(5.0, &random)),
       Flat(RandomVector<d>(1.0, &random).normalized())},
      &r, &a));
  ASSERT_TRUE(EvaluateCost(cost,
                           {Flat(RandomVector<d>(50.0, &random)),
                            Flat(RandomVector<d>(50.0, &random)),
                            Flat(RandomVector<d>(1.0, &random).normalized())},
                           &r, &b));
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[0], 2.0 * Eigen::MatrixXd::Identity(d, d));
  EXPECT_EQ(a[1], -2.0 * Eigen::MatrixXd::Identity(d, d));
}

TYPED_TEST(RangeCostTest, BearingManifoldIsTheUnitSphere) {
  constexpr int d = TypeParam::value;
  std::unique_ptr<ceres::Manifold> sphere(CreateUnitBearingManifold(d));
  EXPECT_EQ(sphere->AmbientSize(), d);
  EXPECT_EQ(sphere->TangentSize(), d - 1);
  Eigen::Matrix<double, d, 1> x = Eigen::Matrix<double, d, 1>::Unit(0);
  const double delta[2] = {0.3, -0.2};
  Eigen::Matrix<double, d, 1> y;
  ASSERT_TRUE(sphere->Plus(x.data(), delta, y.data()));
  EXPECT_NEAR(y.norm(), 1.0, 1e-15);
  EXPECT_GT((y - x).norm(), 0.1);
}

}  // namespace
}  // namespace ceres_varpro
