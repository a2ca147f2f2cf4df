#include "engine/block_diagonal_preconditioner.h"

#include <atomic>

#include "Eigen/Cholesky"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"

namespace ceres_varpro::internal {
namespace {

// Blocks up to this size (every θ block of the perception problems: poses,
// cameras, bearings) are inverted without touching the heap; this runs once
// per CG solve over up to ~10⁵ blocks.
constexpr int kMaxStackBlockSize = 16;

// Inverse of s·b·s + diag(d2) into inverse; false if not positive definite.
template <typename Matrix>
bool InvertScaledBlock(const ConstMatrixRef& b, const double* s,
                       const double* d2, MatrixRef inverse) {
  const int n = static_cast<int>(b.rows());
  Matrix m(n, n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) m(i, k) = s[i] * b(i, k) * s[k];
    m(i, i) += d2[i];
  }
  const Eigen::LLT<Matrix> llt(m);
  if (llt.info() != Eigen::Success) return false;
  inverse = llt.solve(Matrix::Identity(n, n));
  return true;
}

}  // namespace

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
    const double* d = d2 + offsets_[c];
    const MatrixRef inverse(&inverses_[storage_[c]], n, n);
    using StackMatrix =
        Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor,
                      kMaxStackBlockSize, kMaxStackBlockSize>;
    const bool positive =
        n <= kMaxStackBlockSize
            ? InvertScaledBlock<StackMatrix>(b, s, d, inverse)
            : InvertScaledBlock<Eigen::MatrixXd>(b, s, d, inverse);
    if (!positive) ok.store(false, std::memory_order_relaxed);
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
