// The BAL model, VarPro's nonlinear elimination of points, the Ceres-native
// mode, against references.

#include <array>
#include <fstream>

#include "ceres/ceres.h"
#include "ceres_varpro/ba/bal_analytic_cost.h"
#include "ceres_varpro/ba/bal_problem_builder.h"
#include "ceres_varpro/ba/bal_reprojection_cost.h"
#include "ceres_varpro/ceres_varpro.h"
#include "ceres_varpro/io/bal_io.h"
#include "ceres_varpro/synthetic/bal_generator.h"
#include "gtest/gtest.h"

namespace ceres_varpro {
namespace {

std::string Shared(const std::string& name) {
  return std::string(CERES_VARPRO_SHARED_DATASETS_DIR) + "/bal/" + name;
}

double Cost(ceres::Problem* problem) {
  double cost = 0.0;
  problem->Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr,
                    nullptr);
  return cost;
}

TEST(BalReprojectionCost, JacobiansMatchNumericDifferentiation) {
  const double camera[9] = {0.1,  -0.2,  0.05,  0.3,  -0.1,
                            -5.0, 700.0, -0.03, 0.004};
  const double point[3] = {0.5, -0.4, 1.0};
  std::unique_ptr<ceres::CostFunction> analytic(
      BalReprojectionCost::Create(12.0, -7.0));
  ceres::NumericDiffOptions nd;
  ceres::NumericDiffCostFunction<BalReprojectionCost, ceres::RIDDERS, 2, 9, 3>
      numeric(new BalReprojectionCost(12.0, -7.0), ceres::TAKE_OWNERSHIP, 2,
              nd);
  const double* params[] = {camera, point};
  double r1[2], r2[2], ja[18], jb[6], na[18], nb[6];
  double* j1[] = {ja, jb};
  double* j2[] = {na, nb};
  ASSERT_TRUE(analytic->Evaluate(params, r1, j1));
  ASSERT_TRUE(numeric.Evaluate(params, r2, j2));
  for (int i = 0; i < 18; ++i)
    EXPECT_NEAR(ja[i], na[i], 1e-6 * std::max(1.0, std::abs(na[i])));
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(jb[i], nb[i], 1e-6 * std::max(1.0, std::abs(nb[i])));
}

// The hand-written Jacobians equal AutoDiff's, at a generic rotation and at
// one small enough for the first-order branch, for every combination of
// requested Jacobians.
TEST(BalAnalyticCost, MatchesAutoDiff) {
  const double cameras[2][9] = {
      {0.1, -0.2, 0.05, 0.3, -0.1, -5.0, 700.0, -0.03, 0.004},
      {1e-9, 2e-9, -1e-9, 0.2, 0.1, -4.0, 500.0, 0.01, -0.002}};
  const double point[3] = {0.5, -0.4, 1.0};
  std::unique_ptr<ceres::CostFunction> autodiff(
      BalReprojectionCost::Create(12.0, -7.0));
  const BalAnalyticCost analytic(12.0, -7.0);
  for (const auto& camera : cameras) {
    const double* params[] = {camera, point};
    double ra[2], rb[2], ca[18], cb[18], pa[6], pb[6];
    for (int mask = 0; mask < 4; ++mask) {
      double* ja[] = {(mask & 1) ? ca : nullptr, (mask & 2) ? pa : nullptr};
      double* jb[] = {(mask & 1) ? cb : nullptr, (mask & 2) ? pb : nullptr};
      ASSERT_TRUE(autodiff->Evaluate(params, ra, ja));
      ASSERT_TRUE(analytic.Evaluate(params, rb, mask == 0 ? nullptr : jb));
      for (int i = 0; i < 2; ++i) EXPECT_NEAR(rb[i], ra[i], 1e-12 * 700);
      for (int i = 0; i < 18 && (mask & 1); ++i) {
        EXPECT_NEAR(cb[i], ca[i], 1e-10 * std::max(1.0, std::abs(ca[i])))
            << "camera " << i;
      }
      for (int i = 0; i < 6 && (mask & 2); ++i) {
        EXPECT_NEAR(pb[i], pa[i], 1e-10 * std::max(1.0, std::abs(pa[i])))
            << "point " << i;
      }
    }
  }
}

// The rotation is remembered per camera between evaluations: a camera
// whose ω changes in place (as the solver moves it), including into and out
// of the first-order branch, and many cameras evaluated in turn (sharing the
// cache's slots) must still give exactly AutoDiff's values.
TEST(BalAnalyticCost, RotationMemoryFollowsCamerasThatMove) {
  std::unique_ptr<ceres::CostFunction> autodiff(
      BalReprojectionCost::Create(3.0, 4.0));
  const BalAnalyticCost analytic(3.0, 4.0);
  const double point[3] = {0.2, 0.3, 1.5};
  std::vector<std::array<double, 9>> cameras(200);
  for (int c = 0; c < 200; ++c) {
    cameras[c] = {0.01 * c, -0.02, 0.03, 0.1, 0.2, -4.0, 600.0, 0.01, 0.001};
  }
  const double omegas[4][3] = {
      {0.3, -0.1, 0.2}, {1e-10, 0.0, 0.0}, {0.3, -0.1, 0.2}, {-0.5, 0.4, 0.1}};
  for (int round = 0; round < 4; ++round) {
    for (int c = 0; c < 200; ++c) {
      double* camera = cameras[c].data();
      if (c % 7 == 0) std::copy(omegas[round], omegas[round] + 3, camera);
      const double* params[] = {camera, point};
      double ra[2], rb[2], ca[18], cb[18];
      double* ja[] = {ca, nullptr};
      double* jb[] = {cb, nullptr};
      ASSERT_TRUE(autodiff->Evaluate(params, ra, ja));
      ASSERT_TRUE(analytic.Evaluate(params, rb, jb));
      for (int i = 0; i < 2; ++i) {
        ASSERT_NEAR(rb[i], ra[i], 1e-12 * 600) << "camera " << c;
      }
      for (int i = 0; i < 18; ++i) {
        ASSERT_NEAR(cb[i], ca[i], 1e-10 * std::max(1.0, std::abs(ca[i])))
            << "camera " << c << " round " << round << " entry " << i;
      }
    }
  }
}

// ½‖r‖² at the files' initial points equals the published values (checks
// the reader and the model together).
TEST(BalReprojectionCost, InitialCostsOfTheSharedFiles) {
  if (!std::ifstream(Shared("problem-49-7776-pre.txt")))
    GTEST_SKIP() << "no shared data";
  for (const auto& [name, expected] :
       {std::pair<const char*, double>{"problem-16-22106-pre.txt",
                                       4.18565951824972e+06},
        {"problem-21-11315-pre.txt", 4.41323931443221e+06},
        {"problem-49-7776-pre.txt", 8.50912460680840e+05},
        {"dubrovnik-3-7-pre.txt", 2.7642199844e+03}}) {
    BalProblem bal;
    std::string error;
    ASSERT_TRUE(ReadBalFile(Shared(name), &bal, &error)) << error;
    ceres::Problem problem;
    std::vector<double*> points, cameras;
    BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
    EXPECT_NEAR(Cost(&problem), expected, 1e-9 * expected) << name;
  }
}

Solver::Options Tight(const std::vector<double*>& points) {
  Solver::Options o;
  o.linear_parameter_blocks = points;
  o.allow_nonlinear_elimination = true;
  o.function_tolerance = 1e-12;
  o.gradient_tolerance = 1e-12;
  o.parameter_tolerance = 1e-12;
  o.max_num_iterations = 100;
  o.num_threads = 2;
  return o;
}

// f(θ) = min_X F(θ, X); its gradient J_θᵀr at the inner optimum against
// central differences of f itself.
TEST(BalVarPro, ReducedGradientMatchesFiniteDifferences) {
  BalGeneratorOptions go;
  go.num_cameras = 3;
  go.num_points = 30;
  BalProblem bal;
  GenerateBalProblem(go, &bal);
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
  Solver::Options o = Tight(points);
  o.max_num_iterations = 0;
  o.max_inner_iterations = 100;
  o.inner_iteration_tolerance = 1e-14;
  // f and its gradient through a 0-iteration solve (iteration 0 evaluates
  // both); cameras are moved by hand for the differences.
  auto reduced = [&](double* gradient_max) {
    Solver::Summary s;
    Solve(o, &problem, &s);
    if (gradient_max) *gradient_max = s.iterations[0].gradient_max_norm;
    return s.iterations[0].cost;
  };
  // Analytic gradient from ceres::Problem::Evaluate at the inner optimum,
  // restricted to the cameras (∂F/∂X = 0 there).
  reduced(nullptr);
  ceres::Problem::EvaluateOptions eo;
  eo.parameter_blocks = cameras;
  double cost;
  std::vector<double> gradient;
  ASSERT_TRUE(problem.Evaluate(eo, &cost, nullptr, &gradient, nullptr));
  const std::vector<double> saved = bal.cameras;
  const std::vector<double> saved_points = bal.points;
  const double h = 1e-6;
  double max_error = 0.0, max_gradient = 0.0;
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < 9; k += 2) {
      const double step = h * std::max(1.0, std::abs(saved[9 * c + k]));
      bal.cameras = saved;
      bal.points = saved_points;
      bal.camera(c)[k] += step;
      const double fp = reduced(nullptr);
      bal.cameras = saved;
      bal.points = saved_points;
      bal.camera(c)[k] -= step;
      const double fm = reduced(nullptr);
      const double numeric = (fp - fm) / (2 * step);
      max_error = std::max(max_error, std::abs(numeric - gradient[9 * c + k]));
      max_gradient = std::max(max_gradient, std::abs(gradient[9 * c + k]));
    }
  }
  EXPECT_GT(max_gradient, 1.0);
  EXPECT_LE(max_error, 1e-5 * max_gradient);
}

TEST(BalVarPro, CeresNativeModeAgreesWithTheEngineLoop) {
  BalGeneratorOptions go;
  go.num_cameras = 8;
  go.num_points = 300;
  BalProblem bal;
  GenerateBalProblem(go, &bal);
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
  const BalProblem start = bal;
  Solver::Summary engine, native;
  Solve(Tight(points), &problem, &engine);
  ASSERT_TRUE(engine.IsSolutionUsable()) << engine.FullReport();
  EXPECT_EQ(engine.varpro.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
  bal.cameras = start.cameras;
  bal.points = start.points;
  Solver::Options o = Tight(points);
  o.linear_solver_type = ceres::DENSE_SCHUR;
  SolveWithCeres(o, &problem, &native);
  ASSERT_TRUE(native.IsSolutionUsable()) << native.FullReport();
  EXPECT_NEAR(native.final_cost, engine.final_cost, 1e-6 * engine.final_cost);
  EXPECT_NEAR(Cost(&problem), native.final_cost, 1e-8 * native.final_cost);
}

// problem-49-7776 has points whose rays are nearly parallel: their Gram
// blocks are frozen as degenerate. The native mode's compression must not
// project their residuals along the degenerate direction (it did, and every
// step after ~13596 failed with a wrong gradient).
TEST(BalVarPro, CeresNativeModeReachesStockCeresWithDegeneratePoints) {
  BalProblem bal;
  std::string error;
  if (!ReadBalFile(Shared("problem-49-7776-pre.txt"), &bal, &error))
    GTEST_SKIP() << error;
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
  const BalProblem start = bal;
  // What a user of Ceres's bundle_adjuster has: default tolerances.
  ceres::Solver::Options co;
  co.linear_solver_type = ceres::SPARSE_SCHUR;
  // One thread: both solves then repeat bit for bit. With two, the order of
  // threaded sums (Ceres's Schur elimination, the engine's Jᵀx) varies from
  // run to run, and a function-tolerance stop on this problem moved with it
  // (the native mode once stopped at 13350.1 after 11 iterations).
  co.num_threads = 1;
  co.max_num_iterations = 50;
  SetBalOrdering(points, cameras, &co);
  ceres::Solver::Summary cs;
  ceres::Solve(co, &problem, &cs);
  ASSERT_TRUE(cs.IsSolutionUsable()) << cs.FullReport();
  bal.cameras = start.cameras;
  bal.points = start.points;
  Solver::Options o;
  static_cast<ceres::Solver::Options&>(o) = co;
  o.linear_solver_ordering.reset();
  o.linear_parameter_blocks = points;
  o.allow_nonlinear_elimination = true;
  Solver::Summary native;
  SolveWithCeres(o, &problem, &native);
  ASSERT_TRUE(native.IsSolutionUsable()) << native.FullReport();
  EXPECT_GT(native.varpro.num_degenerate_blocks, 0);
  EXPECT_LE(native.final_cost, cs.final_cost * (1 + 1e-6))
      << native.FullReport();
}

TEST(BalVarPro, GeneratedSceneMatchesStockCeres) {
  for (bool robust : {false, true}) {
    BalGeneratorOptions go;
    go.num_cameras = 10;
    go.num_points = 500;
    BalProblem bal;
    GenerateBalProblem(go, &bal);
    BalBuildOptions bo;
    bo.robustify = robust;
    ceres::Problem problem;
    std::vector<double*> points, cameras;
    BuildBalProblem(&bal, bo, &problem, &points, &cameras);
    const BalProblem start = bal;
    ceres::Solver::Options co = Tight(points);
    co.linear_solver_type = ceres::SPARSE_SCHUR;
    SetBalOrdering(points, cameras, &co);
    ceres::Solver::Summary cs;
    ceres::Solve(co, &problem, &cs);
    bal.cameras = start.cameras;
    bal.points = start.points;
    Solver::Summary s;
    Solve(Tight(points), &problem, &s);
    // A failed solve can report a low final_cost: check usability first.
    ASSERT_TRUE(cs.IsSolutionUsable()) << robust << "\n" << cs.FullReport();
    ASSERT_TRUE(s.IsSolutionUsable()) << robust << "\n" << s.FullReport();
    EXPECT_NE(s.termination_type, ceres::FAILURE) << robust;
    EXPECT_LE(s.final_cost, cs.final_cost * (1 + 1e-6)) << robust;
    EXPECT_LE(s.iterations.size(), cs.iterations.size()) << robust;
    // The inner passes are in the summary, so iteration counts compare.
    EXPECT_GT(s.varpro.num_inner_iterations, 0);
    EXPECT_NE(
        s.BriefReport().find(std::to_string(s.varpro.num_inner_iterations) +
                             " inner Gauss-Newton passes"),
        std::string::npos)
        << s.BriefReport();
  }
}

// A first step far too long for the model is rejected, and the candidate's
// inner solves have overwritten most of the one Jacobian the nonlinear regime
// keeps: the next steps, dense and matrix-free (CG reads the Jacobian at
// every product), must be taken with the current point's rows again.
TEST(BalVarPro, RejectedStepsRestoreTheCurrentJacobian) {
  for (auto type :
       {ReducedLinearSolverType::DENSE, ReducedLinearSolverType::ITERATIVE}) {
    BalGeneratorOptions go;
    go.num_cameras = 8;
    go.num_points = 300;
    go.camera_rotation_noise = 0.1;
    go.camera_translation_noise = 0.5;
    BalProblem bal;
    GenerateBalProblem(go, &bal);
    ceres::Problem problem;
    std::vector<double*> points, cameras;
    BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
    const BalProblem start = bal;
    ceres::Solver::Options co = Tight(points);
    co.linear_solver_type = ceres::DENSE_SCHUR;
    SetBalOrdering(points, cameras, &co);
    ceres::Solver::Summary cs;
    ceres::Solve(co, &problem, &cs);
    ASSERT_TRUE(cs.IsSolutionUsable()) << cs.FullReport();
    bal.cameras = start.cameras;
    bal.points = start.points;
    Solver::Options o = Tight(points);
    o.reduced_linear_solver_type = type;
    o.initial_trust_region_radius = 1e12;
    Solver::Summary s;
    Solve(o, &problem, &s);
    ASSERT_TRUE(s.IsSolutionUsable()) << s.FullReport();
    EXPECT_GT(s.num_unsuccessful_steps, 0) << s.FullReport();
    EXPECT_GT(s.varpro.num_restored_blocks, 0) << s.FullReport();
    EXPECT_LE(s.final_cost, cs.final_cost * (1 + 1e-6)) << s.FullReport();
  }
}

// The inner solves at the initial point stop at a looser tolerance; a solve
// that ends there (here: every camera held constant, so nothing but the
// elimination) must still return points at the full inner tolerance.
TEST(BalVarPro, SolveThatEndsAtTheInitialPointReturnsFullySolvedPoints) {
  BalGeneratorOptions go;
  go.num_cameras = 6;
  go.num_points = 200;
  BalProblem bal;
  GenerateBalProblem(go, &bal);
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
  for (double* c : cameras) problem.SetParameterBlockConstant(c);
  const BalProblem start = bal;
  ceres::Solver::Options co;
  co.function_tolerance = co.gradient_tolerance = co.parameter_tolerance =
      1e-14;
  co.max_num_iterations = 100;
  co.linear_solver_type = ceres::DENSE_SCHUR;
  ceres::Solver::Summary cs;
  ceres::Solve(co, &problem, &cs);
  ASSERT_TRUE(cs.IsSolutionUsable()) << cs.FullReport();
  const std::vector<double> reference = bal.points;
  bal.points = start.points;
  Solver::Options o;
  o.linear_parameter_blocks = points;
  o.allow_nonlinear_elimination = true;
  o.inner_iteration_tolerance = 1e-6;
  Solver::Summary s;
  Solve(o, &problem, &s);
  ASSERT_TRUE(s.IsSolutionUsable()) << s.FullReport();
  double worst = 0.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    worst = std::max(worst, std::abs(bal.points[i] - reference[i]) /
                                (1.0 + std::abs(reference[i])));
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(BalVarPro, Dubrovnik37EndToEnd) {
  BalProblem bal;
  std::string error;
  if (!ReadBalFile(Shared("dubrovnik-3-7-pre.txt"), &bal, &error))
    GTEST_SKIP() << error;
  ceres::Problem problem;
  std::vector<double*> points, cameras;
  BuildBalProblem(&bal, BalBuildOptions(), &problem, &points, &cameras);
  Solver::Summary s;
  Solve(Tight(points), &problem, &s);
  ASSERT_TRUE(s.IsSolutionUsable()) << s.FullReport();
  EXPECT_EQ(s.varpro.regime, EliminationRegime::INDEPENDENT_NONLINEAR);
  // 19 observations fit exactly by 3 cameras and 7 points.
  EXPECT_LT(s.final_cost, 1e-8 * s.initial_cost);
  EXPECT_NEAR(Cost(&problem), s.final_cost, 1e-6 + 1e-8 * s.final_cost);
}

}  // namespace
}  // namespace ceres_varpro
