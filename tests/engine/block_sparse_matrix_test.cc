#include "engine/block_sparse_matrix.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/gram_assembler.h"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

BlockSparseMatrix RandomMatrix() {
  // 4 row blocks, 3 column blocks of sizes 2, 3, 1.
  BlockSparseMatrix m({2, 3, 1, 2}, {2, 3, 1},
                      {{0, 2}, {1}, {0, 1, 2}, {2, 1}});
  for (int i = 0; i < m.num_nonzeros(); ++i)
    m.values()[i] = std::sin(1.0 + 3.7 * i);
  return m;
}

TEST(BlockSparseMatrix, ProductsMatchDense) {
  const BlockSparseMatrix m = RandomMatrix();
  const Eigen::MatrixXd dense = m.ToDense();
  ASSERT_EQ(dense.rows(), 8);
  ASSERT_EQ(dense.cols(), 6);
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(6, -1.0, 2.0);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(8);
  m.RightMultiply(x.data(), y.data(), 0, 3, 2);
  EXPECT_LT((y - (Eigen::VectorXd::Ones(8) + dense * x)).norm(), 1e-12);

  // Restricted to column blocks [1, 3): only columns 2..5.
  Eigen::VectorXd y2 = Eigen::VectorXd::Zero(8);
  m.RightMultiply(x.data(), y2.data(), 1, 3, 1);
  EXPECT_LT((y2 - dense.rightCols(4) * x.tail(4)).norm(), 1e-12);

  Eigen::VectorXd z = Eigen::VectorXd::LinSpaced(8, 0.5, -1.5);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(6);
  m.LeftMultiply(z.data(), w.data(), 0, 3, 2);
  EXPECT_LT((w - dense.transpose() * z).norm(), 1e-12);
  Eigen::VectorXd w2 = Eigen::VectorXd::Zero(6);
  m.LeftMultiply(z.data(), w2.data(), 0, 1, 1);
  EXPECT_LT((w2.head(2) - dense.leftCols(2).transpose() * z).norm(), 1e-12);
  EXPECT_EQ(w2.tail(4).norm(), 0.0);

  Eigen::VectorXd norms(6);
  m.SquaredColumnNorm(norms.data(), 2);
  EXPECT_LT((norms - dense.colwise().squaredNorm().transpose()).norm(), 1e-12);
}

// Every cell shape, the unrolled ones (2, 3, 4, 6 or 9 rows against 1 to 3
// columns) and run-time sized ones (5 rows, 4 columns), in every product.
TEST(BlockSparseMatrix, EveryCellShapeMatchesDense) {
  const std::vector<int> shape_rows = {2, 3, 4, 6, 9, 5};
  const std::vector<int> col_sizes = {1, 2, 3, 4};
  std::vector<int> row_sizes;
  std::vector<std::vector<int>> row_cols;
  for (int r = 0; r < 2 * static_cast<int>(shape_rows.size()); ++r) {
    row_sizes.push_back(shape_rows[r % shape_rows.size()]);
    row_cols.push_back({0, 1, 2, 3});
  }
  BlockSparseMatrix m(row_sizes, col_sizes, row_cols);
  for (int i = 0; i < m.num_nonzeros(); ++i)
    m.values()[i] = std::sin(0.3 + 1.9 * i);
  const Eigen::MatrixXd dense = m.ToDense();
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(m.num_cols(), -1, 2);
  const Eigen::VectorXd z = Eigen::VectorXd::LinSpaced(m.num_rows(), 1, -2);

  Eigen::VectorXd jx = Eigen::VectorXd::Zero(m.num_rows());
  m.RightMultiply(x.data(), jx.data(), 0, 4, 1);
  EXPECT_LT((jx - dense * x).norm(), 1e-12 * (dense * x).norm());

  Eigen::VectorXd jtz = Eigen::VectorXd::Zero(m.num_cols());
  m.LeftMultiply(z.data(), jtz.data(), 0, 4, 1);
  const Eigen::VectorXd expected_jtz = dense.transpose() * z;
  EXPECT_LT((jtz - expected_jtz).norm(), 1e-12 * expected_jtz.norm());

  // Columns [0, 2) times x, then the transpose of columns [2, 4).
  Eigen::VectorXd rows(m.num_rows());
  Eigen::VectorXd y = Eigen::VectorXd::Zero(m.num_cols());
  m.MultiplyThenTransposeMultiply(x.data(), 0, 2, 2, 4, false, rows.data(),
                                  y.data(), 1);
  const Eigen::VectorXd expected_rows = dense.leftCols(3) * x.head(3);
  EXPECT_LT((rows - expected_rows).norm(), 1e-12 * expected_rows.norm());
  const Eigen::VectorXd expected_y =
      dense.rightCols(7).transpose() * expected_rows;
  EXPECT_LT((y.tail(7) - expected_y).norm(), 1e-12 * expected_y.norm());
  EXPECT_EQ(y.head(3).norm(), 0.0);
}

// Enough rows that LeftMultiply splits them among threads (each summing into
// its own copy of the result): same product for 1, 2 and 3 threads, for the
// whole width and for column ranges, accumulated onto what y held.
TEST(BlockSparseMatrix, LeftMultiplyByRowsOnThreadsMatchesDense) {
  const int num_row_blocks = 9000;
  std::vector<int> row_sizes(num_row_blocks);
  std::vector<std::vector<int>> row_cols(num_row_blocks);
  const std::vector<int> col_sizes = {1, 3, 2, 1, 3, 2, 2, 1};
  for (int r = 0; r < num_row_blocks; ++r) {
    row_sizes[r] = 1 + r % 3;
    const int a = r % 8;
    const int b = (r * 5 + 3) % 8;
    row_cols[r] = a < b   ? std::vector<int>{a, b}
                  : a > b ? std::vector<int>{b, a}
                          : std::vector<int>{a};
  }
  BlockSparseMatrix m(row_sizes, col_sizes, row_cols);
  for (int i = 0; i < m.num_nonzeros(); ++i)
    m.values()[i] = std::sin(0.3 + 1.7 * i);
  const Eigen::MatrixXd dense = m.ToDense();
  Eigen::VectorXd z(dense.rows());
  for (int i = 0; i < z.size(); ++i) z[i] = std::cos(0.1 * i);
  const Eigen::VectorXd start = Eigen::VectorXd::LinSpaced(dense.cols(), 1, 2);
  const Eigen::VectorXd full = start + dense.transpose() * z;
  for (const int threads : {1, 2, 3}) {
    Eigen::VectorXd w = start;
    m.LeftMultiply(z.data(), w.data(), 0, 8, threads);
    EXPECT_LT((w - full).norm(), 1e-9 * full.norm()) << threads;
    // Column blocks [2, 6): global columns 4..11; the rest untouched.
    Eigen::VectorXd part = start;
    m.LeftMultiply(z.data(), part.data(), 2, 6, threads);
    EXPECT_LT((part.segment(4, 8) - full.segment(4, 8)).norm(),
              1e-9 * full.norm())
        << threads;
    EXPECT_EQ(part.head(4), start.head(4));
    EXPECT_EQ(part.tail(dense.cols() - 12), start.tail(dense.cols() - 12));
    // Each thread count gives the same bits every time, whichever thread
    // ran which rows (solves repeat exactly).
    for (int repeat = 0; repeat < 20; ++repeat) {
      Eigen::VectorXd again = start;
      m.LeftMultiply(z.data(), again.data(), 0, 8, threads);
      ASSERT_EQ(again, w) << threads << " threads, repeat " << repeat;
    }
    // Squared column norms by the same row ranges: columns 4..11 set, the
    // rest untouched.
    const Eigen::VectorXd norms = dense.colwise().squaredNorm().transpose();
    Eigen::VectorXd squared = start;
    m.SquaredColumnNorm(squared.data(), 2, 6, threads);
    EXPECT_LT((squared.segment(4, 8) - norms.segment(4, 8)).norm(),
              1e-12 * norms.norm())
        << threads;
    EXPECT_EQ(squared.head(4), start.head(4));
    EXPECT_EQ(squared.tail(dense.cols() - 12), start.tail(dense.cols() - 12));
  }
}

// The fused pass of a Schur product, rows = J_R x (+ rows) then
// y += J_Lᵀ rows, gives the same bits as RightMultiply then LeftMultiply, for
// every thread count (enough rows to cut them into per-thread ranges), both
// ways round (θ columns then linear ones and back) and with an empty L.
TEST(BlockSparseMatrix, MultiplyThenTransposeMultiplyEqualsTheTwoProducts) {
  const int num_row_blocks = 7000;
  std::vector<int> row_sizes(num_row_blocks);
  std::vector<std::vector<int>> row_cols(num_row_blocks);
  const std::vector<int> col_sizes = {1, 3, 2, 1, 3, 2, 2, 1, 2};
  for (int r = 0; r < num_row_blocks; ++r) {
    row_sizes[r] = 2 + r % 2;
    std::vector<int> cols = {r % 9, (r * 5 + 3) % 9, (r * 7 + 1) % 9};
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    row_cols[r] = cols;
  }
  BlockSparseMatrix m(row_sizes, col_sizes, row_cols);
  for (int i = 0; i < m.num_nonzeros(); ++i)
    m.values()[i] = std::sin(0.7 + 2.3 * i);
  const Eigen::MatrixXd dense = m.ToDense();
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(m.num_cols(), -1, 1.5);
  const Eigen::VectorXd start_rows =
      Eigen::VectorXd::LinSpaced(m.num_rows(), 0.5, -0.5);
  const Eigen::VectorXd start_y =
      Eigen::VectorXd::LinSpaced(m.num_cols(), 2, 3);
  struct Split {
    int r_begin, r_end, l_begin, l_end;
    bool accumulate;
  };
  for (const Split& s : {Split{0, 4, 4, 9, false}, Split{4, 9, 0, 4, true},
                         Split{0, 9, 0, 9, false}, Split{2, 5, 0, 0, true}}) {
    for (const int threads : {1, 2, 3}) {
      Eigen::VectorXd rows = s.accumulate
                                 ? start_rows
                                 : Eigen::VectorXd::Zero(m.num_rows()).eval();
      Eigen::VectorXd y = start_y;
      m.RightMultiply(x.data(), rows.data(), s.r_begin, s.r_end, threads);
      m.LeftMultiply(rows.data(), y.data(), s.l_begin, s.l_end, threads);
      Eigen::VectorXd fused_rows =
          s.accumulate
              ? start_rows
              : Eigen::VectorXd::Constant(m.num_rows(), 99.0)  // Ignored.
                    .eval();
      Eigen::VectorXd fused_y = start_y;
      m.MultiplyThenTransposeMultiply(x.data(), s.r_begin, s.r_end, s.l_begin,
                                      s.l_end, s.accumulate, fused_rows.data(),
                                      fused_y.data(), threads);
      ASSERT_EQ(fused_rows, rows) << s.r_begin << " " << threads;
      ASSERT_EQ(fused_y, y) << s.r_begin << " " << threads;
      // And against the dense product.
      const int c0 = m.col_block_offset(s.r_begin);
      const int c1 =
          m.col_block_offset(s.r_end - 1) + m.col_block_size(s.r_end - 1);
      const Eigen::VectorXd expected_rows =
          (s.accumulate ? start_rows
                        : Eigen::VectorXd::Zero(m.num_rows()).eval()) +
          dense.middleCols(c0, c1 - c0) * x.segment(c0, c1 - c0);
      EXPECT_LT((fused_rows - expected_rows).norm(),
                1e-10 * expected_rows.norm());
      if (s.l_begin < s.l_end) {
        const int d0 = m.col_block_offset(s.l_begin);
        const int d1 =
            m.col_block_offset(s.l_end - 1) + m.col_block_size(s.l_end - 1);
        const Eigen::VectorXd expected_y =
            start_y.segment(d0, d1 - d0) +
            dense.middleCols(d0, d1 - d0).transpose() * expected_rows;
        EXPECT_LT((fused_y.segment(d0, d1 - d0) - expected_y).norm(),
                  1e-10 * expected_y.norm());
      } else {
        EXPECT_EQ(fused_y, start_y);
      }
    }
  }
}

// Both ways of assembling: with the cell-to-entry tables and by rows.
class GramAssemblerTest : public ::testing::TestWithParam<bool> {};

TEST_P(GramAssemblerTest, MatchesDenseNormalMatrixWithScaleAndDiagonal) {
  const BlockSparseMatrix m = RandomMatrix();
  const Eigen::MatrixXd dense = m.ToDense();
  Eigen::VectorXd scale = Eigen::VectorXd::LinSpaced(6, 0.5, 2.0);
  // Columns of blocks 1 and 2 only: global columns 2..5.
  GramAssembler assembler(m, 1, 3, 2, /*keep_tables=*/GetParam());
  ASSERT_EQ(assembler.num_cols(), 4);
  Eigen::VectorXd diagonal = Eigen::VectorXd::LinSpaced(4, 1.0, 4.0);
  std::vector<double> values(assembler.num_nonzeros());
  assembler.Assemble(m, scale.data(), diagonal.data(), values.data());
  const Eigen::MatrixXd scaled =
      dense.rightCols(4) * scale.tail(4).asDiagonal();
  Eigen::MatrixXd expected = scaled.transpose() * scaled;
  expected.diagonal() += diagonal;
  Eigen::MatrixXd got = Eigen::MatrixXd::Zero(4, 4);
  for (int j = 0; j < 4; ++j) {
    for (int k = assembler.col_ptr()[j]; k < assembler.col_ptr()[j + 1]; ++k) {
      const int i = assembler.row_index()[k];
      EXPECT_LE(i, j) << "upper triangle only";
      got(i, j) = got(j, i) = values[k];
    }
  }
  EXPECT_LT((got - expected).norm(), 1e-12 * expected.norm());
}

// Every column block in range, one of them in no row (its diagonal block is
// in the pattern, zero): each entry of the pattern is written, to JᵀJ's
// value, also when the values array already holds another assembly's.
TEST_P(GramAssemblerTest, WritesEveryEntryOfTheWholeRange) {
  BlockSparseMatrix m({2, 3, 1, 2}, {2, 3, 1, 2},
                      {{0, 2}, {1}, {0, 1, 2}, {2, 1}});
  for (int i = 0; i < m.num_nonzeros(); ++i) {
    m.values()[i] = std::cos(0.3 + 1.9 * i);
  }
  const Eigen::MatrixXd dense = m.ToDense();
  const Eigen::MatrixXd expected = dense.transpose() * dense;
  GramAssembler assembler(m, 0, 4, 2, /*keep_tables=*/GetParam());
  ASSERT_EQ(assembler.num_cols(), 8);
  // The upper triangle of the blocks b <= c that share a row, and the
  // diagonal blocks: 3 + 6 + 1 + 3 entries on them, (0, 1) 6, (0, 2) 2 and
  // (1, 2) 3.
  EXPECT_EQ(assembler.num_nonzeros(), 24);
  for (const double start : {std::numeric_limits<double>::quiet_NaN(), 7.0}) {
    std::vector<double> values(assembler.num_nonzeros(), start);
    assembler.Assemble(m, nullptr, nullptr, values.data());
    Eigen::MatrixXd got = Eigen::MatrixXd::Zero(8, 8);
    for (int j = 0; j < 8; ++j) {
      for (int k = assembler.col_ptr()[j]; k < assembler.col_ptr()[j + 1];
           ++k) {
        const int i = assembler.row_index()[k];
        ASSERT_LE(i, j) << "upper triangle only";
        ASSERT_TRUE(std::isfinite(values[k]))
            << "entry " << k << " not written";
        got(i, j) = got(j, i) = values[k];
      }
      EXPECT_EQ(values[assembler.diagonal_position(j)], got(j, j));
    }
    EXPECT_LT((got - expected).norm(), 1e-12 * expected.norm()) << start;
  }
}

INSTANTIATE_TEST_SUITE_P(KeepTables, GramAssemblerTest, ::testing::Bool());

// A chain of scalar and 3-wide blocks in rows of 3 (the pose-graph shapes),
// part of the columns: both ways give the same pattern and the same values
// to the last bit (the same products summed in the same order).
TEST(GramAssembler, AssemblingByRowsMatchesTheTables) {
  std::vector<int> col_sizes, row_sizes;
  std::vector<std::vector<int>> rows;
  const int num_blocks = 40;
  for (int c = 0; c < num_blocks; ++c) col_sizes.push_back(c % 3 == 0 ? 3 : 1);
  for (int r = 0; r + 1 < num_blocks; ++r) {
    row_sizes.push_back(3);
    rows.push_back({r, r + 1});
    if (r % 7 == 0 && r + 5 < num_blocks) {
      row_sizes.push_back(3);
      rows.push_back({r, r + 2, r + 5});
    }
  }
  BlockSparseMatrix m(row_sizes, col_sizes, rows);
  for (int i = 0; i < m.num_nonzeros(); ++i) {
    m.values()[i] = std::sin(0.7 + 2.3 * i);
  }
  std::vector<double> scale(m.num_cols()), diagonal(m.num_cols());
  for (int j = 0; j < m.num_cols(); ++j) {
    scale[j] = 0.5 + 0.01 * j;
    diagonal[j] = 0.1 * j;
  }
  const GramAssembler tables(m, 5, num_blocks, 2, /*keep_tables=*/true);
  const GramAssembler by_rows(m, 5, num_blocks, 2, /*keep_tables=*/false);
  ASSERT_EQ(by_rows.col_ptr(), tables.col_ptr());
  ASSERT_EQ(by_rows.row_index(), tables.row_index());
  ASSERT_EQ(by_rows.block_starts(), tables.block_starts());
  std::vector<double> a(tables.num_nonzeros()), b(by_rows.num_nonzeros());
  tables.Assemble(m, scale.data(), diagonal.data() + tables.col_offset(),
                  a.data());
  by_rows.Assemble(m, scale.data(), diagonal.data() + by_rows.col_offset(),
                   b.data());
  EXPECT_EQ(b, a);
  for (int j = 0; j < tables.num_cols(); ++j) {
    EXPECT_EQ(by_rows.diagonal_position(j), tables.diagonal_position(j));
  }
  // With targets (as into a supernodal factor): entry k lands at targets[k],
  // the same bits, every fifth nowhere (-1); nothing else is written.
  const int nnz = tables.num_nonzeros();
  std::vector<int> targets(nnz);
  for (int k = 0; k < nnz; ++k) targets[k] = k % 5 == 0 ? -1 : 2 * (nnz - k);
  for (const GramAssembler* assembler : {&tables, &by_rows}) {
    std::vector<double> placed(2 * nnz + 1,
                               std::numeric_limits<double>::quiet_NaN());
    assembler->Assemble(m, scale.data(),
                        diagonal.data() + assembler->col_offset(),
                        placed.data(), targets.data());
    int written = 0;
    for (int k = 0; k < nnz; ++k) {
      if (targets[k] < 0) continue;
      EXPECT_EQ(placed[targets[k]], a[k]) << k;
      ++written;
    }
    EXPECT_EQ(std::count_if(placed.begin(), placed.end(),
                            [](double v) { return !std::isnan(v); }),
              written);
  }
}

}  // namespace
}  // namespace ceres_varpro::internal
