// The engine's Levenberg-Marquardt loop against ceres::Solve's, step by step,
// on a problem without linear blocks (the reduced problem is then the
// problem itself) whose trace has rejected steps.

#include "engine/levenberg_marquardt_minimizer.h"

#include <cmath>
#include <vector>

#include "ceres/ceres.h"
#include "ceres_varpro/solver.h"
#include "gtest/gtest.h"
#include "test_util/engine_test_problems.h"

namespace ceres_varpro {
namespace {

// r = [atan(a), atan(b - 1), (a - b) / 10]: from a far start the
// Gauss-Newton step overshoots (Newton's method on atan diverges beyond
// |x| ≈ 1.39), so a large first radius makes the first steps fail.
struct AtanResidual {
  template <typename T>
  bool operator()(const T* a, const T* b, T* residual) const {
    residual[0] = atan(a[0]);
    residual[1] = atan(b[0] - 1.0);
    residual[2] = 0.1 * (a[0] - b[0]);
    return true;
  }
};

struct AtanProblem {
  double a = 3.0, b = -2.5;
  ceres::Problem problem;
  AtanProblem() {
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<AtanResidual, 3, 1, 1>(
            new AtanResidual),
        nullptr, &a, &b);
  }
};

ceres::Solver::Options TraceOptions() {
  ceres::Solver::Options o;
  o.linear_solver_type = ceres::DENSE_QR;
  o.num_threads = 1;
  o.max_num_iterations = 50;
  o.function_tolerance = 1e-14;
  o.gradient_tolerance = 1e-14;
  o.parameter_tolerance = 1e-14;
  // Close to Gauss-Newton at first: steps that overshoot and are rejected.
  o.initial_trust_region_radius = 1e8;
  return o;
}

TEST(LevenbergMarquardtMinimizer, TraceWithRejectedStepsMatchesCeresDenseQr) {
  AtanProblem ceres_problem;
  ceres::Solver::Summary expected;
  ceres::Solve(TraceOptions(), &ceres_problem.problem, &expected);
  ASSERT_TRUE(expected.IsSolutionUsable());
  ASSERT_GT(expected.num_unsuccessful_steps, 0)
      << "the problem should exercise rejected steps";

  AtanProblem engine_problem;
  Solver::Options o;
  static_cast<ceres::Solver::Options&>(o) = TraceOptions();
  o.reduced_linear_solver_type = ReducedLinearSolverType::DENSE;
  o.extrapolate_steps = false;  // Ceres's steps exactly.
  Solver::Summary summary;
  Solve(o, &engine_problem.problem, &summary);
  EXPECT_EQ(summary.varpro.regime, EliminationRegime::NO_LINEAR_BLOCKS);
  ASSERT_EQ(summary.iterations.size(), expected.iterations.size())
      << summary.FullReport() << expected.FullReport();
  for (size_t i = 0; i < expected.iterations.size(); ++i) {
    const ceres::IterationSummary& a = summary.iterations[i];
    const ceres::IterationSummary& b = expected.iterations[i];
    EXPECT_EQ(a.step_is_successful, b.step_is_successful) << i;
    EXPECT_EQ(a.step_is_valid, b.step_is_valid) << i;
    EXPECT_NEAR(a.cost, b.cost, 1e-9 * b.cost) << i;
    EXPECT_NEAR(a.trust_region_radius, b.trust_region_radius,
                1e-9 * b.trust_region_radius)
        << i;
    EXPECT_NEAR(a.gradient_max_norm, b.gradient_max_norm,
                1e-6 * b.gradient_max_norm + 1e-12)
        << i;
  }
  EXPECT_EQ(summary.num_successful_steps, expected.num_successful_steps);
  EXPECT_EQ(summary.num_unsuccessful_steps, expected.num_unsuccessful_steps);
  EXPECT_EQ(summary.termination_type, expected.termination_type);
  EXPECT_NEAR(engine_problem.a, ceres_problem.a, 1e-9);
  EXPECT_NEAR(engine_problem.b, ceres_problem.b, 1e-9);
}

// A pose graph with large rotation noise: Gauss-Newton's model overstates
// the curvature along the steps (ρ well above 1) and converges linearly.
// Lengthened steps cut the iterations and never end higher.
TEST(LevenbergMarquardtMinimizer, StepExtrapolationShortensLinearConvergence) {
  testing::PoseGraphOptions po;
  po.num_poses = 120;
  po.rotation_noise = 0.3;
  po.translation_noise = 0.5;
  Solver::Summary with, without;
  for (const bool extrapolate : {false, true}) {
    auto graph = testing::MakePoseGraph(po);
    Solver::Options o;
    o.linear_parameter_blocks = graph->translation_blocks();
    o.num_threads = 1;
    o.function_tolerance = 1e-10;
    o.gradient_tolerance = 1e-12;
    o.parameter_tolerance = 1e-12;
    o.max_num_iterations = 500;
    o.extrapolate_steps = extrapolate;
    Solver::Summary* s = extrapolate ? &with : &without;
    Solve(o, graph->problem.get(), s);
    ASSERT_TRUE(s->IsSolutionUsable()) << s->FullReport();
    ASSERT_EQ(s->termination_type, ceres::CONVERGENCE) << s->FullReport();
    // Only monotonic steps, with or without.
    double previous = s->initial_cost;
    for (const auto& it : s->iterations) {
      if (!it.step_is_successful) continue;
      EXPECT_LE(it.cost, previous) << it.iteration;
      previous = it.cost;
    }
  }
  EXPECT_EQ(without.varpro.num_extrapolations_tried, 0);
  EXPECT_GT(with.varpro.num_extrapolations_accepted, 0) << with.FullReport();
  EXPECT_LT(with.iterations.size(), without.iterations.size())
      << with.FullReport() << without.FullReport();
  EXPECT_LE(with.final_cost, without.final_cost * (1 + 1e-8))
      << with.final_cost << " vs " << without.final_cost;
}

// The options struct carries Ceres's defaults and the user's values.
TEST(LevenbergMarquardtMinimizer, OptionsComeFromTheSolverOptions) {
  const internal::LevenbergMarquardtMinimizer::Options defaults;
  const ceres::Solver::Options ceres_defaults;
  EXPECT_EQ(defaults.max_num_iterations, ceres_defaults.max_num_iterations);
  EXPECT_EQ(defaults.initial_trust_region_radius,
            ceres_defaults.initial_trust_region_radius);
  EXPECT_EQ(defaults.min_relative_decrease,
            ceres_defaults.min_relative_decrease);
  ceres::Solver::Options custom;
  custom.eta = 0.25;
  custom.jacobi_scaling = false;
  const internal::LevenbergMarquardtMinimizer::Options options(custom);
  EXPECT_EQ(options.eta, 0.25);
  EXPECT_FALSE(options.jacobi_scaling);
}

}  // namespace
}  // namespace ceres_varpro
