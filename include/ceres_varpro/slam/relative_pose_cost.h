#ifndef CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_
#define CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_

#include "Eigen/Core"
#include "ceres/sized_cost_function.h"

namespace ceres_varpro {

// The familiar full-information relative-pose residual (as in Ceres's
// examples/slam/pose_graph_3d, but on rotation matrices):
//   e = [ R_iᵀ(t_j - t_i) - t̃_ij ;  Log(R̃_ijᵀ R_iᵀ R_j) ],   r = U e,
// with UᵀU the information matrix in (translation, rotation) order, d + 1
// (2D) or d + 3 (3D) square. The rotation error is the SO(d) logarithm: the
// wrapped angle difference in 2D, the rotation vector in 3D (not Ceres's
// 2·vec(quaternion)); both agree to first order.
//
// Parameter blocks (R_i: d², t_i: d, R_j: d², t_j: d), rotations column-major
// on RotationManifold<d>. Analytic Jacobians w.r.t. the ambient matrix
// entries (see rotation_math.h for how Log extends off SO(d)). The
// translations still enter affinely, with Jacobian ∓U_t R_iᵀ (U_t: the
// translation columns of U): it turns with R_i, so their Gram matrix varies
// with the rotations unless U_t's blocks are isotropic (VarPro regime 2).
template <int kDim>
class RelativePoseCost final
    : public ceres::SizedCostFunction<kDim + kDim*(kDim - 1) / 2, kDim * kDim,
                                      kDim, kDim * kDim, kDim> {
 public:
  static_assert(kDim == 2 || kDim == 3, "SE(2) or SE(3)");
  static constexpr int kTangentSize = kDim * (kDim - 1) / 2;
  static constexpr int kResidualSize = kDim + kTangentSize;
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  using PoseMatrix = Eigen::Matrix<double, kResidualSize, kResidualSize>;

  RelativePoseCost(const Matrix& measured_rotation,
                   const Vector& measured_translation,
                   const PoseMatrix& sqrt_information)
      : measured_rotation_(measured_rotation),
        measured_translation_(measured_translation),
        sqrt_information_(sqrt_information) {}

  // U = SqrtInformation(information): its upper Cholesky factor.
  static ceres::CostFunction* Create(const Matrix& measured_rotation,
                                     const Vector& measured_translation,
                                     const PoseMatrix& information);
  static ceres::CostFunction* CreateFromSqrtInformation(
      const Matrix& measured_rotation, const Vector& measured_translation,
      const PoseMatrix& sqrt_information) {
    return new RelativePoseCost(measured_rotation, measured_translation,
                                sqrt_information);
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override;

 private:
  Matrix measured_rotation_;
  Vector measured_translation_;
  PoseMatrix sqrt_information_;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_
