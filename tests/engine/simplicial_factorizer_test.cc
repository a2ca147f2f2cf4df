#include "engine/simplicial_factorizer.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "cholmod.h"
#include "gtest/gtest.h"
#include "test_util/cholmod_matrix.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

// Column j of a simplicial factor as (row, value), rows ascending.
std::vector<std::pair<int, double>> Column(const cholmod_factor& l, int j) {
  const int* p = static_cast<const int*>(l.p);
  const int* i = static_cast<const int*>(l.i);
  const int* nz = static_cast<const int*>(l.nz);
  const double* x = static_cast<const double*>(l.x);
  std::vector<std::pair<int, double>> column;
  for (int k = p[j]; k < p[j] + nz[j]; ++k) column.emplace_back(i[k], x[k]);
  std::sort(column.begin(), column.end());
  return column;
}

// Largest entry difference between two simplicial factors of the same
// pattern, relative to the largest entry; 1 if the patterns differ.
double RelativeDifference(const cholmod_factor& a, const cholmod_factor& b) {
  double diff = 0.0, scale = 0.0;
  for (int j = 0; j < static_cast<int>(a.n); ++j) {
    const auto ca = Column(a, j);
    const auto cb = Column(b, j);
    if (ca.size() != cb.size()) return 1.0;
    for (size_t k = 0; k < ca.size(); ++k) {
      if (ca[k].first != cb[k].first) return 1.0;
      diff = std::max(diff, std::abs(ca[k].second - cb[k].second));
      scale = std::max(scale, std::abs(ca[k].second));
    }
  }
  return diff / scale;
}

// CHOLMOD's cholmod_factorize and ours, from one analysis, twice (the second
// time with new values of the same pattern): the same factor to the last bit
// (the same row factorisation of the same permuted matrix). Ours permutes
// the values it is given in place, so it gets a copy of CHOLMOD's.
void ExpectSameFactorAsCholmod(const Eigen::MatrixXd& m, bool final_ll) {
  testing::CholmodMatrix cholmod(m, CHOLMOD_SIMPLICIAL, final_ll);
  cholmod_sparse* a = cholmod.matrix();
  cholmod_factor* reference = cholmod_analyze(a, cholmod.common());
  ASSERT_NE(reference, nullptr);
  ASSERT_FALSE(reference->is_super);
  cholmod_factor* ours = cholmod_copy_factor(reference, cholmod.common());
  SimplicialFactorizer factorizer(*a, *ours, cholmod.common());
  for (const double scale : {1.0, 1.5}) {
    SCOPED_TRACE(scale);
    double* values = cholmod.values();
    for (int k = 0; k < cholmod.num_nonzeros(); ++k) values[k] *= scale;
    ASSERT_TRUE(cholmod_factorize(a, reference, cholmod.common()));
    ASSERT_EQ(cholmod.common()->status, CHOLMOD_OK);
    ASSERT_EQ(reference->is_ll, final_ll);
    std::vector<double> copy(values, values + cholmod.num_nonzeros());
    int failed = -2;
    ASSERT_TRUE(factorizer.Factorize(copy.data(), ours, &failed));
    EXPECT_EQ(failed, -1);
    EXPECT_EQ(ours->is_ll, final_ll);
    EXPECT_EQ(RelativeDifference(*reference, *ours), 0.0);
    // And the factor solves like a dense Cholesky of the matrix.
    const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(m.rows(), -1.0, 2.0);
    cholmod_dense* rhs = cholmod_allocate_dense(m.rows(), 1, m.rows(),
                                                CHOLMOD_REAL, cholmod.common());
    std::copy(b.data(), b.data() + b.size(), static_cast<double*>(rhs->x));
    cholmod_dense* x = cholmod_solve(CHOLMOD_A, ours, rhs, cholmod.common());
    ASSERT_NE(x, nullptr);
    const Eigen::VectorXd expected = (scale * m).llt().solve(b);
    const Eigen::Map<const Eigen::VectorXd> solved(
        static_cast<const double*>(x->x), m.rows());
    EXPECT_LT((solved - expected).norm(), 1e-10 * expected.norm());
    cholmod_free_dense(&x, cholmod.common());
    cholmod_free_dense(&rhs, cholmod.common());
  }
  cholmod_free_factor(&reference, cholmod.common());
  cholmod_free_factor(&ours, cholmod.common());
}

TEST(SimplicialFactorizer, MatchesCholmodOnScalarAndBlockGrids) {
  std::mt19937 rng(3);
  for (const bool final_ll : {true, false}) {
    for (const int block : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message()
                   << "LL " << final_ll << " block " << block);
      ExpectSameFactorAsCholmod(
          testing::GridLaplacian(9, block, /*long_links=*/true, &rng),
          final_ll);
    }
  }
}

// A matrix that is not positive definite fails at the column of the first
// pivot that is not positive: LLᵀ's L->minor (in the permuted order), for
// LDLᵀ factors too, which CHOLMOD only fails on a zero pivot. CHOLMOD lets a
// NaN through; ours fails where it enters, at the NaN's own column. The same
// factorizer then factors a good matrix again.
TEST(SimplicialFactorizer, ReportsTheFailingColumn) {
  std::mt19937 rng(5);
  for (const bool final_ll : {true, false}) {
    for (const double bad : {-50.0, std::nan("")}) {
      SCOPED_TRACE(::testing::Message() << "LL " << final_ll << " " << bad);
      const Eigen::MatrixXd good =
          testing::GridLaplacian(8, 2, /*long_links=*/true, &rng);
      Eigen::MatrixXd m = good;
      m(70, 70) = bad;
      testing::CholmodMatrix cholmod(m, CHOLMOD_SIMPLICIAL, final_ll);
      cholmod_sparse* a = cholmod.matrix();
      cholmod_factor* reference = cholmod_analyze(a, cholmod.common());
      cholmod_factor* ours = cholmod_copy_factor(reference, cholmod.common());
      cholmod.common()->final_ll = 1;  // The reference is LLᵀ.
      cholmod_factorize(a, reference, cholmod.common());
      const int cholmod_status = cholmod.common()->status;
      cholmod.common()->final_ll = final_ll;
      SimplicialFactorizer factorizer(*a, *ours, cholmod.common());
      int failed = -1;
      EXPECT_FALSE(factorizer.Factorize(cholmod.values(), ours, &failed));
      if (std::isnan(bad)) {
        EXPECT_EQ(cholmod_status, CHOLMOD_OK);
        ASSERT_GE(failed, 0);
        EXPECT_EQ(static_cast<const int*>(ours->Perm)[failed], 70);
      } else {
        ASSERT_EQ(cholmod_status, CHOLMOD_NOT_POSDEF);
        EXPECT_EQ(failed, static_cast<int>(reference->minor));
      }
      testing::UpperTriangle upper = testing::UpperTriangleOf(good);
      EXPECT_TRUE(factorizer.Factorize(upper.values.data(), ours, &failed));
      EXPECT_EQ(failed, -1);
      cholmod_free_factor(&reference, cholmod.common());
      cholmod_free_factor(&ours, cholmod.common());
    }
  }
}

}  // namespace
}  // namespace ceres_varpro::internal
