#include "engine/dense_reduced_solver.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"

namespace ceres_varpro::internal {
namespace {

class DenseReducedSolverTest : public ::testing::TestWithParam<bool> {};

// Coupled blocks: S -= BᵀG⁻¹B; independent: Σ_k E_kᵀG_k⁻¹E_k. Both exact.
TEST_P(DenseReducedSolverTest, StepMatchesTheDenseReference) {
  auto f = MakeReducedSystem(/*independent=*/GetParam());
  ReducedProblem* reduced = f->pipeline.reduced;
  const Reference ref = BuildReference(&f->pipeline);
  const Eigen::VectorXd expected = ref.ExactStep();
  DenseReducedSolver dense(*reduced);
  Eigen::VectorXd y(reduced->num_tangent());
  const auto summary = dense.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                   ref.g.data(), 0.1, true, y.data());
  ASSERT_TRUE(summary.success) << summary.message;
  EXPECT_EQ(summary.num_iterations, 1);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());
  // The model's δᵀSδ comes with the step; it must be the product's.
  const Eigen::VectorXd delta = ref.scale.cwiseProduct(y);
  const double quadratic_form = reduced->SchurQuadraticForm(delta.data());
  EXPECT_NEAR(summary.quadratic_form, quadratic_form, 1e-9 * quadratic_form);
  // A new diagonal on the same S (jacobian_changed = false) is still exact.
  Reference damped = ref;
  damped.d2 *= 10.0;
  ASSERT_TRUE(dense
                  .Solve(reduced, damped.scale.data(), damped.d2.data(),
                         damped.g.data(), 0.1, false, y.data())
                  .success);
  const Eigen::VectorXd expected_damped = damped.ExactStep();
  EXPECT_LE((y - expected_damped).norm(), 1e-9 * expected_damped.norm());
}

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, DenseReducedSolverTest,
                         ::testing::Bool());

}  // namespace
}  // namespace ceres_varpro::internal
