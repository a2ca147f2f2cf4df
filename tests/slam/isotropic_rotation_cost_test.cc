#include "ceres_varpro/slam/isotropic_rotation_cost.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::EvaluateCost;
using testing::Flat;
using testing::MaxRelativeJacobianError;
using testing::RandomRotation;
using testing::TestRandom;

template <typename T>
class IsotropicRotationCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(IsotropicRotationCostTest, Dimensions);

TYPED_TEST(IsotropicRotationCostTest, SizesAndResidual) {
  constexpr int d = TypeParam::value;
  TestRandom random(1);
  const auto ri = RandomRotation<d>(&random);
  const auto rj = RandomRotation<d>(&random);
  const auto measured = RandomRotation<d>(&random);
  std::unique_ptr<ceres::CostFunction> cost(
      IsotropicRotationCost<d>::Create(measured, 4.0));
  EXPECT_EQ(cost->num_residuals(), d * d);
  EXPECT_EQ(cost->parameter_block_sizes(),
            (std::vector<int32_t>{d * d, d * d}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(ri), Flat(rj)}, &r, nullptr));
  const Eigen::Matrix<double, d, d> expected = 2.0 * (rj - ri * measured);
  EXPECT_LT(
      (r - Eigen::Map<const Eigen::VectorXd>(expected.data(), d * d)).norm(),
      1e-14);
}

TYPED_TEST(IsotropicRotationCostTest, ZeroAtAnExactMeasurement) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  const auto ri = RandomRotation<d>(&random);
  const auto rj = RandomRotation<d>(&random);
  IsotropicRotationCost<d> cost(ri.transpose() * rj, 100.0);
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(ri), Flat(rj)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-13);
}

TYPED_TEST(IsotropicRotationCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  for (int trial = 0; trial < 5; ++trial) {
    IsotropicRotationCost<d> cost(RandomRotation<d>(&random),
                                  random.Uniform(0.1, 50.0));
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(cost,
                                       {Flat(RandomRotation<d>(&random)),
                                        Flat(RandomRotation<d>(&random))},
                                       &report),
              1e-6)
        << report;
  }
}

// Linear in the matrix entries: the Jacobians do not depend on the point.
TYPED_TEST(IsotropicRotationCostTest, JacobiansAreConstant) {
  constexpr int d = TypeParam::value;
  TestRandom random(4);
  IsotropicRotationCost<d> cost(RandomRotation<d>(&random), 3.0);
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> j0, j1;
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomRotation<d>(&random))}, &r,
      &j0));
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomRotation<d>(&random))}, &r,
      &j1));
  for (int k = 0; k < 2; ++k) EXPECT_EQ(j0[k], j1[k]) << k;
}

}  // namespace
}  // namespace ceres_varpro
