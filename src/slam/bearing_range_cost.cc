#include "ceres_varpro/slam/bearing_range_cost.h"

#include <cmath>

#include "Eigen/Core"
#include "glog/logging.h"

namespace ceres_varpro {

BearingRangeCost::BearingRangeCost(double bearing, double range,
                                   double bearing_sigma, double range_sigma)
    : bearing_(bearing), range_(range) {
  CHECK_GT(bearing_sigma, 0.0);
  CHECK_GT(range_sigma, 0.0);
  inverse_bearing_sigma_ = 1.0 / bearing_sigma;
  inverse_range_sigma_ = 1.0 / range_sigma;
}

bool BearingRangeCost::Evaluate(double const* const* parameters,
                                double* residuals, double** jacobians) const {
  const Eigen::Map<const Eigen::Matrix2d> r(parameters[0]);
  const Eigen::Map<const Eigen::Vector2d> t(parameters[1]);
  const Eigen::Map<const Eigen::Vector2d> l(parameters[2]);
  const Eigen::Vector2d delta = l - t;
  const Eigen::Vector2d q = r.transpose() * delta;
  const double norm2 = q.squaredNorm();
  if (!(norm2 > 0.0)) return false;
  const double norm = std::sqrt(norm2);
  double angle = std::atan2(q[1], q[0]) - bearing_;
  angle = std::remainder(angle, 2.0 * M_PI);
  residuals[0] = angle * inverse_bearing_sigma_;
  residuals[1] = (norm - range_) * inverse_range_sigma_;
  if (jacobians == nullptr) return true;
  // ∂r/∂q: rows (−q_y, q_x)/‖q‖² /σ_β and qᵀ/‖q‖ /σ_ρ.
  Eigen::Matrix2d dq;
  dq.row(0) = Eigen::RowVector2d(-q[1], q[0]) / norm2 * inverse_bearing_sigma_;
  dq.row(1) = q.transpose() / norm * inverse_range_sigma_;
  using RowMajor2 = Eigen::Matrix<double, 2, 2, Eigen::RowMajor>;
  if (jacobians[0] != nullptr) {
    // q_k = Σ_a R(a, k) Δ_a: ∂q_k/∂R(a, k') = δ(k, k') Δ_a, R(a, k) at a + 2k.
    Eigen::Map<Eigen::Matrix<double, 2, 4, Eigen::RowMajor>> j(jacobians[0]);
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < 2; ++k) {
        for (int a = 0; a < 2; ++a) j(c, a + 2 * k) = dq(c, k) * delta[a];
      }
    }
  }
  const Eigen::Matrix2d dl = dq * r.transpose();
  if (jacobians[1] != nullptr) {
    Eigen::Map<RowMajor2> j(jacobians[1]);
    j = -dl;
  }
  if (jacobians[2] != nullptr) {
    Eigen::Map<RowMajor2> j(jacobians[2]);
    j = dl;
  }
  return true;
}

}  // namespace ceres_varpro
