#include "ceres_varpro/slam/lifted_translation_cost.h"

#include <string>

#include "Eigen/QR"
#include "ceres_varpro/slam/isotropic_translation_cost.h"
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

Eigen::VectorXd RandomVectorX(int n, double scale, TestRandom* random) {
  Eigen::VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = random->Uniform(-scale, scale);
  return v;
}

TEST(LiftedTranslationCost, SizesAndResidual) {
  TestRandom random(1);
  const Eigen::Vector3d measured = RandomVector<3>(4.0, &random);
  const Eigen::MatrixXd yi = RandomVectorX(15, 1.0, &random).reshaped(5, 3);
  const Eigen::VectorXd ti = RandomVectorX(5, 3.0, &random);
  const Eigen::VectorXd tj = RandomVectorX(5, 3.0, &random);
  const LiftedTranslationCost cost(measured, 9.0, 5);
  EXPECT_EQ(cost.num_residuals(), 5);
  EXPECT_EQ(cost.parameter_block_sizes(), (std::vector<int32_t>{15, 5, 5}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(yi), Flat(ti), Flat(tj)}, &r, nullptr));
  EXPECT_LT((r - 3.0 * (tj - ti - yi * measured)).norm(), 1e-13);
}

TEST(LiftedTranslationCost, EqualsTheRankDCostAtRankD) {
  TestRandom random(2);
  const Eigen::Matrix3d ri = RandomRotation<3>(&random);
  const Eigen::Vector3d ti = RandomVector<3>(5.0, &random);
  const Eigen::Vector3d tj = RandomVector<3>(5.0, &random);
  const Eigen::Vector3d measured = RandomVector<3>(2.0, &random);
  Eigen::VectorXd lifted, reference;
  ASSERT_TRUE(EvaluateCost(LiftedTranslationCost(measured, 2.5, 3),
                           {Flat(ri), Flat(ti), Flat(tj)}, &lifted, nullptr));
  ASSERT_TRUE(EvaluateCost(IsotropicTranslationCost<3>(measured, 2.5),
                           {Flat(ri), Flat(ti), Flat(tj)}, &reference,
                           nullptr));
  EXPECT_LT((lifted - reference).norm(), 1e-14);
}

TEST(LiftedTranslationCost, JacobiansMatchCentralDifferences) {
  TestRandom random(3);
  for (int d : {2, 3}) {
    for (int r = d; r <= d + 2; ++r) {
      const LiftedTranslationCost cost(RandomVectorX(d, 3.0, &random),
                                       random.Uniform(0.1, 50.0), r);
      std::string report;
      EXPECT_LE(
          MaxRelativeJacobianError(cost,
                                   {Flat(RandomVectorX(r * d, 1.0, &random)),
                                    Flat(RandomVectorX(r, 5.0, &random)),
                                    Flat(RandomVectorX(r, 5.0, &random))},
                                   &report),
          1e-6)
          << "d " << d << " r " << r << ": " << report;
    }
  }
}

}  // namespace
}  // namespace ceres_varpro
