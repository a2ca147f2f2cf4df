#include "engine/block_diagonal_preconditioner.h"

#include <atomic>

#include "Eigen/Cholesky"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"

namespace ceres_varpro::internal {

BlockDiagonalPreconditioner::BlockDiagonalPreconditioner(
    const ReducedProblem& problem)
    : num_threads_(problem.num_threads()) {
  const BlockSparseMatrix& j = problem.jacobian();
  int total = 0;
  for (int c = 0; c < problem.num_nonlinear_columns(); ++c) {
    offsets_.push_back(j.col_block_offset(c));
    sizes_.push_back(j.col_block_size(c));
    storage_.push_back(total);
    total += sizes_.back() * sizes_.back();
  }
  blocks_.assign(total, 0.0);
  inverses_.assign(total, 0.0);
}

bool BlockDiagonalPreconditioner::InvertScaledBlocks(const double* scale,
                                                     const double* d2,
                                                     std::string* error) {
  std::atomic<bool> ok{true};
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int c) {
    const int n = sizes_[c];
    const ConstMatrixRef b(&blocks_[storage_[c]], n, n);
    const double* s = scale + offsets_[c];
    Eigen::MatrixXd m(n, n);
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < n; ++k) m(i, k) = s[i] * b(i, k) * s[k];
      m(i, i) += d2[offsets_[c] + i];
    }
    Eigen::LLT<Eigen::MatrixXd> llt(m);
    if (llt.info() != Eigen::Success) {
      ok.store(false, std::memory_order_relaxed);
      return;
    }
    MatrixRef(&inverses_[storage_[c]], n, n) =
        llt.solve(Eigen::MatrixXd::Identity(n, n));
  });
  if (!ok) {
    *error = "a diagonal block of the preconditioner is not positive definite";
  }
  return ok;
}

MatrixRef BlockDiagonalPreconditioner::SetToColumnGram(
    const BlockSparseMatrix& jacobian, int c) {
  const int n = sizes_[c];
  MatrixRef g(&blocks_[storage_[c]], n, n);
  g.setZero();
  for (const auto& e : jacobian.column_entries(c)) {
    const ConstMatrixRef a(jacobian.values() + e.position,
                           jacobian.row_block_size(e.row_block), n);
    g.noalias() += a.transpose() * a;
  }
  return g;
}

void BlockDiagonalPreconditioner::Apply(const double* x, double* y) {
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int c) {
    const int n = sizes_[c];
    VectorRef(y + offsets_[c], n).noalias() =
        ConstMatrixRef(&inverses_[storage_[c]], n, n) *
        ConstVectorRef(x + offsets_[c], n);
  });
}

}  // namespace ceres_varpro::internal
