#include "engine/gram_assembler.h"

#include <algorithm>
#include <map>

#include "Eigen/Core"
#include "engine/parallel_for.h"
#include "engine/small_kernels.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

using RowMajorMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixRef = Eigen::Map<const RowMajorMatrix>;
using MatrixRef = Eigen::Map<RowMajorMatrix>;

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

  // Which (b, c) pairs appear, and from which cells. The diagonal pair is
  // always present so that an added diagonal has a place to go.
  std::vector<std::map<int, std::vector<Contribution>>> pair_map(nb);
  for (int c = 0; c < nb; ++c) pair_map[c][c + cb_begin];
  for (int r = 0; r < jacobian.num_row_blocks(); ++r) {
    const int rows = jacobian.row_block_size(r);
    for (auto* cc = jacobian.row_cells_begin(r);
         cc != jacobian.row_cells_end(r); ++cc) {
      if (cc->col_block < cb_begin || cc->col_block >= cb_end) continue;
      for (auto* bb = jacobian.row_cells_begin(r); bb <= cc; ++bb) {
        if (bb->col_block < cb_begin) continue;
        pair_map[cc->col_block - cb_begin][bb->col_block].push_back(
            {bb->position, cc->position, rows});
      }
    }
  }

  // Compressed columns: column k of block c holds the rows of every b <= c
  // (all of b's rows for b < c, rows up to k for b == c), b ascending.
  pairs_.resize(nb);
  col_ptr_.assign(1, 0);
  diagonal_position_.resize(n_);
  for (int c = 0; c < nb; ++c) {
    const int cb = c + cb_begin;
    const int size_c = jacobian.col_block_size(cb);
    for (auto& [b, contributions] : pair_map[c]) {
      BlockPair pair;
      pair.b = b;
      pair.contributions = std::move(contributions);
      pair.column_start.resize(size_c);
      pairs_[c].push_back(std::move(pair));
    }
    for (int k = 0; k < size_c; ++k) {
      for (BlockPair& pair : pairs_[c]) {
        const int b_offset = jacobian.col_block_offset(pair.b) - col_offset_;
        const int rows = pair.b == cb ? k + 1 : jacobian.col_block_size(pair.b);
        pair.column_start[k] = static_cast<int>(row_index_.size());
        for (int i = 0; i < rows; ++i) row_index_.push_back(b_offset + i);
      }
      const int j = jacobian.col_block_offset(cb) - col_offset_ + k;
      diagonal_position_[j] = static_cast<int>(row_index_.size()) - 1;
      col_ptr_.push_back(static_cast<int>(row_index_.size()));
    }
  }
  scratch_.resize(num_threads_);
  for (auto& s : scratch_)
    s.resize(2 * max_block_size_ * max_block_size_ + 2 * max_block_size_);
}

void GramAssembler::Assemble(const BlockSparseMatrix& jacobian,
                             const double* column_scale, const double* diagonal,
                             double* values) const {
  const double* jv = jacobian.values();
  ParallelFor(num_threads_, 0, cb_end_ - cb_begin_, [&](int thread_id, int c) {
    const int cb = c + cb_begin_;
    const int size_c = jacobian.col_block_size(cb);
    double* block = scratch_[thread_id].data();
    for (const BlockPair& pair : pairs_[c]) {
      const int size_b = jacobian.col_block_size(pair.b);
      MatrixRef sum(block, size_b, size_c);
      sum.setZero();
      for (const Contribution& k : pair.contributions) {
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
        double* out = values + pair.column_start[k];
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
