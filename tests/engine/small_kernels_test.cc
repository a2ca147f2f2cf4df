#include "engine/small_kernels.h"

#include "Eigen/Dense"
#include "gtest/gtest.h"

namespace ceres_varpro::internal {
namespace {

using RowMajor =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// out += aᵀb into a block of a larger row-major matrix, for the fixed
// two-row kernels and the general fallback, against Eigen.
void ExpectFusedMatchesEigen(int rows, int ca, int cb) {
  const RowMajor a = RowMajor::Random(rows, ca);
  const RowMajor b = RowMajor::Random(rows, cb);
  const int ld = cb + 5;
  RowMajor out = RowMajor::Random(ca + 2, ld);
  RowMajor expected = out;
  expected.block(1, 2, ca, cb) += a.transpose() * b;
  AddTransposeProductFused(a.data(), b.data(), rows, ca, cb,
                           out.data() + 1 * ld + 2, ld);
  EXPECT_LE((out - expected).cwiseAbs().maxCoeff(), 1e-14)
      << rows << " x " << ca << " x " << cb;
}

TEST(SmallKernels, AddTransposeProductFusedMatchesEigen) {
  ExpectFusedMatchesEigen(2, 9, 9);
  ExpectFusedMatchesEigen(2, 3, 9);
  ExpectFusedMatchesEigen(3, 3, 9);  // Not fixed: the general kernel.
  ExpectFusedMatchesEigen(2, 6, 6);
}

// A diagonal block: the lower triangle (j <= i) gets aᵀa, the rest of out
// is left alone.
TEST(SmallKernels, AddGramLowerFixedFillsTheLowerTriangleOnly) {
  const RowMajor a = RowMajor::Random(2, 9);
  const int ld = 11;
  RowMajor out = RowMajor::Random(9, ld);
  const RowMajor before = out;
  AddGramLowerFixed<2, 9>(a.data(), out.data(), ld);
  const RowMajor gram = a.transpose() * a;
  for (int i = 0; i < 9; ++i) {
    for (int j = 0; j < ld; ++j) {
      const double expected = j <= i ? before(i, j) + gram(i, j) : before(i, j);
      EXPECT_NEAR(out(i, j), expected, 1e-14) << i << ", " << j;
    }
  }
}

}  // namespace
}  // namespace ceres_varpro::internal
