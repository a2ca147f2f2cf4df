#include "ceres_varpro/slam/isotropic_translation_cost.h"

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
using testing::RandomVector;
using testing::TestRandom;

template <typename T>
class IsotropicTranslationCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(IsotropicTranslationCostTest, Dimensions);

TYPED_TEST(IsotropicTranslationCostTest, SizesAndResidual) {
  constexpr int d = TypeParam::value;
  TestRandom random(1);
  const auto ri = RandomRotation<d>(&random);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto tj = RandomVector<d>(5.0, &random);
  const auto measured = RandomVector<d>(2.0, &random);
  std::unique_ptr<ceres::CostFunction> cost(
      IsotropicTranslationCost<d>::Create(measured, 9.0));
  EXPECT_EQ(cost->num_residuals(), d);
  EXPECT_EQ(cost->parameter_block_sizes(), (std::vector<int32_t>{d * d, d, d}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(ri), Flat(ti), Flat(tj)}, &r, nullptr));
  EXPECT_LT((r - 3.0 * (tj - ti - ri * measured)).norm(), 1e-13);
}

TYPED_TEST(IsotropicTranslationCostTest, ZeroAtAnExactMeasurement) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  const auto ri = RandomRotation<d>(&random);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto tj = RandomVector<d>(5.0, &random);
  IsotropicTranslationCost<d> cost(ri.transpose() * (tj - ti), 100.0);
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(ri), Flat(ti), Flat(tj)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
}

TYPED_TEST(IsotropicTranslationCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  for (int trial = 0; trial < 5; ++trial) {
    IsotropicTranslationCost<d> cost(RandomVector<d>(3.0, &random),
                                     random.Uniform(0.1, 50.0));
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(cost,
                                       {Flat(RandomRotation<d>(&random)),
                                        Flat(RandomVector<d>(10.0, &random)),
                                        Flat(RandomVector<d>(10.0, &random))},
                                       &report),
              1e-6)
        << report;
  }
}

// The translations enter affinely with a Jacobian that depends on nothing:
// identical at different translations and different rotations.
TYPED_TEST(IsotropicTranslationCostTest, TranslationsEnterAffinely) {
  constexpr int d = TypeParam::value;
  TestRandom random(4);
  IsotropicTranslationCost<d> cost(RandomVector<d>(3.0, &random), 2.5);
  std::vector<Eigen::MatrixXd> j0, j1;
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomVector<d>(10.0, &random)),
       Flat(RandomVector<d>(10.0, &random))},
      &r, &j0));
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomVector<d>(100.0, &random)),
       Flat(RandomVector<d>(100.0, &random))},
      &r, &j1));
  EXPECT_EQ(j0[1], j1[1]);
  EXPECT_EQ(j0[2], j1[2]);
  EXPECT_EQ(j0[1], -std::sqrt(2.5) * Eigen::MatrixXd::Identity(d, d));
  EXPECT_EQ(j0[2], std::sqrt(2.5) * Eigen::MatrixXd::Identity(d, d));
}

}  // namespace
}  // namespace ceres_varpro
