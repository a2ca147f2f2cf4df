#include "engine/simplicial_factorizer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "glog/logging.h"

namespace ceres_varpro::internal {

SimplicialFactorizer::SimplicialFactorizer(const cholmod_sparse& matrix,
                                           const cholmod_factor& factor,
                                           cholmod_common* common)
    : common_(common) {
  CHECK(!factor.is_super);
  CHECK(matrix.packed && matrix.stype > 0 && matrix.itype == CHOLMOD_INT);
  const int n = static_cast<int>(matrix.ncol);
  CHECK_EQ(static_cast<int>(factor.n), n);
  const int* perm = static_cast<const int*>(factor.Perm);
  std::vector<int> inverse(n);
  for (int k = 0; k < n; ++k) inverse[perm != nullptr ? perm[k] : k] = k;
  const int* col_ptr = static_cast<const int*>(matrix.p);
  const int* rows = static_cast<const int*>(matrix.i);
  const int nnz = col_ptr[n];
  // (i, j) of the upper triangle lands at row min, column max of their
  // permuted indices. Count per column, place, then sort each column's rows:
  // the order of a column's entries sets the order of rowfac's operations,
  // and sorted (as cholmod_factorize's transposes leave them) the factor is
  // the same to the last bit.
  permuted_ = cholmod_allocate_sparse(n, n, nnz, /*sorted=*/1, /*packed=*/1,
                                      /*stype=*/1, CHOLMOD_PATTERN, common_);
  if (permuted_ == nullptr) return;  // Out of memory: Factorize fails.
  int* p = static_cast<int*>(permuted_->p);
  int* pi = static_cast<int*>(permuted_->i);
  std::fill(p, p + n + 1, 0);
  for (int j = 0; j < n; ++j) {
    for (int k = col_ptr[j]; k < col_ptr[j + 1]; ++k) {
      ++p[std::max(inverse[rows[k]], inverse[j]) + 1];
    }
  }
  for (int j = 0; j < n; ++j) p[j + 1] += p[j];
  std::vector<int> next(p, p + n);
  std::vector<int> source(nnz);  // Position in permuted_ -> entry k.
  for (int j = 0; j < n; ++j) {
    for (int k = col_ptr[j]; k < col_ptr[j + 1]; ++k) {
      const int a = inverse[rows[k]];
      const int b = inverse[j];
      const int t = next[std::max(a, b)]++;
      pi[t] = std::min(a, b);
      source[t] = k;
    }
  }
  target_.resize(nnz);
  std::vector<std::pair<int, int>> column;  // (row, entry k).
  for (int j = 0; j < n; ++j) {
    column.clear();
    for (int t = p[j]; t < p[j + 1]; ++t) column.emplace_back(pi[t], source[t]);
    std::sort(column.begin(), column.end());
    for (int t = p[j]; t < p[j + 1]; ++t) {
      pi[t] = column[t - p[j]].first;
      target_[column[t - p[j]].second] = t;
    }
  }
}

SimplicialFactorizer::~SimplicialFactorizer() {
  if (permuted_ != nullptr) cholmod_free_sparse(&permuted_, common_);
}

void SimplicialFactorizer::PermuteInPlace(double* values) {
  const int nnz = static_cast<int>(target_.size());
  // Follow each cycle of the permutation once, carrying one value.
  for (int start = 0; start < nnz; ++start) {
    if (target_[start] < 0) continue;  // Moved with an earlier cycle.
    double carry = values[start];
    int k = start;
    while (true) {
      const int t = target_[k];
      target_[k] = ~t;
      if (t == start) {
        values[start] = carry;
        break;
      }
      std::swap(carry, values[t]);
      k = t;
    }
  }
  for (int& t : target_) t = ~t;
}

bool SimplicialFactorizer::Factorize(double* values, cholmod_factor* factor,
                                     int* failed_column) {
  *failed_column = -1;
  if (permuted_ == nullptr) return false;
  PermuteInPlace(values);
  // rowfac reads the values through the matrix; they stay the caller's.
  permuted_->x = values;
  permuted_->xtype = CHOLMOD_REAL;
  const int grow2 = common_->grow2;
  if (factor->xtype == CHOLMOD_PATTERN) {
    // First factorisation: rowfac allocates the factor, exactly its size
    // (the pattern never changes), LLᵀ or LDLᵀ as the common asks
    // (cholmod_factorize's choice, so the numbers are the same as its).
    factor->is_ll = common_->final_ll;
    common_->grow2 = 0;
  }
  double beta[2] = {0.0, 0.0};
  const int ok =
      cholmod_rowfac(permuted_, nullptr, beta, 0, factor->n, factor, common_);
  permuted_->x = nullptr;
  permuted_->xtype = CHOLMOD_PATTERN;
  common_->grow2 = grow2;
  if (!ok && common_->status != CHOLMOD_NOT_POSDEF) return false;
  // rowfac fails LLᵀ on a pivot <= 0 but LDLᵀ only on a zero one, and lets a
  // NaN through. The first column whose pivot is not positive and finite is
  // where the matrix stops being positive definite (earlier columns do not
  // depend on later ones), as the supernodal factorisation reports it.
  const int n = static_cast<int>(factor->n);
  int first_bad = common_->status == CHOLMOD_NOT_POSDEF
                      ? static_cast<int>(factor->minor)
                      : n;
  const int* p = static_cast<const int*>(factor->p);
  const double* lx = static_cast<const double*>(factor->x);
  for (int j = 0; j < first_bad; ++j) {
    const double d = lx[p[j]];  // L(j, j), or D(j, j).
    if (!(d > 0.0) || !std::isfinite(d)) {
      first_bad = j;
      break;
    }
  }
  if (first_bad < n) {
    *failed_column = first_bad;
    return false;
  }
  return true;
}

}  // namespace ceres_varpro::internal
