#include "ceres_varpro/ceres_native_problem.h"

#include "ceres/ceres.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro {
namespace {

using testing::LandmarkOptions;
using testing::LandmarkProblem;
using testing::MakeLandmarkProblem;

std::vector<double> State(LandmarkProblem* l) {
  std::vector<double> s;
  for (auto& a : l->q) s.insert(s.end(), a.begin(), a.end());
  for (auto& a : l->p) s.insert(s.end(), a.begin(), a.end());
  for (auto& a : l->l) s.insert(s.end(), a.begin(), a.end());
  return s;
}

void SetState(LandmarkProblem* l, const std::vector<double>& s) {
  size_t k = 0;
  for (auto& a : l->q)
    for (double& v : a) v = s[k++];
  for (auto& a : l->p)
    for (double& v : a) v = s[k++];
  for (auto& a : l->l)
    for (double& v : a) v = s[k++];
}

double Cost(ceres::Problem* problem) {
  double cost = 0.0;
  problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr,
                    nullptr);
  return cost;
}

Solver::Options Tight(const std::vector<double*>& linear) {
  Solver::Options o;
  o.linear_parameter_blocks = linear;
  o.function_tolerance = 1e-12;
  o.gradient_tolerance = 1e-12;
  o.parameter_tolerance = 1e-12;
  o.max_num_iterations = 100;
  o.num_threads = 2;
  return o;
}

struct Case {
  const char* name;
  bool bearing;
  bool huber;
  ceres::LinearSolverType solver;
};

class CeresNative : public ::testing::TestWithParam<Case> {};

// The native mode (Ceres's own trust region on the reduced problem) and the
// engine's loop reach the same minimum, and the linear blocks hold l*(θ).
TEST_P(CeresNative, AgreesWithTheEngineLoop) {
  LandmarkOptions lo;
  lo.bearing_only = GetParam().bearing;
  lo.huber = GetParam().huber;
  lo.anisotropic = !lo.bearing_only;
  auto l = MakeLandmarkProblem(lo);
  const std::vector<double> start = State(l.get());
  Solver::Options o = Tight(l->landmark_blocks());
  o.allow_nonlinear_elimination = lo.bearing_only;

  Solver::Summary engine;
  Solve(o, l->problem.get(), &engine);
  ASSERT_TRUE(engine.IsSolutionUsable()) << engine.FullReport();

  SetState(l.get(), start);
  o.linear_solver_type = GetParam().solver;
  Solver::Summary native;
  SolveWithCeres(o, l->problem.get(), &native);
  ASSERT_TRUE(native.IsSolutionUsable()) << native.FullReport();
  EXPECT_EQ(native.varpro.regime, engine.varpro.regime);
  EXPECT_NEAR(native.final_cost, engine.final_cost, 1e-6 * engine.final_cost);
  EXPECT_NEAR(native.initial_cost, engine.initial_cost,
              1e-9 * engine.initial_cost);
  // The memory holds θ_final and l*(θ_final).
  EXPECT_NEAR(Cost(l->problem.get()), native.final_cost,
              1e-8 * native.final_cost);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CeresNative,
    ::testing::Values(
        Case{"affine_dense_qr", false, false, ceres::DENSE_QR},
        Case{"affine_sparse", false, false, ceres::SPARSE_NORMAL_CHOLESKY},
        Case{"robust", false, true, ceres::DENSE_QR},
        Case{"bearing", true, false, ceres::DENSE_SCHUR},
        Case{"bearing_robust", true, true, ceres::SPARSE_NORMAL_CHOLESKY}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(CeresNativeProblem, ReducedProblemHasOnlyTheNonlinearBlocks) {
  LandmarkOptions lo;
  auto l = MakeLandmarkProblem(lo);
  std::string error;
  auto native = CeresNativeProblem::Create(Tight(l->landmark_blocks()),
                                           l->problem.get(), &error);
  ASSERT_NE(native, nullptr) << error;
  ceres::Problem* reduced = native->reduced_problem();
  EXPECT_EQ(reduced->NumResidualBlocks(), lo.num_landmarks);
  for (auto& landmark : l->l)
    EXPECT_FALSE(reduced->HasParameterBlock(landmark.data()));
  // Cost of the reduced problem at the start = cost with l = l*(θ₀), which
  // is below the cost at the user's l₀.
  double reduced_cost = 0.0;
  ASSERT_TRUE(reduced->Evaluate(ceres::Problem::EvaluateOptions(),
                                &reduced_cost, nullptr, nullptr, nullptr));
  EXPECT_LT(reduced_cost, native->initial_cost());
  EXPECT_NEAR(reduced_cost, Cost(l->problem.get()), 1e-9 * reduced_cost);
}

TEST(CeresNativeProblem, CoupledLinearBlocksAreRefused) {
  testing::PoseGraphOptions go;
  go.num_poses = 6;
  auto g = testing::MakePoseGraph(go);
  std::string error;
  auto native = CeresNativeProblem::Create(Tight(g->translation_blocks()),
                                           g->problem.get(), &error);
  EXPECT_EQ(native, nullptr);
  EXPECT_NE(error.find("independent"), std::string::npos) << error;
}

TEST(CeresNativeProblem, GradientCheckingAndInnerIterationsAreRefused) {
  LandmarkOptions lo;
  auto l = MakeLandmarkProblem(lo);
  Solver::Options o = Tight(l->landmark_blocks());
  o.check_gradients = true;
  Solver::Summary summary;
  SolveWithCeres(o, l->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("check_gradients"), std::string::npos);
  o.check_gradients = false;
  o.use_inner_iterations = true;
  SolveWithCeres(o, l->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("inner iterations"), std::string::npos);
}

}  // namespace
}  // namespace ceres_varpro
