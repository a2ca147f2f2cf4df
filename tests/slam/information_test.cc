#include "ceres_varpro/slam/information.h"

#include "Eigen/Eigenvalues"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

TEST(IsotropicWeights, AsSeSyncDerivesThemFromDiagonalInformation) {
  Eigen::MatrixXd info2 = Eigen::MatrixXd::Zero(3, 3);
  info2.diagonal() << 100, 25, 7;
  const IsotropicWeights w2 = IsotropicWeightsFromInformation(info2);
  EXPECT_NEAR(w2.tau, 2.0 / (0.01 + 0.04), 1e-12);
  EXPECT_EQ(w2.kappa, 7.0);
  Eigen::MatrixXd info3 = Eigen::MatrixXd::Zero(6, 6);
  info3.diagonal() << 1, 2, 4, 10, 20, 40;
  const IsotropicWeights w3 = IsotropicWeightsFromInformation(info3);
  EXPECT_NEAR(w3.tau, 3.0 / (1 + 0.5 + 0.25), 1e-12);
  EXPECT_NEAR(w3.kappa, 3.0 / (2.0 * (0.1 + 0.05 + 0.025)), 1e-12);
}

// SE-Sync inverts the diagonal blocks of the information matrix (not blocks
// of the covariance), and reads κ = I_θθ in 2D regardless of correlations.
TEST(IsotropicWeights, UsesInversesOfTheInformationBlocks) {
  Eigen::Matrix3d info2;
  info2 << 4, 1, 0.5,  //
      1, 2, 0.3,       //
      0.5, 0.3, 9;
  const IsotropicWeights w2 = IsotropicWeightsFromInformation(info2);
  // inv([4 1; 1 2]) has trace (2 + 4) / (8 - 1).
  EXPECT_NEAR(w2.tau, 2.0 / (6.0 / 7.0), 1e-12);
  EXPECT_EQ(w2.kappa, 9.0);

  Eigen::Matrix<double, 6, 6> info3 = Eigen::Matrix<double, 6, 6>::Identity();
  info3.topLeftCorner<3, 3>() << 2, 1, 0, 1, 2, 0, 0, 0, 4;
  info3.bottomRightCorner<3, 3>() << 5, 0, 0, 0, 3, 1, 0, 1, 3;
  info3.topRightCorner<3, 3>().setConstant(0.2);
  info3.bottomLeftCorner<3, 3>().setConstant(0.2);
  const IsotropicWeights w3 = IsotropicWeightsFromInformation(info3);
  // inv([2 1; 1 2]) has trace 4/3; inv([3 1; 1 3]) has trace 6/8.
  EXPECT_NEAR(w3.tau, 3.0 / (4.0 / 3.0 + 0.25), 1e-12);
  EXPECT_NEAR(w3.kappa, 3.0 / (2.0 * (0.2 + 0.75)), 1e-12);
}

TEST(IsotropicPrecision, IsDimensionOverTraceOfCovariance) {
  EXPECT_NEAR(IsotropicPrecision(7.0 * Eigen::MatrixXd::Identity(3, 3)), 7.0,
              1e-12);
  Eigen::Matrix2d info;
  info << 1, 0, 0, 4;
  EXPECT_NEAR(IsotropicPrecision(info), 2.0 / 1.25, 1e-12);
}

TEST(SqrtInformation, UpperCholeskyFactorWhenPositiveDefinite) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(6, 6);
  const Eigen::MatrixXd info =
      a * a.transpose() + Eigen::MatrixXd::Identity(6, 6);
  const Eigen::MatrixXd u = SqrtInformation(info);
  EXPECT_LT((u.transpose() * u - info).norm(), 1e-12 * info.norm());
  EXPECT_EQ(u.triangularView<Eigen::StrictlyLower>().toDenseMatrix().norm(),
            0.0);
}

TEST(SqrtInformation, ClipsNegativeEigenvaluesOtherwise) {
  Eigen::Matrix3d info = Eigen::Matrix3d::Zero();
  info.diagonal() << 4, 0, -1e-9;  // Semi-definite and slightly indefinite.
  const Eigen::MatrixXd u = SqrtInformation(info);
  Eigen::Matrix3d clipped = Eigen::Matrix3d::Zero();
  clipped(0, 0) = 4;
  EXPECT_LT((u.transpose() * u - clipped).norm(), 1e-12);
}

}  // namespace
}  // namespace ceres_varpro
