#include "engine/schur_jacobi_preconditioner.h"

#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

const IndependentBlocks& CheckedIndependentBlocks(
    const ReducedProblem& problem) {
  CHECK(problem.independent_blocks() != nullptr)
      << "SCHUR_JACOBI needs independent linear blocks";
  return *problem.independent_blocks();
}

}  // namespace

SchurJacobiPreconditioner::SchurJacobiPreconditioner(
    const ReducedProblem& problem)
    : BlockDiagonalPreconditioner(problem),
      theta_side_(CheckedIndependentBlocks(problem)) {}

bool SchurJacobiPreconditioner::Update(ReducedProblem* problem,
                                       const double* scale, const double* d2,
                                       bool jacobian_changed,
                                       std::string* error) {
  if (jacobian_changed) {
    const BlockSparseMatrix& j = problem->jacobian();
    const BlockDiagonalGramSolver& gram = *problem->block_gram();
    const double* v = j.values();
    ParallelFor(num_threads(), 0, num_blocks(), [&](int, int c) {
      const int n = block_size(c);
      MatrixRef s = SetToColumnGram(j, c);
      // Subtract E_kcᵀ G_k⁻¹ E_kc block by block (links are sorted by k).
      const Span<IndependentBlocks::Link> links = theta_side_.links(c);
      Eigen::MatrixXd e, z;
      Eigen::VectorXd in, out;
      for (int i = 0; i < links.size();) {
        const int k = links[i].block;
        const int p = gram.block_size(k);
        e.setZero(p, n);
        for (; i < links.size() && links[i].block == k; ++i) {
          const int m = j.row_block_size(links[i].row_block);
          e.noalias() +=
              ConstMatrixRef(v + links[i].linear_position, m, p).transpose() *
              ConstMatrixRef(v + links[i].theta_position, m, n);
        }
        z.resize(p, n);
        in.resize(p);
        out.resize(p);
        for (int col = 0; col < n; ++col) {
          in = e.col(col);
          gram.SolveBlock(k, in.data(), out.data());
          z.col(col) = out;
        }
        s.noalias() -= e.transpose() * z;
      }
    });
  }
  return InvertScaledBlocks(scale, d2, error);
}

}  // namespace ceres_varpro::internal
