#include "engine/sparse_cholesky.h"

#include <algorithm>
#include <cstring>

#include "glog/logging.h"

namespace ceres_varpro::internal {

SparseCholesky::SparseCholesky(Mode mode) : mode_(mode) {
  cholmod_start(&common_);
  common_.print = 0;  // Errors are reported through our return values.
  common_.error_handler = nullptr;
  // Not positive definite is reported as a status, not an abort.
  common_.quick_return_if_not_posdef = 1;
  switch (mode_) {
    case Mode::kSupernodal:
      common_.supernodal = CHOLMOD_SUPERNODAL;
      break;
    case Mode::kSimplicial:
      common_.supernodal = CHOLMOD_SIMPLICIAL;
      common_.final_ll = 1;
      break;
    case Mode::kAuto:
      common_.supernodal = CHOLMOD_AUTO;
      break;
  }
}

SparseCholesky::~SparseCholesky() {
  if (matrix_ != nullptr) cholmod_free_sparse(&matrix_, &common_);
  if (factor_ != nullptr) cholmod_free_factor(&factor_, &common_);
  if (rhs_ != nullptr) cholmod_free_dense(&rhs_, &common_);
  if (solution_ != nullptr) cholmod_free_dense(&solution_, &common_);
  if (workspace_y_ != nullptr) cholmod_free_dense(&workspace_y_, &common_);
  if (workspace_e_ != nullptr) cholmod_free_dense(&workspace_e_, &common_);
  cholmod_finish(&common_);
}

bool SparseCholesky::Analyze(int n, const std::vector<int>& col_ptr,
                             const std::vector<int>& row_index,
                             std::string* error) {
  CHECK_EQ(static_cast<int>(col_ptr.size()), n + 1);
  CHECK(factor_ == nullptr) << "Analyze() is called once";
  n_ = n;
  const size_t nnz = row_index.size();
  matrix_ = cholmod_allocate_sparse(n, n, nnz, /*sorted=*/1, /*packed=*/1,
                                    /*stype=*/1, CHOLMOD_REAL, &common_);
  if (matrix_ == nullptr) {
    *error = "CHOLMOD could not allocate the matrix";
    return false;
  }
  std::memcpy(matrix_->p, col_ptr.data(), sizeof(int) * (n + 1));
  std::memcpy(matrix_->i, row_index.data(), sizeof(int) * nnz);
  std::fill_n(static_cast<double*>(matrix_->x), nnz, 0.0);
  factor_ = cholmod_analyze(matrix_, &common_);
  if (factor_ == nullptr || common_.status < CHOLMOD_OK) {
    *error = "CHOLMOD symbolic analysis failed";
    return false;
  }
  return true;
}

double* SparseCholesky::mutable_values() {
  CHECK(matrix_ != nullptr) << "Analyze() first";
  return static_cast<double*>(matrix_->x);
}

bool SparseCholesky::Factorize(int* failed_column, std::string* error) {
  CHECK(factor_ != nullptr);
  *failed_column = -1;
  const int ok = cholmod_factorize(matrix_, factor_, &common_);
  if (!ok || common_.status == CHOLMOD_NOT_POSDEF ||
      common_.status < CHOLMOD_OK) {
    if (common_.status == CHOLMOD_NOT_POSDEF) {
      // factor_->minor is the column in the permuted order.
      const int k = static_cast<int>(factor_->minor);
      if (k >= 0 && k < n_ && factor_->Perm != nullptr) {
        *failed_column = static_cast<const int*>(factor_->Perm)[k];
      }
      *error = "matrix is not positive definite";
    } else {
      *error = "CHOLMOD numeric factorization failed";
    }
    return false;
  }
  return true;
}

void SparseCholesky::SolveMultiple(const double* b, double* x, int num_rhs) {
  CHECK(factor_ != nullptr);
  if (rhs_ == nullptr || rhs_columns_ != num_rhs) {
    if (rhs_ != nullptr) cholmod_free_dense(&rhs_, &common_);
    rhs_ = cholmod_allocate_dense(n_, num_rhs, n_, CHOLMOD_REAL, &common_);
    rhs_columns_ = num_rhs;
  }
  std::memcpy(rhs_->x, b, sizeof(double) * n_ * num_rhs);
  cholmod_solve2(CHOLMOD_A, factor_, rhs_, nullptr, &solution_, nullptr,
                 &workspace_y_, &workspace_e_, &common_);
  CHECK(solution_ != nullptr) << "CHOLMOD solve failed";
  std::memcpy(x, solution_->x, sizeof(double) * n_ * num_rhs);
}

void SparseCholesky::Solve(const double* b, double* x) {
  SolveMultiple(b, x, 1);
}

bool SparseCholesky::is_supernodal() const {
  return factor_ != nullptr && factor_->is_super;
}

long SparseCholesky::factor_nonzeros() const {
  if (factor_ == nullptr) return 0;
  if (factor_->is_super) return static_cast<long>(factor_->xsize);
  return static_cast<long>(factor_->nzmax);
}

}  // namespace ceres_varpro::internal
