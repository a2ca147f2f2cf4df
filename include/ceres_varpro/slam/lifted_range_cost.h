#ifndef CERES_VARPRO_SLAM_LIFTED_RANGE_COST_H_
#define CERES_VARPRO_SLAM_LIFTED_RANGE_COST_H_

#include "ceres/cost_function.h"

namespace ceres_varpro {

// RangeCost on the rank-r relaxation: positions in R^r and the bearing
// b ∈ S^{r-1} (StiefelManifold(r, 1)):
//   r = (t_i - t_j - r_ij b) / σ                 (r residuals)
// Parameter blocks (t_i: r, t_j: r, b: r). Affine in the positions with
// constant Jacobians ±I/σ (VarPro's constant-Gram regime). At r = d it is
// exactly RangeCost.
class LiftedRangeCost final : public ceres::CostFunction {
 public:
  // sigma > 0: the range's standard deviation; rank >= 1.
  LiftedRangeCost(double range, double sigma, int rank);

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  double range_;
  double inverse_sigma_;
  int rank_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_LIFTED_RANGE_COST_H_
