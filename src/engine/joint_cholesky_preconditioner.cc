#include "engine/joint_cholesky_preconditioner.h"

#include <algorithm>

#include "engine/gram_solver.h"

namespace ceres_varpro::internal {
namespace {

// CG down to this many iterations is not worth a refactorisation.
constexpr int kFewIterations = 3;
// Cost of one CG iteration: four products with J (2 flops per nonzero), two
// triangular solves with this factor and two with the Gram factor (2 flops
// per factor entry each).
constexpr double kCgFlopsPerJacobianNonzero = 4 * 2.0;
constexpr double kCgFlopsPerFactorEntry = 2 * 2.0;

}  // namespace

JointCholeskyPreconditioner::JointCholeskyPreconditioner(
    const ReducedProblem& problem, int max_cg_iterations, bool always_refactor,
    SparseCholesky::Mode mode)
    // Lagged, the matrix is assembled a few times a solve: its tables would
    // cost more memory than they save time.
    : assembler_(problem.jacobian(), 0, problem.jacobian().num_col_blocks(),
                 problem.num_threads(), /*keep_tables=*/always_refactor),
      cholesky_(mode, problem.num_threads()),
      column_scale_(problem.jacobian().num_cols(), 1.0),
      diagonal_(problem.jacobian().num_cols(), 0.0),
      rhs_(problem.jacobian().num_cols(), 0.0),
      num_tangent_(problem.num_tangent()),
      max_cg_iterations_(max_cg_iterations),
      always_refactor_(always_refactor) {}

bool JointCholeskyPreconditioner::Update(ReducedProblem* problem,
                                         const double* scale, const double* d2,
                                         bool /*jacobian_changed*/,
                                         std::string* error) {
  if (factored_ && !refactor_ && !always_refactor_) return true;
  if (!analyzed_) {
    if (!cholesky_.Analyze(assembler_.num_cols(), assembler_.col_ptr(),
                           assembler_.row_index(), error,
                           &assembler_.block_starts())) {
      return false;
    }
    analyzed_ = true;
  }
  std::copy(scale, scale + num_tangent_, column_scale_.begin());
  std::copy(d2, d2 + num_tangent_, diagonal_.begin());
  const int* targets = nullptr;
  double* values = cholesky_.BeginAssembly(&targets, error);
  if (values == nullptr) {
    *error = "joint Cholesky preconditioner: " + *error;
    factored_ = false;
    return false;
  }
  assembler_.Assemble(problem->jacobian(), column_scale_.data(),
                      diagonal_.data(), values, targets);
  int failed_column = -1;
  if (!cholesky_.Factorize(&failed_column, error)) {
    *error = "joint Cholesky preconditioner: " + *error;
    factored_ = false;
    return false;
  }
  factorization_flops_ = cholesky_.factorization_flops();
  cg_flops_since_factorization_ = 0.0;
  const SparseGramSolver* sparse_gram = problem->sparse_gram();
  const double gram_factor =
      sparse_gram != nullptr ? sparse_gram->factor_nonzeros() : 0.0;
  flops_per_cg_iteration_ =
      kCgFlopsPerJacobianNonzero * problem->jacobian().num_nonzeros() +
      kCgFlopsPerFactorEntry *
          static_cast<double>(cholesky_.factor_nonzeros()) +
      kCgFlopsPerFactorEntry * gram_factor;
  ++num_factorizations_;
  factored_ = true;
  refactor_ = false;
  return true;
}

void JointCholeskyPreconditioner::Apply(const double* x, double* y) {
  std::copy(x, x + num_tangent_, rhs_.begin());
  std::fill(rhs_.begin() + num_tangent_, rhs_.end(), 0.0);
  cholesky_.Solve(rhs_.data(), rhs_.data());
  std::copy(rhs_.begin(), rhs_.begin() + num_tangent_, y);
}

void JointCholeskyPreconditioner::NotifyIterations(int cg_iterations,
                                                   double /*seconds*/) {
  cg_flops_since_factorization_ += cg_iterations * flops_per_cg_iteration_;
  if (cg_iterations > max_cg_iterations_) refactor_ = true;
  // A stale factor (the LM diagonal and the point have moved on) costs CG
  // iterations; refactor once they have cost as much as a factorisation.
  if (cg_iterations > kFewIterations &&
      cg_flops_since_factorization_ > factorization_flops_) {
    refactor_ = true;
  }
}

}  // namespace ceres_varpro::internal
