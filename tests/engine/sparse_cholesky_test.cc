#include "engine/sparse_cholesky.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "Eigen/SparseCore"
#include "engine/large_buffer.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

void Load(const Eigen::MatrixXd& m, SparseCholesky* cholesky,
          const std::vector<int>* block_starts = nullptr) {
  const testing::UpperTriangle upper = testing::UpperTriangleOf(m);
  std::string error;
  ASSERT_TRUE(cholesky->Analyze(static_cast<int>(m.rows()), upper.col_ptr,
                                upper.row_index, &error, block_starts))
      << error;
  ASSERT_TRUE(cholesky->SetValues(upper.values.data(), &error)) << error;
  int failed = -1;
  ASSERT_TRUE(cholesky->Factorize(&failed, &error)) << error;
}

// Grid Laplacians with 3x3 blocks: fill, and supernodes of several columns,
// like a pose graph's Gram matrix.
Eigen::MatrixXd GridMatrix(int side, std::mt19937* rng) {
  return testing::GridLaplacian(side, 3, /*long_links=*/false, rng);
}

TEST(SparseCholesky, EveryModeSolvesLikeADenseCholesky) {
  std::mt19937 rng(7);
  const Eigen::MatrixXd m = GridMatrix(12, &rng);
  const int n = static_cast<int>(m.rows());
  const Eigen::MatrixXd b = Eigen::MatrixXd::Random(n, 4);
  const Eigen::MatrixXd expected = m.llt().solve(b);
  for (auto mode :
       {SparseCholesky::Mode::kAuto, SparseCholesky::Mode::kSimplicial,
        SparseCholesky::Mode::kSupernodal}) {
    SparseCholesky cholesky(mode);
    Load(m, &cholesky);
    if (mode == SparseCholesky::Mode::kSupernodal) {
      EXPECT_TRUE(cholesky.is_supernodal());
    }
    if (mode == SparseCholesky::Mode::kSimplicial) {
      EXPECT_FALSE(cholesky.is_supernodal());
    }
    Eigen::VectorXd x(n);
    cholesky.Solve(b.col(0).data(), x.data());
    EXPECT_LT((x - expected.col(0)).norm(), 1e-10 * expected.col(0).norm());
    // In place, and several right-hand sides at once (2 and 3 take one
    // interleaved pass over a supernodal factor, 4 one pass each).
    for (const int k : {2, 3, 4}) {
      Eigen::MatrixXd xs = b.leftCols(k);
      cholesky.SolveMultiple(xs.data(), xs.data(), k);
      EXPECT_LT((xs - expected.leftCols(k)).norm(),
                1e-10 * expected.leftCols(k).norm())
          << k;
    }
  }
}

// Ordered on the block graph: the 3x3 blocks of the grid, and blocks that
// cut them unevenly (1 + 2 columns, and whole pairs of nodes), solve like a
// dense Cholesky, with about the fill of CHOLMOD's own ordering.
TEST(SparseCholesky, BlockOrderingSolvesLikeADenseCholesky) {
  std::mt19937 rng(11);
  const Eigen::MatrixXd m = GridMatrix(12, &rng);
  const int n = static_cast<int>(m.rows());
  const Eigen::VectorXd b = Eigen::VectorXd::Random(n);
  const Eigen::VectorXd expected = m.llt().solve(b);
  SparseCholesky scalar(SparseCholesky::Mode::kSupernodal);
  Load(m, &scalar);
  std::vector<int> threes, uneven;
  for (int j = 0; j < n; j += 3) {
    threes.push_back(j);
    uneven.push_back(j);
    if ((j / 3) % 2 == 0) uneven.push_back(j + 1);  // 1 + 2 columns.
  }
  threes.push_back(n);
  uneven.push_back(n);
  for (const std::vector<int>* blocks : {&threes, &uneven}) {
    for (auto mode : {SparseCholesky::Mode::kSimplicial,
                      SparseCholesky::Mode::kSupernodal}) {
      SparseCholesky cholesky(mode);
      Load(m, &cholesky, blocks);
      Eigen::VectorXd x(n);
      cholesky.Solve(b.data(), x.data());
      EXPECT_LT((x - expected).norm(), 1e-10 * expected.norm());
      if (mode == SparseCholesky::Mode::kSupernodal) {
        EXPECT_LE(cholesky.factor_nonzeros(), 1.25 * scalar.factor_nonzeros());
      }
    }
  }
}

// A factor of kMinColumnsPerThread columns or more solves up to one
// right-hand side per thread side by side (2 on 2 or 3 threads, 3 on 3; 3 on
// 2 threads take the interleaved pass): the same solutions (up to rounding)
// as one thread's interleaved pass, A x = b to rounding, in place, and the
// same bits every time. A 1D chain plus long links keeps the matrix sparse
// enough for a sparse residual check.
TEST(SparseCholesky, SolvesRightHandSidesSideBySideOnLargeFactors) {
  const int n = SparseCholesky::kMinColumnsPerThread + 500;
  // Upper triangle by columns: the diagonal, the chain and a link every 7.
  std::vector<int> col_ptr(1, 0), row_index;
  std::vector<double> values;
  Eigen::SparseMatrix<double> a(n, n);
  std::vector<Eigen::Triplet<double>> triplets;
  for (int c = 0; c < n; ++c) {
    std::vector<std::pair<int, double>> entries;
    if (c >= 97 && c % 7 == 0) entries.push_back({c - 97, -0.5});
    if (c >= 1) entries.push_back({c - 1, -1.0});
    entries.push_back({c, 4.0 + std::sin(0.1 * c)});
    for (const auto& [r, v] : entries) {
      row_index.push_back(r);
      values.push_back(v);
      triplets.emplace_back(r, c, v);
      if (r != c) triplets.emplace_back(c, r, v);
    }
    col_ptr.push_back(static_cast<int>(row_index.size()));
  }
  a.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::MatrixXd b(n, 3);
  for (int i = 0; i < b.size(); ++i) b.data()[i] = std::cos(0.37 * i);
  Eigen::MatrixXd serial[4];
  for (const int threads : {1, 2, 3}) {
    SparseCholesky cholesky(SparseCholesky::Mode::kSupernodal, threads);
    std::string error;
    ASSERT_TRUE(cholesky.Analyze(n, col_ptr, row_index, &error)) << error;
    ASSERT_TRUE(cholesky.SetValues(values.data(), &error)) << error;
    int failed = -1;
    ASSERT_TRUE(cholesky.Factorize(&failed, &error)) << error;
    ASSERT_TRUE(cholesky.is_supernodal());
    for (const int k : {2, 3}) {
      Eigen::MatrixXd x = b.leftCols(k);
      cholesky.SolveMultiple(x.data(), x.data(), k);
      const Eigen::MatrixXd residual = a * x - b.leftCols(k);
      EXPECT_LT(residual.norm(), 1e-12 * b.leftCols(k).norm())
          << threads << " threads, " << k << " right-hand sides";
      if (threads == 1) {
        serial[k] = x;
      } else {
        EXPECT_LT((x - serial[k]).norm(), 1e-13 * serial[k].norm())
            << threads << " threads, " << k << " right-hand sides";
      }
      for (int repeat = 0; repeat < 5; ++repeat) {
        Eigen::MatrixXd again = b.leftCols(k);
        cholesky.SolveMultiple(again.data(), again.data(), k);
        ASSERT_EQ(again, x) << threads << " threads, repeat " << repeat;
      }
    }
  }
}

// CHOLMOD's large blocks come from MallocLargeBuffer (huge-page aligned),
// and CHOLMOD's own free and realloc still accept them.
TEST(SparseCholesky, CholmodLargeBlocksAreHugePageAligned) {
  SparseCholesky cholesky(SparseCholesky::Mode::kSupernodal, 1);
  ASSERT_EQ(SuiteSparse_config.malloc_func, &MallocLargeBuffer);
  cholmod_common common;
  cholmod_start(&common);
  const size_t n = 3 * kHugePageBytes / sizeof(double) + 11;
  auto* block =
      static_cast<double*>(cholmod_malloc(n, sizeof(double), &common));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kHugePageBytes, 0u);
  for (size_t i = 0; i < n; ++i) block[i] = static_cast<double>(i);
  size_t size = n;
  block = static_cast<double*>(
      cholmod_realloc(2 * n, sizeof(double), block, &size, &common));
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(size, 2 * n);
  EXPECT_EQ(block[n - 1], static_cast<double>(n - 1));
  cholmod_free(size, sizeof(double), block, &common);
  cholmod_finish(&common);
}

TEST(SparseCholesky, RefactorizationUsesTheNewValues) {
  std::mt19937 rng(11);
  const Eigen::MatrixXd m1 = GridMatrix(6, &rng);
  const Eigen::MatrixXd m2 = GridMatrix(6, &rng);
  const int n = static_cast<int>(m1.rows());
  SparseCholesky cholesky(SparseCholesky::Mode::kSupernodal);
  Load(m1, &cholesky);
  // Same pattern, new values.
  std::vector<double> values;
  for (int c = 0; c < n; ++c) {
    for (int r = 0; r <= c; ++r) {
      if (m1(r, c) != 0.0) values.push_back(m2(r, c));
    }
  }
  int failed = -1;
  std::string error;
  ASSERT_TRUE(cholesky.SetValues(values.data(), &error)) << error;
  ASSERT_TRUE(cholesky.Factorize(&failed, &error)) << error;
  const Eigen::VectorXd b = Eigen::VectorXd::Random(n);
  Eigen::VectorXd x(n);
  cholesky.Solve(b.data(), x.data());
  const Eigen::VectorXd expected = m2.llt().solve(b);
  EXPECT_LT((x - expected).norm(), 1e-10 * expected.norm());
}

}  // namespace
}  // namespace ceres_varpro::internal
