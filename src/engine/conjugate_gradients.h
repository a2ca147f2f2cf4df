#ifndef CERES_VARPRO_ENGINE_CONJUGATE_GRADIENTS_H_
#define CERES_VARPRO_ENGINE_CONJUGATE_GRADIENTS_H_

#include <functional>
#include <string>

#include "Eigen/Core"

namespace ceres_varpro::internal {

// Preconditioned conjugate gradients for an SPD operator, with the
// termination rule Ceres uses inside Levenberg-Marquardt: stop when the
// quadratic model Q(x) = ½xᵀAx - bᵀx stalls (Nash & Sofer),
//   i (Q_i - Q_{i-1}) / Q_i < q_tolerance,
// and, in addition, the residual is small: ‖b - Ax‖ ≤ r_tolerance ‖b‖. The
// Q test alone stops while directions of small curvature (range bearings the
// linear blocks almost absorb) are still unresolved, and those steps lead
// Levenberg-Marquardt astray. Or stop after max_iterations. Work vectors are
// allocated once per size.
class ConjugateGradients {
 public:
  struct Summary {
    int num_iterations = 0;
    bool success = false;
    std::string message;
    // xᵀAx of the returned x, from the iterations' own scalars: Σ αᵢρᵢ
    // (x is Σ αᵢpᵢ over A-conjugate pᵢ, and αᵢ²pᵢᵀApᵢ = αᵢρᵢ). Saves the
    // caller another product with A; a sum of positive terms, so it stays
    // accurate where xᵀ(b - r) would cancel.
    double x_a_x = 0.0;
  };
  using Operator = std::function<void(const double* x, double* y)>;

  // x = 0 initially; x receives the solution.
  Summary Solve(const Operator& multiply, const Operator& precondition,
                const Eigen::VectorXd& b, double q_tolerance,
                double r_tolerance, int min_iterations, int max_iterations,
                Eigen::VectorXd* x);

 private:
  Eigen::VectorXd r_, z_, p_, q_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_CONJUGATE_GRADIENTS_H_
