#ifndef CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_
#define CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_

#include <vector>

#include "Eigen/Core"

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

  // row_block_cols[r] lists the column blocks present in row block r.
  BlockSparseMatrix(const std::vector<int>& row_block_sizes,
                    const std::vector<int>& col_block_sizes,
                    const std::vector<std::vector<int>>& row_block_cols);

  int num_rows() const { return num_rows_; }
  int num_cols() const { return num_cols_; }
  int num_row_blocks() const {
    return static_cast<int>(row_block_sizes_.size());
  }
  int num_col_blocks() const {
    return static_cast<int>(col_block_sizes_.size());
  }
  int row_block_size(int r) const { return row_block_sizes_[r]; }
  int row_block_offset(int r) const { return row_block_offsets_[r]; }
  int col_block_size(int c) const { return col_block_sizes_[c]; }
  int col_block_offset(int c) const { return col_block_offsets_[c]; }
  int num_nonzeros() const { return static_cast<int>(values_.size()); }
  // The values of row block r's cells are contiguous:
  // [row_values_begin(r), row_values_begin(r + 1)).
  int row_values_begin(int r) const { return row_values_begin_[r]; }

  // Cells of row block r, sorted by column block.
  const Cell* row_cells_begin(int r) const {
    return &cells_[row_cell_begin_[r]];
  }
  const Cell* row_cells_end(int r) const {
    return &cells_[0] + row_cell_begin_[r + 1];
  }
  // Cells of column block c as (row block, position) pairs.
  struct ColumnEntry {
    int row_block;
    int position;
  };
  const std::vector<ColumnEntry>& column_entries(int c) const {
    return col_entries_[c];
  }

  double* values() { return values_.data(); }
  const double* values() const { return values_.data(); }

  // y += J(:, cols of col blocks [cb_begin, cb_end)) * x, with x indexed by
  // the global column offsets.
  void RightMultiply(const double* x, double* y, int cb_begin, int cb_end,
                     int num_threads) const;
  // y(cols of [cb_begin, cb_end)) += J(:, those cols)^T * x.
  void LeftMultiply(const double* x, double* y, int cb_begin, int cb_end,
                    int num_threads) const;
  // out[j] = sum_i J(i, j)^2 for every column.
  void SquaredColumnNorm(double* out, int num_threads) const;

  Eigen::MatrixXd ToDense() const;

 private:
  std::vector<int> row_block_sizes_, row_block_offsets_;
  std::vector<int> col_block_sizes_, col_block_offsets_;
  std::vector<int> row_cell_begin_;
  std::vector<int> row_values_begin_;
  std::vector<Cell> cells_;
  std::vector<std::vector<ColumnEntry>> col_entries_;
  std::vector<double> values_;
  int num_rows_ = 0;
  int num_cols_ = 0;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_BLOCK_SPARSE_MATRIX_H_
