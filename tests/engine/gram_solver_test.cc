// Both Gram solvers against a dense factorisation of G = AᵀA, A the linear
// columns of an engine Jacobian.

#include "engine/gram_solver.h"

#include "Eigen/Dense"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

// The Jacobian at the initial point, with l = l*(θ₀).
const BlockSparseMatrix& EvaluatedJacobian(EnginePipeline* p) {
  const Eigen::VectorXd x = p->Theta();
  double cost = 0.0;
  EXPECT_TRUE(p->reduced->EvaluateJacobian(x.data(), true, &cost, nullptr));
  return p->reduced->jacobian();
}

Eigen::MatrixXd LinearColumns(const EnginePipeline& p) {
  const Eigen::MatrixXd j = p.reduced->jacobian().ToDense();
  const int n = p.program.num_theta_tangent();
  return j.rightCols(j.cols() - n);
}

void ExpectSolvesMatchDense(GramSolver* gram, const Eigen::MatrixXd& a) {
  const Eigen::MatrixXd g = a.transpose() * a;
  const int n = static_cast<int>(g.rows());
  testing::TestRandom random(9);
  Eigen::MatrixXd b(n, 3);
  for (int i = 0; i < b.size(); ++i) b.data()[i] = random.Normal(1.0);
  const Eigen::MatrixXd expected = g.ldlt().solve(b);
  Eigen::VectorXd x = b.col(0);
  gram->Solve(x.data(), x.data());  // In place.
  EXPECT_LE((x - expected.col(0)).norm(), 1e-9 * expected.col(0).norm());
  Eigen::MatrixXd xs(n, 3);
  gram->SolveMultiple(b.data(), xs.data(), 3);
  EXPECT_LE((xs - expected).norm(), 1e-9 * expected.norm());
}

TEST(GramSolver, SparseMatchesDenseForCoupledBlocks) {
  testing::PoseGraphOptions go;
  go.num_poses = 12;
  go.anisotropic = true;
  auto g = testing::MakePoseGraph(go);
  EnginePipeline p;
  ASSERT_TRUE(
      p.Build(g->problem.get(), TwoThreadOptions(g->translation_blocks())))
      << p.error;
  const BlockSparseMatrix& j = EvaluatedJacobian(&p);
  for (auto mode :
       {SparseCholesky::Mode::kAuto, SparseCholesky::Mode::kSimplicial,
        SparseCholesky::Mode::kSupernodal}) {
    SparseGramSolver gram(&p.program, j, 2, mode);
    // The twin shares the pattern and the symbolic analysis, not the factor.
    std::shared_ptr<SparseGramSolver> twin = gram.Twin();
    EXPECT_EQ(twin->cholesky().mode(), mode);
    std::string error;
    ASSERT_TRUE(twin->Factorize(j, &error)) << error;
    ExpectSolvesMatchDense(twin.get(), LinearColumns(p));
    ASSERT_TRUE(gram.Factorize(j, &error)) << error;
    ExpectSolvesMatchDense(&gram, LinearColumns(p));
    ExpectSolvesMatchDense(twin.get(), LinearColumns(p));
    EXPECT_EQ(twin->cholesky().factor_nonzeros(),
              gram.cholesky().factor_nonzeros());
  }
}

// Range residuals p_j - p_i - d(cos φ, sin φ): G = L ⊗ I_2 exactly, so only
// L is factored; an anisotropic pose graph's G is not, and G is factored.
TEST(GramSolver, SparseFactorsTheScalarMatrixOfAKroneckerGram) {
  auto network = testing::MakeRangeNetwork(testing::RangeNetworkOptions());
  EnginePipeline p;
  ASSERT_TRUE(p.Build(network->problem.get(),
                      TwoThreadOptions(network->position_blocks())))
      << p.error;
  const BlockSparseMatrix& j = EvaluatedJacobian(&p);
  for (auto mode :
       {SparseCholesky::Mode::kSimplicial, SparseCholesky::Mode::kSupernodal}) {
    SparseGramSolver gram(&p.program, j, 2, mode, /*detect_kronecker=*/true);
    std::string error;
    ASSERT_TRUE(gram.Factorize(j, &error)) << error;
    EXPECT_EQ(gram.kronecker_dimension(), 2);
    ExpectSolvesMatchDense(&gram, LinearColumns(p));
    SparseGramSolver full(&p.program, j, 2, mode);
    ASSERT_TRUE(full.Factorize(j, &error)) << error;
    EXPECT_EQ(full.kronecker_dimension(), 0);
    EXPECT_LT(gram.factor_nonzeros(), full.factor_nonzeros());
  }

  testing::PoseGraphOptions go;
  go.num_poses = 12;
  go.anisotropic = true;
  auto graph = testing::MakePoseGraph(go);
  EnginePipeline q;
  ASSERT_TRUE(q.Build(graph->problem.get(),
                      TwoThreadOptions(graph->translation_blocks())))
      << q.error;
  const BlockSparseMatrix& jq = EvaluatedJacobian(&q);
  SparseGramSolver gram(&q.program, jq, 2, SparseCholesky::Mode::kAuto,
                        /*detect_kronecker=*/true);
  std::string error;
  ASSERT_TRUE(gram.Factorize(jq, &error)) << error;
  EXPECT_EQ(gram.kronecker_dimension(), 0);
  ExpectSolvesMatchDense(&gram, LinearColumns(q));
}

TEST(GramSolver, BlockDiagonalMatchesDenseForIndependentBlocks) {
  testing::LandmarkOptions lo;
  lo.anisotropic = true;
  auto l = testing::MakeLandmarkProblem(lo);
  EnginePipeline p;
  ASSERT_TRUE(p.Build(l->problem.get(), TwoThreadOptions(l->landmark_blocks())))
      << p.error;
  const BlockSparseMatrix& j = EvaluatedJacobian(&p);
  BlockDiagonalGramSolver gram(&p.program, j, 2,
                               /*allow_singular_blocks=*/false);
  std::string error;
  ASSERT_TRUE(gram.Factorize(j, &error)) << error;
  EXPECT_EQ(gram.num_blocks(), lo.num_landmarks);
  EXPECT_EQ(gram.num_frozen(), 0);
  ExpectSolvesMatchDense(&gram, LinearColumns(p));
}

// A block whose columns vanish is undetermined: an error naming it, or,
// when singular blocks are allowed (nonlinear regime), frozen with a zero
// inverse while the other blocks are solved exactly.
TEST(GramSolver, SingularBlockIsNamedOrFrozen) {
  testing::LandmarkOptions lo;
  lo.num_landmarks = 5;
  auto l = testing::MakeLandmarkProblem(lo);
  EnginePipeline p;
  ASSERT_TRUE(p.Build(l->problem.get(), TwoThreadOptions(l->landmark_blocks())))
      << p.error;
  BlockSparseMatrix j = EvaluatedJacobian(&p);
  const int first = p.program.num_nonlinear_columns();
  const int frozen = 2;
  for (const auto& e : j.column_entries(first + frozen)) {
    const int size = j.row_block_size(e.row_block) * 3;
    std::fill(j.values() + e.position, j.values() + e.position + size, 0.0);
  }
  std::string error;
  BlockDiagonalGramSolver strict(&p.program, j, 1, false);
  EXPECT_FALSE(strict.Factorize(j, &error));
  EXPECT_NE(error.find("linear_parameter_blocks[2]"), std::string::npos)
      << error;
  EXPECT_NE(error.find("undetermined"), std::string::npos) << error;

  BlockDiagonalGramSolver lenient(&p.program, j, 1, true);
  ASSERT_TRUE(lenient.Factorize(j, &error));
  EXPECT_EQ(lenient.num_frozen(), 1);
  EXPECT_TRUE(lenient.block_is_frozen(frozen));
  const double b[3] = {1.0, 2.0, 3.0};
  double x[3] = {-1.0, -1.0, -1.0};
  lenient.SolveBlock(frozen, b, x);
  EXPECT_EQ(Eigen::Vector3d(x[0], x[1], x[2]), Eigen::Vector3d::Zero());
  // Another block: the dense solve of its own G_k.
  const int k = 0;
  const Eigen::MatrixXd a =
      j.ToDense().middleCols(j.col_block_offset(first + k), 3);
  const Eigen::Vector3d expected =
      (a.transpose() * a).ldlt().solve(Eigen::Vector3d(b[0], b[1], b[2]));
  lenient.SolveBlock(k, b, x);
  EXPECT_LE((Eigen::Vector3d(x[0], x[1], x[2]) - expected).norm(),
            1e-9 * expected.norm());
}

}  // namespace
}  // namespace ceres_varpro::internal
