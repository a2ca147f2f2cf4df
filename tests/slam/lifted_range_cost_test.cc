#include "ceres_varpro/slam/lifted_range_cost.h"

#include <string>

#include "ceres_varpro/slam/range_cost.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::EvaluateCost;
using testing::Flat;
using testing::MaxRelativeJacobianError;
using testing::RandomVector;
using testing::TestRandom;

Eigen::VectorXd RandomVectorX(int n, double scale, TestRandom* random) {
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = random->Uniform(-scale, scale);
  return v;
}

TEST(LiftedRangeCost, SizesAndResidual) {
  TestRandom random(1);
  const Eigen::VectorXd ti = RandomVectorX(4, 5.0, &random);
  const Eigen::VectorXd tj = RandomVectorX(4, 5.0, &random);
  const Eigen::VectorXd b = RandomVectorX(4, 1.0, &random).normalized();
  const LiftedRangeCost cost(2.5, 0.5, 4);
  EXPECT_EQ(cost.num_residuals(), 4);
  EXPECT_EQ(cost.parameter_block_sizes(), (std::vector<int32_t>{4, 4, 4}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(ti), Flat(tj), Flat(b)}, &r, nullptr));
  EXPECT_LT((r - (ti - tj - 2.5 * b) / 0.5).norm(), 1e-13);
}

TEST(LiftedRangeCost, EqualsTheRankDCostAtRankD) {
  TestRandom random(2);
  const Eigen::Vector2d ti = RandomVector<2>(5.0, &random);
  const Eigen::Vector2d tj = RandomVector<2>(5.0, &random);
  const Eigen::Vector2d b = RandomVector<2>(1.0, &random).normalized();
  Eigen::VectorXd lifted, reference;
  ASSERT_TRUE(EvaluateCost(LiftedRangeCost(3.0, 0.2, 2),
                           {Flat(ti), Flat(tj), Flat(b)}, &lifted, nullptr));
  ASSERT_TRUE(EvaluateCost(RangeCost<2>(3.0, 0.2),
                           {Flat(ti), Flat(tj), Flat(b)}, &reference, nullptr));
  EXPECT_LT((lifted - reference).norm(), 1e-14);
}

TEST(LiftedRangeCost, JacobiansMatchCentralDifferences) {
  TestRandom random(3);
  for (int r = 2; r <= 5; ++r) {
    const LiftedRangeCost cost(random.Uniform(0.5, 9.0),
                               random.Uniform(0.05, 2.0), r);
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(
                  cost,
                  {Flat(RandomVectorX(r, 5.0, &random)),
                   Flat(RandomVectorX(r, 5.0, &random)),
                   Flat(RandomVectorX(r, 1.0, &random).normalized())},
                  &report),
              1e-6)
        << "r " << r << ": " << report;
  }
}

}  // namespace
}  // namespace ceres_varpro
