#include "engine/block_diagonal_preconditioner.h"

#include <atomic>
#include <cmath>

#include "Eigen/Cholesky"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"

namespace ceres_varpro::internal {
namespace {

// Blocks up to this size (every θ block of the perception problems: poses,
// cameras, bearings) are inverted without touching the heap; this runs once
// per CG solve over up to ~10⁵ blocks.
constexpr int kMaxStackBlockSize = 16;

// Inverse of s·b·s + diag(d2) into inverse (all n x n, row-major); false if
// not positive definite. Matrix is fixed-size for the common blocks (2D and
// 3D rotations): the dynamic path's bookkeeping costs more than the 3 x 3
// arithmetic, over up to ~10⁵ blocks per CG solve.
template <typename Matrix>
bool InvertScaledBlock(const double* b, const double* s, const double* d2,
                       int n, double* inverse) {
  Matrix m(n, n);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n; ++k) m(i, k) = s[i] * b[i * n + k] * s[k];
    m(i, i) += d2[i];
  }
  const Eigen::LLT<Matrix> llt(m);
  if (llt.info() != Eigen::Success) return false;
  Eigen::Map<Matrix>(inverse, n, n) = llt.solve(Matrix::Identity(n, n));
  return true;
}

// 1 x 1 (bearings): the LLT's arithmetic (l = √m, then 1/l/l), so the
// inverse has the same bits as through the general path.
bool InvertScaledScalar(const double* b, const double* s, const double* d2,
                        double* inverse) {
  const double m = s[0] * b[0] * s[0] + d2[0];
  if (m <= 0.0) return false;
  const double l = std::sqrt(m);
  inverse[0] = 1.0 / l / l;
  return true;
}

template <int N>
using FixedMatrix = Eigen::Matrix<double, N, N, Eigen::RowMajor>;
using StackMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor,
                  kMaxStackBlockSize, kMaxStackBlockSize>;

template <int N>
void MultiplyBlock(const double* inverse, const double* x, double* y) {
  using Vector = Eigen::Matrix<double, N, 1>;
  Eigen::Map<Vector>(y).noalias() =
      Eigen::Map<const FixedMatrix<N>>(inverse) * Eigen::Map<const Vector>(x);
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
    const double* b = &blocks_[storage_[c]];
    const double* s = scale + offsets_[c];
    const double* d = d2 + offsets_[c];
    double* inverse = &inverses_[storage_[c]];
    bool positive;
    switch (n) {
      case 1:
        positive = InvertScaledScalar(b, s, d, inverse);
        break;
      case 2:
        positive = InvertScaledBlock<FixedMatrix<2>>(b, s, d, n, inverse);
        break;
      case 3:
        positive = InvertScaledBlock<FixedMatrix<3>>(b, s, d, n, inverse);
        break;
      default:
        positive = n <= kMaxStackBlockSize
                       ? InvertScaledBlock<StackMatrix>(b, s, d, n, inverse)
                       : InvertScaledBlock<RowMajorMatrix>(b, s, d, n, inverse);
    }
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
    const double* a = jacobian.values() + e.position;
    AddTransposeProduct(a, a, jacobian.row_block_size(e.row_block), n, n,
                        g.data(), n);
  }
  return g;
}

void BlockDiagonalPreconditioner::Apply(const double* x, double* y) {
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int c) {
    const int n = sizes_[c];
    const double* inverse = &inverses_[storage_[c]];
    const double* xc = x + offsets_[c];
    double* yc = y + offsets_[c];
    switch (n) {
      case 1:
        yc[0] = inverse[0] * xc[0];
        break;
      case 2:
        MultiplyBlock<2>(inverse, xc, yc);
        break;
      case 3:
        MultiplyBlock<3>(inverse, xc, yc);
        break;
      default:
        VectorRef(yc, n).noalias() =
            ConstMatrixRef(inverse, n, n) * ConstVectorRef(xc, n);
    }
  });
}

}  // namespace ceres_varpro::internal
