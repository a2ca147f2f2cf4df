#ifndef CERES_VARPRO_ENGINE_DENSE_REDUCED_SOLVER_H_
#define CERES_VARPRO_ENGINE_DENSE_REDUCED_SOLVER_H_

#include <memory>
#include <vector>

#include "Eigen/Core"
#include "engine/eigen_types.h"
#include "engine/gram_assembler.h"
#include "engine/reduced_linear_solver.h"

namespace ceres_varpro::internal {

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
  void SubtractCoupledCorrection(ReducedProblem* problem);
  void FormIndependentSchurComplement(const ReducedProblem& problem);
  static void AddRowPair(const BlockSparseMatrix& j, int rows, int col_block_a,
                         int position_a, int col_block_b, int position_b,
                         Eigen::MatrixXd* target);
  // Subtracts E_kᵀ G_k⁻¹ E_k's upper block triangle from `target`
  // (column-major).
  struct Scratch;
  void AddBlockCorrection(const ReducedProblem& problem, int k,
                          Scratch* scratch, Eigen::MatrixXd* target);

  // J_θᵀJ_θ's pattern, for coupled linear blocks (built on first use).
  std::unique_ptr<GramAssembler> theta_assembler_;
  std::vector<double> theta_values_;
  // S: the upper triangle (the lower one is Solve's factor) and diag(S).
  Eigen::MatrixXd schur_;
  Eigen::VectorXd diagonal_;
  // The step's δ and (strictly upper S)δ, for δᵀSδ.
  Eigen::VectorXd delta_, product_;
  // Independent blocks: per thread, the correction and E_k's workspace.
  struct Scratch {
    RowMajorMatrix e_rows;  // E_k, row-major for the small kernel.
    std::vector<double> inverse, z;
    Eigen::VectorXd in, out;
  };
  // Threads 1 and up (thread 0 adds into schur_ directly).
  std::vector<Eigen::MatrixXd> thread_schur_;
  std::vector<Scratch> scratch_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_DENSE_REDUCED_SOLVER_H_
