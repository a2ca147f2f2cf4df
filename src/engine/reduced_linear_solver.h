#ifndef CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_
#define CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_

#include <memory>
#include <string>

#include "Eigen/Core"
#include "ceres_varpro/types.h"
#include "engine/conjugate_gradients.h"
#include "engine/gram_solver.h"
#include "engine/preconditioner.h"
#include "engine/reduced_problem.h"

namespace ceres_varpro::internal {

// Computes the Levenberg-Marquardt step of the reduced problem in Jacobi-
// scaled coordinates:  y = -(s S s + D²)⁻¹ s g,  where S is the Schur
// complement at the current point, s the column scaling and D² the LM
// diagonal. The step in tangent coordinates is then s ⊙ y.
class ReducedLinearSolver {
 public:
  struct Summary {
    int num_iterations = 0;
    bool success = false;
    std::string message;
  };
  virtual ~ReducedLinearSolver() = default;
  virtual Summary Solve(ReducedProblem* problem, const double* scale,
                        const double* d2, const double* gradient, double eta,
                        bool jacobian_changed, double* y) = 0;
  virtual int num_factorizations() const { return 0; }
};

// Matrix-free: PCG on v -> s S (s v) + D² v.
class IterativeReducedSolver : public ReducedLinearSolver {
 public:
  IterativeReducedSolver(std::unique_ptr<Preconditioner> preconditioner,
                         int min_iterations, int max_iterations);
  Summary Solve(ReducedProblem* problem, const double* scale, const double* d2,
                const double* gradient, double eta, bool jacobian_changed,
                double* y) override;
  int num_factorizations() const override {
    return preconditioner_->num_factorizations();
  }

 private:
  std::unique_ptr<Preconditioner> preconditioner_;
  int min_iterations_;
  int max_iterations_;
  ConjugateGradients cg_;
  Eigen::VectorXd b_, x_, scaled_;
};

// Forms S densely (J_θᵀJ_θ minus BᵀG⁻¹B with B = AᵀJ_θ) and factors it.
// Exact; for small reduced problems.
class DenseReducedSolver : public ReducedLinearSolver {
 public:
  explicit DenseReducedSolver(const ReducedProblem& problem);
  Summary Solve(ReducedProblem* problem, const double* scale, const double* d2,
                const double* gradient, double eta, bool jacobian_changed,
                double* y) override;

 private:
  void FormSchurComplement(ReducedProblem* problem);
  void SubtractIndependentCorrection(ReducedProblem* problem,
                                     const BlockDiagonalGramSolver& gram);
  GramAssembler theta_assembler_;
  std::vector<Eigen::MatrixXd> thread_schur_;
  // Independent blocks: per linear block, the θ column blocks it touches
  // (with their offset in its E matrix) and, per row, where the cells are.
  struct GroupCell {
    int position;  // θ cell in the Jacobian.
    int local;     // Offset of its columns in E.
    int size;
  };
  struct GroupRow {
    int rows;
    int linear_position;
    int first_cell, end_cell;  // Into group_cells_.
  };
  struct Group {
    std::vector<int> cols;  // θ column blocks, sorted.
    std::vector<int> local;
    int width = 0;
    int first_row = 0, end_row = 0;  // Into group_rows_.
  };
  std::vector<Group> groups_;
  std::vector<GroupRow> group_rows_;
  std::vector<GroupCell> group_cells_;
  struct Scratch {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
        e_rows;
    std::vector<double> inverse, z;
    Eigen::VectorXd in, out;
  };
  std::vector<Scratch> scratch_;
  std::vector<double> theta_values_;
  Eigen::MatrixXd schur_;
};

// The joint Gauss-Newton matrix factored exactly at every step.
class SparseJointReducedSolver : public ReducedLinearSolver {
 public:
  SparseJointReducedSolver(const ReducedProblem& problem,
                           SparseCholesky::Mode mode);
  Summary Solve(ReducedProblem* problem, const double* scale, const double* d2,
                const double* gradient, double eta, bool jacobian_changed,
                double* y) override;
  int num_factorizations() const override {
    return factor_.num_factorizations();
  }

 private:
  JointCholeskyPreconditioner factor_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_REDUCED_LINEAR_SOLVER_H_
