#include "engine/preconditioner.h"

#include <algorithm>

#include "Eigen/Cholesky"
#include "Eigen/Core"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;
using MatrixRef = Eigen::Map<RowMajorMatrix>;

}  // namespace

BlockJacobiPreconditioner::BlockJacobiPreconditioner(
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
  gram_blocks_.assign(total, 0.0);
  inverses_.assign(total, 0.0);
}

bool BlockJacobiPreconditioner::Update(ReducedProblem* problem,
                                       const double* scale, const double* d2,
                                       bool jacobian_changed,
                                       std::string* error) {
  const BlockSparseMatrix& j = problem->jacobian();
  bool ok = true;
  ParallelFor(num_threads_, 0, static_cast<int>(sizes_.size()),
              [&](int, int c) {
                const int n = sizes_[c];
                MatrixRef g(&gram_blocks_[storage_[c]], n, n);
                if (jacobian_changed) {
                  g.setZero();
                  for (const auto& e : j.column_entries(c)) {
                    const ConstMatrixRef a(j.values() + e.position,
                                           j.row_block_size(e.row_block), n);
                    g.noalias() += a.transpose() * a;
                  }
                }
                const double* s = scale + offsets_[c];
                Eigen::MatrixXd m(n, n);
                for (int a = 0; a < n; ++a) {
                  for (int b = 0; b < n; ++b) m(a, b) = s[a] * g(a, b) * s[b];
                  m(a, a) += d2[offsets_[c] + a];
                }
                Eigen::LLT<Eigen::MatrixXd> llt(m);
                if (llt.info() != Eigen::Success) {
#pragma omp atomic write
                  ok = false;
                  return;
                }
                MatrixRef(&inverses_[storage_[c]], n, n) =
                    llt.solve(Eigen::MatrixXd::Identity(n, n));
              });
  if (!ok) *error = "block-Jacobi preconditioner: a diagonal block is singular";
  return ok;
}

void BlockJacobiPreconditioner::Apply(const double* x, double* y) {
  ParallelFor(num_threads_, 0, static_cast<int>(sizes_.size()),
              [&](int, int c) {
                const int n = sizes_[c];
                Eigen::Map<Eigen::VectorXd>(y + offsets_[c], n).noalias() =
                    ConstMatrixRef(&inverses_[storage_[c]], n, n) *
                    Eigen::Map<const Eigen::VectorXd>(x + offsets_[c], n);
              });
}

JointCholeskyPreconditioner::JointCholeskyPreconditioner(
    const ReducedProblem& problem, int max_cg_iterations, bool always_refactor,
    SparseCholesky::Mode mode)
    : assembler_(problem.jacobian(), 0, problem.jacobian().num_col_blocks(),
                 problem.num_threads()),
      cholesky_(mode),
      values_(assembler_.num_nonzeros()),
      column_scale_(problem.jacobian().num_cols(), 1.0),
      diagonal_(problem.jacobian().num_cols(), 0.0),
      rhs_(problem.jacobian().num_cols(), 0.0),
      num_tangent_(problem.num_tangent()),
      max_cg_iterations_(max_cg_iterations),
      always_refactor_(always_refactor) {}

bool JointCholeskyPreconditioner::Update(ReducedProblem* problem,
                                         const double* scale, const double* d2,
                                         bool /*jacobian_changed*/,
                                         std::string* error) {
  if (factored_ && !refactor_ && !always_refactor_) return true;
  if (!analyzed_) {
    if (!cholesky_.Analyze(assembler_.num_cols(), assembler_.col_ptr(),
                           assembler_.row_index(), error)) {
      return false;
    }
    analyzed_ = true;
  }
  std::copy(scale, scale + num_tangent_, column_scale_.begin());
  std::copy(d2, d2 + num_tangent_, diagonal_.begin());
  assembler_.Assemble(problem->jacobian(), column_scale_.data(),
                      diagonal_.data(), values_.data());
  int failed_column = -1;
  if (!cholesky_.Factorize(values_.data(), &failed_column, error)) {
    *error = "joint Cholesky preconditioner: " + *error;
    factored_ = false;
    return false;
  }
  ++num_factorizations_;
  factored_ = true;
  refactor_ = false;
  return true;
}

void JointCholeskyPreconditioner::Apply(const double* x, double* y) {
  std::copy(x, x + num_tangent_, rhs_.begin());
  std::fill(rhs_.begin() + num_tangent_, rhs_.end(), 0.0);
  cholesky_.Solve(rhs_.data(), rhs_.data());
  std::copy(rhs_.begin(), rhs_.begin() + num_tangent_, y);
}

void JointCholeskyPreconditioner::NotifyIterations(int cg_iterations) {
  if (cg_iterations > max_cg_iterations_) refactor_ = true;
}

}  // namespace ceres_varpro::internal
