#ifndef CERES_VARPRO_SLAM_INFORMATION_H_
#define CERES_VARPRO_SLAM_INFORMATION_H_

#include "Eigen/Core"

namespace ceres_varpro {

// What the SLAM models take from a measurement's information matrix.

// Isotropic precisions of a pose measurement for the SE-Sync model
// (IsotropicRotationCost's κ, IsotropicTranslationCost's τ).
struct IsotropicWeights {
  double kappa = 0.0;
  double tau = 0.0;
};

// κ and τ as SE-Sync's g2o reader derives them from an EDGE_SE2 /
// EDGE_SE3:QUAT information matrix in (translation, rotation) order, 3x3 or
// 6x6, with I_tt, I_RR its diagonal blocks:
//   2D: τ = 2 / tr(I_tt⁻¹),  κ = I_θθ;
//   3D: τ = 3 / tr(I_tt⁻¹),  κ = 3 / (2 tr(I_RR⁻¹)).
// Any other size is a programming error (CHECK).
IsotropicWeights IsotropicWeightsFromInformation(
    const Eigen::MatrixXd& information);

// n / tr(I⁻¹) for an n x n information matrix: SE-Sync's τ rule applied to
// any position measurement (e.g. √ν for a relative landmark).
double IsotropicPrecision(const Eigen::MatrixXd& information);

// A square root U with UᵀU = information, for residuals U·e: the upper
// Cholesky factor when the matrix is positive definite; otherwise (a few
// real files have semi-definite or slightly indefinite information)
// Λ^½Vᵀ from its eigendecomposition, negative eigenvalues clipped to zero.
Eigen::MatrixXd SqrtInformation(const Eigen::MatrixXd& information);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_INFORMATION_H_
