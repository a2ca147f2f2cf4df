#include "engine/supernodal_factorizer.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Core"
#include "glog/logging.h"

namespace ceres_varpro::internal {
namespace {

using StridedMatrix =
    Eigen::Map<Eigen::MatrixXd, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstStridedMatrix =
    Eigen::Map<const Eigen::MatrixXd, Eigen::Unaligned, Eigen::OuterStride<>>;

// Unblocked Cholesky of the lower triangle of a (ncols x ncols, column-major,
// leading dimension ld) in place; the first column whose pivot is not
// positive, or -1.
int UnblockedCholesky(double* a, int ncols, int ld) {
  for (int j = 0; j < ncols; ++j) {
    double d = a[j + j * ld];
    for (int k = 0; k < j; ++k) d -= a[j + k * ld] * a[j + k * ld];
    if (!(d > 0.0) || !std::isfinite(d)) return j;
    d = std::sqrt(d);
    a[j + j * ld] = d;
    for (int i = j + 1; i < ncols; ++i) {
      double v = a[i + j * ld];
      for (int k = 0; k < j; ++k) v -= a[i + k * ld] * a[j + k * ld];
      a[i + j * ld] = v / d;
    }
  }
  return -1;
}

}  // namespace

SupernodalFactorizer::SupernodalFactorizer(const cholmod_sparse& matrix,
                                           const cholmod_factor& factor)
    : n_(static_cast<int>(factor.n)),
      nsuper_(static_cast<int>(factor.nsuper)),
      super_(static_cast<const int*>(factor.super)),
      pi_(static_cast<const int*>(factor.pi)),
      px_(static_cast<const int*>(factor.px)),
      rows_(static_cast<const int*>(factor.s)) {
  CHECK(factor.is_super);
  CHECK(matrix.packed && matrix.stype > 0 && matrix.itype == CHOLMOD_INT);
  CHECK_EQ(static_cast<int>(matrix.ncol), n_);
  const int* perm = static_cast<const int*>(factor.Perm);
  std::vector<int> inverse(n_);
  for (int k = 0; k < n_; ++k) inverse[perm != nullptr ? perm[k] : k] = k;
  super_of_column_.resize(n_);
  for (int s = 0; s < nsuper_; ++s) {
    std::fill(super_of_column_.begin() + super_[s],
              super_of_column_.begin() + super_[s + 1], s);
  }
  // Where each entry of the upper triangle lands in the factor: (i, j) is
  // (max, min) of their permuted indices in the lower triangle.
  const int* ap = static_cast<const int*>(matrix.p);
  const int* ai = static_cast<const int*>(matrix.i);
  target_.assign(ap[n_], -1);
  for (int j = 0; j < n_; ++j) {
    for (int k = ap[j]; k < ap[j + 1]; ++k) {
      const int i = ai[k];
      if (i > j) continue;  // Below the diagonal: ignored, as by CHOLMOD.
      const int r = std::max(inverse[i], inverse[j]);
      const int c = std::min(inverse[i], inverse[j]);
      const int s = super_of_column_[c];
      const int k1 = super_[s];
      const int ncols = super_[s + 1] - k1;
      const int nrows = pi_[s + 1] - pi_[s];
      int position = r - k1;
      if (r >= k1 + ncols) {
        const int* first = rows_ + pi_[s] + ncols;
        const int* last = rows_ + pi_[s + 1];
        const int* it = std::lower_bound(first, last, r);
        CHECK(it != last && *it == r) << "entry outside the factor's pattern";
        position = static_cast<int>(it - (rows_ + pi_[s]));
      }
      target_[k] = px_[s] + (c - k1) * nrows + position;
    }
  }
  head_.assign(nsuper_, -1);
  next_.assign(nsuper_, -1);
  row_position_.assign(nsuper_, 0);
  local_row_.assign(n_, 0);
  update_.resize(kTile * kTile);
}

void SupernodalFactorizer::Clear(double* lx) const {
  std::fill_n(lx, static_cast<size_t>(px_[nsuper_]), 0.0);
}

bool SupernodalFactorizer::Factorize(const double* values, double* lx,
                                     int* failed_column) {
  Clear(lx);
  Place(values, lx);
  return FactorizeInPlace(lx, failed_column);
}

void SupernodalFactorizer::Place(const double* values, double* lx) const {
  for (size_t k = 0; k < target_.size(); ++k) {
    if (target_[k] >= 0) lx[target_[k]] = values[k];
  }
}

bool SupernodalFactorizer::FactorizeInPlace(double* lx, int* failed_column) {
  *failed_column = -1;
  std::fill(head_.begin(), head_.end(), -1);
  for (int s = 0; s < nsuper_; ++s) {
    const int k1 = super_[s];
    const int k2 = super_[s + 1];
    const int nrows = pi_[s + 1] - pi_[s];
    double* ls = lx + px_[s];
    const int* srows = rows_ + pi_[s];
    for (int i = 0; i < nrows; ++i) local_row_[srows[i]] = i;
    // Left-looking: every earlier supernode d with rows in [k1, k2)
    // subtracts L_d(rows from there on) L_d(rows in [k1, k2))ᵀ.
    for (int d = head_[s]; d >= 0;) {
      const int d_next = next_[d];
      const int dncols = super_[d + 1] - super_[d];
      const int dnrows = pi_[d + 1] - pi_[d];
      const int* drows = rows_ + pi_[d];
      const int p = row_position_[d];
      int q = p;
      while (q < dnrows && drows[q] < k2) ++q;
      const int ndrow1 = q - p;
      const int ndrow2 = dnrows - p;
      // In tiles of the update matrix, so that its buffer stays small (the
      // largest update of a 3D pose graph's joint matrix is ~2 MB).
      const ConstStridedMatrix ld(lx + px_[d] + p, ndrow2, dncols,
                                  Eigen::OuterStride<>(dnrows));
      for (int j0 = 0; j0 < ndrow1; j0 += kTile) {
        const int jb = std::min(kTile, ndrow1 - j0);
        for (int i0 = j0; i0 < ndrow2; i0 += kTile) {
          const int ib = std::min(kTile, ndrow2 - i0);
          Eigen::Map<Eigen::MatrixXd> c(update_.data(), ib, jb);
          c.noalias() =
              ld.middleRows(i0, ib) * ld.middleRows(j0, jb).transpose();
          for (int j = 0; j < jb; ++j) {
            double* column =
                ls + static_cast<size_t>(drows[p + j0 + j] - k1) * nrows;
            const double* cj = update_.data() + static_cast<size_t>(j) * ib;
            // Lower triangle only: global row index >= global column index.
            for (int i = std::max(0, j0 + j - i0); i < ib; ++i) {
              column[local_row_[drows[p + i0 + i]]] -= cj[i];
            }
          }
        }
      }
      row_position_[d] = q;
      if (q < dnrows) {
        const int t = super_of_column_[drows[q]];
        next_[d] = head_[t];
        head_[t] = d;
      }
      d = d_next;
    }
    int failed_local = -1;
    if (!FactorPanel(s, lx, &failed_local)) {
      *failed_column = k1 + failed_local;
      return false;
    }
    row_position_[s] = k2 - k1;
    if (k2 - k1 < nrows) {
      const int t = super_of_column_[srows[k2 - k1]];
      next_[s] = head_[t];
      head_[t] = s;
    }
  }
  return true;
}

// Right-looking in column blocks of the whole panel (diagonal block and the
// rows below it), in place: an unblocked Cholesky of each diagonal sub-block
// (which locates a failing pivot exactly, as LAPACK's potrf does), a
// triangular solve for the rows below it and a rank update of the rest.
bool SupernodalFactorizer::FactorPanel(int s, double* lx,
                                       int* failed_local_column) {
  const int ncols = super_[s + 1] - super_[s];
  const int nrows = pi_[s + 1] - pi_[s];
  double* panel = lx + px_[s];
  for (int k = 0; k < ncols; k += kPanelBlock) {
    const int kb = std::min(kPanelBlock, ncols - k);
    double* a11 = panel + k + static_cast<size_t>(k) * nrows;
    const int failed = UnblockedCholesky(a11, kb, nrows);
    if (failed >= 0) {
      *failed_local_column = k + failed;
      return false;
    }
    const int below = nrows - k - kb;
    if (below == 0) continue;
    const StridedMatrix l11(a11, kb, kb, Eigen::OuterStride<>(nrows));
    StridedMatrix a21(a11 + kb, below, kb, Eigen::OuterStride<>(nrows));
    // X L11ᵀ = A21.
    l11.transpose()
        .triangularView<Eigen::Upper>()
        .solveInPlace<Eigen::OnTheRight>(a21);
    const int trailing = ncols - k - kb;
    if (trailing == 0) continue;
    double* a22 = a11 + kb + static_cast<size_t>(kb) * nrows;
    StridedMatrix(a22, trailing, trailing, Eigen::OuterStride<>(nrows))
        .selfadjointView<Eigen::Lower>()
        .rankUpdate(a21.topRows(trailing), -1.0);
    if (below > trailing) {
      StridedMatrix(a22 + trailing, below - trailing, trailing,
                    Eigen::OuterStride<>(nrows))
          .noalias() -=
          a21.bottomRows(below - trailing) * a21.topRows(trailing).transpose();
    }
  }
  return true;
}

}  // namespace ceres_varpro::internal
