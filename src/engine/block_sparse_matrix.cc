#include "engine/block_sparse_matrix.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "engine/eigen_types.h"
#include "engine/large_buffer.h"
#include "engine/parallel_for.h"
#include "glog/logging.h"

namespace ceres_varpro::internal {

namespace {

// LeftMultiply splits the rows among threads only above this many per thread.
constexpr int kMinRowsPerThread = 2048;

// y += M x and y += Mᵀ x for a small row-major cell. Plain loops beat
// Eigen's dynamic-size kernels by a wide margin at these sizes (3x3, 9x3).
template <int R, int C>
inline void CellMultiplySized(const double* m, int rows, int cols,
                              const double* x, double* y) {
  const int nr = R > 0 ? R : rows;
  const int nc = C > 0 ? C : cols;
  for (int i = 0; i < nr; ++i) {
    double sum = 0.0;
    const double* row = m + i * nc;
    for (int j = 0; j < nc; ++j) sum += row[j] * x[j];
    y[i] += sum;
  }
}

template <int R, int C>
inline void CellTransposeMultiplySized(const double* m, int rows, int cols,
                                       const double* x, double* y) {
  const int nr = R > 0 ? R : rows;
  const int nc = C > 0 ? C : cols;
  for (int i = 0; i < nr; ++i) {
    const double xi = x[i];
    const double* row = m + i * nc;
    for (int j = 0; j < nc; ++j) y[j] += row[j] * xi;
  }
}

// Calls f(std::integral_constant<int, R>, std::integral_constant<int, C>)
// with the cell's shape for the cells of the pose-graph and landmark models
// (bearings, rotations and positions of 1 to 3 columns against 2 to 9 rows:
// Ceres's pose_graph_2d/3d examples, the isotropic SLAM model), with 0, 0
// (run-time sizes) otherwise: unrolled, their loop control no longer costs
// more than the few multiplications (bundle adjustment's 2 x 3 and 2 x 9
// cells gained nothing measurable). Same order of operations as the loops.
template <typename F>
inline void DispatchCellShape(int rows, int cols, const F& f) {
  using std::integral_constant;
  switch (rows < 16 && cols < 16 ? rows * 16 + cols : -1) {
    case 2 * 16 + 1:
      return f(integral_constant<int, 2>(), integral_constant<int, 1>());
    case 2 * 16 + 2:
      return f(integral_constant<int, 2>(), integral_constant<int, 2>());
    case 3 * 16 + 1:
      return f(integral_constant<int, 3>(), integral_constant<int, 1>());
    case 3 * 16 + 2:
      return f(integral_constant<int, 3>(), integral_constant<int, 2>());
    case 3 * 16 + 3:
      return f(integral_constant<int, 3>(), integral_constant<int, 3>());
    case 4 * 16 + 1:
      return f(integral_constant<int, 4>(), integral_constant<int, 1>());
    case 6 * 16 + 3:
      return f(integral_constant<int, 6>(), integral_constant<int, 3>());
    case 9 * 16 + 3:
      return f(integral_constant<int, 9>(), integral_constant<int, 3>());
    default:
      return f(integral_constant<int, 0>(), integral_constant<int, 0>());
  }
}

inline void CellMultiply(const double* m, int rows, int cols, const double* x,
                         double* y) {
  DispatchCellShape(rows, cols, [&](auto r, auto c) {
    CellMultiplySized<decltype(r)::value, decltype(c)::value>(m, rows, cols, x,
                                                              y);
  });
}

inline void CellTransposeMultiply(const double* m, int rows, int cols,
                                  const double* x, double* y) {
  DispatchCellShape(rows, cols, [&](auto r, auto c) {
    CellTransposeMultiplySized<decltype(r)::value, decltype(c)::value>(
        m, rows, cols, x, y);
  });
}

}  // namespace

std::shared_ptr<const BlockSparseMatrix::Layout> BlockSparseMatrix::BuildLayout(
    const std::vector<int>& row_block_sizes,
    const std::vector<int>& col_block_sizes,
    const std::vector<int>& row_cols_begin, const std::vector<int>& row_cols) {
  CHECK_EQ(row_block_sizes.size() + 1, row_cols_begin.size());
  CHECK_EQ(row_cols_begin.back(), static_cast<int>(row_cols.size()));
  auto layout = std::make_shared<Layout>();
  Layout& l = *layout;
  l.row_block_sizes = row_block_sizes;
  l.col_block_sizes = col_block_sizes;
  const int num_row_blocks = static_cast<int>(row_block_sizes.size());
  const int num_col_blocks = static_cast<int>(col_block_sizes.size());
  l.row_block_offsets.resize(num_row_blocks);
  for (int r = 0; r < num_row_blocks; ++r) {
    l.row_block_offsets[r] = l.num_rows;
    l.num_rows += row_block_sizes[r];
  }
  l.col_block_offsets.resize(num_col_blocks);
  for (int c = 0; c < num_col_blocks; ++c) {
    l.col_block_offsets[c] = l.num_cols;
    l.num_cols += col_block_sizes[c];
  }
  l.row_cell_begin.reserve(num_row_blocks + 1);
  l.row_values_begin.reserve(num_row_blocks + 1);
  l.col_entry_begin.assign(num_col_blocks + 1, 0);
  l.cells.reserve(row_cols.size());
  int position = 0;
  std::vector<int> cols;
  for (int r = 0; r < num_row_blocks; ++r) {
    l.row_cell_begin.push_back(static_cast<int>(l.cells.size()));
    l.row_values_begin.push_back(position);
    cols.assign(row_cols.begin() + row_cols_begin[r],
                row_cols.begin() + row_cols_begin[r + 1]);
    std::sort(cols.begin(), cols.end());
    for (int c : cols) {
      CHECK_GE(c, 0);
      CHECK_LT(c, num_col_blocks);
      l.cells.push_back({c, position});
      ++l.col_entry_begin[c + 1];
      position += row_block_sizes[r] * col_block_sizes[c];
    }
  }
  l.row_cell_begin.push_back(static_cast<int>(l.cells.size()));
  l.row_values_begin.push_back(position);
  // Column entries in row order, bucketed by column block.
  for (int c = 0; c < num_col_blocks; ++c) {
    l.col_entry_begin[c + 1] += l.col_entry_begin[c];
  }
  l.col_entries.resize(l.cells.size());
  std::vector<int> fill(l.col_entry_begin.begin(), l.col_entry_begin.end() - 1);
  for (int r = 0; r < num_row_blocks; ++r) {
    for (int i = l.row_cell_begin[r]; i < l.row_cell_begin[r + 1]; ++i) {
      l.col_entries[fill[l.cells[i].col_block]++] = {r, l.cells[i].position};
    }
  }
  if (l.cells.empty()) l.cells.push_back({0, 0});  // Keeps row_cells_end valid.
  return layout;
}

BlockSparseMatrix::BlockSparseMatrix(std::shared_ptr<const Layout> layout)
    : layout_(std::move(layout)),
      num_nonzeros_(layout_->row_values_begin.back()),
      values_(nullptr,
              FreeDeleter{sizeof(double) *
                          static_cast<size_t>(std::max(1, num_nonzeros_))}) {
  values_.reset(
      static_cast<double*>(AllocateLargeBuffer(values_.get_deleter().bytes)));
  CHECK(values_ != nullptr)
      << "out of memory for a Jacobian of " << num_nonzeros_ << " values";
}

BlockSparseMatrix::BlockSparseMatrix(const BlockSparseMatrix& other)
    : BlockSparseMatrix(other.layout_) {
  std::copy(other.values(), other.values() + num_nonzeros_, values());
}

BlockSparseMatrix::BlockSparseMatrix(
    const std::vector<int>& row_block_sizes,
    const std::vector<int>& col_block_sizes,
    const std::vector<std::vector<int>>& row_block_cols)
    : BlockSparseMatrix(BuildLayout(row_block_sizes, col_block_sizes,
                                    RowColsBegin(row_block_cols),
                                    Flatten(row_block_cols))) {}

std::vector<int> BlockSparseMatrix::RowColsBegin(
    const std::vector<std::vector<int>>& row_block_cols) {
  std::vector<int> begin(1, 0);
  for (const auto& cols : row_block_cols) {
    begin.push_back(begin.back() + static_cast<int>(cols.size()));
  }
  return begin;
}

std::vector<int> BlockSparseMatrix::Flatten(
    const std::vector<std::vector<int>>& row_block_cols) {
  std::vector<int> flat;
  for (const auto& cols : row_block_cols) {
    flat.insert(flat.end(), cols.begin(), cols.end());
  }
  return flat;
}

void BlockSparseMatrix::RightMultiply(const double* x, double* y, int cb_begin,
                                      int cb_end, int num_threads) const {
  const Layout& l = *layout_;
  ParallelFor(num_threads, 0, num_row_blocks(), [&](int, int r) {
    const int rows = l.row_block_sizes[r];
    double* yr = y + l.row_block_offsets[r];
    for (int k = l.row_cell_begin[r]; k < l.row_cell_begin[r + 1]; ++k) {
      const Cell& cell = l.cells[k];
      if (cell.col_block < cb_begin || cell.col_block >= cb_end) continue;
      CellMultiply(&values_[cell.position], rows,
                   l.col_block_sizes[cell.col_block],
                   x + l.col_block_offsets[cell.col_block], yr);
    }
  });
}

void BlockSparseMatrix::LeftMultiplyRows(const double* x, int row_begin,
                                         int row_end, int cb_begin, int cb_end,
                                         double* out) const {
  const Layout& l = *layout_;
  const int first_col = l.col_block_offsets[cb_begin];
  for (int r = row_begin; r < row_end; ++r) {
    const int rows = l.row_block_sizes[r];
    const double* xr = x + l.row_block_offsets[r];
    for (int k = l.row_cell_begin[r]; k < l.row_cell_begin[r + 1]; ++k) {
      const Cell& cell = l.cells[k];
      if (cell.col_block < cb_begin) continue;
      if (cell.col_block >= cb_end) break;  // Cells are sorted by column.
      CellTransposeMultiply(
          &values_[cell.position], rows, l.col_block_sizes[cell.col_block], xr,
          out + l.col_block_offsets[cell.col_block] - first_col);
    }
  }
}

// Row by row: the values are read in the order they are stored, and the
// scattered writes go to y, which is much smaller than J (gathering column by
// column read J's cells all over memory). The rows are cut into one fixed
// range per thread, each summed into its own copy of y's range; the copies
// are added in range order, so the result does not depend on which thread
// ran what.
template <typename F>
void BlockSparseMatrix::SumOverRowParts(double* y, int cb_begin, int cb_end,
                                        int num_threads,
                                        const F& accumulate) const {
  const Layout& l = *layout_;
  const int first_col = l.col_block_offsets[cb_begin];
  const int width = l.col_block_offsets[cb_end - 1] +
                    l.col_block_sizes[cb_end - 1] - first_col;
  const int nr = num_row_blocks();
  const int parts = std::max(1, std::min(num_threads, nr / kMinRowsPerThread));
  if (parts == 1) {
    accumulate(0, nr, y + first_col);
    return;
  }
  if (static_cast<int>(left_scratch_.size()) < parts) {
    left_scratch_.resize(parts);
  }
  ParallelForParts(parts, parts, [&](int p) {
    std::vector<double>& partial = left_scratch_[p];
    partial.assign(width, 0.0);
    const int64_t begin = static_cast<int64_t>(nr) * p / parts;
    const int64_t end = static_cast<int64_t>(nr) * (p + 1) / parts;
    accumulate(static_cast<int>(begin), static_cast<int>(end), partial.data());
  });
  double* out = y + first_col;
  for (int p = 0; p < parts; ++p) {
    const double* partial = left_scratch_[p].data();
    for (int i = 0; i < width; ++i) out[i] += partial[i];
  }
}

void BlockSparseMatrix::LeftMultiply(const double* x, double* y, int cb_begin,
                                     int cb_end, int num_threads) const {
  if (cb_begin >= cb_end) return;
  SumOverRowParts(y, cb_begin, cb_end, num_threads,
                  [&](int row_begin, int row_end, double* out) {
                    LeftMultiplyRows(x, row_begin, row_end, cb_begin, cb_end,
                                     out);
                  });
}

void BlockSparseMatrix::MultiplyThenTransposeMultiply(
    const double* x, int r_begin, int r_end, int l_begin, int l_end,
    bool accumulate, double* rows, double* y, int num_threads) const {
  const Layout& l = *layout_;
  if (l_begin >= l_end) {
    if (!accumulate) std::fill(rows, rows + num_rows(), 0.0);
    RightMultiply(x, rows, r_begin, r_end, num_threads);
    return;
  }
  const int first_col = l.col_block_offsets[l_begin];
  SumOverRowParts(
      y, l_begin, l_end, num_threads,
      [&](int row_begin, int row_end, double* out) {
        for (int r = row_begin; r < row_end; ++r) {
          const int m = l.row_block_sizes[r];
          double* yr = rows + l.row_block_offsets[r];
          if (!accumulate) std::fill(yr, yr + m, 0.0);
          const int cells_end = l.row_cell_begin[r + 1];
          for (int k = l.row_cell_begin[r]; k < cells_end; ++k) {
            const Cell& cell = l.cells[k];
            if (cell.col_block < r_begin || cell.col_block >= r_end) continue;
            CellMultiply(&values_[cell.position], m,
                         l.col_block_sizes[cell.col_block],
                         x + l.col_block_offsets[cell.col_block], yr);
          }
          for (int k = l.row_cell_begin[r]; k < cells_end; ++k) {
            const Cell& cell = l.cells[k];
            if (cell.col_block < l_begin) continue;
            if (cell.col_block >= l_end) break;  // Sorted by column.
            CellTransposeMultiply(
                &values_[cell.position], m, l.col_block_sizes[cell.col_block],
                yr, out + l.col_block_offsets[cell.col_block] - first_col);
          }
        }
      });
}

// Row by row, as Jᵀx: a pass in memory order, on every thread even when there
// are few column blocks (bundle adjustment's cameras).
void BlockSparseMatrix::SquaredColumnNorm(double* out, int cb_begin, int cb_end,
                                          int num_threads) const {
  if (cb_begin >= cb_end) return;
  const Layout& l = *layout_;
  const int first_col = l.col_block_offsets[cb_begin];
  std::fill(
      out + first_col,
      out + l.col_block_offsets[cb_end - 1] + l.col_block_sizes[cb_end - 1],
      0.0);
  SumOverRowParts(
      out, cb_begin, cb_end, num_threads,
      [&](int row_begin, int row_end, double* partial) {
        for (int r = row_begin; r < row_end; ++r) {
          const int m = l.row_block_sizes[r];
          for (int k = l.row_cell_begin[r]; k < l.row_cell_begin[r + 1]; ++k) {
            const Cell& cell = l.cells[k];
            if (cell.col_block < cb_begin) continue;
            if (cell.col_block >= cb_end) break;  // Sorted by column.
            const int cols = l.col_block_sizes[cell.col_block];
            const double* a = &values_[cell.position];
            double* o =
                partial + l.col_block_offsets[cell.col_block] - first_col;
            for (int i = 0; i < m; ++i) {
              for (int t = 0; t < cols; ++t)
                o[t] += a[i * cols + t] * a[i * cols + t];
            }
          }
        }
      });
}

Eigen::MatrixXd BlockSparseMatrix::ToDense() const {
  const Layout& l = *layout_;
  Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(l.num_rows, l.num_cols);
  for (int r = 0; r < num_row_blocks(); ++r) {
    for (int k = l.row_cell_begin[r]; k < l.row_cell_begin[r + 1]; ++k) {
      const Cell& cell = l.cells[k];
      const int cols = l.col_block_sizes[cell.col_block];
      dense.block(l.row_block_offsets[r], l.col_block_offsets[cell.col_block],
                  l.row_block_sizes[r], cols) =
          ConstMatrixRef(&values_[cell.position], l.row_block_sizes[r], cols);
    }
  }
  return dense;
}

}  // namespace ceres_varpro::internal
