#include "engine/gram_assembler.h"

#include <algorithm>

#include "Eigen/Core"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

GramAssembler::GramAssembler(const BlockSparseMatrix& jacobian, int cb_begin,
                             int cb_end, int num_threads)
    : cb_begin_(cb_begin),
      cb_end_(cb_end),
      num_threads_(std::max(1, num_threads)) {
  CHECK_LE(0, cb_begin);
  CHECK_LE(cb_begin, cb_end);
  CHECK_LE(cb_end, jacobian.num_col_blocks());
  const int nb = cb_end - cb_begin;
  col_offset_ = nb > 0 ? jacobian.col_block_offset(cb_begin) : 0;
  for (int c = cb_begin; c < cb_end; ++c) {
    n_ += jacobian.col_block_size(c);
    max_block_size_ = std::max(max_block_size_, jacobian.col_block_size(c));
  }

  CollectPairs(jacobian);
  BuildPattern(jacobian);
  scratch_.resize(num_threads_);
  for (auto& s : scratch_)
    s.resize(2 * max_block_size_ * max_block_size_ + 2 * max_block_size_);
}

// Every (c, b, cell of b, cell of c) from the rows, grouped by (c, b): the
// pairs of JᵀJ and their contributions. The diagonal pair is always present
// so that an added diagonal has a place to go. Two passes over the rows
// bucket the contributions by c (exact sizes, no global sort); each small
// bucket is then ordered by b, rows kept in order within a pair.
void GramAssembler::CollectPairs(const BlockSparseMatrix& jacobian) {
  const int nb = cb_end_ - cb_begin_;
  struct Entry {
    int b;
    Contribution contribution;
  };
  std::vector<int> bucket_begin(nb + 1, 0);
  ForEachContribution(jacobian, [&](int c, int, const Contribution&) {
    ++bucket_begin[c - cb_begin_ + 1];
  });
  for (int c = 0; c < nb; ++c) bucket_begin[c + 1] += bucket_begin[c];
  std::vector<Entry> entries(bucket_begin[nb]);
  std::vector<int> fill(bucket_begin.begin(), bucket_begin.end() - 1);
  ForEachContribution(jacobian, [&](int c, int b, const Contribution& k) {
    entries[fill[c - cb_begin_]++] = {b, k};
  });

  contributions_.reserve(entries.size());
  pairs_begin_.assign(nb + 1, 0);
  for (int c = 0; c < nb; ++c) {
    const auto first = entries.begin() + bucket_begin[c];
    const auto last = entries.begin() + bucket_begin[c + 1];
    std::stable_sort(first, last,
                     [](const Entry& x, const Entry& y) { return x.b < y.b; });
    // Cells are sorted by column block, so every b <= c: the diagonal pair
    // is the last one, added empty when no row contributes to it.
    const int diagonal = c + cb_begin_;
    bool diagonal_seen = false;
    for (auto it = first; it != last || !diagonal_seen;) {
      const int b = it != last ? it->b : diagonal;
      diagonal_seen |= b == diagonal;
      BlockPair pair;
      pair.b = b;
      pair.contributions_begin = static_cast<int>(contributions_.size());
      for (; it != last && it->b == b; ++it) {
        contributions_.push_back(it->contribution);
      }
      pair.contributions_end = static_cast<int>(contributions_.size());
      pair.column_start_begin = 0;
      pairs_.push_back(pair);
      ++pairs_begin_[c + 1];
    }
  }
  for (int c = 0; c < nb; ++c) pairs_begin_[c + 1] += pairs_begin_[c];
}

// Compressed columns: column k of block c holds the rows of every b <= c (all
// of b's rows for b < c, rows up to k for b == c), b ascending.
void GramAssembler::BuildPattern(const BlockSparseMatrix& jacobian) {
  const int nb = cb_end_ - cb_begin_;
  col_ptr_.assign(1, 0);
  diagonal_position_.resize(n_);
  for (int c = 0; c < nb; ++c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    for (int p = pairs_begin_[c]; p < pairs_begin_[c + 1]; ++p) {
      pairs_[p].column_start_begin = static_cast<int>(column_start_.size());
      column_start_.resize(column_start_.size() + size_c);
    }
    for (int k = 0; k < size_c; ++k) {
      for (int p = pairs_begin_[c]; p < pairs_begin_[c + 1]; ++p) {
        BlockPair& pair = pairs_[p];
        const int b_offset = jacobian.col_block_offset(pair.b) - col_offset_;
        const int rows = pair.b == cb ? k + 1 : jacobian.col_block_size(pair.b);
        column_start_[pair.column_start_begin + k] =
            static_cast<int>(row_index_.size());
        for (int i = 0; i < rows; ++i) row_index_.push_back(b_offset + i);
      }
      const int j = jacobian.col_block_offset(cb) - col_offset_ + k;
      diagonal_position_[j] = static_cast<int>(row_index_.size()) - 1;
      col_ptr_.push_back(static_cast<int>(row_index_.size()));
    }
  }
}

void GramAssembler::Assemble(const BlockSparseMatrix& jacobian,
                             const double* column_scale, const double* diagonal,
                             double* values) const {
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, cb_end_ - cb_begin_, [&](int thread_id, int c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    double* block = scratch_[thread_id].data();
    for (int p = pairs_begin_[c]; p < pairs_begin_[c + 1]; ++p) {
      const BlockPair& pair = pairs_[p];
      const int size_b = jacobian.col_block_size(pair.b);
      MatrixRef sum(block, size_b, size_c);
      sum.setZero();
      for (int q = pair.contributions_begin; q < pair.contributions_end; ++q) {
        const Contribution& k = contributions_[q];
        AddTransposeProduct(jv + k.position_b, jv + k.position_c, k.rows,
                            size_b, size_c, block, size_c);
      }
      if (column_scale != nullptr) {
        const double* sb = column_scale + jacobian.col_block_offset(pair.b);
        const double* sc = column_scale + jacobian.col_block_offset(cb);
        for (int i = 0; i < size_b; ++i) {
          for (int j = 0; j < size_c; ++j) sum(i, j) *= sb[i] * sc[j];
        }
      }
      for (int k = 0; k < size_c; ++k) {
        const int rows = pair.b == cb ? k + 1 : size_b;
        double* out = values + column_start_[pair.column_start_begin + k];
        for (int i = 0; i < rows; ++i) out[i] = sum(i, k);
      }
    }
    if (diagonal != nullptr) {
      const int j0 = jacobian.col_block_offset(cb) - col_offset_;
      for (int k = 0; k < size_c; ++k) {
        values[diagonal_position_[j0 + k]] += diagonal[j0 + k];
      }
    }
  });
}

}  // namespace ceres_varpro::internal
