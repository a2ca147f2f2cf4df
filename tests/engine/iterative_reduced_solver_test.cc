#include "engine/iterative_reduced_solver.h"

#include "engine/block_jacobi_preconditioner.h"
#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

class IterativeReducedSolverTest : public ::testing::TestWithParam<bool> {};

// Matrix-free CG with a tight tolerance converges to the exact step.
TEST_P(IterativeReducedSolverTest, ConvergesToTheDenseStep) {
  auto f = MakeReducedSystem(/*independent=*/GetParam());
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  const Eigen::VectorXd expected = ref.ExactStep();
  IterativeReducedSolver cg(
      std::make_unique<BlockJacobiPreconditioner>(*reduced), 0, 1000);
  Eigen::VectorXd y(reduced->num_tangent());
  const auto summary = cg.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                ref.g.data(), 1e-14, true, y.data());
  ASSERT_TRUE(summary.success) << summary.message;
  EXPECT_GT(summary.num_iterations, 1);
  EXPECT_LE((y - expected).norm(), 1e-6 * expected.norm());
}

// The quadratic form the minimiser's model uses, δᵀSδ for δ = scale∘y, comes
// from CG's scalars; it must match the product with S, also for an early stop.
TEST_P(IterativeReducedSolverTest, ReportsTheStepsQuadraticForm) {
  auto f = MakeReducedSystem(/*independent=*/GetParam());
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  IterativeReducedSolver cg(
      std::make_unique<BlockJacobiPreconditioner>(*reduced), 0, 1000);
  Eigen::VectorXd y(reduced->num_tangent());
  for (const double eta : {1e-14, 0.5}) {
    const auto summary = cg.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                  ref.g.data(), eta, true, y.data());
    ASSERT_TRUE(summary.success) << summary.message;
    const Eigen::VectorXd delta = ref.scale.cwiseProduct(y);
    const double expected = reduced->SchurQuadraticForm(delta.data());
    EXPECT_GT(expected, 0.0);
    EXPECT_NEAR(summary.quadratic_form, expected, 1e-9 * expected) << eta;
  }
}

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, IterativeReducedSolverTest,
                         ::testing::Bool());

}  // namespace
}  // namespace ceres_varpro::internal
