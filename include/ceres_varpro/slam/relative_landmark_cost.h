#ifndef CERES_VARPRO_SLAM_RELATIVE_LANDMARK_COST_H_
#define CERES_VARPRO_SLAM_RELATIVE_LANDMARK_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// A landmark l_j measured from pose i as t̃_ij = R_iᵀ(l_j - t_i), with the
// error weighted in the world frame:
//   r = S (l_j - t_i - R_i t̃_ij)                 (d residuals)
// S is any square root of the information (SᵀS = I); the paper's model is
// S = √ν I (see IsotropicPrecision). Parameter blocks (R_i: d² column-major,
// t_i: d, l_j: d). Affine in t_i and l_j with the constant Jacobian ∓S:
// the linear blocks' Gram matrix never changes (VarPro regime 1).
template <int kDim>
class RelativeLandmarkCost final
    : public ceres::SizedCostFunction<kDim, kDim * kDim, kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "2D or 3D");
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;

  RelativeLandmarkCost(const Vector& measured_translation,
                       const Matrix& sqrt_information)
      : measured_translation_(measured_translation),
        sqrt_information_(sqrt_information) {}
  static ceres::CostFunction* Create(const Vector& measured_translation,
                                     const Matrix& sqrt_information) {
    return new RelativeLandmarkCost(measured_translation, sqrt_information);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Vector measured_translation_;
  Matrix sqrt_information_;
};

// The same measurement with its information in the pose's own frame (as
// g2o's landmark edges and Ceres's pose-graph examples mean it):
//   r = U (R_iᵀ(l_j - t_i) - t̃_ij)               (d residuals)
// with UᵀU the information. Still affine in t_i and l_j, but their Jacobian
// ∓U R_iᵀ turns with R_i, so the Gram matrix varies unless U is a multiple of
// the identity (VarPro regime 2). Parameter blocks (R_i, t_i, l_j).
template <int kDim>
class RelativeLandmarkBodyFrameCost final
    : public ceres::SizedCostFunction<kDim, kDim * kDim, kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "2D or 3D");
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;

  RelativeLandmarkBodyFrameCost(const Vector& measured_translation,
                                const Matrix& sqrt_information)
      : measured_translation_(measured_translation),
        sqrt_information_(sqrt_information) {}
  static ceres::CostFunction* Create(const Vector& measured_translation,
                                     const Matrix& sqrt_information) {
    return new RelativeLandmarkBodyFrameCost(measured_translation,
                                             sqrt_information);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Vector measured_translation_;
  Matrix sqrt_information_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RELATIVE_LANDMARK_COST_H_
