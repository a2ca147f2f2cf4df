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

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, IterativeReducedSolverTest,
                         ::testing::Bool());

}  // namespace
}  // namespace ceres_varpro::internal
