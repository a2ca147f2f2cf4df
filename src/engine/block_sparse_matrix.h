#ifndef CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_
#define CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_

#include <cstdlib>
#include <memory>
#include <vector>

#include "Eigen/Core"
#include "engine/large_buffer.h"
#include "engine/span.h"

namespace ceres_varpro::internal {

// A Jacobian stored as dense row-major cells, one per (residual block,
// parameter block) pair. The structure is fixed at construction; values are
// overwritten in place at every evaluation, so nothing is allocated per
// iteration. Products can be restricted to a range of column blocks, which is
// how the nonlinear part J_θ and the linear part A of one Jacobian are used
// separately.
class BlockSparseMatrix {
 public:
  struct Cell {
    int col_block;
    int position;  // Offset of the cell's first value in values().
  };
  // A cell of a column block as (row block, position).
  struct ColumnEntry {
    int row_block;
    int position;
  };
  // Everything but the values, read-only once built: matrices of one
  // structure (the Jacobians of several evaluation points) share it. The
  // column entries are flat, compressed by column block.
  struct Layout {
    std::vector<int> row_block_sizes, row_block_offsets;
    std::vector<int> col_block_sizes, col_block_offsets;
    std::vector<int> row_cell_begin;
    std::vector<int> row_values_begin;
    LargeVector<Cell> cells;  // Per row block, sorted by column block.
    std::vector<int> col_entry_begin;
    LargeVector<ColumnEntry> col_entries;
    int num_rows = 0;
    int num_cols = 0;
  };

  // Row block r holds the column blocks
  // row_cols[row_cols_begin[r] .. row_cols_begin[r + 1]), in any order.
  static std::shared_ptr<const Layout> BuildLayout(
      const std::vector<int>& row_block_sizes,
      const std::vector<int>& col_block_sizes,
      const std::vector<int>& row_cols_begin, const std::vector<int>& row_cols);
  // A zero matrix of that structure.
  explicit BlockSparseMatrix(std::shared_ptr<const Layout> layout);
  // Same structure (shared), values copied.
  BlockSparseMatrix(const BlockSparseMatrix& other);
  BlockSparseMatrix& operator=(const BlockSparseMatrix&) = delete;
  // The same with row_block_cols[r] listing row block r's column blocks
  // (small matrices in tests).
  BlockSparseMatrix(const std::vector<int>& row_block_sizes,
                    const std::vector<int>& col_block_sizes,
                    const std::vector<std::vector<int>>& row_block_cols);

  int num_rows() const { return layout_->num_rows; }
  int num_cols() const { return layout_->num_cols; }
  int num_row_blocks() const {
    return static_cast<int>(layout_->row_block_sizes.size());
  }
  int num_col_blocks() const {
    return static_cast<int>(layout_->col_block_sizes.size());
  }
  int row_block_size(int r) const { return layout_->row_block_sizes[r]; }
  int row_block_offset(int r) const { return layout_->row_block_offsets[r]; }
  int col_block_size(int c) const { return layout_->col_block_sizes[c]; }
  int col_block_offset(int c) const { return layout_->col_block_offsets[c]; }
  int num_nonzeros() const { return num_nonzeros_; }
  // The values of row block r's cells are contiguous:
  // [row_values_begin(r), row_values_begin(r + 1)).
  int row_values_begin(int r) const { return layout_->row_values_begin[r]; }

  // Cells of row block r, sorted by column block.
  const Cell* row_cells_begin(int r) const {
    return &layout_->cells[layout_->row_cell_begin[r]];
  }
  const Cell* row_cells_end(int r) const {
    return &layout_->cells[0] + layout_->row_cell_begin[r + 1];
  }
  // Cells of column block c, in row order.
  Span<ColumnEntry> column_entries(int c) const {
    return {layout_->col_entries.data() + layout_->col_entry_begin[c],
            layout_->col_entries.data() + layout_->col_entry_begin[c + 1]};
  }

  double* values() { return values_.get(); }
  const double* values() const { return values_.get(); }

  // y += J(:, cols of col blocks [cb_begin, cb_end)) * x, with x indexed by
  // the global column offsets.
  void RightMultiply(const double* x, double* y, int cb_begin, int cb_end,
                     int num_threads) const;
  // y(cols of [cb_begin, cb_end)) += J(:, those cols)^T * x. Uses scratch
  // of the matrix's own: not to be called on one matrix from two threads at
  // once.
  void LeftMultiply(const double* x, double* y, int cb_begin, int cb_end,
                    int num_threads) const;
  // rows = J(:, cols of [r_begin, r_end)) * x (added to rows when
  // accumulate), then y(cols of [l_begin, l_end)) += J(:, those cols)^T *
  // rows, row block by row block: one pass over J for the two halves of a
  // Schur complement's product, each row's values used while in cache. The
  // same bits as RightMultiply then LeftMultiply. x and y are indexed by the
  // global column offsets; same scratch rule as LeftMultiply.
  void MultiplyThenTransposeMultiply(const double* x, int r_begin, int r_end,
                                     int l_begin, int l_end, bool accumulate,
                                     double* rows, double* y,
                                     int num_threads) const;
  // out[j] = sum_i J(i, j)^2 for the columns of col blocks
  // [cb_begin, cb_end), out indexed by the global column offsets.
  void SquaredColumnNorm(double* out, int cb_begin, int cb_end,
                         int num_threads) const;
  void SquaredColumnNorm(double* out, int num_threads) const {
    SquaredColumnNorm(out, 0, num_col_blocks(), num_threads);
  }

  Eigen::MatrixXd ToDense() const;

 private:
  static std::vector<int> RowColsBegin(
      const std::vector<std::vector<int>>& row_block_cols);
  static std::vector<int> Flatten(
      const std::vector<std::vector<int>>& row_block_cols);

  // J(rows, cols of [cb_begin, cb_end))ᵀ x accumulated into out, indexed
  // from the first of those columns.
  void LeftMultiplyRows(const double* x, int row_begin, int row_end,
                        int cb_begin, int cb_end, double* out) const;
  // Row ranges for y += Jᵀ(...) summed per range then in range order, so the
  // result does not depend on which thread ran what: rows(p, parts) is part
  // p's [begin, end), accumulate(p, partial) fills partial (zeroed, indexed
  // from the first column of [cb_begin, cb_end)).
  template <typename F>
  void SumOverRowParts(double* y, int cb_begin, int cb_end, int num_threads,
                       const F& accumulate) const;

  struct FreeDeleter {
    std::size_t bytes = 0;
    void operator()(double* p) const { FreeLargeBuffer(p, bytes); }
  };

  std::shared_ptr<const Layout> layout_;
  int num_nonzeros_ = 0;
  // A large buffer (huge pages where the kernel grants them): the values are
  // rewritten every evaluation, and on a virtual machine the 4 KiB page
  // faults of their first touch cost more than the evaluation that fills
  // them.
  std::unique_ptr<double[], FreeDeleter> values_;
  // LeftMultiply's per-thread partial sums.
  mutable std::vector<std::vector<double>> left_scratch_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_
