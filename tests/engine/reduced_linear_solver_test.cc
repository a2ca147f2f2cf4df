// Every reduced linear solver and preconditioner against a dense reference
// built from the Jacobian: S = J_θᵀJ_θ - J_θᵀA(AᵀA)⁻¹AᵀJ_θ.

#include "engine/reduced_linear_solver.h"

#include "Eigen/Dense"
#include "engine/preconditioner.h"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

struct Reference {
  Eigen::MatrixXd s;   // Schur complement.
  Eigen::MatrixXd jj;  // J_θᵀJ_θ.
  Eigen::VectorXd g;   // Gradient.
  Eigen::VectorXd scale, d2;
};

Reference BuildReference(EnginePipeline* p) {
  Reference ref;
  const int n = p->reduced->num_tangent();
  const Eigen::VectorXd x = p->Theta();
  ref.g.resize(n);
  double cost;
  EXPECT_TRUE(
      p->reduced->EvaluateJacobian(x.data(), true, &cost, ref.g.data()));
  const Eigen::MatrixXd j = p->reduced->jacobian().ToDense();
  const Eigen::MatrixXd jt = j.leftCols(n), a = j.rightCols(j.cols() - n);
  ref.jj = jt.transpose() * jt;
  ref.s = ref.jj - jt.transpose() * a *
                       (a.transpose() * a).ldlt().solve(a.transpose() * jt);
  ref.scale = Eigen::VectorXd::LinSpaced(n, 0.5, 1.5);
  ref.d2 = Eigen::VectorXd::LinSpaced(n, 1e-3, 1e-1);
  return ref;
}

Eigen::VectorXd ExactStep(const Reference& ref) {
  Eigen::MatrixXd m = ref.scale.asDiagonal() * ref.s * ref.scale.asDiagonal();
  m.diagonal() += ref.d2;
  return -m.ldlt().solve(ref.scale.cwiseProduct(ref.g));
}

struct ProblemFixture {
  std::unique_ptr<testing::PoseGraphProblem> graph;
  std::unique_ptr<testing::LandmarkProblem> landmarks;
  EnginePipeline pipeline;
};

std::unique_ptr<ProblemFixture> Make(bool independent) {
  auto f = std::make_unique<ProblemFixture>();
  Solver::Options o;
  o.num_threads = 2;
  ceres::Problem* problem;
  if (independent) {
    testing::LandmarkOptions lo;
    lo.anisotropic = true;
    f->landmarks = testing::MakeLandmarkProblem(lo);
    o.linear_parameter_blocks = f->landmarks->landmark_blocks();
    problem = f->landmarks->problem.get();
  } else {
    testing::PoseGraphOptions go;
    go.num_poses = 20;
    go.anisotropic = true;
    f->graph = testing::MakePoseGraph(go);
    o.linear_parameter_blocks = f->graph->translation_blocks();
    problem = f->graph->problem.get();
  }
  EXPECT_TRUE(f->pipeline.Build(problem, o)) << f->pipeline.error;
  return f;
}

class ReducedSolvers : public ::testing::TestWithParam<bool> {};

TEST_P(ReducedSolvers, ExactSolversMatchDenseReference) {
  auto f = Make(GetParam());
  ReducedProblem* reduced = f->pipeline.reduced.get();
  const Reference ref = BuildReference(&f->pipeline);
  const Eigen::VectorXd expected = ExactStep(ref);
  const int n = reduced->num_tangent();

  DenseReducedSolver dense(*reduced);
  Eigen::VectorXd y(n);
  ASSERT_TRUE(dense
                  .Solve(reduced, ref.scale.data(), ref.d2.data(), ref.g.data(),
                         0.1, true, y.data())
                  .success);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());

  SparseJointReducedSolver sparse(*reduced, SparseCholesky::Mode::kAuto);
  ASSERT_TRUE(sparse
                  .Solve(reduced, ref.scale.data(), ref.d2.data(), ref.g.data(),
                         0.1, true, y.data())
                  .success);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());

  // CG with a tight tolerance converges to the same step.
  IterativeReducedSolver cg(
      std::make_unique<BlockJacobiPreconditioner>(*reduced), 0, 1000);
  const auto summary = cg.Solve(reduced, ref.scale.data(), ref.d2.data(),
                                ref.g.data(), 1e-14, true, y.data());
  ASSERT_TRUE(summary.success) << summary.message;
  EXPECT_LE((y - expected).norm(), 1e-6 * expected.norm());
}

INSTANTIATE_TEST_SUITE_P(CoupledAndIndependent, ReducedSolvers,
                         ::testing::Bool());

// y = P⁻¹x for x supported on one θ block equals the inverse of that
// diagonal block applied to x.
void ExpectBlockInverse(Preconditioner* pre, const Eigen::MatrixXd& m,
                        const BlockSparseMatrix& j, int num_blocks) {
  for (int c = 0; c < num_blocks; c += std::max(1, num_blocks / 4)) {
    const int o = j.col_block_offset(c), size = j.col_block_size(c);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(m.rows());
    x.segment(o, size) = Eigen::VectorXd::LinSpaced(size, 1.0, 2.0);
    Eigen::VectorXd y(m.rows());
    pre->Apply(x.data(), y.data());
    const Eigen::VectorXd expected =
        m.block(o, o, size, size).ldlt().solve(x.segment(o, size));
    EXPECT_LE((y.segment(o, size) - expected).norm(), 1e-9 * expected.norm())
        << c;
  }
}

TEST(Preconditioners, BlockJacobiAndSchurJacobiInvertTheirDiagonalBlocks) {
  auto f = Make(/*independent=*/true);
  ReducedProblem* reduced = f->pipeline.reduced.get();
  const Reference ref = BuildReference(&f->pipeline);
  const int nb = reduced->num_nonlinear_columns();
  std::string error;

  BlockJacobiPreconditioner jacobi(*reduced);
  ASSERT_TRUE(
      jacobi.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error));
  Eigen::MatrixXd mj = ref.scale.asDiagonal() * ref.jj * ref.scale.asDiagonal();
  mj.diagonal() += ref.d2;
  ExpectBlockInverse(&jacobi, mj, reduced->jacobian(), nb);

  SchurJacobiPreconditioner schur(*reduced);
  ASSERT_TRUE(
      schur.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
      << error;
  Eigen::MatrixXd ms = ref.scale.asDiagonal() * ref.s * ref.scale.asDiagonal();
  ms.diagonal() += ref.d2;
  ExpectBlockInverse(&schur, ms, reduced->jacobian(), nb);
}

TEST(Preconditioners, JointCholeskyIsTheExactInverseWhereFactored) {
  auto f = Make(/*independent=*/false);
  ReducedProblem* reduced = f->pipeline.reduced.get();
  const Reference ref = BuildReference(&f->pipeline);
  std::string error;
  JointCholeskyPreconditioner joint(*reduced, 10, false,
                                    SparseCholesky::Mode::kAuto);
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error))
      << error;
  EXPECT_EQ(joint.num_factorizations(), 1);
  Eigen::MatrixXd m = ref.scale.asDiagonal() * ref.s * ref.scale.asDiagonal();
  m.diagonal() += ref.d2;
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(m.rows(), -1.0, 1.0);
  Eigen::VectorXd y(m.rows());
  joint.Apply(x.data(), y.data());
  const Eigen::VectorXd expected = m.ldlt().solve(x);
  EXPECT_LE((y - expected).norm(), 1e-9 * expected.norm());
  // Lagged: no refactorisation until CG needs too many iterations.
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error));
  EXPECT_EQ(joint.num_factorizations(), 1);
  joint.NotifyIterations(11, 0.0);
  ASSERT_TRUE(
      joint.Update(reduced, ref.scale.data(), ref.d2.data(), true, &error));
  EXPECT_EQ(joint.num_factorizations(), 2);
}

}  // namespace
}  // namespace ceres_varpro::internal
