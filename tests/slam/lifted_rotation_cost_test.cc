#include "ceres_varpro/slam/lifted_rotation_cost.h"

#include <string>

#include "Eigen/QR"
#include "ceres_varpro/slam/isotropic_rotation_cost.h"
#include "gtest/gtest.h"
#include "test_util/slam_test_util.h"

namespace ceres_varpro {
namespace {

using testing::EvaluateCost;
using testing::Flat;
using testing::MaxRelativeJacobianError;
using testing::RandomRotation;
using testing::TestRandom;

Eigen::MatrixXd RandomStiefel(int r, int d, TestRandom* random) {
  Eigen::MatrixXd g(r, d);
  for (int i = 0; i < g.size(); ++i) g(i) = random->Normal(1.0);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  return qr.householderQ() * Eigen::MatrixXd::Identity(r, d);
}

TEST(LiftedRotationCost, SizesAndResidual) {
  TestRandom random(1);
  const Eigen::Matrix3d measured = RandomRotation<3>(&random);
  const Eigen::MatrixXd yi = RandomStiefel(5, 3, &random);
  const Eigen::MatrixXd yj = RandomStiefel(5, 3, &random);
  const LiftedRotationCost cost(measured, 4.0, 5);
  EXPECT_EQ(cost.num_residuals(), 15);
  EXPECT_EQ(cost.parameter_block_sizes(), (std::vector<int32_t>{15, 15}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(yi), Flat(yj)}, &r, nullptr));
  const Eigen::MatrixXd expected = 2.0 * (yj - yi * measured);
  EXPECT_LT((r - Eigen::Map<const Eigen::VectorXd>(expected.data(), 15)).norm(),
            1e-14);
}

// At r = d it is the rank-d cost, residual for residual.
TEST(LiftedRotationCost, EqualsTheRankDCostAtRankD) {
  TestRandom random(2);
  const Eigen::Matrix2d m2 = RandomRotation<2>(&random);
  const Eigen::Matrix2d a2 = RandomRotation<2>(&random);
  const Eigen::Matrix2d b2 = RandomRotation<2>(&random);
  Eigen::VectorXd lifted, reference;
  ASSERT_TRUE(EvaluateCost(LiftedRotationCost(m2, 7.0, 2), {Flat(a2), Flat(b2)},
                           &lifted, nullptr));
  ASSERT_TRUE(EvaluateCost(IsotropicRotationCost<2>(m2, 7.0),
                           {Flat(a2), Flat(b2)}, &reference, nullptr));
  EXPECT_LT((lifted - reference).norm(), 1e-15);
  const Eigen::Matrix3d m3 = RandomRotation<3>(&random);
  const Eigen::Matrix3d a3 = RandomRotation<3>(&random);
  const Eigen::Matrix3d b3 = RandomRotation<3>(&random);
  ASSERT_TRUE(EvaluateCost(LiftedRotationCost(m3, 0.3, 3), {Flat(a3), Flat(b3)},
                           &lifted, nullptr));
  ASSERT_TRUE(EvaluateCost(IsotropicRotationCost<3>(m3, 0.3),
                           {Flat(a3), Flat(b3)}, &reference, nullptr));
  EXPECT_LT((lifted - reference).norm(), 1e-15);
}

TEST(LiftedRotationCost, JacobiansMatchCentralDifferences) {
  TestRandom random(3);
  for (int d : {2, 3}) {
    for (int r = d; r <= d + 2; ++r) {
      const Eigen::MatrixXd measured =
          d == 2 ? Eigen::MatrixXd(RandomRotation<2>(&random))
                 : Eigen::MatrixXd(RandomRotation<3>(&random));
      const LiftedRotationCost cost(measured, random.Uniform(0.1, 50.0), r);
      std::string report;
      EXPECT_LE(MaxRelativeJacobianError(cost,
                                         {Flat(RandomStiefel(r, d, &random)),
                                          Flat(RandomStiefel(r, d, &random))},
                                         &report),
                1e-6)
          << "d " << d << " r " << r << ": " << report;
    }
  }
}

}  // namespace
}  // namespace ceres_varpro
