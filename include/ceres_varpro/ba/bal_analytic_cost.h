#ifndef CERES_VARPRO_BA_BAL_ANALYTIC_COST_H_
#define CERES_VARPRO_BA_BAL_ANALYTIC_COST_H_

#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// BalReprojectionCost (the BAL camera model) with hand-written Jacobians,
// the same values as its AutoDiff form. Each Jacobian is computed only when
// asked for: VarPro's inner solves ask for the point's alone (2 x 3), which
// costs a fraction of differentiating all twelve parameters.
class BalAnalyticCost : public ceres::SizedCostFunction<2, 9, 3> {
 public:
  BalAnalyticCost(double observed_x, double observed_y)
      : observed_x_(observed_x), observed_y_(observed_y) {}

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  double observed_x_;
  double observed_y_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_BA_BAL_ANALYTIC_COST_H_
