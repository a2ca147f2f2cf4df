#include "engine/gram_assembler.h"

#include <algorithm>

#include "Eigen/Core"
#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

GramAssembler::GramAssembler(const BlockSparseMatrix& jacobian, int cb_begin,
                             int cb_end, int num_threads, bool keep_tables)
    : cb_begin_(cb_begin),
      cb_end_(cb_end),
      num_threads_(std::max(1, num_threads)),
      keep_tables_(keep_tables) {
  CHECK_LE(0, cb_begin);
  CHECK_LE(cb_begin, cb_end);
  CHECK_LE(cb_end, jacobian.num_col_blocks());
  const int nb = cb_end - cb_begin;
  col_offset_ = nb > 0 ? jacobian.col_block_offset(cb_begin) : 0;
  for (int c = cb_begin; c < cb_end; ++c) {
    block_starts_.push_back(n_);
    n_ += jacobian.col_block_size(c);
    max_block_size_ = std::max(max_block_size_, jacobian.col_block_size(c));
  }

  block_starts_.push_back(n_);
  if (keep_tables_) {
    CollectPairs(jacobian);
    BuildPattern(jacobian, pairs_begin_, [&](int p) { return pairs_[p].b; });
  } else {
    std::vector<int> pairs_begin, pair_block;
    CollectBlocks(jacobian, &pairs_begin, &pair_block);
    BuildPattern(jacobian, pairs_begin,
                 [&](int p) { return pair_block[p] + cb_begin_; });
    block_of_.resize(n_);
    for (int b = 0; b < nb; ++b) {
      std::fill(block_of_.begin() + block_starts_[b],
                block_of_.begin() + block_starts_[b + 1], b);
    }
    slot_.assign(num_threads_, std::vector<int>(nb, 0));
  }
  if (keep_tables_) {  // Assemble's block sums; AssembleByRows needs none.
    scratch_.resize(num_threads_);
    for (auto& s : scratch_)
      s.resize(2 * max_block_size_ * max_block_size_ + 2 * max_block_size_);
  }
}

template <typename F>
void GramAssembler::ForEachContribution(const BlockSparseMatrix& jacobian,
                                        int cb, const F& f) const {
  for (const auto& e : jacobian.column_entries(cb)) {
    const int rows = jacobian.row_block_size(e.row_block);
    // A row's cells are sorted by column block.
    for (auto* bb = jacobian.row_cells_begin(e.row_block);
         bb != jacobian.row_cells_end(e.row_block) && bb->col_block <= cb;
         ++bb) {
      if (bb->col_block < cb_begin_) continue;
      f(bb->col_block, Contribution{bb->position, e.position, rows});
    }
  }
}

// Every (c, b, cell of b, cell of c), grouped by (c, b): the pairs of JᵀJ
// and their contributions. Column c's rows come from the Jacobian's column
// index (in row order), so each c is gathered on its own into a small
// reusable buffer and ordered by b there: no list of all contributions is
// built and sorted (fresh memory is slow to touch). The diagonal pair is
// always present so that an added diagonal has a place to go.
void GramAssembler::CollectPairs(const BlockSparseMatrix& jacobian) {
  const int nb = cb_end_ - cb_begin_;
  struct Entry {
    int b;
    Contribution contribution;
  };
  // A row with k cells in range contributes k(k+1)/2 pairs b <= c.
  size_t total = 0;
  for (int r = 0; r < jacobian.num_row_blocks(); ++r) {
    size_t k = 0;
    for (auto* cell = jacobian.row_cells_begin(r);
         cell != jacobian.row_cells_end(r); ++cell) {
      k += cell->col_block >= cb_begin_ && cell->col_block < cb_end_;
    }
    total += k * (k + 1) / 2;
  }
  contributions_.reserve(total);
  // At most one pair per contribution, plus the diagonals and the closing
  // pair; pages of the reserve that are never written cost nothing.
  pairs_.reserve(total + nb + 1);
  pairs_begin_.assign(nb + 1, 0);
  std::vector<Entry> column;
  for (int c = cb_begin_; c < cb_end_; ++c) {
    column.clear();
    ForEachContribution(jacobian, c, [&](int b, const Contribution& k) {
      column.push_back({b, k});
    });
    std::stable_sort(column.begin(), column.end(),
                     [](const Entry& x, const Entry& y) { return x.b < y.b; });
    // Cells are sorted by column block, so every b <= c: the diagonal pair
    // is the last one, added empty when no row contributes to it.
    bool diagonal_seen = false;
    for (auto it = column.begin(); it != column.end() || !diagonal_seen;) {
      const int b = it != column.end() ? it->b : c;
      diagonal_seen |= b == c;
      pairs_.push_back({b, static_cast<int>(contributions_.size())});
      for (; it != column.end() && it->b == b; ++it) {
        contributions_.push_back(it->contribution);
      }
      ++pairs_begin_[c - cb_begin_ + 1];
    }
  }
  pairs_.push_back({-1, static_cast<int>(contributions_.size())});
  for (int c = 0; c < nb; ++c) pairs_begin_[c + 1] += pairs_begin_[c];
}

// Each column block's b, as CollectPairs finds them (the diagonal included),
// without the contributions: local indices, ascending.
void GramAssembler::CollectBlocks(const BlockSparseMatrix& jacobian,
                                  std::vector<int>* pairs_begin,
                                  std::vector<int>* pair_block) const {
  const int nb = cb_end_ - cb_begin_;
  std::vector<int> seen(nb, -1);
  pairs_begin->assign(1, 0);
  pair_block->clear();
  for (int c = 0; c < nb; ++c) {
    const int cb = c + cb_begin_;
    const size_t first = pair_block->size();
    seen[c] = c;  // The diagonal pair is always present.
    pair_block->push_back(c);
    ForEachContribution(jacobian, cb, [&](int global_b, const Contribution&) {
      const int b = global_b - cb_begin_;
      if (seen[b] == c) return;
      seen[b] = c;
      pair_block->push_back(b);
    });
    std::sort(pair_block->begin() + first, pair_block->end());
    pairs_begin->push_back(static_cast<int>(pair_block->size()));
  }
}

// Compressed columns: column k of block c holds the rows of every b <= c (all
// of b's rows for b < c, rows up to k for b == c), b ascending.
template <typename PairBlock>
void GramAssembler::BuildPattern(const BlockSparseMatrix& jacobian,
                                 const std::vector<int>& pairs_begin,
                                 const PairBlock& pair_block) {
  const int nb = cb_end_ - cb_begin_;
  size_t nonzeros = 0;
  for (int c = 0; c < nb; ++c) {
    const int size_c = jacobian.col_block_size(c + cb_begin_);
    for (int p = pairs_begin[c]; p < pairs_begin[c + 1]; ++p) {
      const int b = pair_block(p);
      const int size_b = jacobian.col_block_size(b);
      nonzeros +=
          b == c + cb_begin_ ? size_c * (size_c + 1) / 2 : size_b * size_c;
    }
  }
  row_index_.reserve(nonzeros);
  col_ptr_.reserve(n_ + 1);
  col_ptr_.assign(1, 0);
  diagonal_position_.resize(n_);
  for (int c = 0; c < nb; ++c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    for (int k = 0; k < size_c; ++k) {
      for (int p = pairs_begin[c]; p < pairs_begin[c + 1]; ++p) {
        const int b = pair_block(p);
        const int b_offset = jacobian.col_block_offset(b) - col_offset_;
        const int rows = b == cb ? k + 1 : jacobian.col_block_size(b);
        for (int i = 0; i < rows; ++i) row_index_.push_back(b_offset + i);
      }
      const int j = jacobian.col_block_offset(cb) - col_offset_ + k;
      diagonal_position_[j] = static_cast<int>(row_index_.size()) - 1;
      col_ptr_.push_back(static_cast<int>(row_index_.size()));
    }
  }
}

// Column block c's entries k in [begin, end) = [col_ptr_[j0],
// col_ptr_[j0 + size_c]) are written at values[k], or with targets at
// chunk[k - begin] and then scattered to values[targets[k]].
class GramAssembler::Out {
 public:
  Out(const GramAssembler& a, double* values, const int* targets, int thread_id,
      int begin, int end)
      : values_(values),
        targets_(targets),
        data_(targets == nullptr ? values : a.chunk_[thread_id].data()),
        first_(targets == nullptr ? 0 : begin),
        end_(end) {}
  double& operator[](int k) const { return data_[k - first_]; }
  double* at(int k) const { return data_ + (k - first_); }
  void Scatter() const {
    if (targets_ == nullptr) return;
    for (int k = first_; k < end_; ++k) {
      if (targets_[k] >= 0) values_[targets_[k]] = (*this)[k];
    }
  }

 private:
  double* values_;
  const int* targets_;
  double* data_;
  int first_;  // The entry at data_[0]: begin with targets, 0 without.
  int end_;
};

void GramAssembler::PrepareChunks(const int* targets) const {
  if (targets == nullptr || !chunk_.empty()) return;
  const int nb = cb_end_ - cb_begin_;
  int largest = 0;
  for (int c = 0; c < nb; ++c) {
    largest = std::max(
        largest, col_ptr_[block_starts_[c + 1]] - col_ptr_[block_starts_[c]]);
  }
  chunk_.assign(num_threads_, std::vector<double>(largest));
}

void GramAssembler::Assemble(const BlockSparseMatrix& jacobian,
                             const double* column_scale, const double* diagonal,
                             double* values, const int* targets) const {
  PrepareChunks(targets);
  if (!keep_tables_) {
    AssembleByRows(jacobian, column_scale, diagonal, values, targets);
    return;
  }
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, cb_end_ - cb_begin_, [&](int thread_id, int c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    const int j0 = jacobian.col_block_offset(cb) - col_offset_;
    const Out out(*this, values, targets, thread_id, col_ptr_[j0],
                  col_ptr_[j0 + size_c]);
    double* block = scratch_[thread_id].data();
    // Rows of the pairs before this one in each column of c.
    int row_offset = 0;
    for (int p = pairs_begin_[c]; p < pairs_begin_[c + 1]; ++p) {
      const BlockPair& pair = pairs_[p];
      const int size_b = jacobian.col_block_size(pair.b);
      MatrixRef sum(block, size_b, size_c);
      sum.setZero();
      const int contributions_end = pairs_[p + 1].contributions_begin;
      for (int q = pair.contributions_begin; q < contributions_end; ++q) {
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
        double* column = out.at(col_ptr_[j0 + k] + row_offset);
        for (int i = 0; i < rows; ++i) column[i] = sum(i, k);
      }
      row_offset += size_b;
    }
    if (diagonal != nullptr) {
      for (int k = 0; k < size_c; ++k) {
        out[diagonal_position_[j0 + k]] += diagonal[j0 + k];
      }
    }
    out.Scatter();
  });
}

// Column block c at a time, as Assemble: each row with a cell in c adds the
// products of its cells b <= c to the pairs' entries, found through the
// offsets of b's rows in c's columns (read off c's first column). Each entry
// receives the same products in the same order as Assemble's block sums
// (rows ascending, one product at a time), so the values are the same to the
// last bit.
void GramAssembler::AssembleByRows(const BlockSparseMatrix& jacobian,
                                   const double* column_scale,
                                   const double* diagonal, double* values,
                                   const int* targets) const {
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, cb_end_ - cb_begin_, [&](int thread_id, int c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    const int j0 = jacobian.col_block_offset(cb) - col_offset_;
    const Out out(*this, values, targets, thread_id, col_ptr_[j0],
                  col_ptr_[j0 + size_c]);
    int* slot = slot_[thread_id].data();
    for (int q = col_ptr_[j0]; q < col_ptr_[j0 + 1];) {
      const int b = block_of_[row_index_[q]];
      slot[b] = q - col_ptr_[j0];
      q += b == c ? 1 : block_starts_[b + 1] - block_starts_[b];
    }
    std::fill(out.at(col_ptr_[j0]), out.at(col_ptr_[j0 + size_c]), 0.0);
    ForEachContribution(jacobian, cb, [&](int global_b, const Contribution& t) {
      const int b = global_b - cb_begin_;
      const int size_b = jacobian.col_block_size(global_b);
      for (int r = 0; r < t.rows; ++r) {
        const double* jb = jv + t.position_b + r * size_b;
        const double* jc = jv + t.position_c + r * size_c;
        for (int k = 0; k < size_c; ++k) {
          double* column = out.at(col_ptr_[j0 + k] + slot[b]);
          const int n = b == c ? k + 1 : size_b;
          for (int i = 0; i < n; ++i) column[i] += jb[i] * jc[k];
        }
      }
    });
    for (int k = 0; k < size_c; ++k) {
      if (column_scale != nullptr) {
        const double sc = column_scale[col_offset_ + j0 + k];
        for (int q = col_ptr_[j0 + k]; q < col_ptr_[j0 + k + 1]; ++q) {
          out[q] *= column_scale[col_offset_ + row_index_[q]] * sc;
        }
      }
      if (diagonal != nullptr) {
        out[diagonal_position_[j0 + k]] += diagonal[j0 + k];
      }
    }
    out.Scatter();
  });
}

}  // namespace ceres_varpro::internal
