#include "engine/reduced_problem.h"

#include <cmath>

#include "glog/logging.h"

namespace ceres_varpro::internal {

ReducedProblem::ReducedProblem(Program* program, Eliminator* eliminator,
                               int num_threads, double fixed_cost)
    : program_(program),
      eliminator_(eliminator),
      num_threads_(num_threads),
      fixed_cost_(fixed_cost) {}

bool ReducedProblem::Evaluate(const double* x, double* cost) {
  program_->SetTheta(x);
  eliminator_->PrepareForEvaluation(/*evaluate_jacobians=*/false,
                                    /*new_evaluation_point=*/true);
  if (!eliminator_->ok()) return false;
  *cost = eliminator_->last().cost + fixed_cost_;
  return std::isfinite(*cost);
}

bool ReducedProblem::EvaluateJacobian(const double* x, bool new_point,
                                      double* cost, double* gradient) {
  // Without a new point the Jacobian is taken where Evaluate() left the
  // elimination, which must be x.
  if (new_point) program_->SetTheta(x);
  eliminator_->PrepareForEvaluation(/*evaluate_jacobians=*/true, new_point);
  if (!eliminator_->ok()) return false;
  const Eliminator::Workspace& w = eliminator_->current();
  *cost = w.cost + fixed_cost_;
  if (gradient == nullptr) return std::isfinite(*cost);
  // ∇f = J_θᵀ r at (θ, l*): exact because ∂F/∂l = Aᵀr = 0 there.
  Eigen::Map<Eigen::VectorXd>(gradient, num_tangent()).setZero();
  const double* r = w.gradient_residuals != nullptr ? w.gradient_residuals
                                                    : w.residuals.data();
  w.jacobian->LeftMultiply(r, gradient, 0, program_->num_nonlinear_columns(),
                           num_threads_);
  return std::isfinite(*cost);
}

bool ReducedProblem::Plus(const double* x, const double* delta,
                          double* x_plus) const {
  return program_->Plus(x, delta, x_plus, num_threads_);
}

// rows_ = (I - A G⁻¹ Aᵀ) J_θ x, and y += J_θᵀ rows_ when y is not null.
// Two passes over J: J_θ x with Aᵀ of it, then A w with J_θᵀ of the sum.
void ReducedProblem::ProjectedProduct(const double* x, double* y) {
  const BlockSparseMatrix& j = jacobian();
  if (rows_.size() == 0) {
    // Sized at the first product: solvers that form S never need them.
    rows_ = Eigen::VectorXd::Zero(j.num_rows());
    cols_ = Eigen::VectorXd::Zero(num_tangent() + num_linear());
  }
  const int nc = program_->num_nonlinear_columns();
  const int end = program_->num_column_blocks();
  if (num_linear() == 0) {
    j.MultiplyThenTransposeMultiply(x, 0, nc, 0, y != nullptr ? nc : 0,
                                    /*accumulate=*/false, rows_.data(), y,
                                    num_threads_);
    return;
  }
  double* linear = cols_.data() + num_tangent();
  Eigen::Map<Eigen::VectorXd>(linear, num_linear()).setZero();
  j.MultiplyThenTransposeMultiply(x, 0, nc, nc, end, /*accumulate=*/false,
                                  rows_.data(), cols_.data(), num_threads_);
  gram().Solve(linear, linear);
  for (int i = 0; i < num_linear(); ++i) linear[i] = -linear[i];
  j.MultiplyThenTransposeMultiply(cols_.data(), nc, end, 0,
                                  y != nullptr ? nc : 0, /*accumulate=*/true,
                                  rows_.data(), y, num_threads_);
}

void ReducedProblem::SchurMultiply(const double* x, double* y) {
  Eigen::Map<Eigen::VectorXd>(y, num_tangent()).setZero();
  ProjectedProduct(x, y);
}

double ReducedProblem::SchurQuadraticForm(const double* x) {
  // xᵀSx = ‖P⊥ J_θ x‖² since P⊥ is an orthogonal projector.
  ProjectedProduct(x, nullptr);
  return rows_.squaredNorm();
}

void ReducedProblem::SquaredColumnNorm(double* out) const {
  // The θ columns come first: their global offsets are out's.
  jacobian().SquaredColumnNorm(out, 0, num_nonlinear_columns(), num_threads_);
}

void ReducedProblem::WriteCurrentToUser(const double* x) {
  program_->SetTheta(x);
  if (num_linear() > 0)
    program_->SetLinear(eliminator_->current().linear.data());
}

void ReducedProblem::WriteSolutionToUser(const double* x) {
  // θ first: FinishCurrent solves at the θ in the user's memory.
  program_->SetTheta(x);
  if (num_linear() == 0) return;
  eliminator_->FinishCurrent();
  program_->SetLinear(eliminator_->current().linear.data());
}

}  // namespace ceres_varpro::internal
