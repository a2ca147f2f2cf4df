#include "engine/sparse_joint_reduced_solver.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

class SparseJointReducedSolverTest : public ::testing::TestWithParam<bool> {};

// The θ part of the joint system's solution is the exact reduced step, and
// the joint matrix is refactored at every solve.
TEST_P(SparseJointReducedSolverTest, StepMatchesTheDenseReference) {
  auto f = MakeReducedSystem(/*independent=*/GetParam());
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  const Eigen::VectorXd expected = ref.ExactStep();
  SparseJointReducedSolver sparse(*reduced, SparseCholesky::Mode::kAuto);
  Eigen::VectorXd y(reduced->num_tangent());
  for (int solve = 1; solve <= 2; ++solve) {
    const auto summary = sparse.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                      ref.g.data(), 0.1, solve == 1, y.data());
    ASSERT_TRUE(summary.success) << summary.message;
    EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());
    EXPECT_EQ(sparse.num_factorizations(), solve);
  }
}

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, SparseJointReducedSolverTest,
                         ::testing::Bool());

}  // namespace
}  // namespace ceres_varpro::internal
