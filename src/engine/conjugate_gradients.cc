#include "engine/conjugate_gradients.h"

#include <cmath>

namespace ceres_varpro::internal {
namespace {

// A residual this small relative to b is round-off: the solve is exact.
constexpr double kVanishingResidual = 1e-15;

}  // namespace

ConjugateGradients::Summary ConjugateGradients::Solve(
    const Operator& multiply, const Operator& precondition,
    const Eigen::VectorXd& b, double q_tolerance, double r_tolerance,
    int min_iterations, int max_iterations, Eigen::VectorXd* x) {
  const int n = static_cast<int>(b.size());
  Summary summary;
  x->setZero(n);
  if (r_.size() != n) {
    r_.resize(n);
    z_.resize(n);
    p_.resize(n);
    q_.resize(n);
  }
  const double b_norm = b.norm();
  if (b_norm == 0.0) {
    summary.success = true;
    summary.message = "zero right-hand side";
    return summary;
  }
  r_ = b;
  double rho_previous = 1.0;
  double q_previous = 0.0;
  for (int i = 1; i <= max_iterations; ++i) {
    summary.num_iterations = i;
    precondition(r_.data(), z_.data());
    const double rho = r_.dot(z_);
    if (!std::isfinite(rho)) {
      summary.message = "preconditioner produced a non-finite value";
      return summary;
    }
    if (i == 1) {
      p_ = z_;
    } else {
      p_ = z_ + (rho / rho_previous) * p_;
    }
    multiply(p_.data(), q_.data());
    const double pq = p_.dot(q_);
    if (!(pq > 0.0) || !std::isfinite(pq)) {
      // Only possible through round-off for an SPD operator: keep what we
      // have unless nothing was done.
      summary.success = i > 1;
      summary.message =
          "operator not positive definite along a search direction";
      return summary;
    }
    const double alpha = rho / pq;
    *x += alpha * p_;
    r_ -= alpha * q_;
    summary.x_a_x += alpha * rho;
    rho_previous = rho;

    // Q(x) = -½ xᵀ(b + r) for the current iterate.
    const double q_current = -0.5 * x->dot(b + r_);
    const double zeta = i * (q_current - q_previous) / q_current;
    if (i >= min_iterations && zeta < q_tolerance &&
        r_.norm() <= r_tolerance * b_norm) {
      summary.success = true;
      summary.message = "q-criterion satisfied";
      return summary;
    }
    q_previous = q_current;
    if (r_.norm() <= kVanishingResidual * b_norm) {
      summary.success = true;
      summary.message = "residual vanished";
      return summary;
    }
  }
  summary.success = true;
  summary.message = "maximum number of iterations";
  return summary;
}

}  // namespace ceres_varpro::internal
