#include "engine/block_sparse_matrix.h"

#include <algorithm>

#include "engine/eigen_types.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

namespace {

// y += M x and y += Mᵀ x for a small row-major cell. Plain loops beat
// Eigen's dynamic-size kernels by a wide margin at these sizes (3x3, 9x3).
inline void CellMultiply(const double* m, int rows, int cols, const double* x,
                         double* y) {
  for (int i = 0; i < rows; ++i) {
    double sum = 0.0;
    const double* row = m + i * cols;
    for (int j = 0; j < cols; ++j) sum += row[j] * x[j];
    y[i] += sum;
  }
}

inline void CellTransposeMultiply(const double* m, int rows, int cols,
                                  const double* x, double* y) {
  for (int i = 0; i < rows; ++i) {
    const double xi = x[i];
    const double* row = m + i * cols;
    for (int j = 0; j < cols; ++j) y[j] += row[j] * xi;
  }
}

}  // namespace

BlockSparseMatrix::BlockSparseMatrix(
    const std::vector<int>& row_block_sizes,
    const std::vector<int>& col_block_sizes,
    const std::vector<std::vector<int>>& row_block_cols)
    : row_block_sizes_(row_block_sizes), col_block_sizes_(col_block_sizes) {
  CHECK_EQ(row_block_sizes.size(), row_block_cols.size());
  row_block_offsets_.resize(row_block_sizes_.size());
  for (size_t r = 0; r < row_block_sizes_.size(); ++r) {
    row_block_offsets_[r] = num_rows_;
    num_rows_ += row_block_sizes_[r];
  }
  col_block_offsets_.resize(col_block_sizes_.size());
  for (size_t c = 0; c < col_block_sizes_.size(); ++c) {
    col_block_offsets_[c] = num_cols_;
    num_cols_ += col_block_sizes_[c];
  }
  col_entries_.resize(col_block_sizes_.size());
  row_cell_begin_.reserve(row_block_sizes_.size() + 1);
  int position = 0;
  row_values_begin_.reserve(row_block_sizes_.size() + 1);
  for (size_t r = 0; r < row_block_cols.size(); ++r) {
    row_cell_begin_.push_back(static_cast<int>(cells_.size()));
    row_values_begin_.push_back(position);
    std::vector<int> cols = row_block_cols[r];
    std::sort(cols.begin(), cols.end());
    for (int c : cols) {
      CHECK_GE(c, 0);
      CHECK_LT(c, num_col_blocks());
      cells_.push_back({c, position});
      col_entries_[c].push_back({static_cast<int>(r), position});
      position += row_block_sizes_[r] * col_block_sizes_[c];
    }
  }
  row_cell_begin_.push_back(static_cast<int>(cells_.size()));
  row_values_begin_.push_back(position);
  values_.assign(position, 0.0);
  if (cells_.empty()) cells_.push_back({0, 0});  // Keeps row_cells_end valid.
}

void BlockSparseMatrix::RightMultiply(const double* x, double* y, int cb_begin,
                                      int cb_end, int num_threads) const {
  ParallelFor(num_threads, 0, num_row_blocks(), [&](int, int r) {
    const int rows = row_block_sizes_[r];
    double* yr = y + row_block_offsets_[r];
    for (int k = row_cell_begin_[r]; k < row_cell_begin_[r + 1]; ++k) {
      const Cell& cell = cells_[k];
      if (cell.col_block < cb_begin || cell.col_block >= cb_end) continue;
      CellMultiply(&values_[cell.position], rows,
                   col_block_sizes_[cell.col_block],
                   x + col_block_offsets_[cell.col_block], yr);
    }
  });
}

void BlockSparseMatrix::LeftMultiply(const double* x, double* y, int cb_begin,
                                     int cb_end, int num_threads) const {
  ParallelFor(num_threads, cb_begin, cb_end, [&](int, int c) {
    const int cols = col_block_sizes_[c];
    double* yc = y + col_block_offsets_[c];
    for (const ColumnEntry& e : col_entries_[c]) {
      CellTransposeMultiply(&values_[e.position], row_block_sizes_[e.row_block],
                            cols, x + row_block_offsets_[e.row_block], yc);
    }
  });
}

void BlockSparseMatrix::SquaredColumnNorm(double* out, int num_threads) const {
  ParallelFor(num_threads, 0, num_col_blocks(), [&](int, int c) {
    const int cols = col_block_sizes_[c];
    VectorRef oc(out + col_block_offsets_[c], cols);
    oc.setZero();
    for (const ColumnEntry& e : col_entries_[c]) {
      const int rows = row_block_sizes_[e.row_block];
      oc += ConstMatrixRef(&values_[e.position], rows, cols)
                .colwise()
                .squaredNorm()
                .transpose();
    }
  });
}

Eigen::MatrixXd BlockSparseMatrix::ToDense() const {
  Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(num_rows_, num_cols_);
  for (int r = 0; r < num_row_blocks(); ++r) {
    for (int k = row_cell_begin_[r]; k < row_cell_begin_[r + 1]; ++k) {
      const Cell& cell = cells_[k];
      const int cols = col_block_sizes_[cell.col_block];
      dense.block(row_block_offsets_[r], col_block_offsets_[cell.col_block],
                  row_block_sizes_[r], cols) =
          ConstMatrixRef(&values_[cell.position], row_block_sizes_[r], cols);
    }
  }
  return dense;
}

}  // namespace ceres_varpro::internal
