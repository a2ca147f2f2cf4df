#ifndef CERES_VARPRO_SLAM_CHORDAL_ROTATION_COST_H_
#define CERES_VARPRO_SLAM_CHORDAL_ROTATION_COST_H_

#include <cmath>

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// SE-Sync's rotation term: √κ vec(R_j - R_i R̃_ij), over column-major d x d
// rotation blocks (use SpecialOrthogonalManifold<d>). Linear in the matrix
// entries, so the Jacobians are constant.
template <int kDim>
class ChordalRotationCost final
    : public ceres::SizedCostFunction<kDim * kDim, kDim * kDim, kDim * kDim> {
 public:
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  ChordalRotationCost(const Matrix& measured, double kappa)
      : measured_(measured), sqrt_kappa_(std::sqrt(kappa)) {}

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    const Eigen::Map<const Matrix> ri(parameters[0]), rj(parameters[1]);
    Eigen::Map<Matrix> r(residuals);
    r = sqrt_kappa_ * (rj - ri * measured_);
    if (jacobians == nullptr) return true;
    constexpr int n = kDim * kDim;
    if (jacobians[0] != nullptr) {
      // ∂ vec(R_i R̃)_{a + d b} / ∂ R_i[a + d k] = R̃(k, b).
      double* j = jacobians[0];
      for (int i = 0; i < n * n; ++i) j[i] = 0.0;
      for (int a = 0; a < kDim; ++a) {
        for (int b = 0; b < kDim; ++b) {
          for (int k = 0; k < kDim; ++k) {
            j[(a + kDim * b) * n + a + kDim * k] =
                -sqrt_kappa_ * measured_(k, b);
          }
        }
      }
    }
    if (jacobians[1] != nullptr) {
      double* j = jacobians[1];
      for (int i = 0; i < n * n; ++i) j[i] = 0.0;
      for (int i = 0; i < n; ++i) j[i * n + i] = sqrt_kappa_;
    }
    return true;
  }

 private:
  Matrix measured_;
  double sqrt_kappa_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_CHORDAL_ROTATION_COST_H_
