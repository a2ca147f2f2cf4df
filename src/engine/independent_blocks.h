#ifndef CERES_VARPRO_ENGINE_INDEPENDENT_BLOCKS_H_
#define CERES_VARPRO_ENGINE_INDEPENDENT_BLOCKS_H_

#include <vector>

#include "engine/block_sparse_matrix.h"
#include "engine/large_buffer.h"
#include "engine/span.h"

namespace ceres_varpro::internal {

// The structure of a Jacobian J = [J_θ A] whose linear column blocks are
// independent (no row block touches two of them), indexed once, block by
// block, as Ceres's SchurEliminator indexes its chunks. Linear block k owns
// the row blocks R_k that touch it; with A_k and J_θ,k its and the θ columns'
// cells in those rows,
//   G_k = A_kᵀA_k,   E_k = A_kᵀJ_θ,k   (p_k x width_k),
//   S = J_θᵀJ_θ - Σ_k E_kᵀ G_k⁻¹ E_k,
// where E_k has a column range (its "local" offset) for each θ column block
// that R_k touches, in ascending order. The dense reduced solver forms S from
// it, the Schur-Jacobi preconditioner takes S's diagonal blocks through the θ
// side (ThetaSide), the eliminator solves each block over its rows, and the
// Ceres-native mode compresses them. Positions are offsets into the
// Jacobian's values(), which change at every evaluation; the structure does
// not.
class IndependentBlocks {
 public:
  // A θ cell of a row block, and where its columns go in E_k.
  struct ThetaCell {
    int col_block;
    int position;
    int size;   // Columns.
    int local;  // First column in E_k.
  };
  // A row block of some R_k.
  struct Row {
    int row_block;
    int num_rows;
    int linear_position;         // The cell of linear block k.
    int cells_begin, cells_end;  // Its θ cells, into the cell array.
  };
  // θ-side view: row block `row_block` couples θ column block c with linear
  // block `block`. Per c, sorted by block, then by row block.
  struct Link {
    int block;
    int row_block;
    int theta_position;   // The cell of c.
    int linear_position;  // The cell of the linear block.
  };

  // Linear column blocks are [first_linear_col_block, num_col_blocks); CHECKs
  // that no row block touches two of them.
  IndependentBlocks(const BlockSparseMatrix& jacobian,
                    int first_linear_col_block);

  int num_blocks() const { return static_cast<int>(blocks_.size()); }
  int first_linear_col_block() const { return first_linear_col_block_; }
  // p_k, the rows of R_k stacked (m_k) and the width of E_k.
  int block_size(int k) const { return blocks_[k].size; }
  int num_residuals(int k) const { return blocks_[k].num_residuals; }
  int width(int k) const { return blocks_[k].width; }

  Span<Row> rows(int k) const {
    return {rows_.data() + blocks_[k].rows_begin,
            rows_.data() + blocks_[k].rows_end};
  }
  Span<ThetaCell> cells(const Row& row) const {
    return {cells_.data() + row.cells_begin, cells_.data() + row.cells_end};
  }
  // The θ column blocks R_k touches, ascending, and the first column of each
  // in E_k (parallel arrays).
  Span<int> theta_col_blocks(int k) const {
    return {theta_col_blocks_.data() + blocks_[k].theta_begin,
            theta_col_blocks_.data() + blocks_[k].theta_end};
  }
  Span<int> theta_local(int k) const {
    return {theta_local_.data() + blocks_[k].theta_begin,
            theta_local_.data() + blocks_[k].theta_end};
  }
  // First column in E_k of θ column block c, which R_k must touch.
  int LocalOffset(int k, int col_block) const;

  // The θ-side view, built only by its one user (the Schur-Jacobi
  // preconditioner): on BAL it is as large as the row index.
  class ThetaSide {
   public:
    explicit ThetaSide(const IndependentBlocks& blocks);
    Span<Link> links(int theta_col_block) const {
      return {links_.data() + links_begin_[theta_col_block],
              links_.data() + links_begin_[theta_col_block + 1]};
    }

   private:
    LargeVector<Link> links_;
    std::vector<int> links_begin_;
  };
  // Row blocks that touch no linear block.
  const std::vector<int>& theta_only_rows() const { return theta_only_rows_; }

 private:
  struct Block {
    int size = 0;
    int num_residuals = 0;
    int width = 0;
    int rows_begin = 0, rows_end = 0;
    int theta_begin = 0, theta_end = 0;
  };

  int first_linear_col_block_;
  // Per eliminated block, row and cell (LargeVector: huge pages).
  LargeVector<Block> blocks_;
  LargeVector<Row> rows_;
  LargeVector<ThetaCell> cells_;
  LargeVector<int> theta_col_blocks_, theta_local_;
  std::vector<int> theta_only_rows_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_INDEPENDENT_BLOCKS_H_
