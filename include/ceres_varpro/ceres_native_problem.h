#ifndef CERES_VARPRO_CERES_NATIVE_PROBLEM_H_
#define CERES_VARPRO_CERES_NATIVE_PROBLEM_H_

#include <memory>
#include <string>

#include "ceres/problem.h"
#include "ceres_varpro/solver.h"

namespace ceres_varpro {

// Ceres-native variable projection, for problems whose linear blocks are
// independent (no residual block touches two of them: bundle-adjustment
// points, landmarks seen from known-structure poses). It builds a reduced
// ceres::Problem over the nonlinear blocks only, so that plain ceres::Solve,
// with any of its linear solvers and trust-region strategies, optimises
// f(θ) = min_l F(θ, l):
//
//  * an EvaluationCallback solves every linear block at each new point
//    (exactly when affine, by inner Gauss-Newton otherwise) and writes l*
//    into the user's memory;
//  * each linear block's residual blocks are replaced by one reduced residual
//    block: [Q₂ᵀr; c] with Jacobian [Q₂ᵀJ_θ; 0], where A = [Q₁ Q₂]R is the
//    QR factorisation of the block's Jacobian. Then JᵀJ is the Schur
//    complement, Jᵀr the exact reduced gradient, and c (zero without robust
//    losses) makes ½‖·‖² equal the group's robust cost. A block that is
//    numerically degenerate at the point (a bundle-adjustment point whose
//    rays are nearly parallel) keeps its degenerate direction: Q₁ spans only
//    the directions A determines (column-pivoted QR), as the inner solves
//    do not move it along the other;
//  * residual blocks touching no linear block are added unchanged.
//
// Parameter blocks, manifolds and cost functions stay the user's (not owned);
// the original problem must outlive this object and must not change.
//
//   std::string error;
//   auto native = CeresNativeProblem::Create(options, &problem, &error);
//   ceres::Solve(ceres_options, native->reduced_problem(), &summary);
//   native->WriteLinearSolution(&error);   // l*(θ_final) into the l blocks
//
// Pitfalls handled: residuals touching only fixed blocks are kept (Ceres
// freezes them into fixed_cost, as it should); ceres::Solve rejects inner
// iterations when a callback is present; check_gradients would bypass the
// callback and must not be used; after ceres::Solve the linear blocks hold
// the last evaluated point, hence WriteLinearSolution().
class CeresNativeProblem {
 public:
  // Uses linear_parameter_blocks, allow_nonlinear_elimination, num_threads,
  // max_inner_iterations, inner_iteration_tolerance, gauge_policy and the
  // structure_check_* fields of options.
  static std::unique_ptr<CeresNativeProblem> Create(
      const Solver::Options& options, ceres::Problem* problem,
      std::string* error);
  ~CeresNativeProblem();

  ceres::Problem* reduced_problem();
  // Solves the linear blocks for the θ now in memory and writes them.
  bool WriteLinearSolution(std::string* error);
  // Regime, eliminated blocks, inner iterations, timings.
  const VarProStatistics& statistics() const;
  // Cost F(θ, l) of the original problem at the point given to Create.
  double initial_cost() const;

  class Impl;

 private:
  explicit CeresNativeProblem(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Create + ceres::Solve(options) + WriteLinearSolution, filling a summary
// like ceres_varpro::Solve does. options are passed to ceres::Solve as they
// are (linear_solver_type, preconditioner_type, ... all apply).
void SolveWithCeres(const Solver::Options& options, ceres::Problem* problem,
                    Solver::Summary* summary);

}  // namespace ceres_varpro

#endif  // CERES_VARPRO_CERES_NATIVE_PROBLEM_H_
