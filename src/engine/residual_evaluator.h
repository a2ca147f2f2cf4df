#ifndef CERES_VARPRO_ENGINE_RESIDUAL_EVALUATOR_H_
#define CERES_VARPRO_ENGINE_RESIDUAL_EVALUATOR_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/block_sparse_matrix.h"
#include "engine/program.h"

namespace ceres_varpro::internal {

// Calls the user's CostFunctions directly (Problem::Evaluate must not be used
// during a solve), in parallel, at the point held in the user's memory.
// Jacobians of nonlinear blocks are mapped to the tangent space through each
// manifold's PlusJacobian, and robust losses are applied with the same
// second-order correction Ceres uses (Triggs et al.), so residuals and
// Jacobians are the "corrected" ones whose Gauss-Newton model Ceres's own
// trust region would use.
class ResidualEvaluator {
 public:
  // kLinearByDifferences: the linear columns by forward differences of
  // residual-only evaluations. Exact up to rounding only for residual blocks
  // affine in their linear blocks (the exact elimination regimes), where it
  // replaces one AutoDiff evaluation, whose Jets carry every parameter, by a
  // few plain ones.
  enum class Columns { kNone, kLinear, kAll, kLinearByDifferences };

  ResidualEvaluator(const Program* program, int num_threads);

  // A Jacobian with one row block per active residual block and the
  // program's column blocks.
  std::unique_ptr<BlockSparseMatrix> CreateJacobian() const;
  int num_residuals() const { return num_residuals_; }
  int num_threads() const { return num_threads_; }

  // Evaluates every active residual block. Jacobian cells of the requested
  // columns are overwritten, others are left alone. Returns false if a cost
  // function fails or produces a non-finite value; error() then names it.
  // row_costs (optional) receives each row block's cost.
  bool Evaluate(Columns columns, double* cost, double* residuals,
                BlockSparseMatrix* jacobian, double* row_costs = nullptr);

  // Computes the PlusJacobians of the nonlinear blocks at the point in the
  // user's memory, for EvaluateRowBlock(kAll). Evaluate(kAll) does it itself.
  bool UpdatePlusJacobians();
  // Evaluates one row block on behalf of thread `thread_id` (inner per-block
  // solves). With kAll, the PlusJacobians from the last UpdatePlusJacobians()
  // are used. residuals points at the row block's own residuals.
  bool EvaluateRowBlock(int row_block, Columns columns, int thread_id,
                        double* cost, double* residuals,
                        BlockSparseMatrix* jacobian);

  const std::string& error() const { return error_; }

 private:
  struct Scratch {
    std::vector<double> jacobians;
    std::vector<double*> jacobian_pointers;
    std::vector<const double*> parameters;
    // kLinearByDifferences: a moved copy of one block, and its residuals.
    std::vector<double> moved;
    std::vector<double> moved_residuals;
  };
  std::shared_ptr<const BlockSparseMatrix::Layout> BuildLayout() const;
  void RecordFailure(int residual_block, const char* what);
  template <bool kDifferences>
  bool EvaluateRowBlock(int row_block, Columns columns, int thread_id,
                        double* cost, double* residuals,
                        BlockSparseMatrix* jacobian);
  // The two halves of EvaluateRowBlock after the CostFunction ran (r is the
  // residual block, row_block its row block).
  bool StoreJacobians(int r, int row_block, const Scratch& s,
                      BlockSparseMatrix* jacobian);
  bool ApplyLoss(int r, int row_block, const Scratch& s, double sq_norm,
                 double* cost, double* residuals, BlockSparseMatrix* jacobian);

  const Program* program_;
  int num_threads_;
  std::shared_ptr<const BlockSparseMatrix::Layout> layout_;
  int num_residuals_ = 0;
  // For row block r, its k-th parameter's cell position (or -1) starts at
  // cell_positions_[cell_positions_begin_[r] + k].
  std::vector<int> cell_positions_begin_;
  std::vector<int> cell_positions_;
  // PlusJacobian (ambient x tangent, row-major) of every nonlinear column
  // block with a manifold, at plus_jacobian_offsets_[c] (-1 without one):
  // one array, not one allocation per block (10⁵ bearings).
  std::vector<double> plus_jacobians_;
  std::vector<int> plus_jacobian_offsets_;
  std::vector<Scratch> scratch_;
  std::string error_;
  int failed_residual_block_ = -1;
  std::mutex failure_mutex_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_RESIDUAL_EVALUATOR_H_
