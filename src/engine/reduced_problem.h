#ifndef CERES_VARPRO_ENGINE_REDUCED_PROBLEM_H_
#define CERES_VARPRO_ENGINE_REDUCED_PROBLEM_H_

#include "Eigen/Core"
#include "engine/eliminator.h"
#include "engine/program.h"

namespace ceres_varpro::internal {

// The reduced problem f(θ) = min_l F(θ, l), seen by the trust-region loop:
// cost, exact gradient J_θᵀr at (θ, l*(θ)), and the Gauss-Newton model
// S = J_θᵀ(I - A G⁻¹ Aᵀ)J_θ applied matrix-free. θ lives in ambient
// coordinates (x), steps in tangent coordinates. Products use the point where
// Jacobians were last evaluated (the eliminator's current()).
class ReducedProblem {
 public:
  ReducedProblem(Program* program, Eliminator* eliminator, int num_threads,
                 double fixed_cost);

  int num_ambient() const { return program_->num_theta_ambient(); }
  int num_tangent() const { return program_->num_theta_tangent(); }
  int num_linear() const { return program_->num_linear_parameters(); }
  int num_nonlinear_columns() const {
    return program_->num_nonlinear_columns();
  }

  // Cost at x (θ written to the user's memory, l* computed). False if the
  // cost functions or the elimination failed there.
  bool Evaluate(const double* x, double* cost);
  // Jacobian, gradient (tangent) and cost at x. With new_point=false, x must
  // be the point of the last Evaluate().
  bool EvaluateJacobian(const double* x, bool new_point, double* cost,
                        double* gradient);
  bool Plus(const double* x, const double* delta, double* x_plus) const;
  // Makes jacobian() the current point's again after a candidate that was
  // not accepted (Eliminator::RestoreCurrentJacobian). False if that fails.
  bool RestoreCurrentJacobian() {
    return eliminator_->RestoreCurrentJacobian();
  }

  // y = S x, and xᵀ S x, at the current point.
  void SchurMultiply(const double* x, double* y);
  double SchurQuadraticForm(const double* x);
  // Squared column norms of J_θ at the current point.
  void SquaredColumnNorm(double* out) const;

  const BlockSparseMatrix& jacobian() const {
    return *eliminator_->current().jacobian;
  }
  // G = AᵀA factored at the current point (valid with linear blocks).
  GramSolver& gram() { return *eliminator_->mutable_current()->gram; }
  // The same, typed: block diagonal when the linear blocks are independent
  // (null otherwise), sparse when they are coupled (null otherwise).
  const BlockDiagonalGramSolver* block_gram() const {
    return eliminator_->current().block_gram.get();
  }
  const SparseGramSolver* sparse_gram() const {
    return eliminator_->current().sparse_gram.get();
  }
  // Rows and θ cells of each linear block, when they are independent.
  const IndependentBlocks* independent_blocks() const {
    return eliminator_->independent_blocks();
  }
  const Eliminator& eliminator() const { return *eliminator_; }
  Program* program() { return program_; }
  int num_threads() const { return num_threads_; }
  double fixed_cost() const { return fixed_cost_; }

  // Writes θ = x and the current point's l* into the user's memory.
  void WriteCurrentToUser(const double* x);
  // WriteCurrentToUser for the solution the solve returns: l* first brought
  // to the full inner tolerance where it is not (Eliminator::FinishCurrent).
  void WriteSolutionToUser(const double* x);

 private:
  // rows_ = (I - A G⁻¹ Aᵀ) J_θ x; y += J_θᵀ rows_ unless y is null.
  void ProjectedProduct(const double* x, double* y);

  Program* program_;
  Eliminator* eliminator_;
  int num_threads_;
  double fixed_cost_;
  Eigen::VectorXd rows_, cols_;  // ProjectedProduct scratch.
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_REDUCED_PROBLEM_H_
