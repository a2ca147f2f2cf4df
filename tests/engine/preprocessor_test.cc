#include "engine/preprocessor.h"

#include "ceres/ceres.h"
#include "engine_pipeline.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro::internal {
namespace {

double UserCost(ceres::Problem* problem) {
  double cost = 0.0;
  problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr,
                    nullptr);
  return cost;
}

TEST(Preprocessor, EngineTargetSetsUpEveryStage) {
  testing::PoseGraphOptions go;
  go.num_poses = 10;
  auto g = testing::MakePoseGraph(go);
  const double user_cost = UserCost(g->problem.get());
  PreprocessedProblem pp;
  VarProStatistics stats;
  std::string error;
  ASSERT_TRUE(Preprocess(TwoThreadOptions(g->translation_blocks()),
                         PreprocessorTarget::kEngine, g->problem.get(), &stats,
                         &pp, &error))
      << error;
  EXPECT_TRUE(pp.analyzed);
  ASSERT_NE(pp.eliminator, nullptr);
  ASSERT_NE(pp.reduced, nullptr);
  ASSERT_NE(pp.linear_solver, nullptr);
  EXPECT_NEAR(pp.initial_cost, user_cost, 1e-12 * user_cost);
  EXPECT_EQ(pp.fixed_cost, 0.0);
  EXPECT_EQ(static_cast<int>(pp.initial_theta.size()),
            pp.program.num_theta_ambient());
  // The statistics tell what the analysis found.
  EXPECT_EQ(stats.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
  EXPECT_TRUE(stats.gram_is_constant);
  EXPECT_EQ(stats.num_gauge_pins, 1);
  EXPECT_EQ(stats.num_eliminated_blocks, go.num_poses - 1);
  EXPECT_EQ(stats.linear_solver_used, ReducedLinearSolverType::ITERATIVE);
  // Tangent θ columns: 3 per quaternion.
  EXPECT_EQ(pp.program.num_theta_tangent(), 3 * (go.num_poses - 1));
}

// The Ceres-native target: ambient θ, no reduced problem of the engine's,
// the same statistics, and the thread count clamped (its options are not
// validated by Ceres before this runs).
TEST(Preprocessor, CeresNativeTarget) {
  testing::LandmarkOptions lo;
  auto l = testing::MakeLandmarkProblem(lo);
  Solver::Options o = TwoThreadOptions(l->landmark_blocks());
  o.num_threads = 0;
  PreprocessedProblem pp;
  VarProStatistics stats;
  std::string error;
  ASSERT_TRUE(Preprocess(o, PreprocessorTarget::kCeresNative, l->problem.get(),
                         &stats, &pp, &error))
      << error;
  ASSERT_NE(pp.eliminator, nullptr);
  EXPECT_NE(pp.eliminator->independent_blocks(), nullptr);
  EXPECT_EQ(pp.reduced, nullptr);
  EXPECT_EQ(pp.program.num_theta_tangent(), pp.program.num_theta_ambient());
  EXPECT_EQ(stats.regime, EliminationRegime::INDEPENDENT_AFFINE);
  EXPECT_TRUE(stats.gram_is_constant);  // Isotropic weights: G = w²I.
  EXPECT_EQ(stats.num_eliminated_blocks, lo.num_landmarks);

  testing::PoseGraphOptions go;
  go.num_poses = 5;
  auto g = testing::MakePoseGraph(go);
  PreprocessedProblem coupled;
  EXPECT_FALSE(Preprocess(TwoThreadOptions(g->translation_blocks()),
                          PreprocessorTarget::kCeresNative, g->problem.get(),
                          &stats, &coupled, &error));
  EXPECT_NE(error.find("independent linear blocks"), std::string::npos)
      << error;
}

TEST(Preprocessor, NothingToMove) {
  testing::PoseGraphOptions go;
  go.num_poses = 3;
  auto g = testing::MakePoseGraph(go);
  std::vector<double*> blocks;
  g->problem->GetParameterBlocks(&blocks);
  for (double* b : blocks) g->problem->SetParameterBlockConstant(b);
  PreprocessedProblem pp;
  VarProStatistics stats;
  std::string error;
  ASSERT_TRUE(Preprocess(TwoThreadOptions({}), PreprocessorTarget::kEngine,
                         g->problem.get(), &stats, &pp, &error))
      << error;
  EXPECT_EQ(pp.eliminator, nullptr);
  EXPECT_EQ(pp.initial_cost, pp.fixed_cost);
  EXPECT_NEAR(pp.fixed_cost, UserCost(g->problem.get()), 1e-12);
}

}  // namespace
}  // namespace ceres_varpro::internal
