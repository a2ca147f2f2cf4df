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

// Every (c, b, cell of b, cell of c) from the rows, sorted by (c, b): the
// pairs of JᵀJ and their contributions. The diagonal pair is always present
// so that an added diagonal has a place to go.
void GramAssembler::CollectPairs(const BlockSparseMatrix& jacobian) {
  const int nb = cb_end_ - cb_begin_;
  struct Entry {
    int c, b;
    Contribution contribution;
  };
  std::vector<Entry> entries;
  for (int c = cb_begin_; c < cb_end_; ++c)
    entries.push_back({c, c, {-1, -1, 0}});
  for (int r = 0; r < jacobian.num_row_blocks(); ++r) {
    const int rows = jacobian.row_block_size(r);
    for (auto* cc = jacobian.row_cells_begin(r);
         cc != jacobian.row_cells_end(r); ++cc) {
      if (cc->col_block < cb_begin_ || cc->col_block >= cb_end_) continue;
      for (auto* bb = jacobian.row_cells_begin(r); bb <= cc; ++bb) {
        if (bb->col_block < cb_begin_) continue;
        entries.push_back(
            {cc->col_block, bb->col_block, {bb->position, cc->position, rows}});
      }
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& x, const Entry& y) {
                     return x.c != y.c ? x.c < y.c : x.b < y.b;
                   });
  pairs_begin_.assign(nb + 1, 0);
  for (size_t k = 0; k < entries.size();) {
    const int c = entries[k].c, b = entries[k].b;
    BlockPair pair;
    pair.b = b;
    pair.contributions_begin = static_cast<int>(contributions_.size());
    for (; k < entries.size() && entries[k].c == c && entries[k].b == b; ++k) {
      if (entries[k].contribution.rows > 0)
        contributions_.push_back(entries[k].contribution);
    }
    pair.contributions_end = static_cast<int>(contributions_.size());
    pair.column_start_begin = 0;
    pairs_.push_back(pair);
    ++pairs_begin_[c - cb_begin_ + 1];
  }
  for (int c = 0; c < nb; ++c) pairs_begin_[c + 1] += pairs_begin_[c];
  std::vector<Entry>().swap(entries);
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
