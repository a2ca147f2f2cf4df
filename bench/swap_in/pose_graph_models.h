// The pose-graph models of Ceres's own examples (examples/slam/pose_graph_2d
// and pose_graph_3d), written the way a Ceres user writes them: AutoDiff
// cost functions, the full square-root information matrix, an angle manifold
// for the 2D yaw and Eigen quaternions on EigenQuaternionManifold in 3D. The
// swap-in benchmark solves these with ceres::Solve and with
// ceres_varpro::Solve (positions named linear) to show what a user who
// changes one call sees.

#ifndef CERES_VARPRO_BENCH_SWAP_IN_POSE_GRAPH_MODELS_H_
#define CERES_VARPRO_BENCH_SWAP_IN_POSE_GRAPH_MODELS_H_

#include <cmath>

#include "Eigen/Core"
#include "Eigen/Geometry"
#include "ceres/autodiff_cost_function.h"
#include "ceres/autodiff_manifold.h"
#include "ceres/ceres.h"

namespace ceres_varpro::bench {

// Wraps an angle to [-pi, pi).
template <typename T>
T NormalizeAngle(const T& angle) {
  const T two_pi(2.0 * M_PI);
  return angle - two_pi * ceres::floor((angle + T(M_PI)) / two_pi);
}

// Yaw as a one-dimensional manifold that keeps the value in [-pi, pi).
struct AngleManifoldFunctor {
  template <typename T>
  bool Plus(const T* x, const T* delta, T* x_plus_delta) const {
    *x_plus_delta = NormalizeAngle(*x + *delta);
    return true;
  }
  template <typename T>
  bool Minus(const T* y, const T* x, T* y_minus_x) const {
    *y_minus_x = NormalizeAngle(*y) - NormalizeAngle(*x);
    return true;
  }
  static ceres::Manifold* Create() {
    return new ceres::AutoDiffManifold<AngleManifoldFunctor, 1, 1>;
  }
};

// 2D: residual sqrt_info * [R(yaw_a)ᵀ(p_b - p_a) - p_ab; yaw_b - yaw_a -
// yaw_ab], with x, y and yaw each its own parameter block, as in Ceres's
// example.
class PoseGraph2dError {
 public:
  PoseGraph2dError(double x_ab, double y_ab, double yaw_ab,
                   const Eigen::Matrix3d& sqrt_information)
      : p_ab_(x_ab, y_ab),
        yaw_ab_(yaw_ab),
        sqrt_information_(sqrt_information) {}

  template <typename T>
  bool operator()(const T* x_a, const T* y_a, const T* yaw_a, const T* x_b,
                  const T* y_b, const T* yaw_b, T* residuals_ptr) const {
    const T cos_a = ceres::cos(*yaw_a);
    const T sin_a = ceres::sin(*yaw_a);
    const T dx = *x_b - *x_a;
    const T dy = *y_b - *y_a;
    Eigen::Map<Eigen::Matrix<T, 3, 1>> residuals(residuals_ptr);
    residuals(0) = cos_a * dx + sin_a * dy - T(p_ab_.x());
    residuals(1) = -sin_a * dx + cos_a * dy - T(p_ab_.y());
    residuals(2) = NormalizeAngle((*yaw_b - *yaw_a) - T(yaw_ab_));
    residuals = sqrt_information_.template cast<T>() * residuals;
    return true;
  }

  static ceres::CostFunction* Create(double x_ab, double y_ab, double yaw_ab,
                                     const Eigen::Matrix3d& sqrt_information) {
    return new ceres::AutoDiffCostFunction<PoseGraph2dError, 3, 1, 1, 1, 1, 1,
                                           1>(
        new PoseGraph2dError(x_ab, y_ab, yaw_ab, sqrt_information));
  }

 private:
  const Eigen::Vector2d p_ab_;
  const double yaw_ab_;
  const Eigen::Matrix3d sqrt_information_;
};

// 3D: residual sqrt_info * [q_aᵀ(p_b - p_a) - p_ab; 2 vec(q_ab (q_a⁻¹q_b)⁻¹)],
// parameter blocks (p_a, q_a, p_b, q_b), as in Ceres's example.
class PoseGraph3dError {
 public:
  PoseGraph3dError(const Eigen::Vector3d& p_ab, const Eigen::Quaterniond& q_ab,
                   const Eigen::Matrix<double, 6, 6>& sqrt_information)
      : p_ab_(p_ab), q_ab_(q_ab), sqrt_information_(sqrt_information) {}

  template <typename T>
  bool operator()(const T* p_a_ptr, const T* q_a_ptr, const T* p_b_ptr,
                  const T* q_b_ptr, T* residuals_ptr) const {
    const Eigen::Map<const Eigen::Matrix<T, 3, 1>> p_a(p_a_ptr);
    const Eigen::Map<const Eigen::Quaternion<T>> q_a(q_a_ptr);
    const Eigen::Map<const Eigen::Matrix<T, 3, 1>> p_b(p_b_ptr);
    const Eigen::Map<const Eigen::Quaternion<T>> q_b(q_b_ptr);
    const Eigen::Quaternion<T> q_a_inverse = q_a.conjugate();
    const Eigen::Quaternion<T> q_ab_estimated = q_a_inverse * q_b;
    const Eigen::Matrix<T, 3, 1> p_ab_estimated = q_a_inverse * (p_b - p_a);
    const Eigen::Quaternion<T> delta_q =
        q_ab_.template cast<T>() * q_ab_estimated.conjugate();
    Eigen::Map<Eigen::Matrix<T, 6, 1>> residuals(residuals_ptr);
    residuals.template block<3, 1>(0, 0) =
        p_ab_estimated - p_ab_.template cast<T>();
    residuals.template block<3, 1>(3, 0) = T(2.0) * delta_q.vec();
    residuals.applyOnTheLeft(sqrt_information_.template cast<T>());
    return true;
  }

  static ceres::CostFunction* Create(
      const Eigen::Vector3d& p_ab, const Eigen::Quaterniond& q_ab,
      const Eigen::Matrix<double, 6, 6>& sqrt_information) {
    return new ceres::AutoDiffCostFunction<PoseGraph3dError, 6, 3, 4, 3, 4>(
        new PoseGraph3dError(p_ab, q_ab, sqrt_information));
  }

  EIGEN_MAKE_ALIGNED_OPERATOR_NEW

 private:
  const Eigen::Vector3d p_ab_;
  const Eigen::Quaterniond q_ab_;
  const Eigen::Matrix<double, 6, 6> sqrt_information_;
};

}  // namespace ceres_varpro::bench

#endif  // CERES_VARPRO_BENCH_SWAP_IN_POSE_GRAPH_MODELS_H_
