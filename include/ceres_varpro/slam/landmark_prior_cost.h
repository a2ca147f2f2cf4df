#ifndef CERES_VARPRO_SLAM_LANDMARK_PRIOR_COST_H_
#define CERES_VARPRO_SLAM_LANDMARK_PRIOR_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// A prior on a landmark (or a sensor-network anchor) at l̄:
//   r = S (l - l̄)                                  (d residuals)
// S is any square root of the information (SᵀS = I), e.g. SqrtInformation
// or √ν I for the isotropic model. One parameter block (l: d), affine with
// the constant Jacobian S: the linear blocks' Gram matrix stays constant,
// and the block's component is anchored (the engine pins nothing in it).
template <int kDim>
class LandmarkPriorCost final : public ceres::SizedCostFunction<kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "2D or 3D");
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;

  LandmarkPriorCost(const Vector& prior_position,
                    const Matrix& sqrt_information)
      : prior_position_(prior_position), sqrt_information_(sqrt_information) {}
  static ceres::CostFunction* Create(const Vector& prior_position,
                                     const Matrix& sqrt_information) {
    return new LandmarkPriorCost(prior_position, sqrt_information);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Vector prior_position_;
  Matrix sqrt_information_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_LANDMARK_PRIOR_COST_H_
