#include "engine/block_jacobi_preconditioner.h"

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
    ParallelFor(num_threads(), 0, num_blocks(),
                [&](int, int c) { SetToColumnGram(j, c); });
  }
  return InvertScaledBlocks(scale, d2, error);
}

}  // namespace ceres_varpro::internal
