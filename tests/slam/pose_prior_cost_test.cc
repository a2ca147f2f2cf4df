#include "ceres_varpro/slam/pose_prior_cost.h"

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
using testing::RotationWithAngle;
using testing::TestRandom;

template <typename T>
class PosePriorCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(PosePriorCostTest, Dimensions);

template <int kDim>
using PoseMatrix = typename PosePriorCost<kDim>::PoseMatrix;

template <int kDim>
PoseMatrix<kDim> RandomInformation(TestRandom* random) {
  PoseMatrix<kDim> a;
  for (int i = 0; i < a.size(); ++i) a.data()[i] = random->Uniform(-1, 1);
  return a * a.transpose() + 0.5 * PoseMatrix<kDim>::Identity();
}

TYPED_TEST(PosePriorCostTest, FullInformationResidual) {
  constexpr int d = TypeParam::value;
  constexpr int p = PosePriorCost<d>::kResidualSize;
  TestRandom random(1);
  const auto prior_r = RandomRotation<d>(&random);
  const auto prior_t = RandomVector<d>(5.0, &random);
  const PoseMatrix<d> info = RandomInformation<d>(&random);
  std::unique_ptr<ceres::CostFunction> cost(
      PosePriorCost<d>::Create(prior_r, prior_t, info));
  EXPECT_EQ(cost->num_residuals(), p);
  EXPECT_EQ(cost->parameter_block_sizes(), (std::vector<int32_t>{d * d, d}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(prior_r), Flat(prior_t)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-13);
  // Off the prior by a known rotation and translation.
  Eigen::Matrix<double, p, 1> e;
  Eigen::Matrix<double, d, d> rotation;
  if constexpr (d == 2) {
    rotation = prior_r * Eigen::Rotation2Dd(0.4).toRotationMatrix();
    e << 1.0, -2.0, 0.4;
  } else {
    const Eigen::Vector3d w(0.1, -0.3, 0.2);
    rotation = prior_r * testing::Rotation3(w);
    e << 1.0, -2.0, 0.5, w;
  }
  const Eigen::Matrix<double, d, 1> t = prior_t + e.template head<d>();
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(rotation), Flat(t)}, &r, nullptr));
  EXPECT_NEAR(r.squaredNorm(), e.dot(info * e), 1e-10 * e.dot(info * e));
}

TYPED_TEST(PosePriorCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  for (double angle : {0.0, 0.3, 2.0, 3.1}) {
    const auto prior_r = RandomRotation<d>(&random);
    const auto prior_t = RandomVector<d>(5.0, &random);
    // Evaluated now: an Eigen product held in `auto` would refer to the
    // temporary rotation after this statement.
    const Eigen::Matrix<double, d, d> rotation =
        prior_r * RotationWithAngle<d>(angle, &random);
    const auto t = RandomVector<d>(5.0, &random);
    std::string report;
    EXPECT_LE(
        MaxRelativeJacobianError(
            PosePriorCost<d>(prior_r, prior_t,
                             RandomInformation<d>(&random).llt().matrixU()),
            {Flat(rotation), Flat(t)}, &report),
        1e-6)
        << report;
    EXPECT_LE(MaxRelativeJacobianError(
                  IsotropicPosePriorCost<d>(prior_r, prior_t, 3.0, 7.0),
                  {Flat(rotation), Flat(t)}, &report),
              1e-6)
        << report;
  }
}

TYPED_TEST(PosePriorCostTest, IsotropicResidualAndConstantJacobians) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  const auto prior_r = RandomRotation<d>(&random);
  const auto prior_t = RandomVector<d>(5.0, &random);
  std::unique_ptr<ceres::CostFunction> cost(
      IsotropicPosePriorCost<d>::Create(prior_r, prior_t, 4.0, 9.0));
  EXPECT_EQ(cost->num_residuals(), d + d * d);
  const auto rotation = RandomRotation<d>(&random);
  const auto t = RandomVector<d>(5.0, &random);
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> a, b;
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(rotation), Flat(t)}, &r, &a));
  Eigen::VectorXd expected(d + d * d);
  expected << 3.0 * (t - prior_t),
      2.0 * Eigen::Map<const Eigen::VectorXd>(
                Eigen::Matrix<double, d, d>(rotation - prior_r).data(), d * d);
  EXPECT_LT((r - expected).norm(), 1e-13);
  ASSERT_TRUE(EvaluateCost(*cost, {Flat(prior_r), Flat(prior_t)}, &r, &b));
  EXPECT_LT(r.norm(), 1e-14);
  EXPECT_EQ(a[0], b[0]);
  EXPECT_EQ(a[1], b[1]);
}

// The translation enters with the constant Jacobian U_t in both forms.
TYPED_TEST(PosePriorCostTest, TranslationEntersAffinely) {
  constexpr int d = TypeParam::value;
  TestRandom random(4);
  const PosePriorCost<d> cost(RandomRotation<d>(&random),
                              RandomVector<d>(5.0, &random),
                              RandomInformation<d>(&random).llt().matrixU());
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> a, b;
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomVector<d>(5.0, &random))},
      &r, &a));
  ASSERT_TRUE(EvaluateCost(
      cost,
      {Flat(RandomRotation<d>(&random)), Flat(RandomVector<d>(50.0, &random))},
      &r, &b));
  EXPECT_EQ(a[1], b[1]);
}

}  // namespace
}  // namespace ceres_varpro
