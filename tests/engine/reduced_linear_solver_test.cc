// ReducedLinearSolver::Create: what AUTO resolves to in each regime.

#include "engine/reduced_linear_solver.h"

#include "gtest/gtest.h"
#include "reduced_system_reference.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

struct Choice {
  ReducedLinearSolverType type;
  ReducedPreconditionerType preconditioner;
};

Choice Resolve(const ReducedLinearSolver::Options& options,
               const EnginePipeline& p) {
  Choice c{ReducedLinearSolverType::AUTO, ReducedPreconditionerType::AUTO};
  EXPECT_NE(ReducedLinearSolver::Create(options, p.pp.analysis, *p.reduced,
                                        &c.type, &c.preconditioner),
            nullptr);
  return c;
}

TEST(ReducedLinearSolver, AutoResolvesPerRegime) {
  auto coupled = MakeReducedSystem(/*independent=*/false);
  auto independent = MakeReducedSystem(/*independent=*/true);
  ReducedLinearSolver::Options options;
  // Small independent problems are solved densely; coupled ones iteratively
  // with the joint Cholesky factor.
  Choice c = Resolve(options, independent->pipeline);
  EXPECT_EQ(c.type, ReducedLinearSolverType::DENSE);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::AUTO);
  c = Resolve(options, coupled->pipeline);
  EXPECT_EQ(c.type, ReducedLinearSolverType::ITERATIVE);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::JOINT_CHOLESKY);
  // Above max_dense_reduced_parameters, independent blocks go iterative with
  // Schur-Jacobi.
  options.max_dense_reduced_parameters = 0;
  c = Resolve(options, independent->pipeline);
  EXPECT_EQ(c.type, ReducedLinearSolverType::ITERATIVE);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::SCHUR_JACOBI);
  // Schur-Jacobi needs independent blocks: coupled ones fall back to
  // block Jacobi.
  options.preconditioner_type = ReducedPreconditionerType::SCHUR_JACOBI;
  c = Resolve(options, coupled->pipeline);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::BLOCK_JACOBI);
  // An explicit type is kept.
  options.type = ReducedLinearSolverType::SPARSE_JOINT;
  c = Resolve(options, coupled->pipeline);
  EXPECT_EQ(c.type, ReducedLinearSolverType::SPARSE_JOINT);
}

// Coupled linear blocks whose θ blocks no residual ties together: block
// Jacobi, unless asked otherwise.
TEST(ReducedLinearSolver, AutoUsesBlockJacobiForIndependentTheta) {
  auto network = testing::MakeRangeNetwork(testing::RangeNetworkOptions());
  EnginePipeline p;
  ASSERT_TRUE(p.Build(network->problem.get(),
                      TwoThreadOptions(network->position_blocks())))
      << p.error;
  ReducedLinearSolver::Options options;
  Choice c = Resolve(options, p);
  EXPECT_EQ(c.type, ReducedLinearSolverType::ITERATIVE);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::BLOCK_JACOBI);
  options.preconditioner_type = ReducedPreconditionerType::JOINT_CHOLESKY;
  c = Resolve(options, p);
  EXPECT_EQ(c.preconditioner, ReducedPreconditionerType::JOINT_CHOLESKY);
}

}  // namespace
}  // namespace ceres_varpro::internal
