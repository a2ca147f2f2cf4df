#include "engine/independent_blocks.h"

#include "Eigen/Dense"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

// Column blocks θ0 (2), θ1 (3) | L0 (2), L1 (1). Row blocks:
//   r0 (2 rows): θ0 L0    r1 (1 row): θ1 L1
//   r2 (2 rows): θ0 θ1 L0 r3 (1 row): θ1
BlockSparseMatrix MakeJacobian() {
  BlockSparseMatrix j({2, 1, 2, 1}, {2, 3, 2, 1},
                      {{0, 2}, {1, 3}, {0, 1, 2}, {1}});
  for (int i = 0; i < j.num_nonzeros(); ++i) {
    j.values()[i] = 0.5 + 0.25 * i - 0.01 * i * i;
  }
  return j;
}

TEST(IndependentBlocks, IndexesRowsCellsAndLinks) {
  const BlockSparseMatrix j = MakeJacobian();
  const IndependentBlocks blocks(j, /*first_linear_col_block=*/2);
  ASSERT_EQ(blocks.num_blocks(), 2);
  EXPECT_EQ(blocks.block_size(0), 2);
  EXPECT_EQ(blocks.block_size(1), 1);
  EXPECT_EQ(blocks.num_residuals(0), 4);
  EXPECT_EQ(blocks.num_residuals(1), 1);

  ASSERT_EQ(blocks.rows(0).size(), 2);
  EXPECT_EQ(blocks.rows(0)[0].row_block, 0);
  EXPECT_EQ(blocks.rows(0)[1].row_block, 2);
  EXPECT_EQ(blocks.cells(blocks.rows(0)[1]).size(), 2);
  ASSERT_EQ(blocks.rows(1).size(), 1);
  EXPECT_EQ(blocks.rows(1)[0].row_block, 1);

  // E_0 spans θ0 and θ1; E_1 only θ1.
  ASSERT_EQ(blocks.theta_col_blocks(0).size(), 2);
  EXPECT_EQ(blocks.theta_local(0)[0], 0);
  EXPECT_EQ(blocks.theta_local(0)[1], 2);
  EXPECT_EQ(blocks.width(0), 5);
  EXPECT_EQ(blocks.width(1), 3);
  EXPECT_EQ(blocks.LocalOffset(0, 1), 2);
  EXPECT_EQ(blocks.LocalOffset(1, 1), 0);

  // θ-side: sorted by linear block, then by row block.
  const IndependentBlocks::ThetaSide side(blocks);
  ASSERT_EQ(side.links(0).size(), 2);
  EXPECT_EQ(side.links(0)[0].row_block, 0);
  EXPECT_EQ(side.links(0)[1].row_block, 2);
  ASSERT_EQ(side.links(1).size(), 2);
  EXPECT_EQ(side.links(1)[0].block, 0);
  EXPECT_EQ(side.links(1)[0].row_block, 2);
  EXPECT_EQ(side.links(1)[1].block, 1);
  EXPECT_EQ(side.links(1)[1].row_block, 1);

  EXPECT_EQ(blocks.theta_only_rows(), std::vector<int>({3}));
}

// E_k = A_kᵀ J_θ,k assembled from the index equals the dense product.
TEST(IndependentBlocks, AssemblesTheDenseCoupling) {
  const BlockSparseMatrix j = MakeJacobian();
  const IndependentBlocks blocks(j, 2);
  const Eigen::MatrixXd dense = j.ToDense();
  for (int k = 0; k < blocks.num_blocks(); ++k) {
    const int p = blocks.block_size(k);
    Eigen::MatrixXd e = Eigen::MatrixXd::Zero(p, blocks.width(k));
    Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(p, blocks.width(k));
    const Eigen::MatrixXd a =
        dense.middleCols(j.col_block_offset(2 + k), j.col_block_size(2 + k));
    for (const auto& row : blocks.rows(k)) {
      const int r0 = j.row_block_offset(row.row_block);
      const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic,
                                           Eigen::Dynamic, Eigen::RowMajor>>
          ak(j.values() + row.linear_position, row.num_rows, p);
      EXPECT_EQ(Eigen::MatrixXd(ak), a.middleRows(r0, row.num_rows));
      for (const auto& cell : blocks.cells(row)) {
        const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic,
                                             Eigen::Dynamic, Eigen::RowMajor>>
            jc(j.values() + cell.position, row.num_rows, cell.size);
        e.middleCols(cell.local, cell.size) += ak.transpose() * jc;
      }
    }
    const Span<int> cols = blocks.theta_col_blocks(k);
    for (int i = 0; i < cols.size(); ++i) {
      expected.middleCols(blocks.theta_local(k)[i], j.col_block_size(cols[i])) =
          a.transpose() * dense.middleCols(j.col_block_offset(cols[i]),
                                           j.col_block_size(cols[i]));
    }
    EXPECT_LE((e - expected).norm(), 1e-12 * expected.norm()) << k;
  }
}

TEST(IndependentBlocksDeathTest, RefusesCoupledLinearBlocks) {
  const BlockSparseMatrix j({1}, {1, 1, 1}, {{0, 1, 2}});
  EXPECT_DEATH(IndependentBlocks(j, 1), "touches two linear blocks");
}

}  // namespace
}  // namespace ceres_varpro::internal
