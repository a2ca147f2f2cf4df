// ceres_varpro::Solve end to end, against ceres::Solve on the same Problem.

#include "ceres_varpro/solver.h"

#include <cmath>
#include <limits>

#include "ceres/ceres.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro {
namespace {

using testing::LandmarkOptions;
using testing::MakeLandmarkProblem;
using testing::MakePoseGraph;
using testing::MakeRangeNetwork;
using testing::PoseGraphOptions;
using testing::RangeNetworkOptions;

// Copies every parameter block's values, to restore between solves.
class Snapshot {
 public:
  explicit Snapshot(const ceres::Problem& problem) {
    std::vector<double*> blocks;
    problem.GetParameterBlocks(&blocks);
    for (double* b : blocks) {
      saved_.push_back(
          {b, std::vector<double>(b, b + problem.ParameterBlockSize(b))});
    }
  }
  void Restore() const {
    for (const auto& [p, v] : saved_) std::copy(v.begin(), v.end(), p);
  }
  bool Unchanged() const {
    for (const auto& [p, v] : saved_) {
      for (size_t i = 0; i < v.size(); ++i) {
        if (p[i] != v[i]) return false;
      }
    }
    return true;
  }

 private:
  std::vector<std::pair<double*, std::vector<double>>> saved_;
};

bool AllFinite(const ceres::Problem& problem) {
  std::vector<double*> blocks;
  problem.GetParameterBlocks(&blocks);
  for (double* b : blocks) {
    for (int i = 0; i < problem.ParameterBlockSize(b); ++i) {
      if (!std::isfinite(b[i])) return false;
    }
  }
  return true;
}

ceres::Solver::Options CeresOptions() {
  ceres::Solver::Options o;
  o.linear_solver_type = ceres::SPARSE_NORMAL_CHOLESKY;
  o.max_num_iterations = 200;
  o.function_tolerance = 1e-12;
  o.gradient_tolerance = 1e-12;
  o.parameter_tolerance = 1e-12;
  o.num_threads = 2;
  return o;
}

Solver::Options VarProOptions(const std::vector<double*>& linear) {
  Solver::Options o;
  static_cast<ceres::Solver::Options&>(o) = CeresOptions();
  o.linear_parameter_blocks = linear;
  return o;
}

TEST(Solve, PoseGraphSameFinalCostAsCeresInFewerIterations) {
  PoseGraphOptions go;
  go.num_poses = 300;
  go.rotation_noise = 0.05;
  go.translation_noise = 0.1;
  go.seed = 8;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);

  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), g->problem.get(), &ceres_summary);
  ASSERT_TRUE(ceres_summary.IsSolutionUsable()) << ceres_summary.FullReport();

  start.Restore();
  Solver::Summary summary;
  Solve(VarProOptions(g->translation_blocks()), g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_EQ(summary.termination_type, ceres::CONVERGENCE) << summary.message;
  EXPECT_EQ(summary.varpro.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
  EXPECT_EQ(summary.varpro.num_gauge_pins, 1);
  EXPECT_EQ(summary.varpro.num_gram_factorizations, 1);
  EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
              1e-6 * ceres_summary.final_cost);
  EXPECT_LT(summary.iterations.size(), ceres_summary.iterations.size())
      << "VarPro " << summary.iterations.size() << " vs Ceres "
      << ceres_summary.iterations.size();
  // Same start; with two threads both sum the residuals in a varying order,
  // so they agree to rounding, not to the last bit.
  EXPECT_NEAR(summary.initial_cost, ceres_summary.initial_cost,
              1e-12 * ceres_summary.initial_cost);
  // The user's memory holds the returned point: its cost is the final cost.
  double cost = 0.0;
  g->problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr,
                       nullptr, nullptr);
  EXPECT_NEAR(cost, summary.final_cost, 1e-9 * cost);
  EXPECT_NE(summary.FullReport().find("COUPLED_CONSTANT_GRAM"),
            std::string::npos);
}

// Supernodal (default) and simplicial CHOLMOD factors are two ways of
// computing the same factorisation: same path, same result.
TEST(Solve, SupernodalAndSimplicialCholeskyAgree) {
  PoseGraphOptions go;
  go.num_poses = 120;
  go.rotation_noise = 0.05;
  go.translation_noise = 0.1;
  go.seed = 3;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);
  Solver::Options options = VarProOptions(g->translation_blocks());
  ASSERT_TRUE(options.use_supernodal_cholesky);
  options.use_supernodal_cholesky = false;
  Solver::Summary simplicial;
  Solve(options, g->problem.get(), &simplicial);
  ASSERT_TRUE(simplicial.IsSolutionUsable()) << simplicial.FullReport();

  start.Restore();
  options.use_supernodal_cholesky = true;
  Solver::Summary supernodal;
  Solve(options, g->problem.get(), &supernodal);
  ASSERT_TRUE(supernodal.IsSolutionUsable()) << supernodal.FullReport();
  EXPECT_EQ(simplicial.varpro.preconditioner_used,
            ReducedPreconditionerType::JOINT_CHOLESKY);
  EXPECT_NEAR(supernodal.final_cost, simplicial.final_cost,
              1e-10 * simplicial.final_cost);
  EXPECT_EQ(supernodal.iterations.size(), simplicial.iterations.size());
}

// With nothing to eliminate and an exact linear solve, the engine's
// Levenberg-Marquardt must reproduce Ceres's iterations.
TEST(Solve, NoLinearBlocksCostTraceMatchesCeresDenseQr) {
  PoseGraphOptions go;
  go.num_poses = 15;
  go.rotation_noise = 0.1;
  go.translation_noise = 0.2;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);
  ceres::Solver::Options co = CeresOptions();
  co.linear_solver_type = ceres::DENSE_QR;
  co.num_threads = 1;
  co.max_num_iterations = 30;
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(co, g->problem.get(), &ceres_summary);

  start.Restore();
  Solver::Options o;
  static_cast<ceres::Solver::Options&>(o) = co;
  o.reduced_linear_solver_type = ReducedLinearSolverType::DENSE;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.varpro.regime, EliminationRegime::NO_LINEAR_BLOCKS);
  ASSERT_EQ(summary.iterations.size(), ceres_summary.iterations.size())
      << summary.FullReport() << ceres_summary.FullReport();
  for (size_t i = 0; i < summary.iterations.size(); ++i) {
    const double expected = ceres_summary.iterations[i].cost;
    EXPECT_NEAR(summary.iterations[i].cost, expected, 1e-8 * expected)
        << "iteration " << i;
    EXPECT_EQ(summary.iterations[i].step_is_successful,
              ceres_summary.iterations[i].step_is_successful)
        << "iteration " << i;
  }
  EXPECT_EQ(summary.termination_type, ceres_summary.termination_type);
}

TEST(Solve, NoLinearBlocksSparseJointMatchesCeres) {
  PoseGraphOptions go;
  go.num_poses = 40;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), g->problem.get(), &ceres_summary);
  start.Restore();
  Solver::Options o = VarProOptions({});
  o.reduced_linear_solver_type = ReducedLinearSolverType::SPARSE_JOINT;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
              1e-6 * ceres_summary.final_cost);
}

struct Variant {
  const char* name;
  ReducedLinearSolverType solver;
  ReducedPreconditionerType preconditioner;
};

class SolveVariants : public ::testing::TestWithParam<Variant> {};

TEST_P(SolveVariants, AnisotropicPoseGraphMatchesCeres) {
  PoseGraphOptions go;
  go.num_poses = 80;
  go.anisotropic = true;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), g->problem.get(), &ceres_summary);
  start.Restore();
  Solver::Options o = VarProOptions(g->translation_blocks());
  o.reduced_linear_solver_type = GetParam().solver;
  o.reduced_preconditioner_type = GetParam().preconditioner;
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_EQ(summary.varpro.regime, EliminationRegime::COUPLED_VARYING_GRAM);
  EXPECT_LE(summary.final_cost, ceres_summary.final_cost * (1 + 1e-6));
  EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
              1e-6 * ceres_summary.final_cost);
  EXPECT_TRUE(AllFinite(*g->problem));
}

// Rotations far from their optimum: steps overshoot and are rejected. The
// varying-Gram regime keeps one A and one Gram factor, so each rejection (but
// one that ends the solve) restores the current point's. From so far out
// VarPro and Ceres end in different local minima, so the check is that
// VarPro's end is one: stock Ceres started there cannot lower it.
TEST(Solve, AnisotropicPoseGraphWithRejectedStepsEndsAtAMinimum) {
  PoseGraphOptions go;
  go.num_poses = 40;
  go.anisotropic = true;
  go.rotation_noise = 0.8;
  go.translation_noise = 0.2;
  go.seed = 8;
  auto g = MakePoseGraph(go);
  Solver::Options o = VarProOptions(g->translation_blocks());
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_EQ(summary.termination_type, ceres::CONVERGENCE);
  ASSERT_EQ(summary.varpro.regime, EliminationRegime::COUPLED_VARYING_GRAM);
  ASSERT_GT(summary.num_unsuccessful_steps, 0) << summary.FullReport();
  EXPECT_GE(summary.varpro.num_current_point_restorations,
            summary.num_unsuccessful_steps - 1);
  EXPECT_LE(summary.varpro.num_current_point_restorations,
            summary.num_unsuccessful_steps);
  EXPECT_TRUE(AllFinite(*g->problem));
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), g->problem.get(), &ceres_summary);
  EXPECT_NEAR(ceres_summary.initial_cost, summary.final_cost,
              1e-9 * summary.final_cost);
  EXPECT_GE(ceres_summary.final_cost, summary.final_cost * (1 - 1e-6));
}

INSTANTIATE_TEST_SUITE_P(
    AllSolvers, SolveVariants,
    ::testing::Values(Variant{"dense", ReducedLinearSolverType::DENSE,
                              ReducedPreconditionerType::AUTO},
                      Variant{"sparse", ReducedLinearSolverType::SPARSE_JOINT,
                              ReducedPreconditionerType::AUTO},
                      Variant{"cg_jacobi", ReducedLinearSolverType::ITERATIVE,
                              ReducedPreconditionerType::BLOCK_JACOBI},
                      Variant{"cg_joint", ReducedLinearSolverType::ITERATIVE,
                              ReducedPreconditionerType::JOINT_CHOLESKY}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Solve, RobustPoseGraphMatchesCeres) {
  PoseGraphOptions go;
  go.num_poses = 60;
  go.huber_on_translations = true;
  go.translation_noise = 0.3;
  auto g = MakePoseGraph(go);
  const Snapshot start(*g->problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), g->problem.get(), &ceres_summary);
  start.Restore();
  Solver::Summary summary;
  Solve(VarProOptions(g->translation_blocks()), g->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_GT(summary.varpro.num_inner_iterations, 0);
  EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
              1e-6 * ceres_summary.final_cost);
}

TEST(Solve, IndependentLandmarksMatchCeres) {
  for (bool anisotropic : {false, true}) {
    LandmarkOptions lo;
    lo.anisotropic = anisotropic;
    auto l = MakeLandmarkProblem(lo);
    const Snapshot start(*l->problem);
    ceres::Solver::Summary ceres_summary;
    ceres::Solve(CeresOptions(), l->problem.get(), &ceres_summary);
    start.Restore();
    Solver::Summary summary;
    Solve(VarProOptions(l->landmark_blocks()), l->problem.get(), &summary);
    ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
    EXPECT_EQ(summary.varpro.regime, EliminationRegime::INDEPENDENT_AFFINE);
    EXPECT_EQ(summary.varpro.num_gauge_pins, 0);
    EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
                1e-6 * ceres_summary.final_cost);
  }
}

// One angle per range, positions eliminated: AUTO preconditions with block
// Jacobi (J_θᵀJ_θ is diagonal) and reaches stock Ceres's cost; the joint
// factor reaches the same.
TEST(Solve, RangeNetworkWithIndependentAnglesMatchesCeres) {
  RangeNetworkOptions ro;
  ro.grid_side = 8;
  ro.position_noise = 0.1;
  ro.angle_noise = 0.05;
  auto n = MakeRangeNetwork(ro);
  const Snapshot start(*n->problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), n->problem.get(), &ceres_summary);
  ASSERT_TRUE(ceres_summary.IsSolutionUsable()) << ceres_summary.FullReport();
  for (auto preconditioner : {ReducedPreconditionerType::AUTO,
                              ReducedPreconditionerType::JOINT_CHOLESKY}) {
    start.Restore();
    Solver::Options o = VarProOptions(n->position_blocks());
    o.reduced_preconditioner_type = preconditioner;
    Solver::Summary summary;
    Solve(o, n->problem.get(), &summary);
    ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
    EXPECT_EQ(summary.varpro.regime, EliminationRegime::COUPLED_CONSTANT_GRAM);
    EXPECT_EQ(summary.varpro.num_gauge_pins, 0);
    EXPECT_EQ(summary.varpro.linear_solver_used,
              ReducedLinearSolverType::ITERATIVE);
    EXPECT_EQ(summary.varpro.preconditioner_used,
              preconditioner == ReducedPreconditionerType::AUTO
                  ? ReducedPreconditionerType::BLOCK_JACOBI
                  : ReducedPreconditionerType::JOINT_CHOLESKY);
    EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
                1e-6 * ceres_summary.final_cost);
  }
}

// r = (l + θ₀ - 2, l - θ₀, θ₀ - 1, θ₁ - 3): l* = 1 and θ = (1, 3) unbounded.
struct BoundedResidual {
  template <typename T>
  bool operator()(const T* theta, const T* l, T* r) const {
    r[0] = l[0] + theta[0] - T(2.0);
    r[1] = l[0] - theta[0];
    r[2] = theta[0] - T(1.0);
    r[3] = theta[1] - T(3.0);
    return true;
  }
};

// Ceres projects every step onto the parameter blocks' bounds; so must the
// one-call swap, or a bounded model (a focal length, a scale) leaves them.
TEST(Solve, BoundsOnThetaAreRespectedAsCeresDoes) {
  double theta[2] = {0.0, 0.0};
  double l[1] = {0.0};
  ceres::Problem problem;
  problem.AddResidualBlock(
      new ceres::AutoDiffCostFunction<BoundedResidual, 4, 2, 1>(
          new BoundedResidual),
      nullptr, theta, l);
  problem.SetParameterUpperBound(theta, 0, 0.5);
  problem.SetParameterLowerBound(theta, 1, -1.0);
  problem.SetParameterUpperBound(theta, 1, 2.0);
  const Snapshot start(problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), &problem, &ceres_summary);
  ASSERT_TRUE(ceres_summary.IsSolutionUsable()) << ceres_summary.FullReport();
  EXPECT_NEAR(theta[0], 0.5, 1e-9);
  EXPECT_NEAR(theta[1], 2.0, 1e-9);

  start.Restore();
  Solver::Summary summary;
  Solve(VarProOptions({l}), &problem, &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_NEAR(theta[0], 0.5, 1e-9);
  EXPECT_NEAR(theta[1], 2.0, 1e-9);
  EXPECT_NEAR(l[0], 1.0, 1e-9);
  EXPECT_NEAR(summary.final_cost, ceres_summary.final_cost,
              1e-9 * ceres_summary.final_cost);
}

TEST(Solve, NonAffineIndependentBlocksWithNonlinearElimination) {
  LandmarkOptions lo;
  lo.bearing_only = true;
  auto l = MakeLandmarkProblem(lo);
  const Snapshot start(*l->problem);
  ceres::Solver::Summary ceres_summary;
  ceres::Solve(CeresOptions(), l->problem.get(), &ceres_summary);
  start.Restore();
  Solver::Options o = VarProOptions(l->landmark_blocks());
  o.allow_nonlinear_elimination = true;
  Solver::Summary summary;
  Solve(o, l->problem.get(), &summary);
  ASSERT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  EXPECT_EQ(summary.varpro.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
  EXPECT_LE(summary.final_cost, ceres_summary.final_cost * (1 + 1e-6));
  EXPECT_NE(summary.FullReport().find("nonlinear"), std::string::npos);
}

TEST(Solve, NonAffineBlockNamedAsLinearIsRejectedWithItsName) {
  LandmarkOptions lo;
  lo.bearing_only = true;
  auto l = MakeLandmarkProblem(lo);
  const Snapshot start(*l->problem);
  Solver::Summary summary;
  Solve(VarProOptions(l->landmark_blocks()), l->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("is not affine in linear parameter block #0"),
            std::string::npos)
      << summary.message;
  EXPECT_NE(summary.message.find("residual block #"), std::string::npos)
      << summary.message;
  EXPECT_TRUE(start.Unchanged());
}

// A landmark whose only measurement fixes one coordinate: undetermined.
struct PlaneResidual {
  template <typename T>
  bool operator()(const T* l, T* r) const {
    r[0] = l[2] - T(1.0);
    return true;
  }
};

TEST(Solve, UndeterminedLandmarkIsNamed) {
  LandmarkOptions lo;
  auto l = MakeLandmarkProblem(lo);
  double lonely[3] = {0.5, 0.5, 0.5};
  l->problem->AddResidualBlock(
      new ceres::AutoDiffCostFunction<PlaneResidual, 1, 3>(new PlaneResidual),
      nullptr, lonely);
  std::vector<double*> linear = l->landmark_blocks();
  linear.push_back(lonely);
  const Snapshot start(*l->problem);
  Solver::Summary summary;
  Solve(VarProOptions(linear), l->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  const std::string expected =
      "linear parameter block #" + std::to_string(linear.size() - 1) + " ";
  EXPECT_NE(summary.message.find(expected), std::string::npos)
      << summary.message;
  EXPECT_NE(summary.message.find("undetermined"), std::string::npos)
      << summary.message;
  EXPECT_TRUE(start.Unchanged());
}

TEST(Solve, LinearBlockWithManifoldOrBoundsIsRejected) {
  {
    LandmarkOptions lo;
    auto l = MakeLandmarkProblem(lo);
    l->problem->SetManifold(l->l[2].data(), new ceres::SphereManifold<3>);
    Solver::Summary summary;
    Solve(VarProOptions(l->landmark_blocks()), l->problem.get(), &summary);
    EXPECT_EQ(summary.termination_type, ceres::FAILURE);
    EXPECT_NE(summary.message.find("linear parameter block #2"),
              std::string::npos);
    EXPECT_NE(summary.message.find("manifold"), std::string::npos)
        << summary.message;
  }
  {
    LandmarkOptions lo;
    auto l = MakeLandmarkProblem(lo);
    l->problem->SetParameterUpperBound(l->l[4].data(), 1, 100.0);
    Solver::Summary summary;
    Solve(VarProOptions(l->landmark_blocks()), l->problem.get(), &summary);
    EXPECT_EQ(summary.termination_type, ceres::FAILURE);
    EXPECT_NE(summary.message.find("linear parameter block #4"),
              std::string::npos);
    EXPECT_NE(summary.message.find("bounds"), std::string::npos)
        << summary.message;
  }
}

TEST(Solve, InvalidOptionsAreReported) {
  PoseGraphOptions go;
  go.num_poses = 5;
  auto g = MakePoseGraph(go);
  Solver::Options o = VarProOptions(g->translation_blocks());
  o.trust_region_strategy_type = ceres::DOGLEG;
  std::string error;
  EXPECT_FALSE(o.IsValid(&error));
  Solver::Summary summary;
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("DOGLEG"), std::string::npos);
  o = VarProOptions(g->translation_blocks());
  double not_in_problem[3];
  o.linear_parameter_blocks.push_back(not_in_problem);
  Solve(o, g->problem.get(), &summary);
  EXPECT_EQ(summary.termination_type, ceres::FAILURE);
  EXPECT_NE(summary.message.find("is not a parameter block"),
            std::string::npos);
}

}  // namespace
}  // namespace ceres_varpro
