#ifndef CERES_VARPRO_SLAM_LIFTED_ROTATION_COST_H_
#define CERES_VARPRO_SLAM_LIFTED_ROTATION_COST_H_

#include "Eigen/Core"
#include "ceres/cost_function.h"

namespace ceres_varpro {

// IsotropicRotationCost on the rank-r relaxation: rotations are lifted to
// Y ∈ St(d, r) (r×d, orthonormal columns; StiefelManifold), and
//   r = √κ vec(Y_j - Y_i R̃_ij)                  (r·d residuals)
// Parameter blocks (Y_i: r·d, Y_j: r·d), column-major. At r = d with Y in
// SO(d) this is exactly IsotropicRotationCost. Linear in the entries, so the
// Jacobians are constant.
class LiftedRotationCost final : public ceres::CostFunction {
 public:
  // `measured_rotation` is R̃_ij (d×d); kappa >= 0; rank >= d.
  LiftedRotationCost(const Eigen::MatrixXd& measured_rotation, double kappa,
                     int rank);

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Eigen::MatrixXd measured_rotation_;
  double sqrt_kappa_;
  int rank_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_LIFTED_ROTATION_COST_H_
