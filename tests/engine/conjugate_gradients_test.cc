#include "engine/conjugate_gradients.h"

#include <cmath>
#include <memory>

#include "Eigen/Dense"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

// A random SPD matrix with condition number ~1e4 and its Jacobi
// preconditioner.
struct System {
  Eigen::MatrixXd a;
  Eigen::VectorXd b;
  ConjugateGradients::Operator multiply, jacobi;
};

std::unique_ptr<System> MakeSystem(int n) {
  testing::TestRandom random(5);
  Eigen::MatrixXd m(n, n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) m(i, j) = random.Normal(1.0);
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(m);
  const Eigen::MatrixXd q = qr.householderQ();
  const Eigen::VectorXd eigenvalues =
      Eigen::VectorXd::LinSpaced(n, 0.0, 4.0).unaryExpr([](double e) {
        return std::pow(10.0, e);
      });
  auto owned = std::make_unique<System>();
  System& s = *owned;
  s.a = q * eigenvalues.asDiagonal() * q.transpose();
  s.b.resize(n);
  for (int i = 0; i < n; ++i) s.b[i] = random.Normal(1.0);
  const Eigen::MatrixXd* a = &s.a;
  s.multiply = [a](const double* x, double* y) {
    Eigen::Map<Eigen::VectorXd>(y, a->rows()) =
        *a * Eigen::Map<const Eigen::VectorXd>(x, a->rows());
  };
  s.jacobi = [a](const double* x, double* y) {
    for (int i = 0; i < a->rows(); ++i) y[i] = x[i] / (*a)(i, i);
  };
  return owned;
}

TEST(ConjugateGradients, ConvergesToTheDenseSolution) {
  const auto owned = MakeSystem(30);
  const System& s = *owned;
  ConjugateGradients cg;
  Eigen::VectorXd x;
  const auto summary =
      cg.Solve(s.multiply, s.jacobi, s.b, 1e-16, 1e-14, 0, 500, &x);
  ASSERT_TRUE(summary.success) << summary.message;
  const Eigen::VectorXd expected = s.a.ldlt().solve(s.b);
  EXPECT_LE((x - expected).norm(), 1e-8 * expected.norm());
}

// Loose tolerances stop early, but only once both tests hold: the model
// Q(x) = ½xᵀAx - bᵀx has stalled (Nash-Sofer) and ‖b - Ax‖ ≤ r_tol ‖b‖.
TEST(ConjugateGradients, StopsOnTheQCriterionAndTheResidualTest) {
  const auto owned = MakeSystem(30);
  const System& s = *owned;
  ConjugateGradients cg;
  Eigen::VectorXd tight, loose;
  const auto exact =
      cg.Solve(s.multiply, s.jacobi, s.b, 1e-16, 1e-14, 0, 500, &tight);
  const double r_tolerance = 0.05;
  const auto early =
      cg.Solve(s.multiply, s.jacobi, s.b, 0.1, r_tolerance, 0, 500, &loose);
  ASSERT_TRUE(early.success);
  EXPECT_EQ(early.message, "q-criterion satisfied");
  EXPECT_LT(early.num_iterations, exact.num_iterations);
  EXPECT_LE((s.b - s.a * loose).norm(), r_tolerance * s.b.norm());
  // An exact residual bound alone keeps it going.
  const auto strict_residual =
      cg.Solve(s.multiply, s.jacobi, s.b, 0.1, 1e-10, 0, 500, &loose);
  EXPECT_GT(strict_residual.num_iterations, early.num_iterations);
  EXPECT_LE((s.b - s.a * loose).norm(), 1e-10 * s.b.norm());
}

// The minimiser takes xᵀAx from CG instead of another product with A: it must
// be that of the returned x, whether CG converged or stopped early.
TEST(ConjugateGradients, ReportsTheEnergyNormOfItsIterate) {
  const auto owned = MakeSystem(30);
  const System& s = *owned;
  ConjugateGradients cg;
  Eigen::VectorXd x;
  for (const int max_iterations : {1, 3, 10, 500}) {
    const auto summary = cg.Solve(s.multiply, s.jacobi, s.b, 1e-16, 1e-14, 0,
                                  max_iterations, &x);
    ASSERT_TRUE(summary.success) << summary.message;
    const double expected = x.dot(s.a * x);
    EXPECT_NEAR(summary.x_a_x, expected, 1e-10 * expected) << max_iterations;
  }
}

TEST(ConjugateGradients, IterationBoundsAndZeroRightHandSide) {
  const auto owned = MakeSystem(20);
  const System& s = *owned;
  ConjugateGradients cg;
  Eigen::VectorXd x;
  auto summary = cg.Solve(s.multiply, s.jacobi, s.b, 1e-16, 1e-14, 0, 3, &x);
  EXPECT_EQ(summary.num_iterations, 3);
  EXPECT_EQ(summary.message, "maximum number of iterations");
  summary = cg.Solve(s.multiply, s.jacobi, s.b, 1.0, 1.0, 5, 500, &x);
  EXPECT_GE(summary.num_iterations, 5);
  summary = cg.Solve(s.multiply, s.jacobi, Eigen::VectorXd::Zero(20), 0.1, 0.1,
                     0, 500, &x);
  EXPECT_TRUE(summary.success);
  EXPECT_EQ(summary.num_iterations, 0);
  EXPECT_EQ(x.norm(), 0.0);
}

}  // namespace
}  // namespace ceres_varpro::internal
