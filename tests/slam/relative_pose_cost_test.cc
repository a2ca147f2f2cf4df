#include "ceres_varpro/slam/relative_pose_cost.h"

#include <memory>
#include <string>

#include "ceres_varpro/slam/rotation_manifold.h"
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
class RelativePoseCostTest : public ::testing::Test {};
using Dimensions = ::testing::Types<std::integral_constant<int, 2>,
                                    std::integral_constant<int, 3>>;
TYPED_TEST_SUITE(RelativePoseCostTest, Dimensions);

template <int kDim>
using PoseMatrix = typename RelativePoseCost<kDim>::PoseMatrix;

template <int kDim>
PoseMatrix<kDim> RandomInformation(TestRandom* random) {
  PoseMatrix<kDim> a;
  for (int i = 0; i < a.size(); ++i) a.data()[i] = random->Uniform(-1, 1);
  return a * a.transpose() + 0.5 * PoseMatrix<kDim>::Identity();
}

// The rotation error Log(E), computed independently with Eigen.
template <int kDim>
Eigen::VectorXd ReferenceLog(const Eigen::Matrix<double, kDim, kDim>& e) {
  if constexpr (kDim == 2) {
    return Eigen::VectorXd::Constant(1, Eigen::Rotation2Dd(e).angle());
  } else {
    const Eigen::AngleAxisd aa(e);
    return aa.angle() * aa.axis();
  }
}

template <int kDim>
struct Configuration {
  Eigen::Matrix<double, kDim, kDim> ri, rj, measured_rotation;
  Eigen::Matrix<double, kDim, 1> ti, tj, measured_translation;
  std::vector<std::vector<double>> Parameters() const {
    return {Flat(ri), Flat(ti), Flat(rj), Flat(tj)};
  }
};

// A configuration whose rotation error R̃ᵀR_iᵀR_j has the given angle.
template <int kDim>
Configuration<kDim> RandomConfiguration(double error_angle,
                                        TestRandom* random) {
  Configuration<kDim> c;
  c.ri = RandomRotation<kDim>(random);
  c.rj = RandomRotation<kDim>(random);
  c.ti = RandomVector<kDim>(5.0, random);
  c.tj = RandomVector<kDim>(5.0, random);
  c.measured_rotation =
      c.ri.transpose() * c.rj *
      RotationWithAngle<kDim>(error_angle, random).transpose();
  c.measured_translation = RandomVector<kDim>(3.0, random);
  return c;
}

TYPED_TEST(RelativePoseCostTest, SizesAndResidual) {
  constexpr int d = TypeParam::value;
  constexpr int p = RelativePoseCost<d>::kResidualSize;
  TestRandom random(1);
  const auto c = RandomConfiguration<d>(0.7, &random);
  const PoseMatrix<d> info = RandomInformation<d>(&random);
  std::unique_ptr<ceres::CostFunction> cost(RelativePoseCost<d>::Create(
      c.measured_rotation, c.measured_translation, info));
  EXPECT_EQ(cost->num_residuals(), d == 2 ? 3 : 6);
  EXPECT_EQ(cost->parameter_block_sizes(),
            (std::vector<int32_t>{d * d, d, d * d, d}));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(*cost, c.Parameters(), &r, nullptr));
  Eigen::Matrix<double, p, 1> e;
  e.template head<d>() =
      c.ri.transpose() * (c.tj - c.ti) - c.measured_translation;
  e.template tail<p - d>() = ReferenceLog<d>(c.measured_rotation.transpose() *
                                             c.ri.transpose() * c.rj);
  // r = U e with UᵀU = information.
  EXPECT_NEAR(r.squaredNorm(), e.dot(info * e), 1e-10 * e.dot(info * e));
  // With a given square root, exactly U e.
  const PoseMatrix<d> u = 0.5 * info;
  std::unique_ptr<ceres::CostFunction> from_sqrt(
      RelativePoseCost<d>::CreateFromSqrtInformation(
          c.measured_rotation, c.measured_translation, u));
  ASSERT_TRUE(EvaluateCost(*from_sqrt, c.Parameters(), &r, nullptr));
  EXPECT_LT((r - u * e).norm(), 1e-12 * (u * e).norm());
}

TYPED_TEST(RelativePoseCostTest, ZeroAtAnExactMeasurement) {
  constexpr int d = TypeParam::value;
  TestRandom random(2);
  auto c = RandomConfiguration<d>(0.0, &random);
  c.measured_rotation = c.ri.transpose() * c.rj;
  c.measured_translation = c.ri.transpose() * (c.tj - c.ti);
  const RelativePoseCost<d> cost(c.measured_rotation, c.measured_translation,
                                 RandomInformation<d>(&random));
  Eigen::VectorXd r;
  ASSERT_TRUE(EvaluateCost(cost, c.Parameters(), &r, nullptr));
  EXPECT_LT(r.norm(), 1e-12);
}

// Ambient Jacobians against central differences, for rotation errors from
// zero to large (3D switches to its near-π form only within 0.01 rad of π).
TYPED_TEST(RelativePoseCostTest, JacobiansMatchCentralDifferences) {
  constexpr int d = TypeParam::value;
  TestRandom random(3);
  for (double angle : {0.0, 1e-6, 0.01, 0.4, 1.5, 2.8, 3.1}) {
    const auto c = RandomConfiguration<d>(angle, &random);
    const RelativePoseCost<d> cost(
        c.measured_rotation, c.measured_translation,
        RandomInformation<d>(&random).llt().matrixU());
    std::string report;
    EXPECT_LE(MaxRelativeJacobianError(cost, c.Parameters(), &report), 1e-6)
        << "angle " << angle << "\n"
        << report;
  }
}

// What Ceres uses is J·PlusJacobian: check it along the manifold, including
// rotation errors within 0.01 rad of π.
TYPED_TEST(RelativePoseCostTest, TangentJacobiansMatchAlongTheManifold) {
  constexpr int d = TypeParam::value;
  constexpr int n = d * d;
  constexpr int tangent = RelativePoseCost<d>::kTangentSize;
  const RotationManifold<d> manifold;
  TestRandom random(4);
  for (double angle : {0.3, 3.0, 3.138, M_PI - 1e-6}) {
    const auto c = RandomConfiguration<d>(angle, &random);
    const RelativePoseCost<d> cost(
        c.measured_rotation, c.measured_translation,
        RandomInformation<d>(&random).llt().matrixU());
    std::vector<std::vector<double>> x = c.Parameters();
    Eigen::VectorXd r0, plus, minus;
    std::vector<Eigen::MatrixXd> j;
    ASSERT_TRUE(EvaluateCost(cost, x, &r0, &j));
    for (int block : {0, 2}) {
      // Row-major n x tangent, as PlusJacobian writes it.
      Eigen::Matrix<double, tangent, n> plus_jacobian_transposed;
      manifold.PlusJacobian(x[block].data(), plus_jacobian_transposed.data());
      const Eigen::MatrixXd plus_jacobian =
          plus_jacobian_transposed.transpose();
      const Eigen::MatrixXd analytic = j[block] * plus_jacobian;
      Eigen::MatrixXd numeric(cost.num_residuals(), tangent);
      const std::vector<double> saved = x[block];
      for (int k = 0; k < tangent; ++k) {
        double delta[3] = {0, 0, 0};
        const double h = 1e-6;
        delta[k] = h;
        manifold.Plus(saved.data(), delta, x[block].data());
        EvaluateCost(cost, x, &plus, nullptr);
        delta[k] = -h;
        manifold.Plus(saved.data(), delta, x[block].data());
        EvaluateCost(cost, x, &minus, nullptr);
        x[block] = saved;
        numeric.col(k) = (plus - minus) / (2 * h);
      }
      if (angle > 3.0) {
        // Stepping across the cut at π flips the error's sign; such columns
        // are meaningless, the others must match.
        for (int k = 0; k < tangent; ++k) {
          if (numeric.col(k).norm() > 1e3) numeric.col(k) = analytic.col(k);
        }
      }
      EXPECT_LT((analytic - numeric).norm(), 1e-6 * numeric.norm())
          << "angle " << angle << " block " << block << "\nanalytic\n"
          << analytic << "\nnumeric\n"
          << numeric;
    }
  }
}

// The translations enter affinely: their Jacobian does not depend on them.
// It turns with R_i, so the Gram matrix is constant only for an isotropic
// translation information (regime 2 otherwise).
TYPED_TEST(RelativePoseCostTest, TranslationsEnterAffinely) {
  constexpr int d = TypeParam::value;
  constexpr int p = RelativePoseCost<d>::kResidualSize;
  TestRandom random(5);
  const auto c = RandomConfiguration<d>(0.5, &random);
  const auto other = RandomConfiguration<d>(0.5, &random);
  auto gram = [](const std::vector<Eigen::MatrixXd>& j) {
    Eigen::MatrixXd a(j[1].rows(), 2 * d);
    a << j[1], j[3];
    return Eigen::MatrixXd(a.transpose() * a);
  };
  PoseMatrix<d> isotropic = PoseMatrix<d>::Zero();
  isotropic.template topLeftCorner<d, d>().diagonal().setConstant(5.0);
  isotropic.template bottomRightCorner<p - d, p - d>().diagonal().setConstant(
      2.0);
  for (const bool anisotropic : {false, true}) {
    const PoseMatrix<d> info =
        anisotropic ? RandomInformation<d>(&random) : isotropic;
    const RelativePoseCost<d> cost(c.measured_rotation, c.measured_translation,
                                   info.llt().matrixU());
    Eigen::VectorXd r;
    std::vector<Eigen::MatrixXd> a, b, rotated;
    ASSERT_TRUE(EvaluateCost(cost, c.Parameters(), &r, &a));
    auto moved = c;
    moved.ti = RandomVector<d>(100.0, &random);
    moved.tj = RandomVector<d>(100.0, &random);
    ASSERT_TRUE(EvaluateCost(cost, moved.Parameters(), &r, &b));
    EXPECT_LT((a[1] - b[1]).norm(), 1e-14);
    EXPECT_LT((a[3] - b[3]).norm(), 1e-14);
    auto turned = c;
    turned.ri = other.ri;
    ASSERT_TRUE(EvaluateCost(cost, turned.Parameters(), &r, &rotated));
    const double gram_change = (gram(a) - gram(rotated)).norm();
    if (anisotropic) {
      EXPECT_GT(gram_change, 1e-3);
    } else {
      EXPECT_LT(gram_change, 1e-12);
    }
  }
}

}  // namespace
}  // namespace ceres_varpro
