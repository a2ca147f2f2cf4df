#ifndef CERES_VARPRO_SLAM_LIFTED_TRANSLATION_COST_H_
#define CERES_VARPRO_SLAM_LIFTED_TRANSLATION_COST_H_

#include "Eigen/Core"
#include "ceres/cost_function.h"

namespace ceres_varpro {

// IsotropicTranslationCost (and the isotropic RelativeLandmarkCost) on the
// rank-r relaxation, positions in R^r and Y_i ∈ St(d, r):
//   r = √τ (t_j - t_i - Y_i t̃_ij)                (r residuals)
// Parameter blocks (Y_i: r·d column-major, t_i: r, t_j: r); t_j is a landmark
// for a relative landmark measurement. Affine in t_i, t_j with the constant
// Jacobian ∓√τ I: the positions stay VarPro's linear blocks with a constant
// Gram matrix. At r = d it is exactly the rank-d cost.
class LiftedTranslationCost final : public ceres::CostFunction {
 public:
  // `measured_translation` is t̃_ij (d entries); tau >= 0; rank >= d.
  LiftedTranslationCost(const Eigen::VectorXd& measured_translation, double tau,
                        int rank);

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Eigen::VectorXd measured_translation_;
  double sqrt_tau_;
  int rank_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_LIFTED_TRANSLATION_COST_H_
