#ifndef CERES_VARPRO_SLAM_BEARING_RANGE_COST_H_
#define CERES_VARPRO_SLAM_BEARING_RANGE_COST_H_

#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// The exact 2D bearing-range residual of landmark l_j seen from pose i, with
// q = R_iᵀ(l_j - t_i) the landmark in the pose's frame:
//   r = [ wrap(atan2(q_y, q_x) - β) / σ_β ;  (‖q‖ - ρ) / σ_ρ ]
// (wrap to (-π, π]). Not affine in t_i, l_j: SlamProblem uses the relative
// position RelativePositionFromBearingRange derives from the same numbers
// (RelativeLandmarkBodyFrameCost / RelativeLandmarkCost), which VarPro
// eliminates; this cost is the reference that approximation is checked
// against, and a model for stock Ceres. Parameter blocks (R_i: 4
// column-major, t_i: 2, l_j: 2). Evaluate fails when q = 0.
class BearingRangeCost final : public ceres::SizedCostFunction<2, 4, 2, 2> {
 public:
  // sigmas > 0.
  BearingRangeCost(double bearing, double range, double bearing_sigma,
                   double range_sigma);
  static ceres::CostFunction* Create(double bearing, double range,
                                     double bearing_sigma, double range_sigma) {
    return new BearingRangeCost(bearing, range, bearing_sigma, range_sigma);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  double bearing_, range_;
  double inverse_bearing_sigma_, inverse_range_sigma_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_BEARING_RANGE_COST_H_
