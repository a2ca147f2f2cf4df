#ifndef CERES_VARPRO_SLAM_RELATIVE_POSITION_COST_H_
#define CERES_VARPRO_SLAM_RELATIVE_POSITION_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// S (x_j - t_i - R_i t̃_ij): the translation term of SE-Sync's pose-graph
// model (x_j = t_j, S = √τ I) and the relative landmark measurement
// (x_j = l_j, S = √ν I or any square root of an information matrix).
// Parameter blocks (R_i: d² column-major, t_i: d, x_j: d). Affine in t_i and
// x_j with a constant Jacobian: their Gram matrix never changes.
template <int kDim>
class RelativePositionCost final
    : public ceres::SizedCostFunction<kDim, kDim * kDim, kDim, kDim> {
 public:
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  RelativePositionCost(const Vector& measured, const Matrix& sqrt_information)
      : measured_(measured), s_(sqrt_information) {}

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    const Eigen::Map<const Matrix> ri(parameters[0]);
    const Eigen::Map<const Vector> ti(parameters[1]), xj(parameters[2]);
    Eigen::Map<Vector> r(residuals);
    r = s_ * (xj - ti - ri * measured_);
    if (jacobians == nullptr) return true;
    if (jacobians[0] != nullptr) {
      // ∂(R_i t̃)_a / ∂R_i[a' + d k] = δ(a, a') t̃_k.
      for (int c = 0; c < kDim; ++c) {
        for (int a = 0; a < kDim; ++a) {
          for (int k = 0; k < kDim; ++k) {
            jacobians[0][c * kDim * kDim + a + kDim * k] =
                -s_(c, a) * measured_[k];
          }
        }
      }
    }
    if (jacobians[1] != nullptr) {
      Eigen::Map<Eigen::Matrix<double, kDim, kDim, Eigen::RowMajor>> j(
          jacobians[1]);
      j = -s_;
    }
    if (jacobians[2] != nullptr) {
      Eigen::Map<Eigen::Matrix<double, kDim, kDim, Eigen::RowMajor>> j(
          jacobians[2]);
      j = s_;
    }
    return true;
  }

 private:
  Vector measured_;
  Matrix s_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RELATIVE_POSITION_COST_H_
