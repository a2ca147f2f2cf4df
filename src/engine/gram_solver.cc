#include "engine/gram_solver.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "Eigen/Core"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

// The parameter block owning linear column `local_col`.
int LinearBlockOfColumn(const Program& program, int local_col) {
  for (int c = program.num_nonlinear_columns(); c < program.num_column_blocks();
       ++c) {
    const int p = program.column_parameter_blocks()[c];
    const auto& pb = program.parameter_blocks()[p];
    if (local_col >= pb.state_offset && local_col < pb.state_offset + pb.size) {
      return p;
    }
  }
  return -1;
}

}  // namespace

SparseGramSolver::SparseGramSolver(const Program* program,
                                   const BlockSparseMatrix& jacobian,
                                   int num_threads, SparseCholesky::Mode mode)
    : program_(program),
      assembler_(std::make_shared<const GramAssembler>(
          jacobian, program->num_nonlinear_columns(),
          program->num_column_blocks(), num_threads)),
      cholesky_(mode, num_threads) {}

SparseGramSolver::SparseGramSolver(const SparseGramSolver& pattern)
    : program_(pattern.program_),
      assembler_(pattern.assembler_),
      cholesky_(pattern.cholesky_.mode(), pattern.cholesky_.num_threads()) {
  analyzed_ = pattern.analyzed_ && cholesky_.CopyAnalysis(pattern.cholesky_);
}

std::shared_ptr<SparseGramSolver> SparseGramSolver::Twin() {
  // A failed analysis is left to each solver's Factorize to report.
  std::string error;
  Analyze(&error);
  return std::shared_ptr<SparseGramSolver>(new SparseGramSolver(*this));
}

bool SparseGramSolver::Analyze(std::string* error) {
  if (!analyzed_) {
    analyzed_ = cholesky_.Analyze(assembler_->num_cols(), assembler_->col_ptr(),
                                  assembler_->row_index(), error);
  }
  return analyzed_;
}

bool SparseGramSolver::Factorize(const BlockSparseMatrix& jacobian,
                                 std::string* error) {
  if (!Analyze(error)) return false;
  assembler_->Assemble(jacobian, nullptr, nullptr, cholesky_.mutable_values());
  int failed_column = -1;
  std::string cholmod_error;
  if (!cholesky_.Factorize(&failed_column, &cholmod_error)) {
    const int p =
        failed_column >= 0 ? LinearBlockOfColumn(*program_, failed_column) : -1;
    if (p >= 0) {
      *error = program_->DescribeParameterBlock(p) +
               " is undetermined: the residuals do not fix its value (the Gram "
               "matrix of the linear blocks is singular there; add a "
               "measurement or make the block constant)";
    } else {
      *error = "the Gram matrix of the linear blocks could not be factored: " +
               cholmod_error;
    }
    return false;
  }
  return true;
}

void SparseGramSolver::Solve(const double* b, double* x) {
  cholesky_.Solve(b, x);
}

void SparseGramSolver::SolveMultiple(const double* b, double* x, int num_rhs) {
  cholesky_.SolveMultiple(b, x, num_rhs);
}

BlockDiagonalGramSolver::BlockDiagonalGramSolver(
    const Program* program, const BlockSparseMatrix& jacobian, int num_threads,
    bool allow_singular_blocks)
    : program_(program),
      num_threads_(std::max(1, num_threads)),
      allow_singular_blocks_(allow_singular_blocks),
      first_col_block_(program->num_nonlinear_columns()) {
  int factor_size = 0;
  const int theta_cols = program->num_theta_tangent();
  for (int c = first_col_block_; c < jacobian.num_col_blocks(); ++c) {
    offsets_.push_back(jacobian.col_block_offset(c) - theta_cols);
    sizes_.push_back(jacobian.col_block_size(c));
    factor_offsets_.push_back(factor_size);
    factor_size += sizes_.back() * sizes_.back();
  }
  factors_.assign(factor_size, 0.0);
  frozen_.assign(offsets_.size(), 0);
}

bool BlockDiagonalGramSolver::Factorize(const BlockSparseMatrix& jacobian,
                                        std::string* error) {
  std::mutex singular_mutex;
  int first_singular = -1;
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int k) {
    const int c = first_col_block_ + k;
    const int n = sizes_[k];
    MatrixRef g(&factors_[factor_offsets_[k]], n, n);
    g.setZero();
    for (const auto& e : jacobian.column_entries(c)) {
      const int rows = jacobian.row_block_size(e.row_block);
      const ConstMatrixRef a(jv + e.position, rows, n);
      g.noalias() += a.transpose() * a;
    }
    const double max_diagonal = g.diagonal().maxCoeff();
    const bool singular = !(max_diagonal > 0.0) ||
                          !CholeskyFactorizeInPlace(g.data(), n, max_diagonal);
    frozen_[k] = singular ? 1 : 0;
    if (singular) {
      std::lock_guard<std::mutex> lock(singular_mutex);
      if (first_singular < 0 || k < first_singular) first_singular = k;
    }
  });
  num_frozen_ = 0;
  for (char f : frozen_) num_frozen_ += f;
  if (first_singular >= 0 && !allow_singular_blocks_) {
    const int p =
        program_->column_parameter_blocks()[first_col_block_ + first_singular];
    *error = program_->DescribeParameterBlock(p) +
             " is undetermined: its residuals do not fix its value (rank-"
             "deficient Gram block; e.g. a landmark observed too few times)";
    if (num_frozen_ > 1) {
      *error += "; " + std::to_string(num_frozen_ - 1) +
                " more linear blocks are undetermined too";
    }
    return false;
  }
  return true;
}

void BlockDiagonalGramSolver::SolveBlock(int k, const double* b,
                                         double* x) const {
  DCHECK(k >= 0 && k < num_blocks());
  const int n = sizes_[k];
  if (frozen_[k]) {
    std::fill(x, x + n, 0.0);
    return;
  }
  CholeskySolve(&factors_[factor_offsets_[k]], n, b, x);
}

void BlockDiagonalGramSolver::Solve(const double* b, double* x) {
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int k) {
    SolveBlock(k, b + offsets_[k], x + offsets_[k]);
  });
}

void BlockDiagonalGramSolver::SolveMultiple(const double* b, double* x,
                                            int num_rhs) {
  const int n = program_->num_linear_parameters();
  for (int j = 0; j < num_rhs; ++j) Solve(b + j * n, x + j * n);
}

}  // namespace ceres_varpro::internal
