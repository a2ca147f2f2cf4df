#include "engine/independent_blocks.h"

#include <algorithm>

#include "glog/logging.h"

namespace ceres_varpro::internal {

IndependentBlocks::IndependentBlocks(const BlockSparseMatrix& jacobian,
                                     int first_linear_col_block)
    : first_linear_col_block_(first_linear_col_block) {
  const int first = first_linear_col_block;
  CHECK_LE(0, first);
  CHECK_LE(first, jacobian.num_col_blocks());
  std::vector<char> touches_linear(jacobian.num_row_blocks(), 0);
  // Sized up front: tens of thousands of blocks grew these by doubling.
  int num_rows = 0;
  int num_cells = 0;
  for (int c = first; c < jacobian.num_col_blocks(); ++c) {
    for (const auto& e : jacobian.column_entries(c)) {
      ++num_rows;
      for (auto* cell = jacobian.row_cells_begin(e.row_block);
           cell != jacobian.row_cells_end(e.row_block); ++cell) {
        if (cell->col_block < first) ++num_cells;
      }
    }
  }
  rows_.reserve(num_rows);
  cells_.reserve(num_cells);
  theta_col_blocks_.reserve(num_cells);
  theta_local_.reserve(num_cells);
  blocks_.resize(jacobian.num_col_blocks() - first);
  for (int k = 0; k < num_blocks(); ++k) {
    Block& block = blocks_[k];
    block.size = jacobian.col_block_size(first + k);
    block.rows_begin = static_cast<int>(rows_.size());
    block.theta_begin = static_cast<int>(theta_col_blocks_.size());
    const auto& entries = jacobian.column_entries(first + k);
    for (const auto& e : entries) {
      CHECK(!touches_linear[e.row_block])
          << "row block " << e.row_block << " touches two linear blocks";
      touches_linear[e.row_block] = 1;
      for (auto* cell = jacobian.row_cells_begin(e.row_block);
           cell != jacobian.row_cells_end(e.row_block); ++cell) {
        if (cell->col_block < first) {
          theta_col_blocks_.push_back(cell->col_block);
        }
      }
    }
    // E_k's columns: the θ column blocks touched, ascending.
    std::sort(theta_col_blocks_.begin() + block.theta_begin,
              theta_col_blocks_.end());
    theta_col_blocks_.erase(
        std::unique(theta_col_blocks_.begin() + block.theta_begin,
                    theta_col_blocks_.end()),
        theta_col_blocks_.end());
    block.theta_end = static_cast<int>(theta_col_blocks_.size());
    for (int i = block.theta_begin; i < block.theta_end; ++i) {
      theta_local_.push_back(block.width);
      block.width += jacobian.col_block_size(theta_col_blocks_[i]);
    }
    for (const auto& e : entries) {
      Row row;
      row.row_block = e.row_block;
      row.num_rows = jacobian.row_block_size(e.row_block);
      row.linear_position = e.position;
      row.cells_begin = static_cast<int>(cells_.size());
      for (auto* cell = jacobian.row_cells_begin(e.row_block);
           cell != jacobian.row_cells_end(e.row_block); ++cell) {
        if (cell->col_block >= first) continue;
        cells_.push_back({cell->col_block, cell->position,
                          jacobian.col_block_size(cell->col_block),
                          LocalOffset(k, cell->col_block)});
      }
      row.cells_end = static_cast<int>(cells_.size());
      rows_.push_back(row);
      block.num_residuals += row.num_rows;
    }
    block.rows_end = static_cast<int>(rows_.size());
  }
  for (int r = 0; r < jacobian.num_row_blocks(); ++r) {
    if (!touches_linear[r]) theta_only_rows_.push_back(r);
  }
}

IndependentBlocks::ThetaSide::ThetaSide(const IndependentBlocks& blocks) {
  // Counted, then placed: blocks in ascending order keep each θ block's
  // links sorted by linear block, then by row block.
  links_begin_.assign(blocks.first_linear_col_block() + 1, 0);
  for (int k = 0; k < blocks.num_blocks(); ++k) {
    for (const Row& row : blocks.rows(k)) {
      for (const ThetaCell& cell : blocks.cells(row)) {
        ++links_begin_[cell.col_block + 1];
      }
    }
  }
  for (size_t c = 1; c < links_begin_.size(); ++c) {
    links_begin_[c] += links_begin_[c - 1];
  }
  links_.resize(links_begin_.back());
  std::vector<int> next(links_begin_.begin(), links_begin_.end() - 1);
  for (int k = 0; k < blocks.num_blocks(); ++k) {
    for (const Row& row : blocks.rows(k)) {
      for (const ThetaCell& cell : blocks.cells(row)) {
        links_[next[cell.col_block]++] = {k, row.row_block, cell.position,
                                          row.linear_position};
      }
    }
  }
}

int IndependentBlocks::LocalOffset(int k, int col_block) const {
  const Block& block = blocks_[k];
  const auto begin = theta_col_blocks_.begin() + block.theta_begin;
  const auto end = theta_col_blocks_.begin() + block.theta_end;
  const auto it = std::lower_bound(begin, end, col_block);
  CHECK(it != end && *it == col_block)
      << "linear block " << k << " does not touch column block " << col_block;
  return theta_local_[it - theta_col_blocks_.begin()];
}

}  // namespace ceres_varpro::internal
