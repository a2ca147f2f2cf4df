#include "ceres_varpro/slam/relative_landmark_cost.h"

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
class RelativeLandmarkCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(RelativeLandmarkCostTest, Dimensions);

// An anisotropic, non-symmetric square root of an information matrix.
template <int kDim>
Eigen::Matrix<double, kDim, kDim> RandomSqrtInformation(TestRandom* random) {
  Eigen::Matrix<double, kDim, kDim> s;
  for (int i = 0; i < kDim * kDim; ++i) s.data()[i] = random->Uniform(-1, 1);
  s.diagonal().array() += 3.0;
  return s;
}

TYPED_TEST(RelativeLandmarkCostTest, SizesAndResiduals) {
  constexpr int d = TypeParam::value;
  TestRandom random(1);
  const auto ri = RandomRotation<d>(&random);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto lj = RandomVector<d>(5.0, &random);
  const auto z = RandomVector<d>(2.0, &random);
  const auto s = RandomSqrtInformation<d>(&random);
  std::unique_ptr<ceres::CostFunction> world(
      RelativeLandmarkCost<d>::Create(z, s));
  std::unique_ptr<ceres::CostFunction> body(
      RelativeLandmarkBodyFrameCost<d>::Create(z, s));
  for (const auto* cost : {world.get(), body.get()}) {
    EXPECT_EQ(cost->num_residuals(), d);
    EXPECT_EQ(cost->parameter_block_sizes(),
              (std::vector<int32_t>{d * d, d, d}));
  }
  Eigen::VectorXd r;
  ASSERT_TRUE(
      EvaluateCost(*world, {Flat(ri), Flat(ti), Flat(lj)}, &r, nullptr));
  EXPECT_LT((r - s * (lj - ti - ri * z)).norm(), 1e-12);
  ASSERT_TRUE(EvaluateCost(*body, {Flat(ri), Flat(ti), Flat(lj)}, &r, nullptr));
  EXPECT_LT((r - s * (ri.transpose() * (lj - ti) - z)).norm(), 1e-12);
}

TYPED_TEST(RelativeLandmarkCostTest, ZeroAtAnExactMeasurement) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  const auto ri = RandomRotation<d>(&random);
  const auto ti = RandomVector<d>(5.0, &random);
  const auto lj = RandomVector<d>(5.0, &random);
  const auto s = RandomSqrtInformation<d>(&random);
  const Eigen::Matrix<double, d, 1> z = ri.transpose() * (lj - ti);
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(RelativeLandmarkCost<d>(z, s),
                           {Flat(ri), Flat(ti), Flat(lj)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
  ASSERT_TRUE(EvaluateCost(RelativeLandmarkBodyFrameCost<d>(z, s),
                           {Flat(ri), Flat(ti), Flat(lj)}, &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
}

TYPED_TEST(RelativeLandmarkCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  for (int trial = 0; trial < 5; ++trial) {
    const auto z = RandomVector<d>(3.0, &random);
    const auto s = RandomSqrtInformation<d>(&random);
    const std::vector<std::vector<double>> point = {
        Flat(RandomRotation<d>(&random)), Flat(RandomVector<d>(10.0, &random)),
        Flat(RandomVector<d>(10.0, &random))};
    std::string report;
    EXPECT_LE(
        MaxRelativeJacobianError(RelativeLandmarkCost<d>(z, s), point, &report),
        1e-6)
        << report;
    EXPECT_LE(MaxRelativeJacobianError(RelativeLandmarkBodyFrameCost<d>(z, s),
                                       point, &report),
              1e-6)
        << report;
  }
}

// Both are affine in (t_i, l_j). In the world frame the Jacobian is constant
// (regime 1); in the body frame it turns with R_i (regime 2).
TYPED_TEST(RelativeLandmarkCostTest, PositionsEnterAffinely) {
  constexpr int d = TypeParam::value;
  TestRandom random(4);
  const auto z = RandomVector<d>(3.0, &random);
  const auto s = RandomSqrtInformation<d>(&random);
  const auto r0 = RandomRotation<d>(&random);
  const auto r1 = RandomRotation<d>(&random);
  const auto t0 = RandomVector<d>(10.0, &random);
  const auto l0 = RandomVector<d>(10.0, &random);
  const auto t1 = RandomVector<d>(100.0, &random);
  const auto l1 = RandomVector<d>(100.0, &random);
  Eigen::VectorXd r;
  std::vector<Eigen::MatrixXd> a, b, c;
  const RelativeLandmarkCost<d> world(z, s);
  ASSERT_TRUE(EvaluateCost(world, {Flat(r0), Flat(t0), Flat(l0)}, &r, &a));
  ASSERT_TRUE(EvaluateCost(world, {Flat(r1), Flat(t1), Flat(l1)}, &r, &b));
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[2], b[2]);
  const RelativeLandmarkBodyFrameCost<d> body(z, s);
  ASSERT_TRUE(EvaluateCost(body, {Flat(r0), Flat(t0), Flat(l0)}, &r, &a));
  ASSERT_TRUE(EvaluateCost(body, {Flat(r0), Flat(t1), Flat(l1)}, &r, &b));
  ASSERT_TRUE(EvaluateCost(body, {Flat(r1), Flat(t0), Flat(l0)}, &r, &c));
  EXPECT_EQ(a[1], b[1]);
  EXPECT_EQ(a[2], b[2]);
  EXPECT_GT((a[2] - c[2]).norm(), 1e-3);
}

}  // namespace
}  // namespace ceres_varpro
