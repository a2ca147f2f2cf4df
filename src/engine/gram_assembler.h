#ifndef CERES_VARPRO_ENGINE_GRAM_ASSEMBLER_H_
#define CERES_VARPRO_ENGINE_GRAM_ASSEMBLER_H_

#include <vector>

#include "engine/block_sparse_matrix.h"
#include "engine/large_buffer.h"

namespace ceres_varpro::internal {

// Assembles the upper triangle of JᵀJ (optionally with columns scaled and a
// diagonal added) for the column blocks [cb_begin, cb_end) of a
// BlockSparseMatrix, in compressed-column form for CHOLMOD. The pattern and
// the map from Jacobian cells to matrix entries are computed once; Assemble()
// only does arithmetic, in parallel over column blocks, without allocating.
//
// With keep_tables (the default) the map from Jacobian cells to entries is
// kept: 12 bytes per cell pair sharing a row, 8 per block pair, and the
// fastest Assemble, for matrices assembled at every evaluation or
// iteration. Without it Assemble walks each column block's rows and adds
// their products through a per-thread slot table instead, for a matrix
// assembled a few times a solve (the lagged joint preconditioner's: without
// its 7.2 MB of tables city10000's peak RSS went 80.8 -> 72.6 MB, the solve
// time unchanged). Both give the same values to the last bit.
class GramAssembler {
 public:
  GramAssembler(const BlockSparseMatrix& jacobian, int cb_begin, int cb_end,
                int num_threads, bool keep_tables = true);

  int num_cols() const { return n_; }
  const std::vector<int>& col_ptr() const { return col_ptr_; }
  const std::vector<int>& row_index() const { return row_index_; }
  int num_nonzeros() const { return static_cast<int>(row_index_.size()); }
  // First local column of each column block, then num_cols().
  const std::vector<int>& block_starts() const { return block_starts_; }

  // values (num_nonzeros) = upper(S Jᵀ J S) + diag(diagonal), where S scales
  // the columns. column_scale is indexed by the Jacobian's global column and
  // may be null (no scaling); diagonal is indexed by the local column
  // (0..num_cols) and may be null. With targets (num_nonzeros entries) entry
  // k goes to values[targets[k]] instead (-1: nowhere): straight into a
  // supernodal factor (SparseCholesky::BeginAssembly), through a small
  // per-thread chunk per column block.
  void Assemble(const BlockSparseMatrix& jacobian, const double* column_scale,
                const double* diagonal, double* values,
                const int* targets = nullptr) const;

  // Position in values of the diagonal entry of local column j.
  int diagonal_position(int j) const { return diagonal_position_[j]; }
  int col_offset() const { return col_offset_; }

 private:
  struct Contribution {
    int position_b;  // Cell of column block b in some row block.
    int position_c;  // Cell of column block c in the same row block.
    int rows;
  };
  // The (b, c) block of JᵀJ, b <= c, stored in column block c. Flat arrays
  // keep the structure compact (one allocation each, not one per pair). A
  // pair's contributions end where the next pair's begin (a last, empty
  // pair closes the list). Where its rows go needs no table: in each column
  // of c they follow the rows of the pairs before it, and the diagonal pair
  // comes last. With scalar blocks (the 2D pose-graph model) that is 8 bytes
  // per pair instead of 20: city10000's peak RSS 85.2 -> 80.7 MB.
  struct BlockPair {
    int b;
    int contributions_begin;  // Into contributions_.
  };

  // f(b, contribution) for each row with a cell in column block cb, rows
  // ascending, and each of its cells b <= cb in range, b ascending: what
  // CollectPairs tabulates and AssembleByRows adds.
  template <typename F>
  void ForEachContribution(const BlockSparseMatrix& jacobian, int cb,
                           const F& f) const;
  void CollectPairs(const BlockSparseMatrix& jacobian);
  // The b of every pair (b, c), b ascending within c, without the tables.
  void CollectBlocks(const BlockSparseMatrix& jacobian,
                     std::vector<int>* pair_begin,
                     std::vector<int>* pair_block) const;
  // pair_block(p) is the b of pair p; pairs_begin[c] the first pair of c.
  template <typename PairBlock>
  void BuildPattern(const BlockSparseMatrix& jacobian,
                    const std::vector<int>& pairs_begin,
                    const PairBlock& pair_block);
  void AssembleByRows(const BlockSparseMatrix& jacobian,
                      const double* column_scale, const double* diagonal,
                      double* values, const int* targets) const;
  class Out;
  // With targets: per thread, room for the largest column block's entries.
  void PrepareChunks(const int* targets) const;

  int cb_begin_, cb_end_, num_threads_;
  bool keep_tables_;
  int n_ = 0;
  int col_offset_ = 0;
  std::vector<int> col_ptr_, row_index_, diagonal_position_, block_starts_;
  // The tables are written once, into memory never touched before: on huge
  // pages (LargeVector) that first touch faults once per 2 MiB, not per
  // 4 KiB (kitti_00's Gram assembler 5.4 -> 3.2 ms, the joint's 11.2 -> 6.2).
  LargeVector<BlockPair> pairs_;  // Grouped by c, b ascending within c.
  std::vector<int> pairs_begin_;  // Per c - cb_begin, into pairs_.
  LargeVector<Contribution> contributions_;
  int max_block_size_ = 0;
  mutable std::vector<std::vector<double>> scratch_;  // With the tables.
  // Without the tables: the block of each local column, and per thread the
  // offset of each b's rows in the columns of the c being assembled.
  std::vector<int> block_of_;
  mutable std::vector<std::vector<int>> slot_;
  mutable std::vector<std::vector<double>> chunk_;
};

}  // namespace ceres_varpro::internal

#endif  // CERES_VARPRO_ENGINE_GRAM_ASSEMBLER_H_
