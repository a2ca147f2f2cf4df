#include "engine/supernodal_factorizer.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "Eigen/Dense"
#include "cholmod.h"
#include "gtest/gtest.h"
#include "test_util/cholmod_matrix.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

// Largest difference over the lower triangles of the supernodes, relative
// to the largest entry.
double RelativeDifference(const cholmod_factor& a, const cholmod_factor& b) {
  const int* super = static_cast<const int*>(a.super);
  const int* pi = static_cast<const int*>(a.pi);
  const int* px = static_cast<const int*>(a.px);
  const double* xa = static_cast<const double*>(a.x);
  const double* xb = static_cast<const double*>(b.x);
  double diff = 0.0, scale = 0.0;
  for (size_t s = 0; s < a.nsuper; ++s) {
    const int ncols = super[s + 1] - super[s];
    const int nrows = pi[s + 1] - pi[s];
    for (int j = 0; j < ncols; ++j) {
      for (int i = j; i < nrows; ++i) {
        const size_t k = px[s] + static_cast<size_t>(j) * nrows + i;
        diff = std::max(diff, std::abs(xa[k] - xb[k]));
        scale = std::max(scale, std::abs(xa[k]));
      }
    }
  }
  return diff / scale;
}

// CHOLMOD's own numeric factorisation and ours, from one analysis.
void ExpectSameFactorAsCholmod(const Eigen::MatrixXd& m) {
  testing::CholmodMatrix cholmod(m, CHOLMOD_SUPERNODAL);
  cholmod_sparse* a = cholmod.matrix();
  cholmod_factor* reference = cholmod_analyze(a, cholmod.common());
  ASSERT_NE(reference, nullptr);
  ASSERT_TRUE(reference->is_super);
  cholmod_factor* ours = cholmod_copy_factor(reference, cholmod.common());
  ASSERT_TRUE(cholmod_factorize(a, reference, cholmod.common()));
  ASSERT_EQ(cholmod.common()->status, CHOLMOD_OK);
  ASSERT_TRUE(
      cholmod_change_factor(CHOLMOD_REAL, 1, 1, 1, 1, ours, cholmod.common()));
  SupernodalFactorizer factorizer(*a, *ours);
  int failed = -2;
  ASSERT_TRUE(factorizer.Factorize(static_cast<const double*>(a->x),
                                   static_cast<double*>(ours->x), &failed));
  EXPECT_EQ(failed, -1);
  EXPECT_LT(RelativeDifference(*reference, *ours), 1e-13);
  // Refactoring with new values of the same pattern starts from scratch.
  double* values = cholmod.values();
  for (int k = 0; k < cholmod.num_nonzeros(); ++k) values[k] *= 1.5;
  ASSERT_TRUE(cholmod_factorize(a, reference, cholmod.common()));
  ASSERT_TRUE(
      factorizer.Factorize(values, static_cast<double*>(ours->x), &failed));
  EXPECT_LT(RelativeDifference(*reference, *ours), 1e-13);
  cholmod_free_factor(&reference, cholmod.common());
  cholmod_free_factor(&ours, cholmod.common());
}

TEST(SupernodalFactorizer, MatchesCholmodOnScalarAndBlockGrids) {
  std::mt19937 rng(3);
  for (const int block : {1, 2, 3, 6}) {
    SCOPED_TRACE(block);
    ExpectSameFactorAsCholmod(
        testing::GridLaplacian(9, block, /*long_links=*/true, &rng));
  }
}

TEST(SupernodalFactorizer, MatchesCholmodOnADenseMatrix) {
  // One supernode: Eigen's blocked Cholesky on a 150 x 150 block.
  const Eigen::MatrixXd r = Eigen::MatrixXd::Random(150, 150);
  ExpectSameFactorAsCholmod(r * r.transpose() +
                            150.0 * Eigen::MatrixXd::Identity(150, 150));
}

// A matrix that is not positive definite fails at CHOLMOD's column (its
// L->minor, in the permuted order), and so does a NaN.
TEST(SupernodalFactorizer, ReportsTheFailingColumnLikeCholmod) {
  std::mt19937 rng(5);
  for (const double bad : {-50.0, std::nan("")}) {
    Eigen::MatrixXd m = testing::GridLaplacian(8, 3, /*long_links=*/true, &rng);
    m(100, 100) = bad;
    testing::CholmodMatrix cholmod(m, CHOLMOD_SUPERNODAL);
    cholmod_sparse* a = cholmod.matrix();
    cholmod_factor* reference = cholmod_analyze(a, cholmod.common());
    cholmod_factor* ours = cholmod_copy_factor(reference, cholmod.common());
    cholmod_factorize(a, reference, cholmod.common());
    ASSERT_EQ(cholmod.common()->status, CHOLMOD_NOT_POSDEF);
    ASSERT_TRUE(cholmod_change_factor(CHOLMOD_REAL, 1, 1, 1, 1, ours,
                                      cholmod.common()));
    SupernodalFactorizer factorizer(*a, *ours);
    int failed = -1;
    EXPECT_FALSE(factorizer.Factorize(static_cast<const double*>(a->x),
                                      static_cast<double*>(ours->x), &failed));
    EXPECT_EQ(failed, static_cast<int>(reference->minor)) << bad;
    cholmod_free_factor(&reference, cholmod.common());
    cholmod_free_factor(&ours, cholmod.common());
  }
}

}  // namespace
}  // namespace ceres_varpro::internal
