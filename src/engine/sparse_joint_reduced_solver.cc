#include "engine/sparse_joint_reduced_solver.h"

#include "Eigen/Core"
#include "engine/eigen_types.h"

namespace ceres_varpro::internal {

SparseJointReducedSolver::SparseJointReducedSolver(
    const ReducedProblem& problem, SparseCholesky::Mode mode)
    : factor_(problem, /*max_cg_iterations=*/0, /*always_refactor=*/true,
              mode) {}

ReducedLinearSolver::Summary SparseJointReducedSolver::Solve(
    ReducedProblem* problem, const double* scale, const double* d2,
    const double* gradient, double /*eta*/, bool jacobian_changed, double* y) {
  Summary summary;
  const int n = problem->num_tangent();
  if (!factor_.Update(problem, scale, d2, jacobian_changed, &summary.message)) {
    return summary;
  }
  // The θ part of H⁻¹[-s g; 0] is exactly -(s S s + D²)⁻¹ s g.
  Eigen::VectorXd rhs(n);
  for (int i = 0; i < n; ++i) rhs[i] = -scale[i] * gradient[i];
  factor_.Apply(rhs.data(), y);
  summary.num_iterations = 1;
  summary.success = VectorRef(y, n).allFinite();
  return summary;
}

}  // namespace ceres_varpro::internal
