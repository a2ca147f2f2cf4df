#include "engine/gram_solver.h"

#include <algorithm>
#include <cmath>

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
                                   int num_threads, SparseCholesky::Mode mode,
                                   bool detect_kronecker)
    : program_(program),
      assembler_(std::make_shared<const GramAssembler>(
          jacobian, program->num_nonlinear_columns(),
          program->num_column_blocks(), num_threads)),
      num_cols_(assembler_->num_cols()),
      cholesky_(mode, num_threads),
      detect_kronecker_(detect_kronecker) {}

SparseGramSolver::SparseGramSolver(const SparseGramSolver& pattern)
    : program_(pattern.program_),
      assembler_(pattern.assembler_),
      num_cols_(pattern.num_cols_),
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
                                  assembler_->row_index(), error,
                                  &assembler_->block_starts());
  }
  return analyzed_;
}

int SparseGramSolver::DetectKronecker(const BlockSparseMatrix& jacobian) const {
  const int first = program_->num_nonlinear_columns();
  const int end = program_->num_column_blocks();
  if (end <= first) return 0;
  const int d = jacobian.col_block_size(first);
  if (d < 2) return 0;
  const int theta = program_->num_theta_tangent();
  for (int c = first; c < end; ++c) {
    if (jacobian.col_block_size(c) != d ||
        jacobian.col_block_offset(c) - theta != (c - first) * d) {
      return 0;
    }
  }
  // Each entry (i, j): zero off the blocks' diagonals, and on them equal to
  // its block's (0, 0) entry, which sits in the block's first column.
  const std::vector<int>& col_ptr = assembler_->col_ptr();
  const std::vector<int>& rows = assembler_->row_index();
  const int n = assembler_->num_cols();
  for (int j = 0; j < n; ++j) {
    const int block_col = j - j % d;
    const auto first_row = rows.begin() + col_ptr[block_col];
    const auto end_row = rows.begin() + col_ptr[block_col + 1];
    for (int k = col_ptr[j]; k < col_ptr[j + 1]; ++k) {
      const int i = rows[k];
      if (i % d != j % d) {
        if (values_[k] != 0.0) return 0;
        continue;
      }
      const auto corner = std::lower_bound(first_row, end_row, i - i % d);
      if (corner == end_row || *corner != i - i % d ||
          values_[corner - rows.begin()] != values_[k]) {
        return 0;
      }
    }
  }
  return d;
}

bool SparseGramSolver::AnalyzeScalar(int d, std::string* error) {
  const std::vector<int>& col_ptr = assembler_->col_ptr();
  const std::vector<int>& rows = assembler_->row_index();
  const int nb = assembler_->num_cols() / d;
  std::vector<int> scalar_col_ptr(nb + 1, 0), scalar_rows;
  scalar_source_.clear();
  for (int b = 0; b < nb; ++b) {
    for (int k = col_ptr[b * d]; k < col_ptr[b * d + 1]; ++k) {
      if (rows[k] % d != 0) continue;
      scalar_rows.push_back(rows[k] / d);
      scalar_source_.push_back(k);
    }
    scalar_col_ptr[b + 1] = static_cast<int>(scalar_rows.size());
  }
  scalar_ = std::make_unique<SparseCholesky>(cholesky_.mode(),
                                             cholesky_.num_threads());
  return scalar_->Analyze(nb, scalar_col_ptr, scalar_rows, error);
}

void SparseGramSolver::ReleaseAssembly() {
  assembler_.reset();
  scalar_source_ = std::vector<int>();
  values_ = std::vector<double>();
}

bool SparseGramSolver::Factorize(const BlockSparseMatrix& jacobian,
                                 std::string* error) {
  CHECK(assembler_ != nullptr) << "Factorize() after ReleaseAssembly()";
  if (detect_kronecker_ && !kronecker_checked_) {
    kronecker_checked_ = true;
    values_.resize(assembler_->num_nonzeros());
    assembler_->Assemble(jacobian, nullptr, nullptr, values_.data());
    const int d = DetectKronecker(jacobian);
    if (d > 0 && AnalyzeScalar(d, error)) kronecker_dim_ = d;
    VLOG(1) << "Gram matrix " << (d > 0 ? "is" : "is not") << " L ⊗ I_"
            << (d > 0 ? d : 0);
  }
  int failed_column = -1;
  std::string cholmod_error;
  if (kronecker_dim_ > 0) {
    if (values_.empty()) {
      values_.resize(assembler_->num_nonzeros());
      assembler_->Assemble(jacobian, nullptr, nullptr, values_.data());
    }
    const int* targets = nullptr;
    double* l = scalar_->BeginAssembly(&targets, &cholmod_error);
    if (l == nullptr) {
      *error = FactorizationError(-1, cholmod_error);
      return false;
    }
    for (size_t e = 0; e < scalar_source_.size(); ++e) {
      l[targets != nullptr ? targets[e] : e] = values_[scalar_source_[e]];
    }
    values_ = std::vector<double>();  // Freed; assembled afresh if needed.
    if (!scalar_->Factorize(&failed_column, &cholmod_error)) {
      *error = FactorizationError(
          failed_column >= 0 ? failed_column * kronecker_dim_ : -1,
          cholmod_error);
      return false;
    }
    return true;
  }
  if (!Analyze(error)) return false;
  if (!values_.empty()) {
    if (!cholesky_.SetValues(values_.data(), &cholmod_error)) {
      *error = FactorizationError(-1, cholmod_error);
      return false;
    }
    values_ = std::vector<double>();
  } else {
    const int* targets = nullptr;
    double* values = cholesky_.BeginAssembly(&targets, &cholmod_error);
    if (values == nullptr) {
      *error = FactorizationError(-1, cholmod_error);
      return false;
    }
    assembler_->Assemble(jacobian, nullptr, nullptr, values, targets);
  }
  if (!cholesky_.Factorize(&failed_column, &cholmod_error)) {
    *error = FactorizationError(failed_column, cholmod_error);
    return false;
  }
  return true;
}

std::string SparseGramSolver::FactorizationError(
    int failed_column, const std::string& cholmod_error) const {
  const int p =
      failed_column >= 0 ? LinearBlockOfColumn(*program_, failed_column) : -1;
  if (p >= 0) {
    return program_->DescribeParameterBlock(p) +
           " is undetermined: the residuals do not fix its value (the Gram "
           "matrix of the linear blocks is singular there; add a "
           "measurement or make the block constant)";
  }
  return "the Gram matrix of the linear blocks could not be factored: " +
         cholmod_error;
}

double SparseGramSolver::factor_nonzeros() const {
  if (kronecker_dim_ > 0) {
    return static_cast<double>(kronecker_dim_) *
           static_cast<double>(scalar_->factor_nonzeros());
  }
  return static_cast<double>(cholesky_.factor_nonzeros());
}

// Column a + d·r of the scalar layout holds coordinate a of right-hand side r.
void SparseGramSolver::ToScalarLayout(const double* b, int num_rhs) {
  const int d = kronecker_dim_;
  const int n = num_cols_;
  const int nb = n / d;
  scalar_rhs_.resize(static_cast<size_t>(n) * num_rhs);
  for (int r = 0; r < num_rhs; ++r) {
    const double* in = b + static_cast<size_t>(r) * n;
    double* out = scalar_rhs_.data() + static_cast<size_t>(r) * n;
    for (int k = 0; k < nb; ++k) {
      for (int a = 0; a < d; ++a) out[k + nb * a] = in[k * d + a];
    }
  }
}

void SparseGramSolver::FromScalarLayout(double* x, int num_rhs) const {
  const int d = kronecker_dim_;
  const int n = num_cols_;
  const int nb = n / d;
  for (int r = 0; r < num_rhs; ++r) {
    const double* in = scalar_rhs_.data() + static_cast<size_t>(r) * n;
    double* out = x + static_cast<size_t>(r) * n;
    for (int k = 0; k < nb; ++k) {
      for (int a = 0; a < d; ++a) out[k * d + a] = in[k + nb * a];
    }
  }
}

void SparseGramSolver::Solve(const double* b, double* x) {
  SolveMultiple(b, x, 1);
}

void SparseGramSolver::SolveMultiple(const double* b, double* x, int num_rhs) {
  if (kronecker_dim_ == 0) {
    if (num_rhs == 1) {
      cholesky_.Solve(b, x);
    } else {
      cholesky_.SolveMultiple(b, x, num_rhs);
    }
    return;
  }
  ToScalarLayout(b, num_rhs);
  scalar_->SolveMultiple(scalar_rhs_.data(), scalar_rhs_.data(),
                         kronecker_dim_ * num_rhs);
  FromScalarLayout(x, num_rhs);
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
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, num_blocks(), [&](int, int k) {
    const int c = first_col_block_ + k;
    const int n = sizes_[k];
    MatrixRef g(&factors_[factor_offsets_[k]], n, n);
    g.setZero();
    // Only the lower triangle is read below. Eigen's dynamic-size product
    // cost ~1,000 instructions per BAL point here; the common shapes
    // (2D/3D landmarks, reprojections of points) get fixed-size loops.
    for (const auto& e : jacobian.column_entries(c)) {
      const int rows = jacobian.row_block_size(e.row_block);
      const double* a = jv + e.position;
      if (n == 3 && rows == 2) {
        AddGramLowerFixed<2, 3>(a, g.data(), 3);
      } else if (n == 3 && rows == 3) {
        AddGramLowerFixed<3, 3>(a, g.data(), 3);
      } else if (n == 2 && rows == 2) {
        AddGramLowerFixed<2, 2>(a, g.data(), 2);
      } else {
        g.noalias() +=
            ConstMatrixRef(a, rows, n).transpose() * ConstMatrixRef(a, rows, n);
      }
    }
    const double max_diagonal = g.diagonal().maxCoeff();
    const bool singular = !(max_diagonal > 0.0) ||
                          !CholeskyFactorizeInPlace(g.data(), n, max_diagonal);
    frozen_[k] = singular ? 1 : 0;
  });
  num_frozen_ = 0;
  for (char f : frozen_) num_frozen_ += f;
  return allow_singular_blocks_ || CheckDetermined(error);
}

bool BlockDiagonalGramSolver::CheckDetermined(std::string* error) const {
  if (num_frozen_ == 0) return true;
  const int first = static_cast<int>(
      std::find(frozen_.begin(), frozen_.end(), 1) - frozen_.begin());
  const int p = program_->column_parameter_blocks()[first_col_block_ + first];
  *error = program_->DescribeParameterBlock(p) +
           " is undetermined: its residuals do not fix its value (rank-"
           "deficient Gram block; e.g. a landmark observed too few times)";
  if (num_frozen_ > 1) {
    *error += "; " + std::to_string(num_frozen_ - 1) +
              " more linear blocks are undetermined too";
  }
  return false;
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
