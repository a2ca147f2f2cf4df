#include "ceres_varpro/slam/information.h"

#include "Eigen/Cholesky"
#include "Eigen/Eigenvalues"
#include "glog/logging.h"

namespace ceres_varpro {

IsotropicWeights IsotropicWeightsFromInformation(
    const Eigen::MatrixXd& information) {
  CHECK_EQ(information.rows(), information.cols());
  CHECK(information.rows() == 3 || information.rows() == 6)
      << "pose information must be 3x3 (2D) or 6x6 (3D), got "
      << information.rows() << "x" << information.cols();
  IsotropicWeights w;
  if (information.rows() == 3) {
    w.tau = IsotropicPrecision(information.topLeftCorner(2, 2));
    w.kappa = information(2, 2);
  } else {
    w.tau = IsotropicPrecision(information.topLeftCorner(3, 3));
    const Eigen::Matrix3d rotation = information.bottomRightCorner(3, 3);
    w.kappa = 3.0 / (2.0 * rotation.inverse().trace());
  }
  return w;
}

double IsotropicPrecision(const Eigen::MatrixXd& information) {
  CHECK_EQ(information.rows(), information.cols());
  return static_cast<double>(information.rows()) /
         information.inverse().trace();
}

Eigen::MatrixXd SqrtInformation(const Eigen::MatrixXd& information) {
  CHECK_EQ(information.rows(), information.cols());
  const Eigen::LLT<Eigen::MatrixXd> llt(information);
  if (llt.info() == Eigen::Success) return llt.matrixU();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(information);
  const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return root.asDiagonal() * eig.eigenvectors().transpose();
}

}  // namespace ceres_varpro
