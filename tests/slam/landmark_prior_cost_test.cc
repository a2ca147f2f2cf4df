#include "ceres_varpro/slam/landmark_prior_cost.h"

#include <memory>
#include <string>

#include "ceres/ceres.h"
#include "ceres_varpro/ceres_varpro.h"
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
class LandmarkPriorCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(LandmarkPriorCostTest, Dimensions);

template <int kDim>
Eigen::Matrix<double, kDim, kDim> RandomSqrt(TestRandom* random) {
  Eigen::Matrix<double, kDim, kDim> s;
  for (int i = 0; i < kDim * kDim; ++i) s.data()[i] = random->Uniform(-1, 1);
  s.diagonal().array() += 3.0;
  return s;
}

TYPED_TEST(LandmarkPriorCostTest, ResidualJacobianAndAffinity) {
  constexpr int d = TypeParam::value;
  TestRandom random(1);
  const auto prior = RandomVector<d>(5.0, &random);
  const auto s = RandomSqrt<d>(&random);
  const LandmarkPriorCost<d> cost(prior, s);
  EXPECT_EQ(cost.num_residuals(), d);
  const auto l0 = RandomVector<d>(5.0, &random);
  const auto l1 = RandomVector<d>(50.0, &random);
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> a, b;
  ASSERT_TRUE(EvaluateCost(cost, {Flat(l0)}, &r, &a));
  EXPECT_LT((r - s * (l0 - prior)).norm(), 1e-12);
  ASSERT_TRUE(EvaluateCost(cost, {Flat(prior)}, &r, &b));
  EXPECT_LT(r.norm(), 1e-12);
  ASSERT_TRUE(EvaluateCost(cost, {Flat(l1)}, &r, &b));
  EXPECT_EQ(a[0], b[0]);  // Constant Jacobian: affine.
  std::string report;
  EXPECT_LE(MaxRelativeJacobianError(cost, {Flat(l1)}, &report), 1e-6)
      << report;
}

// Two landmarks tied by a relative measurement, one with a prior: the
// engine eliminates both (its affinity check passes), pins nothing (the
// prior anchors the component) and reaches the exact least-squares point.
TYPED_TEST(LandmarkPriorCostTest, EngineEliminatesAnAnchoredComponent) {
  constexpr int d = TypeParam::value;
  using Vector = Eigen::Matrix<double, d, 1>;
  using Matrix = Eigen::Matrix<double, d, d>;
  TestRandom random(2);
  Vector a = Vector::Zero(), b = Vector::Ones();
  const Vector prior = RandomVector<d>(3.0, &random);
  ceres::Problem problem;
  problem.AddResidualBlock(
      LandmarkPriorCost<d>::Create(prior, 10.0 * Matrix::Identity()), nullptr,
      a.data());
  // b - a = offset, as a prior on b relative to a: reuse the prior cost on
  // the difference through a second prior on b.
  problem.AddResidualBlock(
      LandmarkPriorCost<d>::Create(prior + Vector::Constant(2.0),
                                   Matrix::Identity()),
      nullptr, b.data());
  Solver::Options options;
  options.linear_parameter_blocks = {a.data(), b.data()};
  Solver::Summary summary;
  Solve(options, &problem, &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_EQ(summary.varpro.num_gauge_pins, 0);
  EXPECT_EQ(summary.varpro.num_eliminated_blocks, 2);
  EXPECT_LT((a - prior).norm(), 1e-9);
  EXPECT_LT((b - prior - Vector::Constant(2.0)).norm(), 1e-9);
}

}  // namespace
}  // namespace ceres_varpro
