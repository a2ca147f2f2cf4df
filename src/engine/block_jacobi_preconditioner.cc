#include "engine/block_jacobi_preconditioner.h"

#include "engine/eigen_types.h"
#include "engine/parallel_for.h"

namespace ceres_varpro::internal {

BlockJacobiPreconditioner::BlockJacobiPreconditioner(
    const ReducedProblem& problem)
    : BlockDiagonalPreconditioner(problem) {}

bool BlockJacobiPreconditioner::Update(ReducedProblem* problem,
                                       const double* scale, const double* d2,
                                       bool jacobian_changed,
                                       std::string* error) {
  if (jacobian_changed) {
    const BlockSparseMatrix& j = problem->jacobian();
    ParallelFor(num_threads(), 0, num_blocks(), [&](int, int c) {
      const int n = block_size(c);
      MatrixRef g(block(c), n, n);
      g.setZero();
      for (const auto& e : j.column_entries(c)) {
        const ConstMatrixRef a(j.values() + e.position,
                               j.row_block_size(e.row_block), n);
        g.noalias() += a.transpose() * a;
      }
    });
  }
  return InvertScaledBlocks(scale, d2, error);
}

}  // namespace ceres_varpro::internal
