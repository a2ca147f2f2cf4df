#ifndef CERES_VARPRO_TESTS_TEST_UTIL_SLAM_TEST_UTIL_H_
#define CERES_VARPRO_TESTS_TEST_UTIL_SLAM_TEST_UTIL_H_

// Helpers for the SLAM model tests: reference rotations built independently
// of the code under test (Eigen's AngleAxis), flattening, and central
// differences of any ceres::CostFunction.

#include <string>
#include <vector>

#include "Eigen/Core"
#include "Eigen/Geometry"
#include "ceres/cost_function.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::testing {

// exp of an angle (2D) or of a rotation vector (3D), via Eigen.
Eigen::Matrix2d Rotation2(double angle);
Eigen::Matrix3d Rotation3(const Eigen::Vector3d& rotation_vector);

// Rotations spread over the whole group: uniform angle in 2D, a normalised
// Gaussian quaternion in 3D.
template <int kDim>
Eigen::Matrix<double, kDim, kDim> RandomRotation(TestRandom* random) {
  if constexpr (kDim == 2) {
    return Rotation2(random->Uniform(-M_PI, M_PI));
  } else {
    Eigen::Quaterniond q(random->Normal(1.0), random->Normal(1.0),
                         random->Normal(1.0), random->Normal(1.0));
    q.normalize();
    return q.toRotationMatrix();
  }
}

// A rotation at a chosen geodesic distance `angle` from the identity, about
// a random axis.
template <int kDim>
Eigen::Matrix<double, kDim, kDim> RotationWithAngle(double angle,
                                                    TestRandom* random) {
  if constexpr (kDim == 2) {
    return Rotation2(angle);
  } else {
    return Rotation3(angle * random->Vector3(1.0).normalized());
  }
}

template <int kDim>
Eigen::Matrix<double, kDim, 1> RandomVector(double scale, TestRandom* random) {
  Eigen::Matrix<double, kDim, 1> v;
  for (int i = 0; i < kDim; ++i) v[i] = random->Uniform(-scale, scale);
  return v;
}

template <typename Derived>
std::vector<double> Flat(const Eigen::MatrixBase<Derived>& m) {
  const typename Derived::PlainObject plain = m;
  return std::vector<double>(plain.data(), plain.data() + plain.size());
}

// Residuals and per-block Jacobians (num_residuals x block size) of `cost`.
// False if Evaluate fails.
bool EvaluateCost(const ceres::CostFunction& cost,
                  const std::vector<std::vector<double>>& parameters,
                  Eigen::VectorXd* residuals,
                  std::vector<Eigen::MatrixXd>* jacobians);

// Central differences of Evaluate in the ambient coordinates, with step
// relative_step·max(1, |x|).
std::vector<Eigen::MatrixXd> NumericJacobians(
    const ceres::CostFunction& cost,
    const std::vector<std::vector<double>>& parameters,
    double relative_step = 1e-5);

// The largest, over blocks, of ‖J_analytic - J_numeric‖_F / ‖J_numeric‖_F
// (absolute when the numeric block is zero); a description of the worst
// block in *report. Infinity if Evaluate fails.
double MaxRelativeJacobianError(
    const ceres::CostFunction& cost,
    const std::vector<std::vector<double>>& parameters, std::string* report);

}  // namespace ceres_varpro::testing

#endif  // CERES_VARPRO_TESTS_TEST_UTIL_SLAM_TEST_UTIL_H_
