#ifndef CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_
#define CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_

#include "Eigen/Core"
#include "ceres/autodiff_cost_function.h"
#include "ceres/rotation.h"

namespace ceres_varpro {

// The familiar full-information pose-graph residual (as in Ceres's
// examples/slam), on rotation matrices:
//   e = [ R_iᵀ(t_j - t_i) - t̃_ij ;  Log(R̃_ijᵀ R_iᵀ R_j) ],   r = U e,
// with UᵀU the information matrix (translation first). Translations still
// enter affinely, but their Jacobian U_t R_iᵀ turns with R_i: the Gram
// matrix varies unless U_t is isotropic. Blocks (R_i, t_i, R_j, t_j).
template <int kDim>
struct RelativePoseResidual {
  static constexpr int kTangent = kDim * (kDim - 1) / 2;
  static constexpr int kResiduals = kDim + kTangent;
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  using Information = Eigen::Matrix<double, kResiduals, kResiduals>;

  RelativePoseResidual(const Matrix& rotation, const Vector& translation,
                       const Information& sqrt_information)
      : rotation(rotation),
        translation(translation),
        sqrt_information(sqrt_information) {}

  template <typename T>
  bool operator()(const T* ri_data, const T* ti_data, const T* rj_data,
                  const T* tj_data, T* residual_data) const {
    using MatrixT = Eigen::Matrix<T, kDim, kDim>;
    using VectorT = Eigen::Matrix<T, kDim, 1>;
    const Eigen::Map<const MatrixT> ri(ri_data), rj(rj_data);
    const Eigen::Map<const VectorT> ti(ti_data), tj(tj_data);
    Eigen::Matrix<T, kResiduals, 1> e;
    e.template head<kDim>() =
        ri.transpose() * (tj - ti) - translation.template cast<T>();
    const MatrixT error =
        rotation.template cast<T>().transpose() * ri.transpose() * rj;
    if constexpr (kDim == 2) {
      e[2] = ceres::atan2(error(1, 0), error(0, 0));
    } else {
      T angle_axis[3];
      ceres::RotationMatrixToAngleAxis(
          ceres::ColumnMajorAdapter3x3(error.data()), angle_axis);
      e[3] = angle_axis[0];
      e[4] = angle_axis[1];
      e[5] = angle_axis[2];
    }
    Eigen::Map<Eigen::Matrix<T, kResiduals, 1>> residual(residual_data);
    residual = sqrt_information.template cast<T>() * e;
    return true;
  }

  static ceres::CostFunction* Create(const Matrix& rotation,
                                     const Vector& translation,
                                     const Information& sqrt_information) {
    return new ceres::AutoDiffCostFunction<
        RelativePoseResidual, kResiduals, kDim * kDim, kDim, kDim * kDim, kDim>(
        new RelativePoseResidual(rotation, translation, sqrt_information));
  }

  Matrix rotation;
  Vector translation;
  Information sqrt_information;
};

// U (R_iᵀ(l_j - t_i) - t̃_ij): a landmark measured in the pose's frame with
// an anisotropic covariance there. Affine in t_i and l_j, Gram varying with
// R_i. Blocks (R_i, t_i, l_j).
template <int kDim>
struct RelativeLandmarkResidual {
  using Matrix = Eigen::Matrix<double, kDim, kDim>;
  using Vector = Eigen::Matrix<double, kDim, 1>;
  RelativeLandmarkResidual(const Vector& translation,
                           const Matrix& sqrt_information)
      : translation(translation), sqrt_information(sqrt_information) {}

  template <typename T>
  bool operator()(const T* ri_data, const T* ti_data, const T* l_data,
                  T* residual) const {
    const Eigen::Map<const Eigen::Matrix<T, kDim, kDim>> ri(ri_data);
    const Eigen::Map<const Eigen::Matrix<T, kDim, 1>> ti(ti_data), l(l_data);
    Eigen::Map<Eigen::Matrix<T, kDim, 1>> r(residual);
    r = sqrt_information.template cast<T>() *
        (ri.transpose() * (l - ti) - translation.template cast<T>());
    return true;
  }

  static ceres::CostFunction* Create(const Vector& translation,
                                     const Matrix& sqrt_information) {
    return new ceres::AutoDiffCostFunction<RelativeLandmarkResidual, kDim,
                                           kDim * kDim, kDim, kDim>(
        new RelativeLandmarkResidual(translation, sqrt_information));
  }

  Vector translation;
  Matrix sqrt_information;
};

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_SLAM_RELATIVE_POSE_COST_H_
