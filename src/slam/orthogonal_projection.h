#ifndef CERES_VARPRO_SLAM_ORTHOGONAL_PROJECTION_H_
#define CERES_VARPRO_SLAM_ORTHOGONAL_PROJECTION_H_

// Nearest orthogonal matrices (in the Frobenius norm), shared by the chordal
// initialisation, the staircase and the rounding. Internal to the slam
// module.

#include "Eigen/Core"
#include "Eigen/LU"
#include "Eigen/SVD"

namespace ceres_varpro {

// The nearest rotation to a square matrix: U diag(1, …, 1, det(UVᵀ)) Vᵀ.
inline Eigen::MatrixXd ProjectToSpecialOrthogonal(const Eigen::MatrixXd& m) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(
      m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::MatrixXd u = svd.matrixU();
  if ((u * svd.matrixV().transpose()).determinant() < 0) {
    u.col(u.cols() - 1) *= -1.0;
  }
  return u * svd.matrixV().transpose();
}

// The nearest matrix with orthonormal columns (r×d, r ≥ d): the polar factor
// U Vᵀ of the thin SVD. A column of zeros maps to some unit column.
inline Eigen::MatrixXd ProjectToStiefel(const Eigen::MatrixXd& m) {
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(
      m, Eigen::ComputeThinU | Eigen::ComputeThinV);
  return svd.matrixU() * svd.matrixV().transpose();
}

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_ORTHOGONAL_PROJECTION_H_
