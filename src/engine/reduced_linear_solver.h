#ifndef CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_
#define CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_

#include <memory>
#include <string>

#include "ceres_varpro/types.h"
#include "engine/reduced_problem.h"
#include "engine/sparse_cholesky.h"
#include "engine/structure_analyzer.h"

namespace ceres_varpro::internal {

// Computes the Levenberg-Marquardt step of the reduced problem in Jacobi-
// scaled coordinates:  y = -(s S s + D²)⁻¹ s g,  where S is the Schur
// complement at the current point, s the column scaling and D² the LM
// diagonal. The step in tangent coordinates is then s ⊙ y. Implementations:
// IterativeReducedSolver, DenseReducedSolver, SparseJointReducedSolver.
class ReducedLinearSolver {
 public:
  struct Options {
    ReducedLinearSolverType type = ReducedLinearSolverType::AUTO;
    ReducedPreconditionerType preconditioner_type =
        ReducedPreconditionerType::AUTO;
    // CG iteration bounds (ITERATIVE).
    int min_num_iterations = 0;
    int max_num_iterations = 500;
    // JOINT_CHOLESKY: refactor when the last CG solve needed more iterations.
    int lagged_factorization_max_cg_iterations = 10;
    // AUTO picks DENSE up to this many reduced (tangent) parameters.
    int max_dense_reduced_parameters = 600;
    // Factorisation kind of the JOINT_CHOLESKY preconditioner.
    SparseCholesky::Mode cholesky_mode = SparseCholesky::Mode::kAuto;
  };

  struct Summary {
    int num_iterations = 0;
    bool success = false;
    std::string message;
    // yᵀ diag(scale) S diag(scale) y = δᵀSδ for the step, when the solver
    // knows it without another product with S (negative: not known).
    double quadratic_form = -1.0;
  };

  // The solver the options ask for, with AUTO resolved for this problem
  // (written to *type_used and *preconditioner_used).
  static std::unique_ptr<ReducedLinearSolver> Create(
      const Options& options, const StructureAnalysis& analysis,
      const ReducedProblem& problem, ReducedLinearSolverType* type_used,
      ReducedPreconditionerType* preconditioner_used);

  virtual ~ReducedLinearSolver() = default;
  virtual Summary Solve(ReducedProblem* problem, const double* scale,
                        const double* d2, const double* gradient, double eta,
                        bool jacobian_changed, double* y) = 0;
  virtual int num_factorizations() const { return 0; }
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_
